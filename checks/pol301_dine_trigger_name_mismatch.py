"""POL301: a DINE policy calls a trigger name the assigned Logic App does not have.

## What it checks
Automations deployed by a DeployIfNotExists policy whose LogicApp action gets
its ``uri`` from ``listCallbackUrl(concat(parameters('logicAppResourceId'),
'/triggers/', <trigger name>), …)``. When the policy is evaluated with an
assignment found in the same scan, the trigger id is concrete; if the Logic
App it names is in the scan too, the trigger must exist in its definition
(names compare case-insensitively).

Where the finding goes: when the definition's defaults alone give the target,
at the ``uri`` in the definition; when the assignment's values decide it, at
the assignment's parameter that chooses the trigger (a parameter named like
``logicAppTrigger``), else the one naming the Logic App, with the definition's
``uri`` in ``related`` (a verdict on a file does not change with what else is
scanned). An assignment of one of the three built-in workflow-automation
policies is checked without the definition file: auditor ships their trigger
maps as data (``auditor/data/builtin-policies.json``), so
``logicAppTrigger`` is mapped the way the built-in's template maps it. An
unknown assignment value is SRC003 at that parameter.

The built-in policies ("Deploy Workflow Automation for Microsoft Defender for
Cloud alerts / recommendations / regulatory compliance") map their
``logicAppTrigger`` choice to ``When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered``
(and the recommendation / compliance equivalents), while most templates in the
Defender for Cloud repository and many existing workflows still name the
trigger ``When_an_Azure_Security_Center_Alert_is_created_or_triggered``.

## Why it matters
``listCallbackUrl`` on a trigger that does not exist fails, so the remediation
deployment of every subscription fails, the automation is never created and the
assignment stays non-compliant. The designer shows the same display name for
both trigger names, so the mismatch is invisible in the portal.

## Example
Policy (built-in shape):
```json
"triggerMap": {"When an Azure Security Center Alert is created or triggered":
               "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"}
```
Logic App:
```json
"triggers": {"When_an_Azure_Security_Center_Alert_is_created_or_triggered": {"type": "ApiConnectionWebhook", …}}
```

## Use instead
Rename the Logic App's trigger to the name the policy calls (in code view),
or use a custom policy whose trigger map names the trigger your workflows use.

## References
- https://learn.microsoft.com/azure/defender-for-cloud/workflow-automation
- https://learn.microsoft.com/azure/governance/policy/concepts/effect-deploy-if-not-exists
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.checks._util import linked_logic_app, logic_app_actions
from auditor.findings import Finding, Rule, Severity
from auditor.resource_ids import normalize
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, Origin, PolicyAssignment

RULE = Rule(
    id="POL301",
    name="dine-trigger-name-mismatch",
    severity=Severity.HIGH,
    title="DINE policy calls a trigger the Logic App does not have",
    fires_when="a workflow-automation DINE policy's trigger map names a trigger the targeted Logic App lacks",
    rationale=(
        "listCallbackUrl on a missing trigger fails, so every remediation deployment fails and the automation "
        "is never created; built-in policies and most templates use different names for the same trigger."
    ),
    remediation=(
        "Rename the Logic App trigger to the name the policy calls, or adapt the policy's trigger map to the "
        "name your workflows use."
    ),
)

# (name the built-in policies' triggerMap calls, name most templates and older workflows use) per trigger kind;
# see connectors.json 'triggerNamesInTheWild' / 'triggerNameVsPolicyMap'.
TRIGGER_NAMES = {
    "alert": (
        "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered",
        "When_an_Azure_Security_Center_Alert_is_created_or_triggered",
    ),
    "recommendation": (
        "When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered",
        "When_an_Azure_Security_Center_Recommendation_is_created_or_triggered",
    ),
    "regulatory compliance": (
        "When_a_Defender_for_Cloud_regulatory_compliance_assessment_is_created_or_runs",
        None,
    ),
}


def naming_hint(called: str) -> str:
    """Which names the built-in policies and the templates use for the kind of trigger ``called`` is."""
    lowered = called.lower()
    kind = "recommendation" if "recommendation" in lowered else "alert"
    if "regulatory" in lowered or "compliance" in lowered:
        kind = "regulatory compliance"
    builtin, template = TRIGGER_NAMES[kind]
    if template is None:
        return f"built-in policies call the {kind} trigger '{builtin}'"
    return f"built-in policies call the {kind} trigger '{builtin}', most templates name it '{template}'"


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Policy-deployed automations (and built-in assignments) whose callback names a trigger missing
    from the Logic App."""
    yield from _scanned_definitions(inventory, ctx)
    yield from _builtin_assignments(inventory, ctx)


