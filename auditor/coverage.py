"""Alert coverage (``auditor coverage``): which observed events reached an automation, and which none did.

"Which of last month's high-severity alerts reached no automation at all?" is :func:`simulate`'s question
asked of every saved event at once. :func:`coverage` is a pure function of (automations, links, observed
events) → :class:`CoverageReport`; the CLI reads the ``--events`` files
(:func:`auditor.simulate_cli.read_observed`, which reuses :func:`auditor.event_files.read_events`) and renders, and COV001 (checks/cov001_alert_not_delivered.py)
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

from auditor.events import Event
from auditor.findings import Severity
from auditor.link import Links
from auditor.model import Automation, ObservedEvent, Origin
from auditor.simulate import (
    LIVE_TRIGGER_ASSUMPTION,
    AutomationResult,
    evaluate_event,
    lookup,
    without_cyclic_gc,
)

COVERAGE_VERSION = 1
Outcome = Literal["delivered", "unknown", "undelivered"]
_SEVERITY_WORDS = {"informational": Severity.INFO, "info": Severity.INFO}
# Where each kind names its type and severity (looked up case-insensitively, first found wins): the Logic
# App trigger shape (AlertType, Severity) and the ARM bodies (properties.alertType, properties.severity;
# an assessment's displayName and metadata.severity).
_TYPE_PATHS = {
    "Alerts": ("alertType", "alertDisplayName"),
    "Assessments": (
        "properties.displayName",
        "displayName",
        "properties.metadata.displayName",
        "metadata.displayName",
        "assessmentKey",
        "name",
    ),
    "RegulatoryComplianceAssessment": ("properties.description", "displayName", "name", "assessmentName"),
}
_SEVERITY_PATHS = ("severity", "properties.metadata.severity", "metadata.severity", "properties.severity")


# ---------------------------------------------------------------- events as the inventory holds them


def observed(event: Event, origin: Origin) -> ObservedEvent:
    """An :class:`~auditor.events.Event` as the inventory holds it, with its group key read once."""
    return ObservedEvent(
        label=event.label,
        kind=event.kind,
        resource=event.resource,
        body=event.body,
        event_type=_first_text(event.body, _TYPE_PATHS.get(event.kind, ("name",))),
        severity=_first_text(event.body, _SEVERITY_PATHS),
        origin=origin,
        shape=event.shape,
        uncertain=event.uncertain,
    )


def _first_text(body: dict[str, Any], paths: Sequence[str]) -> str:
    for path in paths:
        found, value = lookup(body, path)
        if found and isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def as_event(obs: ObservedEvent) -> Event:
    """The simulate engine's view of an observed event."""
    return Event(obs.label, obs.kind, obs.resource, obs.body, obs.shape, obs.uncertain)


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


@dataclass(frozen=True, slots=True)
class Gates:
    """What an automation's outcome needs beyond one result, read once per automation (not per event)."""

    enabled: bool | None  # isEnabled, None when not known statically
    scopes_known: bool  # every scopePath (and the list itself) is known
    sources_known: bool  # every eventSource and rule-set list is known


def gates_of(automation: Automation) -> Gates:
    return Gates(
        enabled=automation.is_enabled if isinstance(automation.is_enabled, bool) else None,
        scopes_known=automation.scopes_unknown is None
        and all(isinstance(s.scope_path, str) for s in automation.scopes),
        sources_known=automation.sources_unknown is None
        and all(isinstance(s.event_source, str) and s.rule_sets_unknown is None for s in automation.sources),
    )


def outcome(automation: Automation, result: AutomationResult, gates: Gates | None = None) -> Outcome:
    """One automation's outcome for one event (three-valued: see the module docstring)."""
    if result.fires:
        if result.delivers is True and any(a != LIVE_TRIGGER_ASSUMPTION for a in result.assumptions):
            return "unknown"  # e.g. a {subscriptionId} scope: which subscription is not known offline
        # A deployed automation's trigger inferred from its Logic App's only trigger (ARM hides the callback
        # URL) counts as delivered, as in simulate: otherwise no live delivery could ever be confirmed.
        if result.delivers is None:
            return "unknown"  # the target is not in the scan (or not a Logic App)
        return "delivered" if result.delivers else "undelivered"
    g = gates or gates_of(automation)
    if g.enabled is False:
        return "undelivered"
    if not result.covered:
        # Out of scope, evaluate does not decide the rules (Defender never evaluates them): the scope decides.
        known = g.scopes_known and result.event_resource is not None
        return "undelivered" if known else "unknown"
    if any(m is True for m in result.rule_set_matched):
        return "unknown"  # enabled, covered and matched, yet not firing: a gate rests on an unknown value
    if g.sources_known and None not in result.rule_set_matched:
        return "undelivered"  # another event source, or no rule set matches
    return "unknown"  # no gate is known to fail: one rests on a value known only at deployment


@dataclass(frozen=True)
class EventCoverage:
    """One observed event: its outcome and the automations that delivered it (or might have)."""

    event: ObservedEvent
    outcome: Outcome
    delivered_by: tuple[str, ...]
    unknown_by: tuple[tuple[str, str], ...]  # (automation, what is unknown) of those that might deliver
    # (automation, first reason) of those that do not deliver, written for undelivered events only (what
    # COV001 explains): a tenant's worth of delivered events would otherwise explain a million pairs.
    reasons: tuple[tuple[str, str], ...]


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


def cover_event(
    automations: Sequence[Automation], links: Links, obs: ObservedEvent, gates: Sequence[Gates] | None = None
) -> EventCoverage:
    """Every automation against one event."""
    event = as_event(obs)
    delivered: list[str] = []
    unknown: list[tuple[str, str]] = []
    not_delivering: list[AutomationResult] = []
    if gates is None:
        gates = [gates_of(a) for a in automations]
    for automation, g, result in zip(
        automations, gates, evaluate_event(automations, event, links), strict=True
    ):
        verdict = outcome(automation, result, g)
        if verdict == "delivered":
            delivered.append(result.name)
        elif verdict == "unknown":
            unknown.append((result.name, "; ".join(result.assumptions) or result.reason))
        else:
            not_delivering.append(result)
    state: Outcome = "delivered" if delivered else ("unknown" if unknown else "undelivered")
    reasons = tuple((r.name, r.reason) for r in not_delivering) if state == "undelivered" else ()
    return EventCoverage(obs, state, tuple(delivered), tuple(unknown), reasons)


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
    gates = [gates_of(a) for a in automations]  # read once for all the events
    with without_cyclic_gc():
        for obs in events:
            key = (obs.kind, obs.event_type, obs.severity.casefold())
            grouped.setdefault(key, []).append(cover_event(automations, links, obs, gates))
    groups = [
        CoverageGroup(kind, items[0].event.event_type, items[0].event.severity, tuple(items))
        for (kind, _type, _sev), items in grouped.items()
    ]
    groups.sort(key=lambda g: (-g.rank, g.kind, g.event_type.casefold()))
    return CoverageReport(tuple(groups), len(automations), min_severity)
