"""Shared by the RB checks: who must be able to do what, and what the RBAC evaluator says about it.

The Defender for Cloud workflow-automation documentation states its prerequisites as role
names ("Security admin role or Owner on the resource group", "Logic App Operator",
"Logic App Contributor"). Role names are not what Azure checks: each step of the workflow
is an Azure RBAC *action* at a *scope*, and any role (built-in or custom) whose actions
cover it will do. This module turns the inventory into those steps and asks the
evaluator (:mod:`auditor.rbac`) about each one:

=========================  ==========  ===================================================  ======================
step                       principal   action                                               scope
=========================  ==========  ===================================================  ======================
create/update automation   deployer    ``Microsoft.Security/automations/write``             automation's resource group
resolve the callback URL   deployer    ``Microsoft.Logic/workflows/triggers/listCallbackUrl/action``  the trigger
create/edit Logic App      editors     ``Microsoft.Logic/workflows/write``                  the Logic App
authorise its connectors   editors     ``Microsoft.Web/connections/write`` and ``/join/action``  each bound connection
run the trigger            responders  ``Microsoft.Logic/workflows/triggers/run/action``    the trigger
=========================  ==========  ===================================================  ======================

A step is decided only when its scope is a real ARM scope: an ``Unknown`` scope, or one
that still holds a template placeholder (``{subscriptionId}``, ``{resourceGroup}``: the
template did not say where it deploys), is recorded with ``ctx.unresolved`` and pointed at
``--subscription``/``--resource-group``. Decisions the snapshot cannot settle
(``conditional``, ``unknown``) are recorded the same way: RB checks never guess.

Outcomes: ``allowed``; ``legacy`` (allowed only through Security Manager (Legacy): RB407);
``eligible`` (denied, but a PIM-eligible assignment would grant it: RB408); ``missing``
(denied: the step's own rule fires).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from auditor.checks._util import display_name, foreign_target, logic_app_actions, trigger_connector
from auditor.records import record
from auditor.resource_ids import MANAGEMENT_GROUP_PREFIX, normalize, parent_scope, role_guid
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, LogicApp, Origin, RoleAssignment, Trigger
    from auditor.rbac import Decision, Evaluator

AUTOMATION_WRITE = "Microsoft.Security/automations/write"
LIST_CALLBACK_URL = "Microsoft.Logic/workflows/triggers/listCallbackUrl/action"
WORKFLOW_WRITE = "Microsoft.Logic/workflows/write"
CONNECTION_WRITE = "Microsoft.Web/connections/write"
CONNECTION_JOIN = "Microsoft.Web/connections/join/action"
TRIGGER_RUN = "Microsoft.Logic/workflows/triggers/run/action"

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
LEGACY_SECURITY_MANAGER = "e3d13bf0-dd5a-482e-ba6b-9b8433878d10"

DEPLOYER, EDITORS, RESPONDERS, IDENTITY = "deployer", "editors", "responders", "identity"
LABEL = {DEPLOYER: "deployer", EDITORS: "editor", RESPONDERS: "responder", IDENTITY: "managed identity"}
FLAG = {DEPLOYER: "--deployer", EDITORS: "--editor", RESPONDERS: "--responder"}

PLACEHOLDER = re.compile(r"\{[A-Za-z]+\}")
PLACEHOLDER_HINT = (
    "for ARM templates, pass the deployment target with --subscription ID --resource-group NAME (or the "
    "'subscription' and 'resource-group' configuration keys) so it becomes a real scope"
)


# ---------------------------------------------------------------- scopes


def norm(scope: str) -> str:
    """A scope's comparison key; an empty scope is the tenant root here (a role assignment's scope)."""
    return normalize(scope) or "/"


def contains(outer: str, inner: str) -> bool | None:
    """Whether scope ``outer`` contains (or is) ``inner``; None when that cannot be told statically
    (a placeholder on one side only, or a management group whose members are not known)."""
    o, i = norm(outer), norm(inner)
    if o == "/" or o == i or i.startswith(o + "/"):
        return True
    if PLACEHOLDER.search(o) or PLACEHOLDER.search(i):
        return None
    if o.startswith(MANAGEMENT_GROUP_PREFIX) and not i.startswith(o):
        return None
    return False


# ---------------------------------------------------------------- steps


@record()
class Step:
    """One thing a declared principal must be able to do."""

    rule_id: str  # the RB rule reporting a missing permission (RB401-RB404)
    role: str  # DEPLOYER | EDITORS | RESPONDERS
    principal: str
    action: str
    scope: Any  # an ARM scope (str), an Unknown, or None when there is nothing to check
    at: Origin
    subject: str  # "automation 'x'", "trigger 'T' of Logic App 'L'", …
    group: str = ""  # steps reported together (RB403: one finding per Logic App and editor)
    owner: str = ""  # what the group is about, for messages ("Logic App 'x'")

    @property
    def who(self) -> str:
        """``deployer 1111…``."""
        return f"{LABEL[self.role]} {self.principal}"

    @property
    def what(self) -> str:
        """For ``ctx.unresolved``."""
        return f"whether {self.who} may perform {self.action} on {self.subject}"


def automation_scope(automation: Any) -> Any:
    """An automation's resource group: its id minus the provider part (Unknown stays Unknown)."""
    if isinstance(automation.id, str):
        return parent_scope(automation.id)
    return automation.id


