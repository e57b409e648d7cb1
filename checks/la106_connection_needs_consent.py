"""LA106: an API connection needs someone to sign in after deployment.

## What it checks
``Microsoft.Web/connections`` resources for managed APIs that authenticate a
user or an app with OAuth or credentials (Office 365 Outlook and Users,
Office 365 Groups, Outlook.com, Teams, Slack, Gmail, SharePoint Online,
OneDrive (for Business), Excel Online (Business), Planner, Azure AD, Azure
Resource Manager, Microsoft Defender for Endpoint, Microsoft Graph Security,
Microsoft Sentinel, Azure Monitor Logs, Jira, ServiceNow, Dynamics 365) whose
template supplies no ``parameterValues`` / ``parameterValueSet`` (or
``parameterValueType: Alternative`` for a managed identity). For a live or
exported connection, the ``statuses`` are read instead: anything other than
``Connected`` is reported. The Defender for Cloud connectors themselves are not
listed: they are authorised by the automation's own callback.

## Why it matters
An ARM deployment cannot perform an OAuth consent. The connection is created
unauthenticated ("Error: Unauthenticated" in the portal) and every action that
uses it fails until someone opens the connection, chooses *Edit API connection
→ Authorize* and signs in. The automation runs the Logic App, and the Logic App
silently fails to send the mail, post the message or open the ticket.

## Example
```json
{
  "type": "Microsoft.Web/connections",
  "name": "[variables('o365ConnectionName')]",
  "properties": {
    "api": {"id": "[concat(subscription().id, '/providers/Microsoft.Web/locations/', resourceGroup().location, '/managedApis/office365')]"}
  }
}
```

## Use instead
Plan the post-deployment step: after deploying, open each listed connection
in the portal and authorise it (or run a consent script). Where the connector
supports it, authenticate with the Logic App's managed identity
(``"parameterValueType": "Alternative"``) or supply credentials through
``parameterValues`` from a Key Vault reference.

## References
- https://learn.microsoft.com/azure/logic-apps/logic-apps-deploy-azure-resource-manager-templates#authorize-oauth-connections
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="LA106",
    name="connection-needs-consent",
    severity=Severity.LOW,
    title="API connection must be authorised by hand after deployment",
    fires_when="an Office 365 / Outlook / Teams / Slack / … connection deployed without credentials",
    rationale=(
        "A template cannot consent to an OAuth connection: it is created unauthenticated and every action "
        "that uses it fails until someone signs in."
    ),
    remediation=(
        "After deployment, open the connection (Edit API connection → Authorize) and sign in, or use a "
        "managed identity (parameterValueType Alternative) or parameterValues where the connector allows it."
    ),
)

CONSENT_APIS = frozenset(
    {
        "office365",
        "office365users",
        "office365groups",
        "outlook",
        "teams",
        "slack",
        "gmail",
        "sharepointonline",
        "onedrive",
        "onedriveforbusiness",
        "excelonlinebusiness",
        "planner",
        "azuread",
        "arm",
        "wdatp",
        "microsoftgraphsecurity",
        "azuresentinel",
        "azuremonitorlogs",
        "jira",
        "service-now",  # the ServiceNow connector's managed API name (its Learn page is /connectors/service-now)
        "servicenow",
        "visualstudioteamservices",  # Azure DevOps: OAuth sign-in only
        "dynamicscrmonline",
    }
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """OAuth/credential connections deployed without credentials, or live ones not Connected."""
    for conn in inventory.connections:
        api = conn.managed_api
        if api is None:
            continue
        if not isinstance(api, str):
            ctx.unresolved(api, conn.api_origin or conn.origin, "the connection's managed API")
            continue
        if api.lower() not in CONSENT_APIS:
            continue
        name = conn.name if isinstance(conn.name, str) else "?"
        if conn.statuses_unknown is not None:
            ctx.unresolved(conn.statuses_unknown, conn.origin, "the connection's statuses")
            continue
        if conn.statuses:
            if any(s.lower() == "connected" for s in conn.statuses):
                continue
            status = ", ".join(f"'{s}'" for s in conn.statuses)
            yield RULE.finding(
                f"connection '{name}' ({api}) has status {status}, not 'Connected': someone must open the "
                f"connection and authorise it (Edit API connection → Authorize) before the Logic App can use {api}",
                at=conn.origin,
            )
            continue
        if conn.has_credentials:
            continue
        if conn.credentials_unknown is not None:
            ctx.unresolved(conn.credentials_unknown, conn.origin, "the connection's parameter values")
            continue
        yield RULE.finding(
            f"connection '{name}' uses the {api} API, which needs a sign-in that a deployment cannot give: "
            "after deployment someone must open the connection and authorise it (Edit API connection → "
            "Authorize), or every action that uses it fails",
            at=conn.origin,
        )
