"""Call an API route in process, as the signed-in user: the console's only way to the data.

The route is found by method and path in ``control_plane.routes.ROUTES``, so the permission
is the one the API checks, the inputs go through the same pydantic models (unknown or bad
fields are the same 422), rate limits count, and the services apply their row rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from control_plane.auth.permissions import Permission, is_allowed
from control_plane.auth.principal import Principal
from control_plane.endpoint import ApiRequest, Route
from control_plane.errors import ForbiddenError
from control_plane.ratelimit_check import enforce_rate_limits
from control_plane.routes import ROUTES
from control_plane.validation import check_text, validation_error

_BY_KEY: dict[tuple[str, str], Route] = {(r.method, r.path): r for r in ROUTES}


def has_route(method: str, path: str) -> bool:
    """Whether this build has the API route (pages of features still landing check first)."""
    return (method, path) in _BY_KEY


def can(principal: Principal, permission: Permission | str) -> bool:
    return is_allowed(principal, Permission(permission))


async def call_api(
    request: web.Request,
    principal: Principal,
    method: str,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Any:
    """Run the handler of ``method path`` (path as in the route table, ``{agent_id}`` and
    all: the console route must carry the same path parameters) and return its result."""
    route = _BY_KEY[(method, path)]
    if route.permission is not None and not is_allowed(principal, route.permission):
        raise ForbiddenError(
            f"role {principal.role} lacks permission {route.permission.value}",
            details={"permission": route.permission.value},
        )
    await enforce_rate_limits(request.app, principal)
    parsed_query = _parse(route.query, query, "query")
    parsed_body = _parse(route.body, body, "body")
    return await route.handler(ApiRequest(request, principal, parsed_body, parsed_query))


def _parse(
    model: type[BaseModel] | None, raw: Mapping[str, Any] | None, where: str
) -> BaseModel | None:
    if model is None:
        return None
    data = dict(raw or {})
    check_text(data, where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where) from None
