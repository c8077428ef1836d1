"""Mask what detectors find in a request body before it is forwarded (pure)."""

from __future__ import annotations

from typing import Any

from policies.detectors import Detector
from policies.facts import _NOT_PROMPT


def redact(body: Any, detectors: tuple[Detector, ...]) -> tuple[Any, dict[str, int]]:
    """``body`` with every finding masked, and how many each detector masked."""
    counts: dict[str, int] = {}
    return _walk(body, None, detectors, counts), counts


def _walk(
    value: Any, key: str | None, detectors: tuple[Detector, ...], counts: dict[str, int]
) -> Any:
    if isinstance(value, str):
        if key in _NOT_PROMPT:
            return value
        for detector in detectors:
            value, n = detector.mask(value)
            if n:
                counts[detector.name] = counts.get(detector.name, 0) + n
        return value
    if isinstance(value, dict):
        return {k: _walk(v, k, detectors, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, key, detectors, counts) for item in value]
    return value
