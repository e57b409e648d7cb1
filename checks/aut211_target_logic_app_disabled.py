"""AUT211: an enabled automation targets a Logic App that is deployed disabled.

## What it checks
Every ``LogicApp`` action of an enabled ``Microsoft.Security/automations`` whose
target Logic App is in the scan with ``properties.state: Disabled`` (Terraform:
``enabled = false``; live: the workflow's state). A state or an ``isEnabled``
that is only known at deployment is reported as unresolved (SRC003), never as
disabled; an automation that is itself disabled is AUT208's, not this rule's.

## Why it matters
Defender for Cloud still runs the automation: it calls the trigger's callback
URL, the disabled workflow refuses the run, and the alert or recommendation is
dropped without a trace in the automation. The Logic App's run history stays
empty, so the break looks like "no events" rather than "playbook off".

## Example
```json
{"type": "Microsoft.Logic/workflows", "name": "Notify-SOC", "properties": {"state": "Disabled", "definition": {}}}
```
with an enabled automation whose ``logicAppResourceId`` is that Logic App.

## Use instead
Deploy the Logic App with ``"state": "Enabled"`` (the default when the property
is left out), or disable the automation too while the playbook is off.
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
    id="AUT211",
    name="target-logic-app-disabled",
    severity=Severity.HIGH,
    title="Automation targets a disabled Logic App",
    fires_when="an enabled automation targets a Logic App deployed with `state: Disabled`",
    rationale=(
        "Defender for Cloud calls the disabled workflow's trigger, the run is refused and the event is "
        "lost, with nothing in the automation or the run history to show it."
    ),
    remediation="Deploy the Logic App with state Enabled, or disable the automation while the playbook is off.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Enabled automations' LogicApp actions whose Logic App (in the scan) is Disabled."""
    from auditor.checks._util import (
        display_name,
        foreign_target,
        linked_logic_app,
        logic_app_actions,
        template_automations,
    )

    for automation in template_automations(inventory, ctx):
        if isinstance(automation.is_enabled, Unknown):
            ctx.unresolved(automation.is_enabled, automation.origin, "whether the automation is enabled")
            continue
        if automation.is_enabled is False:
            continue  # AUT208
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
            if isinstance(la.state, Unknown):
                ctx.unresolved(la.state, action.origin, f"the state of Logic App '{display_name(la)}'")
                continue
            if isinstance(la.state, str) and la.state.lower() == "disabled":
                yield RULE.finding(
                    f"automation '{display_name(automation)}' is enabled but targets Logic App "
                    f"'{display_name(la)}', which is deployed with state 'Disabled': every run it starts is "
                    "refused and the event is lost",
                    at=action.origin,
                    related=(la.origin,),
                )
