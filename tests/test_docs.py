"""Docs come from the code: the committed rules page and the README's command block must be current."""

from __future__ import annotations

from pathlib import Path

from auditor.docs import render
from auditor.registry import load_checks

REPO = Path(__file__).resolve().parents[1]


def test_rules_page_is_current() -> None:
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render(load_checks()), "run: python -m auditor.docs > docs/rules.md"


def test_readme_starts_with_the_two_setup_commands() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```")]
    assert block[0].endswith("auditor scan examples/")
    assert block[1] == "bash .ci/run"
    assert len(block) == 2


def test_ci_runs_pytest() -> None:
    assert "-m pytest" in (REPO / ".ci" / "run").read_text()


def test_readme_lists_every_rule() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for loaded in load_checks():
        assert f"| {loaded.rule.id} | {loaded.rule.name} |" in readme
