"""``auditor coverage`` (issue 13, item 4, offline): the engine (auditor/coverage.py), COV001 beyond its
fixtures (unknown values, threshold, never in a scan), the CLI in every format, SARIF validation and
the HTML chart in headless Chromium."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.checking import RunSettings
from auditor.cli import main
from auditor.coverage import coverage, event_severity, observed
from auditor.engine import run
from auditor.events import Event
from auditor.link import Links
from auditor.model import Inventory, Origin
from auditor.sources.dispatch import FileScan
from conftest import CORPUS, REPO, all_checks, scan_paths
from tests.reports import test_html
from tests.reports.test_sarif import validate

EXAMPLES = REPO / "examples"
EXPORT = EXAMPLES / "events" / "alerts-export.json"
FIXTURES = REPO / "tests" / "checks" / "fixtures" / "COV001"
SUB = "4b2d8c1e-7f3a-4e69-b0d5-93c6a1f2e874"
OTHER = "9e1f5a37-2c84-4d0b-a6e2-5b7d3c9f1e08"
# The browser fixtures of the HTML report tests (Debian's Chromium through Playwright; skip when absent).
browser = test_html.browser
open_report = test_html.open_report


def alert(alert_type: str, severity: str, sub: str = SUB, n: int = 0) -> Any:
    """An alert as the Logic App trigger receives it, in the inventory's shape."""
    body = {
        "AlertType": alert_type,
        "Severity": severity,
        "SystemAlertId": f"id-{n}",
        "AzureResourceId": f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st{n}",
    }
    event = Event(f"events.json#{n}", "Alerts", body["AzureResourceId"], body)
    return observed(event, Origin(file="events.json", line=n + 2, column=3, json_path=f"[{n}]"))


def template(
    tmp_path: Path, *, enabled: Any = True, scope: Any = None, rule: Any = "High", target: bool = True
) -> Path:
    """One automation (Severity Equals RULE) into a Logic App with a Request trigger, in an ARM template."""
    scope_path = scope if scope is not None else f"/subscriptions/{SUB}"
    la_id = "[resourceId('Microsoft.Logic/workflows', 'la-soc')]"
    resources: list[dict[str, Any]] = []
    if target:
        resources.append(
            {
                "type": "Microsoft.Logic/workflows",
                "apiVersion": "2019-05-01",
                "name": "la-soc",
                "location": "westeurope",
                "properties": {
                    "definition": {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": {}}
                },
            }
        )
    resources.append(
        {
            "type": "Microsoft.Security/automations",
            "apiVersion": "2019-01-01-preview",
            "name": "wa-soc",
            "location": "westeurope",
            "properties": {
                "isEnabled": enabled,
                "scopes": [{"scopePath": scope_path}],
                "sources": [
                    {
                        "eventSource": "Alerts",
                        "ruleSets": [
                            {
                                "rules": [
                                    {
                                        "propertyJPath": "Severity",
                                        "propertyType": "String",
                                        "expectedValue": rule,
                                        "operator": "Equals",
                                    }
                                ]
                            }
                        ],
                    }
                ],
                "actions": [
                    {
                        "actionType": "LogicApp",
                        "logicAppResourceId": la_id,
                        "uri": "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'la-soc', 'manual'), '2019-05-01').value]",
                    }
                ],
            },
        }
    )
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"unknown": {"type": "string"}},
        "resources": resources,
    }
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def report_of(path: Path, events: list[Any]) -> Any:
    inventory = FileScan({}).scan([path])
    return coverage(inventory.automations, Links(inventory), events)


def cov001(path: Path, events: list[Any], min_severity: str = "high") -> list[Any]:
    inventory = dataclasses.replace(FileScan({}).scan([path]), observed_events=events)
    checks = [c for c in all_checks() if c.rule.id in ("COV001", "SRC003")]
    result = run(inventory, checks, settings=RunSettings(coverage_min_severity=min_severity))
    return list(result.findings)


# ---------------------------------------------------------------- the engine


