"""LA104: a trigger subscribes to one Defender connector's operation on another connector's connection.

## What it checks
Each trigger whose ``inputs.path`` is the subscribe operation of a Defender for
Cloud connector (``/Microsoft.Security/Alert/subscribe`` → ``ascalert``,
``/Microsoft.Security/Assessment/subscribe`` → ``ascassessment``,
``/Microsoft.Security/RegulatoryComplianceAssessment/subscribe`` →
``ascregulatorycomplianceassessment``; compared case-insensitively) is matched
with the managed API its connection resolves to
(``@parameters('$connections')['<key>']`` → ``$connections.value.<key>.id`` or the
connection resource's ``properties.api.id``). They must be the same connector.

## Why it matters
Each connector only offers its own subscribe operation. Copying an alert
playbook into a recommendation playbook and changing only the connection (or
only the path) leaves a trigger that cannot subscribe: the workflow fails to
save or the subscription is never created, and the automation never starts the
Logic App. Because the connection key is arbitrary (``mdcalert`` may well be
bound to ``ascassessment``), the mismatch is invisible unless the key is
resolved to the API id.

## Example
```json
"triggers": {
  "When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered": {
    "type": "ApiConnectionWebhook",
    "inputs": {"host": {"connection": {"name": "@parameters('$connections')['ascassessment']['connectionId']"}},
               "path": "/Microsoft.Security/Alert/subscribe"}
  }
}
```
with ``$connections.value.ascassessment.id`` ending in ``/managedApis/ascassessment``.

## Use instead
Keep the path and the connection on the same connector:
``"path": "/Microsoft.Security/Assessment/subscribe"`` on an ``ascassessment``
connection (or ``/Microsoft.Security/Alert/subscribe`` on ``ascalert``).

## References
- https://learn.microsoft.com/connectors/ascalert/
- https://learn.microsoft.com/connectors/ascassessment/
- https://learn.microsoft.com/connectors/ascregulatorycomplianceassessment/
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="LA104",
    name="defender-trigger-path-mismatch",
    severity=Severity.HIGH,
    title="Defender trigger path belongs to a different connector than its connection",
    fires_when="a Defender subscribe path on another connector's connection",
    rationale=(
        "A Defender connector only offers its own subscribe operation: a trigger whose path belongs to "
        "another connector cannot subscribe, so the automation never starts the Logic App."
    ),
    remediation=(
        "Use the subscribe path of the connector the connection is bound to (Alert → ascalert, "
        "Assessment → ascassessment, RegulatoryComplianceAssessment → ascregulatorycomplianceassessment), "
        "or bind the trigger to a connection of the connector its path belongs to."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Defender subscribe paths on a connection to another managed API."""
    from auditor.unknown import Unknown

    connector_for_path = ctx.catalog.connector_for_path
    for la in inventory.logic_apps:
        for trigger in la.triggers:
            if trigger.path is None:
                continue
            if not isinstance(trigger.path, str):
                if trigger.connection is not None:
                    ctx.unresolved(trigger.path, trigger.origin, f"the path of trigger '{trigger.name}'")
                continue
            path = trigger.path.strip()
            owner = connector_for_path.get(path.lower())
            if owner is None:
                continue  # not a Defender subscribe path
            if trigger.connection is not None and la.bindings_unknown is not None:
                ctx.unresolved(
                    la.bindings_unknown, trigger.origin, f"the connector of trigger '{trigger.name}'"
                )
                continue
            api = ctx.links.trigger_api(la, trigger)
            if api is None and trigger.connection is not None and isinstance(trigger.connection.raw, Unknown):
                api = trigger.connection.raw
            if api is None:
                continue  # no connection, or an unbound key (LA103)
            if not isinstance(api, str):
                ctx.unresolved(api, trigger.origin, f"the connector of trigger '{trigger.name}'")
                continue
            if api.lower() == owner:
                continue
            key = trigger.connection.key if trigger.connection is not None else None
            via = f"connection '{key}'" if key else "connection"
            yield RULE.finding(
                f"trigger '{trigger.name}' subscribes to '{path}', the operation of the {owner} connector, "
                f"but its {via} is bound to the {api} managed API, which has no such operation",
                at=trigger.origin,
            )
