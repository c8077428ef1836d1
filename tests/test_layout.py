"""The test tree mirrors the source tree, so it cannot drift back.

A test module outside the feature suites sits at ``tests/<package path>/test_<name>.py`` where
``<package path>/<name>.py`` (or ``_<name>.py``, a private module) or the package
``<package path>/<name>/`` exists; ``test_<name>_<aspect>.py`` is the same module seen from one
aspect (``proxy/test_service_failures.py`` tests ``proxy/service.py`` when calls fail).
Feature suites drive several packages end to end and keep their own top-level folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
PACKAGES = ("agentops", "cli", "control_plane", "pricing", "policies", "proxy")
# Feature-level suites, by top-level folder under tests/.
FEATURE_SUITES = {
    "e2e": "end to end across control plane, proxies and the CLI",
    "faults": "fault injection: databases, Redis and proxies killed or cut off",
    "runtimes": "agent runtimes (Python, Node, transparent interception) through the proxy",
    "deploy": "container image, compose file, Helm chart and Kubernetes manifests",
    "console": "the web console rendered and driven in a browser",
    "sdk": "the Python and JavaScript SDKs (sdk/) against a running stack",
}
# Support code for tests, not tests of a source module.
SUPPORT = {"harness", "fakeprovider"}
# Test modules at tests/ itself that check the repository as a whole (layout, import circles).
TOP_LEVEL = {"test_layout.py", "test_imports.py"}


def mirrored_source(test: Path) -> str | None:
    """The source module or package ``test`` mirrors, or None when it mirrors nothing."""
    folder = test.parent.relative_to(TESTS)
    stem = test.stem.removeprefix("test_")
    source = ROOT / folder
    if not folder.parts or folder.parts[0] not in PACKAGES or not (source / "__init__.py").exists():
        return None
    names = [p.stem for p in source.glob("*.py") if p.stem != "__init__"]
    names += [p.name for p in source.iterdir() if (p / "__init__.py").exists()]
    for name in sorted(names, key=len, reverse=True):
        public = name.removeprefix("_")
        if stem == public or stem.startswith(public + "_"):
            return str(folder / name)
    return None


def misplaced() -> list[str]:
    found = []
    for test in sorted(TESTS.rglob("test_*.py")):
        relative = test.relative_to(TESTS)
        if len(relative.parts) == 1:
            if relative.name not in TOP_LEVEL:
                found.append(str(relative))
        elif relative.parts[0] in FEATURE_SUITES or relative.parts[0] in SUPPORT:
            continue
        elif mirrored_source(test) is None:
            found.append(str(relative))
    return found


def test_every_test_module_mirrors_a_source_module_or_sits_in_a_feature_suite() -> None:
    assert misplaced() == []


def test_every_test_folder_is_a_package() -> None:
    folders = {test.parent for test in TESTS.rglob("test_*.py")}
    assert (
        sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists()) == []
    )


@pytest.mark.parametrize(
    ("test", "source"),
    [
        ("proxy/test_gate.py", "proxy/gate"),
        ("proxy/test_service_failures.py", "proxy/service"),
        ("pricing/test_cost.py", "pricing/_cost"),
        ("control_plane/test_reconcile.py", "control_plane/reconcile"),
        ("control_plane/store/test_migrate_heads.py", "control_plane/store/migrate"),
        ("proxy/test_nothing.py", None),
        ("proxy/test_gateway.py", None),
        ("budgets/test_store.py", None),
    ],
)
def test_the_rule_names_the_mirrored_module(test: str, source: str | None) -> None:
    assert mirrored_source(TESTS / test) == source


def test_a_stray_module_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.test_layout.TESTS", tmp_path)
    for stray in ("proxy/test_zz_probe.py", "test_loose.py", "e2e/test_anything.py"):
        (tmp_path / stray).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / stray).write_text("")
    assert misplaced() == ["proxy/test_zz_probe.py", "test_loose.py"]
