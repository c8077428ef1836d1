"""Addon: who is calling, on which run; and no AgentOps header or proxy credential goes upstream.

Agent, first match wins: the proxy credentials (``Proxy-Authorization``, sent on the CONNECT
for HTTPS and on each request for plain HTTP), the ``X-AgentOps-Agent`` header, the sidecar's
``default_agent``. With ``pin_agent`` the sidecar's agent is the only identity accepted.
Org: from the verifier (an API key's org, checked against the synced key directory), else
``default_org`` when credentials are optional. A key bound to an agent refuses any other agent.
Run: ``X-AgentOps-Run-Id``, else the run named in the proxy credentials (``agent;run=R``), else
the W3C ``traceparent`` trace id, else a per-agent session.
Refusals (407 credentials, 403 key bound elsewhere) are JSON in the provider's error shape, so
the agent's SDK shows the reason rather than a bare status.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable

from mitmproxy import connection, http

from agentops.settings import ProxySettings
from proxy.identity_rules import (
    Credentials,
    KeyVerifier,
    Refused,
    Sessions,
    Verified,
    clean_name,
    parse_proxy_authorization,
    parse_tags,
    trace_id,
)
from proxy.providers import refusals
from proxy.state import Identity, call_state

log = logging.getLogger(__name__)

AGENT_HEADER = "x-agentops-agent"
RUN_HEADER = "x-agentops-run-id"
TAGS_HEADER = "x-agentops-tags"
_PREFIX_B = b"x-agentops-"
_SHORTEST = min(len(_PREFIX_B), len(b"traceparent"), len(b"proxy-authorization"))
UNIDENTIFIED = "unidentified"


class Identify:
    def __init__(
        self,
        settings: ProxySettings,
        verifier: KeyVerifier,
        sessions: Sessions,
        intercepted: Callable[[str, int], bool] = lambda host, port: False,
    ) -> None:
        """``intercepted``: whether a CONNECT's host is an LLM host this proxy terminates."""
        self._settings = settings
        self._intercepted = intercepted
        self._verifier = verifier
        self._sessions = sessions
        self._anonymous = Verified(settings.default_org)  # no credentials, none required
        # Credentials of a CONNECT hold for every request inside that tunnel.
        self._tunnels: weakref.WeakKeyDictionary[connection.Client, Credentials] = (
            weakref.WeakKeyDictionary()
        )

    def http_connect(self, flow: http.HTTPFlow) -> None:
        credentials = parse_proxy_authorization(flow.request.headers.get("proxy-authorization"))
        flow.request.headers.pop("proxy-authorization", None)
        if credentials is not None:
            self._tunnels[flow.client_conn] = credentials
        # A shared proxy opens no tunnel to a host it does not intercept on refused (or missing,
        # when required) credentials: a 407 on the CONNECT. A tunnel to an LLM host ends at this
        # proxy (TLS intercepted, upstream connected lazily), so it opens and each request in it
        # is refused with a JSON error the SDK shows; and each request is verified again, so a
        # key revoked mid-connection stops working at once.
        if self._intercepted(flow.request.host, flow.request.port):
            return
        if credentials is None:
            if self._settings.require_credentials:
                flow.response = _refused(Refused(CREDENTIALS_REQUIRED), flow)
            return
        verdict = self._verifier.verify(credentials)
        if isinstance(verdict, Refused):
            # A wrong or malformed key opens no tunnel even when credentials are optional:
            # it must not fall through into the default org.
            flow.response = _refused(verdict, flow)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        read = _take_headers(flow.request.headers)
        credentials = parse_proxy_authorization(read.get(b"proxy-authorization"))
        credentials = credentials or self._tunnels.get(flow.client_conn)
        agent_header = clean_name(read.get(AGENT_HEADER_B))
        run_header = clean_name(read.get(RUN_HEADER_B))
        traceparent = read.get(b"traceparent")
        tags = parse_tags(read.get(TAGS_HEADER_B))
        state = call_state(flow)
        if state is None or flow.response is not None:
            return
        verdict = self._verify(credentials)
        if isinstance(verdict, Refused):
            flow.response = _refused(verdict, flow)
            return
        agent = self._agent(credentials, agent_header)
        if verdict.agent is not None and agent != verdict.agent:
            flow.response = _refused(_bound_elsewhere(verdict.agent, agent), flow)
            return
        org = verdict.org
        run_id, source = self._run(
            org, agent, run_header, credentials.run if credentials else None, traceparent
        )
        state.identity = Identity(
            org=org,
            agent=agent,
            run_id=run_id,
            run_source=source,
            key_id=verdict.key_id,  # only a key the verifier accepted
            tags=tags,
        )

    def _verify(self, credentials: Credentials | None) -> Verified | Refused:
        if credentials is not None:
            return self._verifier.verify(credentials)
        if self._settings.require_credentials:
            return Refused(CREDENTIALS_REQUIRED)
        return self._anonymous

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
        self,
        org: str,
        agent: str,
        header: str | None,
        launched: str | None,
        traceparent: str | None,
    ) -> tuple[str, str]:
        if header is not None:
            return header, "header"
        if launched is not None:
            return launched, "credentials"
        trace = trace_id(traceparent)
        if trace is not None:
            return trace, "traceparent"
        return self._sessions.run_for(org, agent), "session"


