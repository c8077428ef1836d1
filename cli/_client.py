"""A small blocking client of the control plane API for the CLI, and the login file.

The login file lives in the user's config directory (``click.get_app_dir``:
``~/.config/agentops/cli.json`` on Linux, ``$XDG_CONFIG_HOME`` honoured), mode 0600, not next to
the data; a file left at the old place (``<home>/cli.json``) is moved there on first use. Which
URL and token a command uses is decided in ``cli/_connection.py``.

Every failure to talk to the API is a ``click.ClickException`` (one line on stderr, exit 1, no
traceback): an error answer, a refused token, an unreachable control plane.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from agentops.settings import Settings

API_PREFIX = "/api/v1"


class ApiCallError(click.ClickException):
    """An error answer of the API, shown as ``<status> <code>: <message>``."""


class NotSignedIn(click.ClickException):
    """No token: none given, none saved (or the login file cannot be read)."""


class TokenRefused(ApiCallError):
    """The API answered 401 to the token the command sent (after one refresh, for a login)."""


class Unreachable(ApiCallError):
    """No answer from the control plane, or an answer that is not the API's."""


def config_path() -> Path:
    return Path(click.get_app_dir("agentops")) / "cli.json"


def load_config(settings: Settings) -> dict[str, Any]:
    """The saved login; one left next to the data by an older version is moved here first."""
    path = config_path()
    legacy = settings.home / "cli.json"
    if not path.exists() and legacy.is_file():
        save_config(json.loads(legacy.read_text()))
        legacy.unlink()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NotSignedIn(
            f"cannot read the login file {path} ({exc}): run `agentops login`"
        ) from None
    if not isinstance(data, dict):
        raise NotSignedIn(f"the login file {path} is not a login: run `agentops login`")
    return data


def save_config(data: dict[str, Any]) -> Path:
    """Write the CLI config readable by its owner only (it holds a credential)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    path.chmod(0o600)
    return path


def default_api_url(settings: Settings) -> str:
    cp = settings.control_plane
    host = "127.0.0.1" if cp.host in ("0.0.0.0", "") else cp.host
    return f"http://{host}:{cp.port}"


@dataclass
class ApiClient:
    base_url: str
    token: str | None
    timeout: float = 30.0
    # Set for a user login: an expired access token is renewed once with the refresh token.
    settings: Settings | None = None

    def request(
        self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        try:
            return self._request(method, path, body, query)
        except ApiCallError as exc:
            self._renew_or_raise(exc)
            return self._request(method, path, body, query)

    def _renew_or_raise(self, exc: ApiCallError) -> None:
        """After a 401: renew a saved login once, else say the token was refused."""
        if not exc.message.startswith("401 ") or self.token is None:
            raise exc
        if self._refresh():
            return
        if self.settings is not None:
            raise TokenRefused(
                f"the saved login was refused ({exc.message}): it has expired or was revoked; "
                "run `agentops login` again"
            ) from None
        raise TokenRefused(
            f"the control plane at {self.base_url} refused the token ({exc.message})"
        ) from None

    def _refresh(self) -> bool:
        """Rotate the saved refresh token for a new access token; False when there is none."""
        if self.settings is None:
            return False
        config = load_config(self.settings)
        refresh = config.get("refresh_token")
        if config.get("kind") != "user" or not refresh:
            return False
        saved_token, self.token = self.token, None
        try:
            tokens = self._request("POST", "/auth/refresh-token", {"refresh_token": refresh}, None)
        except ApiCallError:
            self.token = saved_token
            return False
        self.token = tokens["access_token"]
        save_config(
            {**config, "token": tokens["access_token"], "refresh_token": tokens["refresh_token"]},
        )
        return True

    def request_text(self, path: str, query: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """GET a non-JSON document (a CSV export): its text and response headers."""
        try:
            return self._request("GET", path, None, query, raw=True)  # type: ignore[no-any-return]
        except ApiCallError as exc:
            self._renew_or_raise(exc)
            return self._request("GET", path, None, query, raw=True)  # type: ignore[no-any-return]

    def _request(
        self,
        method: str,
        path: str,
        body: Any,
        query: dict[str, Any] | None,
        *,
        raw: bool = False,
    ) -> Any:
        url = self.base_url.rstrip("/") + API_PREFIX + path
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Accept": "*/*" if raw else "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                content = response.read()
                if raw:
                    return content.decode("utf-8"), dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            raise _api_error(exc) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except (OSError, http.client.HTTPException) as exc:  # cut off mid-answer, timed out
            raise self._unreachable(exc) from None
        try:
            return json.loads(content) if content else None
        except ValueError:
            raise self._unreachable("its answer is not JSON: is this the AgentOps API?") from None

    def _unreachable(self, reason: object) -> Unreachable:
        return Unreachable(
            f"cannot reach the control plane at {self.base_url}: {reason} "
            "(choose it with --api-url or AGENTOPS_API_URL)"
        )


def _api_error(exc: urllib.error.HTTPError) -> ApiCallError:
    try:
        error = json.loads(exc.read())["error"]
        message = f"{exc.code} {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        message = f"{exc.code} {exc.reason}"
    return ApiCallError(message)
