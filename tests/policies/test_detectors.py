"""Built-in detectors, the Luhn check, RE2 patterns that cannot stall, and redaction."""

from __future__ import annotations

import time

import pytest

from policies import DETECTORS, compile_pattern, luhn_ok, redact
from policies.detectors import built_in, detectors_for


@pytest.mark.parametrize(
    ("detector", "text", "found"),
    [
        ("api_key", "key sk-proj-abcdefghijklmnopqrstuvwxyz012345", True),
        ("api_key", "anthropic sk-ant-api03-abcdefghijklmnopqrstuvwxyz", True),
        ("api_key", "github ghp_" + "a" * 36, True),
        ("api_key", "the word sk-short is fine", False),
        ("cloud_credential", "AKIAIOSFODNN7EXAMPLE", True),
        ("cloud_credential", "aws_secret_access_key = " + "a" * 40, True),
        ("cloud_credential", "AKIA is a prefix", False),
        (
            "private_key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            True,
        ),
        ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\ncut short", True),
        ("private_key", "-----BEGIN PUBLIC KEY-----", False),
        ("card_number", "card 4111 1111 1111 1111", True),
        ("card_number", "card 4111-1111-1111-1111", True),
        ("card_number", "order 4111 1111 1111 1112", False),  # fails Luhn
        ("card_number", "timestamp 1733371200123", False),
        ("email", "write to a.b+c@example.co.uk", True),
        ("email", "not@an-address", False),
    ],
)
def test_built_in_detectors(detector: str, text: str, found: bool) -> None:
    assert detector in DETECTORS
    assert built_in(detector).found_in(text) is found  # type: ignore[arg-type]


def test_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


def test_patterns_are_re2_and_a_catastrophic_one_cannot_stall() -> None:
    with pytest.raises(ValueError, match="RE2"):
        compile_pattern("(?<=x)y")  # look-behind: backtracking engines only
    with pytest.raises(ValueError, match="longer than"):
        compile_pattern("a" * 1001)
    [evil] = detectors_for([], ["(a+)+$"])
    started = time.perf_counter()
    assert not evil.found_in("a" * 200_000 + "b")
    # Python's re takes exponential time here; RE2 is linear. Printed, not asserted.
    print(f"(a+)+$ over 200k chars: {time.perf_counter() - started:.4f}s")


def test_redact_masks_prompt_strings_only_and_counts() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "mail me at bob@example.com or eve@example.com"},
            {"role": "user", "content": [{"type": "text", "text": "card 4111 1111 1111 1111"}]},
        ],
    }
    masked, counts = redact(body, detectors_for(["email", "card_number"], []))
    assert counts == {"email": 2, "card_number": 1}
    assert masked["model"] == "gpt-4o"
    assert masked["messages"][0]["content"] == ("mail me at [REDACTED:email] or [REDACTED:email]")
    assert masked["messages"][1]["content"][0]["text"] == "card [REDACTED:card_number]"
    assert body["messages"][0]["content"].startswith("mail me at bob")  # input left as it was
