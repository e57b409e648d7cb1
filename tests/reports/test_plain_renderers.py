"""The text, Markdown and Azure DevOps renderers: what each writes for a known result.

The results are built by hand (rules, findings, a summary), so every expected line is known here and
not recomputed by the code under test. Hostile text in these formats is covered by
tests/hardening/test_output_sinks.py; this file is about content and verdicts.
"""

from __future__ import annotations

import io
from typing import Any

from auditor.engine import CheckError, FileSummary, ScanResult
from auditor.findings import Finding, Location, Rule, Severity, Suppression
from auditor.reports import render

HIGH = Rule("LA901", "high-rule", Severity.HIGH, "A high problem", "why", "fix", "when high")
MEDIUM = Rule("AUT901", "medium-rule", Severity.MEDIUM, "A medium problem", "why", "fix", "when medium")
LOW = Rule("SEC901", "low-rule", Severity.LOW, "A low problem", "why", "fix", "when low")


def _finding(rule: Rule, file: str | None, line: int, message: str, resource: str | None = None) -> Finding:
    return rule.finding(message, Location(file, line, 5, "resources[0]", resource))


def _result(*findings: Finding, **fields: Any) -> ScanResult:
    fields.setdefault("summary", FileSummary(scanned=2, skipped=1, failed=0))
    return ScanResult(findings=findings, rules=(HIGH, MEDIUM, LOW), files=(), **fields)


def _out(fmt: str, result: ScanResult, **options: Any) -> str:
    buffer = io.StringIO()
    render(fmt, result, buffer, **options)
    return buffer.getvalue()


SAMPLE = (
    _finding(HIGH, "infra/a.json", 12, "the trigger is legacy", resource="Microsoft.Logic/workflows/la"),
    _finding(LOW, "infra/a.json", 30, "a secret default"),
    _finding(MEDIUM, "infra/b.json", 4, "rule set never matches"),
)


# text ------------------------------------------------------------------------------------------------


def test_text_groups_by_file_and_ends_with_the_counts() -> None:
    lines = _out("text", _result(*SAMPLE)).splitlines()
    assert lines == [
        "infra/a.json",
        "  infra/a.json:12:5 LA901 [high] the trigger is legacy",
        "      in Microsoft.Logic/workflows/la",
        "  infra/a.json:30:5 SEC901 [low] a secret default",
        "",
        "infra/b.json",
        "  infra/b.json:4:5 AUT901 [medium] rule set never matches",
        "",
        "3 findings (1 high, 1 medium, 1 low) in 2 scanned files; 1 skipped (not templates), 0 failed.",
    ]


def test_text_quiet_prints_only_the_summary_and_says_what_is_suppressed_or_failed() -> None:
    suppressed = _finding(MEDIUM, "infra/c.json", 1, "accepted")
    suppressed = Finding(
        suppressed.rule,
        suppressed.message,
        suppressed.location,
        suppressed_by=Suppression("external", "ok", "b"),
    )
    result = _result(SAMPLE[0], suppressed, summary=FileSummary(scanned=1, skipped=0, failed=1))
    assert _out("text", result, quiet=True).splitlines() == [
        "1 finding (1 high) in 1 scanned files; 0 skipped (not templates), 1 failed.",
        "1 suppressed finding not shown (see --format json).",
        "Files that failed to read or parse were not checked: see the SRC001/SRC002 findings.",
    ]


def test_text_colours_only_when_asked() -> None:
    plain = _out("text", _result(SAMPLE[0]))
    coloured = _out("text", _result(SAMPLE[0]), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31mLA901\x1b[0m" in coloured and "\x1b[1minfra/a.json\x1b[0m" in coloured


def test_text_live_findings_are_grouped_without_a_file() -> None:
    live = _finding(HIGH, None, 0, "disabled", resource="/subscriptions/s/x")
    lines = _out("text", _result(live)).splitlines()
    assert lines[:3] == ["(read live from Azure)", "  - LA901 [high] disabled", "      in /subscriptions/s/x"]


# markdown --------------------------------------------------------------------------------------------


def test_markdown_verdict_follows_the_gate() -> None:
    failed = _out("markdown", _result(*SAMPLE), fail_on="low")
    passed = _out("markdown", _result(*SAMPLE), fail_on="critical")
    assert "❌ **failed** (gate: `low`)" in failed.splitlines()[0]
    assert "✅ **passed** (gate: `critical`)" in passed.splitlines()[0]
    assert "3 findings in 2 files (1 skipped, 0 failed to read)." in failed


def test_markdown_tables_count_by_severity_and_list_most_severe_first() -> None:
    text = _out("markdown", _result(*SAMPLE))
    assert "| 🟥 high | 1 |\n| 🟧 medium | 1 |\n| 🟨 low | 1 |\n" in text
    order = [text.index(f"[{rule.id}](") for rule in (HIGH, MEDIUM, LOW)]
    assert order == sorted(order)
    assert f'[LA901]({HIGH.help_url} "A high problem")' in text
    assert "`infra/a.json:12`" in text


def test_markdown_caps_the_table_and_reports_crashed_checks() -> None:
    from auditor.reports import markdown

    many = tuple(_finding(LOW, "x.json", i, f"problem {i}") for i in range(1, markdown.MAX_ROWS + 8))
    text = _out("markdown", _result(*many, errors=(CheckError("AUT901", "KeyError: 'x'", "tb"),)))
    assert sum(line.startswith("| low | [SEC901]") for line in text.splitlines()) == markdown.MAX_ROWS
    assert "…and 7 more (see the SARIF or HTML report)." in text
    assert "> **check AUT901 crashed:** KeyError: 'x'" in text
    assert "❌ **failed**" in text


def test_markdown_passes_a_clean_result() -> None:
    text = _out("markdown", _result())
    assert "✅ **passed**" in text and "| severity |" not in text


# azure -----------------------------------------------------------------------------------------------


def test_azure_issues_one_command_per_finding_and_completes_with_the_gate() -> None:
    lines = _out("azure", _result(*SAMPLE), fail_on="high").splitlines()
    assert lines == [
        "##vso[task.logissue type=error;code=LA901;sourcepath=infra/a.json;linenumber=12;columnnumber=5]"
        "LA901: the trigger is legacy",
        "##vso[task.logissue type=warning;code=SEC901;sourcepath=infra/a.json;linenumber=30;columnnumber=5]"
        "SEC901: a secret default",
        "##vso[task.logissue type=warning;code=AUT901;sourcepath=infra/b.json;linenumber=4;columnnumber=5]"
        "AUT901: rule set never matches",
        "##vso[task.complete result=Failed;]auditor: 3 findings",
    ]


def test_azure_succeeds_below_the_gate_and_omits_the_path_of_live_findings() -> None:
    live = _finding(MEDIUM, None, 0, "disabled", resource="/subscriptions/s/x")
    lines = _out("azure", _result(live), fail_on="high").splitlines()
    assert lines == [
        "##vso[task.logissue type=warning;code=AUT901]AUT901: disabled",
        "##vso[task.complete result=Succeeded;]auditor: 1 findings",
    ]


def test_azure_fails_when_a_check_crashed_even_without_findings() -> None:
    out = _out("azure", _result(errors=(CheckError("AUT901", "boom", ""),)), fail_on="critical")
    assert out.splitlines()[-1] == "##vso[task.complete result=Failed;]auditor: 0 findings"
