"""RB406: a workflow-automation DINE assignment's identity cannot deploy the automation.

## What it checks
Policy assignments of a DeployIfNotExists policy that deploys
``Microsoft.Security/automations`` (the three built-in "Deploy Workflow
Automation for Microsoft Defender for Cloud …" policies and the two built-in
continuous-export ones, "Deploy export to Log Analytics workspace / Event Hub
for Microsoft Defender for Cloud data", known from auditor's bundled data; or a
custom definition in the scan). Remediation deploys the automation *as the assignment's managed
identity*, so that identity must exist, hold the policy's ``roleDefinitionIds``
(Contributor for the built-ins) at the assignment scope, and be able to list
the target trigger's callback URL
(``Microsoft.Logic/workflows/triggers/listCallbackUrl/action``), because the
embedded template calls ``listCallbackUrl()`` on the Logic App named by the
``logicAppResourceId`` parameter, which often lives in another subscription
than the ones the assignment covers. It fires when:

* the assignment has **no managed identity** (``identity`` missing or ``None``);
  no snapshot is needed;
* the identity **lacks a role of ``roleDefinitionIds``** at the assignment scope:
  from the access snapshot (``--access``) when the identity's object id is known
  (exported assignments carry ``identity.principalId``), or, for a
  system-assigned identity the template creates, from the role assignments the
  scanned templates grant it (``principalId: [reference(<assignment id>, …,
  'full').identity.principalId]``): such an identity exists only once the
  template runs, so nothing else can have granted it a role yet;
* the identity **cannot list the callback URL** of the target trigger (same two
  sources).

Scopes with template placeholders that cannot be compared, a role that is not
known, or an identity whose object id is not known go to SRC003.

## Why it matters
Unlike the portal, an assignment created from a template (or with
``az policy assignment create`` without ``--role``) gets no role assignment:
every remediation task fails with ``AuthorizationFailed`` or
``LinkedAuthorizationFailed`` and subscriptions stay non-compliant without
workflow automation. Contributor at a subscription does not reach a Logic App in
a central SOC subscription, so ``listCallbackUrl()`` fails even when the role
assignment is there.

## Example
```json
{
  "type": "Microsoft.Authorization/policyAssignments",
  "name": "wa-alerts-soc-prod",
  "identity": {"type": "SystemAssigned"},
  "properties": {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/f1525828-9a90-4fcf-be48-268cdd02361e", "…": "…"}
}
```
with no ``Microsoft.Authorization/roleAssignments`` for
``reference(…wa-alerts-soc-prod…, 'full').identity.principalId``.

## Use instead
Give the assignment a managed identity and grant it the policy's roles at the
assignment scope, plus listCallbackUrl on the Logic App (Logic App Contributor,
or the smaller Microsoft Sentinel Playbook Operator, on the Logic App):
```json
{
  "type": "Microsoft.Authorization/roleAssignments",
  "name": "[guid(subscription().id, 'wa-alerts-soc-prod', 'contributor')]",
  "properties": {
    "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')]",
    "principalId": "[reference(subscriptionResourceId('Microsoft.Authorization/policyAssignments', 'wa-alerts-soc-prod'), '2022-06-01', 'full').identity.principalId]",
    "principalType": "ServicePrincipal"
  }
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.findings import Finding, Rule, Severity
from auditor.resource_ids import last_segment
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, Origin, PolicyAssignment, RoleAssignment

RULE = Rule(
    id="RB406",
    name="dine-remediation-cannot-deploy",
    severity=Severity.HIGH,
    title="Workflow-automation DINE assignment's identity cannot deploy the automation",
    fires_when=(
        "a workflow-automation DINE assignment has no identity, its identity lacks the policy's "
        "`roleDefinitionIds` at the assignment scope, or cannot list the target callback URL"
    ),
    rationale=(
        "Remediation deploys the automation as the assignment's managed identity: without it, without the "
        "policy's roleDefinitionIds at the assignment scope, or without listCallbackUrl on the Logic App, every "
        "remediation fails."
    ),
    remediation=(
        "Give the assignment a managed identity, grant it the policy's roleDefinitionIds at the assignment "
        "scope and listCallbackUrl on the target Logic App (e.g. Logic App Contributor on it)."
    ),
)

_SYSTEM = "systemassigned"


def _name(assignment: PolicyAssignment) -> str:
    return assignment.name if isinstance(assignment.name, str) else "?"


def links_to(ra: RoleAssignment, assignment: PolicyAssignment) -> bool:
    """Whether template role assignment ``ra`` is granted to ``assignment``'s identity."""
    from auditor.checks._access import norm

    owner = ra.principal_of
    if owner is None:
        return False
    name = _name(assignment).lower()
    if "/" not in owner:
        return owner.lower() == name
    if isinstance(assignment.id, str) and norm(assignment.id) == norm(owner):
        return True
    lowered = norm(owner)
    if lowered.endswith(f"/microsoft.authorization/policyassignments/{name}"):
        return True
    identity = assignment.identity
    return identity is not None and any(norm(u) == lowered for u in identity.user_assigned)


