"""Evaluate Defender for Cloud events against the automations of an inventory (``auditor simulate``).

"My Logic App never ran" has a handful of causes: the automation is disabled, its scope does not cover
the alert's subscription, the event source is another kind, one rule of every rule set (rules AND-ed,
rule sets OR-ed) does not match, or the target Logic App / trigger cannot receive the call. This module
answers it offline: :func:`simulate` is a pure function of (automations, links, events) → results; the CLI
only reads files and renders. Comparison semantics follow AUT204 (checks/aut204_rule_set_never_matches.py):
``String`` values compare case-insensitively, ``Integer``/``Number`` numerically, ``Boolean`` as true/false.
Property keys are looked up case-insensitively so one rule reads both the Logic App trigger shape
(``Severity``) and the ARM ``Microsoft.Security/alerts`` body (``properties.severity``).

Nothing unknown is guessed: an Unknown scope, rule value or path is an *assumption* (reported), never a
match; ``delivers`` is None when the target Logic App is not in the scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.catalog import default_catalog
from auditor.files import display_path, read_regular
from auditor.link import Links, parse_callback_target
from auditor.model import Automation, AutomationRule, LogicApp
from auditor.resource_ids import normalize
from auditor.rule_values import as_bool, as_number
from auditor.unknown import Unknown

MAX_EVENT_BYTES = 16 * 1024 * 1024
_NUMERIC = ("integer", "number")
_STRING_OPS = ("equals", "notequals", "contains", "startswith", "endswith")
_ORDER_OPS = ("greaterthan", "greaterthanorequalto", "lesserthan", "lesserthanorequalto")


class EventError(Exception):
    """An event file that cannot be read or understood (exit 2); the message names file and line."""


@dataclass(frozen=True)
class Event:
    """One event: where it came from, its kind, the resource it is about and the body rules read."""

    label: str  # "<file>#<index>"
    kind: str  # Alerts | Assessments
    resource: str | None  # ARM id (or subscription scope) of the resource the event is about
    body: dict[str, Any]


@dataclass
class RuleResult:
    path: str
    operator: str
    type: str
    expected: Any
    actual: Any
    matched: bool | None  # None = an assumption (something unknown statically)
    reason: str = ""


@dataclass
class AutomationResult:
    name: str
    resource: str | None
    path: str | None
    line: int
    fires: bool
    delivers: bool | None  # None: the target is not in the scan (or not a Logic App): cannot tell offline
    reason: str
    scope: dict[str, Any]
    rule_sets: list[list[RuleResult]] = field(default_factory=list)
    rule_set_matched: list[bool | None] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading events


def _event_from(raw: Any, label: str) -> Event:
    if not isinstance(raw, dict):
        raise EventError(f"{label}: an event is a JSON object, got {type(raw).__name__}")
    props = raw.get("properties")
    rtype = str(raw.get("type", "")).lower()
    if isinstance(props, dict) and ("alerts" in rtype or "alertType" in props):
        resource = _arm_alert_resource(raw, props)
        return Event(label, "Alerts", resource, props)
    if isinstance(props, dict) and "assessments" in rtype:
        rid = raw.get("id")
        return Event(label, "Assessments", rid if isinstance(rid, str) else None, props)
    if "AlertType" in raw or "SystemAlertId" in raw:
        return Event(label, "Alerts", _trigger_alert_resource(raw), raw)
    raise EventError(
        f"{label}: not a security alert (no AlertType/SystemAlertId, not a Microsoft.Security/alerts body)"
    )


def _trigger_alert_resource(raw: dict[str, Any]) -> str | None:
    if isinstance(raw.get("AzureResourceId"), str):
        return str(raw["AzureResourceId"])
    for ident in raw.get("ResourceIdentifiers") or []:
        if isinstance(ident, dict) and isinstance(ident.get("AzureResourceId"), str):
            return str(ident["AzureResourceId"])
    sub = raw.get("AzureResourceSubscriptionId")
    return f"/subscriptions/{sub}" if isinstance(sub, str) else None


def _arm_alert_resource(raw: dict[str, Any], props: dict[str, Any]) -> str | None:
    for ident in props.get("resourceIdentifiers") or []:
        if isinstance(ident, dict) and isinstance(ident.get("azureResourceId"), str):
            return str(ident["azureResourceId"])
    rid = raw.get("id")
    if isinstance(rid, str) and rid.lower().startswith("/subscriptions/"):
        return "/".join(rid.split("/")[:3])  # the alert's own id only tells its subscription
    return None


def read_events(path: Path) -> list[Event]:
    """The events of one file (one object or a list), through the safe reader; EventError when bad."""
    shown = display_path(path)
    try:
        data = read_regular(path, max_bytes=MAX_EVENT_BYTES)
    except OSError as exc:
        raise EventError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise EventError(f"{shown}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise EventError(f"{shown}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    return [_event_from(item, f"{shown}#{i}") for i, item in enumerate(items)]


def events_from_bodies(
    bodies: list[Any], label_prefix: str, *, labels: list[str] | None = None
) -> list[Event]:
    """Events from already-parsed JSON values (one file's list, or the bodies a live read returned),
    labelled ``<label_prefix>#<index>`` (or ``labels[index]``, e.g. each live alert's ARM id): the per-object
    logic of :func:`read_events`; EventError when one is not an event."""
    return [
        _event_from(item, labels[i] if labels is not None else f"{label_prefix}#{i}")
        for i, item in enumerate(bodies)
    ]


# ---------------------------------------------------------------- rules


def lookup(body: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of a dotted path, keys compared case-insensitively."""
    current = body
    for part in path.split("."):
        if not isinstance(current, dict):
            return False, None
        lowered = part.lower()
        match = [v for k, v in current.items() if k.lower() == lowered]
        if not match:
            return False, None
        current = match[0]
    return True, current


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "equals":
        return bool(actual == expected)
    if op == "notequals":
        return bool(actual != expected)
    if op == "contains":
        return bool(expected in actual)
    if op == "startswith":
        return bool(actual.startswith(expected))
    if op == "endswith":
        return bool(actual.endswith(expected))
    if op == "greaterthan":
        return bool(actual > expected)
    if op == "greaterthanorequalto":
        return bool(actual >= expected)
    if op == "lesserthan":
        return bool(actual < expected)
    return bool(actual <= expected)


def evaluate_rule(rule: AutomationRule, body: dict[str, Any]) -> RuleResult:
    """One rule against one event body."""
    path, op_raw, type_raw, expected = rule.jpath, rule.operator, rule.property_type, rule.expected_value
    result = RuleResult(
        path=path if isinstance(path, str) else "?",
        operator=op_raw if isinstance(op_raw, str) else "?",
        type=type_raw if isinstance(type_raw, str) else "?",
        expected=expected if not isinstance(expected, Unknown) else None,
        actual=None,
        matched=None,
    )
    for what, value in (("propertyJPath", path), ("operator", op_raw), ("propertyType", type_raw)):
        if not isinstance(value, str):
            result.reason = f"the rule's {what} is not known statically"
            return result
    if isinstance(expected, Unknown):
        result.reason = "the rule's expectedValue is not known statically"
        return result
    assert isinstance(path, str) and isinstance(op_raw, str) and isinstance(type_raw, str)
    if any(c in path for c in "[*") or ".." in path:
        result.reason = f"path '{path}' uses JSONPath beyond dotted names (not evaluated)"
        return result
    found, actual = lookup(body, path)
    if not found:
        result.matched, result.reason = False, f"event has no {path}"
        return result
    result.actual = actual
    op, kind = op_raw.lower(), type_raw.lower()
    if op not in (*_STRING_OPS, *_ORDER_OPS):
        result.reason = f"operator '{op_raw}' is not one Defender documents"
        return result
    a: Any
    e: Any
    if kind == "string":
        if not isinstance(actual, str) or not isinstance(expected, str):
            result.matched, result.reason = False, f"type mismatch: {path} is not a String"
            return result
        if op in _ORDER_OPS:
            result.matched, result.reason = False, f"operator {op_raw} does not apply to a String"
            return result
        a, e = actual.casefold(), expected.casefold()
    elif kind in _NUMERIC:
        a, e = as_number(actual), as_number(expected)
        if a is None or e is None:
            side = path if a is None else "the expected value"
            result.matched, result.reason = False, f"type mismatch: {side} is not a {type_raw}"
            return result
        if op not in ("equals", "notequals", *_ORDER_OPS):
            result.matched, result.reason = False, f"operator {op_raw} does not apply to a {type_raw}"
            return result
    elif kind == "boolean":
        a, e = as_bool(actual), as_bool(expected)
        if a is None or e is None:
            side = path if a is None else "the expected value"
            result.matched, result.reason = False, f"type mismatch: {side} is not a Boolean"
            return result
        if op not in ("equals", "notequals"):
            result.matched, result.reason = False, f"operator {op_raw} does not apply to a Boolean"
            return result
    else:
        result.reason = f"propertyType '{type_raw}' is not one Defender documents"
        return result
    result.matched = _compare(op, a, e)
    if not result.matched:
        result.reason = f"{path} {op_raw} {expected!r} — event has {actual!r}"
    return result


# ---------------------------------------------------------------- scope


def _segments(text: str) -> list[str]:
    return [s for s in normalize(text).split("/") if s]


def _placeholder(segment: str) -> bool:
    return len(segment) > 2 and segment[0] == "{" and segment[-1] == "}"


def scope_covers(scope: str, resource: str) -> tuple[bool, str | None]:
    """(covered, assumption): a scope covers the resource ids below it; a ``{placeholder}`` segment (the
    deployment's own subscription or resource group) is assumed to be the event's, and that is said."""
    s, r = _segments(scope), _segments(resource)
    if len(s) > len(r):
        return False, None
    assumed = False
    for x, y in zip(s, r, strict=False):
        if _placeholder(x):
            assumed = True
        elif x != y:
            return False, None
    note = f"scope '{scope}' is the deployment's own scope: assumed to be the event's" if assumed else None
    return True, note


# ---------------------------------------------------------------- automations


def _first_reason(rule_sets: list[list[RuleResult]], matched: list[bool | None]) -> str:
    for i, (rules, ok) in enumerate(zip(rule_sets, matched, strict=True), start=1):
        if ok is False:
            bad = next(r for r in rules if r.matched is False)
            return f"rule set {i}: {bad.reason}"
    for i, (rules, ok) in enumerate(zip(rule_sets, matched, strict=True), start=1):
        if ok is None:
            bad = next(r for r in rules if r.matched is None)
            return f"rule set {i}: assumption: {bad.reason}"
    return "no rule set"


def _delivers(automation: Automation, links: Links) -> tuple[bool | None, str]:
    catalog = default_catalog()
    outcomes: list[tuple[bool | None, str]] = []
    for action in automation.actions:
        if not isinstance(action.action_type, str) or action.action_type.lower() != "logicapp":
            outcomes.append((None, "the action is not a Logic App: not followed"))
            continue
        la = links.logic_app(action.logic_app_id, automation.origin)
        if not isinstance(la, LogicApp):
            outcomes.append((None, "the target Logic App is not in the scan (or ambiguous): cannot tell"))
            continue
        if isinstance(la.state, str) and la.state.lower() == "disabled":
            outcomes.append((False, f"Logic App '{la.name}' is Disabled"))
            continue
        target = parse_callback_target(getattr(action.uri, "target", None))
        assumed = ""
        name = target.trigger_name if target is not None else _live_only_trigger(automation, action.uri, la)
        if name is None:
            outcomes.append((None, "the callback URL names no trigger auditor can read"))
            continue
        if target is None:
            assumed = _LIVE_TRIGGER_NOTE
        trigger = Links.trigger(la, name)
        if trigger is None:
            outcomes.append((False, f"Logic App '{la.name}' has no trigger '{name}'"))
        elif trigger.name.lower() in catalog.legacy_trigger_names:
            outcomes.append((False, f"trigger '{trigger.name}' is the legacy trigger, never called"))
        else:
            outcomes.append((True, f"delivers to {la.name}/{trigger.name}{assumed}"))
    if not outcomes:
        return False, "the automation has no action"
    for wanted in (True, None, False):
        for value, why in outcomes:
            if value is wanted:
                return value, why
    return None, ""  # unreachable


_LIVE_TRIGGER_NOTE = " (ARM never returns the callback URL of a deployed automation: assumed to name the Logic App's only trigger)"


def _live_only_trigger(automation: Automation, uri: object, la: LogicApp) -> str | None:
    """A deployed automation (read live) has no ``uri``: ARM never returns the callback URL and only
    ``listCallbackUrl`` (a secret, never called) would. Its Logic App's trigger is then inferred only when the
    Logic App has exactly one, and that is said as an assumption (None otherwise: cannot tell)."""
    if automation.origin.file is not None or uri is not None or la.triggers_unknown is not None:
        return None
    return la.triggers[0].name if len(la.triggers) == 1 else None


def evaluate(automation: Automation, event: Event, links: Links) -> AutomationResult:
    """Whether one automation fires for one event, and why (the first reason) when it does not."""
    res = AutomationResult(
        name=automation.name if isinstance(automation.name, str) else "?",
        resource=automation.id if isinstance(automation.id, str) else None,
        path=automation.origin.file,
        line=automation.origin.line,
        fires=False,
        delivers=False,
        reason="",
        scope={"scopes": [], "covered": False},
    )
    reasons: list[str] = []
    if automation.is_enabled is not True:
        reasons.append(
            "the automation is disabled" if automation.is_enabled is False else "isEnabled is not known"
        )
    covered = False
    for scope in automation.scopes:
        path = scope.scope_path
        if not isinstance(path, str):
            res.scope["scopes"].append(None)
            res.assumptions.append("a scopePath is not known statically: not matched")
            continue
        res.scope["scopes"].append(path)
        if event.resource is not None:
            ok, note = scope_covers(path, event.resource)
            if ok:
                covered = True
                if note:
                    res.assumptions.append(note)
    res.scope["covered"] = covered
    res.scope["event_resource"] = event.resource
    if not covered:
        if event.resource is None:
            reasons.append("the event names no resource: scope cannot be matched")
        else:
            reasons.append(f"no scope covers {event.resource}")
    sources = [
        s for s in automation.sources if isinstance(s.event_source, str) and s.event_source == event.kind
    ]
    if not sources:
        reasons.append(f"no event source '{event.kind}'")
    matched_any = False
    for source in sources:
        if not source.rule_sets:
            matched_any = True  # a source without rule sets takes every event of its kind
        for rule_set in source.rule_sets:
            rules = [evaluate_rule(r, event.body) for r in rule_set.rules]
            verdicts = [r.matched for r in rules]
            verdict: bool | None = (
                False if False in verdicts else (None if None in verdicts or rule_set.unresolved else True)
            )
            res.rule_sets.append(rules)
            res.rule_set_matched.append(verdict)
            matched_any = matched_any or verdict is True
    if sources and not matched_any:
        reasons.append(_first_reason(res.rule_sets, res.rule_set_matched))
    res.fires = not reasons
    if res.fires:
        res.delivers, res.reason = _delivers(automation, links)
        if res.reason.endswith(_LIVE_TRIGGER_NOTE):  # an inference, reported as an assumption
            res.reason = res.reason[: -len(_LIVE_TRIGGER_NOTE)]
            res.assumptions.append(_LIVE_TRIGGER_NOTE.strip(" ()"))
    else:
        res.delivers, res.reason = False, reasons[0]
    return res


def simulate(
    automations: list[Automation], links: Links, events: list[Event]
) -> list[list[AutomationResult]]:
    """Per event, the result of every automation (pure: no I/O)."""
    return [[evaluate(a, e, links) for a in automations] for e in events]


def to_json(events: list[Event], results: list[list[AutomationResult]]) -> dict[str, Any]:
    """The version-1 JSON document (see README, "Simulate an event")."""
    out = []
    for event, per in zip(events, results, strict=True):
        autos = []
        for r in per:
            autos.append(
                {
                    "name": r.name,
                    "resource": r.resource,
                    "path": r.path,
                    "line": r.line,
                    "fires": r.fires,
                    "delivers": r.delivers,
                    "reason": r.reason,
                    "scope": r.scope,
                    "assumptions": r.assumptions,
                    "rule_sets": [
                        {
                            "matched": m,
                            "rules": [
                                {
                                    "path": x.path,
                                    "operator": x.operator,
                                    "type": x.type,
                                    "expected": x.expected,
                                    "actual": x.actual,
                                    "matched": x.matched,
                                }
                                for x in rules
                            ],
                        }
                        for rules, m in zip(r.rule_sets, r.rule_set_matched, strict=True)
                    ],
                }
            )
        out.append({"event": event.label, "kind": event.kind, "automations": autos})
    return {"version": 1, "events": out}


def to_text(events: list[Event], results: list[list[AutomationResult]]) -> str:
    """Per event: what fires and delivers, and the first reason of each automation that does not."""
    lines: list[str] = []
    for event, per in zip(events, results, strict=True):
        lines.append(f"{event.label} ({event.kind}, resource {event.resource or '?'})")
        if not per:
            lines.append("  no automation in the scan")
        for r in per:
            where = f"{r.path}:{r.line}" if r.path else (r.resource or "live")  # live: the ARM id
            if r.fires:
                state = {
                    True: "fires, delivers",
                    False: "fires, delivers nothing",
                    None: "fires, delivery unknown",
                }
                lines.append(f"  {r.name} ({where}): {state[r.delivers]}: {r.reason}")
            else:
                lines.append(f"  {r.name} ({where}): does not fire: {r.reason}")
            lines.extend(f"    assumption: {a}" for a in r.assumptions)
    return "\n".join(lines) + "\n"


def delivered_every_event(results: list[list[AutomationResult]]) -> bool:
    """Exit-code rule: every event reached at least one automation that delivers."""
    return all(any(r.delivers is True for r in per) for per in results)
