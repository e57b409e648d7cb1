"""No finding may rest on a value auditor could not resolve: the Bicep twin of ``test_unknowns.py``.

For every Bicep positive fixture and every finding it produces, the Bicep value at the finding's path
is replaced by ``auditorUnknown`` (a parameter without a default, so Unknown) and the file is scanned
again: the rule must no longer fire at that place. The value is found through the translation itself
(the positions the translator keeps), so the replacement is exactly the expression the finding is about.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from auditor.sources.bicep.syntax import parse
from auditor.sources.bicep.translate import Translator
from auditor.sources.core.cursor import SourceFile
from auditor.sources.core.jsonpos import PDict, PList
from conftest import scan_paths
from tests.checks.test_unknowns import parse_path

FIXTURES = Path(__file__).parent / "fixtures"
UNKNOWN = "auditorUnknown"
# Findings decided by something that cannot become unknown (a literal key), with the reason.
DECIDED_BY_KEYS = {
    ("LA101", "positive_legacy_trigger_name.bicep"): "the trigger's name is a literal object key",
}


def _positive_bicep() -> list[tuple[str, Path]]:
    cases = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(rule_dir.glob("positive_*.bicep")):
            cases.append((rule_dir.name, case))
    return cases


def value_span(text: str, json_path: str) -> tuple[int, int] | None:
    """Where, in ``text``, the Bicep value at ``json_path`` of the translated template is written
    (character offsets), or None when the path exists only after evaluation (a loop, a module)."""
    parsed = parse(text)
    template: Any = Translator(parsed, SourceFile("x.bicep", text)).template()
    node: Any = template
    offset: int | None = None
    for key in parse_path(json_path):
        if isinstance(key, int):
            if not isinstance(node, PList) or key >= len(node) or key >= len(node.item_pos):
                return None
            offset, node = node.item_pos[key], node[key]
        else:
            if not isinstance(node, PDict) or key not in node:
                return None
            offset, node = node.key_pos.get(key), node[key]
    if offset is None:
        return None
    target = parsed.root.descendant_for_byte_range(_byte(text, offset), _byte(text, offset))
    while (
        target is not None
        and target.type not in ("object_property", "object", "array")
        and (target.parent is None or target.parent.type not in ("array",))
    ):
        target = target.parent
    if target is None:
        return None
    if target.type == "object_property":
        kids = [c for c in target.named_children if c.type not in ("comment",)]
        if len(kids) < 2 or kids[1].type in ("resource_declaration", "for_statement"):
            return None
        value = kids[1]
    else:
        value = target
    return parsed.offsets.char(value.start_byte), parsed.offsets.char(value.end_byte)


def _byte(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-8"))


@pytest.mark.parametrize(
    ("rule", "case"), _positive_bicep(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_rule_is_silent_when_the_flagged_bicep_value_is_unknown(
    rule: str, case: Path, tmp_path: Path
) -> None:
    findings = [f for f in scan_paths([case], [rule]).findings if f.rule.id == rule]
    assert findings, "a positive fixture must produce a finding"
    if (rule, case.name) in DECIDED_BY_KEYS:
        pytest.skip(DECIDED_BY_KEYS[(rule, case.name)])
    text = case.read_text(encoding="utf-8")
    exercised = 0
    for finding in findings:
        span = value_span(text, finding.location.json_path)
        if span is None:
            continue  # the path exists only after evaluation (a loop, a module, a computed key)
        start, end = span
        variant = tmp_path / case.name
        variant.write_text(
            f"param {UNKNOWN} object\n" + text[:start] + UNKNOWN + text[end:], encoding="utf-8"
        )
        again = [f for f in scan_paths([variant], [rule]).findings if f.rule.id == rule]
        assert finding.location.json_path not in [f.location.json_path for f in again], (
            finding.message,
            text[start:end],
        )
        exercised += 1
    if not exercised and all(
        re.fullmatch(r"(resources|parameters)\.[^.\[]+", f.location.json_path) for f in findings
    ):
        pytest.skip(
            "every finding is about a whole resource or parameter (a declaration), which has no value to "
            "make unknown"
        )
    assert exercised, "no finding of this fixture could be made unknown; point findings at Bicep values"


def test_value_span_finds_the_expression_of_a_path() -> None:
    text = "resource a 'Microsoft.Web/connections@2016-06-01' = {\n  name: 'c'\n  properties: {\n    api: {\n      id: 'x${1}'\n    }\n  }\n}\n"
    span = value_span(text, "resources.a.properties.api.id")
    assert span is not None and text[span[0] : span[1]] == "'x${1}'"
    items = "var v = 1\nresource a 'Microsoft.Security/automations@2019-01-01-preview' = {\n  name: 'a'\n  properties: {\n    actions: [\n      {\n        actionType: 'LogicApp'\n      }\n    ]\n  }\n}\n"
    span = value_span(items, "resources.a.properties.actions[0]")
    assert (
        span is not None
        and items[span[0] : span[1]].startswith("{")
        and "actionType" in items[span[0] : span[1]]
    )
