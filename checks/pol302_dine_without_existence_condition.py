"""POL302: a DeployIfNotExists policy deploys an automation without an existence condition.

## What it checks
Policy definitions whose ``then.effect`` is ``deployIfNotExists`` (a literal,
or a parameter whose value is known) and whose ``then.details.type`` is
``Microsoft.Security/automations``, but whose ``details`` have no
``existenceCondition``.

An assignment scanned with its definition is evaluated with its parameter
values: when the definition's default effect is not ``deployIfNotExists``
(``AuditIfNotExists``, ``Disabled``, or no default) and the assignment sets the
effect parameter to ``DeployIfNotExists``, the finding is at that parameter of
the assignment, with the definition in ``related``; the definition scanned
alone keeps its own verdict. An unknown value there is SRC003. (The built-in
workflow-automation and continuous-export policies all have an existence
condition.)

## Why it matters
Without an existence condition, *any* automation matching ``details.type`` (and
``details.name`` when given) in the existence scope makes the subscription
compliant: a disabled automation, one with other rules, or one pointing at a
different Logic App or workspace. Remediation never runs again, so drift is
never corrected and compliance reports a workflow that does not do what the
policy promises. The built-in workflow-automation policies compare
``isEnabled`` and the rules' expected values for exactly this reason.

## Example
```json
"then": {
  "effect": "deployIfNotExists",
  "details": {
    "type": "Microsoft.Security/automations",
    "name": "[parameters('automationName')]",
    "deployment": {…}
  }
}
```

## Use instead
```json
"existenceCondition": {
  "allOf": [
    {"field": "Microsoft.Security/automations/isEnabled", "equals": true},
    {"field": "Microsoft.Security/automations/actions[*].logicAppResourceId",
     "equals": "[parameters('logicAppResourceId')]"}
  ]
}
```

## References
- https://learn.microsoft.com/azure/governance/policy/concepts/effect-deploy-if-not-exists
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="POL302",
    name="dine-without-existence-condition",
    severity=Severity.MEDIUM,
    title="DINE policy deploying an automation has no existenceCondition",
    fires_when="a custom DINE policy deploys automations without an `existenceCondition`",
    rationale=(
        "Without an existence condition any automation of that name counts as compliant, even a disabled or "
        "modified one, so remediation never corrects drift."
    ),
    remediation=(
        "Add details.existenceCondition comparing at least isEnabled and the action target (Logic App, "
        "workspace or Event Hub) with the policy's parameters."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """DINE policies that deploy automations and never look at what already exists."""
    for policy in inventory.policy_definitions:
        if not policy.deploys_automation or policy.has_existence_condition:
            continue
        at = policy.effect_origin or policy.origin
        effect = policy.effect
        if isinstance(effect, Unknown):
            ctx.unresolved(effect, at, "the policy's effect")
            continue
        if not _is_dine(effect):
            continue
        name = policy.display_name if isinstance(policy.display_name, str) else policy.name
        yield RULE.finding(
            f"policy '{name}' deploys a Microsoft.Security/automations with deployIfNotExists but has no "
            "existenceCondition: any automation of that name counts as compliant, even a disabled or changed one",
            at=at,
        )
    yield from _assignments(inventory, ctx)


def _assignments(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Assignments whose parameter values make such a definition deployIfNotExists.

    When the definition's defaults already do, the finding is the definition's (above); otherwise it is
    the assignment's, at the parameter that sets the effect, with the definition in ``related``.
    """
    for assignment in inventory.policy_assignments:
        assigned = assignment.assigned
        if assigned is None or not assigned.deploys_automation or assigned.has_existence_condition:
            continue
        if not assigned.builtin and _is_dine(assigned.default_effect):
            continue  # reported on the definition, whatever the assignment says
        parameter = assigned.effect_parameter
        at = assignment.parameter_origin(parameter) if parameter is not None else None
        if at is None:
            continue  # the assignment does not set the effect: the definition's verdict is the whole story
        name = assigned.display_name if isinstance(assigned.display_name, str) else assigned.definition
        lead = f"policy assignment '{assignment.name}' of '{name}'"
        effect = assigned.effect
        if isinstance(effect, Unknown):
            ctx.unresolved(effect, at, f"the effect {lead} sets")
            continue
        if not _is_dine(effect):
            continue
        related = (assigned.definition_origin,) if assigned.definition_origin is not None else ()
        yield RULE.finding(
            f"{lead} sets '{parameter}' to '{effect}', and the policy deploys a Microsoft.Security/automations "
            "without an existenceCondition: any automation of that name counts as compliant, even a disabled "
            "or changed one",
            at=at,
            related=related,
        )


def _is_dine(effect: object) -> bool:
    return isinstance(effect, str) and effect.strip().lower() == "deployifnotexists"
