"""One typed settings object for everything configurable.

Values come, highest priority first, from: keyword arguments, environment variables prefixed
``AGENTOPS_`` (nested with ``__``, e.g. ``AGENTOPS_PROXY__LISTEN_PORT``), a TOML config file named
by ``AGENTOPS_CONFIG_FILE``, and the defaults below. A field's description is the docstring under
it (pydantic's ``use_attribute_docstrings``). ``docs/configuration.md`` lists every field;
``tests/agentops/test_settings_doc.py`` fails when a field is undocumented or lacks a description.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_HOME = Path.home() / ".agentops"

DEFAULT_LLM_HOSTS: tuple[str, ...] = (
    "api.openai.com",
    "api.anthropic.com",
    "generativelanguage.googleapis.com",
    "*-aiplatform.googleapis.com",
    "aiplatform.googleapis.com",
    "*.openai.azure.com",
    "*.cognitiveservices.azure.com",
    "bedrock-runtime.*.amazonaws.com",
    "api.mistral.ai",
    "api.groq.com",
    "api.deepseek.com",
    "api.together.xyz",
    "api.together.ai",
    "api.fireworks.ai",
    "openrouter.ai",
    "api.x.ai",
)


class ProxySettings(BaseModel):
    """The sidecar / egress proxy."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    listen_host: str = "127.0.0.1"
    """Address the forward proxy (HTTPS_PROXY) listens on. Localhost suits a sidecar; a shared proxy binds 0.0.0.0 and must set require_credentials."""
    listen_port: int = 8080
    """Port of the forward proxy (HTTP_PROXY/HTTPS_PROXY, CONNECT)."""
    reverse_port: int = 8081
    """Port of the reverse endpoints (base_url mode, e.g. http://proxy:8081/openai/v1). 0 disables them."""
    transparent_port: int = 0
    """Port of the transparent listener, which receives the agent's connections to ports 80/443 redirected by the kernel (iptables rules installed by agentops capture init; Kubernetes: the chart's transparent mode). It listens on listen_host. 0 disables it."""
    admin_port: int = 8082
    """Port of the proxy's own /healthz, /readyz and /metrics. 0 disables it."""
    metrics_host: str = "0.0.0.0"
    """Address of the metrics listener (metrics_port): in Kubernetes the pod address, so Prometheus scrapes /metrics and the kubelet's HTTP probes reach /healthz and /readyz while the forward proxy and admin_port stay on listen_host."""
    metrics_port: int = 0
    """Port of the metrics listener, a read-only copy of /metrics, /healthz and /readyz on metrics_host. 0 disables it."""
    ca_dir: Path = DEFAULT_HOME / "ca"
    """Directory where the interception CA is created on first start and reused."""
    llm_hosts: list[str] = Field(default_factory=lambda: list(DEFAULT_LLM_HOSTS))
    """Hosts whose TLS is intercepted and metered (fnmatch patterns). Every other host is tunnelled untouched."""
    extra_llm_hosts: list[str] = Field(default_factory=list)
    """Hosts added to llm_hosts (self-hosted OpenAI-compatible servers such as vLLM or Ollama, host or host:port)."""
    upstream_overrides: dict[str, str] = Field(default_factory=dict)
    """Map of provider host to a base URL that replaces it before any upstream connection opens (regional endpoints, corporate gateways, a local fake provider). Example: {"api.openai.com": "http://127.0.0.1:9000"}."""
    upstream_proxy: SecretStr | None = None
    """Parent proxy for corporate egress, http://[user:password@]host:port: every connection the proxy opens goes through it (LLM calls after metering, tunnels to other hosts), except to upstream_no_proxy hosts. Unset: connect directly."""
    upstream_no_proxy: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1", "::1"])
    """Hosts reached directly, not through upstream_proxy, with NO_PROXY semantics: a name matches itself and its subdomains, an IP or CIDR block its addresses, host:port one port, * everything. Applies to the calls the proxy meters (after upstream_overrides); tunnels to other hosts always use the parent, so list those in the agent's own NO_PROXY (agentops run keeps it)."""
    require_credentials: bool = False
    """Refuse calls that carry no proxy credentials (agent:key). Required for a shared egress proxy."""
    default_org: str = "default"
    """Org slug used when a call carries no credentials (sidecar / embedded mode)."""
    default_agent: str | None = None
    """Agent identity of this sidecar when the client gives none. In Kubernetes, set it from the pod through the Downward API."""
    pin_agent: bool = False
    """When true, default_agent is the only identity this sidecar accepts: a client header cannot claim another workload's identity."""
    session_idle_seconds: float = 300.0
    """Idle gap after which a new run starts for an agent that sends no run id or traceparent."""
    capture_content: bool = False
    """Capture prompt and completion text into records (each bounded to 32,000 characters). Credentials and e-mail addresses are always masked before a record is written. Off by default."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP base URL (e.g. http://otel-collector:4318): a gen_ai.* span per call, parented to the caller's traceparent, and the gen_ai.client.* metrics, exported in batches by an exporter process the proxy starts beside itself (python -m proxy.telemetry, idle scheduling priority, 40-60 MiB), restarts if it dies and stops with it; the proxy only hands each call over. Unset: no OpenTelemetry."""
    otlp_metrics_interval_seconds: float = Field(60.0, gt=0)
    """How often the OpenTelemetry metrics are exported."""
    spool_dir: Path = DEFAULT_HOME / "spool"
    """Directory of the durable local record spool."""
    spool_max_bytes: int = 512 * 1024 * 1024
    """Size cap of the spool."""
    durable_before_response: bool = False
    """Hold each response until its record is also fsync'd in the spool, so that not even a kernel crash or power loss can lose the record of a call an agent got an answer to (measured: +0.36 ms p50 per call at concurrency 1, about 20% fewer calls/s per core; docs/benchmarks.md). Off (the default): each record is written to the spool file before its response goes out, so a crash, kill -9 or OOM-kill of the proxy loses nothing, and it is fsync'd within spool_fsync_interval_ms."""
    spool_fsync_interval_ms: float = Field(10.0, ge=0, le=1000)
    """Pause between two spool fsyncs when nobody waits for one; the records written meanwhile share the next fsync. Bounds how long a written record may stay un-fsync'd (exposed only to a kernel crash or power loss, never to a proxy crash). 0: fsync back to back."""
    spool_full_mode: Literal["drop_oldest", "drop_newest", "refuse_calls"] = "drop_oldest"
    """What happens when the spool is full. Every dropped record is counted and logged."""
    control_plane_url: str | None = None
    """URL of the control plane the shipper sends records to. Unset: records are ingested in-process (embedded mode)."""
    api_key: SecretStr | None = None
    """The proxy's API key (scope ingest) for the control plane."""
    ship_batch_size: int = 500
    """Maximum records per shipped batch."""
    ship_interval_seconds: float = 0.5
    """Maximum time a record waits in the spool before a batch is sent."""
    max_request_body_bytes: int = 64 * 1024 * 1024
    """Largest request body the proxy parses for metering; larger bodies are streamed upstream unparsed."""
    state_max_age_seconds: float = 30.0
    """Age of the control state (time since the last confirmed resync) after which stale_state_mode applies; the bound on how long a kill may go unseen."""
    stale_state_mode: Literal["keep_last_known", "refuse_all"] = "keep_last_known"
    """What to do when the control snapshot is older than state_max_age_seconds."""
    start_open: bool = False
    """Serve calls before the first control snapshot arrives (otherwise 503 with Retry-After)."""
    state_resync_seconds: float = 5.0
    """Period of the full versioned resync of control state, which heals missed pub/sub messages."""
    budget_fail_mode: Literal["closed", "open"] = "closed"
    """When the spend counter store is unreachable, hard budgets refuse (closed) or allow (open) calls."""
    approval_timeout_seconds: float = 120.0
    """How long an approval-gated call waits for a human decision."""
    heartbeat_seconds: float = 5.0
    """Period of the proxy's heartbeat to the control plane."""
    proxy_id: str | None = None
    """Name this proxy reports in heartbeats (defaults to hostname:port)."""
    azure_deployments: dict[str, str] = Field(default_factory=dict)
    """Azure OpenAI deployment name to model name, for pricing."""

    @field_validator("upstream_proxy")
    @classmethod
    def _parent_proxy_url(cls, value: SecretStr | None) -> SecretStr | None:
        """The URL may hold a password: errors name the problem, never the value."""
        if value is None or not value.get_secret_value().strip():
            return None
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected http://[user:password@]host:port")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError("a proxy URL has no path")
        return SecretStr(value.get_secret_value().strip())


