"""AUT206: an automation rule that can never work as written.

## What it checks
Each rule of an automation (``sources[].ruleSets[].rules[]``):

* ``operator`` is one of ``Equals``, ``NotEquals``, ``GreaterThan``,
  ``GreaterThanOrEqualTo``, ``LesserThan``, ``LesserThanOrEqualTo``,
  ``Contains``, ``StartsWith``, ``EndsWith`` (case-insensitive);
* ``propertyType`` is one of ``String``, ``Integer``, ``Number``, ``Boolean``;
* the operator suits the type: the ordering operators compare numbers only
  (not ``String`` or ``Boolean``), ``Contains`` / ``StartsWith`` / ``EndsWith``
  compare text only (not ``Integer`` or ``Number``);
* ``expectedValue`` parses as the type (``Integer``: a whole number,
  ``Number``: a decimal number, ``Boolean``: ``true`` or ``false``);
* the first segment of ``propertyJPath`` (``properties`` in
  ``properties.status.code``) is a field of the event the source delivers:
  the flat alert document for ``Alerts`` (``Severity``, ``AlertType``,
  ``AlertDisplayName``, …), the ARM shape (``id``, ``name``, ``type``,
  ``properties``) for ``Assessments``, ``SubAssessments``, secure scores and
  ``RegulatoryComplianceAssessment``. Event sources without a known payload
  (snapshots, attack paths) and JSONPath-style paths starting with ``$`` are
  not checked.

Each problem is one finding at the rule. Values only known at deployment are
reported as unresolved.

## Why it matters
Workflow automation evaluates rules when an event arrives, not when the
automation is deployed: a typo in the operator, a number compared with
``Contains``, ``"expectedValue": "high"`` on an ``Integer`` or a path into a
field the event does not have deploys cleanly and then never matches (or the
whole rule set is skipped). The Logic App is never started and nothing reports
an error.

## Example
```json
{"propertyJPath": "AlertSeverity", "propertyType": "String",
 "expectedValue": "High", "operator": "Equal"}
```
``Equal`` is not an operator, and the alert event has no ``AlertSeverity``
field (it is ``Severity``).

## Use instead
```json
{"propertyJPath": "Severity", "propertyType": "String",
 "expectedValue": "High", "operator": "Equals"}
```

## References
- https://learn.microsoft.com/rest/api/defenderforcloud/automations/create-or-update
- https://learn.microsoft.com/azure/defender-for-cloud/workflow-automation
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.checks._util import edit_distance
from auditor.findings import Finding, Rule, Severity
from auditor.records import record
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.catalog import Catalog
    from auditor.checking import CheckContext
    from auditor.model import AutomationRule, Inventory

RULE = Rule(
    id="AUT206",
    name="invalid-rule",
    severity=Severity.MEDIUM,
    title="Automation rule has an invalid operator, type, value or path",
    fires_when="unknown operator or property type, a value not of that type, a JPath not in the event schema",
    rationale=(
        "Rules are evaluated when events arrive, not at deployment: an unknown operator or type, a value "
        "that does not parse, or a path the event does not have deploys fine and then never matches."
    ),
    remediation=(
        "Use a documented operator and propertyType, an expectedValue of that type, and a propertyJPath "
        "into the event the source delivers (e.g. 'Severity' for Alerts, 'properties.status.code' for Assessments)."
    ),
)

# First JPath segments the bundled payload lists miss, with where each one is documented. Keys are the
# event sources as the catalog spells them.
EXTRA_FIRST_SEGMENTS: dict[str, tuple[str, ...]] = {
    # 'ReportedSeverity' is required by the MDC repo's SecurityAlert.schema.json (event-sources.json
    # payloadRequiredPerSchema) but missing from its top-level property list.
    "Alerts": ("ReportedSeverity",),
    # 'AssessmentEventDataEnrichment' (Action, ApiVersion) is part of the recommendation event per the MDC
    # repo's Recommendation.schema.json (event-sources.json payloadShape), not listed as a path.
    "Assessments": ("AssessmentEventDataEnrichment",),
}


@record()
class Payload:
    """What the bundled data knows about one event source's payload."""

    event_source: str
    fields: frozenset[str]  # lower-case JPaths
    spellings: dict[str, str]  # lower-case first segment -> spelling for messages

    @property
    def first_segments(self) -> frozenset[str]:
        return frozenset(self.spellings)


