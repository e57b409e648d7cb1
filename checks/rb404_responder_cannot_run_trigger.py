"""RB404: a responder cannot run the Logic App's Defender trigger.

## What it checks
For every trigger that starts a workflow automation (a trigger on a Defender
connector, or the trigger an automation's ``listCallbackUrl`` names) and every
declared responder (``--responder``, repeatable), whether the access snapshot
(``--access``) grants ``Microsoft.Logic/workflows/triggers/run/action`` on the
trigger (a grant on the Logic App, its resource group or above covers it). The
finding names the missing action and the smallest built-in role that has it.

## Why it matters
Responders start the playbook by hand from an alert or a recommendation
("Trigger logic app" in Defender for Cloud) when the automation did not, or to
re-run it. The documentation says Logic App Operator "can only run existing"
Logic Apps, but that role's actions are read, enable and disable: it does not
include ``triggers/run/action``, so a responder who was given exactly what the
documentation names gets ``AuthorizationFailed`` in the middle of an incident.

## Example
A responder who holds Logic App Operator on the resource group:
```text
RB404 [medium] responder 33333333-… cannot run trigger
'When_an_Azure_Security_Center_Alert_is_created_or_triggered' of Logic App 'la-soc-notify': missing
Microsoft.Logic/workflows/triggers/run/action at …; the smallest built-in role that has it is
'Logic App Contributor'
```

## Use instead
Assign Logic App Contributor on the Logic App, or a custom role with
``Microsoft.Logic/workflows/read`` and ``Microsoft.Logic/workflows/triggers/run/action``
if responders must not edit the workflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB404",
    name="responder-cannot-run-trigger",
    severity=Severity.MEDIUM,
    title="Responder cannot run the Logic App's trigger",
    fires_when=(
        "a responder lacks `Microsoft.Logic/workflows/triggers/run/action` on the Defender trigger (Logic"
        " App Operator does not have it)"
    ),
    rationale=(
        "Responders re-run or manually start playbooks from alerts; without triggers/run/action (which Logic "
        "App Operator, the role the documentation names, lacks) they fail mid-incident."
    ),
    remediation=(
        "Assign Logic App Contributor on the Logic App, or a custom role with workflows/read and "
        "workflows/triggers/run/action."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """The responders' triggers/run decision for every trigger that starts a workflow automation."""
    from auditor.checks._access import decide, outcome, responder_steps, why_denied

    for step in responder_steps(inventory, ctx):
        decision = decide(ctx, step)
        if decision is None or outcome(decision) != "missing":
            continue
        yield RULE.finding(
            f"{step.who} cannot run {step.subject}: missing {step.action} at {decision.scope}: "
            f"{why_denied(decision)}",
            at=step.at,
            key=step.principal,
        )
