"""Prompt and completion capture, off by default (``proxy.capture_content``), always redacted.

Only when capture is on does the record carry the prompt text (the request's prompt parts,
as counted for token estimates) and the completion text (what the provider answered). Before
either leaves the proxy, credentials and e-mail addresses are masked: a prompt that quotes an
API key must not copy it into the store. Org-specific redaction rules belong to the policies;
these built-in rules always apply.
"""

from __future__ import annotations

import json
import re

from proxy.prompt_parts import prompt_parts

MAX_CHARS = 32_000  # per field: enough to read a call, bounded for the spool and the store

_SECRETS = re.compile(
    r"""
    sk-ant-[A-Za-z0-9_\-]{8,}          # Anthropic
    | sk-(?:proj-)?[A-Za-z0-9_\-]{16,}  # OpenAI
    | aoh_[A-Za-z0-9_\-]{8,}            # our own API keys
    | AIza[0-9A-Za-z_\-]{20,}           # Google
    | (?:AKIA|ASIA)[0-9A-Z]{16}         # AWS access key ids
    | gh[pousr]_[A-Za-z0-9]{20,}        # GitHub tokens
    | xox[abposr]-[A-Za-z0-9\-]{10,}    # Slack tokens
    | (?i:bearer)\s+[A-Za-z0-9._\-]{16,}  # bearer tokens pasted into text
    """,
    re.VERBOSE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    text = _SECRETS.sub("[REDACTED:secret]", text)
    return _EMAIL.sub("[REDACTED:email]", text)


def prompt_text(endpoint_name: str, body: bytes) -> str | None:
    """The prompt's text parts, redacted and bounded; None when the body is not JSON."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return bounded(redact(_readable(endpoint_name, parsed)))


def _readable(endpoint_name: str, body: object) -> str:
    """Chat-shaped bodies as ``role: text`` lines (Anthropic's top-level system first); any
    other shape as the text parts the token estimate counts."""
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        lines = []
        if body.get("system"):
            lines.append("system: " + _texts({"content": body["system"]}))
        for message in body["messages"]:
            if isinstance(message, dict):
                role = str(message.get("role", "?"))
                lines.append(f"{role}: {_texts({'content': message.get('content')})}")
        return "\n".join(lines)
    return "\n".join(prompt_parts(endpoint_name, body).texts)


def _texts(fragment: dict[str, object]) -> str:
    return " ".join(prompt_parts("other", fragment).texts)


def completion_text(text: str | None) -> str | None:
    return None if text is None else bounded(redact(text))


def bounded(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…[truncated]"
