"""LA101: the Logic App uses the legacy Defender for Cloud alert trigger.

## What it checks
Triggers named ``When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered``
(or the older ``…_an_Azure_Security_Center_alert_…``), and Defender connector
webhook triggers whose ``inputs.path`` is not the connector's current
``/Microsoft.Security/<Alert|Assessment|RegulatoryComplianceAssessment>/subscribe``
operation.

## Why it matters
Microsoft's documentation: with the legacy trigger "When a response to a
Microsoft Defender for Cloud alert is triggered", workflow automation does not
open your Logic App. The automation looks healthy and never fires.

## Example
```json
"triggers": {
  "When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered": {
    "type": "ApiConnectionWebhook",
    "inputs": {"host": {"connection": {"name": "@parameters('$connections')['ascalert']['connectionId']"}},
               "path": "/subscribe"}
  }
}
```

## Use instead
The current trigger "When a Microsoft Defender for Cloud alert is created or
triggered": ``"path": "/Microsoft.Security/Alert/subscribe"`` on an ``ascalert``
connection.

## References
- https://learn.microsoft.com/azure/defender-for-cloud/workflow-automation
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="LA101",
    name="legacy-defender-trigger",
    severity=Severity.HIGH,
    title="Logic App uses the legacy Defender for Cloud alert trigger",
    fires_when=(
        'the legacy "When a response to a … alert is triggered" trigger, or a Defender connection used '
        "with a path that is not a current subscribe path"
    ),
    rationale=(
        "Workflow automation does not launch Logic Apps that use the legacy trigger 'When a response to a "
        "Microsoft Defender for Cloud alert is triggered', so the automation silently never runs."
    ),
    remediation=(
        "Replace the trigger with 'When a Microsoft Defender for Cloud alert is created or triggered' "
        "(path /Microsoft.Security/Alert/subscribe on an ascalert connection)."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Legacy trigger names, and Defender webhook triggers on a non-subscribe path."""
    catalog = ctx.catalog
    paths = catalog.subscribe_paths
    known_paths = set(catalog.connector_for_path)
    for la in inventory.logic_apps:
        for trigger in la.triggers:
            if trigger.name.lower() in catalog.legacy_trigger_names:
                yield RULE.finding(
                    f"trigger '{trigger.name}' is the legacy 'When a response to … alert is triggered' trigger; "
                    "workflow automation does not launch Logic Apps that use it",
                    at=trigger.origin,
                )
                continue
            api = ctx.links.trigger_api(la, trigger)
            if not isinstance(api, str) or api.lower() not in paths:
                if api is not None and not isinstance(api, str):
                    ctx.unresolved(api, trigger.origin, f"the connector of trigger '{trigger.name}'")
                continue
            if not isinstance(trigger.type, str) or trigger.type.lower() != "apiconnectionwebhook":
                continue
            if not isinstance(trigger.path, str):
                if trigger.path is not None:
                    ctx.unresolved(trigger.path, trigger.origin, f"the path of trigger '{trigger.name}'")
                continue
            path = trigger.path.strip()
            if path.lower() in known_paths:
                continue  # current path (a mismatch with the connector is LA104's business)
            yield RULE.finding(
                f"trigger '{trigger.name}' subscribes to '{path}' on the {api} connector; the current "
                f"operation is '{paths[api.lower()]}' (anything else is the legacy or an unknown trigger)",
                at=trigger.origin,
            )
