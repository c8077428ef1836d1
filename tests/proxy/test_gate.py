"""A gate refusal reaches the agent as the provider's own error and never goes upstream."""

from __future__ import annotations

import openai
import pytest

from proxy.decision import ALLOW, Call, Decision
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records


class KillAgent:
    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.asked: list[Call] = []

    async def decide(self, call: Call) -> Decision:
        self.asked.append(call)
        if call.agent != self.agent:
            return ALLOW
        return Decision(
            action="refuse",
            status=403,
            code="agent_killed",
            message="This agent was stopped by an admin.",
            reference="ref-1",
            reason="kill:agent",
        )


async def test_a_refused_call_gets_a_provider_shaped_403_and_a_refused_record(
    start_proxy: StartProxy, fake_provider: FakeProvider
) -> None:
    gate = KillAgent("rogue")
    proxy = await start_proxy(gate=gate, upstream_overrides={"api.openai.com": fake_provider.url})
    assert proxy.reverse_address is not None
    host, port = proxy.reverse_address
    async with openai.AsyncOpenAI(
        base_url=f"http://{host}:{port}/openai/v1",
        api_key="sk-x",
        max_retries=0,
        default_headers={"X-AgentOps-Agent": "rogue"},
    ) as client:
        with pytest.raises(openai.PermissionDeniedError, match="stopped by an admin"):
            await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=7
            )
    assert fake_provider.requests == []
    [asked] = gate.asked
    assert (asked.model, asked.max_output_tokens, asked.provider) == ("gpt-4o", 7, "openai")
    assert proxy.spool.wait_durable(timeout=10)
    [record] = final_records(proxy.spool.directory).values()
    assert (record["status"], record["http_status"], record["refusal_reason"]) == (
        "refused",
        403,
        "kill:agent",
    )
