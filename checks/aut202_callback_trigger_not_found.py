"""AUT202: the automation's callback URL names a trigger (or Logic App) that is not the one it targets.

## What it checks
A ``LogicApp`` action's ``uri`` is normally
``[listCallbackUrl(<workflow id>/triggers/<trigger name>, '<api version>').value]``.
When that workflow is in the scan (by the id inside the callback, else by the
action's ``logicAppResourceId``), it must have a trigger of that name
(compared case-insensitively). The callback's workflow and
``logicAppResourceId`` must also name the same Logic App (compared by name,
as subscriptions and resource groups are often only placeholders).
Automations deployed by a policy are checked by POL301.

## Why it matters
``listCallbackUrl`` on a trigger that does not exist fails, and with it the
whole deployment (``WorkflowTriggerNotFound``). When the callback and
``logicAppResourceId`` disagree, the automation calls a different Logic App
than the one the portal shows and that the role assignments were made for.

## Example
```json
"logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', variables('playbookName'))]",
"uri": "[listCallbackUrl(concat(resourceId('Microsoft.Logic/workflows', variables('playbookName')), '/triggers/manual'), '2019-05-01').value]"
```
while the playbook's only trigger is
``When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered``.

## Use instead
```json
"uri": "[listCallbackUrl(concat(resourceId('Microsoft.Logic/workflows', variables('playbookName')), '/triggers/When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered'), '2019-05-01').value]"
```

## References
- https://learn.microsoft.com/rest/api/logic/workflow-triggers/list-callback-url
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="AUT202",
    name="callback-trigger-not-found",
    severity=Severity.HIGH,
    title="Automation callback URL names a trigger the Logic App does not have",
    fires_when="`listCallbackUrl` names a trigger the target Logic App does not have",
    rationale=(
        "listCallbackUrl on a missing trigger fails the deployment; a callback for another Logic App than "
        "logicAppResourceId makes the automation call a workflow nobody configured it for."
    ),
    remediation=(
        "Call listCallbackUrl on '<logicAppResourceId>/triggers/<name of the Logic App's Defender trigger>', "
        "with the same Logic App as logicAppResourceId."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Callback URLs whose trigger is missing from the Logic App, or whose workflow is another Logic App."""
    from auditor.checks._util import display_name, foreign_target, logic_app_actions, template_automations
    from auditor.link import Links, parse_callback_target, workflow_name
    from auditor.unknown import CallbackUrl, Unknown

    for automation in template_automations(inventory, ctx):
        for action in logic_app_actions(automation):
            if foreign_target(action):
                continue  # not a Consumption Logic App: AUT210
            uri = action.uri
            at = action.uri_origin or action.origin
            if not isinstance(uri, CallbackUrl):
                if isinstance(uri, Unknown):
                    ctx.unresolved(uri, at, "the trigger the callback URL is for")
                continue
            if isinstance(uri.target, Unknown):
                ctx.unresolved(uri.target, at, "the trigger the callback URL is for")
                continue
            parsed = parse_callback_target(uri.target)
            if parsed is None:
                continue
            declared = action.logic_app_id
            declared_name = workflow_name(declared)
            if declared_name and declared_name.lower() != parsed.workflow_name.lower():
                yield RULE.finding(
                    f"the callback URL is for trigger '{parsed.trigger_name}' of Logic App "
                    f"'{parsed.workflow_name}', but logicAppResourceId names Logic App '{declared_name}': the automation "
                    "calls another workflow than the one it shows and was granted access to",
                    at=at,
                )
                continue
            if isinstance(declared, Unknown):
                ctx.unresolved(declared, action.origin, "the Logic App the action targets")
            found = ctx.links.logic_app(parsed.workflow_id, automation.origin)
            if found is None:
                found = ctx.links.logic_app(declared, automation.origin)
            if isinstance(found, Unknown):
                ctx.unresolved(found, at, "the Logic App the callback URL is for")
                continue
            if found is None:
                continue
            la = found
            if la.triggers_unknown is not None:
                ctx.unresolved(la.triggers_unknown, at, f"the triggers of Logic App '{display_name(la)}'")
                continue
            if Links.trigger(la, parsed.trigger_name) is not None:
                continue
            names = ", ".join(f"'{t.name}'" for t in la.triggers)
            has = (
                f"its triggers are {names}"
                if len(la.triggers) > 1
                else (f"its only trigger is {names}" if la.triggers else "it has no trigger")
            )
            yield RULE.finding(
                f"the callback URL is for trigger '{parsed.trigger_name}', but Logic App '{display_name(la)}' "
                f"has no trigger of that name ({has}): listCallbackUrl fails and the deployment with it",
                at=at,
                related=(la.origin,),
            )
