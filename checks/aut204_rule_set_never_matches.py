"""AUT204: two rules of one rule set contradict each other, so the rule set never matches.

## What it checks
The rules of a rule set are AND-ed. Two rules on the same ``propertyJPath``
(compared case-insensitively) whose operators and expected values cannot both
hold:

- ``Equals A`` and ``Equals B`` with A ≠ B;
- ``Equals A`` and ``NotEquals A``;
- ``Equals A`` and ``Contains`` / ``StartsWith`` / ``EndsWith`` B where A does
  not contain / start with / end with B;
- ``StartsWith A`` and ``StartsWith B`` (or ``EndsWith``) where neither is a
  prefix (suffix) of the other;
- numeric bounds with no number between them (``GreaterThan 5`` and
  ``LesserThan 3``, ``Equals 2`` and ``GreaterThan 5``, and for ``Integer``
  ``GreaterThan 3`` and ``LesserThan 4``).

``String`` values compare case-insensitively (as Defender compares them),
``Integer`` and ``Number`` values numerically. Paths are read as Json.NET JPath
(``auditor/jpath.py``, shared with ``auditor simulate``), so ``Severity``,
``$.Severity`` and ``$['Severity']`` are one property, and so are
``Entities[0].Type`` and ``$.Entities[0]['Type']``. Paths that can select
several values (``[*]``, ``..``, ``[0,1]``) and paths that are not evaluated
(filters, slices) are skipped: each rule may then match a different element.
Values only known at deployment are never compared.

## Why it matters
A rule set that can never match makes its whole branch of the automation dead:
if it is the only rule set, the automation never runs its Logic App and nobody
notices, because nothing fails. It is the typical result of writing two
alternatives (``Severity Equals High`` *or* ``Severity Equals Medium``) as two
rules of one rule set instead of two rule sets.

## Example
```json
"ruleSets": [{"rules": [
  {"propertyJPath": "Severity", "propertyType": "String", "expectedValue": "High", "operator": "Equals"},
  {"propertyJPath": "Severity", "propertyType": "String", "expectedValue": "Medium", "operator": "Equals"}
]}]
```

## Use instead
One rule set per alternative (rule sets are OR-ed):
```json
"ruleSets": [
  {"rules": [{"propertyJPath": "Severity", "propertyType": "String", "expectedValue": "High", "operator": "Equals"}]},
  {"rules": [{"propertyJPath": "Severity", "propertyType": "String", "expectedValue": "Medium", "operator": "Equals"}]}
]
```

## References
- https://learn.microsoft.com/rest/api/defenderforcloud/automations/create-or-update
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity
from auditor.records import record

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import AutomationRule, Inventory

RULE = Rule(
    id="AUT204",
    name="rule-set-never-matches",
    severity=Severity.HIGH,
    title="Automation rule set contains contradicting rules and never matches",
    fires_when="rules of one rule set (AND) contradict each other",
    rationale=(
        "Rules of a rule set are AND-ed: two rules that cannot both hold make the rule set dead, and when "
        "it is the only one the automation never runs its Logic App."
    ),
    remediation=(
        "Put alternatives in separate rule sets (rule sets are OR-ed), or fix the operator or expected value."
    ),
)

_NUMERIC = ("integer", "number")


@record()
class _Cond:
    """A fully known rule, normalised."""

    rule: AutomationRule
    jpath: str
    kind: str  # "string" | "integer" | "number" | "boolean"
    op: str  # lower-case operator
    text: str  # lower-cased (String/Boolean) expected value
    number: float | None  # numeric expected value (Integer/Number)
    quote: str  # the rule as written, for messages


def _quote(rule: AutomationRule) -> str:
    return f"{rule.jpath} {rule.operator} '{rule.expected_value}'"


def _normalise(rule: AutomationRule, ctx: CheckContext) -> _Cond | None:
    """The rule as a comparable condition; None when it cannot be compared (reported if unknown)."""
    from auditor.jpath import canonical
    from auditor.rule_values import as_number
    from auditor.unknown import Unknown

    for field, what in (
        (rule.jpath, "the rule's propertyJPath"),
        (rule.operator, "the rule's operator"),
        (rule.expected_value, "the rule's expectedValue"),
        (rule.property_type, "the rule's propertyType"),
    ):
        if isinstance(field, Unknown):
            ctx.unresolved(field, rule.origin, what)
            return None
    jpath, op, value, ptype = rule.jpath, rule.operator, rule.expected_value, rule.property_type
    if not isinstance(jpath, str) or not isinstance(op, str) or not jpath.strip():
        return None
    path = canonical(jpath)
    if path is None:  # several values, or not a path Defender's JPath reads the same way
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    kind = ptype.strip().lower() if isinstance(ptype, str) else "string"
    text = str(value).strip().lower() if kind in ("string", "boolean") else str(value).strip()
    if kind == "string" and not isinstance(value, str):
        text = str(value).lower()
    number: float | None = None
    if kind in _NUMERIC:
        number = as_number(value)
        if number is None or not math.isfinite(number):
            return None
    elif kind not in ("string", "boolean"):
        return None
    return _Cond(rule, path.lower(), kind, op.strip().lower(), text, number, _quote(rule))


def _interval(c: _Cond) -> tuple[float, bool, float, bool] | None:
    """(low, low inclusive, high, high inclusive) a numeric condition allows; None for NotEquals & co."""
    assert c.number is not None
    n = c.number
    inf = math.inf
    if c.kind == "integer":  # integer properties: move strict bounds to the next whole number
        if c.op == "equals" and n != int(n):
            return None  # a fractional Integer is a problem of its own, not of the pair
        bounds = {
            "equals": (n, True, n, True),
            "greaterthan": (math.floor(n) + 1, True, inf, False),
            "greaterthanorequalto": (math.ceil(n), True, inf, False),
            "lesserthan": (-inf, False, math.ceil(n) - 1, True),
            "lesserthanorequalto": (-inf, False, math.floor(n), True),
        }
    else:
        bounds = {
            "equals": (n, True, n, True),
            "greaterthan": (n, False, inf, False),
            "greaterthanorequalto": (n, True, inf, False),
            "lesserthan": (-inf, False, n, False),
            "lesserthanorequalto": (-inf, False, n, True),
        }
    return bounds.get(c.op)


def _numeric_conflict(a: _Cond, b: _Cond) -> bool:
    assert a.number is not None and b.number is not None
    for x, y in ((a, b), (b, a)):
        if x.op == "equals" and y.op == "notequals" and x.number == y.number:
            return True
    ia, ib = _interval(a), _interval(b)
    if ia is None or ib is None:
        return False
    low, low_in = max((ia[0], ia[1]), (ib[0], ib[1]), key=lambda v: (v[0], not v[1]))
    high, high_in = min((ia[2], ia[3]), (ib[2], ib[3]), key=lambda v: (v[0], v[1]))
    return low > high or (low == high and not (low_in and high_in))


def _text_conflict(a: _Cond, b: _Cond) -> bool:
    for x, y in ((a, b), (b, a)):
        if x.op != "equals":
            continue
        if y.op == "equals" and x.text != y.text:
            return True
        if y.op == "notequals" and x.text == y.text:
            return True
        if y.op == "contains" and y.text not in x.text:
            return True
        if y.op == "startswith" and not x.text.startswith(y.text):
            return True
        if y.op == "endswith" and not x.text.endswith(y.text):
            return True
    if a.op == b.op == "startswith":
        return not (a.text.startswith(b.text) or b.text.startswith(a.text))
    if a.op == b.op == "endswith":
        return not (a.text.endswith(b.text) or b.text.endswith(a.text))
    return False


def _conflict(a: _Cond, b: _Cond) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind in _NUMERIC:
        return _numeric_conflict(a, b)
    if a.kind == "boolean":
        return a.op in ("equals", "notequals") and b.op in ("equals", "notequals") and _text_conflict(a, b)
    return _text_conflict(a, b)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Pairs of rules in one rule set that cannot both hold."""
    from auditor.checks._util import rule_sets

    for _source, rule_set in rule_sets(inventory, ctx):
        if rule_set.unresolved is not None:  # the set is an AND: one unknown rule hides its outcome
            continue
        seen: list[_Cond] = []
        for rule in rule_set.rules:
            cond = _normalise(rule, ctx)
            if cond is None:
                continue
            for earlier in seen:
                if earlier.jpath == cond.jpath and _conflict(earlier, cond):
                    advice = (
                        "put alternatives in separate rule sets (rule sets are OR-ed)"
                        if earlier.op == cond.op == "equals"
                        else "fix the operator or the expected value"
                    )
                    yield RULE.finding(
                        f'rule "{cond.quote}" can never hold together with rule "{earlier.quote}" of '
                        "the same rule set (rules of a rule set are AND-ed), so this rule set never "
                        f"matches; {advice}",
                        at=rule.origin,
                        related=(earlier.rule.origin,),
                    )
                    break
            seen.append(cond)
