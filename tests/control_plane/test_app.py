from __future__ import annotations

from tests.control_plane.conftest import SignUp


async def test_signup_then_register_an_agent(signup: SignUp) -> None:
    owner = await signup()
    agent = await owner.ok("POST", "/agents", 201, json={"name": "billing-bot", "tags": {"a": "b"}})
    assert agent["name"] == "billing-bot"
    listed = await owner.ok("GET", "/agents")
    assert [a["name"] for a in listed["items"]] == ["billing-bot"]
