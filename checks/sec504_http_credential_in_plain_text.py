"""SEC504: an HTTP action's credential is written in plain text in the workflow definition.

## What it checks
Workflow actions and triggers of type ``Http`` or ``HttpWebhook`` (at any depth: inside Scope,
Condition, Foreach, Until and Switch; for a webhook also ``subscribe`` / ``unsubscribe``) whose
``inputs.authentication`` has a ``password`` (Basic, ClientCertificate), ``secret``
(ActiveDirectoryOAuth), ``pfx`` (ClientCertificate) or ``value`` (Raw), or whose headers include a
secret one (``Authorization``, ``Proxy-Authorization``, or a name ending with a secret word as SEC501
decides it: ``x-api-key``, ``Ocp-Apim-Subscription-Key``, ``X-Auth-Token``), when that value is

* a plain string (written literally, or a template expression whose value is known: a parameter's
  default, a variable), or
* a workflow expression reading a workflow parameter that is declared but not ``SecureString`` /
  ``SecureObject`` (``@parameters('apiKey')`` with ``apiKey`` of type ``String``).

A workflow expression reading a SecureString parameter, the output of another action
(``@body('Get_secret')?['value']`` from Key Vault) or managed-identity authentication has no secret in
the definition and is fine. A value only known at deployment is reported as unresolved (SRC003), never
as plain text. The value itself is never printed.

## Why it matters
The workflow definition is readable by anyone with Reader access to the Logic App (portal code view,
``az logic workflow show``, an exported template), and the inputs of an HTTP action are shown in its run
history unless secure inputs are on. A template parameter used there does not help: ARM writes its
value into the definition at deployment.

## Example
```json
"Call_ticketing": {
  "type": "Http",
  "inputs": {
    "method": "POST", "uri": "https://tickets.example.com/api",
    "authentication": {"type": "Basic", "username": "soc-bot", "password": "[parameters('ticketPassword')]"}
  }
}
```

## Use instead
A SecureString workflow parameter (fed by a securestring template parameter) read with
``@parameters('ticketPassword')``, or the secret read from Key Vault in a previous step with secure
outputs, or ``"authentication": {"type": "ManagedServiceIdentity"}`` when the API accepts it.

## References
- https://learn.microsoft.com/azure/logic-apps/logic-apps-securing-a-logic-app#secure-action-parameters-and-inputs
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._secrets import (
    SECURE_TYPES,
    is_secret_header,
    is_workflow_expression,
    workflow_parameters_read,
)
from auditor.checks._util import display_name
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, LogicApp, SecretInput

RULE = Rule(
    id="SEC504",
    name="http-credential-in-plain-text",
    severity=Severity.HIGH,
    title="HTTP action credential stored in plain text in a Logic App definition",
    fires_when=(
        "an Http/HttpWebhook action's authentication password/secret/pfx/value or secret header is a literal, "
        "or reads a non-secure workflow parameter"
    ),
    rationale=(
        "The definition and the action's run history are readable by anyone with Reader access to the Logic "
        "App: a credential written there is disclosed."
    ),
    remediation=(
        "Read the credential from a SecureString workflow parameter or from Key Vault at run time (secure "
        "outputs), or use managed identity authentication."
    ),
)

_FIELD_WORDS = {
    "authentication.password": "authentication password",
    "authentication.secret": "client secret (authentication.secret)",
    "authentication.pfx": "client certificate (authentication.pfx)",
    "authentication.value": "raw authentication value",
    "authentication": "authentication",
}


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """HTTP credentials that are plain text or read a non-secure workflow parameter."""
    for la in inventory.logic_apps:
        for secret in la.secret_inputs:
            what = _what(secret)
            if what is None:
                continue
            value = secret.value
            if isinstance(value, Unknown):
                ctx.unresolved(value, secret.origin, f"the {what} of HTTP {secret.owner}")
                continue
            if not isinstance(value, str) or not value.strip():
                continue
            if is_workflow_expression(value):
                yield from _reads_insecure_parameter(la, secret, what, value, ctx)
                continue
            source = (
                f" (the value of template parameter '{secret.parameter.name}', which ARM writes into the "
                "definition)"
                if secret.parameter is not None
                else ""
            )
            yield RULE.finding(
                f"HTTP {secret.owner} of Logic App '{display_name(la)}' has its {what} in plain text in the "
                f"workflow definition{source}, not shown here: anyone who can read the Logic App or its run "
                "history sees it; read it from a SecureString workflow parameter or Key Vault, or use "
                "managed identity",
                at=secret.origin,
            )


def _what(secret: SecretInput) -> str | None:
    """The credential in words, or None when the input is not one (a header such as Content-Type)."""
    if secret.kind == "http-authentication":
        return _FIELD_WORDS.get(secret.field, secret.field)
    if secret.kind == "http-header":
        header = secret.field.split(".", 1)[-1]
        return f"'{header}' header" if is_secret_header(header) else None
    return None


def _reads_insecure_parameter(
    la: LogicApp, secret: SecretInput, what: str, value: str, ctx: CheckContext
) -> Iterator[Finding]:
    declared = {p.name.lower(): p for p in la.definition_parameters}
    for name in workflow_parameters_read(value):
        param = declared.get(name.lower())
        if param is None:
            continue  # not declared in this definition: nothing to say about its type
        if isinstance(param.type, Unknown):
            ctx.unresolved(param.type, param.origin, f"the type of workflow parameter '{param.name}'")
            continue
        type_ = param.type.strip() if isinstance(param.type, str) else ""
        if type_.lower() in SECURE_TYPES:
            continue
        declared_as = f"'{type_}'" if type_ else "without a type"
        yield RULE.finding(
            f"HTTP {secret.owner} of Logic App '{display_name(la)}' reads its {what} from workflow parameter "
            f"'{param.name}', which is declared {declared_as}, not SecureString: its value is shown in plain "
            "text in the workflow's parameters and the action's run history; declare it SecureString",
            at=secret.origin,
            related=(param.origin,),
        )
        return