def deployer_steps(inventory: Inventory, ctx: CheckContext) -> Iterator[Step]:
    """RB401 (write the automation) and RB402 (resolve its callback URL) for the deployer."""
    from auditor.link import parse_callback_target

    for principal in ctx.principals(DEPLOYER):
        for automation in inventory.automations:
            if automation.from_policy is not None:
                continue  # deployed by the policy assignment's identity: RB406
            name = display_name(automation)
            yield Step(
                "RB401",
                DEPLOYER,
                principal,
                AUTOMATION_WRITE,
                automation_scope(automation),
                automation.origin,
                f"automation '{name}'",
            )
            for action in logic_app_actions(automation):
                if not isinstance(action.uri, CallbackUrl):
                    continue  # a literal URL (SEC502) or nothing: the deployment calls no listCallbackUrl
                if foreign_target(action):
                    continue  # not a Consumption Logic App (AUT210): no Microsoft.Logic permission to ask
                target = action.uri.target
                parsed = parse_callback_target(target)
                subject = (
                    f"trigger '{parsed.trigger_name}' of Logic App '{parsed.workflow_name}'"
                    if parsed is not None
                    else "the trigger named by listCallbackUrl()"
                )
                yield Step(
                    "RB402",
                    DEPLOYER,
                    principal,
                    LIST_CALLBACK_URL,
                    target if isinstance(target, (str, Unknown)) else None,
                    action.uri_origin or action.origin,
                    f"{subject} (automation '{name}')",
                )


def workflow_logic_apps(inventory: Inventory, ctx: CheckContext) -> list[tuple[LogicApp, list[Trigger]]]:
    """Logic Apps that are part of a workflow automation, with the triggers Defender runs.

    A Logic App counts when an automation in the scan targets it or when one of its triggers
    is on a Defender connector; its triggers are the Defender ones plus those named by the
    automations' ``listCallbackUrl``.
    """
    from auditor.catalog import DEFENDER_CONNECTORS
    from auditor.link import Links, parse_callback_target
    from auditor.model import LogicApp

    named: dict[int, list[str]] = {}
    for automation in inventory.automations:
        for action in logic_app_actions(automation):
            found = ctx.links.logic_app(action.logic_app_id, automation.origin)
            target = parse_callback_target(action.uri.target) if isinstance(action.uri, CallbackUrl) else None
            if found is None and target is not None:
                found = ctx.links.logic_app(target.workflow_id, automation.origin)
            la = found if isinstance(found, LogicApp) else None  # an ambiguous name names none
            if la is not None:
                names = named.setdefault(id(la), [])
                if target is not None:
                    names.append(target.trigger_name)
    out: list[tuple[LogicApp, list[Trigger]]] = []
    for la in inventory.logic_apps:
        triggers = [
            t
            for t in la.triggers
            if (api := trigger_connector(ctx.links, ctx.catalog, la, t)) is not None
            and isinstance(api, str)
            and api.lower() in DEFENDER_CONNECTORS
        ]
        for name in named.get(id(la), []):
            trigger = Links.trigger(la, name)
            if trigger is not None and trigger not in triggers:
                triggers.append(trigger)
        if triggers or id(la) in named:
            out.append((la, triggers))
    return out


