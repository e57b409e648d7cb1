"""Every rule against its fixtures: positives must match expected.json exactly (line and JSON path),
negatives must yield nothing of that rule.

Layout: ``tests/checks/fixtures/<RULE>/{positive_*,negative_*}.json`` (+ optional
``*.parameters.json`` beside a template, picked up as in real use) and
``expected.json``: ``{"positive_x.json": [{"line": 41, "json_path": "…"}]}``, in the order the scan
lists them (file, line, column); ``message_contains`` optionally pins part of the message.
A fixture may also be a folder (``positive_x/``) holding several files that are scanned together; its
entries name the ``file`` (relative to the folder) each finding must be in;
a folder with an ``auditor.toml`` is scanned the way the CLI scans it, with that configuration (e.g. an
access snapshot ``access = "access.json"`` and ``[principals]`` for the RB rules).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.engine import ScanResult
from conftest import all_checks, scan_paths

FIXTURES = Path(__file__).parent / "fixtures"


def _cases(prefix: str) -> list[tuple[str, Path]]:
    out = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(rule_dir.iterdir()):
            if case.name.startswith(prefix) and not case.name.endswith(".parameters.json"):
                out.append((rule_dir.name, case))
    return out


def _scan(case: Path, rule: str) -> ScanResult:
    """The fixture through the real pipeline; through the CLI's configuration handling when it has one."""
    if not (case / "auditor.toml").is_file():
        return scan_paths([case], [rule])
    from auditor.cli import build_parser
    from auditor.scanning import execute, prepare

    return execute(prepare(build_parser().parse_args(["scan", str(case), "--select", rule]), all_checks()))


@pytest.mark.parametrize(
    ("rule", "case"), _cases("positive_"), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_positive(rule: str, case: Path) -> None:
    expected = json.loads((case.parent / "expected.json").read_text())[case.name]
    result = _scan(case, rule)
    mine = [f for f in result.findings if f.rule.id == rule]
    got = [
        {"file": _relative(f.location.file, case), "line": f.location.line, "json_path": f.location.json_path}
        for f in mine
    ]
    want = [
        {"file": e.get("file", case.name), "line": e["line"], "json_path": e["json_path"]} for e in expected
    ]
    assert got == want, [f.message for f in mine]
    for finding, entry in zip(mine, expected, strict=True):
        if "message_contains" in entry:
            assert entry["message_contains"] in finding.message


def _relative(file: str | None, case: Path) -> str | None:
    """A finding's file relative to the fixture's folder (the case itself when it is a folder)."""
    if file is None:
        return None
    base = case if case.is_dir() else case.parent
    return Path(file).resolve().relative_to(base.resolve()).as_posix()


@pytest.mark.parametrize(
    ("rule", "case"), _cases("negative_"), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_negative(rule: str, case: Path) -> None:
    result = _scan(case, rule)
    assert [f.message for f in result.findings if f.rule.id == rule] == []
