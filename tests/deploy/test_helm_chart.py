"""deploy/helm/agentops-hub read without helm (tests/deploy/test_helm_render.py renders it with helm):
Chart.yaml fields, and every template's Go-template actions checked against values.yaml —
balanced delimiters and blocks, every .Values path defined, every included template defined,
every value used."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy._support import CHART_DIR, project_version

TEMPLATES = sorted((CHART_DIR / "templates").iterdir())
ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.S)
VALUES_REF = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
INCLUDE = re.compile(r"\b(?:include|template)\s+\"([^\"]+)\"")
DEFINE = re.compile(r"^\s*define\s+\"([^\"]+)\"")
OPENERS = ("if", "range", "with", "define", "block")
SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _values() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    return data


def _actions(path: Path) -> list[str]:
    text = COMMENT.sub("", path.read_text())
    return [a.strip() for a in ACTION.findall(text)]


def _value_paths(node: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    paths = {prefix} if prefix else set()
    if isinstance(node, dict):
        for key, child in node.items():
            paths |= _value_paths(child, (*prefix, key))
    return paths


def _referenced_paths() -> set[tuple[str, ...]]:
    refs: set[tuple[str, ...]] = set()
    for path in TEMPLATES:
        for action in _actions(path):
            refs |= {tuple(m.split(".")[1:]) for m in VALUES_REF.findall(action)}
    return refs


def _defined_templates() -> set[str]:
    names = set()
    for path in TEMPLATES:
        for action in _actions(path):
            match = DEFINE.match(action)
            if match:
                names.add(match.group(1))
    return names


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == CHART_DIR.name
    assert chart["type"] == "application"
    assert SEMVER.match(chart["version"]), chart["version"]
    assert chart["appVersion"] == project_version()
    assert chart["kubeVersion"].startswith(">=1.29"), "native sidecars need Kubernetes 1.29"
    assert chart["description"]


def test_templates_are_yaml_tpl_or_notes() -> None:
    assert TEMPLATES
    for path in TEMPLATES:
        assert path.suffix in (".yaml", ".tpl") or path.name == "NOTES.txt", path.name


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_template_delimiters_and_blocks_balance(path: Path) -> None:
    text = COMMENT.sub("", path.read_text())
    assert text.count("{{") == text.count("}}"), f"{path.name}: unbalanced {{{{ }}}}"
    depth = 0
    for action in _actions(path):
        word = action.split()[0] if action.split() else ""
        if word in OPENERS:
            depth += 1
        elif word == "end":
            depth -= 1
            assert depth >= 0, f"{path.name}: {{{{ end }}}} without an opening block"
    assert depth == 0, f"{path.name}: {depth} block(s) never closed"


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_template_values_exist(path: Path) -> None:
    defined = _value_paths(_values())
    for action in _actions(path):
        for ref in VALUES_REF.findall(action):
            assert tuple(ref.split(".")[1:]) in defined, f"{path.name}: .Values{ref} not in values"


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_included_templates_are_defined(path: Path) -> None:
    defined = _defined_templates()
    for action in _actions(path):
        for name in INCLUDE.findall(action):
            assert name in defined, f"{path.name}: include {name!r} is not defined"


def test_every_value_is_used() -> None:
    refs = _referenced_paths()
    unused = [
        ".".join(path)
        for path in _value_paths(_values())
        if not any(path[: len(r)] == r or r[: len(path)] == path for r in refs)
    ]
    assert not unused, f"values.yaml keys no template reads: {unused}"


def test_non_template_yaml_parses_after_stripping_actions() -> None:
    """Lines without template actions must already be valid YAML structure: replace each action
    by a placeholder scalar and drop lines that are nothing but an action."""
    for path in TEMPLATES:
        if path.suffix != ".yaml":
            continue
        lines = []
        for line in COMMENT.sub("", path.read_text()).splitlines():
            if re.fullmatch(r"\s*\{\{.*\}\}\s*", line):
                continue
            lines.append(ACTION.sub("x", line))
        for doc in yaml.safe_load_all("\n".join(lines)):
            assert doc is None or isinstance(doc, dict), path.name


def test_sidecar_values_keep_identity_pinned_and_native() -> None:
    sidecar = _values()["sidecar"]
    assert sidecar["pinAgent"] is True
    assert sidecar["native"] is True
    assert sidecar["agentLabel"] == "agentops.dev/agent"
    text = (CHART_DIR / "templates" / "_sidecar.tpl").read_text()
    assert "metadata.labels['%s']" in text
    assert "AGENTOPS_PROXY__PIN_AGENT" in text
    assert '"ca", "export", "--out"' in text
    for name in ("HTTPS_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        assert name in text, name


def test_migrations_are_a_pre_install_and_pre_upgrade_hook() -> None:
    text = (CHART_DIR / "templates" / "migrate-job.yaml").read_text()
    assert "helm.sh/hook: pre-install,pre-upgrade" in text
    assert 'args: ["migrate"]' in text
