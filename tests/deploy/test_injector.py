"""``agentops injector``: AdmissionReview requests in, JSON Patches out; every patched pod is
validated against the Kubernetes schemas of two versions (kubernetes-validate, strict), and the
real TLS server is exercised once end to end."""

from __future__ import annotations

import base64
import copy
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import kubernetes_validate
import pytest
from aiohttp import web

from agentops.injector.patch import mutate
from agentops.injector.pod_parts import BUNDLE, PRELOAD, InjectorConfig
from agentops.injector.server import build_app, tls_context
from tests.harness.ports import free_port
from tests.proxy.helpers import self_signed

VERSIONS = ("1.29.0", "1.33.0")  # the oldest with native sidecars on, and a recent one
CONFIG = InjectorConfig(image="registry.example.com/agentops/agentops-hub:0.1.0")
Obj = dict[str, Any]


def pod(**extra: Any) -> Obj:
    agent: Obj = {"name": "agent", "image": "registry.example.com/acme/bot:1.0"}
    agent.update(extra.pop("container", {}))
    spec: Obj = {"containers": [agent], **extra.pop("spec", {})}
    metadata: Obj = {
        "name": "bot-1",
        "namespace": "agents",
        "labels": {"agentops.dev/agent": "bot"},
    }
    metadata.update(extra)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def apply(document: Obj, patch: list[Obj]) -> Obj:
    """RFC 6902 add/replace, enough for the injector's patches."""
    result = copy.deepcopy(document)
    for op in patch:
        *parents, last = [
            p.replace("~1", "/").replace("~0", "~") for p in op["path"][1:].split("/")
        ]
        target: Any = result
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            if op["op"] == "replace":
                target[int(last)] = op["value"]
            else:
                target.insert(len(target) if last == "-" else int(last), op["value"])
        else:
            assert op["op"] in ("add", "replace")
            target[last] = op["value"]
    return result


def validated(obj: Obj) -> Obj:
    for version in VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)
    return obj


def env_of(container: Obj) -> dict[str, str]:
    return {e["name"]: e.get("value", "<ref>") for e in container.get("env", [])}


def test_a_labelled_pod_gets_the_sidecar_the_bundle_and_every_runtimes_env() -> None:
    patched = validated(apply(pod(), mutate(pod(), CONFIG)))
    init = {c["name"]: c for c in patched["spec"]["initContainers"]}
    assert list(init) == ["agentops-ca-bundle", "agentops-proxy"]
    proxy = init["agentops-proxy"]
    assert proxy["restartPolicy"] == "Always"  # native sidecar: up before the agent
    assert env_of(proxy)["AGENTOPS_PROXY__DEFAULT_AGENT"] == "bot"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert "httpGet" in proxy[probe]
        assert "exec" not in proxy[probe]
    env = env_of(patched["spec"]["containers"][0])
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE",
                 "NODE_EXTRA_CA_CERTS"):  # fmt: skip
        assert env[name] == BUNDLE
    assert env["HTTPS_PROXY"] == env["https_proxy"] == "http://127.0.0.1:8080"
    assert env["NODE_USE_ENV_PROXY"] == "1"
    assert env["NODE_OPTIONS"] == f"--import {PRELOAD}"
    assert "--node-preload" in init["agentops-ca-bundle"]["args"]
    assert mutate(patched, CONFIG) == []  # re-admission: nothing twice


def test_a_pod_cannot_opt_out_by_presetting_the_variables() -> None:
    original = pod(
        container={
            "env": [
                {"name": "HTTPS_PROXY", "value": "http://elsewhere:3128"},
                {"name": "NODE_OPTIONS", "value": "--max-old-space-size=512"},
                {"name": "KEEP", "value": "me"},
            ],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        },
        spec={
            "initContainers": [{"name": "migrate", "image": "acme/migrate:1"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    )
    patched = validated(apply(original, mutate(original, CONFIG)))
    env = env_of(patched["spec"]["containers"][0])
    assert env["HTTPS_PROXY"] == "http://127.0.0.1:8080"
    assert env["NODE_OPTIONS"] == f"--import {PRELOAD} --max-old-space-size=512"
    assert env["KEEP"] == "me"
    names = [c["name"] for c in patched["spec"]["initContainers"]]
    assert names == ["agentops-ca-bundle", "agentops-proxy", "migrate"]  # ours first
    assert {v["name"] for v in patched["spec"]["volumes"]} >= {"data", "agentops-ca-bundle"}


def test_transparent_capture_adds_the_net_admin_init_container_and_no_proxy_variables() -> None:
    original = pod(annotations={"agentops.dev/capture": "transparent"})
    patched = validated(apply(original, mutate(original, CONFIG)))
    first, _, proxy = patched["spec"]["initContainers"]
    assert first["name"] == "agentops-capture"
    assert first["args"][:2] == ["capture", "init"]
    assert "--proxy-uid" in first["args"]
    assert str(CONFIG.proxy_uid) in first["args"]
    assert first["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_RAW"]
    assert proxy["securityContext"]["runAsUser"] == CONFIG.proxy_uid  # the exempted uid
    assert env_of(proxy)["AGENTOPS_PROXY__TRANSPARENT_PORT"] == "15001"
    env = env_of(patched["spec"]["containers"][0])
    assert "HTTPS_PROXY" not in env
    assert env["NODE_EXTRA_CA_CERTS"] == BUNDLE


def test_unlabelled_pods_are_left_alone() -> None:
    original = pod()
    del original["metadata"]["labels"]
    assert mutate(original, CONFIG) == []


# -- the real server ---------------------------------------------------------------------------


@pytest.fixture
async def injector(tmp_path: Path) -> AsyncIterator[tuple[str, ssl.SSLContext]]:
    cert, key, _ = self_signed(tmp_path, "agentops-injector")
    runner = web.AppRunner(build_app(CONFIG), handle_signals=False)
    await runner.setup()
    port = free_port()
    await web.TCPSite(
        runner, "127.0.0.1", port, ssl_context=tls_context(str(cert), str(key))
    ).start()
    yield f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert))
    await runner.cleanup()


def review(obj: Obj, kind: str = "Pod") -> Obj:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                    "kind": {"group": "", "version": "v1", "kind": kind},
                    "operation": "CREATE", "namespace": "agents", "object": obj},
    }  # fmt: skip


async def test_the_tls_server_answers_admission_reviews(
    injector: tuple[str, ssl.SSLContext],
) -> None:
    url, trust = injector
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/mutate", json=review(pod()), ssl=trust) as reply:
            assert reply.status == 200
            answer = await reply.json()
        response = answer["response"]
        assert (answer["kind"], response["uid"], response["allowed"]) == (
            "AdmissionReview", "705ab4f5-6393-11e8-b7cc-42010a800002", True,
        )  # fmt: skip
        assert response["patchType"] == "JSONPatch"
        patch = json.loads(base64.b64decode(response["patch"]))
        validated(apply(pod(), patch))

        bad = pod(annotations={"agentops.dev/capture": "sometimes"})
        async with http.post(f"{url}/mutate", json=review(bad), ssl=trust) as reply:
            refused = (await reply.json())["response"]
        assert refused["allowed"] is False
        assert "capture" in refused["status"]["message"]

        async with http.post(f"{url}/mutate", data=b"{not json", ssl=trust) as reply:
            assert reply.status == 400
            assert (await reply.json())["error"]["code"] == "invalid_json"
        async with http.post(f"{url}/mutate", json={"kind": "Pod"}, ssl=trust) as reply:
            assert reply.status == 400
        async with http.get(f"{url}/healthz", ssl=trust) as reply:
            assert reply.status == 200
