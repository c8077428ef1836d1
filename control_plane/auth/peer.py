"""The client address a request came from, for per-address limits.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far as
the operator says reverse proxies in front of the API append to it (``forwarded_for_hops``):
with N trusted hops the client is the Nth address from the right; with 0 the header is
ignored and the TCP peer is the client. An attacker who adds fake addresses on the left
cannot move the one read.
"""

from __future__ import annotations

from aiohttp import web


def client_address(request: web.Request, forwarded_for_hops: int) -> str:
    peer = request.remote or "unknown"
    if forwarded_for_hops <= 0:
        return peer
    chain = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    if len(chain) < forwarded_for_hops:
        return peer  # it did not come through every trusted proxy: believe none of it
    return chain[-forwarded_for_hops]
