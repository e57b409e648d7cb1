"""AUT209: the automation has no scopes, no sources or no actions.

## What it checks
``Microsoft.Security/automations`` resources where ``properties.scopes``,
``properties.sources`` or ``properties.actions`` is missing or an empty array.
Each missing part is one finding. A part that is only known at deployment (a
parameter without a value, a ``copy`` loop over one) is reported as
unresolved instead.

## Why it matters
An automation needs all three to do anything: *scopes* say which subscription
or resource groups it listens on, *sources* which events (alerts,
recommendations, regulatory compliance, …) and *actions* where they go (a
Logic App, an Event Hub, a Log Analytics workspace). Without scopes or sources
no event ever matches; without actions a matching event goes nowhere. The API
schema marks none of the three as required, so such an automation can deploy
without error and then silently do nothing.

## Example
```json
"properties": {
  "isEnabled": true,
  "scopes": [{"scopePath": "[subscription().id]"}],
  "sources": [{"eventSource": "Alerts"}],
  "actions": []
}
```

## Use instead
Give the automation at least one scope (the subscription id or a resource
group id), one source with its event type, and one action, e.g.
``{"actionType": "LogicApp", "logicAppResourceId": "…", "uri": "[listCallbackUrl(…).value]"}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._util import display_name
from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Automation, Inventory

RULE = Rule(
    id="AUT209",
    name="automation-incomplete",
    severity=Severity.HIGH,
    title="Workflow automation has no scopes, sources or actions",
    fires_when="no scopes, no sources or no actions",
    rationale=(
        "Without scopes or sources no event ever matches, and without actions a matching event goes "
        "nowhere: the automation silently does nothing."
    ),
    remediation="Declare at least one scope, one source (eventSource) and one action on the automation.",
)

_PARTS = (
    ("scopes", "which subscription or resource groups it listens on"),
    ("sources", "which events it reacts to"),
    ("actions", "where matching events go"),
)


def label(automation: Automation) -> str:
    """``automation 'name'`` for messages (the id's last segment when the name is unknown)."""
    name = display_name(automation)
    return f"automation '{name}'" if name != "?" else "the automation"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per missing or empty scopes / sources / actions."""
    for automation in inventory.automations:
        for part, meaning in _PARTS:
            unknown = getattr(automation, f"{part}_unknown")
            if unknown is not None:
                ctx.unresolved(unknown, automation.origin, f"the automation's {part}")
                continue
            if getattr(automation, part):
                continue
            yield RULE.finding(
                f"{label(automation)} has no {part} (missing or empty): nothing says {meaning}, "
                "so it never does anything",
                at=automation.origin,
                key=part,
            )
