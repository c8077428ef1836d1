"""Plain Kubernetes manifests under deploy/kubernetes: schema-valid and structurally right."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
import pytest

from tests.deploy._support import (
    IMAGE_REPOSITORY,
    SCHEMAS,
    WORKLOAD_KINDS,
    agent_containers,
    all_containers,
    command_line,
    env_map,
    is_agentops_env,
    k8s_files,
    k8s_objects,
    load_yaml_documents,
    long_running_containers,
    object_id,
    pod_labels,
    pod_spec,
    project_version,
    proxy_containers,
    settings_env_names,
    validate_literal_settings,
)

AGENT_LABEL = "agentops.dev/agent"
OBJECTS = k8s_objects()
IDS = [object_id(f, o) for f, o in OBJECTS]
WORKLOADS = [(f, o) for f, o in OBJECTS if o.get("kind") in WORKLOAD_KINDS]
WORKLOAD_IDS = [object_id(f, o) for f, o in WORKLOADS]
AGENT_WORKLOADS = [(f, o) for f, o in WORKLOADS if agent_containers(o)]
AGENT_IDS = [object_id(f, o) for f, o in AGENT_WORKLOADS]


def _find(kind: str, name: str) -> dict[str, Any]:
    for _, obj in OBJECTS:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise AssertionError(f"no {kind}/{name} under deploy/kubernetes")


@cache
def _schema_defs() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / "k8s-v1.29.0-strict.json").read_text())
    return data


def test_manifests_exist_and_parse() -> None:
    files = k8s_files()
    assert files, "no manifests under deploy/kubernetes"
    for path in files:
        assert load_yaml_documents(path), f"{path.name} holds no object"


@pytest.mark.parametrize(("file_name", "obj"), OBJECTS, ids=IDS)
def test_object_has_identity(file_name: str, obj: dict[str, Any]) -> None:
    for field in ("apiVersion", "kind"):
        assert isinstance(obj.get(field), str), file_name
        assert obj[field], file_name
    assert isinstance(obj.get("metadata", {}).get("name"), str), file_name


@pytest.mark.parametrize(("file_name", "obj"), OBJECTS, ids=IDS)
def test_object_matches_kubernetes_schema(file_name: str, obj: dict[str, Any]) -> None:
    schemas = _schema_defs()
    key = f"kind:{obj['apiVersion']}/{obj['kind']}"
    assert key in schemas["$defs"], (
        f"{file_name}: no vendored schema for {key}; add it in tests/deploy/schemas/regenerate.py"
    )
    pointer = key.replace("~", "~0").replace("/", "~1")
    schema = {
        "$schema": schemas["$schema"],
        "$defs": schemas["$defs"],
        "$ref": f"#/$defs/{pointer}",
    }
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in jsonschema_rs.validator_for(schema).iter_errors(obj)
    ]
    assert not errors, f"{object_id(file_name, obj)} is not valid Kubernetes v1.29:\n" + "\n".join(
        errors
    )


def test_object_names_are_unique() -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for file_name, obj in OBJECTS:
        key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        # The two agent examples share their ServiceAccount on purpose (identical objects).
        if key in seen and obj["kind"] != "ServiceAccount":
            raise AssertionError(f"{key} defined in {seen[key]} and {file_name}")
        seen[key] = file_name


@pytest.mark.parametrize(("file_name", "obj"), WORKLOADS, ids=WORKLOAD_IDS)
def test_workload_runs_non_root_hardened(file_name: str, obj: dict[str, Any]) -> None:
    spec = pod_spec(obj)
    pod_sc = spec.get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") is True, file_name
    assert pod_sc.get("runAsUser", 0) != 0, file_name
    assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", file_name
    assert spec.get("automountServiceAccountToken") is False, file_name
    for _, container in all_containers(spec):
        sc = container.get("securityContext", {})
        where = f"{file_name}: container {container['name']}"
        assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
        assert sc.get("runAsUser", pod_sc.get("runAsUser")) != 0, where
        assert sc.get("allowPrivilegeEscalation") is False, where
        assert sc.get("readOnlyRootFilesystem") is True, where
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], where


@pytest.mark.parametrize(("file_name", "obj"), WORKLOADS, ids=WORKLOAD_IDS)
def test_workload_has_resources(file_name: str, obj: dict[str, Any]) -> None:
    for _, container in all_containers(pod_spec(obj)):
        resources = container.get("resources", {})
        where = f"{file_name}: container {container['name']}"
        assert {"cpu", "memory"} <= set(resources.get("requests", {})), where
        assert "memory" in resources.get("limits", {}), where


@pytest.mark.parametrize(("file_name", "obj"), WORKLOADS, ids=WORKLOAD_IDS)
def test_long_running_containers_have_probes(file_name: str, obj: dict[str, Any]) -> None:
    """Ours, that is: the example agent's own container is the user's business."""
    ours = [c for c in long_running_containers(obj) if c["image"].startswith(IMAGE_REPOSITORY)]
    assert ours or obj["kind"] != "Deployment", file_name
    for container in ours:
        where = f"{file_name}: container {container['name']}"
        assert "readinessProbe" in container, where
        assert "livenessProbe" in container, where


@pytest.mark.parametrize(("file_name", "obj"), WORKLOADS, ids=WORKLOAD_IDS)
def test_writable_paths_are_volumes(file_name: str, obj: dict[str, Any]) -> None:
    """Read-only root fs: /tmp and AGENTOPS_HOME must be volumes in every agentops container."""
    spec = pod_spec(obj)
    volumes = {v["name"] for v in spec.get("volumes", [])}
    for _, container in all_containers(spec):
        if not container["image"].startswith(IMAGE_REPOSITORY):
            continue
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        where = f"{file_name}: container {container['name']}"
        assert "/tmp" in mounts, where
        assert "/var/lib/agentops" in mounts, where
        assert set(mounts.values()) <= volumes, where


@pytest.mark.parametrize(("file_name", "obj"), WORKLOADS, ids=WORKLOAD_IDS)
def test_images_are_this_version(file_name: str, obj: dict[str, Any]) -> None:
    for _, container in all_containers(pod_spec(obj)):
        if container["image"].startswith(IMAGE_REPOSITORY):
            assert container["image"] == f"{IMAGE_REPOSITORY}:{project_version()}", file_name


@pytest.mark.parametrize(("file_name", "obj"), WORKLOADS, ids=WORKLOAD_IDS)
def test_env_names_are_real_settings(file_name: str, obj: dict[str, Any]) -> None:
    known = settings_env_names()
    for _, container in all_containers(pod_spec(obj)):
        env = env_map(container)
        unknown = sorted(n for n in env if is_agentops_env(n) and n not in known)
        assert not unknown, f"{file_name}: {container['name']} sets unknown settings {unknown}"
        literal = {n: e["value"] for n, e in env.items() if is_agentops_env(n) and "value" in e}
        validate_literal_settings(literal)


def test_control_plane_deployment() -> None:
    deployment = _find("Deployment", "agentops-control-plane")
    assert deployment["spec"]["replicas"] == 2
    (container,) = pod_spec(deployment)["containers"]
    assert command_line(container) == ["serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = env_map(container)
    for name in (
        "AGENTOPS_CONTROL_PLANE__DATABASE_URL",
        "AGENTOPS_CONTROL_PLANE__REDIS_URL",
        "AGENTOPS_CONTROL_PLANE__SECRET_KEY",
    ):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "agentops-control-plane", name
        assert not ref.get("optional"), name
    assert env["AGENTOPS_CONTROL_PLANE__HOST"]["value"] == "0.0.0.0"
    assert env["AGENTOPS_CONTROL_PLANE__RUN_WORKER"]["value"] == "true"


def test_control_plane_service_targets_the_deployment() -> None:
    service = _find("Service", "agentops-control-plane")
    deployment = _find("Deployment", "agentops-control-plane")
    labels = pod_labels(deployment)
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for c in pod_spec(deployment)["containers"] for p in c["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in port_names


def test_migration_job_runs_migrate_with_the_database_secret() -> None:
    jobs = [o for _, o in OBJECTS if o["kind"] == "Job"]
    assert len(jobs) == 1
    (container,) = pod_spec(jobs[0])["containers"]
    assert command_line(container) == ["migrate"]
    ref = env_map(container)["AGENTOPS_CONTROL_PLANE__DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == "agentops-control-plane"
    assert pod_spec(jobs[0])["restartPolicy"] in ("OnFailure", "Never")
    assert jobs[0]["metadata"]["name"].endswith(project_version().replace(".", "-"))


def test_secret_examples_hold_every_required_key() -> None:
    secrets = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): set(o.get("stringData", {}))
        for _, o in OBJECTS
        if o["kind"] == "Secret"
    }
    for file_name, obj in WORKLOADS:
        namespace = obj["metadata"]["namespace"]
        for _, container in all_containers(pod_spec(obj)):
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if not ref or ref.get("optional") or (namespace, ref["name"]) not in secrets:
                    continue
                assert ref["key"] in secrets[(namespace, ref["name"])], (
                    f"{file_name}: {entry['name']} needs key {ref['key']} of Secret {ref['name']}"
                )


def test_there_are_classic_and_native_sidecar_examples() -> None:
    native = [
        o for _, o in AGENT_WORKLOADS if proxy_containers(o)[0] in pod_spec(o)["initContainers"]
    ]
    classic = [o for _, o in AGENT_WORKLOADS if proxy_containers(o)[0] in pod_spec(o)["containers"]]
    assert native, "an example with a native sidecar (Kubernetes >= 1.29)"
    assert classic, "an example with a classic sidecar"


@pytest.mark.parametrize(("file_name", "obj"), AGENT_WORKLOADS, ids=AGENT_IDS)
def test_sidecar_identity_from_downward_api_and_pinned(file_name: str, obj: dict[str, Any]) -> None:
    (proxy,) = proxy_containers(obj)
    env = env_map(proxy)
    field = env["AGENTOPS_PROXY__DEFAULT_AGENT"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert field == f"metadata.labels['{AGENT_LABEL}']"
    assert pod_labels(obj).get(AGENT_LABEL), f"{file_name}: pod template lacks {AGENT_LABEL}"
    assert env["AGENTOPS_PROXY__PIN_AGENT"]["value"] == "true"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    sa = env["POD_SERVICE_ACCOUNT"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert sa == "spec.serviceAccountName"
    assert env["AGENTOPS_PROXY__LISTEN_HOST"]["value"] == "127.0.0.1"
    for name in ("AGENTOPS_PROXY__CONTROL_PLANE_URL", "AGENTOPS_PROXY__API_KEY"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "agentops-proxy", name
    assert pod_spec(obj).get("shareProcessNamespace") is not True


@pytest.mark.parametrize(("file_name", "obj"), AGENT_WORKLOADS, ids=AGENT_IDS)
def test_agent_trusts_the_exported_ca_bundle(file_name: str, obj: dict[str, Any]) -> None:
    spec = pod_spec(obj)
    volumes = {v["name"]: v for v in spec["volumes"]}
    (agent,) = agent_containers(obj)
    env = env_map(agent)
    assert env["HTTPS_PROXY"]["value"] == "http://127.0.0.1:8080"
    bundle = env["SSL_CERT_FILE"]["value"]
    for name in ("REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE"):
        assert env[name]["value"] == bundle, name
    # Node before 24 ignores HTTPS_PROXY: the preload written beside the bundle routes fetch.
    assert env["NODE_USE_ENV_PROXY"]["value"] == "1"
    preload = bundle.rsplit("/", 1)[0] + "/node/preload.mjs"
    assert env["NODE_OPTIONS"]["value"] == f"--import {preload}"
    mount = next(m for m in agent["volumeMounts"] if bundle.startswith(m["mountPath"] + "/"))
    assert "emptyDir" in volumes[mount["name"]], "the bundle lives on a shared emptyDir"
    writers = [
        c
        for c in spec["initContainers"]
        if command_line(c) == ["ca", "export", "--out", bundle, "--node-preload"]
        and any(m["name"] == mount["name"] for m in c["volumeMounts"])
    ]
    assert writers, (
        f"{file_name}: no init container runs `agentops ca export --out {bundle} --node-preload`"
    )
    assert "restartPolicy" not in writers[0], "the CA export must finish before the agent starts"
    # The CA (with its private key) comes from one Secret shared by every replica, and is
    # mounted into the proxy and the exporter only, never into the agent.
    (proxy,) = proxy_containers(obj)
    ca_dir = env_map(proxy)["AGENTOPS_PROXY__CA_DIR"]["value"]
    ca_mount = next(m for m in proxy["volumeMounts"] if m["mountPath"] == ca_dir)
    assert "secret" in volumes[ca_mount["name"]]
    assert all(m["name"] != ca_mount["name"] for m in agent["volumeMounts"])


@pytest.mark.parametrize(("file_name", "obj"), AGENT_WORKLOADS, ids=AGENT_IDS)
def test_sidecar_spool_on_a_volume_below_its_cap(file_name: str, obj: dict[str, Any]) -> None:
    spec = pod_spec(obj)
    volumes = {v["name"]: v for v in spec["volumes"]}
    (proxy,) = proxy_containers(obj)
    env = env_map(proxy)
    spool_dir = env["AGENTOPS_PROXY__SPOOL_DIR"]["value"]
    mount = next(m for m in proxy["volumeMounts"] if m["mountPath"] == spool_dir)
    volume = volumes[mount["name"]]
    assert "emptyDir" in volume or "persistentVolumeClaim" in volume
    if "emptyDir" in volume:
        size = volume["emptyDir"]["sizeLimit"]
        assert size.endswith("Mi")
        assert int(env["AGENTOPS_PROXY__SPOOL_MAX_BYTES"]["value"]) < int(size[:-2]) * 2**20


@pytest.mark.parametrize(("file_name", "obj"), AGENT_WORKLOADS, ids=AGENT_IDS)
def test_sidecar_starts_before_the_agent(file_name: str, obj: dict[str, Any]) -> None:
    spec = pod_spec(obj)
    (proxy,) = proxy_containers(obj)
    (agent,) = agent_containers(obj)
    if proxy in spec["initContainers"]:
        # Native sidecar (Kubernetes >= 1.29): started, and its startupProbe passed, before the
        # agent; stopped after it.
        assert proxy["restartPolicy"] == "Always"
        assert "startupProbe" in proxy
        assert agent in spec["containers"]
    else:
        # Classic: listed first, and its postStart hook blocks until it answers.
        assert spec["containers"].index(proxy) < spec["containers"].index(agent)
        assert "postStart" in proxy["lifecycle"]
        assert "preStop" in proxy["lifecycle"]


def test_network_policies_select_the_agent_pods() -> None:
    # Egress policies; an ingress-only one (metrics scraping) does not limit the agent's calls.
    policies = [
        o
        for _, o in OBJECTS
        if o["kind"] == "NetworkPolicy" and "Egress" in o["spec"].get("policyTypes", [])
    ]
    assert policies
    for _, obj in AGENT_WORKLOADS:
        labels = pod_labels(obj)
        selecting = [
            p
            for p in policies
            if p["metadata"]["namespace"] == obj["metadata"]["namespace"]
            and p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
        ]
        assert selecting, f"no NetworkPolicy selects {obj['metadata']['name']}"
        for policy in selecting:
            ports = {
                (port.get("protocol", "TCP"), port["port"])
                for rule in policy["spec"]["egress"]
                for port in rule.get("ports", [])
            }
            assert ("UDP", 53) in ports, "DNS must stay reachable"


def test_shared_egress_proxy_requires_credentials() -> None:
    for _, obj in WORKLOADS:
        for proxy in proxy_containers(obj):
            env = env_map(proxy)
            if env.get("AGENTOPS_PROXY__LISTEN_HOST", {}).get("value") != "127.0.0.1":
                assert env["AGENTOPS_PROXY__REQUIRE_CREDENTIALS"]["value"] == "true"
