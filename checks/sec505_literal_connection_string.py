"""SEC505: an Event Hub / Service Bus connection string with its key is written in the template.

## What it checks
Known string values (written literally, or a template parameter's default, a variable, a Terraform
variable's value) that hold ``Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=<key>`` with the key
written out (16 or more base64 characters, so ``<key>`` placeholders are not keys), in

* the ``connectionString`` of a ``Microsoft.Security/automations`` action (continuous export to Event
  Hubs; Terraform ``action { connection_string }``), also inside a DINE policy;
* an API connection's ``parameterValues`` (``parameterValueSet`` values), whatever the entry's name;
* a Logic App's workflow definition or workflow parameters (any string in them).

``listKeys(…).primaryConnectionString`` (ARM, Bicep ``listKeys()``), a Terraform
``azurerm_eventhub_authorization_rule.x.primary_connection_string`` and any value only known at
deployment are fine: they are computed when deploying and not written in the scanned files, so an
unknown value is never reported, not even as unresolved. The key is never printed.

## Why it matters
The shared access key lets whoever reads it send (or, with a Manage rule, administer) the Event Hub or
Service Bus namespace: forged alerts into the SIEM pipeline, or the export stream read by someone else.
Written in a template it is in source control and every clone; in an automation or a connection it is
also in the deployment history.

## Example
```json
"actions": [{
  "actionType": "EventHub",
  "eventHubResourceId": "[resourceId('Microsoft.EventHub/namespaces/eventhubs', 'soc-ns', 'alerts')]",
  "connectionString": "Endpoint=sb://soc-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=…"
}]
```

## Use instead
```json
"connectionString": "[listKeys(resourceId('Microsoft.EventHub/namespaces/eventhubs/authorizationRules', 'soc-ns', 'alerts', 'send'), '2021-11-01').primaryConnectionString]"
```
and rotate the key that was committed.

## References
- https://learn.microsoft.com/azure/defender-for-cloud/continuous-export
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._secrets import has_literal_connection_string
from auditor.checks._util import display_name
from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, SecretInput

RULE = Rule(
    id="SEC505",
    name="literal-connection-string",
    severity=Severity.HIGH,
    title="Literal Event Hub / Service Bus connection string with its key",
    fires_when=(
        "an automation action's connectionString, a connection's parameterValues or a workflow definition "
        "holds `Endpoint=sb://…;SharedAccessKey=<key>` written out"
    ),
    rationale=(
        "The shared access key grants access to the Event Hub / Service Bus namespace to whoever reads the "
        "template, its history or the resource."
    ),
    remediation=(
        "Use listKeys(<authorization rule id>, <api version>).primaryConnectionString (Terraform: the "
        "authorization rule's primary_connection_string), and rotate the committed key."
    ),
)

_ADVICE = "(the key is not shown here); use listKeys() at deployment instead and rotate the key"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Literal SAS connection strings in automations, connections and workflow definitions."""
    for automation in inventory.automations:
        for action in automation.actions:
            secret = action.connection_string
            if _literal(secret):
                assert secret is not None
                yield RULE.finding(
                    f"the connectionString of an action of automation '{display_name(automation)}' is a "
                    f"literal Event Hub connection string with its shared access key {_ADVICE}",
                    at=secret.origin,
                )
    for conn in inventory.connections:
        for secret in conn.secret_inputs:
            if _literal(secret):
                yield RULE.finding(
                    f"parameter value '{secret.field}' of connection '{display_name(conn)}' is a literal "
                    f"Event Hub / Service Bus connection string with its shared access key {_ADVICE}",
                    at=secret.origin,
                )
    for la in inventory.logic_apps:
        for secret in la.secret_inputs:
            if secret.kind == "definition-text" and _literal(secret):
                yield RULE.finding(
                    f"the workflow of Logic App '{display_name(la)}' holds a literal Event Hub / Service Bus "
                    f"connection string with its shared access key {_ADVICE}",
                    at=secret.origin,
                )


def _literal(secret: SecretInput | None) -> bool:
    return (
        secret is not None and isinstance(secret.value, str) and has_literal_connection_string(secret.value)
    )
