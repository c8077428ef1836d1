"""The wheel the Dockerfile builds, built here from exactly the files the Dockerfile COPYs."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.deploy._support import REPO
from tests.deploy.test_dockerfile import copied_sources

PACKAGES = ("agentops", "pricing", "policies", "proxy", "control_plane", "cli")
# Bundled data the product cannot run without (glob, what it is).
DATA = (
    ("pricing/data/*.json", "price table"),
    ("proxy/tokenizer_data/*.tiktoken", "tiktoken encodings (no download at run time)"),
    ("agentops/node/preload.mjs", "the Node preload (agentops run, ca export --node-preload)"),
    ("agentops/node/undici.cjs", "vendored undici the preload loads (no npm at run time)"),
    ("agentops/node/UNDICI-LICENSE", "undici's licence, shipped with it"),
    ("control_plane/store/migrations/env.py", "Alembic environment"),
    ("control_plane/store/migrations/script.py.mako", "Alembic script template"),
    ("control_plane/store/migrations/versions/*.py", "migrations"),
    ("control_plane/console/templates/*.html", "console templates"),
    ("control_plane/console/static/console.css", "console stylesheet"),
    ("control_plane/console/static/vendor/htmx-*.min.js", "vendored htmx"),
    ("control_plane/console/static/vendor/chart-*.umd.js", "vendored Chart.js"),
    ("control_plane/console/static/vendor/swagger-ui-*-bundle.js", "vendored Swagger UI"),
    ("control_plane/console/static/vendor/SHA256SUMS", "vendored assets' checksums"),
)


def _build_wheel(tmp_path: Path) -> zipfile.ZipFile:
    context = tmp_path / "context"
    context.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in copied_sources():
        src = REPO / source
        if src.is_dir():
            shutil.copytree(src, context / source, ignore=ignore)
        else:
            shutil.copy2(src, context / source)
    out = tmp_path / "wheels"
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "--quiet", "--disable-pip-version-check", "-w", str(out), str(context)),
        ],
        check=True,
        timeout=120,
    )
    (wheel,) = out.glob("agentops_hub-*.whl")
    return zipfile.ZipFile(wheel)


def test_wheel_from_the_docker_context_holds_every_package_and_data_file(
    tmp_path: Path,
) -> None:
    with _build_wheel(tmp_path) as wheel:
        names = wheel.namelist()
    missing = [f"package {p}" for p in PACKAGES if f"{p}/__init__.py" not in names]
    missing += [f"{glob} ({what})" for glob, what in DATA if not fnmatch.filter(names, glob)]
    assert not missing, "the image's wheel lacks: " + "; ".join(missing)
    assert any(n.endswith("entry_points.txt") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    with zipfile.ZipFile(next((tmp_path / "wheels").glob("*.whl"))) as wheel:
        assert "agentops = cli.main:main" in wheel.read(entry_points).decode()
