"""Meta-tests over every rule: the catalog is complete, documented and consistent (KICS/ruff style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import auditor.checks as builtin
from auditor.registry import LoadedCheck, load_checks

CHECKS_DIR = Path(builtin.__file__).parent
FIXTURES = Path(__file__).parent / "fixtures"
LOADED = load_checks()
FAMILIES = ("SRC", "SUP", "LA", "AUT", "POL", "RB", "SEC", "LIV", "COV")
HEADINGS = ("## What it checks", "## Why it matters")
# Rules that report on sources or on suppressions rather than resources; tests/test_cli.py and
# tests/test_suppressions.py cover them end to end.
# LIV001 reports on a live scan's coverage (tests/checks/test_liv001.py, tests/live/test_live_scan.py).
SOURCE_RULES = {
    "SRC001",
    "SRC002",
    "SRC003",
    "SRC004",
    "SRC005",
    "SRC006",
    "SUP001",
    "SUP002",
    "SUP003",
    "LIV001",
}


def test_every_check_module_is_a_loaded_rule() -> None:
    files = {p.stem for p in CHECKS_DIR.glob("*.py") if not p.stem.startswith("_")}
    builtin_modules = [
        c.module.__name__ for c in LOADED if c.module.__name__.startswith(f"{builtin.__name__}.")
    ]
    assert {name.rsplit(".", 1)[-1] for name in builtin_modules} == files
    assert len(builtin_modules) == len(files)


@pytest.mark.parametrize("loaded", LOADED, ids=lambda c: c.rule.id)
def test_rule_says_when_it_fires(loaded: LoadedCheck) -> None:
    text = loaded.rule.fires_when
    assert text.strip() == text and len(text) > 10, f"{loaded.rule.id}: fires_when is the README table's text"
    assert "|" not in text and "\n" not in text, "one Markdown table cell"


@pytest.mark.parametrize("loaded", LOADED, ids=lambda c: c.rule.id)
def test_rule_metadata(loaded: LoadedCheck) -> None:
    rule = loaded.rule
    assert re.fullmatch(r"[A-Z]{2,4}\d{3}", rule.id)
    assert rule.id.rstrip("0123456789") in FAMILIES
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert loaded.module.__name__.rsplit(".", 1)[-1] == f"{rule.id.lower()}_{rule.name.replace('-', '_')}"
    for text in (rule.title, rule.rationale, rule.remediation):
        assert text.strip() and len(text) > 10
    for heading in HEADINGS:
        assert heading in rule.doc, f"{rule.id} docstring lacks {heading!r}"
    assert rule.doc.startswith(f"{rule.id}: ")
    assert rule.help_url.endswith(f"#{rule.id.lower()}-{rule.name}")


@pytest.mark.parametrize(
    "loaded", [c for c in LOADED if c.rule.id not in SOURCE_RULES], ids=lambda c: c.rule.id
)
def test_rule_has_positive_and_negative_fixtures(loaded: LoadedCheck) -> None:
    folder = FIXTURES / loaded.rule.id
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    assert any(n.startswith("positive_") for n in names), f"{loaded.rule.id}: no positive fixture"
    assert any(n.startswith("negative_") for n in names), f"{loaded.rule.id}: no negative fixture"
    assert (folder / "expected.json").is_file()


def test_ids_and_names_are_unique() -> None:
    assert len({c.rule.id for c in LOADED}) == len(LOADED)
    assert len({c.rule.name for c in LOADED}) == len(LOADED)
