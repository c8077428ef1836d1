"""Gemini and Bedrock (no official SDK among our dev dependencies): raw shapes and knobs."""

from __future__ import annotations

import json

import aiohttp

from proxy.providers.eventstream import FrameDecoder
from tests.fakeprovider import expected as ex
from tests.fakeprovider.server import FakeProvider

GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


async def _post(url: str, body: object, **headers: str) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as r,
    ):
        return r.status, dict(r.headers), await r.read()


async def test_gemini_generate_content(fake_provider: FakeProvider) -> None:
    url = f"{fake_provider.url}/v1beta/models/gemini-2.5-flash:generateContent"
    status, _, body = await _post(url, GEMINI_BODY)
    reply = json.loads(body)
    assert status == 200
    assert reply["candidates"][0]["content"]["parts"][0]["text"] == ex.REPLY_TEXT
    assert reply["usageMetadata"]["thoughtsTokenCount"] == ex.REASONING_TOKENS


async def test_gemini_stream_forms(fake_provider: FakeProvider) -> None:
    base = f"{fake_provider.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    _, headers, sse = await _post(f"{base}?alt=sse", GEMINI_BODY)
    _, _, array = await _post(base, GEMINI_BODY)
    assert headers["Content-Type"].startswith("text/event-stream")
    events = [json.loads(e.removeprefix(b"data: ")) for e in sse.split(b"\r\n\r\n") if e]
    assert [e["candidates"][0]["content"]["parts"][0]["text"] for e in events] == ex.split_text(
        ex.REPLY_TEXT, ex.DEFAULT_CHUNKS
    )
    assert json.loads(array) == events


async def test_bedrock_converse_stream_frames(fake_provider: FakeProvider) -> None:
    url = f"{fake_provider.url}/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse-stream"
    status, headers, body = await _post(url, {"messages": []})
    frames = FrameDecoder().feed(body)
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.amazon.eventstream"
    assert frames[0].headers[":event-type"] == "messageStart"
    assert json.loads(frames[-1].payload)["usage"]["cacheWriteInputTokens"] == 7


async def test_knobs_error_garbage_and_no_usage(fake_provider: FakeProvider) -> None:
    url = f"{fake_provider.url}/model/m/converse"
    status, headers, body = await _post(url, {}, **{"x-fake-status": "429"})
    assert (status, json.loads(body)) == (429, {"message": "fake error"})
    assert headers["x-amzn-ErrorType"].startswith("ThrottlingException")
    _, _, garbage = await _post(url, {}, **{"x-fake-garbage": "1"})
    assert not garbage.startswith(b"{")
    _, _, bare = await _post(url, {}, **{"x-fake-no-usage": "1"})
    assert "usage" not in json.loads(bare)
    gemini = f"{fake_provider.url}/v1beta/models/g:generateContent"
    status, _, body = await _post(gemini, GEMINI_BODY, **{"x-fake-status": "503"})
    assert json.loads(body)["error"]["status"] == "UNAVAILABLE"
