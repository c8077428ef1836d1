"""Addon: who is calling, on which run; and no AgentOps header or proxy credential goes upstream.

Agent, first match wins: the proxy credentials (``Proxy-Authorization``, sent on the CONNECT
for HTTPS and on each request for plain HTTP), the ``X-AgentOps-Agent`` header, the sidecar's
``default_agent``. With ``pin_agent`` the sidecar's agent is the only identity accepted.
Run: ``X-AgentOps-Run-Id``, else the W3C ``traceparent`` trace id, else a per-agent session.
"""

from __future__ import annotations

import logging
import weakref

from mitmproxy import connection, http

from agentops.settings import ProxySettings
from proxy.identity import (
    Credentials,
    KeyVerifier,
    Sessions,
    clean_name,
    parse_proxy_authorization,
    trace_id,
)
from proxy.state import Identity, call_state

log = logging.getLogger(__name__)

AGENT_HEADER = "x-agentops-agent"
RUN_HEADER = "x-agentops-run-id"
_PREFIX = "x-agentops-"
UNIDENTIFIED = "unidentified"


class Identify:
    def __init__(self, settings: ProxySettings, verifier: KeyVerifier, sessions: Sessions) -> None:
        self._settings = settings
        self._verifier = verifier
        self._sessions = sessions
        # Credentials of a CONNECT hold for every request inside that tunnel.
        self._tunnels: weakref.WeakKeyDictionary[connection.Client, Credentials] = (
            weakref.WeakKeyDictionary()
        )

    def http_connect(self, flow: http.HTTPFlow) -> None:
        credentials = parse_proxy_authorization(flow.request.headers.get("proxy-authorization"))
        flow.request.headers.pop("proxy-authorization", None)
        if credentials is not None:
            self._tunnels[flow.client_conn] = credentials
        elif self._settings.require_credentials:
            flow.response = _proxy_auth_required()

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        headers = flow.request.headers
        credentials = parse_proxy_authorization(headers.get("proxy-authorization"))
        credentials = credentials or self._tunnels.get(flow.client_conn)
        agent_header = clean_name(headers.get(AGENT_HEADER))
        run_header = clean_name(headers.get(RUN_HEADER))
        traceparent = headers.get("traceparent")
        _strip(headers)
        state = call_state(flow)
        if state is None or flow.response is not None:
            return
        org = self._org(credentials)
        if org is None:
            flow.response = _proxy_auth_required()
            return
        agent = self._agent(credentials, agent_header)
        run_id, source = self._run(org, agent, run_header, traceparent)
        state.identity = Identity(org=org, agent=agent, run_id=run_id, run_source=source)

    def _org(self, credentials: Credentials | None) -> str | None:
        if credentials is None:
            return None if self._settings.require_credentials else self._settings.default_org
        return self._verifier.verify(credentials)

    def _agent(self, credentials: Credentials | None, header: str | None) -> str:
        pinned = self._settings.default_agent if self._settings.pin_agent else None
        claimed = credentials.agent if credentials is not None else header
        if pinned is not None:
            if claimed is not None and claimed != pinned:
                log.warning(
                    "agent identity claim ignored: this sidecar is pinned",
                    extra={"claimed_agent": claimed, "agent": pinned},
                )
            return pinned
        return claimed or self._settings.default_agent or UNIDENTIFIED

    def _run(
        self, org: str, agent: str, header: str | None, traceparent: str | None
    ) -> tuple[str, str]:
        if header is not None:
            return header, "header"
        trace = trace_id(traceparent)
        if trace is not None:
            return trace, "traceparent"
        return self._sessions.run_for(org, agent), "session"


def _strip(headers: http.Headers) -> None:
    headers.pop("proxy-authorization", None)
    for name in [n for n in headers if n.lower().startswith(_PREFIX)]:
        headers.pop(name, None)


def _proxy_auth_required() -> http.Response:
    return http.Response.make(
        407,
        b"AgentOps proxy: credentials required (HTTPS_PROXY=http://<agent>:<key>@host:port)\n",
        {"proxy-authenticate": 'Basic realm="agentops"', "content-type": "text/plain"},
    )