def test_groups_by_kind_type_and_severity_highest_first(tmp_path: Path) -> None:
    events = [
        alert("A", "Low", n=0),
        alert("B", "High", n=1),
        alert("B", "high", n=2),
        alert("C", "Medium", n=3),
    ]
    report = report_of(template(tmp_path), events)
    assert [(g.event_type, g.severity, len(g.events)) for g in report.groups] == [
        ("B", "High", 2),
        ("C", "Medium", 1),
        ("A", "Low", 1),
    ]
    high = report.groups[0]
    assert (high.delivered, high.undelivered, high.unknown) == (2, 0, 0)
    assert high.delivered_by() == [("wa-soc", 2)]
    assert report.groups[2].undelivered == 1 and report.groups[2].delivered_by() == []
    data = report.to_dict()
    assert data["version"] == 1 and data["events"] == 4 and data["automations"] == 1
    assert data["groups"][2]["undelivered_events"] == [
        {"event": "events.json#0", "line": 2, "resource": events[0].resource}
    ]


@pytest.mark.parametrize(
    ("kwargs", "outcome"),
    [
        ({}, "delivered"),
        ({"enabled": False}, "undelivered"),  # a disabled automation delivers nothing
        ({"enabled": "[parameters('unknown')]"}, "unknown"),
        ({"scope": f"/subscriptions/{OTHER}"}, "undelivered"),
        ({"scope": "[parameters('unknown')]"}, "unknown"),
        ({"scope": "[subscription().id]"}, "unknown"),  # {subscriptionId}: which subscription is not known
        ({"rule": "Low"}, "undelivered"),
        ({"rule": "[parameters('unknown')]"}, "unknown"),
        ({"target": False}, "unknown"),  # the Logic App is not in the scan
        (
            {"scope": f"/subscriptions/{OTHER}", "rule": "[parameters('unknown')]"},
            "undelivered",
        ),  # one gate fails
    ],
)
def test_outcome_per_automation(tmp_path: Path, kwargs: dict[str, Any], outcome: str) -> None:
    [group] = report_of(template(tmp_path, **kwargs), [alert("B", "High")]).groups
    assert group.events[0].outcome == outcome


def test_no_automation_means_undelivered(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    [group] = coverage([], Links(Inventory()), [alert("B", "High")]).groups
    assert group.undelivered == 1
    assert "no automation" in cov001(empty, [alert("B", "High")])[0].message


def test_event_severity_scale() -> None:
    assert [event_severity(s) for s in ("Informational", "low", "MEDIUM", "High", "", "Severe")] == [
        0,
        1,
        2,
        3,
        None,
        None,
    ]


# ---------------------------------------------------------------- COV001 beyond the fixtures


def test_threshold(tmp_path: Path) -> None:
    path = template(tmp_path, rule="Critical")  # takes nothing in this export
    events = [alert("A", "High", n=0), alert("B", "Medium", n=1), alert("C", "Low", n=2), alert("D", "", n=3)]
    assert [f.location.json_path for f in cov001(path, events) if f.rule.id == "COV001"] == ["[0]"]
    assert [f.location.json_path for f in cov001(path, events, "medium") if f.rule.id == "COV001"] == [
        "[0]",
        "[1]",
    ]
    assert len([f for f in cov001(path, events, "info") if f.rule.id == "COV001"]) == 3  # no severity: never


def test_unknown_delivery_is_src003_not_cov001(tmp_path: Path) -> None:
    found = cov001(template(tmp_path, target=False), [alert("B", "High"), alert("B", "High", n=1)])
    assert [f.rule.id for f in found] == ["SRC003"]  # once per group, not once per alert
    assert "2 of 2 such alerts might be delivered: wa-soc" in found[0].message


def test_assessments_are_tabled_not_reported(tmp_path: Path) -> None:
    body = {
        "displayName": "MFA should be enabled",
        "status": {"code": "Unhealthy"},
        "metadata": {"severity": "High"},
    }
    event = Event("a.json#0", "Assessments", f"/subscriptions/{SUB}", body)
    obs = observed(event, Origin(file="a.json", line=1))
    assert (obs.event_type, obs.severity) == ("MFA should be enabled", "High")
    assert cov001(template(tmp_path), [obs]) == []


# Positive fixtures in ARM and Bicep (folders: test_unknowns*.py read single files): the value the
# verdict rests on, made unknown, must silence COV001 (the group becomes "unknown", SRC003).
UNKNOWN_VARIANTS = {
    "positive_alert_type_not_matched": (
        "azuredeploy.json",
        '"expectedValue": "Storage."',
        '"expectedValue": "[parameters(\'auditorUnknown\')]"',
        '"parameters": {',
        '"parameters": {\n    "auditorUnknown": {"type": "string"},',
    ),
    "positive_bicep_automation_disabled": (
        "main.bicep",
        "isEnabled: false",
        "isEnabled: auditorUnknown",
        "param location",
        "param auditorUnknown bool\nparam location",
    ),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN_VARIANTS))
