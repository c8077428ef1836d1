"""Proxy credentials verified against the key directory synced from the control plane.

The directory lives in memory beside the control state and is fed by the same source (Redis
pub/sub plus resync, or the embedded bus), so verifying a key is a dict lookup and a hash: no
network call on the hot path. The org comes from the key, so one shared proxy serves many orgs.

A directory read is merged per org, never swapped in blind: an org's entries are replaced only
by a read at its held version or newer, and an org absent from the read keeps what it had. So a
Redis restarted empty (or restored from an old dump) cannot make valid keys fail; only a newer
publish of the org (a revocation bumps its version) changes them. Before the first read, a key
cannot be judged at all: the answer is 503 with ``Retry-After``, not a 407 that would tell the
agent its valid key is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from agentops.apikeys import parse_api_key, secret_matches
from agentops.statebus import KeyEntry, MalformedState, decode_entry
from proxy.identity_rules import Credentials, Refused, Verified

log = logging.getLogger(__name__)

UNKNOWN_KEY = "unknown, revoked or wrong API key in the proxy credentials"
NOT_AN_API_KEY = (
    "the proxy credentials' password must be an AgentOps API key with the ingest scope "
    "(HTTPS_PROXY=http://<agent>:aoh_...@host:port)"
)
NOT_LOADED = (
    "this proxy has not loaded its key directory from the control plane yet (starting, or "
    "the state store is unreachable); retry shortly"
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
        retry_after_seconds: int = 1,
    ) -> None:
        self._require = require_credentials
        self._default_org = default_org
        self._clock = clock
        self._entries: dict[str, KeyEntry] = {}
        self._versions: dict[str, int] = {}
        self._loaded = False
        self._retry_after = retry_after_seconds
        self.rejected = 0  # malformed entries skipped
        self.kept = 0  # orgs whose held entries a read did not replace (absent or older there)

    def version(self, org: str) -> int:
        """Version of the org's directory held; -1 when none."""
        return self._versions.get(org, -1)

    @property
    def loaded(self) -> bool:
        """True once one directory read has completed (even an empty one)."""
        return self._loaded

    def replace(self, versions: Mapping[str, int], raw: Mapping[str, bytes]) -> None:
        """Merge a whole directory read (it is small), org by org: an org is replaced when the
        read has it at the held version or newer; an org the read lacks, or has at an older
        version, keeps its entries. A malformed entry is skipped, not fatal."""
        read: dict[str, dict[str, KeyEntry]] = {}
        for public_id, value in raw.items():
            try:
                entry = decode_entry(value, public_id=public_id)
            except MalformedState:
                self.rejected += 1
                log.warning("malformed key directory entry ignored", extra={"key": public_id})
                continue
            read.setdefault(entry.org, {})[public_id] = entry
        merged = {pid: e for pid, e in self._entries.items() if not _newer(e.org, versions, self)}
        kept = {e.org for e in merged.values()}
        for org, entries in read.items():
            if _newer(org, versions, self) or (org not in versions and org not in kept):
                merged.update(entries)
        if kept:
            self.kept += 1
            log.info(
                "key directory read lacked or had older entries; held ones kept",
                extra={"orgs": sorted(kept)[:20]},
            )
        self._versions = {
            org: max(version, self._versions.get(org, -1))
            for org, version in {**self._versions, **versions}.items()
        }
        self._entries, self._loaded = merged, True

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
        if not self._loaded:
            return Refused(NOT_LOADED, status=503, retry_after_seconds=self._retry_after)
        entry = self._entries.get(public_id)
        if entry is None or not secret_matches(secret, entry.secret_hash):
            return Refused(UNKNOWN_KEY)
        if entry.expires_at is not None and _aware(entry.expires_at) <= self._clock():
            return Refused(f"the API key {public_id} has expired")
        return Verified(entry.org, agent=entry.agent, key_id=public_id)


def _newer(org: str, versions: Mapping[str, int], verifier: StateKeyVerifier) -> bool:
    """Does the read carry ``org`` at the held version or a newer one?"""
    return org in versions and versions[org] >= verifier.version(org)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
