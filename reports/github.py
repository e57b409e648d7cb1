"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` annotation per finding.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions — property values and
messages are escaped as the runner requires (``%``, CR, LF, and ``:``/``,`` in properties) by
:func:`auditor.neutral.workflow_data` / :func:`~auditor.neutral.workflow_property`: every line written
is exactly one command of auditor's, whatever the file names and messages hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from auditor.neutral import workflow_data, workflow_property
from auditor.reports import coverage_line, event_coverage_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult
    from auditor.findings import Finding


def level(finding: Finding) -> str:
    """high/critical → error, medium → warning, low/info → notice."""
    label = finding.effective_severity.label
    return "error" if label in ("high", "critical") else "warning" if label == "medium" else "notice"


def render(result: ScanResult, out: TextIO, **_: Any) -> None:
    """Write one workflow command per active finding."""
    for f in result.active:
        props = []
        if f.location.file:
            props.append(f"file={workflow_property(f.location.file)}")
            if f.location.line:
                props.append(f"line={f.location.line}")
            if f.location.column:
                props.append(f"col={f.location.column}")
        props.append(f"title={workflow_property(f'{f.rule.id} {f.rule.name}')}")
        message = f.message + (f" [{f.location.resource}]" if f.location.resource else "")
        out.write(f"::{level(f)} {','.join(props)}::{workflow_data(message)}\n")
    line = coverage_line(result)
    if line:
        kind = "warning" if "INCOMPLETE" in line else "notice"
        out.write(f"::{kind} title={workflow_property('auditor live coverage')}::{workflow_data(line)}\n")
    totals = event_coverage_line(result)  # auditor coverage: the totals; the table is in the other formats
    if totals:
        out.write(f"::notice title={workflow_property('auditor alert coverage')}::{workflow_data(totals)}\n")
