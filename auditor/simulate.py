"""Evaluate Defender for Cloud events against the automations of an inventory (``auditor simulate``).

"My Logic App never ran" has a handful of causes: the automation is disabled, its scope does not cover
the event's resource, the event source is another kind, one rule of every rule set (rules AND-ed, rule
sets OR-ed) does not match, or the target Logic App / trigger cannot receive the call. This module answers
it offline: :func:`simulate` is a pure function of (automations, links, events) → results; the CLI only
reads files and renders.

Events are read by :mod:`auditor.events` (three kinds, both shapes; re-exported here).

Semantics, with what documents them (REST spec = azure-rest-api-specs ``specification/security``
automations, ``AutomationTriggeringRule``; "undocumented" means Microsoft says nothing, and then the
simulation takes every plausible reading and calls a rule matched or not only when all of them agree,
else ``matched`` is None, an assumption the output names):

- ``String`` comparisons (``Equals``, ``NotEquals``, ``Contains``, ``StartsWith``, ``EndsWith``) ignore
  case: "A case-insensitive comparison will be applied for String PropertyType" (REST spec).
- Ordering operators "apply only for decimal operands", ``Contains``/``StartsWith``/``EndsWith`` "only for
  non-decimal operands", ``Equals``/``NotEquals`` for both (REST spec enum descriptions); an operator used
  against its type, an operator or ``propertyType`` outside the enums, or an ``expectedValue`` that does
  not parse as the type (``Integer``: a whole number; ``Boolean``: ``true``/``false`` in any case, as
  .NET's ``Boolean.Parse`` reads it) is no match under every reading (Defender rejects it or it never
  holds), as AUT206 reports. Operator, type and event-source names are read case-insensitively, as
  AUT206/AUT207 do.
- Event values of another JSON type (a number under a ``String`` rule, numeric text under ``Integer``,
  ``"true"`` under ``Boolean``, a fraction under ``Integer``): whether Defender converts them is
  undocumented, so the rule is decided only when converting and not converting agree.
- ``propertyJPath`` is a Json.NET JPath (:mod:`auditor.jpath`: ``a.b``, ``$.``, ``a[0]``, ``a[*].b``,
  ``['key with space']``, ``..``). Keys compare case-sensitively as in Json.NET; a key present only in
  another case is decided only when both lookups agree.
- A path that selects nothing: no ``Equals``/``Contains``/ordering can hold (no match); ``NotEquals`` on a
  missing property is undocumented (None). A path that selects several values: undocumented (Json.NET's
  ``SelectToken`` raises on several tokens, ``SelectTokens`` + any would match), so it is no match when no
  value matches, else None.
- ``isEnabled`` absent: the REST spec gives no default, so an automation without it does not fire (an
  assumption, said). ``false`` or unknown: does not fire.
- A source without rule sets (absent, null or ``[]``) takes every event of its kind (Microsoft's own
  continuous-export policy ffb6f416 relies on that with ``ruleSets: null``); a rule set without rules is
  undocumented (None).
- Unknown values (parameters without value, computed attributes) are assumptions, never matches; a
  ``{subscriptionId}`` placeholder scope is assumed to be the event's subscription, and that is said.

Speed: each automation is compiled once (paths parsed, expected values read, scopes split) and cached by
identity; :func:`simulate` also selects each path once per event. ``evaluate`` stays pure.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from auditor.catalog import default_catalog
from auditor.events import Event
from auditor.jpath import JPath, PathBudgetExceeded, PathError, Selection, compile_path
from auditor.link import Links, parse_callback_target
from auditor.model import Automation, AutomationRule, LogicApp
from auditor.resource_ids import normalize
from auditor.rule_values import as_bool, as_number
from auditor.unknown import Unknown

KINDS = ("Alerts", "Assessments", "RegulatoryComplianceAssessment")
_KIND_KEYS = {k.lower(): k for k in KINDS}
_NUMERIC = ("integer", "number")
_TEXT_OPS = frozenset({"equals", "notequals", "contains", "startswith", "endswith"})
_ORDER_OPS = frozenset({"greaterthan", "greaterthanorequalto", "lesserthan", "lesserthanorequalto"})
_ALL_OPS = _TEXT_OPS | _ORDER_OPS
_OPS_BY_TYPE = {
    "string": _TEXT_OPS,
    "integer": _ORDER_OPS | {"equals", "notequals"},
    "number": _ORDER_OPS | {"equals", "notequals"},
    "boolean": frozenset({"equals", "notequals"}),
}
_TYPE_NAMES = {"string": "String", "integer": "Integer", "number": "Number", "boolean": "Boolean"}


@dataclass(slots=True)
class RuleResult:
    path: str
    operator: str
    type: str
    expected: Any
    actual: Any
    matched: bool | None  # None = an assumption (unknown statically, or undocumented and readings differ)
    reason: str = ""


@dataclass(slots=True)
class AutomationResult:
    name: str
    resource: str | None
    path: str | None
    line: int
    fires: bool
    delivers: bool | None  # None: the target is not in the scan (or not a Logic App): cannot tell offline
    # The first reason; None: "the first rule set that does not match", written when read (most of a
    # tenant-sized run's results are counted, never explained).
    _reason: str | None
    scope_paths: tuple[str | None, ...]  # the automation's scopePaths (None: not known statically)
    covered: bool  # some scope covers the event's resource
    event_resource: str | None
    rule_sets: list[list[RuleResult]] = field(default_factory=list)
    rule_set_matched: list[bool | None] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        if self._reason is None:
            self._reason = _first_reason(self.rule_sets, self.rule_set_matched)
        return self._reason

    @property
    def scope(self) -> dict[str, Any]:
        """The JSON contract's ``scope`` object, built when read (most results of a tenant-sized run are
        never rendered one by one)."""
        return {
            "scopes": list(self.scope_paths),
            "covered": self.covered,
            "event_resource": self.event_resource,
        }


# ---------------------------------------------------------------- rules


def lookup(body: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of a dotted path, keys compared case-insensitively (a reader's helper, not Defender's
    semantics: rules go through :mod:`auditor.jpath`)."""
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


