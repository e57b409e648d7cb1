"""RB408: a role prerequisite is held only through a PIM-eligible assignment.

## What it checks
Every step the declared principals must perform (RB401 to RB404), decided
against the access snapshot (``--access``, whose
``roleEligibilityScheduleInstances`` list the PIM-eligible assignments). When
no active assignment grants the action but an eligible one would, the step's
own rule stays silent (the permission exists, one activation away) and this
rule reports it instead, at *info* severity.

## Why it matters
An eligible assignment grants nothing until it is activated. A person who
deploys or runs a playbook during an incident must activate first (and the
activation may need approval); a pipeline's service principal or a managed
identity cannot activate at all, so a deployment that works from a laptop after
activation fails in CI.

## Example
```text
RB408 [info] deployer 11111111-… holds Microsoft.Security/automations/write on automation
'route-alerts-to-soc' only through PIM-eligible 'Security Admin' at /subscriptions/8f1c…: activate
it before deploying
```

## Use instead
Activate the eligible role before deploying or responding, or, for a pipeline
identity, give it an active assignment of the smallest role that grants the step.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB408",
    name="eligible-only",
    severity=Severity.INFO,
    title="Prerequisite held only through a PIM-eligible assignment",
    fires_when="a prerequisite is held only through a PIM-eligible assignment",
    rationale=(
        "An eligible assignment grants nothing until activated; pipelines and managed identities cannot "
        "activate, and people must remember to (with approval) mid-incident."
    ),
    remediation=(
        "Activate the role before the step, or give pipeline identities an active assignment of the smallest "
        "role that grants it."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Steps of the declared principals that only an eligible assignment would allow."""
    from auditor.checks._access import all_steps, decide, grant_text, outcome

    for step in all_steps(inventory, ctx):
        decision = decide(ctx, step, record=False)  # the step's own rule records what is undecidable
        if decision is None or outcome(decision) != "eligible":
            continue
        yield RULE.finding(
            f"{step.who} holds {step.action} on {step.subject} only through PIM-eligible "
            f"{grant_text(decision.eligible)}: activate it first (a pipeline or managed identity cannot)",
            at=step.at,
            key=f"{step.principal}:{step.action}:{step.subject}",
        )
