"""``auditor simulate``: the evaluator (operators × types, AND/OR, enabled, scope) and the CLI on examples/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.event_files import read_events
from auditor.events import Event, EventError
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
from auditor.simulate import evaluate, evaluate_rule, scope_covers
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


# ---------------------------------------------------------------- operator × propertyType, researched readings

WIDE: dict[str, Any] = {
    **BODY,
    "CountText": "7",
    "FlagText": "true",
    "Nothing": None,
    "Key With Space": "spaced",
    "Entities": [{"Type": "ip", "Address": "10.0.0.4"}, {"Type": "host", "HostName": "vm-01"}],
    "Single": [{"Type": "ip"}],
}


@pytest.mark.parametrize(
    ("path", "op", "typ", "expected", "matched"),
    [
        # String: case-insensitive (REST spec), ordering does not apply (enum: "only for decimal operands")
        ("Severity", "Equals", "String", "HIGH", True),
        ("Severity", "LesserThan", "String", "Z", False),
        ("Severity", "GreaterThanOrEqualTo", "String", "A", False),
        ("Severity", "LesserThanOrEqualTo", "String", "Z", False),
        ("Count", "Equals", "String", "7", None),  # a number under String: converting is undocumented
        ("Count", "Equals", "String", "8", False),  # ... but no reading matches 8
        ("Count", "Contains", "String", "7", None),
        ("IsIncident", "Equals", "String", "false", None),  # Json.NET writes False
        ("IsIncident", "Equals", "String", "yes", False),
        ("Nothing", "Equals", "String", "x", False),  # null
        ("Nothing", "NotEquals", "String", "x", None),
        ("Entities", "Contains", "String", "vm-01", None),  # an array's text may contain it
        # Integer / Number: numeric, text operators do not apply ("only for non-decimal operands")
        ("Count", "StartsWith", "Integer", "7", False),
        ("Count", "EndsWith", "Number", "7", False),
        ("Count", "Equals", "Integer", "7.5", False),  # not a whole number: AUT206
        ("Count", "Equals", "Integer", "seven", False),
        ("Count", "Equals", "Number", "7.0", True),
        ("Ratio", "Equals", "Number", "2.5", True),
        ("Ratio", "GreaterThan", "Integer", "2", None),  # a fraction under Integer: conversion undocumented
        ("Ratio", "Equals", "Integer", "3", False),
        ("CountText", "Equals", "Integer", "7", None),  # numeric text in the event
        ("CountText", "Equals", "Integer", "8", False),
        ("CountText", "GreaterThan", "Number", "1", None),
        ("Nothing", "Equals", "Integer", "1", False),
        ("Entity", "Equals", "Integer", "1", False),  # an object
        # Boolean: true/false in any case (.NET Boolean.Parse), only Equals/NotEquals
        ("IsIncident", "Equals", "Boolean", "False", True),
        ("IsIncident", "Equals", "Boolean", "FALSE", True),
        ("IsIncident", "Equals", "Boolean", "true", False),
        ("IsIncident", "NotEquals", "Boolean", "true", True),
        ("IsIncident", "Contains", "Boolean", "f", False),
        ("IsIncident", "Equals", "Boolean", "yes", False),  # not a Boolean expected value
        ("FlagText", "Equals", "Boolean", "true", None),  # "true" as text in the event
        ("FlagText", "Equals", "Boolean", "false", False),
        # operators, types, names
        ("Severity", "equals", "string", "High", True),  # enum names read case-insensitively (AUT206)
        ("Severity", "Matches", "String", "High", False),  # not one of the nine operators
        ("Severity", "Equals", "Date", "High", False),  # not one of the four types
        # missing paths: nothing holds, except NotEquals (undocumented)
        ("Missing", "NotEquals", "String", "x", None),
        ("Missing", "Contains", "String", "x", False),
        ("Missing", "GreaterThan", "Integer", "1", False),
        ("Missing", "Equals", "Boolean", "true", False),
        # key case: Json.NET is case-sensitive; decided only when both lookups agree
        ("severity", "Equals", "String", "High", None),
        ("severity", "Equals", "String", "Low", False),
        ("entity.name", "Equals", "String", "nobody", False),
    ],
)
def test_operator_by_type_readings(path: str, op: str, typ: str, expected: Any, matched: bool | None) -> None:
    r = evaluate_rule(rule(path, op, typ, expected), WIDE)
    assert r.matched is matched, r.reason
    if matched is None:
        assert "undocumented" in r.reason


@pytest.mark.parametrize(
    ("path", "op", "expected", "matched"),
    [
        ("$.Severity", "Equals", "High", True),
        ("$['Severity']", "Equals", "High", True),
        ('Entity["Name"]', "Equals", "vm-01", True),
        ("$['Entity'].Name", "Equals", "vm-01", True),
        ("['Key With Space']", "Equals", "SPACED", True),
        ("Entities[0].Type", "Equals", "ip", True),
        ("Entities[1].Type", "Equals", "ip", False),
        ("Entities[5].Type", "Equals", "ip", False),  # beyond the array: selects nothing
        ("Entities[0,1].Type", "Equals", "url", False),
        ("Single[*].Type", "Equals", "ip", True),  # one value selected: an ordinary rule
        # several values: no match when none matches, else undocumented (SelectToken raises on several)
        ("Entities[*].Type", "Equals", "url", False),
        ("Entities[*].Type", "Equals", "host", None),
        ("Entities[*].Type", "NotEquals", "ip", None),
        ("$..Type", "Equals", "HOST", None),
        ("Entities.*", "Contains", "x", False),
        ("$..HostName", "Equals", "vm-01", True),  # '..' that finds one value
        # not evaluated: an assumption, never a match or a mismatch
        ("Entities[?(@.Type == 'ip')].Address", "Equals", "10.0.0.4", None),
        ("Entities[0:1].Type", "Equals", "ip", None),
        ("Entities[-1].Type", "Equals", "host", None),
        ("", "Equals", "x", None),
        ("$", "Equals", "x", None),
    ],
)
def test_jsonpath(path: str, op: str, expected: str, matched: bool | None) -> None:
    r = evaluate_rule(rule(path, op, "String", expected), WIDE)
    assert r.matched is matched, r.reason


def test_several_values_report_them() -> None:
    r = (
        evaluate_rule(
            rule(
                "Entities[*].Type",
                "Equals",
                "url",
            ),
            WIDE,
        )
        if False
        else evaluate_rule(rule("Entities[*].Type", "Equals", "String", "url"), WIDE)
    )
    assert r.actual == ["ip", "host"] and "none of its 2 values" in r.reason
    r = evaluate_rule(rule("Entities[*].Type", "Equals", "String", "host"), WIDE)
    assert "selects 2 values" in r.reason and "SelectToken" in r.reason


def test_not_evaluated_paths_say_why() -> None:
    r = evaluate_rule(rule("Entities[?(@.Type == 'ip')]", "Equals", "String", "x"), WIDE)
    assert r.reason.startswith("path 'Entities[?(@.Type == 'ip')]' is not evaluated: a filter")


def test_hostile_paths_are_bounded() -> None:
    import time

    from auditor import jpath

    deep: Any = "x"
    for _ in range(200):
        deep = {"a": deep}
    wide = {"items": [{"k": i, "sub": [{"x": j} for j in range(50)]} for i in range(2000)]}
    started = time.perf_counter()
    cases = [
        ("a" + ".b" * 40, WIDE, "more than 32 steps"),
        ("a" * 600, WIDE, "longer than 512"),
        ("$..nowhere", wide, "visited more than 20000"),
        ("$..a", deep, "deeper than 64"),
        ("items[*].sub[*].x", wide, "more than 1000 values"),
    ]
    for path, body, why in cases:
        r = evaluate_rule(rule(path, "Equals", "String", "x"), body)
        assert r.matched is None and why in r.reason, (path, r.reason)
    assert time.perf_counter() - started < 2.0
    assert jpath.MAX_VISITS == 20_000


def test_canonical_paths() -> None:
    from auditor.jpath import canonical

    assert canonical("$.Severity") == canonical("$['Severity']") == canonical("Severity") == "Severity"
    assert canonical("$.a['b c'][0]") == "a['b c'][0]"
    assert canonical("a[*].b") is None and canonical("a..b") is None and canonical("a[?(@.x)]") is None


# ---------------------------------------------------------------- automation structure


def source(kind: Any, rule_sets: list[RuleSet] | None = None, **extra: Any) -> AutomationSource:
    return AutomationSource(event_source=kind, rule_sets=rule_sets or [], origin=ORIGIN, **extra)


def custom(sources: list[AutomationSource], **extra: Any) -> Automation:
    fields: dict[str, Any] = {
        "id": f"{SUB}/resourceGroups/rg/providers/Microsoft.Security/automations/c",
        "name": "c",
        "is_enabled": True,
        "scopes": [AutomationScope(scope_path=SUB, origin=ORIGIN)],
        "sources": sources,
        "origin": ORIGIN,
    }
    fields.update(extra)
    return Automation(**fields)


def test_source_without_rule_sets_takes_every_event_of_its_kind() -> None:
    r = run(custom([source("Alerts")]))
    assert r.fires and r.rule_sets == []
    assert not run(custom([source("Assessments")])).fires


def test_event_source_names_compare_case_insensitively() -> None:
    assert run(custom([source("alerts")])).fires


def test_unknown_structure_is_an_assumption() -> None:
    u = Unknown("a parameter without value")
    r = run(custom([source("Alerts", rule_sets_unknown=u)]))
    assert not r.fires and r.reason.startswith("assumption:") and r.assumptions
    r = run(custom([source(u)]))
    assert not r.fires and "an eventSource is not known statically: not matched" in r.assumptions
    r = run(custom([source("Alerts", [RuleSet(rules=[HIGH], origin=ORIGIN, unresolved=u)])]))
    assert not r.fires and r.rule_set_matched == [None]
    r = run(custom([source("Alerts", [RuleSet(rules=[], origin=ORIGIN)])]))
    assert not r.fires and r.rule_set_matched == [None] and "undocumented" in r.reason
    r = run(custom([], sources_unknown=u))
    assert not r.fires and "the automation's sources are not known statically" in r.assumptions
    r = run(custom([source("Alerts")], scopes=[], scopes_unknown=u))
    assert not r.fires and r.reason.startswith("no scope covers")


@pytest.mark.parametrize(
    ("enabled", "fires", "reason"),
    [
        (True, True, None),
        (False, False, "the automation is disabled"),
        (
            None,
            False,
            "assumption: isEnabled is absent and Defender documents no default: not assumed enabled",
        ),
        (Unknown("p"), False, "isEnabled is not known"),
    ],
)
def test_is_enabled(enabled: Any, fires: bool, reason: str | None) -> None:
    r = run(custom([source("Alerts")], is_enabled=enabled))
    assert r.fires is fires and (reason is None or r.reason == reason)


@pytest.mark.parametrize(
    ("rule_sets", "matched", "fires"),
    [
        (
            [[HIGH, rule("Severity", "Equals", "String", Unknown("p"))]],
            [None],
            False,
        ),  # AND with an assumption
        ([[LOW, rule("Severity", "Equals", "String", Unknown("p"))]], [False], False),  # a false rule decides
        (
            [[rule("Severity", "Equals", "String", Unknown("p"))], [HIGH]],
            [None, True],
            True,
        ),  # OR: one is enough
    ],
)
def test_and_or_with_assumptions(
    rule_sets: list[list[AutomationRule]], matched: list[Any], fires: bool
) -> None:
    r = run(automation(rule_sets))
    assert r.rule_set_matched == matched and r.fires is fires


def test_results_are_the_same_through_evaluate_and_simulate() -> None:
    from auditor.simulate import simulate

    autos = [automation([[HIGH]]), automation([[LOW], [HIGH, rule("Count", "GreaterThan", "Integer", "3")]])]
    events = [Event(f"e#{i}", "Alerts", RES, {**BODY, "Severity": s}) for i, s in enumerate(["High", "Low"])]
    links = Links(Inventory())
    together = simulate(autos, links, events)
    one_by_one = [[evaluate(a, e, links) for a in autos] for e in events]
    assert [[(r.fires, r.reason, r.rule_set_matched) for r in per] for per in together] == [
        [(r.fires, r.reason, r.rule_set_matched) for r in per] for per in one_by_one
    ]


# ---------------------------------------------------------------- event kinds, both shapes


def events_of(tmp_path: Path, doc: Any) -> list[Event]:
    f = tmp_path / "events.json"
    f.write_text(json.dumps(doc))
    return read_events(f)


VM = f"{SUB}/resourceGroups/rg-build/providers/Microsoft.Compute/virtualMachines/vm-02"
ASSESSMENT_ID = f"{VM}/providers/Microsoft.Security/assessments/4fb67663-9ab9-475d-b026-8c544cced439"
RC_ID = (
    f"{SUB}/providers/Microsoft.Security/regulatoryComplianceStandards/CIS-2.0/regulatoryComplianceControls/"
    "5.1/regulatoryComplianceAssessments/a1b2"
)
ALERT_ID = f"{SUB}/resourceGroups/rg/providers/Microsoft.Security/locations/westeurope/alerts/2517_abc"


@pytest.mark.parametrize(
    ("doc", "kind", "resource", "shape", "probe"),
    [
        ({"AlertType": "X", "Severity": "High", "AzureResourceId": VM}, "Alerts", VM, "trigger", "Severity"),
        (
            {"SystemAlertId": "1", "ResourceIdentifiers": [{"AzureResourceId": VM}]},
            "Alerts",
            VM,
            "trigger",
            None,
        ),
        (
            {"AlertType": "X", "AzureResourceSubscriptionId": SUB.split("/")[2]},
            "Alerts",
            SUB,
            "trigger",
            None,
        ),
        (
            {
                "id": ALERT_ID,
                "type": "Microsoft.Security/Locations/alerts",
                "properties": {
                    "severity": "High",
                    "timeGeneratedUtc": "2026-11-30T08:00:00Z",
                    "resourceIdentifiers": [{"type": "AzureResource", "azureResourceId": VM}],
                },
            },
            "Alerts",
            VM,
            "arm",
            "TimeGenerated",
        ),
        (
            {"id": ALERT_ID, "type": "Microsoft.Security/Locations/alerts", "severity": "High"},
            "Alerts",
            SUB,
            "arm",
            "Severity",
        ),  # az CLI's flattened form; the alert's own id tells only the subscription
        (
            {
                "AssessmentEventDataEnrichment": {"Action": "Insert", "ApiVersion": "2019-01-01"},
                "id": ASSESSMENT_ID,
                "name": "4fb67663-9ab9-475d-b026-8c544cced439",
                "type": "Microsoft.Security/assessments",
                "properties": {
                    "resourceDetails": {"source": "Azure", "id": VM},
                    "status": {"code": "Unhealthy"},
                },
            },
            "Assessments",
            VM,
            "trigger",
            "properties.status.code",
        ),
        (
            {
                "id": ASSESSMENT_ID,
                "type": "Microsoft.Security/assessments",
                "properties": {
                    "resourceDetails": {"Source": "Azure", "ResourceId": VM},
                    "status": {"code": "Healthy"},
                },
            },
            "Assessments",
            VM,
            "arm",
            "properties.status.code",
        ),
        (  # no resourceDetails: the assessed resource is the id's prefix
            {
                "id": ASSESSMENT_ID,
                "type": "Microsoft.Security/assessments",
                "properties": {"status": {"code": "x"}},
            },
            "Assessments",
            VM,
            "arm",
            None,
        ),
        (  # az CLI's flattened form, a subscription-level assessment
            {
                "id": f"{SUB}/providers/Microsoft.Security/assessments/k1",
                "name": "k1",
                "status": {"code": "Unhealthy"},
            },
            "Assessments",
            SUB,
            "arm",
            "properties.status.code",
        ),
        (
            {
                "securityEventDataEnrichment": {"action": "Write", "isSnapshot": False},
                "id": RC_ID,
                "name": "a1b2",
                "type": "Microsoft.Security/regulatoryComplianceStandards/regulatoryComplianceControls/"
                "regulatoryComplianceAssessments",
                "properties": {"state": "Failed", "failedResources": 2},
            },
            "RegulatoryComplianceAssessment",
            SUB,
            "trigger",
            "properties.state",
        ),
        (
            {"id": RC_ID, "name": "a1b2", "properties": {"state": "Passed"}},
            "RegulatoryComplianceAssessment",
            SUB,
            "arm",
            "properties.state",
        ),
    ],
)
def test_event_kinds_and_shapes(
    tmp_path: Path, doc: dict[str, Any], kind: str, resource: str, shape: str, probe: str | None
) -> None:
    (event,) = events_of(tmp_path, doc)
    assert (event.kind, event.resource, event.shape) == (kind, resource, shape)
    if probe is not None:
        assert evaluate_rule(rule(probe, "NotEquals", "String", "?"), event.body).matched is True


def test_bodies_without_type_or_id(tmp_path: Path) -> None:
    alert = {
        "properties": {
            "alertType": "VM_X",
            "severity": "Low",
            "resourceIdentifiers": [{"azureResourceId": VM}],
        }
    }
    assessment = {"properties": {"resourceDetails": {"id": VM}, "status": {"code": "Unhealthy"}}}
    assert [(e.kind, e.resource) for e in events_of(tmp_path, [alert, assessment])] == [
        ("Alerts", VM),
        ("Assessments", VM),
    ]


def test_rest_pages_and_lists(tmp_path: Path) -> None:
    page = {
        "value": [{"AlertType": "A", "AzureResourceId": VM}, {"id": RC_ID, "properties": {"state": "Failed"}}]
    }
    assert [(e.label[-2:], e.kind) for e in events_of(tmp_path, page)] == [
        ("#0", "Alerts"),
        ("#1", "RegulatoryComplianceAssessment"),
    ]


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ([{"AlertType": "A"}, {"hello": 1}], r"events.json#1: not a Defender for Cloud event"),
        ([1], r"events.json#0: an event is a JSON object, got int"),
        (
            {
                "id": f"{ASSESSMENT_ID}/subAssessments/f1",
                "type": "Microsoft.Security/assessments/subAssessments",
            },
            r"events.json#0: a sub-assessment \(security finding\): only Alerts, Assessments",
        ),
        (
            {"type": "Microsoft.Security/assessments", "properties": {"status": {"code": "Healthy"}}},
            r"events.json#0: an event of kind Assessments that names no resource",
        ),
    ],
)
def test_unrecognisable_events_name_the_item(tmp_path: Path, doc: Any, why: str) -> None:
    with pytest.raises(EventError, match=why):
        events_of(tmp_path, doc)


def test_arm_alert_reads_like_the_trigger() -> None:
    trigger = read_events(EXAMPLES / "events/high-alert.json")[0]
    arm = read_events(EXAMPLES / "events/high-alert-arm.json")[0]
    for path in ("Severity", "AlertType", "ResourceIdentifiers[0].AzureResourceId", "CompromisedEntity"):
        a, b = (evaluate_rule(rule(path, "Equals", "String", "x"), e.body) for e in (trigger, arm))
        assert a.actual == b.actual is not None
    assert arm.resource == trigger.resource


@pytest.mark.parametrize(
    ("scope", "resource", "covered"),
    [
        (SUB, SUB, True),  # a regulatory-compliance assessment is about the subscription
        (f"{SUB}/resourceGroups/rg-build", SUB, False),  # ... which no resource group covers
        (f"{SUB}/resourceGroups/RG-BUILD", VM, True),
        ("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}", VM, True),  # placeholders: assumed
        ("/subscriptions/{subscriptionId}/resourceGroups/rg-other", VM, False),
    ],
)
def test_scope_kinds(scope: str, resource: str, covered: bool) -> None:
    assert scope_covers(scope, resource)[0] is covered


# ---------------------------------------------------------------- examples: ARM, Bicep, Terraform


def test_cli_assessment_events_on_broken_examples(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", str(EXAMPLES / "broken"), "--format", "json", "--event"]
    assert main([*args, str(EXAMPLES / "events/unhealthy-assessment.json")]) == 1
    autos = {a["name"]: a for a in json.loads(capsys.readouterr().out)["events"][0]["automations"]}
    hit = autos["notify-owner-endpoint-protection"]
    assert hit["fires"] is True and hit["delivers"] is None and "AUT203" in hit["reason"]
    assert autos["notify-owner-alerts"]["reason"] == "no event source 'Assessments'"
    assert main([*args, str(EXAMPLES / "events/healthy-assessment-arm.json")]) == 1
    doc = json.loads(capsys.readouterr().out)
    auto = {a["name"]: a for a in doc["events"][0]["automations"]}["notify-owner-endpoint-protection"]
    assert auto["reason"] == "rule set 1: properties.status.code Equals 'Unhealthy' — event has 'Healthy'"
    assert main([*args, str(EXAMPLES / "events/failed-compliance-assessment.json")]) == 1
    doc = json.loads(capsys.readouterr().out)["events"][0]
    assert doc["kind"] == "RegulatoryComplianceAssessment"
    assert doc["resource"] == "/subscriptions/4b2d8c1e-7f3a-4e69-b0d5-93c6a1f2e874"


@pytest.mark.parametrize(
    "event", ["unhealthy-assessment.json", "healthy-assessment-arm.json", "failed-compliance-assessment.json"]
)
def test_broken_twins_agree_on_assessments(event: str) -> None:
    arm = _verdicts(EXAMPLES / "broken", event)
    assert sorted(arm) == sorted(_verdicts(EXAMPLES / "bicep/broken", event))
    assert sorted(arm) == sorted(_verdicts(EXAMPLES / "terraform/broken", event))


# ---------------------------------------------------------------- AUT204 agrees


AUT204_PAIRS = [
    (rule("Severity", "Equals", "String", "High"), rule("Severity", "Equals", "String", "Medium")),
    (rule("Severity", "Equals", "String", "High"), rule("$.Severity", "NotEquals", "String", "high")),
    (rule("Severity", "Equals", "String", "High"), rule("Severity", "Contains", "String", "ow")),
    (rule("Count", "GreaterThan", "Integer", "5"), rule("Count", "LesserThan", "Integer", "3")),
    (rule("Count", "GreaterThan", "Integer", "3"), rule("Count", "LesserThan", "Integer", "4")),
    (rule("IsIncident", "Equals", "Boolean", "true"), rule("IsIncident", "Equals", "Boolean", "false")),
    (
        rule("Entity.Name", "StartsWith", "String", "vm"),
        rule("$['Entity'].Name", "StartsWith", "String", "db"),
    ),
]
PROBES: list[dict[str, Any]] = [
    WIDE,
    {"Severity": "Medium", "Count": 4, "IsIncident": True, "Entity": {"Name": "db-1"}},
    {"Severity": 7, "Count": "3.5", "IsIncident": "false", "Entity": {"Name": "VM-1"}},
    {"severity": "High", "count": 9},
    {},
]


@pytest.mark.parametrize("pair", AUT204_PAIRS)
def test_a_rule_set_aut204_calls_dead_never_matches(pair: tuple[AutomationRule, AutomationRule]) -> None:
    from auditor.catalog import default_catalog
    from auditor.checking import CheckContext
    from checks import aut204_rule_set_never_matches as aut204

    inventory = Inventory(automations=[automation([list(pair)])])
    ctx = CheckContext(links=Links(inventory), catalog=default_catalog())
    assert list(aut204.check(inventory, ctx)), "AUT204 should call this pair dead"
    for body in PROBES:
        r = run(automation([list(pair)]), body=body)
        assert r.rule_set_matched != [True], body


def test_recursion_over_a_huge_flat_body_is_bounded() -> None:
    import time

    body = {"items": [{"n": i} for i in range(200_000)]}
    started = time.perf_counter()
    r = evaluate_rule(rule("$..missing", "Equals", "String", "x"), body)
    assert r.matched is None and "visited more than" in r.reason
    assert time.perf_counter() - started < 1.0


def test_rules_are_evaluated_for_events_that_reach_them() -> None:
    other = "/subscriptions/00000000-0000-0000-0000-000000000001"
    r = run(automation([[HIGH]], scope=other))
    assert r.reason == f"no scope covers {RES}" and r.rule_sets == []  # Defender never evaluates them
    r = run(automation([[HIGH]], enabled=False))
    assert r.reason == "the automation is disabled" and r.rule_set_matched == [True]  # would match if enabled


def test_arm_alert_does_not_tell_the_trigger_version(tmp_path: Path) -> None:
    """Microsoft's built-in policy matches every alert with 'Version Contains 3.'; an ARM body's version is
    the REST schema's, so a rule on Version is an assumption for it, and decided for a trigger document."""
    version = rule("Version", "Contains", "String", "3.")
    arm = {
        "id": ALERT_ID,
        "type": "Microsoft.Security/Locations/alerts",
        "properties": {"version": "2022-01-01.0"},
    }
    (event,) = events_of(tmp_path, arm)
    r = evaluate(automation([[version]]), event, Links(Inventory()))
    assert r.rule_set_matched == [None] and "does not tell the trigger's Version" in r.reason
    (event,) = events_of(tmp_path, {"AlertType": "X", "Version": "3.0", "AzureResourceId": RES})
    assert evaluate(automation([[version]]), event, Links(Inventory())).rule_set_matched == [True]


