"""The login file lives in the user's config directory; an old one next to the data moves."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from agentops.settings import load_settings
from cli._client import config_path, load_config


def test_a_login_file_left_next_to_the_data_moves_to_the_config_dir_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_config_dir: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AGENTOPS_HOME", str(home))
    saved = {"api_url": "http://127.0.0.1:8000", "token": "t0ken", "kind": "user"}
    (home / "cli.json").write_text(json.dumps(saved))

    assert load_config(load_settings()) == saved
    assert config_path() == cli_config_dir / "agentops" / "cli.json"  # click.get_app_dir
    assert stat.S_IMODE(config_path().stat().st_mode) == 0o600
    assert not (home / "cli.json").exists()
    assert load_config(load_settings()) == saved  # read from the new place from now on
