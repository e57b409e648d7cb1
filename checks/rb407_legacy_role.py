"""RB407: a role prerequisite is met only through Security Manager (Legacy).

## What it checks
Every step the declared principals must perform (RB401 to RB404: write the
automation, list the callback URL, edit the Logic App and its connections, run
the trigger), decided against the access snapshot (``--access``). When the
action is granted, but only by assignments of **Security Manager (Legacy)**
(``e3d13bf0-dd5a-482e-ba6b-9b8433878d10``), this rule reports it.

## Why it matters
Security Manager (Legacy) is the pre-2020 Security Center role; its description
reads "This is a legacy role. Please use Security Administrator instead". It
still grants ``Microsoft.Security/*``, so today's deployments work, but a
permission that rests on a role Microsoft asks you to replace disappears when
the role is retired or cleaned up in an access review, and the automation stops
deploying without any change to the template.

## Example
```text
RB407 [low] deployer 11111111-… can perform Microsoft.Security/automations/write on automation
'route-alerts-to-soc' only through 'Security Manager (Legacy)' at /subscriptions/8f1c…; assign
'Security Admin' instead
```

## Use instead
Assign Security Admin at the same scope, then remove the legacy assignment:
``az role assignment create --assignee <objectId> --role "Security Admin" --scope <scope>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB407",
    name="legacy-role",
    severity=Severity.LOW,
    title="Prerequisite met only through Security Manager (Legacy)",
    fires_when="a prerequisite is met only through Security Manager (Legacy)",
    rationale=(
        "Security Manager (Legacy) is a retired Security Center role ('Please use Security Administrator "
        "instead'); permissions that rest on it vanish when it is cleaned up."
    ),
    remediation="Assign Security Admin (or the role the step needs) at the same scope and drop the legacy role.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Steps of the declared principals that only the legacy role allows."""
    from auditor.checks._access import all_steps, decide, grant_text, outcome

    for step in all_steps(inventory, ctx):
        decision = decide(ctx, step, record=False)  # the step's own rule records what is undecidable
        if decision is None or outcome(decision) != "legacy":
            continue
        from auditor.rbac import builtin_roles

        instead = builtin_roles().smallest_granting(step.action)
        hint = (
            f"assign '{instead.role_name}' instead"
            if instead is not None
            else "assign a current role instead"
        )
        yield RULE.finding(
            f"{step.who} can perform {step.action} on {step.subject} only through "
            f"{grant_text(decision.grants)}; {hint}",
            at=step.at,
            key=f"{step.principal}:{step.action}:{step.subject}",
        )
