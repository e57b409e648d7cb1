"""SEC503: a template parameter that holds a secret is not declared secure.

## What it checks
Parameters declared in the scanned templates that deploy workflow automation (an automation, a Logic
App, an API connection or a DINE policy deploying automations; in Terraform, a module that declares one),
typed ``string`` or ``object`` but not ``securestring`` / ``secureObject`` (Bicep: without
``@secure()``; Terraform: a ``variable`` without ``sensitive = true``), that hold a secret

* by **name**: the name ends with a secret word, as SEC501 decides it (``apiKey``, ``clientSecret``,
  ``workspaceKey``, ``connectionString``, not ``keyVaultName`` or ``partitionKey``); or
* by **use**: the parameter is written, as it is (``[parameters('x')]``, a Bicep ``x`` or ``'${x}'``,
  ``var.x``), as a secret: the value of a SecureString workflow parameter, an HTTP action's
  ``authentication`` password / secret / pfx or a secret header (``Authorization``, ``x-api-key``), a
  connection's credential in ``parameterValues`` (``password``, ``sharedkey``, ``clientSecret``,
  ``connectionString``, …), an automation EventHub action's ``connectionString``.

A default value is not needed: the finding is about whatever value the template is deployed with. Only
declarations in scanned files count, at the declaration's line. A type that cannot be read is reported
as unresolved (SRC003), never as insecure.

## Why it matters
ARM records the value of every non-secure parameter in the deployment's history
(``Microsoft.Resources/deployments``, the portal's "Deployments" blade, ``az deployment group show``),
in plain text, readable by anyone with Reader access to the resource group, for as long as the history
is kept. A Logic App that receives the key through a SecureString workflow parameter is of little use
when the same key sits in the deployment that created it. Terraform prints a non-sensitive variable in
``plan`` and ``apply`` output, which CI logs keep.

## Example
```json
"parameters": {
  "siemApiKey": {"type": "string"}
}
```

## Use instead
```json
"parameters": {
  "siemApiKey": {"type": "securestring"}
}
```
(Bicep: ``@secure() param siemApiKey string``; Terraform: ``sensitive = true``), or pass a Key Vault
reference, or let the playbook read the secret from Key Vault at run time.

## References
- https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#security-recommendations-for-parameters
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._secrets import is_secret_header, looks_secret
from auditor.checks._util import display_name
from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, SecretInput, TemplateParameter

RULE = Rule(
    id="SEC503",
    name="secret-template-parameter-not-secure",
    severity=Severity.HIGH,
    title="Template parameter holding a secret is not secure",
    fires_when=(
        "a `string`/`object` template parameter (Terraform variable) whose name says it is a secret, or "
        "that is used directly as a credential, is not securestring / @secure() / sensitive"
    ),
    rationale=(
        "Non-secure parameter values are kept in plain text in the deployment history, which anyone with "
        "Reader access sees (Terraform: shown in plan and apply output)."
    ),
    remediation=(
        "Declare the parameter securestring / secureObject (Bicep: @secure(); Terraform: sensitive = true), "
        "or read the secret from Key Vault."
    ),
)

_KEYLESS_TERRAFORM_TYPES = frozenset({"number", "bool"})


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Secret-named or secret-used template parameters that are not declared secure."""
    uses = _uses(inventory)
    seen: set[tuple[object, ...]] = set()
    for param in inventory.template_parameters:
        key = _key(param)
        if key in seen:
            continue
        seen.add(key)
        used = uses.get(key, [])
        named = looks_secret(param.name)
        if not named and not used:
            continue
        if isinstance(param.secure, Unknown):
            ctx.unresolved(param.secure, param.origin, f"whether parameter '{param.name}' is secure")
            continue
        if param.secure or not _holds_text(param):
            continue
        yield RULE.finding(_message(param, named, used), at=param.origin)


def _key(param: TemplateParameter) -> tuple[object, ...]:
    o = param.origin
    return (o.file, o.line, o.column, param.name)


def _holds_text(param: TemplateParameter) -> bool:
    """ARM/Bicep ``string`` or ``object``; Terraform anything but a number or a bool (untyped included)."""
    type_ = param.type.strip().lower() if isinstance(param.type, str) else None
    if param.language == "terraform":
        return type_ not in _KEYLESS_TERRAFORM_TYPES
    return type_ in ("string", "object")


def _uses(inventory: Inventory) -> dict[tuple[object, ...], list[str]]:
    """For each parameter written directly as a secret: where (in words), in document order."""
    out: dict[tuple[object, ...], list[str]] = {}

    def add(secret: SecretInput | None, where: str) -> None:
        if secret is not None and secret.parameter is not None:
            out.setdefault(_key(secret.parameter), []).append(where)

    for la in inventory.logic_apps:
        name = display_name(la)
        for s in la.secret_inputs:
            if s.kind == "http-authentication":
                add(s, f"the {s.field.replace('.', ' ')} of HTTP {s.owner} of Logic App '{name}'")
            elif s.kind == "http-header" and is_secret_header(s.field.split(".", 1)[-1]):
                add(s, f"the {s.field.split('.', 1)[-1]} header of HTTP {s.owner} of Logic App '{name}'")
            elif s.kind == "secure-parameter":
                add(s, f"the value of SecureString {s.owner} of Logic App '{name}'")
    for conn in inventory.connections:
        for s in conn.secret_inputs:
            if looks_secret(s.field):
                add(s, f"credential '{s.field}' of connection '{display_name(conn)}'")
    for automation in inventory.automations:
        for action in automation.actions:
            add(
                action.connection_string,
                f"the connectionString of an action of automation '{display_name(automation)}'",
            )
    return out


def _message(param: TemplateParameter, named: bool, used: list[str]) -> str:
    reasons = []
    if named:
        reasons.append("its name says it holds a secret")
    if used:
        more = f" (and {len(used) - 1} more place{'s' if len(used) > 2 else ''})" if len(used) > 1 else ""
        reasons.append(f"it is used directly as {used[0]}{more}")
    why = " and ".join(reasons)
    if param.language == "terraform":
        value = (
            "its value (the default, or the value it is given)"
            if param.has_default
            else "the value it is given (it has no default)"
        )
        return (
            f"variable '{param.name}' is not marked sensitive although {why}: Terraform treats {value} as "
            "not secret and shows it in plan and apply output wherever it flows into an attribute the provider "
            "does not redact, and CI logs keep that output; add sensitive = true"
        )
    type_ = param.type if isinstance(param.type, str) else "?"
    value = (
        "whether it is the default written in the template or a value passed at deployment"
        if param.has_default
        else "the value passed at deployment (the template has no default)"
    )
    secure = "secureObject" if type_.lower() == "object" else "securestring"
    if param.language == "bicep":
        declared, fix = f"declared '{type_}' without @secure()", "add @secure()"
    else:
        declared, fix = f"declared '{type_}', not '{secure}'", f"declare it {secure}"
    return (
        f"parameter '{param.name}' is {declared} although {why}: ARM keeps its value, {value}, in plain "
        "text in the deployment history, which anyone with Reader access can read (not shown here); "
        f"{fix}"
    )
