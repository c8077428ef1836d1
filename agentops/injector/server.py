"""The injector's HTTPS server: ``POST /mutate`` answers AdmissionReview (admission.k8s.io/v1)
with the JSON Patch of ``patch.mutate``; ``GET /healthz`` for the kubelet's probes.

A request that is not an AdmissionReview gets a 400 in the API's usual error shape. A pod the
injector cannot read is refused with the reason (the API server shows it to whoever created the
pod), never admitted silently without the proxy.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
from typing import Any

from aiohttp import web

from agentops.injector.patch import NotAPod, mutate
from agentops.injector.pod_parts import InjectorConfig

log = logging.getLogger(__name__)
CONFIG: web.AppKey[InjectorConfig] = web.AppKey("injector_config", InjectorConfig)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def mutate_handler(request: web.Request) -> web.Response:
    try:
        review = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "invalid_json", "the body is not JSON")
    req = review.get("request") if isinstance(review, dict) else None
    if (
        not isinstance(req, dict)
        or review.get("kind") != "AdmissionReview"
        or not isinstance(req.get("uid"), str)
    ):
        return _error(
            400, "not_an_admission_review", "expected an AdmissionReview with a request.uid"
        )
    return web.json_response(
        {
            "apiVersion": review.get("apiVersion", "admission.k8s.io/v1"),
            "kind": "AdmissionReview",
            "response": review_response(req, request.app[CONFIG]),
        }
    )


def review_response(req: dict[str, Any], config: InjectorConfig) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": req["uid"], "allowed": True}
    pod = req.get("object")
    if req.get("kind", {}).get("kind") != "Pod" or not isinstance(pod, dict):
        return response  # the webhook only asks about pods; anything else passes untouched
    try:
        patch = mutate(pod, config)
    except NotAPod as exc:
        log.warning("pod refused by the injector", extra={"reason": str(exc)})
        return {"uid": req["uid"], "allowed": False, "status": {"code": 400, "message": str(exc)}}
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_app(config: InjectorConfig) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[CONFIG] = config
    app.router.add_post("/mutate", mutate_handler)
    app.router.add_get("/healthz", healthz)
    return app


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
