"""AUT205: a rule filters on a deprecated recommendation or alert type.

## What it checks
Each rule of an automation (``sources[].ruleSets[].rules[]``):

* an ``expectedValue`` that contains the assessment key (GUID) of a
  recommendation Defender for Cloud has deprecated or replaced, whatever the
  ``propertyJPath`` (usually ``name`` or ``id`` with ``Contains``);
* a ``propertyJPath`` of ``AlertType`` whose ``expectedValue`` is (case-
  insensitively) an alert type on Microsoft's list of deprecated alerts (with
  ``Contains`` too: the value must be the whole deprecated type);
* in a live scan (``auditor scan --live``, or exported
  ``Microsoft.Security/assessmentMetadata`` bodies), an assessment key whose
  metadata announces a ``plannedDeprecationDate``, when the bundled list does
  not know it yet.

Rules that *exclude* the item (``NotEquals``) are not reported.

## Why it matters
Deprecated recommendations stop being assessed and deprecated alerts stop being
raised: a rule that only matches them never matches again. The automation looks
fine, the Logic App is never started, and nobody is notified about the
replacement recommendation (for example the agentless endpoint-protection or
Azure Update Manager recommendations that replaced the MMA-based ones).

## Example
```json
{"propertyJPath": "name", "propertyType": "String", "operator": "Contains",
 "expectedValue": "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27"}
```
"System updates should be installed on your machines" was deprecated with the
Log Analytics (MMA) agent in August 2024.

## Use instead
Filter on the replacement recommendation's assessment key (here
``e1145ab1-eb4f-43d8-911b-36ddf771d13f``, powered by Azure Update Manager) or on
the current alert type; remove the rule when there is no replacement.

## References
- https://learn.microsoft.com/azure/defender-for-cloud/recommendations-reference-deprecated
- https://learn.microsoft.com/azure/defender-for-cloud/deprecated-alerts
- https://learn.microsoft.com/azure/defender-for-cloud/prepare-deprecation-log-analytics-mma-agent
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor import lazyre
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import AssessmentMetadata, AutomationRule, Inventory

RULE = Rule(
    id="AUT205",
    name="deprecated-recommendation",
    severity=Severity.MEDIUM,
    title="Automation rule filters on a deprecated recommendation or alert",
    fires_when="a rule filters on a deprecated or replaced recommendation or alert type",
    rationale=(
        "Deprecated recommendations are no longer assessed and deprecated alerts no longer raised, so a "
        "rule that matches only them never matches again and the automation silently stops firing."
    ),
    remediation="Filter on the replacement recommendation or alert type, or drop the rule when there is none.",
)

_GUID = lazyre.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_EXCLUDING_OPERATORS = frozenset({"notequals"})


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Rules whose expected value names a deprecated recommendation or alert type."""
    planned = {md.key: md for md in inventory.assessment_metadata if md.planned_deprecation_date}
    from auditor.checks._util import rule_sets

    for _source, rule_set in rule_sets(inventory, ctx):
        for rule in rule_set.rules:
            yield from _check_rule(rule, ctx, planned)


def _check_rule(
    rule: AutomationRule, ctx: CheckContext, planned: dict[str, AssessmentMetadata]
) -> Iterator[Finding]:
    catalog = ctx.catalog
    value = rule.expected_value
    if isinstance(value, Unknown):
        ctx.unresolved(value, rule.origin, "the rule's expectedValue (deprecated recommendations and alerts)")
        return
    if not isinstance(value, str):
        return
    messages: list[str] = []
    for key in dict.fromkeys(m.group(0).lower() for m in _GUID.finditer(value)):
        item = catalog.deprecated_recommendations.get(key)
        if item is not None:
            name = f"'{item.display_name}' " if item.display_name else ""
            messages.append(
                f"the rule matches recommendation {name}(assessment key {key}), which is {_describe(item.detail)}"
            )
            continue
        metadata = planned.get(key)
        if metadata is not None:
            name = f"'{metadata.display_name}' " if metadata.display_name else ""
            messages.append(
                f"the rule matches recommendation {name}(assessment key {key}), whose assessment metadata "
                f"plans its deprecation for {metadata.planned_deprecation_date}"
            )
    alert = catalog.deprecated_alert_types.get(value.strip().lower())
    if alert is not None:
        if isinstance(rule.jpath, Unknown):
            ctx.unresolved(rule.jpath, rule.origin, "the rule's propertyJPath (deprecated alert types)")
        elif isinstance(rule.jpath, str) and rule.jpath.strip().lower() == "alerttype":
            name = f" ('{alert.display_name}')" if alert.display_name else ""
            messages.append(
                f"the rule matches alert type '{alert.key}'{name}, a deprecated alert that Defender for Cloud no "
                f"longer raises ({alert.detail})"
            )
    if not messages:
        return
    if isinstance(rule.operator, Unknown):
        ctx.unresolved(
            rule.operator, rule.origin, "the rule's operator (deprecated recommendations and alerts)"
        )
        return
    if isinstance(rule.operator, str) and rule.operator.strip().lower() in _EXCLUDING_OPERATORS:
        return  # excluding a deprecated item is harmless
    for message in messages:
        yield RULE.finding(message, at=rule.origin)


def _describe(detail: str) -> str:
    """``deprecated <when> with the <agent> agent; <replacement>`` → words with the replacement named as such."""
    when, sep, replacement = detail.partition("; ")
    if not sep:
        return f"deprecated ({detail})" if detail else "deprecated"
    if replacement.strip().lower().startswith("no replacement"):
        return f"{when}; there is no replacement"
    return f"{when}; replaced by: {replacement}"
