"""Who is calling: a signed-in user (with their role in the org) or an API key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from control_plane.store.tables import OrganizationMember, User

Role = Literal["owner", "admin", "team_lead", "member", "viewer"]
Scope = Literal["ingest", "ingest:any-org", "read", "admin"]


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    org_id: uuid.UUID
    # user principals
    user_id: uuid.UUID | None = None
    email: str | None = None
    role: Role | None = None
    team_id: uuid.UUID | None = None  # the team a team_lead leads
    # api-key principals
    api_key_id: uuid.UUID | None = None
    api_key_name: str | None = None
    scopes: frozenset[Scope] = frozenset()
    agent_id: uuid.UUID | None = None  # key bound to one agent

    @classmethod
    def of_member(cls, org_id: uuid.UUID, user: User, member: OrganizationMember) -> Principal:
        """A signed-in user, with their role (and team) in the org."""
        role: Role = member.role  # type: ignore[assignment]  # CHECK constraint guarantees it
        return cls("user", org_id, user.id, user.email, role, member.team_id)

    @property
    def actor_id(self) -> str:
        return str(self.user_id if self.kind == "user" else self.api_key_id)

    @property
    def actor_label(self) -> str | None:
        return self.email if self.kind == "user" else self.api_key_name
