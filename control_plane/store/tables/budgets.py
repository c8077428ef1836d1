"""budgets and budget_alert_events.

A budget's spend is never stored here: it is derived from the calls (the truth) for the
period window containing "now". ``budget_alert_events`` records each threshold crossing and
each auto-pause once per period: the unique constraint is what makes "once" hold under
concurrent, at-least-once ingestion.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import (
    Base,
    OrgOwned,
    Timestamped,
    created_column,
    id_column,
    one_of,
)
from control_plane.store.tables.calls import ExactMoney

BUDGET_SCOPES = ("org", "team", "agent", "run")
BUDGET_PERIODS = ("daily", "weekly", "monthly", "custom")
ALERT_EVENT_KINDS = ("threshold", "auto_pause")

# Percentages are exact decimals too (ExactMoney is "exact decimal", whatever it counts).
Percent = ExactMoney


class Budget(OrgOwned, Timestamped, Base):
    __tablename__ = "budgets"
    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        one_of("scope", BUDGET_SCOPES),
        one_of("period", BUDGET_PERIODS),
        CheckConstraint("limit_usd >= 0", name="limit_usd"),
        Index(None, "org_id", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(10))
    # Targets by id, so renaming a team or an agent keeps its budgets; names are resolved when
    # the snapshot is built. Deleting the target deletes its budgets.
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(10))
    custom_start: Mapped[datetime | None]
    custom_end: Mapped[datetime | None]
    limit_usd: Mapped[Decimal] = mapped_column(ExactMoney())
    max_calls: Mapped[int | None] = mapped_column(Integer)
    threshold_alert_percent: Mapped[list[str]] = mapped_column(default=list)  # decimal strings
    auto_pause_at_percent: Mapped[Decimal | None] = mapped_column(Percent())
    hard: Mapped[bool] = mapped_column(default=False)
    # The period in which this budget paused its scope, until the worker resumes it.
    paused_period_key: Mapped[str | None] = mapped_column(String(80))


class BudgetAlertEvent(Base):
    __tablename__ = "budget_alert_events"
    __table_args__ = (
        UniqueConstraint("budget_id", "period_key", "kind", "threshold"),
        one_of("kind", ALERT_EVENT_KINDS),
    )

    id: Mapped[uuid.UUID] = id_column()
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    budget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))
    threshold: Mapped[Decimal] = mapped_column(Percent())
    spend_usd: Mapped[Decimal] = mapped_column(ExactMoney())
    limit_usd: Mapped[Decimal] = mapped_column(ExactMoney())
    created_at: Mapped[datetime] = created_column()