def editor_steps(inventory: Inventory, ctx: CheckContext) -> Iterator[Step]:
    """RB403: editors write the Logic App and write/join its connections."""
    editors = ctx.principals(EDITORS)
    if not editors:
        return
    for la, _triggers in workflow_logic_apps(inventory, ctx):
        name = display_name(la)
        group = f"{la.origin.file}:{la.origin.json_path}"
        owner = f"Logic App '{name}'"
        for principal in editors:
            yield Step("RB403", EDITORS, principal, WORKFLOW_WRITE, la.id, la.origin, owner, group, owner)
            if la.bindings_unknown is not None:
                yield Step(
                    "RB403",
                    EDITORS,
                    principal,
                    CONNECTION_WRITE,
                    la.bindings_unknown,
                    la.origin,
                    f"the connections of Logic App '{name}'",
                    group,
                    owner,
                )
            for binding in la.bindings:
                if binding.connection_id is None:
                    continue
                for action in (CONNECTION_WRITE, CONNECTION_JOIN):
                    yield Step(
                        "RB403",
                        EDITORS,
                        principal,
                        action,
                        binding.connection_id,
                        la.origin,
                        f"connection '{binding.key}' of Logic App '{name}'",
                        group,
                        owner,
                    )


def responder_steps(inventory: Inventory, ctx: CheckContext) -> Iterator[Step]:
    """RB404: responders run each trigger Defender (or a responder, from an alert) starts."""
    responders = ctx.principals(RESPONDERS)
    if not responders:
        return
    for la, triggers in workflow_logic_apps(inventory, ctx):
        name = display_name(la)
        for trigger in triggers:
            scope = f"{la.id}/triggers/{trigger.name}" if isinstance(la.id, str) else la.id
            for principal in responders:
                yield Step(
                    "RB404",
                    RESPONDERS,
                    principal,
                    TRIGGER_RUN,
                    scope,
                    trigger.origin,
                    f"trigger '{trigger.name}' of Logic App '{name}'",
                )


def all_steps(inventory: Inventory, ctx: CheckContext) -> Iterator[Step]:
    """Every step of every declared principal (RB407, RB408)."""
    yield from deployer_steps(inventory, ctx)
    yield from editor_steps(inventory, ctx)
    yield from responder_steps(inventory, ctx)


# ---------------------------------------------------------------- decisions

_DECISIONS: WeakKeyDictionary[Evaluator, dict[tuple[str, str, str], Decision]] = WeakKeyDictionary()


def check_cached(evaluator: Evaluator, principal: str, scope: str, action: str) -> Decision:
    """``evaluator.check`` memoised for the run (RB407 and RB408 ask what RB401-RB404 asked)."""
    cache = _DECISIONS.setdefault(evaluator, {})
    key = (principal.lower(), scope.lower(), action.lower())
    found = cache.get(key)
    if found is None:
        found = cache[key] = evaluator.check(principal, scope, action)
    return found