# The full operator × propertyType matrix, each rule on a value of its own type (expected value equal to the
# event's): T = matches, F = does not (REST enum: ordering operators "apply only for decimal operands", text
# operators "only for non-decimal operands").
TYPED = {"S": "High", "I": 7, "N": 2.5, "B": True}
TYPE_CASES = {
    "String": ("S", "high"),
    "Integer": ("I", "7"),
    "Number": ("N", "2.5"),
    "Boolean": ("B", "TRUE"),
}
MATRIX = {
    #                  Equals NotEquals Contains StartsWith EndsWith GreaterThan GTE LesserThan LTE
    "String": "T F T T T F F F F",
    "Integer": "T F F F F F T F T",
    "Number": "T F F F F F T F T",
    "Boolean": "T F F F F F F F F",
}
OPERATORS = [
    "Equals",
    "NotEquals",
    "Contains",
    "StartsWith",
    "EndsWith",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "LesserThan",
    "LesserThanOrEqualTo",
]


@pytest.mark.parametrize("typ", list(MATRIX))
@pytest.mark.parametrize("op", OPERATORS)
def test_operator_type_matrix(op: str, typ: str) -> None:
    path, expected = TYPE_CASES[typ]
    want = MATRIX[typ].split()[OPERATORS.index(op)] == "T"
    assert evaluate_rule(rule(path, op, typ, expected), TYPED).matched is want


