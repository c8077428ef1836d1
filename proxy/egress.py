"""Addon: calls leave through the company's parent proxy (``proxy.upstream_proxy``), except to
the hosts of ``upstream_no_proxy``.

The forward listener runs in mitmproxy's upstream mode when a parent is set, so tunnels we do
not intercept (every non-LLM host) are relayed to the parent as CONNECTs. Each metered request
decides its own way out once its final target is known (after ``route`` applied any upstream
override): through the parent, or direct for a NO_PROXY host; the reverse listener's calls
take the same way. The parent's credentials come from its URL and are added here, after
``identify`` stripped the agent's own proxy credentials.
"""

from __future__ import annotations

import base64
import weakref
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mitmproxy import connection, http
from mitmproxy.proxy import mode_specs

from proxy.no_proxy import NoProxy

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class ParentProxy:
    scheme: str
    host: str
    port: int
    authorization: str | None  # the Proxy-Authorization value, from the URL's user:password

    @property
    def url(self) -> str:
        """The URL without credentials (mitmproxy's mode spec and logs see only this)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_parent(url: str) -> ParentProxy:
    parts = urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"upstream_proxy must be http://[user:password@]host:port, got {url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"upstream_proxy must not have a path: {url!r}")
    authorization = None
    if parts.username is not None:
        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(secret.encode()).decode()
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    return ParentProxy(parts.scheme, parts.hostname, port, authorization)


class Egress:
    def __init__(self, parent: ParentProxy, no_proxy: NoProxy) -> None:
        self._parent = parent
        self._via = (parent.scheme, (parent.host, parent.port))
        self._no_proxy = no_proxy
        # Client connections that opened a CONNECT tunnel: their requests reach the parent
        # inside a CONNECT of ours, never in absolute form.
        self._tunnelled: weakref.WeakSet[connection.Client] = weakref.WeakSet()

    def http_connect(self, flow: http.HTTPFlow) -> None:
        self._tunnelled.add(flow.client_conn)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None:
            return
        request = flow.request
        if self._no_proxy.bypasses(request.host, request.port):
            flow.server_conn.via = None
            return
        flow.server_conn.via = self._via  # type: ignore[assignment]
        client = flow.client_conn
        if (
            self._parent.authorization
            and isinstance(client.proxy_mode, mode_specs.UpstreamMode)
            and client not in self._tunnelled
        ):
            # A plain-HTTP request sent to our upstream-mode listener goes on to the parent in
            # absolute form: the credentials ride on it. Inside a tunnel they would reach the
            # provider, so they are added to our CONNECT instead (http_connect_upstream).
            request.headers["proxy-authorization"] = self._parent.authorization

    def http_connect_upstream(self, flow: http.HTTPFlow) -> None:
        if self._parent.authorization:
            flow.request.headers["proxy-authorization"] = self._parent.authorization
