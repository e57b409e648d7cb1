"""Human output: findings grouped by file as ``path:line:col ID message``, then a summary.

Colour only on a terminal (or ``--color always``); plain ANSI codes, so no
dependency is loaded for the most common run. File paths, messages, resources
and the live coverage line are untrusted (a file may be named
``x\\n::error::y.json``): they pass through :func:`auditor.neutral.terminal`, so
no line of this report can start a CI command that auditor did not write.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING, Any, TextIO

from auditor.neutral import terminal
from auditor.reports import coverage_line, event_coverage_line, event_coverage_rows, unlisted_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult

_COLORS = {
    "critical": "\x1b[1;31m",
    "high": "\x1b[31m",
    "medium": "\x1b[33m",
    "low": "\x1b[36m",
    "info": "\x1b[2m",
}
_RESET, _BOLD, _DIM = "\x1b[0m", "\x1b[1m", "\x1b[2m"
LIVE = "(read live from Azure)"  # the group of findings without a file: resources of a live scan


def render(result: ScanResult, out: TextIO, *, color: bool = False, quiet: bool = False, **_: Any) -> None:
    """Write the text report."""

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    active = result.active
    suppressed = len(result.findings) - len(active)
    if not quiet:
        for file, group in groupby(active, key=lambda f: f.location.file or LIVE):
            shown = terminal(file)
            out.write(paint(shown, _BOLD) + "\n")
            for f in group:
                loc = f.location
                sev = f.effective_severity.label
                where = f"{shown}:{loc.line}:{loc.column}" if loc.file else "-"  # live: the resource follows
                out.write(
                    f"  {where} {paint(f.rule.id, _COLORS.get(sev, ''))} [{sev}] {terminal(f.message)}\n"
                )
                if loc.resource:
                    out.write(paint(f"      in {terminal(loc.resource)}", _DIM) + "\n")
            out.write("\n")
    _coverage_table(result, out)
    counts = Counter(f.effective_severity.label for f in active)
    parts = [f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if counts[s]]
    s = result.summary
    total = len(active)
    noun = "finding" if total == 1 else "findings"
    detail = f" ({', '.join(parts)})" if parts else ""
    out.write(
        f"{total} {noun}{detail} in {s.scanned} scanned files; {s.skipped} skipped (not templates), {s.failed} failed.\n"
    )
    if suppressed:
        out.write(
            f"{suppressed} suppressed finding{'s' if suppressed != 1 else ''} not shown (see --format json).\n"
        )
    if result.unlisted:
        out.write(unlisted_line(len(result.unlisted)) + "\n")
    if s.failed:
        out.write("Files that failed to read or parse were not checked: see the SRC001/SRC002 findings.\n")
    line = coverage_line(result)
    if line:
        out.write(terminal(line) + "\n")
    line = event_coverage_line(result)
    if line:
        out.write(terminal(line) + "\n")


_COLUMNS = ("kind", "type", "severity", "events", "delivered", "undelivered", "unknown", "delivered_by")


def _coverage_table(result: ScanResult, out: TextIO) -> None:
    """``auditor coverage``: one row per (kind, type, severity), columns padded to the widest cell."""
    rows = event_coverage_rows(result)
    if not rows:
        return
    cells = [[terminal(str(row[c])) for c in _COLUMNS] for row in rows]
    head = [c.replace("_", " ") for c in _COLUMNS]
    widths = [max(len(x) for x in column) for column in zip(head, *cells, strict=True)]
    out.write("Alert coverage\n")
    for line in (head, *cells):
        out.write("  " + "  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip() + "\n")
    out.write("\n")
