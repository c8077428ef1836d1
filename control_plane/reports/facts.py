"""The input of every report: sums of calls per team, agent, model, provider (and bucket)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class CostFact:
    team_id: uuid.UUID | None
    agent_id: uuid.UUID
    model: str
    provider: str
    bucket: datetime | None  # start of the 15-minute UTC bucket, when asked for
    calls: int
    unpriced_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    # The tokens of the unpriced calls: what the cost leaves out, so it never looks free.
    unpriced_input_tokens: int = 0
    unpriced_output_tokens: int = 0
