"""Which control plane a command talks to, and with which credential: one rule for every command.

Every command that calls the API takes ``--api-url`` (env ``AGENTOPS_API_URL``) and ``--token``
(env ``AGENTOPS_TOKEN``: an access token or an API key). A flag beats its variable, which beats
the login file that ``agentops login`` saved; the URL falls back last to the configured control
plane address. A token given explicitly needs no login file at all, so the emergency commands
work from CI or a pager with nothing but a key. Next to ``agentops up`` (its admin's credentials
in this home) a command with no login signs in as that admin, as ``agentops login`` would.

The older spellings stay: ``--url`` and ``AGENTOPS_URL`` (emergency, approvals, ``runs resume``,
``budgets topup``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from agentops.settings import Settings, load_settings
from cli._client import ApiClient, NotSignedIn, default_api_url, load_config, save_config


@dataclass(frozen=True)
class Connection:
    """The ``--api-url`` and ``--token`` a command was given (None: not given)."""

    api_url: str | None = None
    token: str | None = None

    def client(self, *, authenticated: bool = True) -> ApiClient:
        """A client for this connection (``authenticated=False``: no token, to sign in)."""
        return connect(self.api_url, self.token if authenticated else None, authenticated)

    def request(
        self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        return self.client().request(method, path, body, query)


def connect(api_url: str | None, token: str | None, authenticated: bool = True) -> ApiClient:
    """The one place the URL and the token are chosen: given, else saved, else defaults."""
    if api_url is not None and (token is not None or not authenticated):
        # All given: nothing on this machine is read (an emergency command from CI or a pager).
        return ApiClient(_checked_url(api_url), token)
    settings = load_settings()
    if token is not None or not authenticated:
        saved = _saved_url(settings)
        return ApiClient(_checked_url(api_url or saved or default_api_url(settings)), token)
    config = load_config(settings)
    if not config.get("token"):
        config = _embedded_login(settings, api_url) or config
    if not config.get("token"):
        raise NotSignedIn(
            "not signed in: run `agentops login`, or give --token (env AGENTOPS_TOKEN)"
        )
    base = _checked_url(api_url or config.get("api_url") or default_api_url(settings))
    # The saved login: an expired access token is renewed with its refresh token.
    return ApiClient(base, config["token"], settings=settings)


def _saved_url(settings: Settings) -> str | None:
    """The login file's URL, for a command given its token; an unreadable file is ignored."""
    try:
        url = load_config(settings).get("api_url")
    except NotSignedIn:
        return None
    return url if isinstance(url, str) else None


def _checked_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise click.ClickException(
            f"not a control plane URL: {url!r} (want http(s)://host[:port], from --api-url or "
            "AGENTOPS_API_URL)"
        )
    return url


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
    return save_login(client.base_url, tokens)


def save_login(api_url: str, tokens: dict[str, Any]) -> dict[str, Any]:
    """Save a user's sign-in answer (access and refresh token) as the login file."""
    config = {
        "api_url": api_url,
        "token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "kind": "user",
    }
    save_config(config)
    return config


_API_URL_HELP = (
    "Control plane base URL (env AGENTOPS_API_URL); default: the `agentops login` one, "
    "else the configured host:port."
)
_TOKEN_HELP = (
    "Access token or API key (env AGENTOPS_TOKEN); default: the `agentops login` one. "
    "Needs no login file."
)


def _api_url(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--api-url",
        "api_url",
        envvar=["AGENTOPS_API_URL", "AGENTOPS_URL"],
        default=None,
        metavar="URL",
        help=_API_URL_HELP,
    )(func)


def _token(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--token", envvar="AGENTOPS_TOKEN", default=None, metavar="TOKEN", help=_TOKEN_HELP
    )(func)


def password_option[F: Callable[..., Any]](what: str) -> Callable[[F], F]:
    """``--password`` of the commands that sign in with one (prompted when omitted)."""
    return click.option(
        "--password",
        envvar="AGENTOPS_PASSWORD",
        default=None,
        help=f"{what} (env AGENTOPS_PASSWORD; prompted, hidden, when omitted).",
    )


def url_alias(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--url``: the older name of ``--api-url`` on the commands that had it (hidden)."""
    return click.option("--url", "legacy_url", default=None, hidden=True)(func)


def _as_connection(func: Callable[..., Any], *, with_token: bool) -> Callable[..., Any]:
    """Hand the command one ``api: Connection`` in place of the connection options."""

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        api_url, legacy_url = kwargs.pop("api_url"), kwargs.pop("legacy_url", None)
        if legacy_url is not None and not _given_as_flag("api_url"):
            api_url = legacy_url  # --url beats AGENTOPS_API_URL as --api-url does
        token = kwargs.pop("token") if with_token else None
        return func(*args, api=Connection(api_url, token), **kwargs)

    return command


def _given_as_flag(name: str) -> bool:
    source = click.get_current_context().get_parameter_source(name)
    return source is click.core.ParameterSource.COMMANDLINE


def connection_options[F: Callable[..., Any]](func: F) -> F:
    """``--api-url`` and ``--token``, handed to the command as ``api: Connection``."""
    return _api_url(_token(_as_connection(func, with_token=True)))  # type: ignore[return-value]


def api_url_option[F: Callable[..., Any]](func: F) -> F:
    """``--api-url`` alone, as ``api: Connection``: for the commands that sign in (their
    credential is what they are given: a password, an API key, an invitation)."""
    return _api_url(_as_connection(func, with_token=False))  # type: ignore[return-value]
