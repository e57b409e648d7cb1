"""RB401: the deployer cannot create or update the workflow automation.

## What it checks
For every ``Microsoft.Security/automations`` resource in the scan (not those a
DINE policy deploys: RB406), whether the declared deployer (``--deployer``)
holds ``Microsoft.Security/automations/write`` on the automation's resource
group (its id minus the provider part), according to the access snapshot
(``--access``). Group membership, management-group inheritance, deny
assignments, PIM eligibility and ABAC conditions are evaluated as Azure does;
what the snapshot cannot settle is reported by SRC003, never guessed.

The Defender for Cloud documentation asks for "Security admin role or Owner
on the resource group". Azure checks the action, not the role name: Security
Admin (``Microsoft.Security/*``, the smallest built-in role that grants it),
Owner and Contributor (``*``) all grant it. When the deployer can write the
automation **only through Contributor**, the rule notes it at *info*
severity: the deployment works, but the documented role is Security Admin, and
Contributor can write every resource type in the scope.

The scope must be real: a template deployed with placeholders
(``{subscriptionId}``, ``{resourceGroup}``) is only checked when
``--subscription``/``--resource-group`` say where it goes (else SRC003).

## Why it matters
Without the write permission the deployment fails with ``AuthorizationFailed``
on the automation, after the Logic App and its connections were created, and
the alerts the automation should route go nowhere.

## Example
```sh
auditor scan deploy/ --access access.json --deployer 11111111-1111-1111-1111-111111111111 \\
  --subscription 8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b --resource-group rg-security-automation
```
```text
RB401 [high] deployer 11111111-… cannot create or update automation 'route-alerts-to-soc':
Microsoft.Security/automations/write at /subscriptions/8f1c…/resourceGroups/rg-security-automation:
no active role assignment grants it … the smallest built-in role that does is 'Security Admin'
```

## Use instead
Assign Security Admin to the deployer on the resource group (or the
subscription), e.g.
``az role assignment create --assignee <objectId> --role "Security Admin" --scope <resource group id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB401",
    name="deployer-cannot-write-automation",
    severity=Severity.HIGH,
    title="Deployer lacks Microsoft.Security/automations/write on the automation's resource group",
    fires_when=(
        "the deployer lacks `Microsoft.Security/automations/write` on the automation's resource group "
        "(info when only Contributor grants it: the documentation names Security Admin or Owner)"
    ),
    rationale=(
        "Without automations/write the deployment fails with AuthorizationFailed and the automation is never "
        "created, so the alerts and recommendations it should route go nowhere."
    ),
    remediation=(
        "Assign Security Admin (the documented and smallest built-in role that grants it) to the deployer on "
        "the resource group or subscription."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """The deployer's automations/write decision for each automation in the scan."""
    from auditor.checks._access import (
        AUTOMATION_WRITE,
        CONTRIBUTOR,
        decide,
        deployer_steps,
        grant_text,
        outcome,
        why_denied,
    )

    for step in deployer_steps(inventory, ctx):
        if step.rule_id != RULE.id:
            continue
        decision = decide(ctx, step)
        if decision is None:
            continue
        kind = outcome(decision)
        if kind == "missing":
            yield RULE.finding(
                f"{step.who} cannot create or update {step.subject}: {AUTOMATION_WRITE} at {decision.scope}: "
                f"{why_denied(decision)}; the Defender for Cloud documentation asks for Security Admin or Owner "
                "on the resource group",
                at=step.at,
                key=step.principal,
            )
        elif kind == "allowed" and all(g.role_id == CONTRIBUTOR for g in decision.grants):
            yield RULE.finding(
                f"{step.who} can write {step.subject} only through {grant_text(decision.grants)}: the deployment "
                "works, but the Defender for Cloud documentation names Security Admin or Owner, and Contributor "
                "can write every resource type in that scope; Security Admin is the documented, narrower role",
                at=step.at,
                key=f"contributor-only:{step.principal}",
            ).with_severity(Severity.INFO)
