"""SUP001: a suppression matches no finding.

## What it checks
Inline suppressions (``"metadata": {"auditor": {"ignore": [...]}}``) and configured
suppressions (``[[tool.auditor.suppressions]]``) for rules that ran, which matched no finding.

## Why it matters
A suppression that no longer matches anything hides nothing today but would silently hide a future finding of that rule at that place.

## Example
```json
"metadata": {"auditor": {"ignore": ["LA106"], "reason": "authorised by the SOC"}}
```
on a resource that has no Office 365 connection any more.

## Use instead
Remove the suppression (inline metadata.auditor.ignore entry or [[tool.auditor.suppressions]] entry).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Phase, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SUP001",
    name="unused-suppression",
    severity=Severity.LOW,
    title="A suppression matches no finding",
    fires_when="an inline or configured suppression matches no finding",
    rationale="A suppression that no longer matches anything hides nothing today but would silently hide a future finding of that rule at that place.",
    remediation="Remove the suppression (inline metadata.auditor.ignore entry or [[tool.auditor.suppressions]] entry).",
    phase=Phase.AFTER_SUPPRESSIONS,
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Reports what the engine found when it applied suppressions (it runs after them)."""
    if ctx.suppression_outcome is None:
        return
    for location, message in ctx.suppression_outcome.unused:
        yield RULE.finding(message, at=location)
