"""What every provider's stream meter shares: the facts it gathers, the text pieces seen so
far, and the guard that turns a malformed stream into a parse error instead of an exception out
of ``feed`` (the response is passed on to the client whatever the meter makes of it).

A meter subclasses ``TextStreamMeter`` and writes ``_feed`` (decode a chunk, fold its events
into ``_facts`` and ``_texts``) and, where its framing holds bytes back, ``_close``.
"""

from __future__ import annotations

from typing import ClassVar

from proxy.providers.base import ResponseFacts, RunningLength


class TextStreamMeter:
    _errors: ClassVar[tuple[type[Exception], ...]] = (ValueError, TypeError, AttributeError)
    """What a malformed chunk raises; it stops the metering of the stream, not the stream."""

    def __init__(self, facts: ResponseFacts | None = None) -> None:
        self._facts = ResponseFacts() if facts is None else facts
        self._texts: list[str] = []
        self._length = RunningLength(self._texts)
        self._broken = False

    def feed(self, chunk: bytes) -> None:
        if self._broken:
            return
        try:
            self._feed(chunk)
        except self._errors as exc:
            self._broken = True
            self._facts.parse_error = f"stream: {str(exc)[:160]}"

    def first_token_seen(self) -> bool:
        return bool(self._texts)

    def output_text(self) -> str:
        return "".join(self._texts)

    def output_chars(self) -> int:
        return self._length()

    def finish(self) -> ResponseFacts:
        if not self._broken:
            self._close()
        self._facts.completion_text = self.output_text()
        self._facts.output_text_chars = len(self._facts.completion_text)
        return self._facts

    def _feed(self, chunk: bytes) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """The stream ended (and metering did not break): fold what the framing still holds."""
