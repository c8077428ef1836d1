"""A small blocking client of the control plane API for the CLI.

The base URL comes from ``--api-url``, else the one saved by ``agentops login``, else the
configured control plane address. The token lives in the user's config directory
(``click.get_app_dir``: ``~/.config/agentops/cli.json`` on Linux, ``$XDG_CONFIG_HOME`` honoured),
mode 0600, not next to the data; a file left at the old place (``<home>/cli.json``) is moved
there on first use.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from agentops.settings import Settings, load_settings

API_PREFIX = "/api/v1"


class ApiCallError(click.ClickException):
    """An error answer of the API, shown as ``<status> <code>: <message>``."""


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
    data: dict[str, Any] = json.loads(path.read_text())
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
            if not exc.message.startswith("401 ") or not self._refresh():
                raise
            return self._request(method, path, body, query)

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
            if not exc.message.startswith("401 ") or not self._refresh():
                raise
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
            raise ApiCallError(
                f"cannot reach the control plane at {self.base_url}: {exc.reason}"
            ) from None
        return json.loads(content) if content else None


def _api_error(exc: urllib.error.HTTPError) -> ApiCallError:
    try:
        error = json.loads(exc.read())["error"]
        message = f"{exc.code} {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        message = f"{exc.code} {exc.reason}"
    return ApiCallError(message)


def make_client(api_url: str | None, *, authenticated: bool = True) -> ApiClient:
    settings = load_settings()
    config = load_config(settings)
    if authenticated and not config.get("token"):
        config = _embedded_login(settings, api_url) or config
    base = api_url or config.get("api_url") or default_api_url(settings)
    token = config.get("token") if authenticated else None
    if authenticated and not token:
        raise click.ClickException("not logged in: run `agentops login` first")
    return ApiClient(base, token, settings=settings)


def _embedded_login(settings: Settings, api_url: str | None) -> dict[str, Any] | None:
    """Next to `agentops up` (its credentials file in this home), sign in as its admin on
    first use, as `agentops login` would: the laptop flow needs no separate login step."""
    path = settings.home / "embedded-admin.json"
    if not path.is_file():
        return None
    admin = json.loads(path.read_text())
    client = ApiClient(api_url or admin.get("api_url") or default_api_url(settings), None)
    tokens = client.request(
        "POST", "/auth/login", {"email": admin["email"], "password": admin["password"]}
    )
    config = {
        "api_url": client.base_url,
        "token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "kind": "user",
    }
    save_config(config)
    return config


api_url_option = click.option(
    "--api-url",
    default=None,
    metavar="URL",
    help="Control plane base URL (default: saved by `agentops login`, else the configured host:port).",
)