@dataclass(frozen=True, slots=True, eq=False)
class _Rule:
    """A rule read once: the shown fields, and either why it cannot be evaluated or what to compare."""

    shown: tuple[str, str, str, Any]  # path, operator, type, expected as RuleResult shows them
    static: bool | None  # decided without the event (None: an assumption, False: never matches)
    static_reason: str
    jpath: JPath | None = None
    op: str = ""
    kind: str = ""
    expected: Any = None  # casefolded text, float or bool
    # Decisions by the selected values (their types and values): a tenant's events repeat a few severities,
    # types and flags, so most rules are decided once per distinct value rather than once per event.
    decided: dict[Any, RuleResult] = field(default_factory=dict)


_MISSING = object()
_DECIDED_LIMIT = 256  # per rule: bounded, so hostile events with endless distinct values cost no memory
_SCALARS = (str, int, float, bool, type(None))


def _values_key(values: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    """A hashable key of selected values when they are all scalars (with their types: True == 1), else None."""
    if values is None:
        return ()
    key = []
    for v in values:
        t = type(v)
        if t not in _SCALARS:
            return None
        key.append((t, v))
    return tuple(key)


_INTERNED: dict[tuple[Any, ...], _Rule] = {}


def _interned_rule(rule: AutomationRule) -> _Rule:
    """Equal rules compile to one object, so one event decides each distinct rule once (see _Prepared)."""
    value = rule.expected_value
    # type(value) too: True == 1 == 1.0 as dict keys, but a String rule reads them as 'True' and '1'
    key = (rule.jpath, rule.operator, rule.property_type, type(value), value)
    try:
        hit = _INTERNED.get(key)
    except TypeError:  # an unhashable expected value (a list): compiled on its own
        return _compile_rule(rule)
    if hit is None:
        if len(_INTERNED) >= _CACHE_LIMIT:
            _INTERNED.clear()
        hit = _INTERNED[key] = _compile_rule(rule)
    return hit


def _compile_rule(rule: AutomationRule) -> _Rule:
    path, op_raw, type_raw, expected = rule.jpath, rule.operator, rule.property_type, rule.expected_value
    shown = (
        path if isinstance(path, str) else "?",
        op_raw if isinstance(op_raw, str) else "?",
        type_raw if isinstance(type_raw, str) else "?",
        expected if not isinstance(expected, Unknown) else None,
    )
    for what, value in (("propertyJPath", path), ("operator", op_raw), ("propertyType", type_raw)):
        if isinstance(value, Unknown):
            return _Rule(shown, None, f"the rule's {what} is not known statically")
    if isinstance(expected, Unknown):
        return _Rule(shown, None, "the rule's expectedValue is not known statically")
    for what, value in (("propertyJPath", path), ("operator", op_raw), ("propertyType", type_raw)):
        if not isinstance(value, str):
            return _Rule(shown, False, f"the rule has no {what}")
    assert isinstance(path, str) and isinstance(op_raw, str) and isinstance(type_raw, str)
    op, kind = op_raw.strip().lower(), type_raw.strip().lower()
    if op not in _ALL_OPS:
        return _Rule(
            shown, False, f"operator '{op_raw}' is not one of Defender's nine operators: never matches"
        )
    if kind not in _OPS_BY_TYPE:
        return _Rule(shown, False, f"propertyType '{type_raw}' is not String, Integer, Number or Boolean")
    if op not in _OPS_BY_TYPE[kind]:
        return _Rule(shown, False, f"operator {op_raw} does not apply to a {_TYPE_NAMES[kind]}")
    parsed = _parse_expected(kind, expected)
    if parsed is _MISSING:
        return _Rule(shown, False, f"expectedValue {expected!r} is not a {_TYPE_NAMES[kind]}")
    try:
        jpath = compile_path(path)
    except PathError as exc:
        return _Rule(shown, None, f"path '{path}' is not evaluated: {exc}")
    return _Rule(shown, None, "", jpath, op, kind, parsed)


def _parse_expected(kind: str, expected: Any) -> Any:
    """The expected value as the type reads it, or _MISSING. expectedValue is a string in the API; a
    number or bool a template writes is sent as its text (Json.NET writes ``true`` as ``True``)."""
    if kind == "string":
        if isinstance(expected, str):
            return expected.casefold()
        if isinstance(expected, bool | int | float):
            return _dotnet_text(expected).casefold()
        return _MISSING
    if kind in _NUMERIC:
        number = as_number(expected)
        if number is None or not math.isfinite(number) or (kind == "integer" and number != int(number)):
            return _MISSING
        return number
    value = as_bool(expected)
    return _MISSING if value is None else value


def _dotnet_text(value: Any) -> str:
    """A JSON value as Json.NET's ``ToString()`` writes a scalar (containers as compact JSON)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def _holds(op: str, actual: Any, expected: Any) -> bool:
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


# An outcome is (can be true, can be false, note on why both): the union over plausible readings.
_Outcome = tuple[bool, bool, str]


def _unreadable(op: str) -> tuple[bool, bool]:
    """A value that is not of the rule's type: nothing holds, except that NotEquals may (undocumented)."""
    return (True, True) if op == "notequals" else (False, True)


def _value_outcome(r: _Rule, value: Any) -> tuple[bool, bool, str, bool]:
    """(can be true, can be false, note, readable as the type, converted or not) for one selected value."""
    kind, op = r.kind, r.op
    converted: Any = _MISSING
    if kind == "string":
        if isinstance(value, str):
            ok = _holds(op, value.casefold(), r.expected)
            return ok, not ok, "", True
        if value is not None:
            converted = _dotnet_text(value).casefold()
    elif kind in _NUMERIC:
        number = as_number(value) if isinstance(value, int | float) else None  # None for bool and 10**400
        if number is not None and math.isfinite(number):
            if kind == "number" or number.is_integer():
                ok = _holds(op, number, r.expected)
                return ok, not ok, "", True
            converted = number
        elif isinstance(value, str):
            number = as_number(value)
            if number is not None and math.isfinite(number):
                converted = number
    elif isinstance(value, bool):
        ok = _holds(op, value, r.expected)
        return ok, not ok, "", True
    elif isinstance(value, str):
        flag = as_bool(value)
        if flag is not None:
            converted = flag
    t, f = _unreadable(op)
    if converted is _MISSING:
        note = (
            "" if not t else f"{r.shown[0]} is not a {r.shown[2]}: what NotEquals does then is undocumented"
        )
        return t, f, note, False
    ok = _holds(op, converted, r.expected)
    t, f = t or ok, f or not ok
    note = (
        f"{r.shown[0]} is {value!r}, not a {r.shown[2]}: whether Defender converts it is undocumented"
        if t and f
        else ""
    )
    return t, f, note, True  # readable once converted: a failure is a plain mismatch, not a type error


@dataclass(slots=True)
class _Reading:
    can_true: bool
    can_false: bool
    note: str
    actual: Any
    why_false: str


def _reading(r: _Rule, values: tuple[Any, ...]) -> _Reading:
    path, op_raw, type_raw, expected = r.shown
    if not values:
        t, f = _unreadable(r.op)
        note = f"event has no {path}: what NotEquals does on a missing property is undocumented" if t else ""
        return _Reading(t, f, note, None, f"event has no {path}")
    if len(values) == 1:
        t, f, note, typed = _value_outcome(r, values[0])
        actual = values[0]
        why = (
            f"{path} {op_raw} {expected!r} — event has {actual!r}"
            if typed
            else f"type mismatch: {path} is {actual!r}, not a {type_raw}"
        )
        return _Reading(t, f, note, actual, why)
    outs = [_value_outcome(r, v) for v in values]
    t = any(o[0] for o in outs)
    note = (
        f"{path} selects {len(values)} values and some match; Defender's handling of several values is "
        "undocumented (Json.NET's SelectToken raises on them)"
        if t
        else ""
    )
    return _Reading(
        t, True, note, list(values), f"{path} {op_raw} {expected!r} — none of its {len(values)} values"
    )


def _select(r: _Rule, body: Any, memo: dict[Any, Any] | None) -> Selection | str:
    assert r.jpath is not None
    key = r.jpath.text  # a str: never equal to the int keys of decided rules
    if memo is not None and key in memo:
        cached: Selection | str = memo[key]
        return cached
    try:
        sel: Selection | str = r.jpath.select(body)
    except PathBudgetExceeded as exc:
        sel = f"path '{key}' is not evaluated: {exc}"
    if memo is not None:
        memo[key] = sel
    return sel


def _run_rule(
    r: _Rule, body: Any, memo: dict[Any, Any] | None = None, uncertain: frozenset[str] = frozenset()
) -> RuleResult:
    if memo is not None:
        done: RuleResult | None = memo.get(id(r))
        if done is not None:
            return done  # shared by every rule set of the event that holds this rule: read-only
    result = _decide_rule(r, body, memo, uncertain)
    if memo is not None:
        memo[id(r)] = result
    return result


def _decide_rule(r: _Rule, body: Any, memo: dict[Any, Any] | None, uncertain: frozenset[str]) -> RuleResult:
    path, op_raw, type_raw, expected = r.shown
    if r.jpath is None:
        return RuleResult(path, op_raw, type_raw, expected, None, r.static, r.static_reason)
    head = r.jpath.steps[0]
    if uncertain and head.kind == "name" and any(k in uncertain for k in head.keys):
        why = f"the event was read from its ARM body, which does not tell the trigger's {head.keys[0]}"
        return RuleResult(path, op_raw, type_raw, expected, None, r.static, why)
    sel = _select(r, body, memo)
    if isinstance(sel, str):
        return RuleResult(path, op_raw, type_raw, expected, None, r.static, sel)
    strict, loose = _values_key(sel.values), _values_key(sel.loose)
    cache_key = (strict, loose) if strict is not None and loose is not None else None
    if cache_key is not None:
        hit = r.decided.get(cache_key)
        if hit is not None:
            return hit  # decided for an earlier event with the same values: shared, read-only
    result = RuleResult(path, op_raw, type_raw, expected, None, r.static, r.static_reason)
    _decide_selection(r, sel, result)
    if cache_key is not None:
        if len(r.decided) >= _DECIDED_LIMIT:
            r.decided.clear()
        r.decided[cache_key] = result
    return result


def _decide_selection(r: _Rule, sel: Selection, result: RuleResult) -> None:
    """Fill ``result`` (actual, matched, reason) from what the rule's path selected."""
    path = result.path
    first = _reading(r, sel.values)
    can_true, can_false, note = first.can_true, first.can_false, first.note
    result.actual = first.actual
    why_false = first.why_false
    if sel.loose is not None:
        other = _reading(r, sel.loose)
        if result.actual is None:
            result.actual, why_false = other.actual, other.why_false
        if can_true != other.can_true or can_false != other.can_false:
            note = (
                f"{path} is in the event only in another letter case; whether Defender ignores the case of "
                "property names is undocumented (Json.NET does not)"
            )
        can_true, can_false = can_true or other.can_true, can_false or other.can_false
        note = note or other.note
    if can_true and not can_false:
        result.matched, result.reason = True, ""
    elif can_false and not can_true:
        result.matched, result.reason = False, why_false
    else:
        result.matched, result.reason = None, note or f"{path}: the readings of the rule disagree"


def evaluate_rule(rule: AutomationRule, body: dict[str, Any]) -> RuleResult:
    """One rule against one event body."""
    return _run_rule(_compile_rule(rule), body)


# ---------------------------------------------------------------- scope


def _segments(text: str) -> list[str]:
    return [s for s in normalize(text).split("/") if s]


def _placeholder(segment: str) -> bool:
    return len(segment) > 2 and segment[0] == "{" and segment[-1] == "}"


def _covers(scope: tuple[str, ...], resource: tuple[str, ...]) -> tuple[bool, bool]:
    """(covered, through a placeholder) on split, normalised ids."""
    if len(scope) > len(resource):
        return False, False
    if not any(_placeholder(x) for x in scope):
        return resource[: len(scope)] == scope, False
    assumed = False
    for x, y in zip(scope, resource, strict=False):
        if _placeholder(x):
            assumed = True
        elif x != y:
            return False, False
    return True, assumed


def _assumed_note(scope: str) -> str:
    return f"scope '{scope}' is the deployment's own scope: assumed to be the event's"


def scope_covers(scope: str, resource: str) -> tuple[bool, str | None]:
    """(covered, assumption): a scope covers the resource ids below it; a ``{placeholder}`` segment (the
    deployment's own subscription or resource group) is assumed to be the event's, and that is said."""
    ok, assumed = _covers(tuple(_segments(scope)), tuple(_segments(resource)))
    return ok, (_assumed_note(scope) if ok and assumed else None)


# ---------------------------------------------------------------- automations, compiled once


@dataclass(slots=True)
class _Source:
    rule_sets: list[tuple[int, tuple[_Rule, ...], bool]]  # (token, rules, the rule set itself is unknown)
    unknown: str  # why the rule sets are not known ("" when they are)


@dataclass(slots=True)
class _Compiled:
    automation: Automation
    name: str
    resource: str | None
    path: str | None
    line: int
    not_enabled: str  # "" when isEnabled is true
    scope_shown: tuple[str | None, ...]
    scope_token: int  # equal scopes, equal token: the per-event memo key
    scope_parts: tuple[tuple[str, tuple[str, ...]], ...]
    scope_keys: tuple[
        str, ...
    ]  # scopes without a {placeholder}, as "subscriptions/<id>[/resourcegroups/<rg>]"
    scope_wild: bool  # some scope has a {placeholder} segment: decided the slow way, with its assumption
    scope_notes: list[str]
    sources: dict[str, list[_Source]]
    source_notes: list[str]
    notes: list[str]  # scope_notes + source_notes: the assumptions of every event (copied per result)
    delivers: dict[tuple[int, str], tuple[Links, tuple[bool | None, str, str | None]]] = field(
        default_factory=dict
    )


_CACHE: dict[int, tuple[Automation, _Compiled]] = {}
_TOKENS: dict[tuple[Any, ...], int] = {}


def _token(structure: tuple[Any, ...]) -> int:
    """A small int for a structure (scopes, a rule set of interned rules), so per-event memos hash an int.
    Never cleared: a token must not be given to another structure while a compiled automation holds it."""
    token = _TOKENS.get(structure)
    if token is None:
        token = _TOKENS[structure] = len(_TOKENS)
    return token


_CACHE_LIMIT = 8192


def _compiled(automation: Automation) -> _Compiled:
    """The automation compiled, cached by identity (models are frozen, the cache keeps them alive)."""
    hit = _CACHE.get(id(automation))
    if hit is not None and hit[0] is automation:
        return hit[1]
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    compiled = _compile_automation(automation)
    _CACHE[id(automation)] = (automation, compiled)
    return compiled


def _compile_automation(a: Automation) -> _Compiled:
    if a.is_enabled is True:
        not_enabled = ""
    elif a.is_enabled is False:
        not_enabled = "the automation is disabled"
    elif a.is_enabled is None:
        not_enabled = "assumption: isEnabled is absent and Defender documents no default: not assumed enabled"
    else:
        not_enabled = "isEnabled is not known"
    scopes: list[str | None] = []
    parts: list[tuple[str, tuple[str, ...]]] = []
    notes: list[str] = []
    if a.scopes_unknown is not None:
        notes.append("the automation's scopes are not known statically: not matched")
    for scope in a.scopes:
        text = scope.scope_path
        if isinstance(text, str):
            scopes.append(text)
            parts.append((text, tuple(_segments(text))))
        else:
            scopes.append(None)
            notes.append("a scopePath is not known statically: not matched")
    sources: dict[str, list[_Source]] = {}
    source_notes: list[str] = []
    if a.sources_unknown is not None:
        source_notes.append("the automation's sources are not known statically")
    for src in a.sources:
        if not isinstance(src.event_source, str):
            source_notes.append("an eventSource is not known statically: not matched")
            continue
        rule_sets = []
        for rs in src.rule_sets:
            rules = tuple(_interned_rule(r) for r in rs.rules)
            unresolved = rs.unresolved is not None
            rule_sets.append((_token(("rules", tuple(id(r) for r in rules), unresolved)), rules, unresolved))
        unknown = (
            "the source's rule sets are not known statically" if src.rule_sets_unknown is not None else ""
        )
        sources.setdefault(src.event_source.strip().lower(), []).append(_Source(rule_sets, unknown))
    return _Compiled(
        automation=a,
        name=a.name if isinstance(a.name, str) else "?",
        resource=a.id if isinstance(a.id, str) else None,
        path=a.origin.file,
        line=a.origin.line,
        not_enabled=not_enabled,
        scope_shown=tuple(scopes),
        scope_token=_token(("scope", tuple(parts), tuple(scopes))),
        scope_parts=tuple(parts),
        scope_keys=tuple("/".join(x) for _, x in parts if not any(_placeholder(seg) for seg in x)),
        scope_wild=any(_placeholder(seg) for _, x in parts for seg in x),
        scope_notes=notes,
        sources=sources,
        source_notes=source_notes,
        notes=[*notes, *source_notes],
    )


def _first_reason(rule_sets: list[list[RuleResult]], matched: list[bool | None]) -> str:
    for i, (rules, ok) in enumerate(zip(rule_sets, matched, strict=True), start=1):
        if ok is False:
            bad = next((r for r in rules if r.matched is False), None)
            return f"rule set {i}: {bad.reason if bad else 'not known statically'}"
    for i, (rules, ok) in enumerate(zip(rule_sets, matched, strict=True), start=1):
        if ok is None:
            bad = next((r for r in rules if r.matched is None), None)
            why = bad.reason if bad else "the rule set is not known statically or has no rules (undocumented)"
            return f"rule set {i}: assumption: {why}"
    return "no rule set"


LIVE_TRIGGER_ASSUMPTION = "ARM never returns the callback URL of a deployed automation: assumed to name the Logic App's only trigger"


def _live_only_trigger(automation: Automation, uri: object, la: LogicApp) -> str | None:
    """A deployed automation (read live) has no ``uri``: ARM never returns the callback URL and only
    ``listCallbackUrl`` (a secret, never called) would. Its Logic App's trigger is then inferred only when the
    Logic App has exactly one, and that is said as an assumption (None otherwise: cannot tell)."""
    if automation.origin.file is not None or uri is not None or la.triggers_unknown is not None:
        return None
    return la.triggers[0].name if len(la.triggers) == 1 else None


def _delivers(automation: Automation, links: Links, kind: str) -> tuple[bool | None, str, str | None]:
    """(delivers, why, assumption): the best outcome over the automation's actions, and the assumption it
    rests on (the inferred trigger of a deployed automation), if any."""
    catalog = default_catalog()
    served = {api.lower(): source for api, source in catalog.event_source_for_connector.items()}
    outcomes: list[tuple[bool | None, str, str | None]] = []
    for action in automation.actions:
        if not isinstance(action.action_type, str) or action.action_type.lower() != "logicapp":
            outcomes.append((None, "the action is not a Logic App: not followed", None))
            continue
        la = links.logic_app(action.logic_app_id, automation.origin)
        if not isinstance(la, LogicApp):
            outcomes.append(
                (None, "the target Logic App is not in the scan (or ambiguous): cannot tell", None)
            )
            continue
        if isinstance(la.state, str) and la.state.lower() == "disabled":
            outcomes.append((False, f"Logic App '{la.name}' is Disabled", None))
            continue
        target = parse_callback_target(getattr(action.uri, "target", None))
        assumed: str | None = None
        if target is not None:
            name: str | None = target.trigger_name
        else:
            name = _live_only_trigger(automation, action.uri, la)
            assumed = LIVE_TRIGGER_ASSUMPTION if name is not None else None
        if name is None:
            outcomes.append((None, "the callback URL names no trigger auditor can read", None))
            continue
        trigger = Links.trigger(la, name)
        if trigger is None:
            outcomes.append((False, f"Logic App '{la.name}' has no trigger '{name}'", assumed))
        elif trigger.name.lower() in catalog.legacy_trigger_names:
            outcomes.append((False, f"trigger '{trigger.name}' is the legacy trigger, never called", assumed))
        else:
            # The subscribe path says which events the trigger takes, whatever its connection resolves to.
            api = (
                catalog.connector_for_path.get(trigger.path.lower())
                if isinstance(trigger.path, str)
                else None
            ) or links.trigger_api(la, trigger)
            serves = served.get(api.lower()) if isinstance(api, str) else None
            if serves is not None and serves.lower() != kind.lower():
                outcomes.append(
                    (
                        None,
                        f"trigger '{trigger.name}' is the {api} trigger ({serves}) and gets an event of source {kind} "
                        "it was not built for (AUT203): whether the run succeeds cannot be told offline",
                        assumed,
                    )
                )
            else:
                outcomes.append((True, f"delivers to {la.name}/{trigger.name}", assumed))
    if not outcomes:
        return False, "the automation has no action", None
    for wanted in (True, None, False):
        for outcome in outcomes:
            if outcome[0] is wanted:
                return outcome
    return None, "", None  # unreachable


def _cached_delivers(c: _Compiled, links: Links, kind: str) -> tuple[bool | None, str, str | None]:
    key = (id(links), kind)
    hit = c.delivers.get(key)
    if hit is not None and hit[0] is links:
        return hit[1]
    outcome = _delivers(c.automation, links, kind)
    if len(c.delivers) > 16:
        c.delivers.clear()
    c.delivers[key] = (links, outcome)
    return outcome


@dataclass(slots=True)
class _Prepared:
    event: Event
    kind_key: str
    parts: tuple[str, ...] | None
    memo: dict[Any, Any]  # per event: selections by path text, decided rules by id
    scopes: dict[int, Any]  # per event: verdicts of scopes with a placeholder, by scope token
    prefixes: frozenset[
        str
    ]  # "/"-joined leading segments of the event's resource: what a plain scope must be
    sets: dict[int, Any]  # per event: rule-set verdicts by rule-set token
    not_covered: str  # the reasons that depend on the event only, written once
    no_source: str


def _prepare(event: Event) -> _Prepared:
    parts = tuple(_segments(event.resource)) if event.resource is not None else None
    not_covered = (
        "the event names no resource: scope cannot be matched"
        if event.resource is None
        else f"no scope covers {event.resource}"
    )
    no_source = f"no event source '{event.kind}'"
    prefixes = frozenset("/".join(parts[:k]) for k in range(1, len(parts) + 1)) if parts else frozenset()
    return _Prepared(
        event=event,
        kind_key=event.kind.strip().lower(),
        parts=parts,
        memo={},
        scopes={},
        prefixes=prefixes,
        sets={},
        not_covered=not_covered,
        no_source=no_source,
    )


def _scope_verdict(c: _Compiled, p: _Prepared) -> tuple[bool, list[str]]:
    """(covered, assumption notes) of an automation's scopes for the event. A plain scope covers the event
    when it is one of the event resource's leading segment runs (a set lookup: most pairs of a tenant-sized
    run end here); scopes with a ``{placeholder}`` are decided segment by segment, once per event for
    every automation with the same scopes (the notes are shared: read-only)."""
    prefixes = p.prefixes
    for key in c.scope_keys:
        if key in prefixes:
            return True, _NO_NOTES
    if not c.scope_wild or p.parts is None:
        return False, _NO_NOTES
    hit = p.scopes.get(c.scope_token)
    if hit is not None:
        return hit
    covered, notes = False, []
    for text, parts in c.scope_parts:
        ok, assumed = _covers(parts, p.parts)
        if ok:
            covered = True
            if assumed:
                notes.append(_assumed_note(text))
    verdict = (covered, notes)
    p.scopes[c.scope_token] = verdict
    return verdict


_NO_NOTES: list[str] = []  # shared, never appended to
# The rule sets of a result whose scopes miss the event (most results of a tenant-sized run): shared by all
# of them, as is the automation's own list of notes; results are read, never changed.
_NO_RULE_SETS: list[list[RuleResult]] = []
_NO_VERDICTS: list[bool | None] = []


def _rule_set_verdict(
    token: int, rules: tuple[_Rule, ...], unresolved: bool, p: _Prepared
) -> tuple[list[RuleResult], bool | None]:
    """The rule set's rule results and verdict (AND; None when a rule is an assumption), once per event for
    equal rule sets (compiled rules are interned; the results are shared: read-only)."""
    hit = p.sets.get(token)
    if hit is not None:
        return hit
    memo, body, uncertain = p.memo, p.event.body, p.event.uncertain
    results: list[RuleResult] = []
    verdict: bool | None = None if unresolved or not rules else True
    for r in rules:
        done = memo.get(id(r))
        if done is None:
            done = memo[id(r)] = _decide_rule(r, body, memo, uncertain)
        results.append(done)
        if done.matched is False:
            verdict = False
        elif done.matched is None and verdict is True:
            verdict = None
    p.sets[token] = (results, verdict)
    return results, verdict


def _result(
    c: _Compiled,
    fires: bool,
    delivers: bool | None,
    reason: str | None,
    covered: bool,
    resource: str | None,
    rule_sets: list[list[RuleResult]],
    matched: list[bool | None],
    assumptions: list[str],
) -> AutomationResult:
    return AutomationResult(
        c.name,
        c.resource,
        c.path,
        c.line,
        fires,
        delivers,
        reason,
        c.scope_shown,
        covered,
        resource,
        rule_sets,
        matched,
        assumptions,
    )


def _evaluate(c: _Compiled, p: _Prepared, links: Links) -> AutomationResult:
    covered, scope_notes = _scope_verdict(c, p)
    resource = p.event.resource
    reason = c.not_enabled or ("" if covered else p.not_covered)
    assumptions = [*c.scope_notes, *scope_notes, *c.source_notes] if scope_notes else c.notes.copy()
    sources = c.sources.get(p.kind_key)
    if not sources and not reason:
        reason = p.no_source
    if not covered:  # the fast path of most pairs on a tenant: nothing else to decide
        return AutomationResult(
            c.name,
            c.resource,
            c.path,
            c.line,
            False,
            False,
            reason,
            c.scope_shown,
            covered,
            resource,
            [],
            [],
            assumptions,
        )
    rule_sets: list[list[RuleResult]] = []
    matched: list[bool | None] = []
    # Rules are evaluated for the events that reach them: out of scope, Defender never evaluates them
    # either (and skipping them is most of the speed on a tenant's worth of events). A disabled
    # automation's rules are still shown: whether they would match is what one wants before enabling it.
    if sources:
        matched_any = False
        for source in sources:
            if source.unknown:
                assumptions.append(source.unknown)
                continue
            if not source.rule_sets:
                matched_any = True  # a source without rule sets takes every event of its kind
            for token, rules, unresolved in source.rule_sets:
                results, verdict = _rule_set_verdict(token, rules, unresolved, p)
                rule_sets.append(results)
                matched.append(verdict)
                matched_any = matched_any or verdict is True
        if not matched_any and not reason:
            if not rule_sets:
                reason = "assumption: the source's rule sets are not known statically"
            else:  # the rule sets decided: the reason is written from them when read
                return _result(c, False, False, None, covered, resource, rule_sets, matched, assumptions)
    if reason:
        return _result(c, False, False, reason, covered, resource, rule_sets, matched, assumptions)
    delivers, why, assumed = _cached_delivers(c, links, p.event.kind)
    if assumed is not None:
        assumptions.append(assumed)
    return _result(c, True, delivers, why, covered, resource, rule_sets, matched, assumptions)


_RECENT: dict[int, _Prepared] = {}
_RECENT_LIMIT = 64


def _prepared(event: Event) -> _Prepared:
    """The event prepared, reused while it is one of the last few evaluated (callers that loop automations
    inside events, like ``auditor coverage``, then decide each rule once per event as simulate() does)."""
    hit = _RECENT.get(id(event))
    if hit is not None and hit.event is event:
        return hit
    if len(_RECENT) >= _RECENT_LIMIT:
        _RECENT.clear()
    prepared = _RECENT[id(event)] = _prepare(event)
    return prepared


def evaluate(automation: Automation, event: Event, links: Links) -> AutomationResult:
    """Whether one automation fires for one event, and why (the first reason) when it does not.

    Pure as long as events and automations are not mutated after their first evaluation (both are
    treated as values: compiled automations and prepared events are cached by identity). Results of one
    event may share their ``scope`` dict and RuleResult objects: read them, do not change them."""
    return _evaluate(_compiled(automation), _prepared(event), links)


def _evaluate_all(compiled: list[_Compiled], p: _Prepared, links: Links) -> list[AutomationResult]:
    """One event against every automation. The pairs whose plain scopes miss the event's resource (most of
    them on a tenant) are answered inline, exactly as :func:`_evaluate`'s first return would answer them:
    a million of those is the difference between one second and three."""
    prefixes, resource, not_covered = p.prefixes, p.event.resource, p.not_covered
    row: list[AutomationResult] = []
    append = row.append
    for c in compiled:
        if not c.scope_wild:
            for key in c.scope_keys:
                if key in prefixes:
                    break
            else:
                append(
                    AutomationResult(
                        c.name,
                        c.resource,
                        c.path,
                        c.line,
                        False,
                        False,
                        c.not_enabled or not_covered,
                        c.scope_shown,
                        False,
                        resource,
                        _NO_RULE_SETS,
                        _NO_VERDICTS,
                        c.notes,
                    )
                )
                continue
        append(_evaluate(c, p, links))
    return row


def evaluate_event(automations: Sequence[Automation], event: Event, links: Links) -> list[AutomationResult]:
    """One event against every automation: ``[evaluate(a, event, links) for a in automations]``, with the
    per-event work shared (what ``auditor coverage`` runs per observed event)."""
    if _LAST_LIST and _LAST_LIST[0][0] is automations:
        compiled = _LAST_LIST[0][1]
    else:
        compiled = [_compiled(a) for a in automations]
        _LAST_LIST[:] = [(automations, compiled)]
    return _evaluate_all(compiled, _prepared(event), links)


# The automations of the last evaluate_event call, compiled (strong reference: the identity cannot be reused
# while it is kept; inventory lists are not changed once built).
_LAST_LIST: list[tuple[Sequence[Automation], list[_Compiled]]] = []


def simulate(
    automations: list[Automation], links: Links, events: list[Event]
) -> list[list[AutomationResult]]:
    """Per event, the result of every automation (pure: no I/O)."""
    compiled = [_compiled(a) for a in automations]
    out: list[list[AutomationResult]] = []
    with without_cyclic_gc():
        for event in events:
            prepared = _prepare(event)
            out.append(_evaluate_all(compiled, prepared, links))
    return out


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Results are trees (no reference cycles), so the cyclic collector has nothing to find in them; left
    on, it rescans the growing result list every few hundred allocations and doubles the run time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _enable_without_rescan()


def _enable_without_rescan() -> None:
    """Turn the collector back on without its first collection rescanning everything allocated while it was
    off: those objects all sit in the youngest generation, and the next allocation would walk every one of
    them (half a second for a million results). Freezing and unfreezing moves them to the oldest
    generation, where they wait for the next full collection like any long-lived data. Skipped when the
    process froze objects itself (``gc.unfreeze`` would release them too)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.enable()
        gc.unfreeze()
    else:
        gc.enable()


# ---------------------------------------------------------------- rendering


def to_json(events: list[Event], results: list[list[AutomationResult]]) -> dict[str, Any]:
    """The version-1 JSON document (see README, "Simulate an event")."""
    return {"version": 1, "events": [event_json(e, per) for e, per in zip(events, results, strict=True)]}


def write_json(
    events: list[Event],
    results: list[list[AutomationResult]],
    out: IO[str],
    extra: dict[str, Any] | None = None,
) -> None:
    """:func:`to_json`'s document written event by event (``extra``: more top-level members), so the
    memory of a large run is one event's JSON, not the whole document's (events × automations)."""
    out.write('{\n  "version": 1,\n  "events": [')
    for i, (event, per) in enumerate(zip(events, results, strict=True)):
        text = json.dumps(event_json(event, per), indent=2, default=str).replace("\n", "\n    ")
        out.write(("," if i else "") + "\n    " + text)
    out.write("\n  ]" if events else "]")
    for key, value in (extra or {}).items():
        out.write(
            f",\n  {json.dumps(key)}: " + json.dumps(value, indent=2, default=str).replace("\n", "\n  ")
        )
    out.write("\n}\n")


def event_json(event: Event, per: list[AutomationResult]) -> dict[str, Any]:
    """One event's member of the ``events`` array."""
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
                                "reason": x.reason,
                            }
                            for x in rules
                        ],
                    }
                    for rules, m in zip(r.rule_sets, r.rule_set_matched, strict=True)
                ],
            }
        )
    return {
        "event": event.label,
        "kind": event.kind,
        "resource": event.resource,
        "shape": event.shape,
        "automations": autos,
    }


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