class AuthSettings(BaseModel):
    """Accounts and sessions: password guessing limits, password hashing bound, tokens."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    login_failures_per_account: int = Field(10, ge=1)
    """Failed logins allowed per e-mail address within login_window_seconds; beyond it the account is locked for the rest of the window (429 with Retry-After) and the org's alert channels are told."""
    login_failures_per_address: int = Field(50, ge=1)
    """Failed logins allowed per client address within login_window_seconds (429 with Retry-After beyond)."""
    login_window_seconds: int = Field(900, ge=1)
    """Window of the failed-login counters, and the lockout length."""
    forwarded_for_hops: int = Field(0, ge=0)
    """Trusted reverse proxies in front of the API. 0: the client address is the TCP peer and X-Forwarded-For is ignored; N: the Nth address from the right of X-Forwarded-For."""
    password_hash_concurrency: int = Field(1, ge=1)
    """Password hashes computed at once per process (argon2 uses a core each); the rest wait in a queue."""
    password_hash_queue: int = Field(16, ge=0)
    """Password hashes allowed to wait; beyond it the request is answered 503 with Retry-After, so a login flood cannot starve the API."""
    invite_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)
    """Lifetime of an invitation token."""
    reset_ttl_seconds: int = Field(3600, ge=60)
    """Lifetime of a password-reset token."""
    open_signup: bool = True
    """Allow POST /auth/signup to create new orgs. Turn off when orgs are created by `agentops admin bootstrap` and people join by invitation."""


