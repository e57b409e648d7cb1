"""AUT210: the automation's Logic App action targets something that is not a Consumption Logic App.

## What it checks
Every ``LogicApp`` action of a ``Microsoft.Security/automations`` (also one a
DINE policy deploys) whose ``logicAppResourceId`` is a resource id of another
type than ``Microsoft.Logic/workflows``: a Standard (single-tenant) Logic App
workflow (``…/providers/Microsoft.Web/sites/<app>/workflows/<name>``, as
``resourceId('Microsoft.Web/sites/workflows', app, wf)`` writes it), the Logic
App Standard or App Service site itself (``Microsoft.Web/sites``, Terraform
``azurerm_logic_app_standard``), or any other type. An action whose
``listCallbackUrl`` names a trigger of a Standard workflow
(``Microsoft.Web/sites/workflows/triggers``, also through ``hostruntime``) is
the same case. A target only known at deployment is reported as unresolved
(SRC003), never by this rule; the checks that follow the target (AUT201,
AUT202, AUT203, AUT211, RB402) leave the action to this rule.

## Why it matters
Workflow automation starts *Consumption* Logic Apps only: the portal lists no
Standard Logic App ("Standard Logic App not visible for workflow automation"),
and an automation pointed at one, or at any other resource, never runs the
workflow. Nothing fails at deployment, so the alerts and recommendations the
automation was meant to handle are silently dropped.

## Example
```json
"actions": [{
  "actionType": "LogicApp",
  "logicAppResourceId": "[resourceId('Microsoft.Web/sites/workflows', 'la-std-soc', 'notify-soc')]",
  "uri": "[listCallbackUrl(resourceId('Microsoft.Web/sites/workflows/triggers', 'la-std-soc', 'notify-soc', 'manual'), '2022-03-01').value]"
}]
```

## Use instead
Build the playbook as a Consumption Logic App (``Microsoft.Logic/workflows``,
Terraform ``azurerm_logic_app_workflow``) with a Defender for Cloud trigger and
target it:
``"logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', 'notify-soc')]"``.
To keep the Standard workflow, export to an Event Hub (``actionType: EventHub``)
and start the workflow from the Event Hub.

## References
- https://learn.microsoft.com/azure/defender-for-cloud/workflow-automation
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Automation, AutomationAction, Inventory

RULE = Rule(
    id="AUT210",
    name="target-not-consumption-logic-app",
    severity=Severity.HIGH,
    title="Automation targets something that is not a Consumption Logic App",
    fires_when=(
        "an automation's `logicAppResourceId` is a Standard Logic App / App Service site or its workflow, "
        "or any type other than `Microsoft.Logic/workflows`"
    ),
    rationale=(
        "Workflow automation starts Consumption Logic Apps only: an automation pointed at a Standard Logic App "
        "(or any other resource) deploys without error and never runs the workflow."
    ),
    remediation=(
        "Target a Consumption Logic App (Microsoft.Logic/workflows, azurerm_logic_app_workflow) with a "
        "Defender for Cloud trigger, or export to an Event Hub that starts the Standard workflow."
    ),
)


def _finding(automation: Automation, action: AutomationAction) -> Finding | None:
    """The action's finding: at the action for its ``logicAppResourceId``, else at a Standard callback."""
    from auditor.checks._util import display_name, foreign_callback, foreign_logic_app
    from auditor.unknown import CallbackUrl

    name = display_name(automation)
    callback = foreign_callback(action.uri.target) if isinstance(action.uri, CallbackUrl) else None
    target = foreign_logic_app(action.logic_app_id)
    if target is not None:
        also = "; its callback URL is a Standard workflow trigger's too" if callback is not None else ""
        return RULE.finding(
            f"automation '{name}' targets {target}, not a Consumption Logic App (Microsoft.Logic/workflows)"
            f"{also}: workflow automation starts Consumption Logic Apps only, so this action never runs",
            at=action.origin,
        )
    if callback is not None:
        return RULE.finding(
            f"automation '{name}' calls the callback URL of {callback} "
            "(Microsoft.Web/sites/workflows/triggers), not of a Consumption Logic App: workflow automation "
            "starts Consumption Logic Apps only, so this action never runs",
            at=action.uri_origin or action.origin,
        )
    return None


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """LogicApp actions whose target (or callback trigger) is not a Consumption Logic App."""
    from auditor.checks._util import logic_app_actions
    from auditor.unknown import Unknown

    for automation in inventory.automations:
        if automation.actions_unknown is not None:
            ctx.unresolved(automation.actions_unknown, automation.origin, "the automation's actions")
        for action in logic_app_actions(automation):
            if isinstance(action.logic_app_id, Unknown):
                ctx.unresolved(action.logic_app_id, action.origin, "the Logic App the action targets")
                continue
            found = _finding(automation, action)
            if found is not None:
                yield found
