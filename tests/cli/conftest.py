"""The CLI against the real API (control-plane fixtures), the bundled price table, a temp home."""

from pathlib import Path

import pytest

from tests.control_plane.conftest import client, cp_settings, running_url, signup  # noqa: F401
from tests.pricing.conftest import table  # noqa: F401


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's home (login file, config) in a temp folder."""
    home = tmp_path / "cli-home"
    monkeypatch.setenv("AGENTOPS_HOME", str(home))
    return home
