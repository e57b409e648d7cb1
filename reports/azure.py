"""Azure DevOps logging commands: ``##vso[task.logissue …]`` per finding, then the task result.

https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands — values are escaped as
the agent requires (``%``, ``;``, ``]``, CR, LF).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from auditor.reports import coverage_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult


def _escape(value: str) -> str:
    return (
        value.replace("%", "%AZP25")
        .replace(";", "%3B")
        .replace("]", "%5D")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def render(result: ScanResult, out: TextIO, *, fail_on: str = "low", **_: Any) -> None:
    """Write one logissue command per active finding and a task.complete verdict."""
    from auditor.findings import Severity

    for f in result.active:
        kind = "error" if f.effective_severity >= Severity.HIGH else "warning"
        props = [f"type={kind}", f"code={f.rule.id}"]
        if f.location.file:
            props.append(f"sourcepath={_escape(f.location.file)}")
            props.append(f"linenumber={f.location.line}")
            props.append(f"columnnumber={f.location.column}")
        out.write(f"##vso[task.logissue {';'.join(props)}]{_escape(f'{f.rule.id}: {f.message}')}\n")
    line = coverage_line(result)
    if line and "INCOMPLETE" in line:
        out.write(f"##vso[task.logissue type=warning;code=LIV001]{_escape(line)}\n")
    elif line:
        out.write(f"{line}\n")
    failed = bool(result.at_or_above(Severity.parse(fail_on)) or result.errors)
    status = "Failed" if failed else "Succeeded"
    out.write(f"##vso[task.complete result={status};]auditor: {len(result.active)} findings\n")