class ControlPlaneSettings(BaseModel):
    """The aiohttp control plane (API, worker, web UI)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    host: str = "127.0.0.1"
    """Address the control plane listens on."""
    port: int = 8000
    """Port of the control plane."""
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_HOME / 'agentops.db'}"
    """SQLAlchemy URL of the store: postgresql+psycopg://… in production, sqlite+aiosqlite:///… embedded."""
    redis_url: str | None = None
    """Redis URL for control state, rate limits and spend counters. Unset: in-process state (embedded mode, one process only)."""
    redis_prefix: str = "agentops:"
    """Prefix of every Redis key and channel."""
    database_timeout_seconds: float = Field(3.0, gt=0)
    """Longest wait to reach PostgreSQL at the start of a transaction (connect, pool checkout, first statement); past it the API answers 503 with Retry-After instead of hanging."""
    statement_timeout_seconds: float = Field(30.0, gt=0)
    """PostgreSQL statement_timeout of the API's connections, and the TCP timeout (tcp_user_timeout) after which a connection whose packets go unanswered is dropped."""
    secret_key: SecretStr = SecretStr("dev-insecure-change-me")
    """Key that signs access tokens. Must be set in production."""
    secrets_key: SecretStr | None = None
    """Fernet key sealing alert channel secrets at rest (webhook signing keys, Slack URLs); generate one with `agentops secrets new-key`. Set the same key on every replica and the migrate Job. Unset: generated in AGENTOPS_HOME/secrets.key on SQLite (embedded mode), derived from secret_key on PostgreSQL."""
    secrets_previous_keys: list[SecretStr] = Field(default_factory=list)
    """Earlier secrets keys, still accepted for reading during a rotation; `agentops migrate` reseals every channel under secrets_key, after which they can be removed."""
    access_token_ttl_seconds: int = 900
    """Lifetime of an access token."""
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    """Lifetime of a refresh token."""
    max_body_bytes: int = 16 * 1024 * 1024
    """Largest request body the API accepts (413 beyond)."""
    rate_limit_per_minute: int = 6000
    """Requests per minute allowed per org and per API key (429 with Retry-After beyond)."""
    webhook_timeout_seconds: float = 10.0
    """Timeout of one alert delivery."""
    alert_allowed_internal_hosts: list[str] = Field(default_factory=list)
    """Webhook and Slack alert receivers allowed on internal addresses (on-premises): host names exactly as in the channel URL, or IP addresses/networks (CIDR). Everything else that resolves to a loopback, private, link-local, unique-local, multicast or metadata address is refused."""
    smtp_host: str | None = None
    """SMTP server for e-mail alerts."""
    smtp_port: int = 25
    """SMTP port."""
    smtp_from: str = "agentops@localhost"
    """Sender of alert e-mails."""
    smtp_security: Literal["auto", "tls", "starttls", "none"] = "auto"
    """auto: implicit TLS on port 465, else STARTTLS when offered; tls: implicit TLS (SMTPS); starttls: require STARTTLS; none: plain (only then may a password travel unencrypted)."""
    smtp_username: str | None = None
    """SMTP login (with smtp_password)."""
    smtp_password: SecretStr | None = None
    """SMTP password; never logged."""
    smtp_ca_file: Path | None = None
    """CA bundle to trust for the SMTP server's certificate (default: system)."""
    worker_interval_seconds: float = 1.0
    """Poll period of the background worker (alert deliveries, budget periods, reconciliation)."""
    run_worker: bool = True
    """Run the worker inside the API process. Several replicas may all run it: on PostgreSQL they share each job's due time (job_runs), so each job runs once per period across them."""
    open_call_timeout_seconds: float = Field(3600.0, gt=0)
    """A call still in_progress this long after it started (its proxy crashed and never restarted on its spool) is closed as interrupted, and its run stops running; checked every minute. A record arriving later still replaces it."""
    operator_org: str | None = None
    """Slug of the org that runs shared proxies: only its admins may create API keys with the ingest:any-org scope (a shared proxy ships every org's records with one; each record's org is checked against the agent key the proxy verified). Unset: no such keys."""
    retention_months: int | None = Field(None, ge=1)
    """Keep call and event detail for this many whole months before the current one; older monthly partitions are dropped hourly (PostgreSQL). Cost rollups and run aggregates are kept. Unset: keep everything."""
    timezone: str = "UTC"
    """Default time zone of new orgs (budget periods, reports)."""
    app_role: str | None = None
    """PostgreSQL role every API transaction switches to with SET LOCAL ROLE, so row-level security applies (the migrations create agentops_app). Unset: the connecting role is used as is."""
    console_proxy_url: str | None = None
    """Forward proxy URL the console's Connect page tells agents to use (e.g. http://agentops-proxy.agentops:8080). Unset: this machine's proxy settings (listen host and port)."""
    console_ca_path: str | None = None
    """Where agents find the proxy CA, as the Connect page shows it (e.g. the path a Kubernetes secret is mounted at). Unset: the CA files under proxy.ca_dir."""
    password_hash_fast: bool = False
    """Test-only: hash passwords with cheap argon2id parameters so test suites stay fast. Never enable in production."""
    auth: AuthSettings = Field(default_factory=AuthSettings)


