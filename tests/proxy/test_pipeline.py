"""Every addon of the chain has its own unit test at its mirrored path, beside the end-to-end tests
that run the whole chain behind real listeners."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from proxy import pipeline

TESTS = Path(__file__).resolve().parent
EVENTS = {"requestheaders", "request", "responseheaders", "response", "error", "http_connect"}
# The addon classes the pipeline module builds its chain from (imported there by name).
ADDONS = sorted(
    (obj for obj in vars(pipeline).values() if inspect.isclass(obj) and EVENTS & set(vars(obj))),
    key=lambda cls: cls.__name__,
)


def test_the_chain_has_its_seven_addons() -> None:
    names = {cls.__name__ for cls in ADDONS}
    assert names == {"Route", "Identify", "Egress", "Classify", "GateAddon", "Meter", "Record"}


@pytest.mark.parametrize("addon", ADDONS, ids=lambda cls: cls.__name__)
def test_each_addon_has_a_unit_test_module_that_drives_it(addon: type) -> None:
    module = addon.__module__.removeprefix("proxy.")
    # test_<module>.py, or test_<module>_addon.py beside an end-to-end test_<module>.py
    candidates = [TESTS / f"test_{module}_addon.py", TESTS / f"test_{module}.py"]
    test = next((t for t in candidates if t.exists()), candidates[-1])
    assert test.exists(), f"{addon.__name__} ({addon.__module__}) has no {test.name}"
    source = test.read_text()
    assert f"import {addon.__name__}" in source or f", {addon.__name__}" in source
    assert "tflow" in source or "llm_flow" in source
