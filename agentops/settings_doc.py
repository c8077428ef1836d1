"""Render the configuration reference (docs/configuration.md) from the Settings model itself.

A test regenerates it and compares, so the reference cannot drift from the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from agentops.settings import Settings

HEADER = """# Configuration reference

Generated from `agentops/settings.py` by `agentops config docs`; a test fails when it drifts.

Every setting is read, highest priority first, from: command-line options where a command offers
them, environment variables (prefix `AGENTOPS_`, nested sections joined with `__`), the TOML file
named by `AGENTOPS_CONFIG_FILE` (top-level keys, `[proxy]` and `[control_plane]` tables), and the
defaults below. Lists and maps are given in the environment as JSON, e.g.
`AGENTOPS_PROXY__UPSTREAM_OVERRIDES='{"api.openai.com": "http://127.0.0.1:9000"}'`.
Paths under `~/.agentops` follow `AGENTOPS_HOME` when it is changed.
"""


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "(section)"
    if isinstance(value, SecretStr):
        return "(secret, set)"
    if value is None:
        return "unset"
    if isinstance(value, list | dict):
        text = json.dumps(value)
        return text if len(text) < 60 else text[:57] + "…"
    return str(value).replace(str(_home()), "~/.agentops") if _home() else str(value)


def _home() -> str:
    return str(Settings.model_fields["home"].default)


def iter_settings(
    model: type[BaseModel] = Settings, prefix: str = "AGENTOPS_"
) -> Iterator[tuple[str, FieldInfo]]:
    """Every leaf setting as (environment variable, field)."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        env = f"{prefix}{name.upper()}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from iter_settings(annotation, env + "__")
        else:
            yield env, field


def render() -> str:
    lines = [HEADER]
    section = ""
    for env, field in iter_settings():
        parts = env.removeprefix("AGENTOPS_").split("__")
        current = parts[0].lower() if len(parts) > 1 else "general"
        if current != section:
            section = current
            lines += [
                "",
                f"## {section}",
                "",
                "| variable | default | meaning |",
                "| --- | --- | --- |",
            ]
        desc = (field.description or "").replace("|", "\\|")
        default = _default(field).replace("|", "\\|")
        lines.append(f"| `{env}` | `{default}` | {desc} |")
    return "\n".join(lines) + "\n"
