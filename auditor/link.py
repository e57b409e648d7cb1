"""The one place cross-resource links are resolved.

automation action → Logic App (by ``logicAppResourceId``) → trigger (by the
name inside a ``listCallbackUrl`` target) → ``$connections`` key → connection
resource → managed API. Everything is indexed once (ids compare case-
insensitively, as ARM does), so checks ask questions in O(1) instead of
nested scans over the inventory.

Links are resolved by deployment, not by name alone (:meth:`Links.logic_app`):
a reference finds its target inside the deployment unit it was written in
(:attr:`auditor.model.Origin.unit`: the template with its nested deployments and
modules, the Terraform root module) first, and in another file of the scan only
when that is the one candidate and nothing in the two ids tells their scopes
apart. Two candidates elsewhere (a prod and a legacy copy of a playbook, an
``archived/`` folder) are an :class:`~auditor.unknown.Unknown` naming them,
never a guess: the verdict on a template must not depend on what else is scanned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from auditor import lazyre
from auditor.model import Connection, ConnectionBinding, Inventory, LogicApp, Origin, Trigger
from auditor.records import record
from auditor.resource_ids import last_segment_key, normalize, scopes_may_be_equal
from auditor.unknown import AmbiguousLink, Unknown, is_unknown

_Element = TypeVar("_Element", LogicApp, Connection)

_TRIGGER_IN_ID = lazyre.compile(
    r"/providers/microsoft\.logic/workflows/([^/]+)/triggers/([^/]+)/?$", re.IGNORECASE
)
_WORKFLOW_IN_ID = lazyre.compile(r"/providers/microsoft\.logic/workflows/([^/]+)/?$", re.IGNORECASE)


def _type_and_name(resource_id: str) -> str | None:
    """``microsoft.logic/workflows/<name>``: the part of an id that survives placeholder subscriptions."""
    match = _WORKFLOW_IN_ID.search(resource_id)
    return f"microsoft.logic/workflows/{match.group(1).lower()}" if match else None


@record()
class CallbackTarget:
    """What a ``listCallbackUrl`` target string names."""

    workflow_id: str
    workflow_name: str
    trigger_name: str


_WORKFLOW_NAME = lazyre.compile(r"/providers/microsoft\.logic/workflows/([^/]+)", re.IGNORECASE)


def workflow_name(resource_id: object) -> str | None:
    """The Logic App name inside an id (of the workflow or of anything below it), None otherwise."""
    match = _WORKFLOW_NAME.search(resource_id) if isinstance(resource_id, str) else None
    return match.group(1) if match else None


def parse_callback_target(target: object) -> CallbackTarget | None:
    """Split ``…/Microsoft.Logic/workflows/<la>/triggers/<name>`` (None when it is not such an id)."""
    if not isinstance(target, str):
        return None
    match = _TRIGGER_IN_ID.search(target.strip())
    if not match:
        return None
    workflow_id = target[: match.start()] + f"/providers/Microsoft.Logic/workflows/{match.group(1)}"
    return CallbackTarget(workflow_id, match.group(1), match.group(2))


def managed_api_from_id(api_id: object) -> str | None:
    """``…/managedApis/<name>`` → ``<name>`` (None when not such an id or unknown)."""
    if not isinstance(api_id, str):
        return None
    idx = api_id.lower().rfind("/managedapis/")
    if idx < 0:
        return None
    return api_id[idx + len("/managedapis/") :].strip("/") or None


def _where(element: LogicApp | Connection) -> str:
    origin = element.origin
    if origin.file is None:
        return "live"
    return f"{origin.file}:{origin.line}" if origin.line else origin.file


def _resolve(
    target_id: str | None,
    exact: Sequence[_Element],
    named: Sequence[_Element],
    near: Origin | None,
    kind: str,
    name: str,
) -> _Element | Unknown | None:
    """The element a reference written at ``near`` means, among those with its id and those with its name.

    Inside the reference's own deployment unit: the element with that id, else the one of that name (more
    than one is ambiguous). Elsewhere in the scan: only a single candidate whose scope the reference's id
    does not contradict. None when nothing in the scan is it; an Unknown naming the candidates when the
    scan holds several.
    """
    unit = near.unit if near is not None else None

    def compatible(element: _Element) -> bool:
        return (
            target_id is None or not isinstance(element.id, str) or scopes_may_be_equal(target_id, element.id)
        )

    for c in exact:
        if c.origin.unit == unit:
            return c
    local = [c for c in named if c.origin.unit == unit and compatible(c)]
    candidates: list[_Element] = local
    if not local:
        seen: dict[int, _Element] = {id(c): c for c in exact}
        seen.update((id(c), c) for c in named if compatible(c))
        candidates = list(seen.values())
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return None
    ordered = sorted(candidates, key=_where)
    shown = ", ".join(_where(c) for c in ordered[:5])
    more = f" and {len(ordered) - 5} more" if len(ordered) > 5 else ""
    place = "this deployment declares" if local else "the scan holds"
    return AmbiguousLink(
        f"{place} {len(ordered)} {kind}s named '{name}' it could mean ({shown}{more}); auditor does not "
        "guess which one is deployed: scan each deployment on its own, or name the target's resource group",
        candidates=tuple(c.origin for c in ordered),
    )


class Links:
    """Indexes over one inventory."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._la_by_id: dict[str, list[LogicApp]] = {}
        self._la_by_type_name: dict[str, list[LogicApp]] = {}
        for la in inventory.logic_apps:
            if isinstance(la.id, str):
                self._la_by_id.setdefault(normalize(la.id), []).append(la)
                key = _type_and_name(la.id)
                if key:
                    self._la_by_type_name.setdefault(key, []).append(la)
        self._conn_by_id: dict[str, list[Connection]] = {}
        self._conn_by_name: dict[str, list[Connection]] = {}
        for conn in inventory.connections:
            if isinstance(conn.id, str):
                self._conn_by_id.setdefault(normalize(conn.id), []).append(conn)
            if isinstance(conn.name, str):
                self._conn_by_name.setdefault(conn.name.lower(), []).append(conn)

    def logic_app(self, resource_id: object, near: Origin | None) -> LogicApp | Unknown | None:
        """The Logic App an id written at ``near`` names (see :func:`_resolve`).

        None when it is not in the scan, an Unknown when several Logic Apps of the scan could be it.
        """
        if not isinstance(resource_id, str):
            return None
        key = _type_and_name(resource_id)
        return _resolve(
            resource_id,
            self._la_by_id.get(normalize(resource_id), []),
            self._la_by_type_name.get(key, []) if key else [],
            near,
            "Logic App",
            workflow_name(resource_id) or last_segment_key(resource_id),
        )

    def connection(self, binding: ConnectionBinding, near: Origin | None) -> Connection | Unknown | None:
        """The connection resource a ``$connections`` binding of the Logic App at ``near`` points at."""
        if isinstance(binding.connection_id, str):
            name = last_segment_key(binding.connection_id)
            found = _resolve(
                binding.connection_id,
                self._conn_by_id.get(normalize(binding.connection_id), []),
                self._conn_by_name.get(name, []),
                near,
                "connection",
                name,
            )
            if found is not None:
                return found
        if isinstance(binding.connection_name, str):
            name = binding.connection_name.lower()
            return _resolve(None, [], self._conn_by_name.get(name, []), near, "connection", name)
        return None

    def managed_api(self, la: LogicApp, key: str) -> object:
        """Managed API name behind ``$connections[key]``: from the binding's ``id``, else its connection.

        Returns a str, an Unknown (when the id could not be evaluated) or None (no binding / no id).
        """
        binding = la.binding(key)
        if binding is None:
            return None
        if is_unknown(binding.api_id):
            return binding.api_id
        name = managed_api_from_id(binding.api_id)
        if name is not None:
            return name
        conn = self.connection(binding, la.origin)
        if isinstance(conn, Connection):
            return conn.managed_api
        return conn  # an Unknown (several connections it could be) or None

    def trigger_api(self, la: LogicApp, trigger: Trigger) -> object:
        """Managed API a trigger's connection resolves to.

        A str, None (no connection, or an unbound key: LA103's business) or an Unknown when the
        trigger, its connection name or the workflow's ``$connections`` are only known at deployment:
        None must never stand for "could not tell".
        """
        if trigger.connection is None:
            return trigger.type if is_unknown(trigger.type) else None
        if la.bindings_unknown is not None:
            return la.bindings_unknown
        if trigger.connection.key is None:
            raw = trigger.connection.raw
            return raw if is_unknown(raw) else None
        return self.managed_api(la, trigger.connection.key)

    @staticmethod
    def trigger(la: LogicApp, name: str) -> Trigger | None:
        """A trigger by name (Logic Apps compare trigger names case-insensitively)."""
        lowered = name.lower()
        for t in la.triggers:
            if t.name.lower() == lowered:
                return t
        return None
