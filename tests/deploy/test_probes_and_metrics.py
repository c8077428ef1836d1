"""Every manifest validates against the Kubernetes schemas of two versions (kubernetes-validate,
strict); probes are HTTP (no Python interpreter started each period); the metrics listener is
declared, probed, and open in the Service and NetworkPolicy."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy._support import CHART_DIR, WORKLOAD_KINDS, k8s_objects, object_id, pod_spec

VERSIONS = ("1.29.0", "1.33.0")
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


@pytest.mark.parametrize(
    ("file_name", "obj"), k8s_objects(), ids=[object_id(f, o) for f, o in k8s_objects()]
)
def test_manifest_validates_for_two_kubernetes_versions(
    file_name: str, obj: dict[str, Any]
) -> None:
    for version in VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return [*spec.get("initContainers", []), *spec["containers"]]


WORKLOADS = [(f, o) for f, o in k8s_objects() if o.get("kind") in WORKLOAD_KINDS]


@pytest.mark.parametrize(
    ("file_name", "obj"), WORKLOADS, ids=[object_id(f, o) for f, o in WORKLOADS]
)
def test_probes_are_http_and_proxies_serve_metrics_on_the_pod(
    file_name: str, obj: dict[str, Any]
) -> None:
    for container in _containers(obj):
        for probe in PROBES:
            if probe in container:
                assert "exec" not in container[probe], f"{file_name}: {container['name']} {probe}"
        if container.get("args") == ["proxy"]:
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env["AGENTOPS_PROXY__METRICS_PORT"] == str(ports["proxy-metrics"])
            assert container["readinessProbe"]["httpGet"]["port"] == "proxy-metrics"


def test_chart_probes_are_http() -> None:
    for path in (CHART_DIR / "templates").iterdir():
        text = path.read_text()
        assert "urllib.request" not in text, path.name
    helpers = (CHART_DIR / "templates" / "_helpers.tpl").read_text()
    probe = re.search(r'define "agentops-hub.proxyProbe".*?end', helpers, re.S)
    assert probe is not None
    assert "httpGet" in probe.group(0)


def test_the_metrics_port_is_open_in_the_service_and_network_policies() -> None:
    objects = [o for _, o in k8s_objects()]
    service = next(
        o for o in objects if o["kind"] == "Service" and "egress" in o["metadata"]["name"]
    )
    assert 9090 in {p["port"] for p in service["spec"]["ports"]}
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}
    for name in ("agentops-egress-proxy-ingress", "agentops-sidecar-metrics"):
        opened = {
            port["port"] for rule in policies[name]["spec"]["ingress"] for port in rule["ports"]
        }
        assert 9090 in opened, name
