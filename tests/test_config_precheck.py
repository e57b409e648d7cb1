"""The byte pre-check that spares the TOML parser: it never says "no" to a pyproject.toml that configures
auditor, however the ``tool.auditor`` entry is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from auditor.config import _may_configure_auditor, find_config

CONFIGURES = [
    "[tool.auditor]\nfail-on = 'high'",
    "[ tool . auditor ]\n",
    '[tool."auditor"]\n',
    "[tool.'auditor'.severity-overrides]\nLA101 = 'low'",
    "[[tool.auditor.suppressions]]\nrule = 'LA101'",
    "tool.auditor.fail-on = 'high'",
    'tool."auditor".fail-on = "high"',
    "tool = {auditor = {fail-on = 'high'}}",
    "[tool]\nauditor = 5",
    '[tool]\n"auditor" = {}',
    "[tool]\nx = '''\n[project]\n'''\n  auditor.fail-on = 'high'",
    '[tool."audit\\u006fr"]\nfail-on = "high"',
    "[project]\nname = 'x'\n[tool.ruff]\nline-length = 1\n[tool.auditor]\n",
]
OTHER = [
    '[project]\nname = "mdc-auditor"\ndescription = "an auditor"',
    '[project.scripts]\nauditor = "auditor.cli:main"',
    '[project.entry-points."auditor.checks"]\nbuiltin = "auditor.checks"',
    "# auditor is configured elsewhere\n[tool.ruff]\nline-length = 100",
    '[tool.setuptools]\npackages = ["auditor", "checks"]',
]


@pytest.mark.parametrize("text", CONFIGURES)
def test_every_spelling_of_tool_auditor_is_parsed(text: str) -> None:
    doc = tomllib.loads(text)
    assert "auditor" in doc["tool"]
    assert _may_configure_auditor(text.encode())


@pytest.mark.parametrize("text", OTHER)
def test_auditor_in_values_and_other_tables_is_not_parsed(text: str) -> None:
    doc = tomllib.loads(text)
    assert "auditor" not in doc.get("tool", {})
    assert not _may_configure_auditor(text.encode())


def test_this_repositorys_pyproject_needs_no_parse() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert not _may_configure_auditor(pyproject.read_bytes())


def test_a_broken_tool_auditor_table_is_still_found_and_reported(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.auditor\nfail-on = 'high'\n", encoding="utf-8")
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
