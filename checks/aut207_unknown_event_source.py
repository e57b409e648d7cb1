"""AUT207: a source's ``eventSource`` is not one the automations API knows.

## What it checks
Every ``properties.sources[].eventSource`` of a ``Microsoft.Security/automations``
resource is compared (case-insensitively) with the event sources of the
resource's API version (``2019-01-01-preview``: ``Alerts``, ``Assessments``,
``RegulatoryComplianceAssessment``, ``SecureScores``, ``SubAssessments``, … and
their ``…Snapshot`` variants; ``2023-12-01-preview`` adds ``AttackPaths``). For
an API version auditor does not know, the value is compared with every event
source of every known version.

## Why it matters
The enum is *open* (``modelAsString``): the API may accept a misspelled value
such as ``Alert`` or ``Recommendations`` without error, and the automation then
waits for events that never come. A value that only exists in a newer API
version (``AttackPaths`` with ``2019-01-01-preview``) fails the same way.

## Example
```json
"sources": [{"eventSource": "SecurityAlerts", "ruleSets": [...]}]
```

## Use instead
Use one of the documented values, e.g. ``Alerts`` (security alerts),
``Assessments`` (recommendations) or ``RegulatoryComplianceAssessment``, and an
API version that supports it.

## References
- https://learn.microsoft.com/azure/templates/microsoft.security/automations
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.checks._util import edit_distance
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.catalog import Catalog
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="AUT207",
    name="unknown-event-source",
    severity=Severity.MEDIUM,
    title="Automation source uses an unknown event source",
    fires_when="an event source not known for the resource's API version",
    rationale=(
        "The eventSource enum is open: a misspelled or too-new value may deploy without error, and the "
        "automation then waits for events that never arrive."
    ),
    remediation="Use an event source the automation's API version documents (e.g. Alerts, Assessments).",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Event sources outside the known values of the automation's API version."""
    catalog = ctx.catalog
    for automation in inventory.automations:
        api_version = automation.api_version
        # No apiVersion (an exported GET body) or an unknown one: compare with every version's values.
        known = catalog.event_sources(api_version) if isinstance(api_version, str) else None
        for source in automation.sources:
            value = source.event_source
            if isinstance(value, Unknown):
                ctx.unresolved(value, source.origin, "the source's eventSource")
                continue
            if not isinstance(value, str):
                continue  # missing or not a string: a schema problem, not an unknown name
            if known is not None:
                if value.lower() in {k.lower() for k in known}:
                    continue
                elsewhere = _versions_with(catalog.schema["apiVersions"], value)
                hint = (
                    f"; it exists in API version {', '.join(elsewhere)}"
                    if elsewhere
                    else _meant(value, catalog)
                )
                yield RULE.finding(
                    f"eventSource '{value}' is not an event source of API version {api_version}{hint}; "
                    f"known values: {', '.join(known)}",
                    at=source.origin,
                )
                continue
            if value.lower() in catalog.all_event_sources:
                continue
            every = sorted(
                {s for spec in catalog.schema["apiVersions"].values() for s in spec["eventSource"]}
            )
            if isinstance(api_version, str):
                described = f"API version {api_version} is not one auditor knows"
            else:
                described = "the automation's API version is not stated or not known"
            yield RULE.finding(
                f"eventSource '{value}' is not an event source of any known API version ({described})"
                f"{_meant(value, catalog)}; known values: {', '.join(every)}",
                at=source.origin,
            )


def _versions_with(versions: dict[str, Any], value: str) -> list[str]:
    lowered = value.lower()
    return [v for v, spec in versions.items() if lowered in (s.lower() for s in spec["eventSource"])]


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _meant(value: str, catalog: Catalog) -> str:
    """``; did you mean 'Alerts'?`` from a near-miss or the portal's data-type names ("Security recommendations")."""
    squashed = _squash(value)
    every = sorted({s for spec in catalog.schema["apiVersions"].values() for s in spec["eventSource"]})
    close = sorted((edit_distance(squashed, s.lower(), limit=2), s) for s in every)
    if close and close[0][0] <= 2:
        return f"; did you mean '{close[0][1]}'?"
    portal_names = catalog.export_data_types
    for name in sorted(portal_names, key=len):  # 'Security alerts' before 'Security alerts - snapshot'
        if squashed and _squash(name).endswith(squashed):
            return f"; did you mean '{portal_names[name]}' (the '{name}' data type)?"
    return ""
