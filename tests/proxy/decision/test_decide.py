"""Kill-switch, pause and state-health decisions, one row per situation."""

from __future__ import annotations

from typing import Any

import pytest

from agentops.wire.control import ControlSnapshot
from proxy.decision import Call, StateHealth, decide, should_cut_stream
from tests.harness.builders import rule, snap

FRESH = StateHealth(True, "fresh", 1.0, 5)
STALE_KEPT = StateHealth(True, "stale_keep_last_known", 900.0, 5)
STALE_REFUSED = StateHealth(False, "stale_refuse_all", 900.0, 5)
NO_STATE = StateHealth(False, "no_snapshot", None, 5)

REGISTRY: dict[str, dict[str, Any]] = {
    "bot": {
        "team": "research",
        "tags": {"tier": "gold"},
        "environment": "prod",
        "status": "active",
    },
    "paused-bot": {"team": "research", "status": "paused"},
    "dead-bot": {"team": "ops", "status": "killed"},
}


def call(agent: str = "bot", team: str | None = None) -> Call:
    return Call("acme", agent, "run-1", "openai", "chat", "gpt-4o", team=team)


def state(*rules: Any) -> ControlSnapshot:
    return snap(rules=list(rules), agents=REGISTRY)


CASES: list[tuple[str, ControlSnapshot | None, str, StateHealth, int, str]] = [
    ("nothing in force", state(), "bot", FRESH, 200, "allowed"),
    ("unregistered agent, no rules", state(), "stranger", FRESH, 200, "allowed"),
    ("org killed", state(rule("org", "acme")), "bot", FRESH, 403, "org_killed"),
    ("team killed", state(rule("team", "research")), "bot", FRESH, 403, "team_killed"),
    ("other team killed", state(rule("team", "ops")), "bot", FRESH, 200, "allowed"),
    ("agent killed", state(rule("agent", "bot")), "bot", FRESH, 403, "agent_killed"),
    ("other agent killed", state(rule("agent", "x")), "bot", FRESH, 200, "allowed"),
    ("team paused", state(rule("team", "research", "pause")), "bot", FRESH, 403, "team_paused"),
    ("agent paused", state(rule("agent", "bot", "pause")), "bot", FRESH, 403, "agent_paused"),
    ("org paused", state(rule("org", "acme", "pause")), "bot", FRESH, 403, "org_paused"),
    (
        "kill outranks pause",
        state(rule("org", "acme", "pause"), rule("agent", "bot")),
        "bot",
        FRESH,
        403,
        "agent_killed",
    ),
    ("registry says killed", state(), "dead-bot", FRESH, 403, "agent_killed"),
    ("registry says paused", state(), "paused-bot", FRESH, 403, "agent_paused"),
    ("stale but kept", state(), "bot", STALE_KEPT, 200, "allowed"),
    ("stale kill still kills", state(rule("agent", "bot")), "bot", STALE_KEPT, 403, "agent_killed"),
    ("stale and refuse_all", state(), "bot", STALE_REFUSED, 503, "control_state_unavailable"),
    (
        "refuse_all names a known kill",
        state(rule("agent", "bot")),
        "bot",
        STALE_REFUSED,
        403,
        "agent_killed",
    ),
    ("no snapshot yet", None, "bot", NO_STATE, 503, "control_state_unavailable"),
    ("ready, org never published", None, "bot", FRESH, 200, "allowed"),
]


@pytest.mark.parametrize(
    ("state_", "agent", "health", "status", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decide(
    state_: ControlSnapshot | None, agent: str, health: StateHealth, status: int, code: str
) -> None:
    decision = decide(state_, call(agent), health=health)
    assert (decision.status, decision.code, decision.allowed) == (status, code, status == 200)


def test_a_refusal_carries_the_admins_reason_and_the_reference() -> None:
    decision = decide(
        state(rule("agent", "bot", reason="spent $4k overnight")), call(), health=FRESH
    )
    assert "spent $4k overnight" in decision.message
    assert decision.reference == "ref-kill-agent-bot"
    assert "ref-kill-agent-bot" in decision.message


def test_a_503_says_when_to_retry() -> None:
    decision = decide(None, call(), health=NO_STATE)
    assert decision.retry_after_seconds == 5
    assert "not yet received" in decision.message


def test_the_callers_team_applies_only_to_agents_missing_from_the_registry() -> None:
    killed_ops = state(rule("team", "ops"))
    assert decide(killed_ops, call("stranger", "ops"), health=FRESH).status == 403
    assert decide(killed_ops, call("bot", "ops"), health=FRESH).allowed


@pytest.mark.parametrize(
    ("rules", "agent", "cut"),
    [
        ([rule("agent", "bot")], "bot", "agent_killed"),
        ([rule("org", "acme")], "bot", "org_killed"),
        ([rule("agent", "bot", "pause")], "bot", None),  # a pause lets a running stream finish
        ([], "dead-bot", "agent_killed"),
        ([], "paused-bot", None),
        ([], "bot", None),
    ],
)
def test_should_cut_stream(rules: list[Any], agent: str, cut: str | None) -> None:
    decision = should_cut_stream(state(*rules), org="acme", agent=agent)
    assert (decision.code if decision else None) == cut


KEY = "k1abcdefghij"


@pytest.mark.parametrize(
    ("rules", "agent", "key_id", "code"),
    [
        ([rule("key", KEY)], "bot", KEY, "key_killed"),
        ([rule("key", KEY)], "renamed-bot", KEY, "key_killed"),  # any name the key is used with
        ([rule("key", KEY, "pause")], "stranger", KEY, "key_paused"),
        ([rule("key", KEY)], "bot", "k2otherkeyxx", "allowed"),
        ([rule("key", KEY)], "bot", None, "allowed"),  # no key presented: a key rule cannot match
        ([rule("key", KEY, "pause"), rule("agent", "bot")], "bot", KEY, "agent_killed"),
    ],
)
def test_a_key_rule_covers_every_name_the_key_is_used_with(
    rules: list[Any], agent: str, key_id: str | None, code: str
) -> None:
    keyed = Call("acme", agent, "run-1", "openai", "chat", "gpt-4o", key_id=key_id)
    decision = decide(state(*rules), keyed, health=FRESH)
    assert decision.code == code
    if code == "key_killed":
        assert f"API key {KEY!r}" in decision.message
        assert decision.reference == f"ref-kill-key-{KEY}"


def test_a_key_kill_cuts_a_live_stream_under_any_name() -> None:
    killed = state(rule("key", KEY))
    cut = should_cut_stream(killed, org="acme", agent="renamed-bot", key_id=KEY)
    assert cut is not None
    assert cut.code == "key_killed"
    assert should_cut_stream(killed, org="acme", agent="renamed-bot") is None


def test_an_org_without_auto_registration_refuses_unknown_names_before_forwarding() -> None:
    closed = state().model_copy(update={"auto_register_agents": False})
    refused = decide(closed, call("stranger"), health=FRESH)
    assert (refused.status, refused.code) == (403, "agent_not_registered")
    assert "agentops agents create stranger" in refused.message
    assert refused.matched[0].kind == "registry"
    assert decide(closed, call("bot"), health=FRESH).allowed
    # A kill names the stronger refusal; an open org lets the unknown name through.
    assert decide(closed, call("dead-bot"), health=FRESH).code == "agent_killed"
    assert decide(state(), call("stranger"), health=FRESH).allowed