# Each type's Equals rule on each JSON type's value: T, F, or ? (an assumption: converting is undocumented).
CROSS = {
    #            on "High"  on 7  on 2.5  on true
    "String": ("T", "?", "?", "?"),
    "Integer": ("F", "T", "F", "F"),
    "Number": ("F", "T", "T", "F"),
    "Boolean": ("F", "F", "F", "T"),
}
CROSS_EXPECTED = {
    "String": ("High", "7", "2.5", "true"),
    "Integer": ("1", "7", "2", "1"),
    "Number": ("1", "7", "2.5", "1"),
    "Boolean": ("true", "true", "true", "true"),
}


@pytest.mark.parametrize("typ", list(CROSS))
@pytest.mark.parametrize("column", range(4))
def test_type_mismatch_matrix(typ: str, column: int) -> None:
    path = ("S", "I", "N", "B")[column]
    want = {"T": True, "F": False, "?": None}[CROSS[typ][column]]
    r = evaluate_rule(rule(path, "Equals", typ, CROSS_EXPECTED[typ][column]), TYPED)
    assert r.matched is want, r.reason


def test_numbers_beyond_a_double_are_not_numbers() -> None:
    huge = 10**400
    assert evaluate_rule(rule("Big", "GreaterThan", "Integer", "1"), {"Big": huge}).matched is False
    assert evaluate_rule(rule("Count", "Equals", "Integer", huge), BODY).matched is False  # expected value
    r = evaluate_rule(rule("Count", "Equals", "String", "8"), BODY)
    assert (r.matched, r.reason) == (False, "Count Equals '8' — event has 7")


