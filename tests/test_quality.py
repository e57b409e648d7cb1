"""Static quality gates run with the suite, so CI fails on them like on any test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff_check() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layer_contracts(tmp_path: Path) -> None:
    """The import-linter contracts of pyproject.toml: sources, checks and renderers stay in their layers.

    ``checks/`` and ``reports/`` are installed as ``auditor.checks`` and ``auditor.reports``
    (``package-dir``), which an editable install maps with an import hook the import graph cannot
    see; so the graph is built from a copy of the three folders laid out as the wheel has them.
    """
    package = tmp_path / "auditor"
    shutil.copytree(REPO / "auditor", package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("checks", "reports"):
        shutil.copytree(REPO / name, package / name, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [_tool("lint-imports"), str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = subprocess.run(
        [_tool("ruff"), "format", "--check", "auditor", "checks", "reports"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy() -> None:
    proc = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_package_is_in_the_wheel() -> None:
    """``[tool.setuptools] packages`` is a hand-kept list (checks/ and reports/ are mapped into auditor):
    a new subpackage left out of it would be missing from the installed wheel, silently."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "auditor").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    for mapped, folder in config["package-dir"].items():
        found |= {
            ".".join((mapped, *init.parent.relative_to(REPO / folder).parts))
            for init in (REPO / folder).rglob("__init__.py")
        }
    # A folder of data only (the HTML template) is listed too, with its files in package-data: setuptools
    # warns about an importable folder it was not told about ("Package would be ignored").
    data_only = {name for name in listed - found if name in config["package-data"]}
    assert data_only == {"auditor.reports.templates"}
    assert found == listed - data_only, (
        f"missing from packages: {sorted(found - listed)}; listed but absent: {sorted(listed - found - data_only)}"
    )
