"""JSON output: a stable, versioned contract, not a dump of internal models.

```
{"version": 1,
 "tool": {"name": "auditor", "version": "…"},
 "findings": [{"rule", "name", "severity", "title", "message", "path", "line", "column",
               "resource", "fingerprint", "json_path", "help_url", "related": [...],
               "suppression": null | {"kind", "justification", "source"}}],
 "files": {"scanned", "skipped", "failed"},
 "errors": [{"rule", "message"}],
 "coverage": [{"subscription", "subscription_name", "resource_type", "status", "detail", "items"}]}
```
``coverage`` is the live scan's record (``auditor scan --live``): one entry per subscription × resource
type and per tenant-level read, ``status`` one of ok, forbidden, failed, throttled-out, timed-out; empty
for a scan of files only.
``auditor coverage`` adds ``"event_coverage": {"version": 1, "automations", "events", "min_severity",
"groups": [{"kind", "type", "severity", "events", "delivered", "unknown", "undelivered",
"delivered_by": [{"name", "events"}], "undelivered_events": [{"event", "line", "resource"}],
"unknown_events": [{"event", "line", "might_deliver": [{"name", "unknown"}]}]}]}`` (``coverage`` is
taken by the live scan's record); a scan's document has no such key.
``path`` is relative to the current directory and ``/``-separated.
Strings are the values as read (no markup is escaped: consumers must treat them as data); a lone
surrogate in one (``"\\ud800"`` in a template is valid JSON) is written as that same JSON escape, so
the file is valid UTF-8 and ``json.loads`` gives back the exact value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from auditor import __version__
from auditor.jsontext import pretty
from auditor.neutral import printable
from auditor.reports import coverage_dicts, event_coverage_dict

if TYPE_CHECKING:
    from auditor.engine import ScanResult
    from auditor.findings import Finding, Location

SCHEMA_VERSION = 1


def _location(loc: Location) -> dict[str, Any]:
    return {
        "path": loc.file,
        "line": loc.line,
        "column": loc.column,
        "json_path": loc.json_path,
        "resource": loc.resource,
    }


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """One finding in the JSON contract."""
    loc = f.location
    return {
        "rule": f.rule.id,
        "name": f.rule.name,
        "severity": f.effective_severity.label,
        "title": f.rule.title,
        "message": f.message,
        "path": loc.file,
        "line": loc.line,
        "column": loc.column,
        "resource": loc.resource,
        "fingerprint": f.fingerprint,
        "json_path": loc.json_path,
        "help_url": f.rule.help_url,
        "related": [_location(r) for r in f.related],
        "suppression": (
            {
                "kind": f.suppressed_by.kind,
                "justification": f.suppressed_by.justification,
                "source": f.suppressed_by.source,
            }
            if f.suppressed_by
            else None
        ),
    }


def to_dict(result: ScanResult) -> dict[str, Any]:
    """The whole report as plain data."""
    doc: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "auditor", "version": __version__},
        "findings": [finding_to_dict(f) for f in result.findings],
        # copy-loop instances beyond auditor.listing.MAX_PER_PLACE at one place: counted, not listed
        "unlisted": len(result.unlisted),
        "files": {
            "scanned": result.summary.scanned,
            "skipped": result.summary.skipped,
            "failed": result.summary.failed,
        },
        "errors": [{"rule": e.rule_id, "message": e.message} for e in result.errors],
        "coverage": coverage_dicts(result),
    }
    events = event_coverage_dict(result)
    if events is not None:  # auditor coverage only: a scan's document is unchanged
        doc["event_coverage"] = events
    return doc


def render(result: ScanResult, out: TextIO, **_: Any) -> None:
    """Write the JSON report."""
    out.write(printable(pretty(to_dict(result))) + "\n")
