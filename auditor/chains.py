"""The dependency chain of each automation, for renderers that draw it (HTML).

automation → Logic App → trigger → connection → managed API, each link marked
``ok``, ``broken`` (a finding points at it), ``missing`` (the link leads
nowhere in the scanned files) or ``unknown`` (only known at deployment).
Computed once by the engine from the inventory and the findings, so renderers
still read nothing but the ScanResult.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from auditor.findings import Finding, Location
from auditor.link import Links, parse_callback_target
from auditor.model import Automation, Connection, Inventory, LogicApp, Origin, Trigger
from auditor.records import record
from auditor.resource_ids import last_segment
from auditor.unknown import CallbackUrl, Unknown, is_unknown


@record()
class ChainLink:
    """One element of a chain."""

    kind: str  # automation | logic-app | trigger | connection | managed-api
    label: str
    status: str  # ok | broken (a finding) | missing (leads nowhere in the scan) | unknown (not knowable here)
    location: Location | None = None
    findings: tuple[str, ...] = ()  # fingerprints of findings at this element
    note: str = ""


@record()
class Chain:
    """The chain of one automation action."""

    automation: str
    links: tuple[ChainLink, ...]

    @property
    def broken(self) -> bool:
        """True when any link is broken or missing."""
        return any(link.status in ("broken", "missing") for link in self.links)


class _FindingIndex:
    """Findings by file and JSON path. SRC003 ("could not check …") marks a link unknown, not broken.

    The instances of a copy loop share one place (``resources[0]``), so a finding that names its
    resource belongs only to the element of that resource: automation ``a0``'s chain shows ``a0``'s
    findings, not those of the 799 copies beside it (which also made the HTML report quadratic).
    An SRC003 at that place marks every instance unknown: it is reported once per place.
    """

    def __init__(self, findings: Sequence[Finding]) -> None:
        # (file, path) → findings exactly there; (file, path) → findings there or below (every
        # dot-separated prefix of a finding's path holds it), so a subtree lookup is one dict access.
        self._at: dict[tuple[str | None, str], list[tuple[str, bool, str | None]]] = {}
        self._under: dict[tuple[str | None, str], list[tuple[str, bool, str | None]]] = {}
        for f in findings:
            if f.suppressed_by is None:
                file, path = f.location.file, f.location.json_path
                entry = (f.fingerprint, f.rule.id == "SRC003", f.location.resource)
                self._at.setdefault((file, path), []).append(entry)
                for prefix in _prefixes(path):
                    self._under.setdefault((file, prefix), []).append(entry)

    def at(self, origin: Origin, *, subtree: bool = False) -> list[tuple[str, bool]]:
        found = (self._under if subtree else self._at).get((origin.file, origin.json_path), [])
        own = origin.resource
        # An unresolved value (SRC003) is reported once per place, naming the first instance; the other
        # instances there are unknown just the same.
        return [
            (p, unresolved)
            for p, unresolved, res in found
            if unresolved or res is None or own is None or res == own
        ]


def _prefixes(path: str) -> Iterator[str]:
    """``a.b[0].c`` → ``a``, ``a.b[0]``, ``a.b[0].c`` (the places a subtree lookup may start)."""
    start = 0
    while True:
        dot = path.find(".", start)
        if dot < 0:
            yield path
            return
        yield path[:dot]
        start = dot + 1


def _link(
    kind: str, label: str, origin: Origin | None, index: _FindingIndex, note: str = "", subtree: bool = False
) -> ChainLink:
    found = index.at(origin, subtree=subtree) if origin is not None else []
    problems = tuple(p for p, unresolved in found if not unresolved)
    status = "broken" if problems else "unknown" if found else "ok"
    prints = tuple(p for p, _ in found)
    return ChainLink(kind, label, status, Location.of(origin) if origin else None, prints, note)


def build_chains(inventory: Inventory, links: Links, findings: Sequence[Finding]) -> tuple[Chain, ...]:
    """One chain per LogicApp action of every automation."""
    index = _FindingIndex(findings)
    chains: list[Chain] = []
    for automation in inventory.automations:
        for action in automation.actions:
            if not (isinstance(action.action_type, str) and action.action_type.lower() == "logicapp"):
                continue
            chains.append(_chain(automation, action.logic_app_id, action.uri, action.origin, links, index))
    return tuple(chains)


def _chain(
    automation: Automation,
    la_id: object,
    uri: object,
    action_origin: Origin,
    links: Links,
    index: _FindingIndex,
) -> Chain:
    name = automation.name if isinstance(automation.name, str) else "?"
    items = [_link("automation", name, automation.origin, index, subtree=True)]
    if is_unknown(la_id):
        items.append(
            ChainLink("logic-app", "unknown Logic App", "unknown", note=getattr(la_id, "reason", ""))
        )
        return Chain(name, tuple(items))
    la = links.logic_app(la_id, automation.origin)
    if isinstance(la, Unknown):
        items.append(ChainLink("logic-app", last_segment(str(la_id)), "unknown", note=la.reason))
        return Chain(name, tuple(items))
    if la is None:
        label = last_segment(la_id) if isinstance(la_id, str) else "?"
        items.append(ChainLink("logic-app", label, "unknown", note="not in the scanned files"))
        return Chain(name, tuple(items))
    items.append(_link("logic-app", str(la.name), la.origin, index))
    trigger = _target_trigger(la, uri, links)
    if trigger is None:
        target = parse_callback_target(uri.target) if isinstance(uri, CallbackUrl) else None
        status, note = ("missing", "no such trigger") if target else ("unknown", "trigger not named")
        items.append(ChainLink("trigger", target.trigger_name if target else "?", status, note=note))
        return Chain(name, tuple(items))
    items.append(_link("trigger", trigger.name, trigger.origin, index))
    _connection_links(la, trigger, links, index, items)
    return Chain(name, tuple(items))


def _target_trigger(la: LogicApp, uri: object, links: Links) -> Trigger | None:
    if isinstance(uri, CallbackUrl):
        target = parse_callback_target(uri.target)
        if target is not None:
            return links.trigger(la, target.trigger_name)
    return la.triggers[0] if len(la.triggers) == 1 else None


def _connection_links(
    la: LogicApp, trigger: Trigger, links: Links, index: _FindingIndex, items: list[ChainLink]
) -> None:
    if trigger.connection is None or trigger.connection.key is None:
        return
    binding = la.binding(trigger.connection.key)
    if binding is None:
        items.append(ChainLink("connection", trigger.connection.key, "missing", note="not in $connections"))
        return
    found = links.connection(binding, la.origin)
    conn = found if isinstance(found, Connection) else None
    if conn is not None:
        items.append(_link("connection", str(conn.name), conn.origin, index, subtree=True))
    else:
        items.append(_link("connection", binding.key, binding.origin, index))
    api = links.managed_api(la, binding.key)
    if isinstance(api, str):
        origin = conn.api_origin if conn is not None else binding.origin
        items.append(_link("managed-api", api, origin, index))
    elif api is not None:
        items.append(ChainLink("managed-api", "?", "unknown", note=getattr(api, "reason", "")))
