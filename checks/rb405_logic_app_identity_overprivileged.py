"""RB405: a Defender-triggered Logic App's managed identity holds a sweeping role.

## What it checks
Logic Apps that are part of a workflow automation (a Defender connector
trigger, or the target of an automation in the scan) whose managed identity
holds **Owner**, **Contributor**, **User Access Administrator** or any role
whose actions include ``*``, at **subscription**, **management-group** or
tenant-root scope. Two sources, and neither needs the principals of RB401–RB404:

* **the templates themselves**: a ``Microsoft.Authorization/roleAssignments``
  whose ``principalId`` is the Logic App's identity,
  ``[reference(<Logic App id>, '2019-05-01', 'full').identity.principalId]``
  (or ``reference(resourceId('Microsoft.Logic/workflows', …), …).identity.principalId``,
  a ``type/name`` or the name of a Logic App in the scan, or
  ``reference(<user-assigned identity id>).principalId`` for an identity the
  Logic App lists with a literal id). Its scope is the ``scope`` property or,
  without one, the scope the template deploys to (``subscription().id`` in a
  subscription-level template). No access snapshot is needed;
* **the access snapshot** (``--access``), for Logic Apps whose identity object
  id is known (exported or live resources carry ``identity.principalId``),
  including roles held through groups.

Roles are looked up in the built-in roles, the scan's role definitions and the
snapshot's; an unknown role definition or scope is reported by SRC003.

## Why it matters
A workflow automation runs on data an attacker can influence (alert entities,
resource names, descriptions) and its definition can be changed by anyone with
Logic App Contributor. An identity with Owner or Contributor on the subscription
turns that into control of every resource in it; User Access Administrator
into granting any role to anyone. The Defender for Cloud playbook templates
need, at most, a narrow role on the resources they remediate.

## Example
```json
{
  "type": "Microsoft.Authorization/roleAssignments",
  "apiVersion": "2022-04-01",
  "name": "[guid(subscription().id, parameters('PlaybookName'))]",
  "properties": {
    "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')]",
    "principalId": "[reference(resourceId('Microsoft.Logic/workflows', parameters('PlaybookName')), '2019-05-01', 'full').identity.principalId]",
    "principalType": "ServicePrincipal"
  }
}
```
in a subscription-level template gives the playbook Contributor on the whole subscription.

## Use instead
Assign the narrowest role that does the job at the narrowest scope: e.g.
Security Reader to read alert details, or a custom role with only the actions
the remediation performs, on the resource group that holds the target resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB405",
    name="logic-app-identity-overprivileged",
    severity=Severity.HIGH,
    title="Defender-triggered Logic App identity holds Owner, Contributor, UAA or '*' at a broad scope",
    fires_when=(
        "a Defender-triggered Logic App's identity gets Owner, Contributor, User Access Administrator or "
        "a `*` role at subscription or management-group scope (template role assignments, or the "
        "snapshot)"
    ),
    rationale=(
        "The playbook runs on attacker-influenced alert data and can be edited by Logic App contributors; a "
        "sweeping role on a subscription or management group turns either into control of everything in it."
    ),
    remediation=(
        "Grant the Logic App's identity the narrowest role that does the job (e.g. Security Reader, or a "
        "custom role) on the resource group or resources it acts on."
    ),
)


def sweeping_role(guid: str, inventory: Inventory, ctx: CheckContext) -> str | Unknown | None:
    """``'Contributor'`` / ``'Custom' (actions '*')`` when the role is sweeping, None when it is not, an
    Unknown when its definition is nowhere to be found."""
    from auditor.checks._access import CONTRIBUTOR, OWNER, USER_ACCESS_ADMINISTRATOR, find_role

    named = {
        OWNER: "Owner",
        CONTRIBUTOR: "Contributor",
        USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
    }
    if guid in named:
        return f"'{named[guid]}'"
    role = find_role(guid, inventory, ctx)
    if isinstance(role, Unknown):
        return role
    star = any(a.strip() == "*" for p in role.permissions for a in p.actions)
    return f"'{role.role_name}' (actions '*')" if star else None


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Template role assignments to, and snapshot assignments of, workflow Logic Apps' identities."""
    from auditor.checks._access import identity_links, workflow_logic_apps
    from auditor.checks._util import display_name
    from auditor.resource_ids import broad_scope_kind, role_guid

    workflow = [la for la, _triggers in workflow_logic_apps(inventory, ctx)]
    if not workflow:
        return
    for ra in inventory.role_assignments:
        if ra.principal_of is None:
            continue
        la = next((la for la in workflow if identity_links(ra, la, ctx)), None)
        if la is None:
            continue
        name = display_name(la)
        what = f"the role a template assigns to the identity of Logic App '{name}'"
        if isinstance(ra.scope, Unknown):
            ctx.unresolved(ra.scope, ra.origin, f"the scope of {what}")
            continue
        if not isinstance(ra.scope, str) or broad_scope_kind(ra.scope) is None:
            continue
        if isinstance(ra.role_definition_id, Unknown):
            ctx.unresolved(ra.role_definition_id, ra.origin, what)
            continue
        if not isinstance(ra.role_definition_id, str):
            continue
        role = sweeping_role(role_guid(ra.role_definition_id), inventory, ctx)
        if isinstance(role, Unknown):
            ctx.unresolved(role, ra.origin, what)
            continue
        if role is None:
            continue
        yield RULE.finding(
            f"the template gives the managed identity of Logic App '{name}', which Defender for Cloud triggers, "
            f"{role} at {broad_scope_kind(ra.scope)} scope {ra.scope}: whoever edits the workflow, or shapes the "
            "alerts it processes, acts with that role; grant a narrow role on the resources it acts on",
            at=ra.origin,
            related=(la.origin,),
        )
    evaluator = ctx.evaluator
    if evaluator is None:
        return
    for la in workflow:
        identity = la.identity
        if identity is None or not isinstance(identity.principal_id, str):
            continue
        name = display_name(la)
        closure = evaluator.groups_of(identity.principal_id)
        for holder, via in closure.items():
            for scope_key, assignments in evaluator.snapshot.active.get(holder, {}).items():
                if broad_scope_kind(scope_key) is None:
                    continue
                for assignment in assignments:
                    role = sweeping_role(assignment.role_definition_id, inventory, ctx)
                    if isinstance(role, Unknown):
                        ctx.unresolved(
                            role, identity.origin, f"a role the identity of Logic App '{name}' holds"
                        )
                        continue
                    if role is None:
                        continue
                    through = f" through group {holder}" if via is not None else ""
                    yield RULE.finding(
                        f"the managed identity {identity.principal_id} of Logic App '{name}', which Defender for "
                        f"Cloud triggers, holds {role} at {broad_scope_kind(scope_key)} scope {assignment.scope}"
                        f"{through} (assignment {assignment.id} in the access snapshot): grant a narrow role "
                        "on the resources it acts on instead",
                        at=identity.origin,
                        related=(la.origin,),
                        key=assignment.id,
                    )
