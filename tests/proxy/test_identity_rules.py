"""``X-AgentOps-Tags``: parsed into the record's tags, bounded, malformed pairs skipped."""

from __future__ import annotations

import pytest

from proxy.identity_rules import MAX_TAGS, parse_tags


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, {}),
        ("", {}),
        ("team=payments, ticket=PAY-42", {"team": "payments", "ticket": "PAY-42"}),
        ("note=a%2Cb%3Dc", {"note": "a,b=c"}),
        ("novalue, =empty-key, ok=1", {"ok": "1"}),
        ("k=" + "x" * 201, {}),
        (",".join(f"k{i}=v" for i in range(50)), {f"k{i}": "v" for i in range(MAX_TAGS)}),
    ],
)
def test_tags_header(header: str | None, tags: dict[str, str]) -> None:
    assert parse_tags(header) == tags
