"""Error reporting: Sentry is initialised only when a DSN is configured."""

from __future__ import annotations

from agentops import __version__
from agentops.settings import Settings


def init_sentry(settings: Settings, component: str) -> bool:
    """Initialise sentry-sdk for ``component``; returns whether it was enabled."""
    if settings.sentry_dsn is None:
        return False
    import sentry_sdk

    def _scrub(event: dict[str, object], _hint: dict[str, object]) -> dict[str, object]:
        # Never ship request headers or bodies: they may carry provider keys or prompts.
        request = event.get("request")
        if isinstance(request, dict):
            request.pop("headers", None)
            request.pop("data", None)
            request.pop("cookies", None)
        return event

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.environment,
        release=f"agentops-hub@{__version__}",
        send_default_pii=False,
        before_send=_scrub,  # type: ignore[arg-type]
    )
    sentry_sdk.set_tag("component", component)
    return True