AGENT_HEADER_B, RUN_HEADER_B, TAGS_HEADER_B = (
    name.encode() for name in (AGENT_HEADER, RUN_HEADER, TAGS_HEADER)
)


def _take_headers(headers: http.Headers) -> dict[bytes, str]:
    """The headers identity reads (lower-cased names; repeats folded with ", " as
    ``Headers.get`` folds them), with ``Proxy-Authorization`` and every ``X-AgentOps-*`` header
    removed from the request: one pass over the raw fields instead of a scan per header."""
    found: dict[bytes, list[bytes]] = {}
    strip = False
    for name, value in headers.fields:
        if len(name) < _SHORTEST:  # host, accept, user-agent, ...: none of ours
            continue
        lower = name.lower()
        if lower.startswith(_PREFIX_B) or lower == b"proxy-authorization":
            strip = True
        elif lower != b"traceparent":
            continue
        found.setdefault(lower, []).append(value)
    if strip:
        headers.fields = tuple(
            (name, value)
            for name, value in headers.fields
            if not (name.lower().startswith(_PREFIX_B) or name.lower() == b"proxy-authorization")
        )
    return {
        name: ", ".join(v.decode("utf-8", "surrogateescape") for v in values)
        for name, values in found.items()
    }


CREDENTIALS_REQUIRED = "credentials required (HTTPS_PROXY=http://<agent>:<key>@host:port)"


def _bound_elsewhere(bound: str, agent: str) -> Refused:
    return Refused(
        f"this API key is bound to agent {bound!r} and cannot be used as agent {agent!r}",
        status=403,
    )


def _refused(refusal: Refused, flow: http.HTTPFlow) -> http.Response:
    """The refusal in the error shape of the provider the request was meant for (before
    classification: told apart by host and path), so the SDK shows the message."""
    code = {407: "proxy_authentication_required", 503: "proxy_not_ready"}.get(
        refusal.status, "agent_not_allowed"
    )
    message = f"AgentOps proxy: {refusal.message}"
    if _anthropic(flow.request.pretty_host, flow.request.path):
        body = refusals.anthropic_body(refusal.status, message)
    else:
        body = refusals.openai_body(refusal.status, message, code)
    # A proxy still loading its keys is worth retrying; a refused credential is not.
    retry = "true" if refusal.status == 503 else "false"
    headers = {"content-type": "application/json", "x-should-retry": retry}
    if refusal.status == 407:
        headers["proxy-authenticate"] = 'Basic realm="agentops"'
    if refusal.retry_after_seconds is not None:
        headers["retry-after"] = str(refusal.retry_after_seconds)
    return http.Response.make(refusal.status, json.dumps(body).encode(), headers)


def _anthropic(host: str, path: str) -> bool:
    return "anthropic" in host or path.startswith("/anthropic/") or path.startswith("/v1/messages")