_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Operator, type, value and path problems of every rule."""
    payloads: dict[str, Payload | None] = {}  # one per event source: building one reads the whole catalog
    from auditor.checks._util import rule_sets

    for source, rule_set in rule_sets(inventory, ctx):
        known = _cached_payload(payloads, ctx.catalog, source.event_source)
        for rule in rule_set.rules:
            yield from _check_rule(rule, ctx)
            yield from _check_jpath(rule, source.event_source, known, ctx)


def _check_rule(rule: AutomationRule, ctx: CheckContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    operator = _known(rule.operator, rule, "the rule's operator", ctx)
    ptype = _known(rule.property_type, rule, "the rule's propertyType", ctx)
    if rule.operator is None:
        yield RULE.finding("the rule has no operator", at=rule.origin, key="operator")
    elif operator is not None and operator.strip().lower() not in catalog.operators:
        yield RULE.finding(
            f"operator '{operator}' is not an automation operator; use one of {', '.join(catalog.operators.values())}",
            at=rule.origin,
            key="operator",
        )
        operator = None
    if rule.property_type is None:
        yield RULE.finding("the rule has no propertyType", at=rule.origin, key="propertyType")
    elif ptype is not None and ptype.strip().lower() not in catalog.property_types:
        yield RULE.finding(
            f"propertyType '{ptype}' is not a property type; use one of {', '.join(catalog.property_types.values())}",
            at=rule.origin,
            key="propertyType",
        )
        ptype = None
    if ptype is None:
        return
    canonical_type = catalog.property_types[ptype.strip().lower()]
    if operator is not None:
        op = operator.strip().lower()
        canonical_op = catalog.operators[op]
        if op in catalog.decimal_only_operators and canonical_type in ("String", "Boolean"):
            yield RULE.finding(
                f"operator '{canonical_op}' only compares numbers, but propertyType is '{canonical_type}'",
                at=rule.origin,
                key="combination",
            )
        elif op in catalog.non_decimal_only_operators and canonical_type in ("Integer", "Number"):
            yield RULE.finding(
                f"operator '{canonical_op}' only compares text, but propertyType is '{canonical_type}'",
                at=rule.origin,
                key="combination",
            )
    value = rule.expected_value
    if canonical_type == "String":
        return  # any text will do
    if isinstance(value, Unknown):
        ctx.unresolved(value, rule.origin, "the rule's expectedValue")
        return
    if value is None:
        yield RULE.finding(
            f"propertyType is '{canonical_type}' but the rule has no expectedValue",
            at=rule.origin,
            key="expectedValue",
        )
    elif not _parses(value, canonical_type):
        yield RULE.finding(
            f"propertyType is '{canonical_type}' but expectedValue {_show(value)} is not {_A_TYPE[canonical_type]}",
            at=rule.origin,
            key="expectedValue",
        )


_A_TYPE = {"Integer": "a whole number", "Number": "a number", "Boolean": "true or false"}


def _parses(value: Any, ptype: str) -> bool:
    if ptype == "Boolean":
        return isinstance(value, bool) or (
            isinstance(value, str) and value.strip().lower() in ("true", "false")
        )
    if isinstance(value, bool):
        return False
    if ptype == "Integer":
        return isinstance(value, int) or (isinstance(value, str) and bool(_INTEGER.match(value)))
    if ptype == "Number":
        return isinstance(value, int | float) or (isinstance(value, str) and bool(_NUMBER.match(value)))
    return True


def _show(value: Any, limit: int = 80) -> str:
    """The expectedValue for a message: quoted text, else JSON-ish ``repr``, cut at ``limit`` characters.

    Arrays and objects are shown only by kind and size: their ``repr`` could be megabytes long.
    """
    if isinstance(value, list | dict):
        kind = "an array" if isinstance(value, list) else "an object"
        return f"({kind} of {len(value)} element{'s' if len(value) != 1 else ''})"
    shown = f"'{value}'" if isinstance(value, str) else repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _known(value: Any, rule: AutomationRule, what: str, ctx: CheckContext) -> str | None:
    """The value when it is a known string; Unknowns are recorded, other values give None."""
    if isinstance(value, Unknown):
        ctx.unresolved(value, rule.origin, what)
        return None
    return value if isinstance(value, str) else None


def _cached_payload(cache: dict[str, Payload | None], catalog: Catalog, event_source: Any) -> Payload | None:
    if not isinstance(event_source, str):
        return None
    key = event_source.strip().lower()
    if key not in cache:
        cache[key] = payload(catalog, event_source)
    return cache[key]


def payload(catalog: Catalog, event_source: Any) -> Payload | None:
    """The payload description of ``event_source`` (case-insensitive), None when the data has no field list."""
    if not isinstance(event_source, str):
        return None
    lowered = event_source.strip().lower()
    for name, spec in catalog.event_source_data.items():
        if name.lower() != lowered:
            continue
        fields = catalog.payload_fields(name)
        if fields is None or not isinstance(spec, dict):
            return None
        spellings: dict[str, str] = {}
        written: list[str] = [str(v) for value in spec.values() if isinstance(value, list) for v in value]
        written += [str(c.get("propertyJPath", "")) for c in spec.get("jpathConventions", [])]
        written += EXTRA_FIRST_SEGMENTS.get(name, ())
        for path in written:  # the spelling the data uses, for messages
            first = _first_segment(path)
            spellings.setdefault(first.lower(), first)
        known = {_first_segment(f).lower() for f in fields} | {
            e.lower() for e in EXTRA_FIRST_SEGMENTS.get(name, ())
        }
        spellings = {k: spellings.get(k, k) for k in sorted(known) if k}
        return Payload(name, fields, spellings)
    return None


def _first_segment(jpath: str) -> str:
    """``properties.status.code`` → ``properties``; ``Entities[0].Type`` → ``Entities`` (case kept)."""
    return re.sub(r"\[.*?\]", "", jpath.strip().split(".", 1)[0]).strip()


def _check_jpath(
    rule: AutomationRule, event_source: Any, known: Payload | None, ctx: CheckContext
) -> Iterator[Finding]:
    if known is None:
        if isinstance(event_source, Unknown):
            ctx.unresolved(event_source, rule.origin, "the source's eventSource (to check propertyJPath)")
        return
    jpath = rule.jpath
    if isinstance(jpath, Unknown):
        ctx.unresolved(jpath, rule.origin, "the rule's propertyJPath")
        return
    if jpath is None:
        yield RULE.finding("the rule has no propertyJPath", at=rule.origin, key="propertyJPath")
        return
    if not isinstance(jpath, str) or jpath.strip().startswith("$"):
        return
    first = _first_segment(jpath).lower()
    if first in known.first_segments:
        return
    top = sorted((known.spellings[s] for s in known.first_segments if s != "$"), key=str.lower)
    shown = f"'{jpath}'" if jpath.strip() else "an empty path"
    yield RULE.finding(
        f"propertyJPath {shown} does not start with a field of the {known.event_source} event, so the rule "
        f"never matches (fields: {', '.join(top)}){_suggestion(jpath, first, known)}",
        at=rule.origin,
        key="propertyJPath",
    )


def _suggestion(jpath: str, first: str, known: Payload) -> str:
    """``; did you mean '…'?`` for a missing ``properties.`` prefix or a near-miss of a field name."""
    prefixed = f"properties.{jpath.strip()}"
    if prefixed.lower() in known.fields:
        return f"; did you mean '{prefixed}'?"
    close = sorted(
        (edit_distance(first, s, limit=2), known.spellings[s])
        for s in known.first_segments
        if first and s != "$"
    )
    if close and close[0][0] <= 2:
        return f"; did you mean '{close[0][1]}'?"
    return ""
