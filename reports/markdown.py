"""Markdown summary for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

Short on purpose: a verdict, counts by severity, and a table of the active
findings (capped, since GitHub limits a step summary to 1 MiB). Table cells are
escaped so a resource or message cannot break the table or inject markup.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, TextIO

from auditor import __version__
from auditor.reports import coverage_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult

MAX_ROWS = 200
_ORDER = ("critical", "high", "medium", "low", "info")
_ICON = {"critical": "🟥", "high": "🟥", "medium": "🟧", "low": "🟨", "info": "⬜"}


def cell(text: object) -> str:
    """Escape a value for a Markdown table cell (pipes, newlines, HTML)."""
    value = str(text) if text is not None else ""
    for char, repl in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "\\`")):
        value = value.replace(char, repl)
    return " ".join(value.split())


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
    line = coverage_line(result)
    if line:
        out.write(f"{cell(line)}\n\n")
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
            rule = f'[{f.rule.id}]({f.rule.help_url} "{cell(f.rule.title)}")'
            out.write(f"| {f.effective_severity.label} | {rule} | `{cell(where)}` | {cell(f.message)} |\n")
        if len(ordered) > MAX_ROWS:
            out.write(f"\n…and {len(ordered) - MAX_ROWS} more (see the SARIF or HTML report).\n")
    for error in result.errors:
        out.write(f"\n> **check {cell(error.rule_id)} crashed:** {cell(error.message)}\n")
