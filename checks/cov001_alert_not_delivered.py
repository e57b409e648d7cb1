"""COV001: observed high-severity alerts of one type reached no automation.

## What it checks
The alerts ``auditor coverage PATH --events FILE`` read (a saved export such as an
``az security alert list`` dump, or alerts as the Logic App trigger receives them),
grouped by alert type and severity. Each alert is evaluated against every
automation under PATH the way ``auditor simulate`` does (enabled, scope, event
source, rule sets, then the Logic App and trigger it calls). A group at or above
the threshold severity (``--min-severity``, or ``coverage-min-severity`` in the
configuration; default ``high``) is reported when at least one of its alerts
reached no automation that delivers it, at the file and line of the first such
alert. An alert whose delivery rests on something unknown offline (the target
Logic App is not in the scan, a scope or rule only known at deployment) is
"unknown", reported by SRC003, never by this rule. Assessments and
regulatory-compliance events are tabled by ``auditor coverage`` but not
reported here. ``auditor scan`` reads no events, so this rule never fires there.

## Why it matters
A high-severity alert that starts no playbook is handled only if someone happens
to look at the portal. Nothing in Defender for Cloud says that an alert type fell
through every automation's rules: the gap shows when an incident is reviewed.

## Example
```
alerts-export.json:31:3 COV001 [medium] 1 of 1 'High' alert of type
'K8S_PrivilegedContainer' reached no automation: soc-high-alerts: rule set 1:
AlertType StartsWith 'Storage.' — event has 'K8S_PrivilegedContainer'
```

## Use instead
Widen an automation's rules (or add one) so the alert type and severity match,
extend its scopes to the alert's subscription, enable it, or fix the Logic App it
calls; ``auditor simulate PATH --event FILE`` explains one alert rule by rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.coverage import CoverageGroup
    from auditor.model import Inventory

RULE = Rule(
    id="COV001",
    name="alert-not-delivered",
    severity=Severity.MEDIUM,
    title="Observed alerts reached no automation",
    fires_when=(
        "`auditor coverage`: an alert type and severity at or above `--min-severity` (default high) has "
        "alerts that no enabled automation under PATH delivers"
    ),
    rationale=(
        "An alert that starts no playbook is handled only if someone looks at the portal; Defender for "
        "Cloud does not say that an alert type fell through every automation."
    ),
    remediation=(
        "Widen or add an automation whose scope, event source and rules match the alert type and severity, "
        "or fix the automation or Logic App that should have received it (auditor simulate explains why)."
    ),
    tags=("coverage",),
)
MAX_RELATED = 10
MAX_REASONS = 3


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per alert group at or above the threshold with alerts no automation delivered."""
    if not inventory.observed_events:
        return
    from auditor.coverage import coverage, event_severity

    threshold = Severity.parse(ctx.settings.coverage_min_severity)
    report = coverage(inventory.automations, ctx.links, inventory.observed_events)
    for group in report.groups:
        severity = event_severity(group.severity)
        if group.kind != "Alerts" or severity is None or severity < threshold:
            continue
        unknown = [e for e in group.events if e.outcome == "unknown"]
        if unknown:  # once per group: an export of thousands of alerts must not give thousands of SRC003
            first = unknown[0]
            ctx.unresolved(
                Unknown(
                    f"{len(unknown)} of {len(group.events)} such alerts might be delivered: "
                    + "; ".join(f"{name}: {why}" for name, why in first.unknown_by[:MAX_REASONS])
                ),
                first.event.origin,
                f"whether the '{group.severity}' alerts of type '{group.event_type or '?'}' reached an automation",
            )
        if group.undelivered:
            yield _finding(group)


def _finding(group: CoverageGroup) -> Finding:
    missed = [e for e in group.events if e.outcome == "undelivered"]
    first = missed[0]
    noun = "alert" if len(group.events) == 1 else "alerts"
    why = "; ".join(f"{name}: {reason}" for name, reason in first.reasons[:MAX_REASONS])
    more = len(first.reasons) - MAX_REASONS
    if more > 0:
        why += f"; and {more} more automation(s)"
    return RULE.finding(
        f"{len(missed)} of {len(group.events)} '{group.severity}' {noun} of type '{group.event_type or '?'}' "
        f"reached no automation: {why or 'there is no automation under the scanned paths'}",
        at=first.event.origin,
        related=tuple(e.event.origin for e in missed[1 : 1 + MAX_RELATED]),
        key=f"{group.kind}|{group.event_type}|{group.severity.casefold()}",
    )
