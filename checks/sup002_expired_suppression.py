"""SUP002: a configured suppression has expired.

## What it checks
Configured suppressions whose ``expires`` date is in the past. An expired suppression no
longer suppresses anything: the finding it covered is reported again.

## Why it matters
Suppressions with an expiry date are promises to fix something; once expired the finding is reported again and so is the broken promise.

## Example
```toml
[[tool.auditor.suppressions]]
rule = "LA106"
reason = "authorised during onboarding"
expires = 2025-01-31
```

## Use instead
Fix the finding, or renew the suppression with a new expires date and a reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Phase, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SUP002",
    name="expired-suppression",
    severity=Severity.MEDIUM,
    title="A configured suppression has expired",
    fires_when="a configured suppression is past its `expires` date (it no longer suppresses)",
    rationale="Suppressions with an expiry date are promises to fix something; once expired the finding is reported again and so is the broken promise.",
    remediation="Fix the finding, or renew the suppression with a new expires date and a reason.",
    phase=Phase.AFTER_SUPPRESSIONS,
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Reports what the engine found when it applied suppressions (it runs after them)."""
    if ctx.suppression_outcome is None:
        return
    for location, message in ctx.suppression_outcome.expired:
        yield RULE.finding(message, at=location)