def _scanned_definitions(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Automations a scanned DINE definition deploys, with its defaults or an assignment's values."""
    display_names = {
        str(p.name).lower(): p.display_name
        for p in inventory.policy_definitions
        if isinstance(p.display_name, str)
    }
    assignments = {_key(a.origin): a for a in inventory.policy_assignments}
    defaults = _default_targets(inventory)
    for automation in inventory.automations:
        if automation.from_policy is None:
            continue
        name = automation.from_policy
        display = display_names.get(name.lower(), name)
        policy = f"'{display}' ({name})" if display != name else f"'{name}'"
        by = assignments.get(_key(automation.from_assignment)) if automation.from_assignment else None
        for index, action in enumerate(logic_app_actions(automation)):
            uri = action.uri
            if not isinstance(uri, CallbackUrl):
                continue
            at = action.uri_origin or action.origin
            if by is not None and not _same(defaults.get((_key(automation.origin), index)), uri.target):
                # the assignment's values decide this target: its verdict belongs to the assignment's file
                yield from _compare(
                    ctx,
                    uri.target,
                    by.origin,
                    _parameter_at(by, uri.target),
                    f"policy {policy} as assigned by '{_name(by)}'",
                    related=(at,),
                )
                continue
            yield from _compare(ctx, uri.target, automation.origin, at, f"policy {policy}")


def _builtin_assignments(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """Assignments of a bundled built-in workflow-automation policy (no definition file in the scan)."""
    for assignment in inventory.policy_assignments:
        assigned = assignment.assigned
        if assigned is None or not assigned.builtin or assigned.callback_target is None:
            continue
        version = f" v{assigned.version}" if assigned.version else ""
        lead = f"policy assignment '{_name(assignment)}' of built-in '{assigned.display_name}'{version}"
        target = assigned.callback_target
        at = next(
            (o for p in assigned.callback_parameters if (o := assignment.parameter_origin(p)) is not None),
            assignment.origin,
        )
        if isinstance(target, Unknown):
            at = _unknown_parameter_at(assignment) or at
        yield from _compare(ctx, target, assignment.origin, at, lead)


def _compare(
    ctx: CheckContext,
    target: object,
    near: Origin,
    at: Origin,
    lead: str,
    related: tuple[Origin, ...] = (),
) -> Iterator[Finding]:
    """The finding when trigger id ``target`` (written in the deployment of ``near``) names a Logic App
    of the scan that lacks that trigger."""
    from auditor.link import Links, parse_callback_target

    if isinstance(target, Unknown):
        ctx.unresolved(target, at, "the trigger the policy's listCallbackUrl() names")
        return
    parsed = parse_callback_target(target)
    if parsed is None:
        return
    la = linked_logic_app(ctx, parsed.workflow_id, near, at)
    if la is None:
        return  # the Logic App is not part of this scan: nothing to compare with
    if la.triggers_unknown is not None:
        ctx.unresolved(la.triggers_unknown, at, f"the triggers of Logic App '{parsed.workflow_name}'")
        return
    if Links.trigger(la, parsed.trigger_name) is not None:
        return
    have = ", ".join(f"'{t.name}'" for t in la.triggers) or "none"
    yield RULE.finding(
        f"{lead} calls trigger '{parsed.trigger_name}' of Logic App '{parsed.workflow_name}', which has no "
        f"trigger of that name (it has {have}): the remediation deployment fails; "
        f"{naming_hint(parsed.trigger_name)}",
        at=at,
        related=(*related, la.origin, *(t.origin for t in la.triggers)),
    )


def _key(origin: Origin | None) -> tuple[object, ...]:
    if origin is None:
        return ()
    return (origin.file, origin.line, origin.column, origin.json_path, origin.deployment)


def _default_targets(inventory: Inventory) -> dict[tuple[tuple[object, ...], int], object]:
    """(automation place, action index) → the callback target with the definition's defaults alone."""
    out: dict[tuple[tuple[object, ...], int], object] = {}
    for automation in inventory.automations:
        if automation.from_policy is None or automation.from_assignment is not None:
            continue
        for index, action in enumerate(logic_app_actions(automation)):
            if isinstance(action.uri, CallbackUrl):
                out[(_key(automation.origin), index)] = action.uri.target
    return out


def _same(default: object, assigned: object) -> bool:
    """Whether the definition alone already gives this concrete target (its verdict stays on its file)."""
    return (
        isinstance(default, str) and isinstance(assigned, str) and normalize(default) == normalize(assigned)
    )


def _parameter_at(assignment: PolicyAssignment, target: object) -> Origin:
    """Where the assignment chooses the target: the parameter choosing the trigger (a name with 'trigger',
    as the built-ins' logicAppTrigger), else the one naming the Logic App, else the assignment. An unknown
    target points at the parameter whose value is unknown."""
    if isinstance(target, Unknown):
        return _unknown_parameter_at(assignment) or assignment.origin
    for key, value in assignment.parameters.items():
        if "trigger" in key.lower() and isinstance(value, str):
            return assignment.parameter_origin(key) or assignment.origin
    from auditor.link import parse_callback_target

    parsed = parse_callback_target(target)
    for key, value in assignment.parameters.items():
        if (
            parsed is not None
            and isinstance(value, str)
            and normalize(value) == normalize(parsed.workflow_id)
        ):
            return assignment.parameter_origin(key) or assignment.origin
    return assignment.origin


def _unknown_parameter_at(assignment: PolicyAssignment) -> Origin | None:
    return next(
        (assignment.parameter_origin(k) for k, v in assignment.parameters.items() if isinstance(v, Unknown)),
        None,
    )


def _name(assignment: PolicyAssignment) -> str:
    return assignment.name if isinstance(assignment.name, str) else "?"
