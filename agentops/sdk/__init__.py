"""The agent-side SDK: tag the LLM calls an agent makes, and report runs directly.

    from agentops import sdk

    client = openai.OpenAI(http_client=httpx.Client(event_hooks=sdk.httpx_hooks()))
    with sdk.tag(run_id="nightly-42", agent="refund-bot", tags={"ticket": "PAY-42"}):
        client.chat.completions.create(...)       # carries X-AgentOps-* headers to the proxy

    reporter = sdk.Reporter("http://control-plane:8000", api_key="aoh_…")
    reporter.report_event("nightly-42", "refund-bot", "step.done", {"step": 3})
    reporter.report_run("nightly-42", "refund-bot", calls=[...], events=[...])

Tagging only adds headers: the proxy strips them before the provider sees the call. Reports
are sent by a background thread with retries and backoff, idempotent by run id (the control
plane stores each call once by call id and each event once by its content), and never block or
fail the agent: a full queue or an unreachable control plane drops the report and logs it.
"""

from agentops.sdk._context import current_headers, tag
from agentops.sdk._hooks import RequestsTagger, async_httpx_hooks, httpx_hooks
from agentops.sdk._reporter import Reporter

__all__ = [
    "Reporter",
    "RequestsTagger",
    "async_httpx_hooks",
    "current_headers",
    "httpx_hooks",
    "tag",
]
