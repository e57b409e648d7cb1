"""SARIF output (``--format sarif``): what GitHub code scanning needs, checked on real scans.

The validator is ``../shared/tools/sarif-validate`` (JSON schema, GitHub's ingestion rules and
Microsoft's SARIF Multitool; node + npm, installed into a cache on first use, see ``.ci/run``).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.engine import CheckError, ScanResult
from auditor.findings import Location, Rule, Severity, Suppression
from auditor.reports import FORMATS
from auditor.reports import sarif as sarif_report
from conftest import CORPUS, REPO, SHARED, all_checks, scan_paths

EXAMPLES = REPO / "examples"
VALIDATOR = SHARED / "tools" / "sarif-validate"


# ---------------------------------------------------------------- helpers


def cli_sarif(tmp_path: Path, *args: str, name: str = "out.sarif") -> dict[str, Any]:
    """Run ``auditor scan ARGS --format sarif --output FILE`` and load FILE."""
    out = tmp_path / name
    code = main(["scan", *args, "--format", "sarif", "--output", str(out)])
    assert code in (0, 1), f"auditor scan exited {code}"
    return json.loads(out.read_text(encoding="utf-8"))


def render(result: ScanResult, **options: Any) -> dict[str, Any]:
    buf = io.StringIO()
    sarif_report.render(result, buf, **options)
    return json.loads(buf.getvalue())


def run0(log: dict[str, Any]) -> dict[str, Any]:
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


def validate(path: Path) -> str:
    """Run sarif-validate on ``path``: skip when it cannot run here, fail with its report when invalid."""
    if not VALIDATOR.is_file():
        pytest.skip(
            f"SARIF validator not found at {VALIDATOR} (clone the steering repo's shared/ beside this repo)"
        )
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("sarif-validate needs node >= 18 and npm (.ci/run installs Debian's nodejs and npm)")
    proc = subprocess.run(
        ["bash", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=900, check=False
    )
    report = proc.stdout + proc.stderr
    if proc.returncode == 2 and re.search(r"is required|npm install failed", report):
        pytest.skip(f"sarif-validate could not install its tools: {report.strip()[-500:]}")
    assert proc.returncode == 0, f"sarif-validate exited {proc.returncode}:\n{report}"
    assert f"PASS {path}" in proc.stdout, report
    return report


def rule(rule_id: str, severity: Severity, name: str = "test-rule") -> Rule:
    return Rule(
        id=rule_id,
        name=name,
        severity=severity,
        title=f"Title of {rule_id}",
        rationale="Why it matters.",
        remediation="How to fix it.",
        doc=f"{rule_id}: summary.\n\n## What it checks\nSomething.",
    )


# ---------------------------------------------------------------- (a) validity


def test_sarif_is_a_registered_format() -> None:
    assert FORMATS["sarif"] == "auditor.reports.sarif"


def test_examples_pass_the_validator(tmp_path: Path) -> None:
    log = cli_sarif(tmp_path, str(EXAMPLES), "--root", str(REPO))
    run = run0(log)
    assert run["results"], "examples/broken has findings"
    for result in run["results"]:
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["artifactLocation"]["uri"].startswith("examples/")
    validate(tmp_path / "out.sarif")


def test_corpus_passes_the_validator(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip(
            f"shared corpus not found at {CORPUS} (clone the steering repo's shared/ beside this repo)"
        )
    log = cli_sarif(tmp_path, str(CORPUS), "--root", str(CORPUS))
    run = run0(log)
    assert len(run["results"]) > 10
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert all(not u.startswith(("/", "file:")) and " " not in u for u in uris)
    assert any("%20" in u for u in uris), "corpus paths with spaces are percent-encoded"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == CORPUS.absolute().as_uri() + "/"
    validate(tmp_path / "out.sarif")


def test_clean_scan_has_an_empty_results_array_and_all_rules(tmp_path: Path) -> None:
    log = cli_sarif(tmp_path, str(EXAMPLES / "clean"), "--root", str(REPO))
    run = run0(log)
    assert run["results"] == []
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [c.rule.id for c in all_checks()]
    assert run["invocations"][0]["executionSuccessful"] is True
    validate(tmp_path / "out.sarif")


def test_tool_problems_become_notifications_and_fail_the_execution(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "broken.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
        '"resources": [\n',
        encoding="utf-8",
    )
    shutil.copy(EXAMPLES / "broken" / "azuredeploy.json", repo / "with space #1.json")
    log = cli_sarif(tmp_path, str(repo), "--root", str(repo))
    run = run0(log)
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["associatedRule"]["id"] for n in notes] == ["SRC002"]
    assert notes[0]["level"] == "error"
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.json"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"broken.json", "with%20space%20%231.json"}
    validate(tmp_path / "out.sarif")


def test_crashed_check_is_an_error_notification() -> None:
    base = scan_paths([EXAMPLES / "clean"])
    crashed = dataclasses.replace(base, errors=(CheckError("LA101", "KeyError: 'x'", "Traceback ..."),))
    invocation = run0(render(crashed, root=REPO))["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["associatedRule"]["id"] == "LA101"
    assert "LA101 crashed" in note["message"]["text"]
    assert "Traceback" not in json.dumps(invocation)


def test_result_shape(tmp_path: Path) -> None:
    run = run0(cli_sarif(tmp_path, str(EXAMPLES / "broken"), "--root", str(REPO)))
    rules = run["tool"]["driver"]["rules"]
    findings = scan_paths([EXAMPLES / "broken"]).findings
    assert len(run["results"]) == len(findings)
    for result, finding in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == finding.rule.id
        assert rules[result["ruleIndex"]]["id"] == finding.rule.id
        assert result["level"] == sarif_report.LEVEL[finding.effective_severity]
        assert result["message"]["text"].startswith(finding.message)
        (location,) = result["locations"]
        region = location["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (
            finding.location.line,
            finding.location.column,
        )
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "examples/broken/azuredeploy.json"
        assert location["logicalLocations"] == [
            {"fullyQualifiedName": finding.location.resource, "kind": "resource"}
        ]
        # Finding.fingerprint over the repository-relative path (the scan above used an absolute one).
        relative = dataclasses.replace(finding.location, file="examples/broken/azuredeploy.json")
        expected = dataclasses.replace(finding, location=relative).fingerprint
        assert result["partialFingerprints"] == {"auditorFingerprint/v1": expected}
        assert len(result.get("relatedLocations", [])) == len(finding.related)
        assert "suppressions" not in result
    # 'warning' is the object model's default level: it must still be written (the examples hold a medium).
    mediums = sum(f.effective_severity == Severity.MEDIUM for f in findings)
    assert mediums >= 1
    assert sum(r.get("level") == "warning" for r in run["results"]) == mediums
    driver = run["tool"]["driver"]
    assert driver["name"] == "auditor"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", driver["semanticVersion"])
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"


def test_medium_level_is_written_even_though_it_is_the_default() -> None:
    medium = rule("AUT999", Severity.HIGH)
    finding = medium.finding("overridden to medium", Location("x.json", 3, 4)).with_severity(Severity.MEDIUM)
    run = run0(render(ScanResult(findings=(finding,), rules=(medium,), files=()), root=REPO))
    assert run["results"][0]["level"] == "warning"
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == "error"


def test_zero_line_and_column_become_one() -> None:
    r = rule("SRC999", Severity.HIGH)
    finding = r.finding("whole file", Location("x.json", 0, 0, resource=None))
    result = run0(render(ScanResult(findings=(finding,), rules=(r,), files=()), root=REPO))["results"][0]
    (location,) = result["locations"]
    assert location["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1}
    assert "logicalLocations" not in location


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = cli_sarif(tmp_path, str(EXAMPLES), "--root", str(REPO), name="a.sarif")
    second = cli_sarif(tmp_path, str(EXAMPLES), "--root", str(REPO), name="b.sarif")
    assert (tmp_path / "a.sarif").read_bytes() == (tmp_path / "b.sarif").read_bytes()
    assert first == second


def test_automation_id_is_stable_per_configuration(tmp_path: Path) -> None:
    a = run0(cli_sarif(tmp_path, str(EXAMPLES), "--root", str(REPO), name="a.sarif"))
    b = run0(cli_sarif(tmp_path, str(EXAMPLES / "broken"), "--root", str(REPO), name="b.sarif"))
    c = run0(cli_sarif(tmp_path, str(EXAMPLES), "--root", str(REPO), "--ignore", "LA106", name="c.sarif"))
    d = run0(cli_sarif(tmp_path, str(EXAMPLES), "--root", str(REPO), "--fail-on", "high", name="d.sarif"))
    ids = [r["automationDetails"]["id"] for r in (a, b, c, d)]
    assert all(re.fullmatch(r"auditor/[0-9a-f]{12}/", i) for i in ids)
    assert ids[0] == ids[1]  # same configuration, other paths
    assert len({ids[0], ids[2], ids[3]}) == 3


def test_root_defaults_to_the_git_top_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    monkeypatch.chdir(REPO / "examples")
    run = run0(cli_sarif(tmp_path, "broken"))
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "examples/broken/azuredeploy.json"


def test_files_outside_the_root_get_absolute_uris_and_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "elsewhere"
    root.mkdir()
    run = run0(render(scan_paths([EXAMPLES / "broken"]), root=root))
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"].startswith("file:///") and "uriBaseId" not in uri
    assert "outside the repository root" in capsys.readouterr().err


def test_import_does_not_load_sarif_om() -> None:
    code = "import sys, auditor.cli, auditor.reports.sarif; assert 'sarif_om' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- (b) fingerprints


def test_fingerprints_survive_lines_moving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "broken", repo / "templates")
    template = repo / "templates" / "azuredeploy.json"
    before = run0(cli_sarif(tmp_path, str(repo), "--root", str(repo), name="before.sarif"))

    comment = "/*\n" + "".join(f" * moved down by a comment, line {i}\n" for i in range(8)) + " */\n"
    assert comment.count("\n") == 10
    template.write_text(comment + template.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(repo)  # another working directory and relative paths: same fingerprints
    after = run0(cli_sarif(tmp_path, "templates", "--root", str(repo), name="after.sarif"))

    assert before["results"] and len(before["results"]) == len(after["results"])
    for old, new in zip(before["results"], after["results"], strict=True):
        assert old["ruleId"] == new["ruleId"]
        assert old["partialFingerprints"] == new["partialFingerprints"]
        old_line = old["locations"][0]["physicalLocation"]["region"]["startLine"]
        new_line = new["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert new_line == old_line + 10
    prints = [r["partialFingerprints"]["auditorFingerprint/v1"] for r in after["results"]]
    assert len(set(prints)) == len(prints)


# ---------------------------------------------------------------- (c) suppressions


def test_suppressed_findings_carry_suppressions(tmp_path: Path) -> None:
    base = scan_paths([EXAMPLES / "broken"])
    assert len(base.findings) >= 3
    in_source = Suppression("inSource", "accepted: demo template", "examples/broken/azuredeploy.json:40")
    external = Suppression("external", "accepted in the baseline", "auditor-baseline.json")
    findings = list(base.findings)
    findings[0] = dataclasses.replace(findings[0], suppressed_by=in_source)
    findings[1] = dataclasses.replace(findings[1], suppressed_by=external)
    result = dataclasses.replace(base, findings=tuple(findings))

    log = render(result, root=REPO)
    results = run0(log)["results"]
    assert results[0]["suppressions"] == [
        {
            "kind": "inSource",
            "justification": "accepted: demo template",
            "properties": {"source": "examples/broken/azuredeploy.json:40"},
        }
    ]
    assert results[1]["suppressions"][0]["kind"] == "external"
    assert results[1]["suppressions"][0]["justification"] == "accepted in the baseline"
    assert all("suppressions" not in r for r in results[2:])
    path = tmp_path / "suppressed.sarif"
    path.write_text(json.dumps(log), encoding="utf-8")
    validate(path)


# ---------------------------------------------------------------- (d) GitHub's limits


def _many_findings(count: int, info_first: int) -> ScanResult:
    high = rule("LA901", Severity.HIGH, "many-high")
    info = rule("SRC903", Severity.INFO, "few-info")
    findings = [
        info.finding(
            f"info finding {i}", Location("big.json", i + 1, 3, resource=f"r{i}", json_path=f"a[{i}]")
        )
        for i in range(info_first)
    ]
    findings += [
        high.finding(
            f"high finding {i}", Location("big.json", 1000 + i, 5, resource=f"r{i}", json_path=f"b[{i}]")
        )
        for i in range(count - info_first)
    ]
    return ScanResult(findings=tuple(findings), rules=(info, high), files=())


def test_result_count_limit_keeps_the_most_severe(capsys: pytest.CaptureFixture[str]) -> None:
    result = _many_findings(25_010, info_first=30)
    buf = io.StringIO()
    sarif_report.render(result, buf, root=REPO)
    run = run0(json.loads(buf.getvalue()))
    results = run["results"]
    assert len(results) == sarif_report.MAX_RESULTS == 25_000
    # The 10 dropped are the least severe ones, though they come first by location.
    assert sum(r["ruleId"] == "SRC903" for r in results) == 20
    assert sum(r["ruleId"] == "LA901" for r in results) == 24_980
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert lines == sorted(lines), "kept results stay in location order"
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("10 of 25010 results were left out")
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "10 of 25010 results were left out" in capsys.readouterr().err
    assert len(gzip.compress(buf.getvalue().encode())) <= sarif_report.MAX_GZIP_BYTES


def test_gzip_size_limit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sarif_report, "MAX_GZIP_BYTES", 30_000)
    result = _many_findings(3_000, info_first=5)
    buf = io.StringIO()
    sarif_report.render(result, buf, root=REPO)
    text = buf.getvalue()
    assert len(gzip.compress(text.encode())) <= 30_000
    run = run0(json.loads(text))
    kept = len(run["results"])
    assert 0 < kept < 3_000
    assert all(r["ruleId"] == "LA901" for r in run["results"]), "info findings go first"
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith(f"{3_000 - kept} of 3000 results were left out")
    assert "left out" in capsys.readouterr().err


def test_no_notification_under_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    run = run0(render(scan_paths([EXAMPLES / "broken"]), root=REPO))
    assert "toolExecutionNotifications" not in run["invocations"][0]
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- (e) rule metadata


@pytest.mark.parametrize("loaded", all_checks(), ids=lambda c: c.rule.id)
def test_rule_metadata(loaded: Any) -> None:
    r = loaded.rule
    run = run0(render(ScanResult(findings=(), rules=(r,), files=()), root=REPO))
    (desc,) = run["tool"]["driver"]["rules"]
    assert desc["id"] == r.id
    assert re.fullmatch(r"(?:[A-Z][a-z0-9]*)+", desc["name"]), desc["name"]
    assert desc["name"].lower() == r.name.replace("-", "")
    assert desc["shortDescription"]["text"] == r.title
    assert desc["fullDescription"]["text"] == r.rationale
    assert desc["help"]["text"].startswith(r.remediation)
    assert r.remediation in desc["help"]["markdown"]
    body = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
    assert body in desc["help"]["markdown"]
    assert desc["helpUri"] == r.help_url
    severity = desc["properties"]["security-severity"]
    assert isinstance(severity, str) and 0.0 < float(severity) <= 10.0
    assert severity == sarif_report.SECURITY_SEVERITY[r.severity]
    expected_level = {
        "critical": "error",
        "high": "error",
        "medium": "warning",
        "low": "note",
        "info": "note",
    }
    assert desc["defaultConfiguration"]["level"] == expected_level[r.severity.label]
    tags = desc["properties"]["tags"]
    assert tags[:3] == ["security", "azure", "defender-for-cloud"]
    assert len(tags) == len(set(tags)) <= 10


def test_security_severity_bands() -> None:
    bands = {s.label: float(v) for s, v in sarif_report.SECURITY_SEVERITY.items()}
    assert bands == {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 3.0, "info": 1.0}
