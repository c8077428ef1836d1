"""The OpenAPI document matches the route table, and a schemathesis run finds no 5xx and no
response that breaks the schema (the app runs on a free port in a thread: aiohttp is not ASGI).

The run is bounded and deterministic (issue 13): ``EXAMPLES`` generated cases per operation
with a derandomized (fixed-seed) search, every operation, as an org owner, well under a minute."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from control_plane.openapi import build_openapi
from control_plane.routes import API_PREFIX, ROUTES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    allow_header_conformance,
]
EXAMPLES = 6  # per operation: ~350 cases in all


def test_the_document_lists_every_route_with_its_permission() -> None:
    doc = build_openapi(ROUTES, API_PREFIX)
    for route in ROUTES:
        op = doc["paths"][API_PREFIX + route.path][route.method.lower()]
        assert str(route.status) in op["responses"]
        assert op.get("x-permission") == (route.permission.value if route.permission else None)


def _owner_token(url: str) -> str:
    body = {
        "email": "fuzz@example.com",
        "password": "correct horse",
        "org_name": "Fuzz",
        "org_slug": "fuzz",
    }
    response = requests.post(f"{url}{API_PREFIX}/auth/signup", json=body, timeout=10)
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    requests.post(
        f"{url}{API_PREFIX}/teams",
        json={"name": "core"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return token


# 25 cases for each of ~80 operations against a real app: about two minutes on a loaded
# shared machine, so the default 120 s limit cut it off mid-operation (a false failure).
@pytest.mark.timeout(300)
def test_schemathesis_finds_no_server_error_or_schema_violation(running_url: str) -> None:
    headers = {"Authorization": f"Bearer {_owner_token(running_url)}"}
    schema = schemathesis.openapi.from_url(f"{running_url}{API_PREFIX}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == len(ROUTES)
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:
        strategy = operation.as_strategy()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            statuses.append(0)
            case.call_and_validate(base_url=running_url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
    assert len(statuses) >= 3 * len(ROUTES)  # the run really exercised every operation
    print(f"schemathesis: {len(statuses)} cases over {len(operations)} operations")