def test_positive_is_silent_when_the_deciding_value_is_unknown(case: str, tmp_path: Path) -> None:
    name, old, new, anchor, declared = UNKNOWN_VARIANTS[case]
    source = FIXTURES / case
    assert [f.rule.id for f in scan_paths([source], ["COV001"]).findings] == ["COV001"]
    text = (source / name).read_text()
    assert old in text and anchor in text
    (tmp_path / name).write_text(text.replace(old, new).replace(anchor, declared, 1))
    (tmp_path / "events.json").write_bytes((source / "events.json").read_bytes())
    again = scan_paths([tmp_path], ["COV001", "SRC003"]).findings
    assert [f.rule.id for f in again if f.rule.id == "COV001"] == []
    assert any("COV001 could not check" in f.message for f in again)


def test_scan_never_reports_cov001_on_examples() -> None:
    result = scan_paths([EXAMPLES])
    assert "COV001" in {r.id for r in result.rules}
    assert [f for f in result.findings if f.rule.id == "COV001"] == []


def test_scan_never_reports_cov001_on_the_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    assert [f for f in scan_paths([CORPUS], ["COV001"]).findings] == []


# ---------------------------------------------------------------- the CLI


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["coverage", *args])
    out, err = capsys.readouterr()
    return code, out, err


WORKED = [str(EXAMPLES / "clean"), "--events", str(EXPORT), "--subscription", SUB, "--no-config"]


def test_text_table_and_gate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, *WORKED)
    assert code == 1
    assert (
        "COV001 [medium] 1 of 1 'High' alert of type 'K8S_PrivilegedContainer' reached no automation" in out
    )
    rows = [line.split() for line in out.splitlines() if line.startswith("  Alerts")]
    assert rows == [
        ["Alerts", "K8S_PrivilegedContainer", "High", "1", "0", "1", "0", "-"],
        [
            "Alerts",
            "Storage.Blob_AnonymousAccessAnomaly",
            "High",
            "1",
            "1",
            "0",
            "0",
            "soc-high-alerts",
            "(1)",
        ],
        ["Alerts", "AppServices_AnomalousPageAccess", "Low", "1", "0", "1", "0", "-"],
    ]
    assert "3 events against 1 automation: 1 delivered, 2 reached no automation, 0 unknown" in out
    assert run_cli(capsys, *WORKED, "--fail-on", "high")[0] == 0  # COV001 is medium
    assert run_cli(capsys, *WORKED, "--min-severity", "low")[1].count("COV001 [medium]") == 2


def test_without_subscription_the_placeholder_scope_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, str(EXAMPLES / "clean"), "--events", str(EXPORT), "--no-config")
    assert code == 0 and "COV001 [" not in out
    assert "1 delivered" not in out and "2 unknown offline" in out


