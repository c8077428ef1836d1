"""account_tokens: single-use, expiring tokens that let a person set a password.

Two purposes share one mechanism: an invitation (the invitee sets their first password) and a
password reset (by e-mail or issued by an admin). Only a SHA-256 of the token is stored: the
token is 256 random bits, so there is nothing to brute-force and a stolen table yields no
usable token.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, created_column, one_of

PURPOSES = ("invite", "reset", "admin_reset")  # admin_reset: shown to an admin


class AccountToken(OrgOwned, Base):
    __tablename__ = "account_tokens"
    __table_args__ = (one_of("purpose", PURPOSES),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
