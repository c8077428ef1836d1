"""A stream split at any byte boundaries yields exactly the facts of the unsplit stream."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.providers.eventstream import FrameDecoder, encode_frame
from tests.proxy.providers.meter import meter
from tests.proxy.providers.samples import Sample

STREAMS = [
    "chat_stream_usage",
    "chat_stream_no_usage",
    "chat_stream_tools",
    "responses_stream",
    "anthropic_stream",
    "gemini_sse",
    "gemini_array",
    "bedrock_stream",
]


@pytest.mark.parametrize("name", STREAMS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_split_gives_identical_facts(
    samples: dict[str, Sample], name: str, data: st.DataObject
) -> None:
    sample = samples[name]
    cuts = data.draw(st.lists(st.integers(1, len(sample.body) - 1), max_size=40))
    whole, whole_text, _ = meter(sample)
    split, split_text, _ = meter(sample, cuts)
    assert split == whole
    assert split_text == whole_text


@pytest.mark.parametrize("name", STREAMS)
def test_byte_by_byte(samples: dict[str, Sample], name: str) -> None:
    sample = samples[name]
    assert meter(sample, range(1, len(sample.body)))[0] == meter(sample)[0]


@given(
    frames=st.lists(
        st.tuples(
            st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=30), max_size=3),
            st.binary(max_size=200),
        ),
        max_size=5,
    ),
    data=st.data(),
)
def test_event_stream_frames_round_trip_under_any_split(
    frames: list[tuple[dict[str, str], bytes]], data: st.DataObject
) -> None:
    frames = [(h, p) for h, p in frames if all(len(k.encode()) < 256 for k in h)]
    body = b"".join(encode_frame(h, p) for h, p in frames)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=20))))
    decoder = FrameDecoder()
    out = []
    for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True):
        out.extend(decoder.feed(body[start:end]))
    assert [(f.headers, f.payload) for f in out] == frames
    assert decoder.pending == 0
