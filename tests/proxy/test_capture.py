"""Content capture is off by default; when on, prompt and completion are recorded, redacted."""

from __future__ import annotations

import openai
import pytest

from proxy.capture import bounded, redact
from proxy.service import ProxyService
from tests.fakeprovider import expected as ex
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.test_service_sdks import only_record

KEY = "sk-test-openai-SECRET-capture-77"
LEAKY_PROMPT = "Use my key sk-proj-ABCDEFGHIJKLMNOPQRSTUV and mail ada@example.com the answer"


async def _call(proxy: ProxyService) -> None:
    assert proxy.reverse_address is not None
    host, port = proxy.reverse_address
    async with openai.AsyncOpenAI(
        base_url=f"http://{host}:{port}/openai/v1", api_key=KEY, max_retries=0
    ) as client:
        await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": LEAKY_PROMPT}]
        )


@pytest.mark.parametrize("capture", [False, True])
async def test_prompt_and_completion_are_captured_only_when_asked_and_always_redacted(
    start_proxy: StartProxy, fake_provider: FakeProvider, capture: bool
) -> None:
    proxy = await start_proxy(
        upstream_overrides={"api.openai.com": fake_provider.url}, capture_content=capture
    )
    await _call(proxy)
    record = only_record(proxy)
    if not capture:
        assert (record["prompt"], record["completion"]) == (None, None)
        return
    assert record["prompt"] == (
        "user: Use my key [REDACTED:secret] and mail [REDACTED:email] the answer"
    )
    assert record["completion"] == ex.REPLY_TEXT
    assert "sk-proj-ABCDEFGHIJKLMNOPQRSTUV" not in str(record)
    assert KEY not in str(record)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-ant-api03-abcdefghij here", "key [REDACTED:secret] here"),
        ("aws AKIAABCDEFGHIJKLMNOP.", "aws [REDACTED:secret]."),
        ("Authorization: Bearer abcdefghijklmnop.qrstu", "Authorization: [REDACTED:secret]"),
        ("ours aoh_0123456789abcdef", "ours [REDACTED:secret]"),
        ("no secrets, just sk-short", "no secrets, just sk-short"),
    ],
)
def test_redaction_masks_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_captured_text_is_bounded() -> None:
    assert bounded("x" * 40_000).endswith("…[truncated]")
    assert len(bounded("x" * 40_000)) < 33_000
