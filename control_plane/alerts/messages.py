"""What an alert says, per channel format (pure)."""

from __future__ import annotations

from typing import Any


def summary(payload: dict[str, Any]) -> str:
    """One line a human reads in Slack or an e-mail subject."""
    budget = payload.get("budget", {})
    name = budget.get("name", "?")
    spend, limit = payload.get("spend_usd", "?"), budget.get("limit_usd", "?")
    if payload.get("type") == "budget.auto_paused":
        return (
            f"Budget {name!r} reached {payload.get('threshold_percent')}%: "
            f"{budget.get('scope')} {budget.get('target') or ''} paused "
            f"(${spend} of ${limit})"
        ).replace("  ", " ")
    if payload.get("type") == "budget.threshold":
        return (
            f"Budget {name!r} crossed {payload.get('threshold_percent')}%: "
            f"${spend} of ${limit} in period {payload.get('period_key')}"
        )
    return str(payload.get("message") or payload.get("type") or "AgentOps alert")


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook JSON: ``text`` is required; blocks add the details."""
    text = summary(payload)
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*AgentOps Hub* — {text}"}}
        ],
    }


def email_text(payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body."""
    lines = [summary(payload), ""]
    lines += [f"{key}: {value}" for key, value in sorted(payload.items()) if key != "budget"]
    for key, value in sorted(payload.get("budget", {}).items()):
        lines.append(f"budget.{key}: {value}")
    return f"[AgentOps] {summary(payload)}", "\n".join(lines) + "\n"
