"""Where a request goes: reverse endpoints and upstream overrides, decided in ``requestheaders``.

Both rewrites happen before any upstream connection opens (``connection_strategy=lazy``), so they
hold for streamed request bodies too, and one code path meters both proxy modes:

- a request on the reverse listener (``base_url=http://proxy:8081/openai/v1``) arrives in origin
  form; its path prefix names the provider, and it is rewritten to ``https://<provider>/<rest>``;
- a request for a provider host listed in ``upstream_overrides`` is sent to the override's base
  URL instead (regional endpoint, corporate gateway, the tests' fake provider).

Only LLM hosts get a ``CallState``; everything else passes through untouched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from mitmproxy import http
from mitmproxy.proxy import mode_specs

from proxy._mitm import Retarget
from proxy.hosts import HostMatcher
from proxy.state import CallState, Mode, attach

ReverseResolver = Callable[[str], tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class Upstream:
    scheme: str
    host: str
    port: int
    path_prefix: str


def parse_overrides(overrides: Mapping[str, str]) -> dict[str, Upstream]:
    """``{"api.openai.com": "http://127.0.0.1:9000"}`` -> host -> where to send it instead."""
    parsed: dict[str, Upstream] = {}
    for host, base in overrides.items():
        url = urlsplit(base)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"upstream override for {host!r} is not an http(s) URL: {base!r}")
        port = url.port or (443 if url.scheme == "https" else 80)
        parsed[host.lower()] = Upstream(url.scheme, url.hostname, port, url.path.rstrip("/"))
    return parsed


# Reverse paths seen, resolved once each (the query string, which may hold a key, is never
# kept). Paths come from clients, so the memo is bounded: cleared when full.
_REVERSE_MEMO_MAX = 1024


class Route:
    def __init__(
        self,
        intercept: HostMatcher,
        overrides: Mapping[str, str],
        reverse_port: int | None,
        resolve_reverse: ReverseResolver,
    ) -> None:
        self._intercept = intercept
        self._overrides = parse_overrides(overrides)
        self._reverse_port = reverse_port
        self._resolve_reverse = resolve_reverse
        self._reverse_memo: dict[str, tuple[str, str] | None] = {}
        self._retarget = Retarget()

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        request = flow.request
        sockname = flow.client_conn.sockname
        if self._reverse_port is not None and sockname and sockname[1] == self._reverse_port:
            self._reverse(flow, request)
            return
        host, port = request.host, request.port
        if isinstance(flow.client_conn.proxy_mode, mode_specs.TransparentMode):
            # Redirected by the kernel: the target is an IP; the name is the TLS SNI, or the
            # Host header of plain HTTP.
            host = flow.client_conn.sni or request.host_header or host
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if not self._intercept.matches(host, port):
            return
        host = host.lower()
        path = request.path
        attach(flow, _new_state(request, "forward", host, port, path.partition("?")[0]))
        upstream = self._overrides.get(host)
        if upstream is not None:
            # Already addressed where it goes (transparent: the original destination) unless
            # overridden. Each of mitmproxy's host/port setters rewrites the Host header and
            # authority, so the final target is set once.
            self._retarget(
                request, upstream.scheme, upstream.host, upstream.port, upstream.path_prefix + path
            )

    def _reverse(self, flow: http.HTTPFlow, request: http.Request) -> None:
        """A request on the reverse listener: its path prefix names the provider."""
        path = request.path
        bare, sep, query = path.partition("?")
        memo = self._reverse_memo
        if bare in memo:
            target = memo[bare]
        else:
            if len(memo) >= _REVERSE_MEMO_MAX:
                memo.clear()
            target = memo[bare] = self._resolve_reverse(bare)
        if target is None:
            flow.response = _unknown_route(path)
            return
        host, rest = target
        host = host.lower()
        attach(flow, _new_state(request, "reverse", host, 443, rest))
        upstream = self._overrides.get(host)
        if upstream is not None:
            scheme, host, port = upstream.scheme, upstream.host, upstream.port
            rest = upstream.path_prefix + rest
        else:
            scheme, port = "https", 443
        self._retarget(request, scheme, host, port, rest + sep + query)


def _new_state(request: http.Request, mode: Mode, host: str, port: int, path: str) -> CallState:
    """The call as the agent addressed it (provider host, path without the query string),
    before any override."""
    started = request.timestamp_start or time.time()
    return CallState(
        mode=mode,
        host=host,
        port=port,
        path=path,
        method=request.method,
        started_at=datetime.fromtimestamp(started, UTC),
        t_start=started,
    )


def _unknown_route(path: str) -> http.Response:
    first = path.split("?", 1)[0]
    body = {
        "error": {
            "message": f"AgentOps proxy: no provider is mounted at {first!r}. "
            "Use a prefix such as /openai/v1 or /anthropic/v1.",
            "type": "agentops_unknown_route",
            "code": "unknown_route",
        }
    }
    return http.Response.make(404, json.dumps(body), {"content-type": "application/json"})