def real_scope(ctx: CheckContext, scope: Any, at: Origin, what: str, *, record: bool = True) -> str | None:
    """``scope`` when it can be checked against a snapshot, else None (recorded as unresolved)."""
    if isinstance(scope, Unknown):
        if record:
            ctx.unresolved(scope, at, what)
        return None
    if not isinstance(scope, str) or not scope.strip().startswith("/"):
        return None
    if PLACEHOLDER.search(scope):
        if record:
            held = sorted(set(PLACEHOLDER.findall(scope)))
            target = {"{subscriptionId}", "{resourceGroup}"} & set(held)
            hint = PLACEHOLDER_HINT if target else "it is only known at deployment"
            ctx.unresolved(
                Unknown(f"the scope still holds the template placeholder(s) {', '.join(held)}; {hint}"),
                at,
                what,
            )
        return None
    return scope


def decide(ctx: CheckContext, step: Step, *, record: bool = True) -> Decision | None:
    """The evaluator's decision for ``step``; None when there is no snapshot or it cannot be decided
    (then, with ``record``, the reason goes to SRC003)."""
    from auditor.rbac import ALLOWED, DENIED

    evaluator = ctx.evaluator
    if evaluator is None:
        return None
    scope = real_scope(ctx, step.scope, step.at, step.what, record=record)
    if scope is None:
        return None
    decision = check_cached(evaluator, step.principal, scope, step.action)
    if decision.decision in (ALLOWED, DENIED):
        return decision
    if record:
        reasons = [r for g in decision.conditional for r in g.reasons]
        reasons += list(decision.unknown)
        reasons += [r for d in decision.denies for r in d.reasons]
        why = "; ".join(dict.fromkeys(reasons)) or f"the snapshot leaves it {decision.decision}"
        ctx.unresolved(Unknown(f"{decision.decision}: {why}"), step.at, step.what)
    return None


def outcome(decision: Decision) -> str:
    """``allowed`` | ``legacy`` | ``eligible`` | ``missing`` (see the module docstring)."""
    if decision.allowed:
        if decision.grants and all(g.role_id == LEGACY_SECURITY_MANAGER for g in decision.grants):
            return "legacy"
        return "allowed"
    if decision.eligible and not any(d.blocks for d in decision.denies):
        return "eligible"
    return "missing"


def why_denied(decision: Decision) -> str:
    """The end of a 'cannot' message: the deny assignment, or the smallest role that would grant it."""
    blocking = [d for d in decision.denies if d.blocks]
    if blocking:
        d = blocking[0]
        return (
            f"deny assignment '{d.name}' at {d.scope} blocks it (it matches '{d.pattern}'); no role assignment "
            "can help: remove or exclude the principal from the deny assignment"
        )
    text = "no active role assignment grants it at that scope or above"
    if decision.suggestion is not None:
        text += f"; the smallest built-in role that does is '{decision.suggestion.role_name}'"
    return text


def grant_text(grants: Iterable[Any]) -> str:
    """``'Security Admin' at /subscriptions/x`` for each grant, joined."""
    return ", ".join(dict.fromkeys(f"'{g.role_name}' at {g.scope}" for g in grants))


def retired(role: Any) -> bool:
    """Legacy and deprecated roles are never suggested (as in auditor.rbac.builtin)."""
    name, text = role.role_name.lower(), role.description.lower()
    return "(legacy)" in name or "(deprecated)" in name or "deprecat" in text or "legacy role" in text


@lru_cache(maxsize=64)
def smallest_role_for(actions: frozenset[str]) -> str | None:
    """The built-in role granting all ``actions`` with the fewest operations (ties: fewer entries, name)."""
    from auditor.rbac import builtin_roles

    builtins = builtin_roles()
    best: tuple[int, int, str] | None = None
    answer: str | None = None
    for role in builtins:
        if retired(role) or not all(role.allows(a) for a in actions):
            continue
        rank = (builtins.breadth(role), role.total_actions, role.role_name.lower())
        if best is None or rank < best:
            best, answer = rank, role.role_name
    return answer


