"""deploy/compose.yaml: valid Compose, and wired the way docs/deployment.md says."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs

from tests.deploy._support import (
    COMPOSE_FILE,
    DEPLOY,
    SCHEMAS,
    is_agentops_env,
    load_yaml_documents,
    project_version,
    settings_env_names,
    validate_literal_settings,
)


def _compose() -> dict[str, Any]:
    (doc,) = load_yaml_documents(COMPOSE_FILE)
    return doc


def test_compose_matches_the_compose_spec_schema() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    # The vendored schema predates the top-level `name` (project name) of the current spec.
    schema["properties"]["name"] = {"type": "string"}
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(_compose())]
    assert not errors, "\n".join(errors)


def test_compose_has_the_whole_stack() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "migrate", "control-plane", "proxy"} <= set(services)
    assert services["migrate"]["command"] == ["migrate"]
    assert services["control-plane"]["command"] == ["serve"]
    assert services["proxy"]["command"] == ["proxy"]
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name], name


def test_control_plane_starts_only_after_migrations() -> None:
    services = _compose()["services"]
    depends = services["control-plane"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["control-plane"]["condition"] == "service_healthy"


def test_agentops_services_build_this_repo_and_version() -> None:
    for name in ("migrate", "control-plane", "proxy"):
        service = _compose()["services"][name]
        build = service["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve().is_file(), name
        assert service["image"].endswith(f"agentops-hub:{project_version()}}}"), name


def test_shared_proxy_requires_credentials() -> None:
    env = _compose()["services"]["proxy"]["environment"]
    assert env["AGENTOPS_PROXY__LISTEN_HOST"] == "0.0.0.0"
    assert env["AGENTOPS_PROXY__REQUIRE_CREDENTIALS"] == "true"
    assert env["AGENTOPS_PROXY__CONTROL_PLANE_URL"] == "http://control-plane:8000"
    assert env["HEALTHCHECK_URL"].endswith(":8082/healthz")


def test_published_ports_stay_on_loopback() -> None:
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert re.match(r"^127\.0\.0\.1:\d+:\d+$", port), f"{name} publishes {port}"


def test_env_names_are_real_settings() -> None:
    known = settings_env_names()
    for name, service in _compose()["services"].items():
        env = service.get("environment", {})
        assert isinstance(env, dict), name
        unknown = sorted(n for n in env if is_agentops_env(n) and n not in known)
        assert not unknown, f"{name} sets unknown settings {unknown}"
        validate_literal_settings({n: str(v) for n, v in env.items() if is_agentops_env(n)})
