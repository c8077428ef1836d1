"""control_rules and control_state: the kill-switches and pauses of an org, and the version of
its published control state.

A rule is never updated in place except to lift it: ``lifted_at`` set means no longer in force,
so the table doubles as the history of every emergency action. At most one rule is in force per
(org, scope, target); a kill over a pause lifts the pause and records a new rule.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, created_column, one_of, updated_column

CONTROL_SCOPES = ("org", "team", "agent", "key")
CONTROL_ACTIONS = ("kill", "pause")


class ControlRule(OrgOwned, Base):
    __tablename__ = "control_rules"
    __table_args__ = (
        one_of("scope", CONTROL_SCOPES),
        one_of("action", CONTROL_ACTIONS),
        # One rule in force per target: the partial index is what makes two admins racing on
        # the same agent end with one rule, not two.
        Index(
            "uq_control_rules_in_force",
            "org_id",
            "scope",
            "target",
            unique=True,
            postgresql_where=text("lifted_at IS NULL"),
            sqlite_where=text("lifted_at IS NULL"),
        ),
    )

    scope: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(
        String(200)
    )  # org slug, team or agent name, API key public id
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(1000))
    reference: Mapped[str] = mapped_column(String(64))  # shown to the agent in the refusal
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_by_label: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = created_column()
    lifted_at: Mapped[datetime | None] = mapped_column()
    lifted_by: Mapped[str | None] = mapped_column(String(64))


class ControlState(Base):
    """The org's control-state version: bumped in the transaction of every change, so versions
    follow commit order and never regress, whichever control-plane replica publishes."""

    __tablename__ = "control_state"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = updated_column()
