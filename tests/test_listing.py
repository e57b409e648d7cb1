"""A copy loop repeats one defect per instance: auditor lists 20 per place and counts the rest (issue 9).

Before, a 35 KB template with a few mistakes inside a copy loop of 800 gave 26,000 findings, an 80 MB HTML
report and 12 s of rendering. The limit must not change what the gate decides or what a baseline records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.findings import Finding, Location, Rule, Severity, Suppression
from auditor.listing import MAX_PER_PLACE, limit_per_place
from tests.samples import legacy_logic_app, run_cli, write_template


def copied_legacy_apps(tmp_path: Path, count: int) -> Path:
    """``count`` copies of a Logic App on the legacy trigger: one LA101 per copy, all at one place."""
    app: dict[str, Any] = legacy_logic_app(name="[concat('legacy-', copyIndex())]")
    app["copy"] = {"name": "apps", "count": count}
    return write_template(tmp_path / "copies.json", app)


def scan_json(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli(capsys, "scan", str(path), "--no-config", "--format", "json", *extra)
    return code, json.loads(out)


def test_a_copy_loop_of_800_lists_20_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = copied_legacy_apps(tmp_path, 800)
    code, report = scan_json(capsys, path)
    assert code == 1  # the gate fails as it would with all 800 listed
    la101 = [f for f in report["findings"] if f["rule"] == "LA101"]
    assert len(la101) == MAX_PER_PLACE == 20
    assert [f["resource"] for f in la101] == [f"Microsoft.Logic/workflows/legacy-{i}" for i in range(20)]
    assert "the same at 780 more copies of this resource, not listed" in la101[-1]["message"]
    assert all("not listed" not in f["message"] for f in la101[:-1])
    assert report["unlisted"] == 780

    code, out, _ = run_cli(capsys, "scan", str(path), "--no-config")
    assert code == 1
    assert "780 more findings at copies of a resource are not listed" in out


def test_a_copy_loop_within_the_limit_lists_every_copy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, report = scan_json(capsys, copied_legacy_apps(tmp_path, MAX_PER_PLACE))
    la101 = [f for f in report["findings"] if f["rule"] == "LA101"]
    assert code == 1 and len(la101) == MAX_PER_PLACE and report["unlisted"] == 0
    assert all("not listed" not in f["message"] for f in la101)


def test_baseline_create_records_every_copy_so_the_next_run_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Had the baseline held only the 20 listed, the next run would list the next 20 as new findings."""
    path = copied_legacy_apps(tmp_path, 100)
    baseline = tmp_path / "baseline.json"
    code, _, err = run_cli(capsys, "baseline", "create", str(path), "--no-config", "--output", str(baseline))
    assert code == 0, err
    entries = json.loads(baseline.read_text(encoding="utf-8"))["findings"]
    assert len({e["fingerprint"] for e in entries if e["rule"] == "LA101"}) == 100

    code, report = scan_json(capsys, path, "--baseline", str(baseline))
    assert code == 0
    assert not [f for f in report["findings"] if f["rule"] == "LA101" and f["suppression"] is None]


RULE = Rule("LA101", "legacy-defender-trigger", Severity.HIGH, "t", "r", "m")


def _at(resource: str, suppressed: bool = False, severity: Severity | None = None) -> Finding:
    finding = RULE.finding(
        f"legacy trigger in {resource}", at=Location("t.json", 5, 3, "resources[0]", resource)
    )
    if severity is not None:
        finding = finding.with_severity(severity)
    if suppressed:
        from dataclasses import replace

        finding = replace(finding, suppressed_by=Suppression("external", "accepted", "baseline.json"))
    return finding


def test_the_listed_findings_are_the_first_active_ones_and_suppressed_ones_count_apart() -> None:
    findings = [_at(f"s{i}", suppressed=True) for i in range(30)] + [_at(f"a{i}") for i in range(30)]
    listed, unlisted = limit_per_place(findings)
    active = [f for f in listed if f.suppressed_by is None]
    assert [f.location.resource for f in active] == [f"a{i}" for i in range(20)]
    assert len(listed) == 40 and len(unlisted) == 20
    assert "10 more copies" in active[-1].message


def test_a_different_severity_or_place_is_its_own_place() -> None:
    """A hidden finding must never be more severe than the listed ones beside it (the gate stays exact)."""
    findings = [_at(f"a{i}") for i in range(25)] + [_at("critical", severity=Severity.CRITICAL)]
    listed, unlisted = limit_per_place(findings)
    assert any(f.effective_severity is Severity.CRITICAL for f in listed)
    assert len(unlisted) == 5
    assert limit_per_place(findings[:20]) == (findings[:20], [])
