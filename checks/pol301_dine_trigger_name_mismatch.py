"""POL301: a DINE policy calls a trigger name the assigned Logic App does not have.

## What it checks
Automations deployed by a DeployIfNotExists policy whose LogicApp action gets
its ``uri`` from ``listCallbackUrl(concat(parameters('logicAppResourceId'),
'/triggers/', <trigger name>), …)``. When the policy is evaluated with an
assignment found in the same scan, the trigger id is concrete; if the Logic
App it names is in the scan too, the trigger must exist in its definition
(names compare case-insensitively).

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
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

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
    """Policy-deployed automations whose callback names a trigger missing from the Logic App."""
    from auditor.link import Links, parse_callback_target

    display_names = {
        str(p.name).lower(): p.display_name
        for p in inventory.policy_definitions
        if isinstance(p.display_name, str)
    }
    for automation in inventory.automations:
        if automation.from_policy is None:
            continue
        name = automation.from_policy
        display = display_names.get(name.lower(), name)
        policy = f"'{display}' ({name})" if display != name else f"'{name}'"
        for action in logic_app_actions(automation):
            uri = action.uri
            if not isinstance(uri, CallbackUrl):
                continue
            at = action.uri_origin or action.origin
            if isinstance(uri.target, Unknown):
                ctx.unresolved(uri.target, at, "the trigger the policy's listCallbackUrl() names")
                continue
            target = parse_callback_target(uri.target)
            if target is None:
                continue
            la = linked_logic_app(ctx, target.workflow_id, automation.origin, at)
            if la is None:
                continue  # the Logic App is not part of this scan: nothing to compare with
            if la.triggers_unknown is not None:
                ctx.unresolved(la.triggers_unknown, at, f"the triggers of Logic App '{target.workflow_name}'")
                continue
            if Links.trigger(la, target.trigger_name) is not None:
                continue
            have = ", ".join(f"'{t.name}'" for t in la.triggers) or "none"
            yield RULE.finding(
                f"policy {policy} calls trigger '{target.trigger_name}' of Logic App "
                f"'{target.workflow_name}', which has no trigger of that name (it has {have}): the remediation "
                f"deployment fails; {naming_hint(target.trigger_name)}",
                at=at,
                related=(la.origin, *(t.origin for t in la.triggers)),
            )
