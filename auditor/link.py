"""The one place cross-resource links are resolved.

automation action → Logic App (by ``logicAppResourceId``) → trigger (by the
name inside a ``listCallbackUrl`` target) → ``$connections`` key → connection
resource → managed API. Everything is indexed once (ids compare case-
insensitively, as ARM does), so checks ask questions in O(1) instead of
nested scans over the inventory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.model import Connection, ConnectionBinding, Inventory, LogicApp, Trigger
from auditor.resource_ids import last_segment_key, normalize
from auditor.unknown import is_unknown

_TRIGGER_IN_ID = re.compile(
    r"/providers/microsoft\.logic/workflows/([^/]+)/triggers/([^/]+)/?$", re.IGNORECASE
)
_WORKFLOW_IN_ID = re.compile(r"/providers/microsoft\.logic/workflows/([^/]+)/?$", re.IGNORECASE)


def _type_and_name(resource_id: str) -> str | None:
    """``microsoft.logic/workflows/<name>``: the part of an id that survives placeholder subscriptions."""
    match = _WORKFLOW_IN_ID.search(resource_id)
    return f"microsoft.logic/workflows/{match.group(1).lower()}" if match else None


@dataclass(frozen=True)
class CallbackTarget:
    """What a ``listCallbackUrl`` target string names."""

    workflow_id: str
    workflow_name: str
    trigger_name: str


_WORKFLOW_NAME = re.compile(r"/providers/microsoft\.logic/workflows/([^/]+)", re.IGNORECASE)


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


class Links:
    """Indexes over one inventory."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._la_by_id: dict[str, LogicApp] = {}
        self._la_by_type_name: dict[str, list[LogicApp]] = {}
        for la in inventory.logic_apps:
            if isinstance(la.id, str):
                self._la_by_id.setdefault(normalize(la.id), la)
                key = _type_and_name(la.id)
                if key:
                    self._la_by_type_name.setdefault(key, []).append(la)
        self._conn_by_id: dict[str, Connection] = {}
        self._conn_by_name: dict[str, list[Connection]] = {}
        for conn in inventory.connections:
            if isinstance(conn.id, str):
                self._conn_by_id.setdefault(normalize(conn.id), conn)
            if isinstance(conn.name, str):
                self._conn_by_name.setdefault(conn.name.lower(), []).append(conn)

    def logic_app(self, resource_id: object) -> LogicApp | None:
        """The Logic App an id names: exact id first, else the only one of that name in the scan."""
        if not isinstance(resource_id, str):
            return None
        found = self._la_by_id.get(normalize(resource_id))
        if found is not None:
            return found
        key = _type_and_name(resource_id)
        candidates = self._la_by_type_name.get(key, []) if key else []
        return candidates[0] if len(candidates) == 1 else None

    def connection(self, binding: ConnectionBinding) -> Connection | None:
        """The connection resource a ``$connections`` binding points at."""
        if isinstance(binding.connection_id, str):
            found = self._conn_by_id.get(normalize(binding.connection_id))
            if found is not None:
                return found
            name = last_segment_key(binding.connection_id)
            candidates = self._conn_by_name.get(name, [])
            if len(candidates) == 1:
                return candidates[0]
        if isinstance(binding.connection_name, str):
            candidates = self._conn_by_name.get(binding.connection_name.lower(), [])
            if len(candidates) == 1:
                return candidates[0]
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
        conn = self.connection(binding)
        if conn is not None:
            return conn.managed_api
        return None

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
