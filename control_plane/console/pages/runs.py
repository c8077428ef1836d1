"""Runs: the run browser (filters, keyset pagination) and one run's forensic timeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from control_plane.console.page import Page, with_offset

FILTERS = ("agent", "team", "status", "model", "min_cost", "max_cost", "tag", "from", "to")


async def run_list(page: Page) -> web.StreamResponse:
    f = page.query(*FILTERS, "sort", "cursor")
    query = {k: with_offset(v) if k in ("from", "to") else v for k, v in f.items()}
    runs = await page.api("GET", "/runs", query=query | {"limit": 50})
    return page.render("runs.html", runs=runs, f=f)


async def run_detail(page: Page) -> web.StreamResponse:
    run = await page.api("GET", "/runs/{run_id}")
    events = await page.api("GET", "/events/{run_id}")
    calls = {c.call_id: c for c in run.call_list}
    timeline = _timeline(events.items, calls)
    return page.render("run.html", run=run, timeline=timeline)


def _timeline(events: list[Any], calls: dict[Any, Any]) -> list[dict[str, Any]]:
    """Events in order; a call's event carries the call row (tokens, cost, price version).
    Calls without an event (older records) are placed by their start time."""
    items: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for event in events:
        call = calls.get(event.call_id) if event.call_id else None
        if call is not None:
            seen.add(call.call_id)
        items.append({"at": event.at, "kind": event.kind, "data": event.data, "call": call})
    for call_id, call in calls.items():
        if call_id not in seen:
            items.append({"at": call.started_at, "kind": "call", "data": {}, "call": call})
    items.sort(key=lambda item: item["at"])
    return items
