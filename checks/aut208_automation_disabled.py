"""AUT208: the automation is disabled (``isEnabled: false``).

## What it checks
``Microsoft.Security/automations`` resources whose ``properties.isEnabled`` is
exactly ``false``. An ``isEnabled`` that is only known at deployment (a
parameter without a value) is reported as unresolved, never as disabled.

## Why it matters
A disabled automation deploys without error and then never exports anything
or starts its Logic App. That is sometimes intended (a template staged for
later), often a leftover from testing; either way, nothing in Defender for
Cloud tells you the workflow is off. A DeployIfNotExists policy whose
existence condition requires ``isEnabled: true`` also keeps reporting the
subscription non-compliant.

## Example
```json
{
  "type": "Microsoft.Security/automations",
  "apiVersion": "2019-01-01-preview",
  "name": "notify-high-alerts",
  "properties": {"isEnabled": false, "scopes": [...], "sources": [...], "actions": [...]}
}
```

## Use instead
Set ``"isEnabled": true`` (or make it a parameter that defaults to ``true``),
or add ``AUT208`` to ``metadata.auditor.ignore`` on the resource when the
automation is disabled on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._util import display_name
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Automation, Inventory

RULE = Rule(
    id="AUT208",
    name="automation-disabled",
    severity=Severity.INFO,
    title="Workflow automation is disabled",
    fires_when="`isEnabled: false`",
    rationale=(
        "A disabled automation deploys cleanly but never triggers its Logic App or exports anything, "
        "and nothing in Defender for Cloud points it out."
    ),
    remediation="Set properties.isEnabled to true, or suppress AUT208 on automations that are off on purpose.",
)


def label(automation: Automation) -> str:
    """``automation 'name'`` for messages (the id's last segment when the name is unknown)."""
    name = display_name(automation)
    return f"automation '{name}'" if name != "?" else "the automation"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Automations with ``isEnabled`` exactly ``false``."""
    for automation in inventory.automations:
        if isinstance(automation.is_enabled, Unknown):
            ctx.unresolved(automation.is_enabled, automation.origin, "whether the automation is enabled")
            continue
        if automation.is_enabled is False:
            yield RULE.finding(
                f"{label(automation)} is disabled (isEnabled: false): no event reaches its actions "
                "until it is enabled",
                at=automation.origin,
            )
