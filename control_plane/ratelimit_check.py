"""Apply the per-org and per-API-key rate limits to an authenticated caller."""

from __future__ import annotations

from aiohttp import web

from control_plane import app_keys
from control_plane.auth.principal import Principal
from control_plane.errors import RateLimitedError
from control_plane.metrics import RATE_LIMITED
from control_plane.ratelimit import retry_after_header


async def enforce_rate_limits(app: web.Application, principal: Principal) -> None:
    limiter = app[app_keys.RATE_LIMITER]
    limit = app[app_keys.SETTINGS].control_plane.rate_limit_per_minute
    checks = [("org", f"org:{principal.org_id}")]
    if principal.api_key_id is not None:
        checks.append(("api_key", f"key:{principal.api_key_id}"))
    for kind, key in checks:
        retry_after = await limiter.hit(key, limit)
        if retry_after is not None:
            RATE_LIMITED.labels(kind).inc()
            header = retry_after_header(retry_after)
            raise RateLimitedError(
                f"rate limit of {limit} requests per minute per {kind.replace('_', ' ')} "
                f"exceeded; retry in {header} s",
                details={"limit_per_minute": limit, "scope": kind},
                headers={"Retry-After": header},
            )
