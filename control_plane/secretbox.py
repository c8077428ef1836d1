"""Secrets at rest: alert channel secrets (webhook signing keys, Slack webhook URLs) are stored
sealed with a key from the settings, never in clear.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under
``control_plane.secrets_key``; ``control_plane.secrets_previous_keys`` still open values sealed
under earlier keys, so a key is rotated by making it previous, setting a new current one and
running ``agentops migrate``, which reseals every row under the current key. Without a
configured key: the embedded mode (SQLite) generates one in ``AGENTOPS_HOME/secrets.key``
(mode 0600); a server deployment (PostgreSQL) derives one from ``control_plane.secret_key``
(HKDF-SHA256), which every replica and the migrate Job already share, and warns that a
dedicated key should be set (docs/security.md).

Stored values are ``enc:v1:<token>``; a value without the prefix is a row written before
sealing existed and is read as it is until ``agentops migrate`` seals it.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from agentops.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
KEY_FILE = "secrets.key"


class SecretUnreadable(Exception):
    """A sealed value no configured key opens (a key was dropped from the settings too soon)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


class SecretBox:
    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self._current = Fernet(current.encode())
        self._all = MultiFernet([self._current, *(Fernet(k.encode()) for k in previous)])

    def seal(self, clear: str) -> str:
        return PREFIX + self._current.encrypt(clear.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before sealing; `agentops migrate` seals it
        try:
            return self._all.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured secrets key opens this value") from None

    def is_current(self, stored: str) -> bool:
        if not stored.startswith(PREFIX):
            return False
        try:
            self._current.decrypt(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        """The value sealed under the current key (clear legacy values included)."""
        return stored if self.is_current(stored) else self.seal(self.open(stored))


def load_box(settings: Settings) -> SecretBox:
    cp = settings.control_plane
    previous = [k.get_secret_value() for k in cp.secrets_previous_keys]
    if cp.secrets_key is not None:
        current = cp.secrets_key.get_secret_value()
    elif cp.database_url.startswith("sqlite"):
        current = _home_key(settings.home)
    else:
        log.warning("control_plane.secrets_key is not set: deriving it from secret_key")
        current = derived_key(cp.secret_key.get_secret_value())
    try:
        return SecretBox(current, previous)
    except ValueError:
        raise ValueError(
            "control_plane.secrets_key and secrets_previous_keys must be Fernet keys "
            "(32 url-safe base64-encoded bytes); make one with `agentops config new-secrets-key`"
        ) from None


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from the token-signing key (a server deployment without its own
    secrets key). Changing secret_key then changes it: set secrets_key before rotating."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"agentops secrets v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())).decode()


def _home_key(home: Path) -> str:
    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new_key() + "\n")
        log.warning(
            "generated a secrets key in %s; set control_plane.secrets_key (the same on every "
            "replica) outside the embedded mode",
            path,
        )
    return path.read_text().strip()