def test_json_section(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, *WORKED, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["version"] == 1
    section = doc["event_coverage"]
    assert section["version"] == 1 and section["events"] == 3 and section["min_severity"] == "high"
    assert [(g["type"], g["delivered"], g["undelivered"]) for g in section["groups"]] == [
        ("K8S_PrivilegedContainer", 0, 1),
        ("Storage.Blob_AnonymousAccessAnomaly", 1, 0),
        ("AppServices_AnomalousPageAccess", 0, 1),
    ]
    assert section["groups"][1]["delivered_by"] == [{"name": "soc-high-alerts", "events": 1}]
    [finding] = doc["findings"]
    assert (finding["rule"], finding["line"], finding["column"], finding["json_path"]) == (
        "COV001",
        23,
        3,
        "[1]",
    )
    assert finding["path"].endswith("examples/events/alerts-export.json")


def test_scan_json_has_no_event_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    main(["scan", str(EXAMPLES / "clean"), "--format", "json", "--no-config"])
    assert "event_coverage" not in json.loads(capsys.readouterr().out)


def test_markdown_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, *WORKED, "--format", "markdown")
    assert code == 1
    assert "| Alerts | `K8S_PrivilegedContainer` | High | 1 | 0 | 1 | 0 | - |" in out
    assert (
        "| Alerts | `Storage.Blob_AnonymousAccessAnomaly` | High | 1 | 1 | 0 | 0 | soc-high-alerts (1) |"
        in out
    )


def test_untrusted_text_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nasty = "<img src=x onerror=alert(1)>|\n::error::x"
    events = tmp_path / "ev.json"
    events.write_text(
        json.dumps([{"AlertType": nasty, "Severity": "High", "AzureResourceSubscriptionId": SUB}])
    )
    out_md = run_cli(
        capsys, str(EXAMPLES / "clean"), "--events", str(events), "--no-config", "--format", "markdown"
    )[1]
    [row] = [line for line in out_md.splitlines() if "<img" in line]  # one table row: the newline is escaped
    assert (
        row.startswith("| Alerts | `<img src=x onerror=alert(1)>") and "\n::error::" not in out_md
    )  # a code span
    out_txt = run_cli(capsys, str(EXAMPLES / "clean"), "--events", str(events), "--no-config")[1]
    assert "\n::error::" not in out_txt
    html = tmp_path / "r.html"
    run_cli(
        capsys,
        str(EXAMPLES / "clean"),
        "--events",
        str(events),
        "--no-config",
        "--format",
        "html",
        "-o",
        str(html),
    )
    assert "<img src=x" not in html.read_text()


def test_sarif_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "coverage.sarif"
    code, _, _ = run_cli(capsys, *WORKED, "--format", "sarif", "-o", str(out))
    assert code == 1
    log = json.loads(out.read_text())
    run_ = log["runs"][0]
    [result] = [r for r in run_["results"] if r["ruleId"] == "COV001"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 23
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "alerts-export.json"
    )
    assert run_["properties"]["eventCoverage"]["events"] == 3
    validate(out)


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    assert run_cli(capsys, str(EXAMPLES / "clean"), "--events", str(bad))[0] == 2
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, _, err = run_cli(capsys, str(EXAMPLES / "clean"), "--events", str(empty))
    assert code == 2 and "no event" in err
    assert run_cli(capsys, *WORKED[:3], "--subscription", "not-a-guid")[0] == 2
    with pytest.raises(SystemExit) as exc:
        main(["coverage", str(EXAMPLES / "clean"), "--events", str(EXPORT), "--min-severity", "severe"])
    assert exc.value.code == 2


def test_config_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "auditor.toml").write_text(f'coverage-min-severity = "low"\nsubscription = "{SUB}"\n')
    (tmp_path / "azuredeploy.json").write_text((EXAMPLES / "clean" / "azuredeploy.json").read_text())
    out = run_cli(capsys, str(tmp_path), "--events", str(EXPORT))[1]
    assert out.count("COV001 [medium]") == 2 and "COV001 from low up" in out
    assert (
        run_cli(capsys, str(tmp_path), "--events", str(EXPORT), "--min-severity", "high")[1].count("COV001 [")
        == 1
    )
    (tmp_path / "auditor.toml").write_text('coverage-min-severity = "severe"\n')
    code, _, err = run_cli(capsys, str(tmp_path), "--events", str(EXPORT))
    assert code == 2 and "coverage-min-severity" in err


