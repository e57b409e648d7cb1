"""SEC501: a secret sits in plain text in a Logic App workflow definition.

## What it checks
Workflow-definition parameters (``properties.definition.parameters``) whose
name says they hold a secret (``password``, ``secret``, ``clientSecret``,
``apiKey`` / ``api_key``, ``token``, ``…Key`` such as ``workspaceKey`` or
``StorageAccountKey``), whose ``type`` is not ``SecureString`` or
``SecureObject``, and whose ``defaultValue`` is a non-empty string (written
literally, or coming from a template parameter or variable with a known value).

Names are split into words (``camelCase``, ``snake_case``, ``kebab-case``) and
the secret word must end the name: ``keyVaultName``, ``keyword``, ``monkey``,
``secretName`` or ``tokenUrl`` are not secrets, and neither are the ``Key``s
of other systems (``JiraProjectKey``, ``issueKey``, ``partitionKey``,
``publicKey``, …); the word logic is shared with SEC503 and SEC504
(``checks/_secrets.py``). The value itself is never printed.

## Why it matters
A non-secure workflow parameter is part of the definition: anyone with read
access to the Logic App (the Reader role, an exported template, the code view,
``az logic workflow show``) sees its value in plain text, and so does run
history for every action that uses it. A workspace key or an API key in a
Defender for Cloud playbook lets whoever reads it write to your SIEM or call
the third-party service as you.

## Example
```json
"definition": {
  "parameters": {
    "GreyNoiseApiKey": {"type": "String", "defaultValue": "[parameters('greyNoiseApiKey')]"}
  }
}
```

## Use instead
Declare the workflow parameter as ``SecureString`` (and the template parameter
that feeds it as ``securestring``), or better, keep the secret in Key Vault and
read it at run time with the Key Vault connector or a managed identity, with
secure inputs and outputs enabled on that action.

## References
- https://learn.microsoft.com/azure/logic-apps/logic-apps-securing-a-logic-app#secure-action-parameters-and-inputs
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._secrets import SECURE_TYPES, looks_secret
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SEC501",
    name="secret-in-definition",
    severity=Severity.HIGH,
    title="Secret stored in plain text in a Logic App definition",
    fires_when="a secret-like Logic App definition parameter is a plain string with a literal default",
    rationale=(
        "Non-secure workflow parameters are part of the definition: anyone who can read the Logic App, its "
        "export or its run history sees the value in plain text."
    ),
    remediation=(
        "Make the parameter SecureString (fed by a securestring template parameter), or read the secret from "
        "Key Vault at run time with secure inputs/outputs."
    ),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Secret-named, non-secure workflow parameters with a literal default."""
    for la in inventory.logic_apps:
        label = f"Logic App '{la.name}'" if isinstance(la.name, str) else "the Logic App"
        for param in la.definition_parameters:
            if not looks_secret(param.name) or not param.has_default:
                continue
            if isinstance(param.type, Unknown):
                ctx.unresolved(param.type, param.origin, f"the type of workflow parameter '{param.name}'")
                continue
            if isinstance(param.type, str) and param.type.strip().lower() in SECURE_TYPES:
                continue
            if isinstance(param.default, Unknown):
                ctx.unresolved(
                    param.default, param.origin, f"the default of workflow parameter '{param.name}'"
                )
                continue
            if not isinstance(param.default, str) or not param.default.strip():
                continue
            declared = f"a '{param.type}'" if isinstance(param.type, str) else "an untyped"
            yield RULE.finding(
                f"workflow parameter '{param.name}' of {label} looks like a secret but is {declared} parameter "
                "with a default value: the value is stored in plain text in the workflow definition (not shown "
                "here); declare it SecureString or read the secret from Key Vault at run time",
                at=param.origin,
            )
