"""Alert coverage (``auditor coverage``): which observed events reached an automation, and which none did.

"Which of last month's high-severity alerts reached no automation at all?" is :func:`simulate`'s question
asked of every saved event at once. :func:`coverage` is a pure function of (automations, links, observed
events) → :class:`CoverageReport`; the CLI reads the ``--events`` files
(:func:`auditor.simulate_cli.read_observed`, which reuses :func:`auditor.simulate.read_events`) and renders, and COV001 (checks/cov001_alert_not_delivered.py)
reads the same report from the inventory.

Each event has one of three outcomes:

* ``delivered``: some automation fires for it and delivers it (its Logic App and trigger are in the scan
  and can receive it), :func:`auditor.simulate.evaluate`'s ``delivers is True`` without assumptions;
* ``unknown``: no automation delivers it for sure, but one might: its target is not in the scan
  (``delivers`` None), it delivers only under an assumption (a ``{subscriptionId}`` scope, which
  simulate assumes to be the event's, cannot be the subscription of every alert of an export:
  ``--subscription`` makes it real), or the only reasons it does not fire rest on values known at
  deployment (an Unknown ``isEnabled``, scope, event source or rule). Unknown is not "not delivered":
  never a finding;
* ``undelivered``: every automation definitively does not deliver it (disabled, scope does not cover
  the resource, another event source, a rule set that does not match, or it fires into a disabled Logic
  App, a missing or legacy trigger).

Events are grouped by (kind, alert type or assessment name, severity).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from auditor.findings import Severity
from auditor.link import Links
from auditor.model import Automation, ObservedEvent, Origin
from auditor.simulate import AutomationResult, Event, evaluate, lookup

COVERAGE_VERSION = 1
Outcome = Literal["delivered", "unknown", "undelivered"]
_SEVERITY_WORDS = {"informational": Severity.INFO, "info": Severity.INFO}
# Where each kind names its type and severity (looked up case-insensitively, first found wins): the Logic
# App trigger shape (AlertType, Severity) and the ARM bodies (properties.alertType, properties.severity;
# an assessment's displayName and metadata.severity).
_TYPE_PATHS = {
    "Alerts": ("alertType", "alertDisplayName"),
    "Assessments": ("displayName", "metadata.displayName", "assessmentKey", "name"),
    "RegulatoryComplianceAssessment": ("displayName", "name", "assessmentName"),
}
_SEVERITY_PATHS = ("severity", "metadata.severity")


# ---------------------------------------------------------------- events as the inventory holds them


def observed(event: Event, origin: Origin) -> ObservedEvent:
    """An :class:`~auditor.simulate.Event` as the inventory holds it, with its group key read once."""
    return ObservedEvent(
        label=event.label,
        kind=event.kind,
        resource=event.resource,
        body=event.body,
        event_type=_first_text(event.body, _TYPE_PATHS.get(event.kind, ("name",))),
        severity=_first_text(event.body, _SEVERITY_PATHS),
        origin=origin,
    )


def _first_text(body: dict[str, Any], paths: Sequence[str]) -> str:
    for path in paths:
        found, value = lookup(body, path)
        if found and isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def as_event(obs: ObservedEvent) -> Event:
    """The simulate engine's view of an observed event."""
    return Event(obs.label, obs.kind, obs.resource, obs.body)


def event_severity(text: str) -> Severity | None:
    """An event's severity on auditor's scale (Informational = info); None when absent or not one."""
    lowered = text.strip().lower()
    if lowered in _SEVERITY_WORDS:
        return _SEVERITY_WORDS[lowered]
    try:
        return Severity.parse(lowered) if lowered else None
    except ValueError:
        return None


# ---------------------------------------------------------------- the engine


def outcome(automation: Automation, result: AutomationResult) -> Outcome:
    """One automation's outcome for one event (three-valued: see the module docstring)."""
    if result.fires:
        if result.delivers is True and result.assumptions:
            return "unknown"  # e.g. a {subscriptionId} scope: which subscription is not known offline
        if result.delivers is None:
            return "unknown"  # the target is not in the scan (or not a Logic App)
        return "delivered" if result.delivers else "undelivered"
    gates = (_enabled(automation), _scope(automation, result), _matches(automation, result))
    if False in gates:
        return "undelivered"
    return "unknown"  # no gate is known to fail: one rests on a value known only at deployment


def _enabled(automation: Automation) -> bool | None:
    return automation.is_enabled if isinstance(automation.is_enabled, bool) else None


def _scope(automation: Automation, result: AutomationResult) -> bool | None:
    if result.scope.get("covered"):
        return True
    if automation.scopes_unknown is not None or result.scope.get("event_resource") is None:
        return None
    return None if any(not isinstance(s.scope_path, str) for s in automation.scopes) else False


def _matches(automation: Automation, result: AutomationResult) -> bool | None:
    """Event source and rule sets, from the result where evaluate decided them."""
    if any(m is True for m in result.rule_set_matched):
        return True
    if automation.sources_unknown is not None:
        return None
    if any(not isinstance(s.event_source, str) for s in automation.sources):
        return None
    if any(s.rule_sets_unknown is not None for s in automation.sources):
        return None
    return None if None in result.rule_set_matched else False


