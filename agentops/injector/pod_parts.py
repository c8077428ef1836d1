"""The containers and volumes the injector adds to a pod, as plain Kubernetes objects.

They mirror ``deploy/kubernetes/41-agent-native-sidecar.yaml``: a CA-bundle init container, the
proxy as a native sidecar (an init container with ``restartPolicy: Always``, Kubernetes >= 1.29)
probed over HTTP, and for transparent capture an init container with NET_ADMIN that installs
the iptables redirect before any other container starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Obj = dict[str, Any]
Capture = Literal["proxy", "transparent"]

CA_DIR = "/ca"
BUNDLE = f"{CA_DIR}/bundle.pem"
PRELOAD = f"{CA_DIR}/node/preload.mjs"
HOME = "/var/lib/agentops"
PROXY_PORT, REVERSE_PORT, ADMIN_PORT, TRANSPARENT_PORT = 8080, 8081, 8082, 15001
PROXY_NAME, CA_NAME, CAPTURE_NAME = "agentops-proxy", "agentops-ca-bundle", "agentops-capture"


@dataclass(frozen=True, slots=True)
class InjectorConfig:
    image: str
    agent_label: str = "agentops.dev/agent"
    capture_annotation: str = "agentops.dev/capture"
    default_capture: Capture = "proxy"
    proxy_secret: str = "agentops-proxy"
    ca_secret: str = "agentops-proxy-ca"
    default_org: str = "default"
    proxy_uid: int = 1337  # the uid the capture rules exempt
    pull_policy: str = "IfNotPresent"


def _restricted(uid: int) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _mount(name: str, path: str, read_only: bool = False) -> Obj:
    mount: Obj = {"name": name, "mountPath": path}
    if read_only:
        mount["readOnly"] = True
    return mount


def _field(path: str) -> Obj:
    return {"valueFrom": {"fieldRef": {"fieldPath": path}}}


def _secret(secret: str, key: str, optional: bool = False) -> Obj:
    ref: Obj = {"name": secret, "key": key}
    if optional:
        ref["optional"] = True
    return {"valueFrom": {"secretKeyRef": ref}}


def _http_probe(path: str, **timing: int) -> Obj:
    return {"httpGet": {"path": path, "port": ADMIN_PORT}, **timing}


def ca_init_container(config: InjectorConfig) -> Obj:
    return {
        "name": CA_NAME,
        "image": config.image,
        "imagePullPolicy": config.pull_policy,
        "args": ["ca", "export", "--out", BUNDLE, "--node-preload"],
        "env": [{"name": "AGENTOPS_PROXY__CA_DIR", "value": f"{HOME}/ca"}],
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": _restricted(config.proxy_uid),
        "volumeMounts": [
            _mount("agentops-home", HOME),
            _mount("agentops-ca", f"{HOME}/ca", read_only=True),
            _mount(CA_NAME, CA_DIR),
            _mount("agentops-tmp", "/tmp"),
        ],
    }


def proxy_container(config: InjectorConfig, agent: str, capture: Capture) -> Obj:
    env: list[Obj] = [
        {"name": "AGENTOPS_PROXY__DEFAULT_AGENT", "value": agent},
        {"name": "AGENTOPS_PROXY__PIN_AGENT", "value": "true"},
        {"name": "POD_NAME", **_field("metadata.name")},
        {"name": "POD_NAMESPACE", **_field("metadata.namespace")},
        {"name": "AGENTOPS_PROXY__PROXY_ID", "value": "$(POD_NAMESPACE)/$(POD_NAME)"},
        {"name": "AGENTOPS_PROXY__DEFAULT_ORG", "value": config.default_org},
        {"name": "AGENTOPS_PROXY__LISTEN_HOST", "value": "127.0.0.1"},
        {"name": "AGENTOPS_PROXY__CONTROL_PLANE_URL", **_secret(config.proxy_secret, "control-plane-url")},
        {"name": "AGENTOPS_PROXY__API_KEY", **_secret(config.proxy_secret, "api-key")},
        {"name": "AGENTOPS_CONTROL_PLANE__REDIS_URL", **_secret(config.proxy_secret, "redis-url", optional=True)},
        {"name": "AGENTOPS_PROXY__CA_DIR", "value": f"{HOME}/ca"},
        {"name": "AGENTOPS_PROXY__SPOOL_DIR", "value": f"{HOME}/spool"},
        {"name": "AGENTOPS_PROXY__SPOOL_MAX_BYTES", "value": "268435456"},
    ]  # fmt: skip
    ports = [
        {"name": "proxy", "containerPort": PROXY_PORT},
        {"name": "proxy-reverse", "containerPort": REVERSE_PORT},
        {"name": "proxy-admin", "containerPort": ADMIN_PORT},
    ]
    if capture == "transparent":
        env.append({"name": "AGENTOPS_PROXY__TRANSPARENT_PORT", "value": str(TRANSPARENT_PORT)})
        ports.append({"name": "proxy-capture", "containerPort": TRANSPARENT_PORT})
    return {
        "name": PROXY_NAME,
        "image": config.image,
        "imagePullPolicy": config.pull_policy,
        "restartPolicy": "Always",
        "args": ["proxy"],
        "ports": ports,
        "env": env,
        "startupProbe": _http_probe("/healthz", periodSeconds=1, failureThreshold=60),
        "readinessProbe": _http_probe("/readyz", periodSeconds=10, timeoutSeconds=3),
        "livenessProbe": _http_probe(
            "/healthz", periodSeconds=15, timeoutSeconds=3, failureThreshold=4
        ),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": _restricted(config.proxy_uid),
        "volumeMounts": [
            _mount("agentops-home", HOME),
            _mount("agentops-ca", f"{HOME}/ca", read_only=True),
            _mount("agentops-spool", f"{HOME}/spool"),
            _mount("agentops-tmp", "/tmp"),
        ],
    }


def capture_init_container(config: InjectorConfig) -> Obj:
    """Root with NET_ADMIN/NET_RAW, once, before anything else: the iptables redirect."""
    return {
        "name": CAPTURE_NAME,
        "image": config.image,
        "imagePullPolicy": config.pull_policy,
        "args": [
            "capture", "init", "--proxy-port", str(TRANSPARENT_PORT),
            "--proxy-uid", str(config.proxy_uid),
        ],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {
            "runAsNonRoot": False,
            "runAsUser": 0,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]},
        },
        # iptables takes its lock in /run/xtables.lock: writable, on a read-only root.
        "volumeMounts": [_mount("agentops-tmp", "/run")],
    }  # fmt: skip


def volumes(config: InjectorConfig) -> list[Obj]:
    return [
        {"name": "agentops-ca", "secret": {"secretName": config.ca_secret, "defaultMode": 0o440}},
        {"name": CA_NAME, "emptyDir": {"sizeLimit": "4Mi"}},
        {"name": "agentops-spool", "emptyDir": {"sizeLimit": "320Mi"}},
        {"name": "agentops-home", "emptyDir": {"sizeLimit": "16Mi"}},
        {"name": "agentops-tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]


def agent_env(capture: Capture) -> list[Obj]:
    """The agent containers' variables (``agentops.agent_env`` for a pod: the bundle and the
    preload live in the shared ``/ca`` volume)."""
    trust = [
        {"name": name, "value": BUNDLE}
        for name in (
            "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
        )
    ]  # fmt: skip
    if capture == "transparent":
        return trust  # the kernel redirects: no proxy variable to honour or to ignore
    url = f"http://127.0.0.1:{PROXY_PORT}"
    no_proxy = "localhost,127.0.0.1,::1,.svc,.cluster.local"
    proxy = [
        {"name": name, "value": value}
        for name, value in (
            ("HTTPS_PROXY", url), ("https_proxy", url), ("HTTP_PROXY", url), ("http_proxy", url),
            ("NO_PROXY", no_proxy), ("no_proxy", no_proxy), ("NODE_USE_ENV_PROXY", "1"),
            ("NODE_OPTIONS", f"--import {PRELOAD}"),
        )
    ]  # fmt: skip
    return proxy + trust
