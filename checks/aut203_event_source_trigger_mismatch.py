"""AUT203: the automation's event source does not match the Logic App's Defender trigger.

## What it checks
For each event source of an automation that a Defender connector serves
(``Alerts`` → ``ascalert``, ``Assessments`` → ``ascassessment``,
``RegulatoryComplianceAssessment`` → ``ascregulatorycomplianceassessment``; a
``…Snapshot`` source counts as its base source), and each ``LogicApp`` action
whose Logic App is in the scan and has Defender connector triggers: at least
one of those triggers must be the connector of that event source. When the
callback URL names a specific trigger, that trigger's connector is compared
instead. Automations deployed by a policy are checked by the POL rules.

## Why it matters
Defender posts the event to the trigger's callback whatever its connector, but
the workflow was written for another document: a recommendation playbook
reading ``triggerBody()?['properties']?['status']`` receives a flat alert
(``AlertDisplayName``, ``Severity`` …) and every expression returns null, so
conditions go the wrong way, e-mails are empty and remediation acts on nothing.
It usually means the automation was copied from another one and only half
edited.

## Example
```json
"sources": [{"eventSource": "Alerts", "ruleSets": []}],
"actions": [{"actionType": "LogicApp",
             "logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', 'Notify-Recommendation')]",
             "uri": "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'Notify-Recommendation', 'When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered'), '2019-05-01').value]"}]
```
where the trigger subscribes to ``/Microsoft.Security/Assessment/subscribe`` on
an ``ascassessment`` connection.

## Use instead
Use ``"eventSource": "Assessments"`` for a recommendation playbook, or target a
Logic App whose trigger is the alert connector (``ascalert``,
``/Microsoft.Security/Alert/subscribe``).

## References
- https://learn.microsoft.com/azure/defender-for-cloud/workflow-automation
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.findings import Finding, Rule, Severity
from auditor.resource_ids import last_segment_key

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import AutomationAction, Inventory, LogicApp, Origin, Trigger

RULE = Rule(
    id="AUT203",
    name="event-source-trigger-mismatch",
    severity=Severity.HIGH,
    title="Automation event source does not match the Logic App's Defender trigger",
    fires_when="an Alerts automation targets an assessment trigger, and so on",
    rationale=(
        "The Logic App receives a document of another shape than its Defender trigger describes: every "
        "expression over the trigger body returns null and the workflow acts on nothing."
    ),
    remediation=(
        "Use the event source of the Logic App's trigger (ascalert → Alerts, ascassessment → Assessments, "
        "ascregulatorycomplianceassessment → RegulatoryComplianceAssessment) or target a Logic App whose "
        "trigger serves the automation's event source."
    ),
)


def _targets(
    action: AutomationAction, near: Origin, ctx: CheckContext
) -> tuple[LogicApp, list[Trigger], str] | None:
    """The Logic App an action (of the automation at ``near``) calls, the triggers that count and how they
    were chosen; None to skip."""
    from auditor.checks._util import display_name, linked_logic_app
    from auditor.link import Links, parse_callback_target
    from auditor.unknown import CallbackUrl, Unknown

    parsed = parse_callback_target(action.uri.target) if isinstance(action.uri, CallbackUrl) else None
    la = linked_logic_app(ctx, parsed.workflow_id, near, action.origin) if parsed is not None else None
    if la is None:
        declared = action.logic_app_id
        if isinstance(declared, Unknown):
            ctx.unresolved(declared, action.origin, "the Logic App the action targets")
            return None
        if parsed is not None and not (
            isinstance(declared, str) and last_segment_key(declared) == parsed.workflow_name.lower()
        ):
            return None  # the callback calls another Logic App, not in the scan (AUT202)
        la = linked_logic_app(ctx, declared, near, action.origin)
    if la is None:
        return None
    if la.triggers_unknown is not None:
        ctx.unresolved(la.triggers_unknown, action.origin, f"the triggers of Logic App '{display_name(la)}'")
        return None
    if parsed is not None and parsed.workflow_name.lower() == display_name(la).lower():
        named = Links.trigger(la, parsed.trigger_name)
        if named is None:
            return None  # AUT202
        return la, [named], "callback"
    return la, list(la.triggers), "any"


def _connector_text(api: str, served: dict[str, str]) -> str:
    return f"{api} ({served[api]})"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Event sources that none of the target Logic App's Defender triggers serves."""
    from auditor.checks._util import (
        display_name,
        foreign_target,
        logic_app_actions,
        template_automations,
        trigger_connector,
    )
    from auditor.unknown import Unknown

    served = {api.lower(): source for api, source in ctx.catalog.event_source_for_connector.items()}
    connector_of_source = {source.lower(): api for api, source in served.items()}
    for automation in template_automations(inventory, ctx):
        actions = [a for a in logic_app_actions(automation) if not foreign_target(a)]  # AUT210's
        if not actions:
            continue
        if automation.sources_unknown is not None:
            ctx.unresolved(automation.sources_unknown, automation.origin, "the automation's event sources")
        for source in automation.sources:
            event_source = source.event_source
            if isinstance(event_source, Unknown):
                ctx.unresolved(event_source, source.origin, "the automation's event source")
                continue
            if not isinstance(event_source, str):
                continue
            base = event_source.strip().lower()
            if base.endswith("snapshot"):
                base = base[: -len("snapshot")]
            wanted = connector_of_source.get(base)
            if wanted is None:
                continue
            for action in actions:
                target = _targets(action, automation.origin, ctx)
                if target is None:
                    continue
                la, triggers, how = target
                apis: list[tuple[Trigger, Any]] = [
                    (t, trigger_connector(ctx.links, ctx.catalog, la, t)) for t in triggers
                ]
                unknown = next(
                    (api for _t, api in apis if api is not None and not isinstance(api, str)), None
                )
                if unknown is not None:
                    ctx.unresolved(
                        unknown, source.origin, f"the trigger connectors of Logic App '{display_name(la)}'"
                    )
                    continue
                defender = [
                    (t, api.lower()) for t, api in apis if isinstance(api, str) and api.lower() in served
                ]
                if not defender or any(api == wanted for _t, api in defender):
                    continue  # no Defender trigger at all is AUT201's business
                if how == "callback":
                    trigger, api = defender[0]
                    what = f"whose trigger '{trigger.name}' (the one the callback URL names) is {_connector_text(api, served)}"
                else:
                    connectors = sorted({api for _t, api in defender})
                    noun = "trigger is" if len(connectors) == 1 else "triggers are"
                    what = f"whose Defender {noun} " + " and ".join(
                        _connector_text(a, served) for a in connectors
                    )
                yield RULE.finding(
                    f"{event_source} automation '{display_name(automation)}' targets Logic App "
                    f"'{display_name(la)}' {what}: it would receive {event_source} events it was not built for "
                    f"({served[wanted]} events come through the {wanted} connector)",
                    at=source.origin,
                    related=(action.origin,),
                )
