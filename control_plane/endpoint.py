"""How a route becomes an aiohttp handler: authenticate, authorise, rate-limit, parse, serialise.

A ``Route`` declares everything about an endpoint: method, path, permission, body, query and
response models, status. The OpenAPI document is generated from the same objects, and the
adapter checks that a handler returns exactly the declared model, so the document cannot drift.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel, ValidationError

from agentops.logs import request_id_var
from control_plane import app_keys
from control_plane.auth.authenticate import authenticate
from control_plane.auth.permissions import Permission, is_allowed
from control_plane.auth.principal import Principal
from control_plane.errors import BadRequestError, ForbiddenError, NotFoundError
from control_plane.ratelimit_check import enforce_rate_limits
from control_plane.schemas.common import PageQuery
from control_plane.services import audit
from control_plane.store.pagination import Page
from control_plane.store.types import AsyncSession
from control_plane.validation import check_depth, check_path, check_text, validation_error

# A handler may return a ready aiohttp response for a non-JSON representation (CSV exports).
Handler = Callable[["ApiRequest"], Awaitable[BaseModel | web.StreamResponse | None]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # below /api/v1
    handler: Handler
    permission: Permission | None  # None: public (no credentials)
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Non-JSON representations a handler may return as a ready response (e.g. text/csv);
    # documented in the OpenAPI document beside the JSON model.
    other_media_types: tuple[str, ...] = ()


class Lister[T](Protocol):
    """A store function that lists one page of an org's rows (``OrgTable.page``)."""

    def __call__(
        self, session: AsyncSession, org_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Awaitable[Page[T]]: ...


@dataclass
class ApiRequest:
    """What a handler receives: the parsed inputs, the caller, and its org-scoped transaction."""

    request: web.Request
    caller: Principal | None
    body: BaseModel | None
    query: BaseModel | None

    @property
    def principal(self) -> Principal:
        assert self.caller is not None, "public routes have no principal"
        return self.caller

    def body_as[M: BaseModel](self, model: type[M]) -> M:
        assert isinstance(self.body, model), f"route body is not {model.__name__}"
        return self.body

    def query_as[M: BaseModel](self, model: type[M]) -> M:
        assert isinstance(self.query, model), f"route query is not {model.__name__}"
        return self.query

    def path_id(self, name: str) -> uuid.UUID:
        raw = self.request.match_info[name]
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise NotFoundError(f"no such {name.removesuffix('_id')}: {raw!r}") from None

    def app_get[T](self, key: web.AppKey[T]) -> T:
        return self.request.app[key]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The caller's org-scoped transaction (committed when the block exits cleanly)."""
        async with self.request.app[app_keys.DATABASE].transaction(
            self.principal.org_id
        ) as session:
            yield session

    async def page_of[T](self, session: AsyncSession, lister: Lister[T]) -> Page[T]:
        """The page of the org's rows ``lister`` gives at the query's cursor and limit."""
        query = self.query_as(PageQuery)
        return await lister(session, self.principal.org_id, cursor=query.cursor, limit=query.limit)

    async def audit(
        self,
        session: AsyncSession,
        action: str,
        entity_type: str,
        entity_id: object,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        entry = audit.AuditEntry(action, entity_type, entity_id, before, after)
        await audit.record(session, self.principal, entry)


def make_handler(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        check_path(dict(request.match_info))
        principal = None
        if route.permission is not None:
            principal = await authenticate(request)
            if not is_allowed(principal, route.permission):
                raise ForbiddenError(
                    f"{_who(principal)} lacks permission {route.permission.value}",
                    details={"permission": route.permission.value},
                )
            await enforce_rate_limits(request.app, principal)
        query = _parse_query(request, route.query)
        body = await _parse_body(request, route.body)
        result = await route.handler(ApiRequest(request, principal, body, query))
        if isinstance(result, web.StreamResponse):
            assert result.content_type in route.other_media_types, (
                f"{route.path} returned undocumented {result.content_type}"
            )
            return result
        if route.response is None:
            return web.Response(status=route.status)
        assert isinstance(result, route.response), f"{route.path} must return {route.response}"
        return web.Response(
            status=route.status, text=result.model_dump_json(), content_type="application/json"
        )

    handle.__name__ = route.handler.__name__
    return handle


def _who(principal: Principal) -> str:
    if principal.kind == "user":
        return f"role {principal.role}"
    return f"API key with scopes {sorted(principal.scopes)}"


def _parse_query(request: web.Request, model: type[BaseModel] | None) -> BaseModel | None:
    if model is None:
        return None
    raw = {name: request.query.getone(name) for name in request.query}
    check_text(raw, "query")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, "query") from None


async def _parse_body(request: web.Request, model: type[BaseModel] | None) -> BaseModel | None:
    if model is None:
        return None
    raw = await request.read()
    if not raw.strip():
        raise BadRequestError("request body is empty; send a JSON object", code="malformed_json")
    data = load_json_body(raw)
    check_text(data, "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, "body") from None


def load_json_body(raw: bytes) -> Any:
    """A request body as JSON (no NaN or Infinity, nesting bounded), else a 400."""
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise BadRequestError(
            f"request body is not valid JSON: {exc}", code="malformed_json"
        ) from None
    check_depth(data)
    return data


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them.
    raise ValueError(f"{name} is not valid JSON")


def current_request_id() -> str | None:
    return request_id_var.get()
