"""Access snapshots: role definitions, assignments, deny assignments and the tenant's shape.

A snapshot is what an auditor can export from a tenant without running anything
live (``az role definition list``, ``az role assignment list --all``, the ARM REST
list bodies, PIM eligibility instances, deny assignments, the management-group
tree and group memberships). This module turns that JSON into typed, immutable
objects and builds the indices the evaluator needs *once*, so each later check is
a handful of dictionary look-ups:

* active and eligible assignments by principal, then by normalised scope;
* deny assignments by normalised scope;
* group membership reversed (member → groups that contain it);
* the set of groups whose membership cannot be established ("uncertain"), so a
  decision that depends on one can say ``unknown`` instead of guessing.

Everything is linear in the size of the input. Malformed input raises
:class:`SnapshotError` whose message starts with the JSON path of the offending
value (``roleAssignments[3].scope: expected a string``); nothing is dropped
silently. Unknown *item* keys (``principalName``, ``createdOn``…) are ignored
because the az and REST outputs carry many that do not affect decisions; unknown
*top-level* keys are errors, because a misspelt section would otherwise vanish.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from auditor.resource_ids import MANAGEMENT_GROUP_PREFIX

EVERYONE = "00000000-0000-0000-0000-000000000000"
"""The object id deny assignments use for "all principals"."""

ROOT_SCOPE = "/"
MG_PREFIX = MANAGEMENT_GROUP_PREFIX
"""Normalised (lower-case) prefix of management-group scopes."""

_GROUP_TYPES = frozenset({"group", "foreigngroup"})


class SnapshotError(ValueError):
    """Malformed snapshot input; ``path`` is the JSON path of the offending value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


# --------------------------------------------------------------------------- helpers


def norm_id(object_id: str) -> str:
    """Directory object ids compared case-insensitively."""
    return object_id.strip().lower()


@cache
def _wildcard(pattern_lower: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern_lower.split("*")), re.DOTALL)


def pattern_matches(pattern: str, action: str) -> bool:
    """Azure RBAC action matching: case-insensitive, anchored, ``*`` = any run of characters (incl. ``/``)."""
    p, a = pattern.lower(), action.lower()
    if "*" not in p:
        return p == a
    return _wildcard(p).fullmatch(a) is not None


def _compile_patterns(patterns: Sequence[str]) -> tuple[tuple[str, str, re.Pattern[str] | None], ...]:
    out = []
    for p in patterns:
        low = p.lower()
        out.append((p, low, _wildcard(low) if "*" in low else None))
    return tuple(out)


def _first(compiled: tuple[tuple[str, str, re.Pattern[str] | None], ...], action_lower: str) -> str | None:
    for original, low, rx in compiled:
        if rx is None:
            if low == action_lower:
                return original
        elif rx.fullmatch(action_lower) is not None:
            return original
    return None


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Permission:
    """One permission block of a role definition or deny assignment.

    ``notActions`` only subtract from ``actions`` of the *same* block: they are not
    a deny, another block or role may still grant the action.
    """

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    condition: str | None = None
    condition_version: str | None = None
    # compiled on first use: most of the ~950 built-in blocks are never matched in a run
    _compiled: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    def _patterns(self) -> tuple[Any, ...]:
        if not self._compiled:
            object.__setattr__(
                self,
                "_compiled",
                (
                    _compile_patterns(self.actions),
                    _compile_patterns(self.not_actions),
                    _compile_patterns(self.data_actions),
                    _compile_patterns(self.not_data_actions),
                ),
            )
        return self._compiled

    def match(self, action_lower: str, data_action: bool) -> tuple[str | None, str | None]:
        """(pattern that matches, notAction pattern that removes it again); both None when no match.

        ``action_lower`` must already be lower-case (the evaluator lowers once per check).
        """
        compiled = self._patterns()
        grant, exclude = (compiled[2], compiled[3]) if data_action else (compiled[0], compiled[1])
        pattern = _first(grant, action_lower)
        if pattern is None:
            return None, None
        return pattern, _first(exclude, action_lower)

    @property
    def size(self) -> int:
        """Number of action and data-action entries (patterns, not operations)."""
        return len(self.actions) + len(self.data_actions)


