"""An org's prices: the bundled table with the org's overrides applied, and who they cover.

``OrgPrices`` is built from the override rows in force and is immutable; ``PriceCache`` (one per
app) keeps the few most recent per (org, override version), so a batch of an org without
overrides costs one small aggregate query and an org with overrides builds its table once per
change. An override with ``effective_from`` applies only to calls started at or after it.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from agentops.wire.record import CostInfo
from control_plane.store import prices as store
from control_plane.store.tables import PriceOverrideRow
from control_plane.store.tables.price_overrides import RATE_COLUMNS
from control_plane.store.types import AsyncSession
from pricing import Cost, PriceOverride, PriceTable, Usage, load_bundled_table, price_call

CACHE_SIZE = 256
log = logging.getLogger(__name__)


def to_override(row: PriceOverrideRow) -> PriceOverride:
    rates = {name: getattr(row, name) for name in RATE_COLUMNS}
    return PriceOverride(
        model=row.model,
        provider=row.provider,
        discount_percent=row.discount_percent,
        effective_date=row.effective_from.date().isoformat() if row.effective_from else None,
        **rates,
    )


def version_label(version: int) -> str:
    return f"org.{version}"


@dataclass(frozen=True, slots=True)
class PricedTable:
    table: PriceTable
    covered: frozenset[str]  # catalogue keys an override changed or added


def build_table(
    base: PriceTable, overrides: Sequence[PriceOverride], version: int, *, strict: bool = True
) -> PricedTable:
    """``base`` with ``overrides`` applied. An override that cannot apply raises ValueError,
    or with ``strict=False`` is left out and logged: a stored override that a newer catalogue
    no longer accepts must not stop ingestion."""
    if not overrides:
        return PricedTable(base, frozenset())
    label = version_label(version)
    try:
        table = base.with_overrides(list(overrides), label)
    except ValueError:
        if strict:
            raise
        table = base.with_overrides(_applicable(base, overrides, label), label)
    return PricedTable(table, table.overridden())


def _applicable(
    base: PriceTable, overrides: Sequence[PriceOverride], label: str
) -> list[PriceOverride]:
    usable: list[PriceOverride] = []
    for override in overrides:
        try:
            base.with_overrides([*usable, override], label)
        except ValueError as exc:
            log.warning("price override %s (%s) left out: %s", override.model, label, exc)
            continue
        usable.append(override)
    return usable


@dataclass(slots=True)
class OrgPrices:
    """The org's override set at one version, and the tables it yields per call time."""

    version: int
    overrides: tuple[tuple[datetime | None, PriceOverride], ...]
    base: PriceTable = field(default_factory=load_bundled_table)
    _tables: dict[tuple[int, ...], PricedTable] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.overrides

    def table_at(self, at: datetime) -> PricedTable:
        applicable = tuple(
            i for i, (since, _) in enumerate(self.overrides) if since is None or since <= at
        )
        found = self._tables.get(applicable)
        if found is None:
            chosen = [self.overrides[i][1] for i in applicable]
            found = build_table(self.base, chosen, self.version, strict=False)
            self._tables[applicable] = found
        return found

    def price(
        self,
        at: datetime,
        model: str | None,
        provider: str | None,
        usage: Usage,
        service_tier: str | None = None,
    ) -> Cost:
        """The call's cost at the prices in force for a call started at ``at``."""
        table = self.table_at(at).table
        return price_call(model, usage, provider=provider, service_tier=service_tier, table=table)

    def covers(self, at: datetime, model: str | None, provider: str | None) -> bool:
        """Whether an override in force at ``at`` covers the model (if not, the catalogue price
        a call already carries stands)."""
        priced = self.table_at(at)
        entry = priced.table.resolve(model, provider) if model else None
        return entry is not None and entry.key in priced.covered


def cost_info(cost: Cost) -> CostInfo:
    """A computed cost as the call record carries it."""
    return CostInfo(
        total_usd=cost.total_usd,
        breakdown=dict(cost.breakdown),
        price_version=cost.price_version,
        priced_model=cost.priced_model,
        unpriced_reason=cost.unpriced_reason,
    )


def org_prices(version: int, rows: Sequence[PriceOverrideRow]) -> OrgPrices:
    return OrgPrices(version, tuple((r.effective_from, to_override(r)) for r in rows))


class PriceCache:
    """Recently used ``OrgPrices`` by (org, override version); owned by the app."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[uuid.UUID, int], OrgPrices] = OrderedDict()

    def get(self, org_id: uuid.UUID, version: int) -> OrgPrices | None:
        found = self._entries.get((org_id, version))
        if found is not None:
            self._entries.move_to_end((org_id, version))
        return found

    def put(self, org_id: uuid.UUID, prices: OrgPrices) -> None:
        self._entries[(org_id, prices.version)] = prices
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


async def load_org_prices(
    session: AsyncSession, org_id: uuid.UUID, cache: PriceCache | None = None
) -> OrgPrices:
    """The org's prices now: one aggregate query, plus the rows when not cached."""
    version = await store.get_override_version(session, org_id)
    if version == 0:
        return OrgPrices(0, ())
    cached = cache.get(org_id, version) if cache is not None else None
    if cached is not None:
        return cached
    prices = org_prices(version, await store.list_overrides(session, org_id))
    if cache is not None:
        cache.put(org_id, prices)
    return prices
