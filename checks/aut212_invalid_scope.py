"""AUT212: an automation's scope has no ``scopePath``, or one that is not a subscription or resource group.

## What it checks
Every entry of an automation's ``properties.scopes`` (Terraform: every string
of ``scopes``; also automations in exported REST bodies and in DINE policies).
Its ``scopePath`` must be a subscription id (``/subscriptions/<guid>``) or a
resource group id (``/subscriptions/<guid>/resourceGroups/<name>``), compared
case-insensitively; surrounding blanks and a trailing ``/`` are tolerated, as
Azure Resource Manager compares ids without them. ``subscription().id`` and
``resourceGroup().id`` are valid: evaluated offline they give
``/subscriptions/{subscriptionId}`` (and ``…/resourceGroups/{resourceGroup}``),
and such a placeholder counts as the GUID it stands for. Fires on a scope
without ``scopePath`` (only a ``description``), an empty one, the tenant root,
a management group, a resource id, and a malformed path (``/subscription/…``,
a subscription segment that is not a GUID, an empty resource group). A
``scopePath`` only known at deployment is reported as unresolved (SRC003); an
automation without any scope is AUT209's.

## Why it matters
The scope is what the automation listens on. A scope without a path covers
nothing, so the automation never starts; a management group, a resource or a
malformed path is either rejected when the automation is written or, where it
is accepted, matches no event: workflow automation only listens on the
subscription it is defined in or on resource groups of that subscription.

## Example
```json
"scopes": [
  {"description": "Production subscription"},
  {"scopePath": "/providers/Microsoft.Management/managementGroups/corp"}
]
```

## Use instead
```json
"scopes": [{"description": "Production subscription", "scopePath": "[subscription().id]"}]
```
For a management group, deploy one automation per subscription, e.g. with the
built-in DeployIfNotExists workflow-automation policy assigned to the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="AUT212",
    name="invalid-scope",
    severity=Severity.HIGH,
    title="Automation scope is not a subscription or resource group",
    fires_when="a scope has no `scopePath`, or a `scopePath` that is not a subscription or resource-group id",
    rationale=(
        "A scope without a path covers nothing, and a management group, a resource or a malformed path is "
        "rejected or matches no event: the automation never starts."
    ),
    remediation=(
        "Give every scope a scopePath that is the automation's subscription ([subscription().id]) or a "
        "resource group of it ([resourceGroup().id]); for a management group, deploy one automation per "
        "subscription (the DeployIfNotExists policy)."
    ),
)

_WHY = {
    "empty": "an empty scopePath",
    "tenant root": "the tenant root '/'",
    "management group": "a management group",
    "resource": "a resource id",
    "malformed": "not a valid subscription or resource group id",
}


def describe(path: str) -> str | None:
    """What is wrong with a known ``scopePath`` for a message; None when it is a valid scope."""
    from auditor.resource_ids import resource_type, scope_kind

    kind = scope_kind(path)
    if kind in ("subscription", "resource group"):
        return None
    what = _WHY[kind]
    if kind == "resource":
        what += f" (of type '{resource_type(path)}')"
    elif kind == "malformed" and path.strip().lower().startswith("/subscription/"):
        what += " ('/subscription/' should be '/subscriptions/')"
    elif kind == "malformed":
        what += " (expected /subscriptions/<guid> or /subscriptions/<guid>/resourceGroups/<name>)"
    return f"scopePath '{path}' is {what}" if kind != "empty" else f"the scope has {what}"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Scopes without a scopePath, or whose scopePath is no subscription or resource group id."""
    from auditor.checks._util import display_name
    from auditor.unknown import Unknown

    for automation in inventory.automations:
        name = display_name(automation)
        if automation.scopes_unknown is not None:
            ctx.unresolved(automation.scopes_unknown, automation.origin, "the automation's scopes")
        for scope in automation.scopes:
            path = scope.scope_path
            if isinstance(path, Unknown):
                ctx.unresolved(path, scope.origin, "the scope's scopePath")
                continue
            if path is None:
                problem = "the scope has no scopePath (only a description)"
            else:
                found = describe(path)
                if found is None:
                    continue
                problem = found
            yield RULE.finding(
                f"automation '{name}': {problem}: a scope must be the automation's subscription or a resource "
                "group of it, otherwise it is rejected or covers nothing and the automation never starts",
                at=scope.origin,
            )
