"""Proxy credentials verified against the key directory synced from the control plane.

The directory lives in memory beside the control state and is fed by the same source (Redis
pub/sub plus resync, or the embedded bus), so verifying a key is a dict lookup and a hash: no
network call on the hot path. The org comes from the key, so one shared proxy serves many orgs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from agentops.apikeys import parse_api_key, secret_matches
from agentops.statebus import KeyEntry, MalformedState, decode_entry
from proxy.identity import Credentials, Refused, Verified

log = logging.getLogger(__name__)

UNKNOWN_KEY = "unknown, revoked or wrong API key in the proxy credentials"
NOT_AN_API_KEY = (
    "the proxy credentials' password must be an AgentOps API key with the ingest scope "
    "(HTTPS_PROXY=http://<agent>:aoh_...@host:port)"
)
MALFORMED_KEY = (
    "the API key in the proxy credentials is malformed (mistyped or cut short?): an AgentOps "
    "key reads aoh_<12 characters>_<43 characters>; leave the password empty to name the "
    "agent only"
)


class StateKeyVerifier:
    """``KeyVerifier`` over the key directory. Sources call ``replace``; the hot path ``verify``.

    A password that is not a well-formed key is refused like a wrong key (a key typed one
    character short must not slip into ``default_org``). Only an empty password, when
    credentials are optional, names the agent alone and puts the call in ``default_org``."""

    def __init__(
        self,
        *,
        require_credentials: bool,
        default_org: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._require = require_credentials
        self._default_org = default_org
        self._clock = clock
        self._entries: dict[str, KeyEntry] = {}
        self._versions: dict[str, int] = {}
        self.rejected = 0  # malformed entries skipped

    def version(self, org: str) -> int:
        """Version of the org's directory held; -1 when none."""
        return self._versions.get(org, -1)

    def replace(self, versions: Mapping[str, int], raw: Mapping[str, bytes]) -> None:
        """Swap in a whole directory (it is small); a malformed entry is skipped, not fatal."""
        entries: dict[str, KeyEntry] = {}
        for public_id, value in raw.items():
            try:
                entries[public_id] = decode_entry(value, public_id=public_id)
            except MalformedState:
                self.rejected += 1
                log.warning("malformed key directory entry ignored", extra={"key": public_id})
        self._entries, self._versions = entries, dict(versions)

    def verify(self, credentials: Credentials) -> Verified | Refused:
        parsed = parse_api_key(credentials.key)
        if parsed is None:
            if self._require:
                return Refused(NOT_AN_API_KEY if not credentials.key else MALFORMED_KEY)
            if credentials.key:
                return Refused(MALFORMED_KEY)
            log.debug(
                "proxy credentials carry no API key; agent name only",
                extra={"agent": credentials.agent},
            )
            return Verified(self._default_org)
        public_id, secret = parsed
        entry = self._entries.get(public_id)
        if entry is None or not secret_matches(secret, entry.secret_hash):
            return Refused(UNKNOWN_KEY)
        if entry.expires_at is not None and _aware(entry.expires_at) <= self._clock():
            return Refused(f"the API key {public_id} has expired")
        return Verified(entry.org, agent=entry.agent, key_id=public_id)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
