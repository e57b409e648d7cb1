"""LA102: a managed API name that looks like a Defender connector but is not one.

## What it checks
The managed API of each API connection (``properties.api.id`` →
``…/managedApis/<name>``) and of each ``$connections`` binding (``id``). A name
within a small edit distance of ``ascalert``, ``ascassessment`` or
``ascregulatorycomplianceassessment`` (or a truncated/extended form of one)
that is not exactly one of them is reported. Managed API ids are
case-insensitive: ``Ascalert`` is fine.

## Why it matters
``managedApis/ascassement`` does not exist: the connection deployment fails,
or (when only the binding is wrong) the trigger never subscribes. Microsoft's
own sample "Open-JIRA-Ticket" ships this typo.

## Example
```json
"api": {"id": "[concat(subscription().id, '/providers/Microsoft.Web/locations/', resourceGroup().location, '/managedApis/ascassement')]"}
```

## Use instead
```json
"api": {"id": "[concat(subscription().id, '/providers/Microsoft.Web/locations/', resourceGroup().location, '/managedApis/ascassessment')]"}
```
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.catalog import DEFENDER_CONNECTORS
from auditor.checks._util import edit_distance
from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, Origin

RULE = Rule(
    id="LA102",
    name="unknown-defender-connector",
    severity=Severity.HIGH,
    title="Managed API name is a misspelled Defender for Cloud connector",
    fires_when=(
        "a managed API name close to a Defender connector but not one (`ascassement`); case variants such"
        " as `Ascalert` are fine"
    ),
    rationale=(
        "A connection to a managed API that does not exist fails to deploy or leaves the Defender trigger "
        "without a working connection, so the Logic App is never triggered."
    ),
    remediation="Use exactly one of ascalert, ascassessment or ascregulatorycomplianceassessment.",
)


@functools.lru_cache(maxsize=4096)
def closest_defender_connector(name: str) -> str | None:
    """The Defender connector ``name`` seems to mean, or None when it is one or is unrelated (cached: a
    repository names the same few APIs hundreds of times, and each answer is three edit distances)."""
    lowered = name.lower()
    if lowered in DEFENDER_CONNECTORS:
        return None
    best: tuple[int, str] | None = None
    for connector in DEFENDER_CONNECTORS:
        distance = edit_distance(lowered, connector, limit=3)
        truncated_or_extended = (
            lowered.startswith("asc")
            and len(lowered) >= 6
            and (connector.startswith(lowered) or lowered.startswith(connector))
        )
        if (distance <= 2 or truncated_or_extended) and (best is None or distance < best[0]):
            best = (distance, connector)
    return best[1] if best else None


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Misspelled Defender connector names on connections and on $connections bindings."""
    from auditor.link import managed_api_from_id

    def verdict(api: object, at: Origin, where: str) -> Iterator[Finding]:
        if not isinstance(api, str):
            return
        meant = closest_defender_connector(api)
        if meant is not None:
            yield RULE.finding(
                f"{where} uses managed API '{api}', which does not exist; did you mean '{meant}'?", at=at
            )

    for conn in inventory.connections:
        if conn.managed_api is not None and not isinstance(conn.managed_api, str):
            ctx.unresolved(conn.managed_api, conn.api_origin or conn.origin, "the connection's managed API")
            continue
        yield from verdict(conn.managed_api, conn.api_origin or conn.origin, f"connection '{conn.name}'")
    for la in inventory.logic_apps:
        for binding in la.bindings:
            api = managed_api_from_id(binding.api_id)
            yield from verdict(api, binding.origin, f"$connections entry '{binding.key}'")
