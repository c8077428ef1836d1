"""Shared helpers of the deployment tests: loading manifests, walking pod specs, settings names."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from agentops.settings import ControlPlaneSettings, ProxySettings, Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S_DIR = DEPLOY / "kubernetes"
CHART_DIR = DEPLOY / "helm" / "agentops-hub"
COMPOSE_FILE = DEPLOY / "compose.yaml"
SCHEMAS = Path(__file__).with_name("schemas")
IMAGE_REPOSITORY = "registry.example.com/agentops/agentops-hub"

WORKLOAD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}


def project_version() -> str:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    version: str = data["project"]["version"]
    return version


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    with path.open() as fh:
        docs = [doc for doc in yaml.safe_load_all(fh) if doc is not None]
    for doc in docs:
        assert isinstance(doc, dict), f"{path.name}: a document is not a mapping"
    return docs


def k8s_files() -> list[Path]:
    return sorted(K8S_DIR.glob("*.yaml"))


@cache
def k8s_objects() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, object) for every document of every manifest under deploy/kubernetes."""
    return tuple((path.name, doc) for path in k8s_files() for doc in load_yaml_documents(path))


def object_id(file_name: str, obj: dict[str, Any]) -> str:
    return f"{file_name}:{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = obj["spec"]["template"]["metadata"].get("labels", {})
    return labels


def all_containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """("init" | "main", container) for every container of a pod spec."""
    for container in spec.get("initContainers", []):
        yield "init", container
    for container in spec.get("containers", []):
        yield "main", container


def long_running_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    out = [c for c in spec.get("initContainers", []) if c.get("restartPolicy") == "Always"]
    if obj["kind"] == "Deployment":
        out += spec.get("containers", [])
    return out


def env_map(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def command_line(container: dict[str, Any]) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def proxy_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for _, c in all_containers(pod_spec(obj)) if command_line(c)[:1] == ["proxy"]]


def agent_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for _, c in all_containers(pod_spec(obj)) if "HTTPS_PROXY" in env_map(c)]


# ----------------------------------------------------------------------------------- settings

_ENV_NAME = re.compile(r"^AGENTOPS_[A-Z0-9_]+$")


def settings_env_names() -> set[str]:
    """Every environment variable that agentops.settings reads."""
    names = {f"AGENTOPS_{name.upper()}" for name in Settings.model_fields}
    for section, model in (("PROXY", ProxySettings), ("CONTROL_PLANE", ControlPlaneSettings)):
        names |= {f"AGENTOPS_{section}__{name.upper()}" for name in model.model_fields}
    return names


def is_agentops_env(name: str) -> bool:
    return bool(_ENV_NAME.match(name))


def validate_literal_settings(env: dict[str, str]) -> None:
    """Literal AGENTOPS_* values must parse as their settings fields (e.g. "true" as a bool)."""
    proxy: dict[str, str] = {}
    control_plane: dict[str, str] = {}
    top: dict[str, str] = {}
    for name, value in env.items():
        key = name.removeprefix("AGENTOPS_")
        if key.startswith("PROXY__"):
            proxy[key.removeprefix("PROXY__").lower()] = value
        elif key.startswith("CONTROL_PLANE__"):
            control_plane[key.removeprefix("CONTROL_PLANE__").lower()] = value
        else:
            top[key.lower()] = value
    ProxySettings.model_validate(proxy)
    ControlPlaneSettings.model_validate(control_plane)
    Settings.model_validate({k: v for k, v in top.items() if not v.startswith("${")})
