"""The Dockerfile, parsed: pinned base, locked deps, non-root, entrypoint, every COPY source."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy._support import REPO


@dataclass
class Instruction:
    keyword: str
    flags: dict[str, str]
    value: str
    stage: int

    def json_args(self) -> list[str] | None:
        if self.value.startswith("["):
            args: list[str] = json.loads(self.value)
            return args
        return None


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined, comments dropped and --flags split off."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    assert not current, "dangling line continuation"
    out: list[Instruction] = []
    stage = -1
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        flags: dict[str, str] = {}
        rest = rest.strip()
        while keyword in ("COPY", "ADD", "RUN", "FROM") and rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(keyword, flags, rest, stage))
    return out


DOCKERFILE = parse_dockerfile((REPO / "Dockerfile").read_text())
FINAL_STAGE = max(i.stage for i in DOCKERFILE)


def _in_final(keyword: str) -> list[Instruction]:
    return [i for i in DOCKERFILE if i.keyword == keyword and i.stage == FINAL_STAGE]


def _args() -> dict[str, str]:
    args = {}
    for ins in DOCKERFILE:
        if ins.keyword == "ARG" and "=" in ins.value:
            name, _, value = ins.value.partition("=")
            args[name] = value
    return args


def test_multi_stage_on_a_pinned_python_312_slim_base() -> None:
    froms = [i for i in DOCKERFILE if i.keyword == "FROM"]
    assert len(froms) >= 2, "builder + runtime"
    for ins in froms:
        image = ins.value.split()[0]
        assert re.fullmatch(r"python:3\.12(\.\d+)?-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), (
            image
        )
    assert froms[0].value.split()[-1] == "builder"


def test_builder_builds_our_wheel_and_locked_dependency_wheels() -> None:
    builder = [i for i in DOCKERFILE if i.stage == 0]
    copies = [i.value.split() for i in builder if i.keyword == "COPY"]
    assert any("requirements.lock" in c[:-1] for c in copies)
    runs = " && ".join(i.value for i in builder if i.keyword == "RUN")
    assert re.search(r"pip wheel --no-deps\b.* \.(\s|$)", runs), runs
    assert re.search(r"pip wheel\b.*(--constraint|-c) requirements\.lock", runs), runs


def test_runtime_installs_offline_from_the_builder_wheels() -> None:
    runs = _in_final("RUN")
    install = [r for r in runs if "pip install" in r.value]
    assert install, "the runtime stage installs the wheels"
    assert "--no-index" in install[0].value
    assert "agentops-hub" in install[0].value
    mount = install[0].flags.get("mount", "")
    assert "from=builder" in mount, "wheels come from the builder stage"


def test_runtime_dependencies_are_all_pinned_in_the_lock() -> None:
    """The image installs agentops-hub's dependencies constrained by requirements.lock: every
    package of the runtime closure (Linux, Python 3.12) must be pinned there, or it would float."""
    pins = {
        canonicalize_name(name): version
        for name, version in re.findall(
            r"^([A-Za-z0-9_.\-]+)==(\S+)", (REPO / "requirements.lock").read_text(), re.M
        )
    }
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = default_environment() | {"sys_platform": "linux", "platform_system": "Linux"}
    pending = [(Requirement(r), "") for r in project["dependencies"]]
    seen: set[str] = set()
    unpinned: list[str] = []
    while pending:
        req, extra = pending.pop()
        if req.marker is not None and not req.marker.evaluate(env | {"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        key = name + "[" + ",".join(sorted(req.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        if name not in pins:
            unpinned.append(name)
            continue
        for child in metadata.requires(req.name) or []:
            for wanted in {""} | req.extras:
                pending.append((Requirement(child), wanted))
    assert not unpinned, f"runtime dependencies missing from requirements.lock: {unpinned}"


def test_runs_as_non_root() -> None:
    users = _in_final("USER")
    assert users, "the runtime stage sets USER"
    user = users[-1].value.split(":")[0]
    user = _args().get(user.strip("${}"), user)
    assert user not in ("root", "0")


def test_entrypoint_command_ports_volume_home() -> None:
    assert _in_final("ENTRYPOINT")[-1].json_args() == ["agentops"]
    assert _in_final("CMD")[-1].json_args() == ["serve"]
    exposed = {p for ins in _in_final("EXPOSE") for p in ins.value.split()}
    assert {"8000", "8080", "8081", "8082"} <= exposed
    volumes = [v for ins in _in_final("VOLUME") for v in (ins.json_args() or ins.value.split())]
    assert "/var/lib/agentops" in volumes
    env = " ".join(i.value for i in _in_final("ENV"))
    assert "AGENTOPS_HOME=/var/lib/agentops" in env


def test_healthcheck_hits_healthz() -> None:
    (check,) = _in_final("HEALTHCHECK")
    env = " ".join(i.value for i in _in_final("ENV"))
    assert "CMD" in check.value
    assert "HEALTHCHECK_URL" in check.value
    assert "HEALTHCHECK_URL=http://127.0.0.1:8000/healthz" in env


def _dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; '!' re-includes."""
    excluded = False
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        matches = (
            pattern == "**"
            or fnmatch.fnmatch(path, pattern)
            or path.startswith(pattern + "/")
            or (pattern.startswith("**/") and fnmatch.fnmatch(path, "*" + pattern[2:]))
        )
        if matches:
            excluded = not negate
    return excluded


def copied_sources() -> list[str]:
    sources: list[str] = []
    for ins in DOCKERFILE:
        if ins.keyword in ("COPY", "ADD") and "from" not in ins.flags:
            parts = ins.json_args() or ins.value.split()
            sources += parts[:-1]
    return sources


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    sources = copied_sources()
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
        assert not _dockerignore_excludes(source.rstrip("/")), f"{source} is .dockerignored"


def test_dockerignore_keeps_secrets_and_clutter_out() -> None:
    for path in (".venv", ".git", "tests", "bench", ".env", "deploy/.env", "node_modules"):
        assert _dockerignore_excludes(path), path


def test_copied_package_dirs_match_the_wheel_packages() -> None:
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]["packages"]
    assert set(packages) <= {Path(s).name for s in copied_sources()}


def test_runtime_runs_on_jemalloc_from_the_distribution() -> None:
    """The allocator the proxy's memory figures are measured on (docs/benchmarks.md): installed
    from the distribution's package, preloaded by name (any architecture), after the install,
    and serving Python's own small objects as well."""
    runs = _in_final("RUN")
    install = next(i for i, r in enumerate(runs) if "apt-get install" in r.value)
    assert re.search(r"apt-get install\b.*\blibjemalloc2\b", runs[install].value)
    envs = [i for i in DOCKERFILE if i.keyword == "ENV" and i.stage == FINAL_STAGE]
    preload = [e for e in envs if "LD_PRELOAD=libjemalloc.so.2" in e.value]
    assert preload, "LD_PRELOAD=libjemalloc.so.2 in the runtime stage"
    assert DOCKERFILE.index(preload[0]) > DOCKERFILE.index(runs[install])
    assert "MALLOC_CONF=narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0" in preload[0].value
    # Python's objects too, not pymalloc's arenas (pinned after a burst of calls)
    assert "PYTHONMALLOC=malloc" in preload[0].value
