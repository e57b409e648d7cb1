"""SUP003: a baseline entry no longer matches a finding.

## What it checks
Entries of the ``--baseline`` file whose finding no longer occurs.

## Why it matters
The finding was fixed (or moved to another resource); keeping the entry would hide a reintroduced problem.

## Example
A baseline created before LA103 was fixed in ``playbooks/notify.json``.

## Use instead
Recreate the baseline with 'auditor baseline create'.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Phase, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SUP003",
    name="stale-baseline-entry",
    severity=Severity.INFO,
    title="A baseline entry no longer matches a finding",
    fires_when="a baseline entry's finding no longer occurs",
    rationale="The finding was fixed (or moved to another resource); keeping the entry would hide a reintroduced problem.",
    remediation="Recreate the baseline with 'auditor baseline create'.",
    phase=Phase.AFTER_SUPPRESSIONS,
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Reports what the engine found when it applied suppressions (it runs after them)."""
    if ctx.suppression_outcome is None:
        return
    for location, message in ctx.suppression_outcome.stale:
        yield RULE.finding(message, at=location)
