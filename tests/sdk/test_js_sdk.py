"""The TypeScript SDK (sdk/js), built by the repo's set-up, run with node's test runner against
the live control plane of this test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

SDK = Path(__file__).resolve().parents[2] / "sdk" / "js"


def test_the_typescript_sdk_passes_its_node_tests_against_a_live_control_plane(
    running_url: str,
) -> None:
    assert (SDK / "dist" / "index.js").exists(), "run ./dev install (builds sdk/js)"
    body = {
        "email": "js@example.com",
        "password": "correct horse",
        "org_name": "Js",
        "org_slug": "js",
    }
    assert requests.post(f"{running_url}/api/v1/auth/signup", json=body, timeout=10).ok
    login = {"email": body["email"], "password": body["password"]}
    token = requests.post(f"{running_url}/api/v1/auth/login", json=login, timeout=10).json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    requests.post(
        f"{running_url}/api/v1/agents", json={"name": "sdk-bot"}, headers=auth, timeout=10
    )
    key = requests.post(f"{running_url}/api/v1/api-keys", json={"name": "js", "scopes": ["ingest"]},
                        headers=auth, timeout=10).json()["key"]  # fmt: skip
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "AGENTOPS_TEST_API_URL": running_url,
           "AGENTOPS_TEST_INGEST_KEY": key, "AGENTOPS_TEST_TOKEN": token}  # fmt: skip
    result = subprocess.run(["node", "--test", "test/"], cwd=SDK, env=env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
    assert "# pass 3" in result.stdout
