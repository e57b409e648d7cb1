"""AUT201: the automation calls a Logic App that has no Defender for Cloud trigger.

## What it checks
For each ``LogicApp`` action of a ``Microsoft.Security/automations`` resource,
the Logic App its ``logicAppResourceId`` names (when that Logic App is in the
scan). At least one of its triggers must be a Defender for Cloud connector
trigger: a trigger whose connection resolves to the ``ascalert``,
``ascassessment`` or ``ascregulatorycomplianceassessment`` managed API.
A Logic App with no trigger at all is LA105's business; automations deployed
by a policy are checked by the POL rules.

## Why it matters
Workflow automation is designed around the Defender connector triggers. The
portal's workflow automation blade only lists Logic Apps that have one, so a
Logic App started through a plain HTTP Request trigger cannot be picked or
repaired there, and its payload is whatever Defender posts, with no typed
outputs (``AlertDisplayName``, ``Severity`` …) for the designer. A trigger of
another connector (a Microsoft Sentinel alert trigger, say) describes another
document, so the workflow's expressions read fields Defender does not send.

## Example
```json
"triggers": {
  "manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}
}
```
targeted by ``"uri": "[listCallbackUrl(concat(resourceId('Microsoft.Logic/workflows', parameters('logicAppName')), '/triggers/manual'), '2019-05-01').value]"``.

## Use instead
Start the Logic App with "When a Microsoft Defender for Cloud alert is created
or triggered" (``ascalert``), "When a Microsoft Defender for Cloud
recommendation is created or triggered" (``ascassessment``) or the regulatory
compliance trigger (``ascregulatorycomplianceassessment``), and point the
automation's callback URL at that trigger.

## References
- https://learn.microsoft.com/azure/defender-for-cloud/workflow-automation
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, Trigger

RULE = Rule(
    id="AUT201",
    name="target-without-defender-trigger",
    severity=Severity.MEDIUM,
    title="Automation targets a Logic App without a Defender for Cloud trigger",
    fires_when="the target Logic App has no Defender connector trigger",
    rationale=(
        "Workflow automation is built for Logic Apps started by a Defender connector trigger; without one the "
        "portal does not list the Logic App and its payload is untyped (or the trigger never fires at all)."
    ),
    remediation=(
        "Give the Logic App the Defender connector trigger of the automation's event source (ascalert, "
        "ascassessment or ascregulatorycomplianceassessment) and target that trigger's callback URL."
    ),
)


def describe_triggers(triggers: list[tuple[Trigger, Any]]) -> str:
    """``only a Request trigger 'manual'`` / ``only triggers Recurrence 'r' and ApiConnection 'x' (office365)``."""
    parts = []
    for trigger, api in triggers:
        kind = trigger.type if isinstance(trigger.type, str) else "untyped"
        text = f"{kind} '{trigger.name}'"
        if isinstance(api, str):
            text += f" ({api})"
        parts.append(text)
    if len(parts) == 1:
        kind, _, rest = parts[0].partition(" ")
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        return f"only {article} {kind} trigger {rest}"
    return "only the triggers " + ", ".join(parts[:-1]) + " and " + parts[-1]


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """LogicApp actions whose Logic App (in the scan) has no trigger on a Defender connector."""
    from auditor.catalog import DEFENDER_CONNECTORS
    from auditor.checks._util import (
        display_name,
        foreign_target,
        linked_logic_app,
        logic_app_actions,
        template_automations,
        trigger_connector,
    )

    for automation in template_automations(inventory, ctx):
        for action in logic_app_actions(automation):
            if foreign_target(action):
                continue  # not a Consumption Logic App: AUT210
            target = action.logic_app_id
            if target is None:
                continue
            if not isinstance(target, str):
                ctx.unresolved(target, action.origin, "the Logic App the action targets")
                continue
            la = linked_logic_app(ctx, target, automation.origin, action.origin)
            if la is None:
                continue  # not in the scan
            if la.triggers_unknown is not None:
                ctx.unresolved(
                    la.triggers_unknown, action.origin, f"the triggers of Logic App '{display_name(la)}'"
                )
                continue
            if not la.triggers:
                continue  # no trigger at all: LA105
            resolved = [(t, trigger_connector(ctx.links, ctx.catalog, la, t)) for t in la.triggers]
            unknown = next(
                (api for _t, api in resolved if api is not None and not isinstance(api, str)), None
            )
            if unknown is not None:
                ctx.unresolved(
                    unknown, action.origin, f"the trigger connectors of Logic App '{display_name(la)}'"
                )
                continue
            if any(isinstance(api, str) and api.lower() in DEFENDER_CONNECTORS for _t, api in resolved):
                continue
            if all(isinstance(t.type, str) and t.type.lower() == "request" for t, _api in resolved):
                why = "the payload it receives is untyped"
            else:
                why = "its trigger was made for other events, so its outputs do not describe what Defender sends"
            yield RULE.finding(
                f"automation '{display_name(automation)}' targets Logic App '{display_name(la)}', which has "
                f"{describe_triggers(resolved)} and no Defender for Cloud connector trigger: the portal's workflow "
                f"automation does not list it and {why}",
                at=action.origin,
                related=(la.origin,),
            )
