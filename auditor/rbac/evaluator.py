"""Azure RBAC decisions: may principal P perform action A at scope S, and why.

The evaluator is pure (no I/O: the snapshot and the built-in roles are inputs) and
answers from the snapshot's indices, so RB checks can call it thousands of times.
The model follows Azure's documented evaluation order:

1. **Deny assignments** first. Only ``enforced`` ones deny (``audit`` ones are
   reported). A deny applies when its scope contains the target (equals it with
   ``doNotApplyToChildScopes``), the principal is among its principals (directly,
   through a group, or as the everyone principal) and not excluded, and the action
   matches its actions minus its notActions. A deny wins over any grant.
2. **Grants**: active assignments of the principal or of any group containing it
   (transitively) at the target scope or an ancestor: resource → resource group →
   subscription → management groups → ``/``. Within one permission block,
   ``notActions`` subtract from ``actions``; they are not a deny.
3. **PIM-eligible** assignments grant nothing and are reported.
4. **ABAC conditions** (version 2.0) on assignments and on role permission blocks
   are evaluated with three-valued logic: a needed request attribute that was not
   supplied, or syntax we do not support, makes the grant ``conditional`` rather
   than a guess.

When the snapshot cannot settle the question (group membership not exported, a
subscription not placed in the management-group tree, a role definition missing)
and that gap could change the answer, the decision is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.rbac.conditions import (
    NormalizedAttributes,
    RequestAttributes,
    evaluate_condition,
    normalize_attributes,
)
from auditor.rbac.snapshot import (
    EVERYONE,
    MG_PREFIX,
    ROOT_SCOPE,
    AccessSnapshot,
    BlockMatch,
    DenyAssignment,
    PrincipalRef,
    RoleAssignment,
    RoleDefinition,
    norm_id,
)
from auditor.resource_ids import is_scope, normalize, role_guid

if TYPE_CHECKING:
    from auditor.rbac.builtin import BuiltinRoles, Suggestion

ALLOWED, DENIED, CONDITIONAL, UNKNOWN = "allowed", "denied", "conditional", "unknown"
DECISIONS = (ALLOWED, DENIED, CONDITIONAL, UNKNOWN)


# =========================================================================== results


@dataclass(frozen=True)
class Grant:
    """A role assignment whose role covers the action at the target scope."""

    assignment_id: str
    scope: str
    role_id: str
    role_name: str
    holder: str  # principal id of the assignment: the principal itself or a group
    via: tuple[str, ...]  # groups from the principal up to the holder ("" path = direct)
    block: int
    pattern: str
    condition: str | None = None
    eligible: bool = False
    reasons: tuple[str, ...] = ()  # why it is conditional

    def to_json(self) -> dict[str, Any]:
        """JSON form (camelCase, like ARM)."""
        return {
            "assignmentId": self.assignment_id,
            "scope": self.scope,
            "roleName": self.role_name,
            "roleId": self.role_id,
            "principalId": self.holder,
            "viaGroups": list(self.via),
            "permissionBlock": self.block,
            "pattern": self.pattern,
            "condition": self.condition,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Deny:
    """A deny assignment covering the action, principal and scope."""

    deny_assignment_id: str
    name: str
    scope: str
    pattern: str
    effect: str  # "enforced" | "audit"
    applies: str  # "yes"; "unknown" (membership or hierarchy not in the snapshot); "conditional"
    reasons: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        """An enforced deny that certainly applies."""
        return self.effect == "enforced" and self.applies == "yes"

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "denyAssignmentId": self.deny_assignment_id,
            "name": self.name,
            "scope": self.scope,
            "pattern": self.pattern,
            "effect": self.effect,
            "applies": self.applies,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Decision:
    """The answer for one (principal, scope, action) and everything that led to it."""

    decision: str
    principal: str
    scope: str
    action: str
    data_action: bool = False
    grants: tuple[Grant, ...] = ()
    conditional: tuple[Grant, ...] = ()
    denies: tuple[Deny, ...] = ()
    eligible: tuple[Grant, ...] = ()
    unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    suggestion: Suggestion | None = None

    @property
    def allowed(self) -> bool:
        """Certainly allowed."""
        return self.decision == ALLOWED

    def to_json(self) -> dict[str, Any]:
        """The ``auditor access explain --format json`` document."""
        return {
            "decision": self.decision,
            "principal": self.principal,
            "scope": self.scope,
            "action": self.action,
            "dataAction": self.data_action,
            "grants": [g.to_json() for g in self.grants],
            "denies": [d.to_json() for d in self.denies],
            "eligible": [g.to_json() for g in self.eligible],
            "conditional": [g.to_json() for g in self.conditional],
            "unknown": list(self.unknown),
            "notes": list(self.notes),
            "suggestion": self.suggestion.to_json() if self.suggestion is not None else None,
        }


@dataclass(frozen=True)
class _Chain:
    """Scopes that contain a target, most specific first, and whether the MG part is complete."""

    keys: tuple[str, ...]
    keyset: frozenset[str]
    gap: str | None  # why management-group ancestry is incomplete, if it is


@dataclass
class _Acc:
    grants: list[Grant] = field(default_factory=list)
    conditional: list[Grant] = field(default_factory=list)
    eligible: list[Grant] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# =========================================================================== evaluator


class Evaluator:
    """Answers RBAC questions against one snapshot (plus the shipped built-in roles).

    Construction is free; caches fill as questions are asked (group closures per
    principal, ancestor chains per scope, role×action matches), so one evaluator per
    snapshot should be reused across checks.
    """

    def __init__(self, snapshot: AccessSnapshot | None = None, builtins: BuiltinRoles | None = None) -> None:
        self.snapshot = snapshot if snapshot is not None else AccessSnapshot()
        self._builtins = builtins
        self._closures: dict[str, dict[str, str | None]] = {}
        self._chains: dict[str, _Chain] = {}
        self._matches: dict[tuple[str, str, bool], tuple[BlockMatch, ...]] = {}

    # ------------------------------------------------------------------ look-ups

    @property
    def builtins(self) -> BuiltinRoles:
        """The shipped built-in roles (loaded on first use)."""
        if self._builtins is None:
            from auditor.rbac.builtin import builtin_roles

            self._builtins = builtin_roles()
        return self._builtins

    def role(self, role_id: str) -> RoleDefinition | None:
        """A role by GUID (or any full id): the snapshot's definition wins over the built-in one."""
        guid = role_guid(role_id)
        found = self.snapshot.role_definitions.get(guid)
        return found if found is not None else self.builtins.by_id.get(guid)

    def groups_of(self, principal: str) -> Mapping[str, str | None]:
        """The principal and every group containing it (transitively) → the member through which
        it was reached (None for the principal itself). Cycles in ``groups`` are harmless."""
        p = norm_id(principal)
        found = self._closures.get(p)
        if found is None:
            found = {p: None}
            todo = [p]
            member_of = self.snapshot.member_of
            while todo:
                current = todo.pop()
                for group in member_of.get(current, ()):
                    if group not in found:
                        found[group] = current
                        todo.append(group)
            self._closures[p] = found
        return found

    def _via(self, closure: Mapping[str, str | None], holder: str) -> tuple[str, ...]:
        path: list[str] = []
        node: str | None = holder
        while node is not None and closure.get(node) is not None:
            path.append(node)
            node = closure[node]
        return tuple(reversed(path))

    def chain(self, scope: str) -> tuple[tuple[str, ...], str | None]:
        """Normalised scopes containing ``scope`` (itself first, ``/`` last) and, when the
        management-group ancestry is incomplete in the snapshot, why."""
        c = self._chain(normalize(scope))
        return c.keys, c.gap

    def _chain(self, target: str) -> _Chain:
        found = self._chains.get(target)
        if found is not None:
            return found
        snap = self.snapshot
        segments = [s for s in target.split("/") if s]
        keys = ["/" + "/".join(segments[:i]) for i in range(len(segments), 0, -1)]
        start: str | None = None
        gap: str | None = None
        if len(segments) >= 2 and segments[0] == "subscriptions":
            start = snap.subscriptions.get(segments[1])
            if start is None:
                gap = f"subscription {segments[1]} is not placed in a management group ('subscriptions')"
        elif len(segments) >= 4 and segments[:3] == ["providers", "microsoft.management", "managementgroups"]:
            if segments[3] in snap.management_groups:
                start = snap.management_groups[segments[3]]
            else:
                gap = f"management group {segments[3]} is not in 'managementGroups'"
        if start is not None:
            names, complete = snap.management_group_chain(start)
            keys.extend(MG_PREFIX + n for n in names)
            if not complete:
                gap = f"management group {names[-1]} is not in 'managementGroups'"
        root = snap.root_management_group
        if root is not None and MG_PREFIX + root not in keys:
            keys.append(MG_PREFIX + root)  # the tenant root group contains every subscription
        if ROOT_SCOPE not in keys:
            keys.append(ROOT_SCOPE)
        found = _Chain(tuple(keys), frozenset(keys), gap)
        self._chains[target] = found
        return found

    def matches(self, role: RoleDefinition, action: str, data_action: bool = False) -> tuple[BlockMatch, ...]:
        """``role.match`` memoised per (role, action): the same few actions are asked over and over."""
        key = (role.id, action.lower(), data_action)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = role.match(key[1], data_action)
        return found

    # ------------------------------------------------------------------ the decision

    def check(
        self,
        principal: str,
        scope: str,
        action: str,
        *,
        data_action: bool = False,
        request_attributes: RequestAttributes | None = None,
        suggest: bool = True,
    ) -> Decision:
        """Decide whether ``principal`` may perform ``action`` at ``scope``.

        ``suggest`` adds, for a ``denied`` decision that no deny assignment caused,
        the least-privileged built-in role that would grant the action.
        Raises ValueError for a scope that does not start with ``/``.
        """
        if not is_scope(scope):
            raise ValueError(f"scope must start with '/': {scope!r}")
        target = normalize(scope)
        action_l = action.strip().lower()
        attrs = normalize_attributes(request_attributes)
        closure = self.groups_of(principal)
        chain = self._chain(target)
        acc = _Acc()

        denies = self._denies(target, chain, closure, action_l, data_action, attrs)
        self._grants(chain, closure, action_l, data_action, attrs, acc)

        blocking = [d for d in denies if d.blocks]
        possible = [d for d in denies if d.effect == "enforced" and d.applies != "yes"]
        if blocking:
            decision = DENIED
        elif acc.grants:
            decision = ALLOWED
        elif acc.conditional:
            decision = CONDITIONAL
        elif acc.unknown:
            decision = UNKNOWN
        else:
            decision = DENIED
        if possible and decision in (ALLOWED, CONDITIONAL):
            decision = UNKNOWN if any(d.applies == UNKNOWN for d in possible) else CONDITIONAL
        if decision == DENIED:
            acc.unknown.clear()  # nothing unknown could have changed it
        suggestion = None
        if suggest and decision == DENIED and not blocking:
            suggestion = self.builtins.smallest_granting(action_l, data_action)
        return Decision(
            decision=decision,
            principal=principal,
            scope=scope,
            action=action,
            data_action=data_action,
            grants=tuple(acc.grants),
            conditional=tuple(acc.conditional),
            denies=tuple(denies),
            eligible=tuple(acc.eligible),
            unknown=tuple(acc.unknown),
            notes=tuple(acc.notes),
            suggestion=suggestion,
        )

    def allows(self, principal: str, scope: str, action: str, *, data_action: bool = False) -> bool:
        """Shorthand: certainly allowed (no suggestion computed)."""
        return self.check(principal, scope, action, data_action=data_action, suggest=False).allowed

    # ------------------------------------------------------------------ denies

    def _membership(self, refs: Sequence[PrincipalRef], closure: Mapping[str, str | None]) -> tuple[str, str]:
        """("yes" | "unknown" | "no", detail) for a deny's principals or exclusions."""
        uncertain = self.snapshot.uncertain_groups
        maybe = ""
        for ref in refs:
            if ref.id == EVERYONE:
                return "yes", "everyone"
            if ref.id in closure:
                return "yes", ref.id
            if ref.id in uncertain:
                maybe = ref.id
        return ("unknown", maybe) if maybe else ("no", "")

    def _denies(
        self,
        target: str,
        chain: _Chain,
        closure: Mapping[str, str | None],
        action_l: str,
        data_action: bool,
        attrs: NormalizedAttributes,
    ) -> list[Deny]:
        by_scope = self.snapshot.denies_by_scope
        candidates: list[tuple[DenyAssignment, str | None]] = []
        for key in chain.keys:
            for da in by_scope.get(key, ()):
                if da.do_not_apply_to_child_scopes and key != target:
                    continue
                candidates.append((da, None))
        if chain.gap is not None:
            for key, lst in by_scope.items():
                if key.startswith(MG_PREFIX) and key not in chain.keyset:
                    candidates.extend((da, chain.gap) for da in lst if not da.do_not_apply_to_child_scopes)
        out: list[Deny] = []
        for da, gap in candidates:
            pattern = da.match(action_l, data_action)
            if pattern is None:
                continue
            included, who = self._membership(da.principals, closure)
            if included == "no":
                continue
            excluded, ex_who = self._membership(da.exclude_principals, closure)
            if excluded == "yes":
                continue
            reasons: list[str] = []
            applies = "yes"
            if included == UNKNOWN:
                applies = UNKNOWN
                reasons.append(f"membership of group {who} is not in the snapshot ('groups')")
            if excluded == UNKNOWN:
                applies = UNKNOWN
                reasons.append(f"excluded group {ex_who} has unknown membership ('groups')")
            if gap is not None:
                applies = UNKNOWN
                reasons.append(f"deny at {da.scope} may contain the scope: {gap}")
            if da.condition:
                value, why = evaluate_condition(da.condition, da.condition_version, action_l, attrs)
                if value is False:
                    continue
                if value is None:
                    applies = CONDITIONAL if applies == "yes" else applies
                    reasons.extend(f"deny condition: {w}" for w in why)
            out.append(Deny(da.id, da.name, da.scope, pattern, da.effect, applies, tuple(reasons)))
        return out

    # ------------------------------------------------------------------ grants

    def _grants(
        self,
        chain: _Chain,
        closure: Mapping[str, str | None],
        action_l: str,
        data_action: bool,
        attrs: NormalizedAttributes,
        acc: _Acc,
    ) -> None:
        snap = self.snapshot
        for holder in closure:
            for index, eligible in ((snap.active, False), (snap.eligible, True)):
                by_scope = index.get(holder)
                if not by_scope:
                    continue
                for key in chain.keys:
                    for ra in by_scope.get(key, ()):
                        self._consider(ra, closure, action_l, data_action, attrs, acc, eligible=eligible)
            if chain.gap is not None:
                for ra in snap.mg_scoped.get(holder, ()):
                    if ra.scope_key not in chain.keyset and self._could_grant(ra, action_l, data_action):
                        acc.unknown.append(
                            f"{self._label(ra)} at {ra.scope} may contain the scope: {chain.gap}"
                        )
        # assignments to groups whose members are not known: could the principal be one?
        for key in chain.keys:
            for ra in snap.uncertain_by_scope.get(key, ()):
                if ra.principal_id not in closure and self._could_grant(ra, action_l, data_action):
                    acc.unknown.append(
                        f"{self._label(ra)} at {ra.scope} is assigned to group {ra.principal_id}, whose "
                        "membership is not in the snapshot ('groups')"
                    )

    def _label(self, ra: RoleAssignment) -> str:
        role = self.role(ra.role_definition_id)
        return f"'{role.role_name}'" if role is not None else f"role {ra.role_definition_id}"

    def _could_grant(self, ra: RoleAssignment, action_l: str, data_action: bool) -> bool:
        role = self.role(ra.role_definition_id)
        if role is None:
            return True
        return any(m.grants for m in self.matches(role, action_l, data_action))

    def _consider(
        self,
        ra: RoleAssignment,
        closure: Mapping[str, str | None],
        action_l: str,
        data_action: bool,
        attrs: NormalizedAttributes,
        acc: _Acc,
        *,
        eligible: bool,
    ) -> None:
        role = self.role(ra.role_definition_id)
        if role is None:
            if not eligible:
                acc.unknown.append(
                    f"assignment {ra.id} at {ra.scope} uses role definition {ra.role_definition_id}, "
                    "which is neither built in nor in the snapshot ('roleDefinitions')"
                )
            return
        # Several blocks may match: keep the best outcome (unconditional > conditional > false).
        best: tuple[BlockMatch, bool | None, tuple[str, ...], str | None] | None = None
        for m in self.matches(role, action_l, data_action):
            if not m.grants:
                acc.notes.append(
                    f"'{role.role_name}' at {ra.scope}: block {m.index} matches '{m.pattern}' but its "
                    f"{'notDataActions' if data_action else 'notActions'} '{m.excluded_by}' removes it"
                )
                continue
            value, reasons, condition = self._conditions(ra, m, action_l, attrs)
            if value is False:
                acc.notes.append(f"'{role.role_name}' at {ra.scope}: the condition is false for this request")
            elif best is None or (value is True and best[1] is None):
                best = (m, value, reasons, condition)
        if best is not None:
            m, value, reasons, condition = best
            via = self._via(closure, ra.principal_id)
            grant = Grant(
                assignment_id=ra.id,
                scope=ra.scope,
                role_id=role.id,
                role_name=role.role_name,
                holder=ra.principal_id,
                via=via,
                block=m.index,
                pattern=m.pattern,
                condition=condition,
                eligible=eligible,
                reasons=reasons,
            )
            if eligible:
                acc.eligible.append(grant)
            elif value is None:
                acc.conditional.append(grant)
            else:
                acc.grants.append(grant)

    @staticmethod
    def _conditions(
        ra: RoleAssignment, m: BlockMatch, action_l: str, attrs: NormalizedAttributes
    ) -> tuple[bool | None, tuple[str, ...], str | None]:
        """The assignment's and the block's conditions, both must hold (three-valued AND)."""
        conditions = [
            (text, version, where)
            for text, version, where in (
                (ra.condition, ra.condition_version, "assignment"),
                (m.condition, m.condition_version, "role"),
            )
            if text
        ]
        value: bool | None = True
        reasons: list[str] = []
        for text, version, where in conditions:
            result, why = evaluate_condition(text, version, action_l, attrs)
            if result is False:
                return False, (), None
            if result is None:
                value = None
                reasons.extend(f"{where} condition: {w}" for w in why)
        joined = " AND ".join(f"({c})" for c, _, _ in conditions) if len(conditions) > 1 else None
        return value, tuple(reasons), joined or (conditions[0][0] if conditions else None)


def explain(
    snapshot: AccessSnapshot,
    principal: str,
    scope: str,
    action: str,
    *,
    data_action: bool = False,
    request_attributes: RequestAttributes | None = None,
) -> Decision:
    """One-shot convenience: a fresh Evaluator for one question (use Evaluator for many)."""
    return Evaluator(snapshot).check(
        principal, scope, action, data_action=data_action, request_attributes=request_attributes
    )


def roles_granting(
    roles: Iterable[RoleDefinition], action: str, data_action: bool = False
) -> list[RoleDefinition]:
    """The roles among ``roles`` whose unconditional blocks grant ``action`` (scope-free)."""
    return [r for r in roles if r.allows(action, data_action)]
