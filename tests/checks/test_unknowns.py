"""No finding may rest on a value auditor could not resolve.

For every positive fixture (a template) and every finding it produces, the
flagged node is replaced by ``[parameters('auditorUnknown')]`` (a parameter
without default, i.e. Unknown) and the file is scanned again: the rule must no
longer fire at that place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import scan_paths

FIXTURES = Path(__file__).parent / "fixtures"
UNKNOWN = "[parameters('auditorUnknown')]"
_TOKEN = re.compile(r"\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")

# Findings decided by something that cannot become unknown (a literal key), with the reason.
DECIDED_BY_KEYS = {
    ("LA101", "positive_legacy_trigger_name.json"): "the trigger's name is a literal JSON key",
}


def parse_path(path: str) -> list[str | int]:
    out: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            raise ValueError(f"cannot parse {path!r} at {pos}")
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
        else:
            out.append(m.group(3).replace("\\'", "'").replace("\\\\", "\\"))
        pos = m.end()
    return out


def replace_at(doc: Any, path: list[str | int], value: Any) -> bool:
    node = doc
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    try:
        node[last]
    except (KeyError, IndexError, TypeError):
        return False
    node[last] = value
    return True


def _positive_templates() -> list[tuple[str, Path]]:
    cases = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(rule_dir.glob("positive_*.json")):
            doc = json.loads(case.read_text(), strict=False)  # raw line breaks in strings: ARM accepts them
            if isinstance(doc, dict) and "resources" in doc:
                cases.append((rule_dir.name, case))
    return cases


@pytest.mark.parametrize(
    ("rule", "case"), _positive_templates(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_rule_is_silent_when_the_flagged_value_is_unknown(rule: str, case: Path, tmp_path: Path) -> None:
    findings = [f for f in scan_paths([case], [rule]).findings if f.rule.id == rule]
    assert findings, "a positive fixture must produce a finding"
    if (rule, case.name) in DECIDED_BY_KEYS:
        pytest.skip(DECIDED_BY_KEYS[(rule, case.name)])
    exercised = 0
    for finding in findings:
        doc = json.loads(case.read_text(), strict=False)  # raw line breaks in strings: ARM accepts them
        if not replace_at(doc, parse_path(finding.location.json_path), UNKNOWN):
            continue  # the path exists only after evaluation (copy loops)
        doc.setdefault("parameters", {})["auditorUnknown"] = {"type": "object"}
        variant = tmp_path / case.name
        variant.write_text(json.dumps(doc, indent=2))
        again = [f for f in scan_paths([variant], [rule]).findings if f.rule.id == rule]
        assert finding.location.json_path not in [f.location.json_path for f in again], finding.message
        exercised += 1
    assert exercised, "no finding of this fixture could be made unknown; point findings at raw JSON paths"


def test_path_parser_round_trips_quoted_keys() -> None:
    assert parse_path("resources[2].properties.definition.actions['Send_an_email_(V2)']") == [
        "resources",
        2,
        "properties",
        "definition",
        "actions",
        "Send_an_email_(V2)",
    ]
    assert parse_path("resources.automation.properties.$connections") == [
        "resources",
        "automation",
        "properties",
        "$connections",
    ]