@dataclass(frozen=True)
class BlockMatch:
    """A permission block whose actions (or dataActions) match an action."""

    index: int
    pattern: str
    excluded_by: str | None  # the notActions/notDataActions pattern that removes it, if any
    condition: str | None
    condition_version: str | None

    @property
    def grants(self) -> bool:
        """Matched and not removed by the block's own not-list (a condition may still apply)."""
        return self.excluded_by is None


@dataclass(frozen=True)
class RoleDefinition:
    """A built-in or custom role; ``id`` is the lower-case GUID (the definition's ``name``)."""

    id: str
    role_name: str
    permissions: tuple[Permission, ...]
    description: str = ""
    role_type: str | None = None
    full_id: str | None = None
    assignable_scopes: tuple[str, ...] = ()
    origin: str = "snapshot"  # "snapshot" or "builtin"
    path: str = ""  # JSON path in the snapshot, for messages

    def match(self, action: str, data_action: bool = False) -> tuple[BlockMatch, ...]:
        """Every block whose (data)actions match ``action``, including ones its not-list removes."""
        low = action.lower()
        out = []
        for i, block in enumerate(self.permissions):
            pattern, excluded = block.match(low, data_action)
            if pattern is not None:
                out.append(BlockMatch(i, pattern, excluded, block.condition, block.condition_version))
        return tuple(out)

    def allows(self, action: str, data_action: bool = False) -> bool:
        """True when a block without a condition grants the action (no assignment, no scope: the role alone)."""
        return any(m.grants and not m.condition for m in self.match(action, data_action))

    @property
    def total_actions(self) -> int:
        """Count of action and data-action entries over all blocks."""
        return sum(p.size for p in self.permissions)


@dataclass(frozen=True)
class PrincipalRef:
    """A principal named by a deny assignment (``principals`` / ``excludePrincipals``)."""

    id: str  # lower-case object id
    type: str | None = None

    @property
    def is_group(self) -> bool:
        """Declared as a (foreign) group."""
        return (self.type or "").lower() in _GROUP_TYPES


@dataclass(frozen=True)
class RoleAssignment:
    """An active or PIM-eligible role assignment."""

    id: str
    principal_id: str  # lower-case
    role_definition_id: str  # lower-case GUID
    scope: str  # as given
    scope_key: str  # auditor.resource_ids.normalize(scope)
    principal_type: str | None = None
    condition: str | None = None
    condition_version: str | None = None
    eligible: bool = False
    role_definition_ref: str = ""  # as given
    path: str = ""

    @property
    def is_group(self) -> bool:
        """Assigned to a (foreign) group."""
        return (self.principal_type or "").lower() in _GROUP_TYPES


@dataclass(frozen=True)
class DenyAssignment:
    """A deny assignment; ``effect`` "audit" ones are reported but never deny."""

    id: str
    name: str
    scope: str
    scope_key: str
    permissions: tuple[Permission, ...]
    principals: tuple[PrincipalRef, ...]
    exclude_principals: tuple[PrincipalRef, ...] = ()
    do_not_apply_to_child_scopes: bool = False
    effect: str = "enforced"
    condition: str | None = None
    condition_version: str | None = None
    path: str = ""

    def match(self, action: str, data_action: bool = False) -> str | None:
        """The pattern that makes this deny cover the action, or None."""
        low = action.lower()
        for block in self.permissions:
            pattern, excluded = block.match(low, data_action)
            if pattern is not None and excluded is None:
                return pattern
        return None


# --------------------------------------------------------------------------- the snapshot