class Settings(BaseSettings):
    """Everything configurable in AgentOps Hub."""

    model_config = SettingsConfigDict(
        env_prefix="AGENTOPS_",
        env_nested_delimiter="__",
        extra="ignore",
        # Several settings carry secrets (URLs with passwords, keys): errors never echo input.
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    home: Path = DEFAULT_HOME
    """Base directory of local state (embedded database, CA, spool, CLI config)."""
    config_file: Path | None = None
    """Optional TOML file with any of these settings (top-level keys, [proxy] and [control_plane] tables)."""
    log_level: str = "INFO"
    """Log level of the JSON logs."""
    log_format: Literal["json", "text"] = "json"
    """Log format: json (structured, one object per line) or text."""
    sentry_dsn: SecretStr | None = None
    """Sentry DSN; errors are reported when set."""
    environment: str = "development"
    """Deployment environment name, reported to Sentry and in metrics."""
    proxy: ProxySettings = Field(default_factory=ProxySettings)
    control_plane: ControlPlaneSettings = Field(default_factory=ControlPlaneSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls, env_settings))


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the TOML file named by ``config_file`` (itself from the environment or init)."""

    def __init__(self, settings_cls: type[BaseSettings], env: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._env = env

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = self._env().get("config_file")
        if not path:
            return {}
        with Path(path).open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, applying explicit overrides on top of env and file."""
    return _rebase_home_paths(Settings(**overrides))


def money(value: str | int | Decimal) -> Decimal:
    """Parse a money amount exactly (never through float)."""
    return Decimal(str(value))


def _rebase_home_paths(settings: Settings) -> Settings:
    """Paths left at their defaults follow ``home`` when ``home`` is changed."""
    if settings.home == DEFAULT_HOME:
        return settings
    proxy_set = settings.proxy.model_fields_set
    if "ca_dir" not in proxy_set:
        settings.proxy.ca_dir = settings.home / "ca"
    if "spool_dir" not in proxy_set:
        settings.proxy.spool_dir = settings.home / "spool"
    if "database_url" not in settings.control_plane.model_fields_set:
        settings.control_plane.database_url = f"sqlite+aiosqlite:///{settings.home / 'agentops.db'}"
    return settings
