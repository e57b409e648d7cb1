"""LIV001: a live scan could not read everything it was asked to read.

## What it checks
The coverage record of ``auditor scan --live``: one entry per subscription and
resource type (automations, Logic Apps, API connections, role assignments,
custom role definitions, deny assignments, policy assignments) plus the
tenant-level reads (subscriptions, management groups, assessment metadata).
Every entry that is not ``ok`` is reported, naming the subscription and the
resource type:

* ``forbidden``: ARM answered 403; the message names the action the scanning
  identity lacks (Reader and Security Reader on the subscriptions, or on a
  management group above them, are enough);
* ``failed``: another error (5xx after the retries, a ``nextLink`` to another
  host that was refused, an unreadable answer);
* ``throttled-out``: still throttled (429) after the retries;
* ``timed-out``: ``--scan-timeout`` (or ``--request-timeout``) ran out first.

With ``--allow-partial`` the same findings are reported at ``info`` severity,
so they no longer fail the gate but stay in every report.

## Why it matters
A subscription that could not be read has no findings, which looks exactly
like a subscription with nothing wrong. A governance scan that passes while it
skipped part of the estate gives false assurance.

## Example
```
LIV001 [high] live scan incomplete: Microsoft.Web/connections in subscription 'contoso-prod'
(6b1c3e9a-…) could not be read: forbidden (403 AuthorizationFailed: the identity lacks
'Microsoft.Web/connections/read'; Reader on the subscription grants it)
```

## Use instead
Give the scanning identity Reader and Security Reader on every subscription it
scans (or on a management group above them), raise ``--scan-timeout`` or lower
``--concurrency`` when throttled, or accept the gap explicitly with
``--allow-partial``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Location, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="LIV001",
    name="scan-incomplete",
    severity=Severity.HIGH,
    title="Live scan could not read a subscription or resource type",
    fires_when=(
        "a live scan could not read a subscription or resource type (forbidden, failed, throttled out, "
        "timed out); info with `--allow-partial`"
    ),
    rationale=(
        "What a live scan could not read has no findings, which looks exactly like nothing being wrong: "
        "a partial governance scan must not pass silently."
    ),
    remediation=(
        "Grant the scanning identity Reader and Security Reader on the subscriptions (or a management "
        "group above them), retry when throttled, or accept the gap with --allow-partial."
    ),
    tags=("coverage",),
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per coverage entry that is not ``ok``."""
    for record in inventory.coverage:
        if record.status == "ok":
            continue
        if record.subscription:
            name = (
                f"'{record.subscription_name}' ({record.subscription})"
                if record.subscription_name
                else (f"'{record.subscription}'")
            )
            where = f"in subscription {name}"
            resource = f"/subscriptions/{record.subscription}"
        else:
            where = "at tenant level"
            resource = "/"
        detail = f" ({record.detail})" if record.detail else ""
        yield RULE.finding(
            f"live scan incomplete: {record.resource_type} {where} could not be read: {record.status}{detail}; "
            "nothing there was checked",
            at=Location(file=None, resource=resource),
            key=record.resource_type,
        )
