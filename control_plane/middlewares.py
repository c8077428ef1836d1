"""Middlewares: request id + access log + metrics (outer), errors to JSON (inner)."""

from __future__ import annotations

import logging
import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from agentops.ids import new_request_id
from agentops.logs import request_id_var
from control_plane.app_keys import SETTINGS
from control_plane.errors import ApiError, ConflictError, PayloadTooLargeError, UnavailableError
from control_plane.metrics import REQUEST_SECONDS, REQUESTS
from control_plane.store.errors import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PoolTimeoutError,
)

log = logging.getLogger("control_plane.access")

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DATABASE_RETRY_AFTER_SECONDS = 5
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request an id (the caller's, when it is safe to echo), time and count it."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        elapsed = time.perf_counter() - started
        route = _route_label(request)
        REQUESTS.labels(request.method, route, str(status)).inc()
        REQUEST_SECONDS.labels(request.method, route).observe(elapsed)
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": route,
                "status": status,
                "ms": round(elapsed * 1000, 1),
            },
        )
        request_id_var.reset(token)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every failure in the one error shape, with the right status."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SETTINGS].control_plane.max_body_bytes
        return error_response(PayloadTooLargeError(f"request body exceeds the {limit}-byte limit"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        # 405 must say what is allowed (RFC 9110); keep aiohttp's Allow header.
        kept = {name: exc.headers[name] for name in ("Allow",) if name in exc.headers}
        return error_response(ApiError(exc.reason, code=code, headers=kept), status=exc.status)
    except IntegrityError:
        # A race the handler's own checks could not see (two concurrent creates, say).
        return error_response(ConflictError("the change conflicts with existing data"))
    except ConnectionResetError:
        # The client went away mid-request (a proxy stopped while shipping): nobody reads the
        # answer, and it is not a server error; the proxy resends what was not acknowledged.
        log.info("client closed the connection before the request was read")
        return error_response(
            ApiError("client closed the connection", code="client_closed"), status=400
        )
    except (OperationalError, InterfaceError, PoolTimeoutError, TimeoutError) as exc:
        # The database refused, dropped or did not answer within its bound: a dependency is
        # missing, which is a 503 the caller may retry, never a 500 or a hang.
        log.warning("database unavailable", extra={"error": type(exc).__name__})
        return error_response(
            UnavailableError(
                "the database is unavailable; retry shortly",
                code="database_unavailable",
                headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
            )
        )
    except Exception:
        log.exception("unhandled error")
        return error_response(ApiError("internal error; quote the request id when reporting it"))


def error_response(exc: ApiError, *, status: int | None = None) -> web.Response:
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "details": exc.details,
            "request_id": request_id_var.get(),
        }
    }
    return web.json_response(body, status=status or exc.status, headers=exc.headers)


def _route_label(request: web.Request) -> str:
    match = request.match_info
    if match.http_exception is not None or match.route.resource is None:
        return "unmatched"
    return match.route.resource.canonical
