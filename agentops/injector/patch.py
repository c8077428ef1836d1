"""What the injector changes in a pod, as a JSON Patch (RFC 6902). Pure.

A pod is injected when it carries the agent label (its value names the agent the sidecar pins)
and has no ``agentops-proxy`` container yet (reinvocation and re-admission are no-ops). The
``agentops.dev/capture`` annotation (``proxy`` or ``transparent``) overrides the injector's
default mode. Agent containers get the agent environment; a variable the pod already sets is
replaced (a pod cannot opt out of the proxy by pre-setting HTTPS_PROXY), and NODE_OPTIONS keeps
the pod's own options after our preload.
"""

from __future__ import annotations

from typing import Any, cast

from agentops.injector.pod_parts import (
    CA_DIR,
    CA_NAME,
    PROXY_NAME,
    Capture,
    InjectorConfig,
    Obj,
    agent_env,
    ca_init_container,
    capture_init_container,
    proxy_container,
    volumes,
)

Patch = list[Obj]


class NotAPod(ValueError):
    """The admission request's object is not a pod we can read."""


def capture_mode(pod: Obj, config: InjectorConfig) -> Capture:
    annotations = pod.get("metadata", {}).get("annotations") or {}
    value = annotations.get(config.capture_annotation, config.default_capture)
    if value not in ("proxy", "transparent"):
        raise NotAPod(f"annotation {config.capture_annotation} must be proxy or transparent")
    return cast(Capture, value)


def agent_of(pod: Obj, config: InjectorConfig) -> str | None:
    labels = pod.get("metadata", {}).get("labels") or {}
    agent = labels.get(config.agent_label)
    return agent if isinstance(agent, str) and agent else None


def mutate(pod: Obj, config: InjectorConfig) -> Patch:
    """The JSON Patch that injects ``pod``; empty when it is not to be injected."""
    spec = pod.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("containers"), list):
        raise NotAPod("the object has no spec.containers")
    agent = agent_of(pod, config)
    if agent is None or _injected(spec):
        return []
    capture = capture_mode(pod, config)
    ours = [ca_init_container(config), proxy_container(config, agent, capture)]
    if capture == "transparent":
        ours.insert(0, capture_init_container(config))
    patch: Patch = []
    # Ours first: the redirect, the bundle and the proxy are in place before any init
    # container of the pod's own makes a call.
    patch += _prepend(spec, "initContainers", ours)
    patch += _append(spec, "volumes", volumes(config))
    for index, container in enumerate(spec["containers"]):
        patch += _agent_container(index, container, capture)
    return patch


def _injected(spec: Obj) -> bool:
    names = {c.get("name") for key in ("initContainers", "containers") for c in spec.get(key) or []}
    return PROXY_NAME in names


def _prepend(spec: Obj, key: str, items: list[Obj]) -> Patch:
    if not spec.get(key):
        return [{"op": "add", "path": f"/spec/{key}", "value": items}]
    return [
        {"op": "add", "path": f"/spec/{key}/{i}", "value": item} for i, item in enumerate(items)
    ]


def _append(spec: Obj, key: str, items: list[Obj]) -> Patch:
    if not spec.get(key):
        return [{"op": "add", "path": f"/spec/{key}", "value": items}]
    return [{"op": "add", "path": f"/spec/{key}/-", "value": item} for item in items]


def _agent_container(index: int, container: Obj, capture: Capture) -> Patch:
    base = f"/spec/containers/{index}"
    patch: Patch = []
    existing: list[Obj] = list(container.get("env") or [])
    wanted = agent_env(capture)
    if not existing:
        patch.append({"op": "add", "path": f"{base}/env", "value": wanted})
    else:
        positions = {item.get("name"): i for i, item in enumerate(existing)}
        for item in wanted:
            at = positions.get(item["name"])
            if at is None:
                patch.append({"op": "add", "path": f"{base}/env/-", "value": item})
            else:
                patch.append(
                    {
                        "op": "replace",
                        "path": f"{base}/env/{at}",
                        "value": _merged(item, existing[at]),
                    }
                )
    mount = {"name": CA_NAME, "mountPath": CA_DIR, "readOnly": True}
    mounts = container.get("volumeMounts")
    if not mounts:
        patch.append({"op": "add", "path": f"{base}/volumeMounts", "value": [mount]})
    elif not any(m.get("mountPath") == CA_DIR for m in mounts):
        patch.append({"op": "add", "path": f"{base}/volumeMounts/-", "value": mount})
    return patch


def _merged(ours: Obj, theirs: Obj) -> Obj:
    """NODE_OPTIONS keeps the pod's own options (when a plain value) after our preload."""
    value: Any = theirs.get("value")
    if ours["name"] == "NODE_OPTIONS" and isinstance(value, str) and value.strip():
        if ours["value"] in value:
            return {"name": ours["name"], "value": value}
        return {"name": ours["name"], "value": f"{ours['value']} {value.strip()}"}
    return ours
