"""RB402: the deployer cannot list the target trigger's callback URL.

## What it checks
Automations whose LogicApp action takes its ``uri`` from
``listCallbackUrl(<trigger id>, …)``: the deployment evaluates that function
with the deployer's identity, which needs
``Microsoft.Logic/workflows/triggers/listCallbackUrl/action`` on the trigger
(a grant on the Logic App, its resource group or above covers it). The rule
asks the evaluator whether the declared deployer (``--deployer``) holds it in
the access snapshot (``--access``). Automations deployed by a DINE policy are
RB406's; a literal ``uri`` needs no listing (but see SEC502).

## Why it matters
This is the classic "Security Admin only" failure: the Defender for Cloud
documentation asks the person who creates the automation for Security Admin,
which grants ``Microsoft.Security/*`` but nothing on ``Microsoft.Logic``, so
``listCallbackUrl()`` fails with ``AuthorizationFailed`` and the whole
deployment fails. Logic App Operator does not grant it either (it reads,
enables and disables).

## Example
```json
"uri": "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'la-soc-notify', 'When_an_Azure_Security_Center_Alert_is_created_or_triggered'), '2019-05-01').value]"
```
with a deployer who holds only Security Admin on the resource group:
```text
RB402 [high] deployer 11111111-… cannot resolve the callback URL of trigger
'When_an_Azure_Security_Center_Alert_is_created_or_triggered' of Logic App 'la-soc-notify' …
```

## Use instead
Give the deployer an action that lists callback URLs on the Logic App (or its
resource group): the smallest built-in role is Microsoft Sentinel Playbook
Operator (it holds ``…/triggers/listCallbackUrl/action`` and
``Microsoft.Logic/workflows/read`` only); Logic App Contributor also grants it,
with everything else needed to edit the Logic App.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB402",
    name="deployer-cannot-resolve-callback",
    severity=Severity.HIGH,
    title="Deployer cannot list the target trigger's callback URL",
    fires_when=(
        "the deployer lacks `Microsoft.Logic/workflows/triggers/listCallbackUrl/action` on the target "
        'trigger (the "Security Admin only" failure)'
    ),
    rationale=(
        "listCallbackUrl() runs as the deployer; without triggers/listCallbackUrl/action on the Logic App the "
        "deployment fails. Security Admin, the role the documentation names, does not grant it."
    ),
    remediation=(
        "Assign Microsoft Sentinel Playbook Operator (smallest) or Logic App Contributor to the deployer on "
        "the Logic App or its resource group."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """The deployer's listCallbackUrl decision for every callback an automation resolves."""
    from auditor.checks._access import LIST_CALLBACK_URL, decide, deployer_steps, outcome, why_denied

    for step in deployer_steps(inventory, ctx):
        if step.rule_id != RULE.id:
            continue
        decision = decide(ctx, step)
        if decision is None or outcome(decision) != "missing":
            continue
        yield RULE.finding(
            f"{step.who} cannot resolve the callback URL of {step.subject}: {LIST_CALLBACK_URL} at "
            f"{decision.scope}: {why_denied(decision)}; listCallbackUrl() fails and so does the deployment "
            "(Security Admin, which the automation itself needs, does not grant it)",
            at=step.at,
            key=step.principal,
        )
