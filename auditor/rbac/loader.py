"""Reading an access snapshot: the JSON an export wrote (or a live scan collected) → :class:`AccessSnapshot`.

Every value is checked as it is read, and a wrong one is a :class:`SnapshotError` naming its JSON path,
never a crash or a silently dropped assignment. Files are read through :func:`auditor.files.read_regular`
inside the allowed folder, with a size limit, and parsed with the garbage collector paused (a
tenant-sized snapshot allocates millions of small objects).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditor.rbac.snapshot import (
    AccessSnapshot,
    DenyAssignment,
    Permission,
    PrincipalRef,
    RoleAssignment,
    RoleDefinition,
    SnapshotError,
    norm_id,
)
from auditor.resource_ids import is_scope, last_segment_key, normalize, role_guid

TOP_LEVEL_KEYS = (
    "roleDefinitions",
    "roleAssignments",
    "roleEligibilityScheduleInstances",
    "denyAssignments",
    "managementGroups",
    "subscriptions",
    "groups",
)
_EFFECTS = ("enforced", "audit")


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
        management_groups={last_segment_key(k): (last_segment_key(v) if v else None) for k, v in mgs.items()},
        subscriptions={last_segment_key(k): last_segment_key(v) for k, v in subs.items() if v},
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
                    scope_key=normalize(scope),
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
        scope_key=normalize(scope),
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
        scope_key=normalize(scope),
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
