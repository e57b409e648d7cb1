"""Docs come from the code: the committed rules page and the README's command block must be current."""

from __future__ import annotations

from pathlib import Path

from auditor.docs import main as docs_main
from auditor.docs import render, with_readme_table
from auditor.registry import load_checks

REPO = Path(__file__).resolve().parents[1]


def test_rules_page_is_current() -> None:
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render(load_checks()), "run: python -m auditor.docs"


def test_readme_starts_with_the_two_setup_commands() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```")]
    assert block[0].endswith("auditor scan examples/")
    assert block[1] == "bash .ci/run"
    assert len(block) == 2


def test_ci_runs_pytest() -> None:
    assert "-m pytest" in (REPO / ".ci" / "run").read_text()


def test_readme_rule_table_is_generated_and_current() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    checks = load_checks()
    assert with_readme_table(readme, checks) == readme, "run: python -m auditor.docs"
    for loaded in checks:
        assert f"| {loaded.rule.id} | {loaded.rule.name} | {loaded.rule.severity.label} |" in readme


def test_docs_check_mode_reports_nothing_stale() -> None:
    assert docs_main(["--check"]) == 0
