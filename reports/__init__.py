"""Renderers: each reads a ScanResult and writes one format; none sees the engine or the inventory.

``render(format, result, out, **options)`` imports the renderer on use, so a
text run never loads the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from auditor.engine import ScanResult

FORMATS = {
    "text": "auditor.reports.text",
    "json": "auditor.reports.json_report",
    "markdown": "auditor.reports.markdown",
    "github": "auditor.reports.github",
    "azure": "auditor.reports.azure",
    "sarif": "auditor.reports.sarif",
    "html": "auditor.reports.html",
}


def render(fmt: str, result: ScanResult, out: TextIO, **options: Any) -> None:
    """Write ``result`` to ``out`` in format ``fmt``."""
    module = importlib.import_module(FORMATS[fmt])
    module.render(result, out, **options)


def coverage_dicts(result: ScanResult) -> list[dict[str, Any]]:
    """A live scan's coverage record as plain data (empty for a scan of files only)."""
    return [
        {
            "subscription": c.subscription,
            "subscription_name": c.subscription_name,
            "resource_type": c.resource_type,
            "status": c.status,
            "detail": c.detail,
            "items": c.items,
        }
        for c in getattr(result, "coverage", ())
    ]


def event_coverage_dict(result: ScanResult) -> dict[str, Any] | None:
    """``auditor coverage``'s report as plain data (the versioned ``event_coverage`` section); None in a scan."""
    report = getattr(result, "event_coverage", None)
    return None if report is None else dict(report.to_dict())


def event_coverage_rows(result: ScanResult) -> list[dict[str, Any]]:
    """One row per (kind, type, severity) group for the coverage tables and chart (untrusted text: the
    renderer escapes it). ``delivered_by`` is "name (count), …"."""
    data = event_coverage_dict(result)
    if data is None:
        return []
    return [
        {
            "kind": g["kind"],
            "type": g["type"] or "?",
            "severity": g["severity"] or "?",
            "events": g["events"],
            "delivered": g["delivered"],
            "unknown": g["unknown"],
            "undelivered": g["undelivered"],
            "delivered_by": ", ".join(f"{d['name']} ({d['events']})" for d in g["delivered_by"]) or "-",
        }
        for g in data["groups"]
    ]


def event_coverage_line(result: ScanResult) -> str | None:
    """One sentence on ``auditor coverage``'s totals (None in a scan)."""
    data = event_coverage_dict(result)
    if data is None:
        return None
    groups = data["groups"]
    total = data["events"]
    delivered = sum(g["delivered"] for g in groups)
    unknown = sum(g["unknown"] for g in groups)
    missed = total - delivered - unknown
    autos = data["automations"]
    return (
        f"Alert coverage: {total} event{'s' if total != 1 else ''} against {autos} "
        f"automation{'s' if autos != 1 else ''}: {delivered} delivered, "
        f"{missed} reached no automation, {unknown} unknown offline (COV001 from {data['min_severity']} up)."
    )


def unlisted_line(count: int) -> str:
    """The sentence on findings left out because a copy loop repeats them (auditor.listing)."""
    from auditor.listing import MAX_PER_PLACE

    noun = "finding" if count == 1 else "findings"
    return (
        f"{count:,} more {noun} at copies of a resource are not listed (auditor lists {MAX_PER_PLACE} per "
        "place; the last one listed says how many more; baseline create records them all)."
    )


def coverage_line(result: ScanResult, limit: int = 5) -> str | None:
    """One sentence on a live scan's coverage (None for a scan of files only)."""
    coverage = list(getattr(result, "coverage", ()))
    if not coverage:
        return None
    subscriptions = len({c.subscription for c in coverage if c.subscription})
    noun = "subscription" if subscriptions == 1 else "subscriptions"
    gaps = [c for c in coverage if c.status != "ok"]
    if not gaps:
        return f"Live coverage: complete ({len(coverage)} reads over {subscriptions} {noun})."

    def where(c: Any) -> str:
        if not c.subscription:
            return "the tenant"
        return f"'{c.subscription_name}' ({c.subscription})" if c.subscription_name else c.subscription

    shown = "; ".join(f"{c.resource_type} in {where(c)}: {c.status}" for c in gaps[:limit])
    more = f"; and {len(gaps) - limit} more" if len(gaps) > limit else ""
    return (
        f"Live coverage: INCOMPLETE, {len(coverage) - len(gaps)} of {len(coverage)} reads over {subscriptions} "
        f"{noun} succeeded; not read: {shown}{more} (see LIV001)."
    )
