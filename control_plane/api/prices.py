"""/prices and /costs/reprice: an org's price overrides, the models it has no price for, and
re-pricing the calls of a range (see ``services.reprice``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.errors import ConflictError, NotFoundError, ValidationFailedError, found
from control_plane.schemas.prices import (
    RATE_FIELDS,
    CostChangeOut,
    OverrideCreate,
    OverrideDeleteQuery,
    OverrideList,
    OverrideOut,
    RepriceRequest,
    RepriceResult,
    UnpricedModelOut,
    UnpricedModels,
    UnpricedQuery,
)
from control_plane.services import prices, reprice
from control_plane.services.audit import snapshot
from control_plane.store import agents
from control_plane.store import prices as store
from control_plane.store.errors import IntegrityError
from control_plane.store.tables import PriceOverrideRow
from pricing import load_bundled_table

FIELDS = ("model", "provider", *RATE_FIELDS, "discount_percent", "effective_from", "version")
DEFAULT_RANGE = timedelta(days=30)


async def list_overrides(req: ApiRequest) -> OverrideList:
    org_id = req.principal.org_id
    async with req.transaction() as session:
        version = await store.get_override_version(session, org_id)
        rows = await store.list_overrides(session, org_id)
    current = prices.org_prices(version, rows)
    return OverrideList(
        version=version,
        price_version=current.table_at(datetime.now(UTC)).table.version,
        items=[_out(row) for row in rows],
    )


async def set_override(req: ApiRequest) -> OverrideOut:
    body = req.body_as(OverrideCreate)
    org_id = req.principal.org_id
    values = body.model_dump(exclude_unset=True)
    try:
        async with req.transaction() as session:
            version = await store.get_override_version(session, org_id)
            rows = await store.list_overrides(session, org_id)
            _check_applies(rows, body, version)
            previous = await store.get_override(session, org_id, body.model, body.provider)
            before = snapshot(previous, FIELDS) if previous is not None else None
            row = await store.create_override(session, org_id, values, _actor(req))
            await req.audit(
                session, "price_override.set", "price_override", row.id,
                before=before, after=snapshot(row, FIELDS),
            )  # fmt: skip
    except IntegrityError:  # another change took this version first
        raise ConflictError("the org's prices changed meanwhile; send it again") from None
    return _out(row)


async def delete_override(req: ApiRequest) -> None:
    query = req.query_as(OverrideDeleteQuery)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        row = await store.get_override(session, org_id, query.model, query.provider)
        if row is None:
            who = f" ({query.provider})" if query.provider else ""
            raise NotFoundError(f"no price override for {query.model!r}{who}")
        before = snapshot(row, FIELDS)
        version = await store.delete_override(session, row)
        await req.audit(
            session, "price_override.delete", "price_override", row.id,
            before=before, after={"retired_version": version},
        )  # fmt: skip


async def list_unpriced(req: ApiRequest) -> UnpricedModels:
    query = req.query_as(UnpricedQuery)
    end = query.to or datetime.now(UTC)
    try:
        start = query.from_ or end - DEFAULT_RANGE
    except OverflowError:
        raise ValidationFailedError("query: to is too early for the default range") from None
    if start >= end:
        raise ValidationFailedError("query: from must be before to")
    async with req.transaction() as session:
        unpriced = await store.list_unpriced(session, req.principal.org_id, start, end)
    items = [
        UnpricedModelOut(
            model=m.model, provider=m.provider, calls=m.calls,
            first_seen=m.first_seen, last_seen=m.last_seen,
        )
        for m in unpriced
    ]  # fmt: skip
    return UnpricedModels(start=start, end=end, calls=sum(m.calls for m in unpriced), items=items)


async def reprice_costs(req: ApiRequest) -> RepriceResult:
    body = req.body_as(RepriceRequest)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        agent_id = None
        if body.agent is not None:
            agent = found(
                await agents.get_agent_by_name(session, org_id, body.agent),
                f"no agent named {body.agent!r}",
            )
            agent_id = agent.id
        scope = store.CallScope(org_id, body.from_, body.to, body.model, agent_id)
        current = await prices.load_org_prices(session, org_id, req.app_get(app_keys.PRICE_CACHE))
        outcome = await reprice.reprice_calls(
            session, scope, current, actor=_actor(req), dry_run=body.dry_run
        )
        result = _result(body, outcome, current.table_at(body.to).table.version)
        if not body.dry_run:
            await req.audit(
                session, "costs.reprice", "cost_correction_batch", outcome.batch_id,
                after=result.model_dump(mode="json", exclude={"changes"}),
            )  # fmt: skip
    return result


def _check_applies(rows: list[PriceOverrideRow], body: OverrideCreate, version: int) -> None:
    """Refuse an override the pricing rules cannot apply (e.g. a new model with a discount)."""
    others = [
        prices.to_override(r) for r in rows if (r.model, r.provider) != (body.model, body.provider)
    ]
    candidate = PriceOverrideRow(**body.model_dump())
    try:
        prices.build_table(
            load_bundled_table(), [*others, prices.to_override(candidate)], version + 1
        )
    except ValueError as exc:
        raise ValidationFailedError(f"body: {exc}") from None


def _actor(req: ApiRequest) -> str:
    return req.principal.actor_label or req.principal.actor_id


def _out(row: PriceOverrideRow) -> OverrideOut:
    return OverrideOut.model_validate(row, from_attributes=True)


def _result(body: RepriceRequest, outcome: reprice.RepriceTally, version: str) -> RepriceResult:
    changes = [
        CostChangeOut(
            call_id=c.row.call_id, started_at=c.row.started_at, model=c.row.model,
            old_total_usd=c.old_total, new_total_usd=c.new_total,
            old_price_version=c.row.price_version, new_price_version=c.new_version,
        )
        for c in outcome.shown
    ]  # fmt: skip
    return RepriceResult(
        batch_id=None if body.dry_run else outcome.batch_id,
        dry_run=body.dry_run,
        start=body.from_,
        end=body.to,
        price_version=version,
        calls_examined=outcome.examined,
        calls_changed=outcome.changed,
        newly_priced=outcome.newly_priced,
        old_total_usd=outcome.old_total,
        new_total_usd=outcome.new_total,
        delta_usd=outcome.new_total - outcome.old_total,
        changes=changes,
        changes_truncated=outcome.changed > len(changes),
    )