def test_aut204_survives_an_expected_value_beyond_a_double() -> None:
    """as_number (shared with AUT204) raised OverflowError on 10**400, crashing the check."""
    from auditor.catalog import default_catalog
    from auditor.checking import CheckContext
    from auditor.rule_values import as_number
    from checks import aut204_rule_set_never_matches as aut204

    assert as_number(10**400) is None and as_number("1e999") == float("inf")
    pair = [rule("Count", "GreaterThan", "Integer", 10**400), rule("Count", "LesserThan", "Integer", "3")]
    inventory = Inventory(automations=[automation([pair])])
    assert (
        list(aut204.check(inventory, CheckContext(links=Links(inventory), catalog=default_catalog()))) == []
    )


def test_equal_but_differently_typed_expected_values_stay_apart() -> None:
    from auditor.simulate import simulate

    as_bool_value = automation([[rule("Flag", "Equals", "String", True)]])
    as_int_value = automation([[rule("Flag", "Equals", "String", 1)]])
    event = Event("e#0", "Alerts", RES, {"Flag": "1"})
    (per,) = simulate([as_bool_value, as_int_value], Links(Inventory()), [event])
    assert [r.rule_set_matched for r in per] == [[False], [True]]
    assert [r.rule_sets[0][0].expected for r in per] == [True, 1]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_is_the_document(count: int) -> None:
    """``write_json`` (what the CLI prints, event by event) parses to exactly :func:`to_json`'s document."""
    import io

    from auditor.simulate import simulate, to_json, write_json
    from auditor.sources.dispatch import FileScan

    inventory = FileScan({}).scan([EXAMPLES / "clean", EXAMPLES / "broken"])
    events = (read_events(EXAMPLES / "events" / "high-alert.json") * 3)[:count]
    results = simulate(list(inventory.automations), Links(inventory), events)
    out = io.StringIO()
    write_json(events, results, out, {"live": {"complete": True, "gaps": ["a\nb"]}})
    assert json.loads(out.getvalue()) == {
        **to_json(events, results),
        "live": {"complete": True, "gaps": ["a\nb"]},
    }


def test_an_events_file_in_utf16_is_read_like_a_template(tmp_path: Path) -> None:
    """PowerShell 5 writes `az security alert list > alerts.json` as UTF-16 with a BOM: read, not refused."""
    original = EXAMPLES / "events" / "high-alert.json"
    path = tmp_path / "alerts.json"
    path.write_text(original.read_text(encoding="utf-8"), encoding="utf-16")
    [wide], [narrow] = read_events(path), read_events(original)
    assert (wide.kind, wide.resource, wide.body) == (narrow.kind, narrow.resource, narrow.body)


def test_collector_state_is_restored_after_a_run() -> None:
    """simulate() turns the cyclic collector off for its run and back on without a rescan (freeze and
    unfreeze); the caller's own frozen objects stay frozen, and a collector that was off stays off."""
    import gc

    from auditor.simulate import without_cyclic_gc

    assert gc.isenabled()
    with without_cyclic_gc():
        assert not gc.isenabled()
        kept = [[] for _ in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and all(gc.is_tracked(k) for k in kept)

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with without_cyclic_gc():
            pass
        assert gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()

    gc.disable()
    try:
        with without_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
