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

import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

EVERYONE = "00000000-0000-0000-0000-000000000000"
"""The object id deny assignments use for "all principals"."""

ROOT_SCOPE = "/"
MG_PREFIX = "/providers/microsoft.management/managementgroups/"
"""Normalised (lower-case) prefix of management-group scopes."""

_GROUP_TYPES = frozenset({"group", "foreigngroup"})
_EFFECTS = ("enforced", "audit")
TOP_LEVEL_KEYS = (
    "roleDefinitions",
    "roleAssignments",
    "roleEligibilityScheduleInstances",
    "denyAssignments",
    "managementGroups",
    "subscriptions",
    "groups",
)


class SnapshotError(ValueError):
    """Malformed snapshot input; ``path`` is the JSON path of the offending value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


# --------------------------------------------------------------------------- helpers


def normalize_scope(scope: str) -> str:
    """Lower-case, trimmed, no trailing ``/`` (except the root ``/``).

    ARM compares scopes case-insensitively and ignores a trailing slash; doing it
    once here lets every index use plain string keys.
    """
    s = scope.strip().lower()
    while len(s) > 1 and s.endswith("/"):
        s = s[:-1]
    return s


def is_scope(scope: str) -> bool:
    """A scope is an absolute ARM path (``/``, ``/subscriptions/…``, ``/providers/…``)."""
    return scope.strip().startswith("/")


def role_guid(ref: str) -> str:
    """The role definition GUID of any id form (``/subscriptions/x/providers/…/roleDefinitions/<guid>``).

    Role assignments carry the definition id with whatever scope prefix the
    tenant used; definitions are identified by the trailing GUID alone.
    """
    return ref.strip().rstrip("/").rsplit("/", 1)[-1].lower()


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
    scope_key: str  # normalize_scope(scope)
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


# --------------------------------------------------------------------------- loading


MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024


def load_snapshot(path: str | Path, within: Path | None = None) -> AccessSnapshot:
    """Read and index a snapshot file; raises SnapshotError (bad content) or OSError (unreadable).

    Only a regular file is read (a FIFO cannot block, a link to ``/dev/zero`` is refused), at most
    :data:`MAX_SNAPSHOT_BYTES`; ``within``: it must lie inside this folder once links are resolved (a
    snapshot named by configuration stays in the configuration's repository). JSON nested deeper than the
    decoder's recursion limit is bad content, not a crash.
    """
    from auditor.files import read_regular

    p = Path(path)
    raw = read_regular(p, max_bytes=MAX_SNAPSHOT_BYTES, roots=(within,) if within else None)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotError("", f"not UTF-8 text (byte {exc.start})") from None
    with _gc_paused():
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SnapshotError(
                "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise SnapshotError("", "not valid JSON: nested too deeply") from None
        return snapshot_from_data(data, source=str(p))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Collections triggered by ~10^5 allocations rescan the growing heap and make
    loading measurably super-linear (see benchmarks/rbac_scale.py); nothing built
    here forms reference cycles, so there is nothing for the collector to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def snapshot_from_data(data: Any, source: str | None = None) -> AccessSnapshot:
    """Parse an already-decoded snapshot (a JSON object; every key optional)."""
    with _gc_paused():
        return _snapshot_from_data(data, source)


def _snapshot_from_data(data: Any, source: str | None) -> AccessSnapshot:
    if not isinstance(data, dict):
        raise SnapshotError("$", "expected a JSON object with any of " + ", ".join(TOP_LEVEL_KEYS))
    for key in data:
        if key not in TOP_LEVEL_KEYS and not key.startswith(("_", "$")):
            raise SnapshotError(key, "unknown key (expected one of " + ", ".join(TOP_LEVEL_KEYS) + ")")
    definitions = [_role_definition(raw, p) for raw, p in _items(data, "roleDefinitions")]
    seen_defs: dict[str, RoleDefinition] = {}
    for rd in definitions:
        prior = seen_defs.get(rd.id)
        if prior is not None and (prior.permissions, prior.role_name) != (rd.permissions, rd.role_name):
            raise SnapshotError(rd.path, f"role definition {rd.id} is listed twice with different content")
        seen_defs[rd.id] = rd
    assignments: list[RoleAssignment] = []
    seen_ids: dict[tuple[str, bool], RoleAssignment] = {}
    for key, eligible in (("roleAssignments", False), ("roleEligibilityScheduleInstances", True)):
        for raw, p in _items(data, key):
            ra = _role_assignment(raw, p, eligible)
            ident = (ra.id.lower(), ra.eligible)
            earlier = seen_ids.get(ident)
            if earlier is not None:
                # the same assignment exported twice (overlapping lists) is harmless; a reused id is not
                if _content(earlier) != _content(ra):
                    raise SnapshotError(p, f"assignment id {ra.id} is listed twice with different content")
                continue
            seen_ids[ident] = ra
            assignments.append(ra)
    denies = [_deny_assignment(raw, p) for raw, p in _items(data, "denyAssignments")]
    mgs = _mapping(data, "managementGroups", allow_null=True)
    subs = _mapping(data, "subscriptions", allow_null=False)
    groups = _groups(data)
    return AccessSnapshot(
        role_definitions=definitions,
        role_assignments=assignments,
        deny_assignments=denies,
        management_groups={role_guid(k): (role_guid(v) if v else None) for k, v in mgs.items()},
        subscriptions={role_guid(k): role_guid(v) for k, v in subs.items() if v},
        groups=groups,
        source=source,
    )


def _content(ra: RoleAssignment) -> tuple[Any, ...]:
    return (ra.principal_id, ra.role_definition_id, ra.scope_key, ra.condition, ra.eligible)


def _items(data: dict[str, Any], key: str) -> list[tuple[Any, str]]:
    """A list section as (item, JSON path); accepts a bare list or an ARM ``{"value": [...]}`` page."""
    if key not in data or data[key] is None:
        return []
    value = data[key]
    base = key
    if isinstance(value, dict):
        if value.get("nextLink"):
            raise SnapshotError(
                f"{key}.nextLink", "the list is one page of several; export every page (follow nextLink)"
            )
        if "value" not in value:
            raise SnapshotError(key, "expected a list or an object with a 'value' list")
        value = value["value"]
        base = f"{key}.value"
    if not isinstance(value, list):
        raise SnapshotError(base, "expected a list")
    return [(item, f"{base}[{i}]") for i, item in enumerate(value)]


class _Item:
    """One list element in either az (flat) or ARM REST (``properties``) shape."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            raise SnapshotError(path, "expected an object")
        self.raw = raw
        self.path = path
        props = raw.get("properties")
        if props is not None and not isinstance(props, dict):
            raise SnapshotError(f"{path}.properties", "expected an object")
        self.props: dict[str, Any] | None = props

    def where(self, key: str) -> tuple[Any, str]:
        if self.props is not None and key in self.props:
            return self.props[key], f"{self.path}.properties.{key}"
        return self.raw.get(key), f"{self.path}.{key}"

    def text(self, key: str, *, required: bool = False) -> str | None:
        value, path = self.where(key)
        if value is None:
            if required:
                raise SnapshotError(path, "missing (expected a string)")
            return None
        if not isinstance(value, str):
            raise SnapshotError(path, "expected a string")
        if required and not value.strip():
            raise SnapshotError(path, "expected a non-empty string")
        return value

    def scope(self, key: str = "scope") -> str:
        value = self.text(key, required=True)
        assert value is not None
        if not is_scope(value):
            _, path = self.where(key)
            raise SnapshotError(path, f"expected a scope starting with '/', got {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value, path = self.where(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise SnapshotError(path, "expected true or false")
        return value

    def array(self, key: str) -> tuple[list[Any], str]:
        value, path = self.where(key)
        if value is None:
            return [], path
        if not isinstance(value, list):
            raise SnapshotError(path, "expected a list")
        return value, path

    def ident(self) -> str | None:
        """The item's id, else its name (both optional in hand-written snapshots)."""
        return self.text("id") or self.text("name")


def _strings(values: Any, path: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        raise SnapshotError(path, "expected a list of strings")
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise SnapshotError(f"{path}[{i}]", "expected a string")
    return tuple(values)


def _permissions(item: _Item, key: str = "permissions") -> tuple[Permission, ...]:
    blocks, path = item.array(key)
    out = []
    for i, raw in enumerate(blocks):
        bp = f"{path}[{i}]"
        if not isinstance(raw, dict):
            raise SnapshotError(bp, "expected an object")
        cond = raw.get("condition")
        if cond is not None and not isinstance(cond, str):
            raise SnapshotError(f"{bp}.condition", "expected a string or null")
        version = raw.get("conditionVersion")
        if version is not None and not isinstance(version, str):
            raise SnapshotError(f"{bp}.conditionVersion", "expected a string or null")
        out.append(
            Permission(
                actions=_strings(raw.get("actions"), f"{bp}.actions"),
                not_actions=_strings(raw.get("notActions"), f"{bp}.notActions"),
                data_actions=_strings(raw.get("dataActions"), f"{bp}.dataActions"),
                not_data_actions=_strings(raw.get("notDataActions"), f"{bp}.notDataActions"),
                condition=cond or None,
                condition_version=version,
            )
        )
    return tuple(out)


def _role_definition(raw: Any, path: str, origin: str = "snapshot") -> RoleDefinition:
    item = _Item(raw, path)
    name = item.text("name")
    full_id = item.text("id")
    if not (name or full_id):
        raise SnapshotError(path, "missing 'name' and 'id' (the role definition GUID)")
    guid = role_guid(name or full_id or "")
    scopes, spath = item.array("assignableScopes")
    return RoleDefinition(
        id=guid,
        role_name=item.text("roleName") or guid,
        permissions=_permissions(item),
        description=item.text("description") or "",
        role_type=_role_type(item),
        full_id=full_id,
        assignable_scopes=_strings(scopes, spath),
        origin=origin,
        path=path,
    )


def _role_type(item: _Item) -> str | None:
    """``roleType`` (az) or ``properties.type`` (REST): "BuiltInRole" / "CustomRole"."""
    value = item.props.get("type") if item.props is not None else item.raw.get("roleType")
    return value if isinstance(value, str) else None


def parse_role_definition(raw: Any, path: str = "", origin: str = "snapshot") -> RoleDefinition:
    """One role definition in az or REST shape (used for the shipped built-ins too)."""
    return _role_definition(raw, path, origin)


_RA_TEXT = ("principalId", "roleDefinitionId", "scope", "principalType", "condition", "conditionVersion")


def _role_assignment(raw: Any, path: str, eligible: bool) -> RoleAssignment:
    """One assignment. Snapshots hold up to ~10^5 of them, so well-formed items take a fast path
    of plain dict look-ups; anything unusual goes through the validating path for its message."""
    if type(raw) is dict:
        props = raw.get("properties")
        src = props if type(props) is dict else raw
        if props is None or src is props:
            values = [src.get(k) if k in src else raw.get(k) for k in _RA_TEXT]
            principal, role_ref, scope = values[0], values[1], values[2]
            flag = src.get("eligible", raw.get("eligible"))
            ident = raw.get("id") or raw.get("name")
            if (
                type(principal) is str
                and principal.strip()
                and type(role_ref) is str
                and role_ref.strip()
                and type(scope) is str
                and scope.strip().startswith("/")
                and all(v is None or type(v) is str for v in values[3:])
                and (flag is None or type(flag) is bool)
                and (ident is None or type(ident) is str)
            ):
                return RoleAssignment(
                    id=ident or path,
                    principal_id=norm_id(principal),
                    role_definition_id=role_guid(role_ref),
                    scope=scope,
                    scope_key=normalize_scope(scope),
                    principal_type=values[3],
                    condition=values[4] or None,
                    condition_version=values[5],
                    eligible=eligible or bool(flag),
                    role_definition_ref=role_ref,
                    path=path,
                )
    return _role_assignment_checked(raw, path, eligible)


def _role_assignment_checked(raw: Any, path: str, eligible: bool) -> RoleAssignment:
    item = _Item(raw, path)
    principal = item.text("principalId", required=True)
    role_ref = item.text("roleDefinitionId", required=True)
    assert principal is not None and role_ref is not None
    scope = item.scope()
    return RoleAssignment(
        id=item.ident() or path,
        principal_id=norm_id(principal),
        role_definition_id=role_guid(role_ref),
        scope=scope,
        scope_key=normalize_scope(scope),
        principal_type=item.text("principalType"),
        condition=item.text("condition") or None,
        condition_version=item.text("conditionVersion"),
        eligible=eligible or item.flag("eligible"),
        role_definition_ref=role_ref,
        path=path,
    )


def _principals(item: _Item, key: str) -> tuple[PrincipalRef, ...]:
    values, path = item.array(key)
    out = []
    for i, raw in enumerate(values):
        pp = f"{path}[{i}]"
        if not isinstance(raw, dict):
            raise SnapshotError(pp, "expected an object with 'id' and 'type'")
        pid = raw.get("id")
        if not isinstance(pid, str) or not pid.strip():
            raise SnapshotError(f"{pp}.id", "expected a string")
        ptype = raw.get("type")
        if ptype is not None and not isinstance(ptype, str):
            raise SnapshotError(f"{pp}.type", "expected a string")
        out.append(PrincipalRef(norm_id(pid), ptype))
    return tuple(out)


def _deny_assignment(raw: Any, path: str) -> DenyAssignment:
    item = _Item(raw, path)
    effect = item.text("denyAssignmentEffect") or "enforced"
    if effect.lower() not in _EFFECTS:
        _, epath = item.where("denyAssignmentEffect")
        raise SnapshotError(epath, f"expected 'enforced' or 'audit', got {effect!r}")
    scope = item.scope()
    ident = item.ident() or path
    principals = _principals(item, "principals")
    if not principals:
        _, ppath = item.where("principals")
        raise SnapshotError(ppath, "a deny assignment needs at least one principal")
    return DenyAssignment(
        id=ident,
        name=item.text("denyAssignmentName") or item.text("name") or ident,
        scope=scope,
        scope_key=normalize_scope(scope),
        permissions=_permissions(item),
        principals=principals,
        exclude_principals=_principals(item, "excludePrincipals"),
        do_not_apply_to_child_scopes=item.flag("doNotApplyToChildScopes"),
        effect=effect.lower(),
        condition=item.text("condition") or None,
        condition_version=item.text("conditionVersion"),
        path=path,
    )


def _mapping(data: dict[str, Any], key: str, *, allow_null: bool) -> dict[str, str | None]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SnapshotError(key, "expected an object")
    for k, v in value.items():
        if v is None and allow_null:
            continue
        if not isinstance(v, str) or not v.strip():
            what = "a management group name or null" if allow_null else "a management group name"
            raise SnapshotError(f"{key}.{k}", f"expected {what}")
    return dict(value)


def _groups(data: dict[str, Any]) -> dict[str, list[str]] | None:
    value = data.get("groups")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SnapshotError("groups", "expected an object {groupObjectId: [memberObjectId, ...]}")
    for g, members in value.items():
        _strings(members, f"groups.{g}")
    return value