@dataclass(frozen=True)
class EventCoverage:
    """One observed event: its outcome and the automations that delivered it (or might have)."""

    event: ObservedEvent
    outcome: Outcome
    delivered_by: tuple[str, ...]
    unknown_by: tuple[tuple[str, str], ...]  # (automation, what is unknown) of those that might deliver
    reasons: tuple[tuple[str, str], ...]  # (automation, first reason) of those that do not deliver


@dataclass(frozen=True)
class CoverageGroup:
    """The events of one (kind, type, severity)."""

    kind: str
    event_type: str
    severity: str
    events: tuple[EventCoverage, ...]

    @property
    def delivered(self) -> int:
        return sum(1 for e in self.events if e.outcome == "delivered")

    @property
    def unknown(self) -> int:
        return sum(1 for e in self.events if e.outcome == "unknown")

    @property
    def undelivered(self) -> int:
        return sum(1 for e in self.events if e.outcome == "undelivered")

    def delivered_by(self) -> list[tuple[str, int]]:
        """Automation names with the number of this group's events each delivered, most first."""
        counts = Counter(name for e in self.events for name in e.delivered_by)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def rank(self) -> int:
        sev = event_severity(self.severity)
        return -1 if sev is None else int(sev)


@dataclass(frozen=True)
class CoverageReport:
    """Every observed event's outcome, grouped; what the renderers and COV001 read."""

    groups: tuple[CoverageGroup, ...]
    automations: int
    min_severity: str = "high"

    @property
    def events(self) -> int:
        return sum(len(g.events) for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        """The versioned ``event_coverage`` section of the JSON report (README, "Coverage")."""
        return {
            "version": COVERAGE_VERSION,
            "automations": self.automations,
            "events": self.events,
            "min_severity": self.min_severity,
            "groups": [
                {
                    "kind": g.kind,
                    "type": g.event_type,
                    "severity": g.severity,
                    "events": len(g.events),
                    "delivered": g.delivered,
                    "unknown": g.unknown,
                    "undelivered": g.undelivered,
                    "delivered_by": [{"name": n, "events": c} for n, c in g.delivered_by()],
                    "undelivered_events": [
                        {"event": e.event.label, "line": e.event.origin.line, "resource": e.event.resource}
                        for e in g.events
                        if e.outcome == "undelivered"
                    ],
                    "unknown_events": [
                        {
                            "event": e.event.label,
                            "line": e.event.origin.line,
                            "might_deliver": [{"name": n, "unknown": why} for n, why in e.unknown_by],
                        }
                        for e in g.events
                        if e.outcome == "unknown"
                    ],
                }
                for g in self.groups
            ],
        }


def cover_event(automations: Sequence[Automation], links: Links, obs: ObservedEvent) -> EventCoverage:
    """Every automation against one event."""
    event = as_event(obs)
    delivered: list[str] = []
    unknown: list[tuple[str, str]] = []
    reasons: list[tuple[str, str]] = []
    for automation in automations:
        result = evaluate(automation, event, links)
        verdict = outcome(automation, result)
        if verdict == "delivered":
            delivered.append(result.name)
        elif verdict == "unknown":
            unknown.append((result.name, "; ".join(result.assumptions) or result.reason))
        else:
            reasons.append((result.name, result.reason))
    state: Outcome = "delivered" if delivered else ("unknown" if unknown else "undelivered")
    return EventCoverage(obs, state, tuple(delivered), tuple(unknown), tuple(reasons))


# The last report and what it was computed from (strong references, so an identity cannot be reused):
# COV001 and the renderers' report (auditor.scanning) ask the same question of the same inventory, and
# each evaluation is events × automations.
_LAST: list[tuple[tuple[object, ...], CoverageReport]] = []


def coverage(
    automations: Sequence[Automation],
    links: Links,
    events: Sequence[ObservedEvent],
    min_severity: str = "high",
) -> CoverageReport:
    """Pure: the outcome of every event against every automation, grouped by (kind, type, severity),
    highest severity first. Asked twice of the same inventory's lists, the first answer is reused."""
    key = (automations, events, links.inventory.logic_apps, links.inventory.automations)
    if _LAST and all(a is b for a, b in zip(_LAST[0][0], key, strict=True)):
        return replace(_LAST[0][1], min_severity=min_severity)
    report = _coverage(automations, links, events, min_severity)
    _LAST[:] = [(key, report)]
    return report


def _coverage(
    automations: Sequence[Automation], links: Links, events: Sequence[ObservedEvent], min_severity: str
) -> CoverageReport:
    grouped: dict[tuple[str, str, str], list[EventCoverage]] = {}
    for obs in events:
        key = (obs.kind, obs.event_type, obs.severity.casefold())
        grouped.setdefault(key, []).append(cover_event(automations, links, obs))
    groups = [
        CoverageGroup(kind, items[0].event.event_type, items[0].event.severity, tuple(items))
        for (kind, _type, _sev), items in grouped.items()
    ]
    groups.sort(key=lambda g: (-g.rank, g.kind, g.event_type.casefold()))
    return CoverageReport(tuple(groups), len(automations), min_severity)