def test_severity_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "auditor.toml").write_text(f'subscription = "{SUB}"\n[severity-overrides]\nCOV001 = "high"\n')
    (tmp_path / "azuredeploy.json").write_text((EXAMPLES / "clean" / "azuredeploy.json").read_text())
    code, out, _ = run_cli(capsys, str(tmp_path), "--events", str(EXPORT), "--fail-on", "high")
    assert code == 1 and "COV001 [high]" in out


def test_simulate_takes_the_shared_offline_options(capsys: pytest.CaptureFixture[str]) -> None:
    event = str(EXAMPLES / "events" / "high-alert.json")
    assert main(["simulate", str(EXAMPLES / "clean"), "--event", event, "--no-config"]) == 0
    assert "assumption: scope '/subscriptions/{subscriptionId}'" in capsys.readouterr().out
    assert (
        main(["simulate", str(EXAMPLES / "clean"), "--event", event, "--subscription", SUB, "--no-config"])
        == 0
    )
    assert "assumption" not in capsys.readouterr().out
    assert (
        main(["simulate", str(EXAMPLES / "clean"), "--event", event, "--subscription", OTHER, "--no-config"])
        == 1
    )
    assert "no scope covers" in capsys.readouterr().out


# ---------------------------------------------------------------- the HTML chart, in Chromium


def test_html_chart_in_chromium(tmp_path: Path, capsys: pytest.CaptureFixture[str], open_report: Any) -> None:
    out = tmp_path / "coverage.html"
    assert run_cli(capsys, *WORKED, "--format", "html", "-o", str(out))[0] == 1
    r = open_report(out)
    page = r.page
    assert page.locator("#alert-coverage h2").text_content() == "Alert coverage"
    bars = page.locator("svg#chart-coverage g.bar")
    assert bars.count() == 3
    assert page.locator("svg#chart-coverage rect.cov-delivered").count() == 1
    assert page.locator("svg#chart-coverage rect.cov-undelivered").count() == 2
    widths = page.eval_on_selector_all(
        "svg#chart-coverage rect.seg", "els => els.map(e => e.getBBox().width)"
    )
    assert all(w > 100 for w in widths)  # one event each: full-length bars, drawn
    cells = page.eval_on_selector_all(
        "table.coverage tbody tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
    )
    assert cells[1] == [
        "Alerts",
        "Storage.Blob_AnonymousAccessAnomaly",
        "High",
        "1",
        "1",
        "0",
        "0",
        "soc-high-alerts (1)",
    ]
    r.assert_clean()  # no request beyond the file itself, no console error


def test_the_same_question_is_answered_once(tmp_path: Path) -> None:
    inventory = FileScan({}).scan([template(tmp_path)])
    links = Links(inventory)
    events = [alert("B", "High")]
    first = coverage(inventory.automations, links, events)
    again = coverage(inventory.automations, links, events, "low")
    assert again.groups is first.groups and again.min_severity == "low"  # COV001 and the report share it
    other = coverage(inventory.automations, links, [alert("B", "High")])
    assert other.groups is not first.groups and other.groups[0].delivered == 1


def test_ci_formats_carry_the_totals(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_cli(capsys, *WORKED, "--format", "github")[1]
    assert out.splitlines()[-1].startswith("::notice title=auditor alert coverage::Alert coverage: 3 events")
    assert "::warning file=" in out and "COV001" in out
    out = run_cli(capsys, *WORKED, "--format", "azure")[1]
    assert "Alert coverage: 3 events against 1 automation" in out
    assert out.splitlines()[-1].startswith("##vso[task.complete result=Failed;]")


def test_scan_reports_have_no_coverage_section(tmp_path: Path) -> None:
    out = tmp_path / "scan.html"
    main(["scan", str(EXAMPLES / "clean"), "--no-config", "--format", "html", "-o", str(out)])
    assert 'id="alert-coverage"' not in out.read_text()
    md = tmp_path / "scan.md"
    main(["scan", str(EXAMPLES / "clean"), "--no-config", "--format", "markdown", "-o", str(md)])
    assert "Alert coverage" not in md.read_text()
