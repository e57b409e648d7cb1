"""``auditor simulate``: the evaluator (operators × types, AND/OR, enabled, scope) and the CLI on examples/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.link import Links
from auditor.model import (
    Automation,
    AutomationRule,
    AutomationScope,
    AutomationSource,
    Inventory,
    Origin,
    RuleSet,
)
from auditor.simulate import Event, EventError, evaluate, evaluate_rule, read_events, scope_covers
from auditor.unknown import Unknown

ORIGIN = Origin(file="t.json", line=1)
SUB = "/subscriptions/4b2d8c1e-7f3a-4e69-b0d5-93c6a1f2e874"
RES = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/st1"
BODY: dict[str, Any] = {
    "Severity": "High",
    "Count": 7,
    "Ratio": 2.5,
    "IsIncident": False,
    "Entity": {"Name": "vm-01"},
}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def rule(path: Any, op: Any, typ: Any, expected: Any) -> AutomationRule:
    return AutomationRule(jpath=path, operator=op, property_type=typ, expected_value=expected, origin=ORIGIN)


@pytest.mark.parametrize(
    ("path", "op", "typ", "expected", "matched"),
    [
        ("Severity", "Equals", "String", "high", True),  # String compares case-insensitively
        ("Severity", "Equals", "String", "Low", False),
        ("Severity", "NotEquals", "String", "LOW", True),
        ("Severity", "NotEquals", "String", "HIGH", False),
        ("Severity", "Contains", "String", "IG", True),
        ("Severity", "Contains", "String", "x", False),
        ("Severity", "StartsWith", "String", "hi", True),
        ("Severity", "StartsWith", "String", "gh", False),
        ("Severity", "EndsWith", "String", "GH", True),
        ("Severity", "EndsWith", "String", "hi", False),
        ("Severity", "GreaterThan", "String", "A", False),  # ordering does not apply to String
        ("Entity.Name", "Equals", "String", "VM-01", True),  # dotted path
        ("Count", "Equals", "Integer", "7", True),  # numerically
        ("Count", "NotEquals", "Integer", 7, False),
        ("Count", "GreaterThan", "Integer", 6, True),
        ("Count", "GreaterThan", "Integer", 7, False),
        ("Count", "GreaterThanOrEqualTo", "Integer", 7, True),
        ("Count", "LesserThan", "Integer", 8, True),
        ("Count", "LesserThan", "Integer", 7, False),
        ("Count", "LesserThanOrEqualTo", "Integer", 7, True),
        ("Count", "Contains", "Integer", 7, False),  # string operator on a number
        ("Ratio", "GreaterThan", "Number", "2.4", True),
        ("Ratio", "LesserThanOrEqualTo", "Number", 2.4, False),
        ("IsIncident", "Equals", "Boolean", "false", True),
        ("IsIncident", "NotEquals", "Boolean", False, False),
        ("IsIncident", "GreaterThan", "Boolean", False, False),
        ("Severity", "Equals", "Integer", 1, False),  # type mismatch
        ("Severity", "Equals", "Boolean", True, False),  # type mismatch
        ("Missing.Path", "Equals", "String", "x", False),  # missing path
    ],
)
def test_operator_by_type(path: str, op: str, typ: str, expected: Any, matched: bool) -> None:
    assert evaluate_rule(rule(path, op, typ, expected), BODY).matched is matched


def test_reasons_name_expected_and_actual() -> None:
    assert evaluate_rule(rule("Missing", "Equals", "String", "x"), BODY).reason == "event has no Missing"
    assert "type mismatch" in evaluate_rule(rule("Severity", "Equals", "Integer", 1), BODY).reason
    r = evaluate_rule(rule("Severity", "Equals", "String", "Low"), BODY)
    assert (r.expected, r.actual, r.reason) == ("Low", "High", "Severity Equals 'Low' — event has 'High'")


@pytest.mark.parametrize("field", ["path", "expected", "op"])
def test_unknown_rule_values_are_assumptions(field: str) -> None:
    u = Unknown("a parameter without value")
    args = {"path": "Severity", "op": "Equals", "expected": "High"}
    args[field] = u
    r = evaluate_rule(rule(args["path"], args["op"], "String", args["expected"]), BODY)
    assert r.matched is None and "not known statically" in r.reason


def automation(
    rule_sets: list[list[AutomationRule]],
    *,
    enabled: Any = True,
    scope: Any = SUB,
    source: str = "Alerts",
) -> Automation:
    return Automation(
        id=f"{SUB}/resourceGroups/rg/providers/Microsoft.Security/automations/a",
        name="a",
        is_enabled=enabled,
        scopes=[AutomationScope(scope_path=scope, origin=ORIGIN)],
        sources=[
            AutomationSource(
                event_source=source,
                rule_sets=[RuleSet(rules=rs, origin=ORIGIN) for rs in rule_sets],
                origin=ORIGIN,
            )
        ],
        origin=ORIGIN,
    )


def run(a: Automation, body: dict[str, Any] = BODY, resource: str = RES, kind: str = "Alerts") -> Any:
    return evaluate(a, Event("e#0", kind, resource, body), Links(Inventory()))


HIGH = rule("Severity", "Equals", "String", "High")
LOW = rule("Severity", "Equals", "String", "Low")


@pytest.mark.parametrize(
    ("rule_sets", "fires"),
    [
        ([[HIGH]], True),
        ([[HIGH, LOW]], False),  # AND inside a rule set
        ([[LOW], [HIGH]], True),  # OR across rule sets
        ([[LOW], [LOW]], False),
    ],
)
def test_and_or(rule_sets: list[list[AutomationRule]], fires: bool) -> None:
    assert run(automation(rule_sets)).fires is fires


def test_first_reason_names_the_rule_set() -> None:
    assert run(automation([[HIGH, LOW]])).reason == "rule set 1: Severity Equals 'Low' — event has 'High'"


def test_disabled_and_unknown_enabled() -> None:
    assert run(automation([[HIGH]], enabled=False)).reason == "the automation is disabled"
    assert run(automation([[HIGH]], enabled=Unknown("p"))).fires is False


def test_event_source_must_match() -> None:
    r = run(automation([[HIGH]], source="Assessments"))
    assert not r.fires and r.reason == "no event source 'Alerts'"


@pytest.mark.parametrize(
    ("scope", "covered", "assumed"),
    [
        (SUB, True, False),
        (SUB.upper() + "/", True, False),  # ids compare case-insensitively
        (f"{SUB}/resourceGroups/rg-data", True, False),
        (f"{SUB}/resourceGroups/rg-other", False, False),
        ("/subscriptions/00000000-0000-0000-0000-000000000001", False, False),
        ("/subscriptions/{subscriptionId}", True, True),  # the deployment's own subscription: assumed
    ],
)
def test_scope(scope: str, covered: bool, assumed: bool) -> None:
    ok, note = scope_covers(scope, RES)
    assert ok is covered and (note is not None) is assumed
    assert run(automation([[HIGH]], scope=scope)).fires is covered


def test_unknown_scope_is_an_assumption_not_a_match() -> None:
    r = run(automation([[HIGH]], scope=Unknown("a parameter")))
    assert not r.fires and r.assumptions and r.reason.startswith("no scope covers")


def test_delivery_unknown_without_logic_app() -> None:
    r = run(automation([[HIGH]]))
    assert r.fires and r.delivers is False and r.reason == "the automation has no action"


def test_malformed_event_file(tmp_path: Path) -> None:
    bad = tmp_path / "e.json"
    bad.write_text('{\n  "Severity": "High",\n  oops\n}\n')
    with pytest.raises(EventError, match=r"e.json:3:\d+: invalid JSON"):
        read_events(bad)
    other = tmp_path / "o.json"
    other.write_text('[{"hello": 1}]')
    with pytest.raises(EventError, match=r"o.json#0: not a Defender for Cloud event"):
        read_events(other)


def test_cli_high_alert_fires_and_delivers(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", str(EXAMPLES / "clean"), "--event", str(EXAMPLES / "events/high-alert.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "soc-high-alerts" in out and "fires, delivers:" in out


def test_cli_low_alert_fails_with_expected_and_actual(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", str(EXAMPLES / "clean"), "--event", str(EXAMPLES / "events/low-alert.json")]
    assert main([*args, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == 1
    auto = doc["events"][0]["automations"][0]
    assert (auto["name"], auto["fires"], auto["delivers"]) == ("soc-high-alerts", False, False)
    assert auto["rule_sets"][0]["rules"][0] | {} == {
        "path": "Severity",
        "operator": "Equals",
        "type": "String",
        "expected": "High",
        "actual": "Low",
        "matched": False,
        "reason": "Severity Equals 'High' — event has 'Low'",
    }
    assert main(args) == 1
    assert "rule set 1: Severity Equals 'High' — event has 'Low'" in capsys.readouterr().out


def test_cli_bad_event_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1,")
    assert main(["simulate", str(EXAMPLES / "clean"), "--event", str(bad)]) == 2
    assert "bad.json:1:" in capsys.readouterr().err


def _verdicts(path: Path, event: str) -> list[tuple[bool, bool | None, str]]:
    from auditor.simulate import simulate
    from auditor.sources.dispatch import FileScan

    inventory = FileScan({}).scan([path])
    results = simulate(
        list(inventory.automations), Links(inventory), read_events(EXAMPLES / "events" / event)
    )
    return [(r.fires, r.delivers, r.reason) for per in results for r in per]


@pytest.mark.parametrize("event", ["high-alert.json", "low-alert.json", "high-alert-arm.json"])
def test_arm_bicep_terraform_twins_agree(event: str) -> None:
    arm = _verdicts(EXAMPLES / "clean", event)
    assert arm == _verdicts(EXAMPLES / "bicep/clean", event) == _verdicts(EXAMPLES / "terraform/clean", event)
    assert len(arm) == 1
