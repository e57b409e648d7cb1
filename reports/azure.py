"""Azure DevOps logging commands: ``##vso[task.logissue …]`` per finding, then the task result.

https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands — values are escaped as
the agent requires (``%``, ``;``, ``]``, CR, LF) by :func:`auditor.neutral.azure_value`; the one line
that is not a command (a complete live coverage line) goes through :func:`auditor.neutral.terminal`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from auditor.neutral import azure_value, terminal
from auditor.reports import coverage_line, event_coverage_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult


def render(result: ScanResult, out: TextIO, *, fail_on: str = "low", **_: Any) -> None:
    """Write one logissue command per active finding and a task.complete verdict."""
    from auditor.findings import Severity

    for f in result.active:
        kind = "error" if f.effective_severity >= Severity.HIGH else "warning"
        props = [f"type={kind}", f"code={f.rule.id}"]
        if f.location.file:
            props.append(f"sourcepath={azure_value(f.location.file)}")
            props.append(f"linenumber={f.location.line}")
            props.append(f"columnnumber={f.location.column}")
        out.write(f"##vso[task.logissue {';'.join(props)}]{azure_value(f'{f.rule.id}: {f.message}')}\n")
    line = coverage_line(result)
    if line and "INCOMPLETE" in line:
        out.write(f"##vso[task.logissue type=warning;code=LIV001]{azure_value(line)}\n")
    elif line:
        out.write(f"{terminal(line)}\n")
    totals = event_coverage_line(result)  # auditor coverage: the totals; the table is in the other formats
    if totals:
        out.write(f"{terminal(totals)}\n")
    failed = bool(result.at_or_above(Severity.parse(fail_on)) or result.errors)
    status = "Failed" if failed else "Succeeded"
    out.write(f"##vso[task.complete result={status};]auditor: {len(result.active)} findings\n")