class AccessSnapshot:
    """An indexed, immutable view of a tenant's authorization data.

    Build it from objects (tests, synthetic what-if assignments from templates)
    or through :func:`load_snapshot` / :func:`snapshot_from_data`. Indices are built
    in the constructor, in one pass over each list.
    """

    def __init__(
        self,
        *,
        role_definitions: Iterable[RoleDefinition] = (),
        role_assignments: Iterable[RoleAssignment] = (),
        deny_assignments: Iterable[DenyAssignment] = (),
        management_groups: Mapping[str, str | None] | None = None,
        subscriptions: Mapping[str, str] | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
        source: str | None = None,
    ) -> None:
        self.source = source
        self.role_definitions: dict[str, RoleDefinition] = {}
        for rd in role_definitions:
            self.role_definitions[rd.id] = rd
        self.role_assignments: tuple[RoleAssignment, ...] = tuple(role_assignments)
        self.deny_assignments: tuple[DenyAssignment, ...] = tuple(deny_assignments)
        self.management_groups: dict[str, str | None] = {
            norm_id(k): (norm_id(v) if v else None) for k, v in (management_groups or {}).items()
        }
        self.subscriptions: dict[str, str] = {
            norm_id(k): norm_id(v) for k, v in (subscriptions or {}).items()
        }
        self.groups: dict[str, tuple[str, ...]] = {
            norm_id(g): tuple(norm_id(m) for m in members) for g, members in (groups or {}).items()
        }
        self.has_groups = groups is not None
        self._check_mg_cycles()
        roots = [name for name, parent in self.management_groups.items() if parent is None]
        self.root_management_group: str | None = roots[0] if len(roots) == 1 else None

        # member → groups that list it directly
        self.member_of: dict[str, list[str]] = {}
        for g, members in self.groups.items():
            for m in members:
                self.member_of.setdefault(m, []).append(g)

        # indices by principal then scope; MG-scoped ones kept apart for incomplete hierarchies
        self.active: dict[str, dict[str, list[RoleAssignment]]] = {}
        self.eligible: dict[str, dict[str, list[RoleAssignment]]] = {}
        self.mg_scoped: dict[str, list[RoleAssignment]] = {}
        declared_groups: set[str] = set()
        for ra in self.role_assignments:
            index = self.eligible if ra.eligible else self.active
            index.setdefault(ra.principal_id, {}).setdefault(ra.scope_key, []).append(ra)
            if not ra.eligible and ra.scope_key.startswith(MG_PREFIX):
                self.mg_scoped.setdefault(ra.principal_id, []).append(ra)
            if ra.is_group:
                declared_groups.add(ra.principal_id)
        self.denies_by_scope: dict[str, list[DenyAssignment]] = {}
        for da in self.deny_assignments:
            self.denies_by_scope.setdefault(da.scope_key, []).append(da)
            declared_groups.update(p.id for p in da.principals + da.exclude_principals if p.is_group)

        self.uncertain_groups: frozenset[str] = self._uncertain(declared_groups)
        # active assignments held by groups whose members are not (fully) known, by scope
        self.uncertain_by_scope: dict[str, list[RoleAssignment]] = {}
        for g in self.uncertain_groups:
            for scope_key, lst in self.active.get(g, {}).items():
                self.uncertain_by_scope.setdefault(scope_key, []).extend(lst)

    def _check_mg_cycles(self) -> None:
        state: dict[str, int] = {}  # 1 = on the current walk, 2 = known to reach a root or a gap
        for start in self.management_groups:
            walk: list[str] = []
            node: str | None = start
            while node is not None and node in self.management_groups and state.get(node) != 2:
                if state.get(node) == 1:
                    cycle = " → ".join([*walk[walk.index(node) :], node])
                    raise SnapshotError("managementGroups", f"cycle in the management-group tree: {cycle}")
                state[node] = 1
                walk.append(node)
                node = self.management_groups[node]
            for n in walk:
                state[n] = 2

    def _uncertain(self, declared_groups: set[str]) -> frozenset[str]:
        """Groups whose members cannot be listed: declared groups absent from ``groups``, and
        (transitively) every listed group that contains one of them."""
        todo = [g for g in declared_groups if g not in self.groups]
        seen = set(todo)
        while todo:
            g = todo.pop()
            for parent in self.member_of.get(g, ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)

    def management_group_chain(self, name: str | None) -> tuple[tuple[str, ...], bool]:
        """``name`` and its ancestors up to the root, and whether the walk reached a root.

        False means a management group on the way is not in ``managementGroups`` (or
        ``name`` is None), so further ancestors are unknown.
        """
        chain: list[str] = []
        node = name
        while node is not None:
            chain.append(node)
            if node not in self.management_groups:
                return tuple(chain), False
            node = self.management_groups[node]
        return tuple(chain), name is not None

    def __repr__(self) -> str:
        return (
            f"AccessSnapshot({len(self.role_definitions)} definitions, {len(self.role_assignments)} "
            f"assignments, {len(self.deny_assignments)} denies, source={self.source!r})"
        )
