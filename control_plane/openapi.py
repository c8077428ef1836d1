"""The OpenAPI 3.1 document, generated from the route table and its pydantic models.

Nothing here is written by hand per endpoint: paths, parameters, bodies, responses and
security all come from ``Route`` objects, so the document describes exactly what the
adapter in ``endpoint`` enforces.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from agentops import __version__
from control_plane.endpoint import Route
from control_plane.schemas.common import ErrorResponse

_PATH_PARAM = re.compile(r"{(\w+)}")
REF = "#/components/schemas/{model}"


def build_openapi(routes: Sequence[Route], prefix: str) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for route in routes:
        if route.body is not None:
            models.append((route.body, "validation"))
        if route.response is not None:
            models.append((route.response, "serialization"))
    refs, defs = models_json_schema(models, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(prefix + route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AgentOps Hub control plane",
            "version": __version__,
            "description": 'Errors share one shape: {"error": {code, message, details, request_id}}.',
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from /auth/login, or an API key aoh_…",
                }
            },
        },
    }


def _operation(route: Route, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": _path_params(route.path) + _query_params(route.query),
        "responses": {
            "default": {
                "description": "Error",
                "content": _json(refs[(ErrorResponse, "serialization")]),
            },
        },
    }
    if route.permission is not None:
        op["security"] = [{"bearer": []}]
        op["x-permission"] = route.permission.value
    else:
        op["security"] = []
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": _json(refs[(route.body, "validation")])}
    if route.response is not None:
        content = _json(refs[(route.response, "serialization")])
        for media_type in route.other_media_types:
            content[media_type] = {"schema": {"type": "string"}}
        success = {"description": "OK", "content": content}
    else:
        success = {"description": "No content"}
    op["responses"][str(route.status)] = success
    return op


# Path parameters that take more than a UUID: a run is found by its id or by the run id its
# records carried (``fwd-1``, ``nightly-42``); a team by its name.
_TEXT_PATH_PARAMS: dict[str, dict[str, Any]] = {
    "run_id": {
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": "The run's id (UUID) or the run id its calls carried (any text).",
    },
    "name": {"schema": {"type": "string", "minLength": 1, "maxLength": 100}},
}
_UUID_PARAM: dict[str, Any] = {"schema": {"type": "string", "format": "uuid"}}


def _path_params(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, **_TEXT_PATH_PARAMS.get(name, _UUID_PARAM)}
        for name in _PATH_PARAM.findall(path)
    ]


def _query_params(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    return [
        {
            "name": name,
            "in": "query",
            "required": name in schema.get("required", []),
            "schema": _without_null(prop),
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema["properties"].items()
    ]


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch of Optional."""
    prop = {k: v for k, v in prop.items() if k not in ("default", "title", "description")}
    options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        prop.update(options[0])
    elif options:
        prop["anyOf"] = options
    return prop


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def openapi_handler(
    routes: Sequence[Route], prefix: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    document = build_openapi(routes, prefix)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(document)

    return openapi


__all__: list[Literal["build_openapi", "openapi_handler"]] = ["build_openapi", "openapi_handler"]
