"""Objects named by name or id: ``agentops agents show refund-bot`` as well as by its UUID.

An id is used as given; a name is looked up in the resource's list endpoint (every page)
and must match exactly one object, else the error says what was found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import click

from cli._client import ApiClient
from cli._output import render


@dataclass(frozen=True)
class Kind:
    noun: str
    path: str
    # The field a user names the object by.
    name_field: str = "name"
    query: dict[str, Any] = field(default_factory=dict)

    @property
    def metavar(self) -> str:
        """How a command names the object: by its name field or its id."""
        return f"{self.name_field.upper()}|ID"


AGENT = Kind("agent", "/agents")
BUDGET = Kind("budget", "/budgets")
TEAM = Kind("team", "/teams")
KEY = Kind("key", "/api-keys")
MEMBER = Kind("member", "/org-members", name_field="email")
CHANNEL = Kind("channel", "/alerts/channels")


def is_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def resolve(client: ApiClient, kind: Kind, value: str) -> str:
    """The id of the object ``value`` names (an id is returned as it is)."""
    if is_id(value):
        return value
    query = {**kind.query, "limit": 200}
    if kind is AGENT:
        query["name_prefix"] = value  # the server narrows the pages to read
    found: list[str] = []
    cursor: str | None = None
    while True:
        page = client.request("GET", kind.path, query=query | {"cursor": cursor})
        found += [str(item["id"]) for item in page["items"] if item.get(kind.name_field) == value]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if not found:
        raise click.ClickException(f"no {kind.noun} named {value!r} (give its name or its id)")
    if len(found) > 1:
        raise click.ClickException(
            f"{len(found)} {kind.noun}s are named {value!r}: give the id ({', '.join(found)})"
        )
    return found[0]


def object_path(client: ApiClient, kind: Kind, value: str) -> str:
    """The API path of the object ``value`` names (by name or id)."""
    return f"{kind.path}/{resolve(client, kind, value)}"


def update_named(
    client: ApiClient, kind: Kind, value: str, body: dict[str, Any], output: str, columns: Any
) -> None:
    """PATCH the object ``value`` names with ``body`` and show what the API returns."""
    render(client.request("PATCH", object_path(client, kind, value), body), output, columns)
