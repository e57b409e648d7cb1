"""LA103: a trigger or action uses a ``$connections`` key the workflow does not bind.

## What it checks
Triggers and actions name their connection as
``@parameters('$connections')['<key>']['connectionId']``. The key must exist in
the Logic App resource's ``properties.parameters.$connections.value``. Keys are
compared case-insensitively.

## Why it matters
The workflow saves, but the trigger cannot subscribe (or the action fails at
run time): for a Defender trigger, the automation never starts the Logic App.

## Example
```json
"triggers": {"T": {"inputs": {"host": {"connection": {"name": "@parameters('$connections')['ascassessment']['connectionId']"}}}}},
"parameters": {"$connections": {"value": {"ascassement": {"connectionId": "…"}}}}
```

## Use instead
Use the same key in the reference and in ``$connections.value``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="LA103",
    name="undefined-connection-reference",
    severity=Severity.HIGH,
    title="Trigger or action references an undefined connection",
    fires_when="a trigger or action uses a `$connections` key the workflow does not bind",
    rationale=(
        "A connection key that $connections does not bind leaves the trigger or action without a "
        "connection: a Defender trigger never subscribes, an action fails at run time."
    ),
    remediation="Bind the key in properties.parameters.$connections.value, or fix the key in the reference.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """References to $connections keys that are not bound."""
    for la in inventory.logic_apps:
        if la.bindings_unknown is not None:
            ctx.unresolved(la.bindings_unknown, la.origin, "the Logic App's $connections bindings")
            continue
        bound = sorted(b.key for b in la.bindings)
        users = [("trigger", t.name, t.connection, t.origin) for t in la.triggers] + [
            ("action", a.name, a.connection, a.origin) for a in la.actions
        ]
        for kind, name, ref, origin in users:
            if ref is None or ref.key is None:
                continue
            if la.binding(ref.key) is not None:
                continue
            known = ", ".join(f"'{k}'" for k in bound) if bound else "none"
            yield RULE.finding(
                f"{kind} '{name}' uses connection '{ref.key}', but $connections binds {known}",
                at=origin,
            )
