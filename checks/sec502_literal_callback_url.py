"""SEC502: an automation action carries a literal Logic App callback URL with its ``sig=`` key.

## What it checks
Actions of ``Microsoft.Security/automations`` (normally ``LogicApp`` ones) whose
``uri`` is a known string (written literally, or a template parameter or variable with a known
value) containing ``sig=``: the shared-access signature of a Logic App trigger.

## Why it matters
The callback URL *is* the credential: anyone who has it can start the workflow
with any payload, from anywhere, until the access keys are regenerated. In a
template or parameters file it ends up in source control, in deployment
history (``Microsoft.Resources/deployments`` keeps parameter values) and in
every copy of the repository. It also goes stale: regenerating the keys or
recreating the trigger breaks the automation silently.

## Example
```json
"actions": [{
  "actionType": "LogicApp",
  "logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', 'notify-soc')]",
  "uri": "https://prod-12.westeurope.logic.azure.com/workflows/…/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=…"
}]
```

## Use instead
```json
"uri": "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'notify-soc', 'When_an_Azure_Security_Center_Alert_is_created_or_triggered'), '2019-05-01').value]"
```
and regenerate the workflow's access keys, since the committed signature must
be considered leaked.

## References
- https://learn.microsoft.com/azure/logic-apps/logic-apps-securing-a-logic-app#regenerate-access-keys
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor import lazyre
from auditor.checks._util import logic_app_actions
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SEC502",
    name="literal-callback-url",
    severity=Severity.HIGH,
    title="Automation action contains a literal Logic App callback URL (sig=)",
    fires_when="an automation action `uri` is a literal URL carrying `sig=`",
    rationale=(
        "The callback URL's sig= is a credential: anyone who has it can start the workflow. Written in a "
        "template it leaks into source control and deployment history, and breaks when keys are regenerated."
    ),
    remediation=(
        "Use [listCallbackUrl(<trigger id>, '2019-05-01').value] instead of the URL, and regenerate the "
        "workflow's access keys."
    ),
)

_SIG = lazyre.compile(r"(sig=)[^&]*", re.IGNORECASE)


def redact(url: str) -> str:
    """The URL with every ``sig=`` value replaced by ``***``."""
    return _SIG.sub(lambda m: m.group(1) + "***", url)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """LogicApp action URIs that are literal callback URLs with a signature."""
    for automation in inventory.automations:
        logic_app = {id(a) for a in logic_app_actions(automation)}
        for action in automation.actions:
            uri = action.uri
            at = action.uri_origin or action.origin
            if isinstance(uri, CallbackUrl):
                continue  # listCallbackUrl(): the right way, nothing written down
            if isinstance(uri, Unknown):
                if id(action) in logic_app:
                    ctx.unresolved(uri, at, "the action's uri (literal callback URL)")
                continue
            if not isinstance(uri, str) or "sig=" not in uri.lower():
                continue
            yield RULE.finding(
                f"the action's uri is a literal callback URL with its signature ({redact(uri)}): anyone who "
                "reads it can start the workflow; use listCallbackUrl() and regenerate the access keys",
                at=at,
            )