def callback_targets(assignment: PolicyAssignment, inventory: Inventory) -> list[tuple[Any, Origin]]:
    """The trigger ids the assignment's remediation lists callback URLs of (or the Logic App id)."""
    from auditor.checks._util import foreign_logic_app, foreign_target, logic_app_actions

    marker = f"as assigned by '{_name(assignment)}'"
    out: list[tuple[Any, Origin]] = []
    for automation in inventory.automations:
        if automation.from_policy is None or marker not in (automation.origin.deployment or ""):
            continue
        for action in logic_app_actions(automation):
            if isinstance(action.uri, CallbackUrl) and not foreign_target(action):  # else AUT210's
                out.append((action.uri.target, action.uri_origin or action.origin))
    if not out:
        for key, value in assignment.parameters.items():
            if key.lower() == "logicappresourceid" and isinstance(value, (str, Unknown)):
                if foreign_logic_app(value) is not None:
                    continue  # not a Consumption Logic App: AUT210 reports the automation it deploys
                out.append((value, assignment.origin))
    return out


def _target_label(target: str) -> str:
    from auditor.link import parse_callback_target
    from auditor.resource_ids import parent_scope

    parsed = parse_callback_target(target)
    if parsed is not None:
        return f"trigger '{parsed.trigger_name}' of Logic App '{parsed.workflow_name}'"
    name = last_segment(target)
    return f"Logic App '{name}' ({parent_scope(target)})"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Identity, roles and callback access of every workflow-automation DINE assignment."""
    from auditor.checks._access import dine_assignments

    for assignment, definition in dine_assignments(inventory):
        name = _name(assignment)
        if definition is not None:
            policy = definition.display_name if isinstance(definition.display_name, str) else definition.name
            required: Any = definition.role_definition_ids
        else:
            from auditor.builtin_policies import builtin_policies

            assigned = assignment.assigned
            builtin = builtin_policies()[assigned.definition]
            policy = builtin.display_name
            required = list(builtin.role_definition_ids)
        lead = f"policy assignment '{name}' of '{policy}'"
        identity = assignment.identity
        kind = identity.type if identity is not None else None
        if identity is None or kind is None or (isinstance(kind, str) and kind.strip().lower() == "none"):
            yield RULE.finding(
                f"{lead} has no managed identity: remediation deploys the automation as the assignment's "
                "identity, so every remediation task fails and covered subscriptions get no workflow automation",
                at=assignment.origin,
            )
            continue
        if isinstance(kind, Unknown):
            ctx.unresolved(kind, identity.origin, f"the identity type of {lead}")
            continue
        if isinstance(required, Unknown):
            ctx.unresolved(required, assignment.origin, f"the roleDefinitionIds of '{policy}'")
            required = []
        roles = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        problems = (
            _from_snapshot(assignment, roles, inventory, ctx, lead)
            if isinstance(identity.principal_id, str)
            else _from_templates(assignment, roles, inventory, ctx, lead, kind)
        )
        if problems:
            yield RULE.finding(
                f"{lead} cannot deploy its automation: {'; '.join(problems)}",
                at=identity.origin,
                related=(assignment.origin,),
            )


def _from_snapshot(
    assignment: PolicyAssignment, roles: list[str], inventory: Inventory, ctx: CheckContext, lead: str
) -> list[str]:
    """Problems of an identity whose object id is known, from the access snapshot (none without one)."""
    from auditor.checks._access import (
        IDENTITY,
        LIST_CALLBACK_URL,
        OWNER,
        Step,
        decide,
        real_scope,
        role_label,
        why_denied,
    )
    from auditor.resource_ids import role_guid

    evaluator = ctx.evaluator
    identity = assignment.identity
    if evaluator is None or identity is None or not isinstance(identity.principal_id, str):
        return []  # RB400 says the snapshot is missing
    principal = identity.principal_id
    problems: list[str] = []
    scope = real_scope(ctx, assignment.scope, assignment.origin, f"the scope of {lead}")
    if scope is not None and roles:
        keys, gap = evaluator.chain(scope)
        held: set[str] = set()
        eligible: set[str] = set()
        for holder in evaluator.groups_of(principal):
            for index, into in ((evaluator.snapshot.active, held), (evaluator.snapshot.eligible, eligible)):
                by_scope = index.get(holder, {})
                for key in keys:
                    into.update(ra.role_definition_id for ra in by_scope.get(key, ()))
        missing = [role_guid(r) for r in roles if role_guid(r) not in held and OWNER not in held]
        if missing and gap is not None:
            ctx.unresolved(Unknown(gap), assignment.origin, f"the roles of the identity of {lead}")
        elif missing:
            names = ", ".join(role_label(g, inventory, ctx) for g in missing)
            only = " (only PIM-eligible)" if all(g in eligible for g in missing) else ""
            problems.append(f"its identity {principal} lacks {names} at {scope}{only}")
    for target, at in callback_targets(assignment, inventory):
        step = Step("RB406", IDENTITY, principal, LIST_CALLBACK_URL, target, at, f"the callback of {lead}")
        decision = decide(ctx, step)
        if decision is not None and not decision.allowed and isinstance(target, str):
            problems.append(
                f"its identity {principal} cannot list the callback URL of {_target_label(target)}: "
                f"{why_denied(decision)} ({LIST_CALLBACK_URL})"
            )
    return problems


def _from_templates(
    assignment: PolicyAssignment,
    roles: list[str],
    inventory: Inventory,
    ctx: CheckContext,
    lead: str,
    kind: str,
) -> list[str]:
    """Problems of a system-assigned identity a scanned template creates, from the role assignments
    the scan grants it: it does not exist before that deployment, so nothing else can have granted it
    a role. Any other identity without a known object id is left to SRC003."""
    from auditor.checks._access import LIST_CALLBACK_URL, OWNER, contains, role_label
    from auditor.resource_ids import role_guid

    # Only the deployment that creates the identity: it must grant the roles itself (the remediation runs
    # as soon as the assignment exists), and a grant in another file of the scan would make this verdict
    # depend on what else is scanned.
    linked = [
        ra
        for ra in inventory.role_assignments
        if ra.origin.unit == assignment.origin.unit and links_to(ra, assignment)
    ]
    system = _SYSTEM in kind.replace(" ", "").lower()
    if not (system and assignment.from_template):  # an identity that may hold roles granted elsewhere
        identity = assignment.identity
        if ctx.evaluator is None:
            return []  # no snapshot was given: RB400 says so when role checks were asked for
        ctx.unresolved(
            Unknown(
                "the object id of its managed identity is not in the scan: scan the assignment as exported "
                "(`az policy assignment show`, with identity.principalId) together with --access"
            ),
            identity.origin if identity is not None else assignment.origin,
            f"the roles of the identity of {lead}",
        )
        return []
    problems: list[str] = []
    scope = assignment.scope
    what = f"the roles the template grants the identity of {lead}"
    if isinstance(scope, Unknown):
        ctx.unresolved(scope, assignment.origin, what)
    elif isinstance(scope, str) and roles:
        missing: list[str] = []
        for role in roles:
            wanted = role_guid(role)
            answers = [
                contains(ra.scope, scope)
                for ra in linked
                if isinstance(ra.role_definition_id, str)
                and role_guid(ra.role_definition_id) in (wanted, OWNER)
                and isinstance(ra.scope, str)
            ]
            if True in answers:
                continue
            if None in answers or any(not isinstance(ra.role_definition_id, str) for ra in linked):
                ctx.unresolved(Unknown(f"whether a granted role covers {scope}"), assignment.origin, what)
                continue
            missing.append(role_label(wanted, inventory, ctx))
        if missing and not linked:
            problems.append(
                f"the template creates its identity but grants it no role, while the policy's roleDefinitionIds "
                f"need {', '.join(missing)} at {scope} (unlike the portal, a template does not assign them)"
            )
        elif missing:
            problems.append(
                f"the template grants its identity roles, but not {', '.join(missing)} at {scope} (the "
                "policy's roleDefinitionIds)"
            )
    for target, at in callback_targets(assignment, inventory):
        if isinstance(target, Unknown):
            ctx.unresolved(target, at, f"the Logic App {lead} calls")
            continue
        if not isinstance(target, str):
            continue
        answer = _template_grants(linked, target, inventory, ctx)
        if answer is None:
            ctx.unresolved(
                Unknown(f"whether the roles granted to the identity reach {target}"),
                at,
                f"whether the identity of {lead} may list the callback URL",
            )
        elif answer is False:
            problems.append(
                f"its identity cannot list the callback URL of {_target_label(target)} ({LIST_CALLBACK_URL})"
            )
    return problems


def _template_grants(
    linked: list[RoleAssignment], target: str, inventory: Inventory, ctx: CheckContext
) -> bool | None:
    """Whether one of the template's role assignments grants listCallbackUrl at ``target``."""
    from auditor.checks._access import LIST_CALLBACK_URL, contains, find_role
    from auditor.resource_ids import role_guid

    undecided = False
    for ra in linked:
        if not isinstance(ra.role_definition_id, str) or not isinstance(ra.scope, str):
            undecided = True
            continue
        role = find_role(role_guid(ra.role_definition_id), inventory, ctx)
        allows = None if isinstance(role, Unknown) else role.allows(LIST_CALLBACK_URL)
        if allows is False:
            continue
        reaches = contains(ra.scope, target)
        if allows is True and reaches is True:
            return True
        if reaches is not False:
            undecided = True
    return None if undecided else False
