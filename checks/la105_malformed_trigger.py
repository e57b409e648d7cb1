"""LA105: a workflow trigger (or the definition's ``triggers``) is structurally broken.

## What it checks
The shape of ``properties.definition.triggers`` of every Logic App:

- ``triggers`` must be an object, and each trigger an object with a ``type``;
- a trigger must not contain a nested ``triggers`` object (a whole definition
  pasted inside a trigger);
- an ``ApiConnection`` or ``ApiConnectionWebhook`` trigger needs ``inputs``,
  ``inputs.host.connection`` and ``inputs.path``;
- a Logic App that an automation in the scan calls must have at least one
  trigger: an empty ``triggers`` object gives the automation nothing to call.

## Why it matters
The Logic Apps service rejects such a definition (the deployment fails) or,
worse, accepts a workflow that can never run: a Defender connector trigger
without a connection or path never subscribes, and an automation targeting a
workflow without a trigger cannot start it.

## Example
```json
"triggers": {
  "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered": {
    "type": "ApiConnectionWebhook",
    "inputs": {"body": {"callback_url": "@{listCallbackUrl()}"},
               "host": {"connection": {"name": "@parameters('$connections')['ascalert']['connectionId']"}}}
  }
}
```
(no ``path``: the connector does not know which operation to subscribe to).

## Use instead
```json
"triggers": {
  "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered": {
    "type": "ApiConnectionWebhook",
    "inputs": {"body": {"callback_url": "@{listCallbackUrl()}"},
               "host": {"connection": {"name": "@parameters('$connections')['ascalert']['connectionId']"}},
               "path": "/Microsoft.Security/Alert/subscribe"}
  }
}
```

## References
- https://learn.microsoft.com/azure/logic-apps/logic-apps-workflow-definition-language
- https://learn.microsoft.com/azure/logic-apps/logic-apps-workflow-actions-triggers
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="LA105",
    name="malformed-trigger",
    severity=Severity.HIGH,
    title="Logic App trigger is malformed",
    fires_when="a trigger without `type`, with nested `triggers`, or otherwise not runnable",
    rationale=(
        "A trigger without a type, connection or path (or a workflow without any trigger) is rejected "
        "at deployment or can never fire, so the automation never starts the Logic App."
    ),
    remediation=(
        "Give every trigger a 'type'; give ApiConnection(Webhook) triggers 'inputs.host.connection' and "
        "'inputs.path'; keep exactly one definition (no nested 'triggers'); give a Logic App that an "
        "automation calls the trigger the automation's callback URL names."
    ),
)


def _targeted(inventory: Inventory, ctx: CheckContext) -> dict[int, str]:
    """Logic Apps (by object id) that an automation in the scan calls → the automation's name."""
    from auditor.checks._util import logic_app_actions
    from auditor.link import parse_callback_target
    from auditor.model import LogicApp
    from auditor.unknown import CallbackUrl

    out: dict[int, str] = {}
    for automation in inventory.automations:
        name = automation.name if isinstance(automation.name, str) else "?"
        for action in logic_app_actions(automation):
            found = [ctx.links.logic_app(action.logic_app_id, automation.origin)]
            if isinstance(action.uri, CallbackUrl):
                parsed = parse_callback_target(action.uri.target)
                if parsed is not None:
                    found.append(ctx.links.logic_app(parsed.workflow_id, automation.origin))
            for la in found:
                if isinstance(la, LogicApp):  # not an ambiguous name: "called by" must be certain
                    out.setdefault(id(la), name)
    return out


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Recorded structural problems, and targeted Logic Apps without any trigger."""
    targeted: dict[int, str] | None = None
    for la in inventory.logic_apps:
        for problem in la.definition_problems:
            yield RULE.finding(f"the workflow definition is malformed: {problem}", at=la.origin)
        for trigger in la.triggers:
            hint = ""
            if trigger.name.lower() == "triggers":
                hint = " ('triggers' is nested inside 'triggers': the real triggers are one level too deep)"
            for problem in trigger.problems:
                yield RULE.finding(
                    f"trigger '{trigger.name}' is malformed: {problem}{hint}", at=trigger.origin
                )
        if la.triggers or la.definition_problems:
            continue
        if targeted is None:
            targeted = _targeted(inventory, ctx)
        automation = targeted.get(id(la))
        if automation is None:
            continue
        if la.triggers_unknown is not None:
            ctx.unresolved(la.triggers_unknown, la.origin, "whether the Logic App has a trigger")
            continue
        name = la.name if isinstance(la.name, str) else "?"
        yield RULE.finding(
            f"Logic App '{name}' is called by automation '{automation}' but has no trigger, "
            "so the automation cannot start it",
            at=la.origin,
        )
