"""Markdown summary for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

Short on purpose: a verdict, counts by severity, and a table of the active
findings (capped, since GitHub limits a step summary to 1 MiB). Every untrusted
string (messages, which quote template text, file paths, resource names, crash
messages, the live coverage line, which names subscriptions) goes through
:mod:`auditor.neutral`: locations as code spans (:func:`~auditor.neutral.markdown_code`),
prose as escaped text (:func:`~auditor.neutral.markdown_text`), so nothing in
them renders as a link, image, mention, HTML or breaks the table.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, TextIO

from auditor import __version__
from auditor.neutral import markdown_code, markdown_text
from auditor.reports import coverage_line, event_coverage_line, event_coverage_rows, unlisted_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult

MAX_ROWS = 200
_ORDER = ("critical", "high", "medium", "low", "info")
_ICON = {"critical": "🟥", "high": "🟥", "medium": "🟧", "low": "🟨", "info": "⬜"}


def cell(text: object) -> str:
    """A value as text for a Markdown table cell (see :func:`auditor.neutral.markdown_text`)."""
    return markdown_text(str(text) if text is not None else "")


def _link_title(text: str) -> str:
    """A link title in double quotes: rule titles are auditor's own text, but a quote or pipe would break it."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"').replace("|", "\\|")


def render(result: ScanResult, out: TextIO, *, fail_on: str = "low", **_: Any) -> None:
    """Write the Markdown summary."""
    from auditor.findings import Severity

    active = result.active
    failing = result.at_or_above(Severity.parse(fail_on))
    counts = Counter(f.effective_severity.label for f in active)
    verdict = "❌ **failed**" if failing or result.errors else "✅ **passed**"
    out.write(f"## auditor {__version__}: {verdict} (gate: `{fail_on}`)\n\n")
    s = result.summary
    out.write(f"{len(active)} findings in {s.scanned} files ({s.skipped} skipped, {s.failed} failed to read)")
    suppressed = len(result.findings) - len(active)
    out.write(f"; {suppressed} suppressed.\n\n" if suppressed else ".\n\n")
    if result.unlisted:
        out.write(unlisted_line(len(result.unlisted)) + "\n\n")
    line = coverage_line(result)
    if line:
        out.write(f"{markdown_text(line)}\n\n")
    _coverage_table(result, out)
    if active:
        out.write("| severity | count |\n| --- | ---: |\n")
        for sev in _ORDER:
            if counts[sev]:
                out.write(f"| {_ICON[sev]} {sev} | {counts[sev]} |\n")
        out.write("\n| severity | rule | location | message |\n| --- | --- | --- | --- |\n")
        ordered = sorted(
            active, key=lambda f: (-f.effective_severity, f.location.file or "", f.location.line)
        )
        for f in ordered[:MAX_ROWS]:
            where = f"{f.location.file}:{f.location.line}" if f.location.file else (f.location.resource or "")
            rule = f'[{f.rule.id}]({f.rule.help_url} "{_link_title(f.rule.title)}")'
            out.write(
                f"| {f.effective_severity.label} | {rule} | {markdown_code(where)} | {cell(f.message)} |\n"
            )
        if len(ordered) > MAX_ROWS:
            out.write(f"\n…and {len(ordered) - MAX_ROWS} more (see the SARIF or HTML report).\n")
    for error in result.errors:
        out.write(f"\n> **check {markdown_text(error.rule_id)} crashed:** {markdown_text(error.message)}\n")


def _coverage_table(result: ScanResult, out: TextIO) -> None:
    """``auditor coverage``: the alert coverage table (every cell escaped: types and names are untrusted)."""
    rows = event_coverage_rows(result)
    if not rows:
        return
    out.write(f"{markdown_text(event_coverage_line(result) or '')}\n\n")
    out.write(
        "| kind | type | severity | events | delivered | undelivered | unknown | delivered by |\n"
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n"
    )
    for row in rows[:MAX_ROWS]:
        out.write(
            f"| {cell(row['kind'])} | {markdown_code(row['type'])} | {cell(row['severity'])} | {row['events']} "
            f"| {row['delivered']} | {row['undelivered']} | {row['unknown']} | {cell(row['delivered_by'])} |\n"
        )
    if len(rows) > MAX_ROWS:
        out.write(f"\n…and {len(rows) - MAX_ROWS} more groups (see the JSON or HTML report).\n")
    out.write("\n")
