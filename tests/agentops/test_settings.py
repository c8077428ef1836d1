"""Settings: one typed object, fed by defaults, a TOML file and AGENTOPS_ variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentops.settings import DEFAULT_HOME, load_settings


def test_defaults_suit_a_sidecar_on_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTOPS_HOME", raising=False)
    settings = load_settings()
    assert settings.proxy.listen_host == "127.0.0.1"
    assert settings.proxy.capture_content is False
    assert settings.control_plane.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.control_plane.redis_url is None
    assert "api.openai.com" in settings.proxy.llm_hosts
    assert settings.proxy.ca_dir == DEFAULT_HOME / "ca"


def test_environment_variables_use_the_prefix_and_nest_with_double_underscore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTOPS_PROXY__LISTEN_PORT", "9999")
    monkeypatch.setenv("AGENTOPS_PROXY__UPSTREAM_OVERRIDES", '{"api.openai.com": "http://x:1"}')
    monkeypatch.setenv("AGENTOPS_LOG_LEVEL", "DEBUG")
    settings = load_settings()
    assert settings.proxy.listen_port == 9999
    assert settings.proxy.upstream_overrides == {"api.openai.com": "http://x:1"}
    assert settings.log_level == "DEBUG"


def test_a_toml_config_file_is_read_and_the_environment_wins_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "agentops.toml"
    config.write_text(
        'log_level = "WARNING"\n[proxy]\nlisten_port = 7000\nreverse_port = 7001\n'
        "[control_plane]\nport = 9100\n"
    )
    monkeypatch.setenv("AGENTOPS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AGENTOPS_PROXY__REVERSE_PORT", "7002")
    settings = load_settings()
    assert settings.log_level == "WARNING"
    assert settings.proxy.listen_port == 7000
    assert settings.proxy.reverse_port == 7002
    assert settings.control_plane.port == 9100


def test_paths_left_at_default_follow_a_changed_home(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path)
    assert settings.proxy.ca_dir == tmp_path / "ca"
    assert settings.proxy.spool_dir == tmp_path / "spool"
    assert settings.control_plane.database_url == f"sqlite+aiosqlite:///{tmp_path / 'agentops.db'}"


def test_an_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOPS_PROXY__LISTEN_PORT", "not-a-port")
    with pytest.raises(ValueError, match="listen_port"):
        load_settings()


def test_secrets_are_masked_when_settings_are_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOPS_SENTRY_DSN", "https://secret-token@sentry.example/1")
    text = load_settings().model_dump_json()
    assert "secret-token" not in text