# ---------------------------------------------------------------- template identities


def identity_links(ra: RoleAssignment, la: LogicApp, ctx: CheckContext) -> bool:
    """Whether template role assignment ``ra`` is granted to ``la``'s managed identity."""
    owner = ra.principal_of
    if owner is None:
        return False
    if "/" not in owner:  # reference('<name>'): a resource (or symbolic) name
        return isinstance(la.name, str) and la.name.lower() == owner.lower()
    if not owner.startswith("/"):  # a relative 'Microsoft.Logic/workflows/<name>'
        return isinstance(la.id, str) and norm(la.id).endswith("/providers/" + norm(owner))
    if ctx.links.logic_app(owner, ra.origin) is la:
        return True
    identity = la.identity
    return identity is not None and any(norm(u) == norm(owner) for u in identity.user_assigned)


# ---------------------------------------------------------------- DINE policy assignments


# The built-in "Deploy Workflow Automation for Microsoft Defender for Cloud …" policies (v5.0.1); all
# three list Contributor in roleDefinitionIds (shared/domain/policies-summary.json).
def dine_assignments(inventory: Inventory) -> Iterator[tuple[Any, Any]]:
    """(policy assignment, its DINE definition deploying automations, or None for a bundled built-in one:
    the source evaluated it from auditor/data/builtin-policies.json as ``assignment.assigned``)."""
    definitions: dict[str, Any] = {}
    for definition in inventory.policy_definitions:
        if not definition.deploys_automation:
            continue
        for alias in (definition.name, definition.display_name):
            if isinstance(alias, str):
                definitions.setdefault(alias.lower(), definition)
    for assignment in inventory.policy_assignments:
        if not isinstance(assignment.policy_definition_id, str):
            continue
        found = definitions.get(role_guid(assignment.policy_definition_id))
        assigned = assignment.assigned
        if found is not None or (assigned is not None and assigned.builtin and assigned.deploys_automation):
            yield assignment, found


# ---------------------------------------------------------------- roles


def find_role(guid: str, inventory: Inventory, ctx: CheckContext) -> Any:
    """The role definition ``guid`` names: the snapshot's, a built-in one, or one defined in the scan
    (as an :class:`auditor.rbac.RoleDefinition`); an Unknown when it is nowhere to be found."""
    evaluator = ctx.evaluator
    if evaluator is not None:
        role = evaluator.role(guid)
    else:
        from auditor.rbac import builtin_roles

        role = builtin_roles().get(guid)
    if role is not None:
        return role
    for definition in inventory.role_definitions:
        if isinstance(definition.id, str) and role_guid(definition.id) == guid:
            return _scanned_role(guid, definition.role_name, definition.permissions)
    return Unknown(
        f"role definition {guid} is neither built in nor defined in the scan or the access snapshot"
    )


def _scanned_role(guid: str, role_name: Any, permissions: Any) -> Any:
    """A role defined in the scan as an :class:`auditor.rbac.RoleDefinition`; the source parsed its blocks."""
    from auditor.rbac import Permission, RoleDefinition

    name = role_name if isinstance(role_name, str) else guid
    if not isinstance(permissions, tuple):
        return Unknown(f"the permissions of role definition '{name}' are not known statically")
    blocks = tuple(
        Permission(
            actions=p.actions,
            not_actions=p.not_actions,
            data_actions=p.data_actions,
            not_data_actions=p.not_data_actions,
            condition=p.condition,
            condition_version=p.condition_version,
        )
        for p in permissions
    )
    return RoleDefinition(id=guid, role_name=name, permissions=blocks, origin="scan")


def role_label(guid: str, inventory: Inventory, ctx: CheckContext) -> str:
    """``'Contributor'`` (or ``role <guid>`` when unknown), for messages."""
    role = find_role(guid, inventory, ctx)
    return f"role {guid}" if isinstance(role, Unknown) else f"'{role.role_name}'"
