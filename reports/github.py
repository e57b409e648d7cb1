"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` annotation per finding.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions — property values and
messages are escaped as the runner requires (``%``, CR, LF, and ``:``/``,`` in properties).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from auditor.reports import coverage_line

if TYPE_CHECKING:
    from auditor.engine import ScanResult
    from auditor.findings import Finding


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def level(finding: Finding) -> str:
    """high/critical → error, medium → warning, low/info → notice."""
    label = finding.effective_severity.label
    return "error" if label in ("high", "critical") else "warning" if label == "medium" else "notice"


def render(result: ScanResult, out: TextIO, **_: Any) -> None:
    """Write one workflow command per active finding."""
    for f in result.active:
        props = []
        if f.location.file:
            props.append(f"file={_prop(f.location.file)}")
            if f.location.line:
                props.append(f"line={f.location.line}")
            if f.location.column:
                props.append(f"col={f.location.column}")
        props.append(f"title={_prop(f'{f.rule.id} {f.rule.name}')}")
        message = f.message + (f" [{f.location.resource}]" if f.location.resource else "")
        out.write(f"::{level(f)} {','.join(props)}::{_data(message)}\n")
    line = coverage_line(result)
    if line:
        kind = "warning" if "INCOMPLETE" in line else "notice"
        out.write(f"::{kind} title={_prop('auditor live coverage')}::{_data(line)}\n")
