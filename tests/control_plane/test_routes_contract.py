"""What schemathesis flagged (issue 13), each as a named regression: 405 without ``Allow``,
date-times given as numbers (``to=0.5`` meant 1970), ranges that end before they start, and
cursors that are not ours. Each answer is a 4xx in the one error shape, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.control_plane.conftest import API, Client, SignUp


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE"])
async def test_an_unsupported_method_is_a_405_saying_what_is_allowed(
    client: Client, method: str
) -> None:
    response = await client.request(method, f"{API}/runs")
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) >= {"GET"}
    assert _error(await response.json())["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/costs/summary", {"to": "0.5"}),
        ("/costs/summary", {"from": "1700000000"}),
        ("/runs", {"to": "1e3"}),
        ("/audit-logs", {"since": "-5"}),
        ("/reports/costs", {"from": "0"}),
    ],
)
async def test_a_number_is_not_a_date_time(
    signup: SignUp, path: str, params: dict[str, str]
) -> None:
    owner = await signup()
    response = await owner.call("GET", path, params=params)
    assert response.status == 422, await response.text()
    error = _error(await response.json())
    assert error["details"][0]["field"] == next(iter(params))
    assert "not a number" in error["message"]


async def test_a_number_is_not_a_date_time_in_a_body_either(signup: SignUp) -> None:
    owner = await signup()
    response = await owner.call(
        "POST", "/api-keys", json={"name": "k", "scopes": ["ingest"], "expires_at": 0}
    )
    assert response.status == 422
    assert _error(await response.json())["details"][0]["field"] == "expires_at"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/costs/summary", {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
        ("/runs", {"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
        ("/audit-logs", {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}),
    ],
)
async def test_a_range_that_ends_before_it_starts_is_named(
    signup: SignUp, path: str, params: dict[str, str]
) -> None:
    owner = await signup()
    response = await owner.call("GET", path, params=params)
    assert response.status == 422, await response.text()
    assert "before" in _error(await response.json())["message"]


@pytest.mark.parametrize("path", ["/runs", "/audit-logs", "/agents", "/alerts/deliveries"])
async def test_a_cursor_that_is_not_ours_is_a_422_naming_it(signup: SignUp, path: str) -> None:
    owner = await signup()
    for cursor in ("not-a-cursor", "AAAA", "%00", "eyJ4Ijp9"):
        response = await owner.call("GET", path, params={"cursor": cursor})
        assert response.status in (400, 422), (path, cursor, await response.text())
        error = _error(await response.json())
        assert "cursor" in error["message"] or error["code"] == "invalid_path", error
