"""The base every stream meter builds on: text pieces are counted as they come, and a chunk
the meter cannot read stops the metering (a parse error in the facts), never the stream."""

from __future__ import annotations

from proxy.providers.stream_meter import TextStreamMeter


class WordMeter(TextStreamMeter):
    """Each chunk is one text piece; ``!`` is a chunk it cannot read; ``close`` is said last."""

    closed = False

    def _feed(self, chunk: bytes) -> None:
        if chunk == b"!":
            raise ValueError("unreadable")
        self._texts.append(chunk.decode())

    def _close(self) -> None:
        self.closed = True


def test_pieces_are_counted_and_the_end_is_folded() -> None:
    meter = WordMeter()
    assert not meter.first_token_seen()
    meter.feed(b"hello ")
    meter.feed(b"world")
    assert meter.first_token_seen()
    assert meter.output_chars() == len("hello world")
    facts = meter.finish()
    assert meter.closed
    assert facts.completion_text == "hello world"
    assert facts.output_text_chars == len("hello world")
    assert facts.parse_error is None


def test_an_unreadable_chunk_stops_the_metering_not_the_caller() -> None:
    meter = WordMeter()
    meter.feed(b"before")
    meter.feed(b"!")
    meter.feed(b"after")
    facts = meter.finish()
    assert facts.parse_error == "stream: unreadable"
    assert facts.completion_text == "before"
    assert not meter.closed
