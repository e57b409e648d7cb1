"""Small predicates shared by checks (no I/O, no sources, no renderers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.resource_ids import last_segment
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.findings import Finding, Rule
    from auditor.model import (
        Automation,
        AutomationAction,
        AutomationSource,
        Inventory,
        LogicApp,
        Origin,
        RuleSet,
        Trigger,
    )


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def report_problems(rule: Rule, inventory: Inventory, code: str, prefix: str = "") -> Iterator[Finding]:
    """One finding of ``rule`` per problem a source recorded under ``code`` (the SRC rules).

    Sources never create findings: they record problems (unreadable file, syntax error, …) with their
    origin, and each SRC rule reports one kind of them, so the gate and selection treat them as rules.
    """
    for problem in inventory.problems:
        if problem.code == code:
            yield rule.finding(f"{prefix}{problem.message}", at=problem.origin)


def rule_sets(inventory: Inventory, ctx: CheckContext) -> Iterator[tuple[AutomationSource, RuleSet]]:
    """Every rule set of every automation, with its source.

    What could not be read (an unknown ``sources`` array, ``ruleSets`` array, rule set or rule) is
    recorded once here for the running check, so every rule-reading check says the same about it. A
    rule set whose ``unresolved`` is set still yields its known rules: a check about single rules
    can judge them; a check about the whole set (AND) must skip it.
    """
    for automation in inventory.automations:
        if automation.sources_unknown is not None:
            ctx.unresolved(automation.sources_unknown, automation.origin, "the automation's rule sets")
        for source in automation.sources:
            if source.rule_sets_unknown is not None:
                ctx.unresolved(source.rule_sets_unknown, source.origin, "the source's rule sets")
            for rule_set in source.rule_sets:
                if rule_set.unresolved is not None:
                    ctx.unresolved(rule_set.unresolved, rule_set.origin, "the rules of the rule set")
                yield source, rule_set


def logic_app_actions(automation: Automation) -> Iterator[AutomationAction]:
    """The automation's actions of type LogicApp (case-insensitive)."""
    for action in automation.actions:
        if isinstance(action.action_type, str) and action.action_type.lower() == "logicapp":
            yield action


def is_webhook_trigger(trigger: Trigger) -> bool:
    """ApiConnectionWebhook triggers are how Defender connectors subscribe."""
    return isinstance(trigger.type, str) and trigger.type.lower() == "apiconnectionwebhook"


def defender_triggers(la: LogicApp, api_of: Any, connectors: tuple[str, ...]) -> list[Trigger]:
    """Triggers whose connection resolves to a Defender connector (``api_of(la, trigger)`` → api name)."""
    out = []
    for trigger in la.triggers:
        api = api_of(la, trigger)
        if isinstance(api, str) and api.lower() in connectors:
            out.append(trigger)
    return out


def trigger_connector(links: Any, catalog: Any, la: LogicApp, trigger: Trigger) -> Any:
    """The managed API a trigger's connection resolves to (str, Unknown or None).

    When the Logic App's ``$connections`` are unknown, that Unknown. When the binding
    names no API (or the key is unbound, LA103's business), the Defender connector
    whose subscribe path the trigger uses, so that a binding without ``id`` still
    counts as the Defender trigger it evidently is.
    """
    api = links.trigger_api(la, trigger)  # Unknown when the trigger or $connections are unknown
    if api is None and isinstance(trigger.path, str) and trigger.connection is not None:
        return catalog.connector_for_path.get(trigger.path.strip().lower())
    return api


def linked_logic_app(
    ctx: Any, resource_id: object, near: Origin, at: Origin | None = None
) -> LogicApp | None:
    """The Logic App ``resource_id`` (written at ``near``) names, or None when the scan does not hold it.

    When several Logic Apps of the scan could be it (:meth:`auditor.link.Links.logic_app`), that is
    recorded as unresolved at ``at`` (default ``near``) for the running check and None returned: a check
    never judges a Logic App it had to guess.
    """
    found = ctx.links.logic_app(resource_id, near)
    if isinstance(found, Unknown):
        ctx.unresolved(found, at or near, "the Logic App the action targets")
        return None
    return found


def display_name(element: Any) -> str:
    """A Logic App's (or any element's) name for messages: the name, else the id's last segment."""
    if isinstance(element.name, str):
        return str(element.name)
    if isinstance(element.id, str):
        return last_segment(element.id)
    return "?"


def template_automations(inventory: Any, ctx: Any) -> Iterator[Automation]:
    """Automations deployed directly (not by a DINE policy: POL301/RB406 cover those).

    Records once per automation, for the calling check, that its actions are unknown when they are.
    """
    for automation in inventory.automations:
        if automation.from_policy is not None:
            continue
        if automation.actions_unknown is not None:
            ctx.unresolved(automation.actions_unknown, automation.origin, "the automation's actions")
        yield automation


def _standard_workflow(arm_type: str) -> bool:
    """``Microsoft.Web/sites/workflows`` (or a path to it: ``…/sites/hostruntime/webhooks/api/workflows``)."""
    lowered = arm_type.lower()
    return lowered.startswith("microsoft.web/sites/") and lowered.endswith("/workflows")


def _site(arm_type: str) -> bool:
    return arm_type.lower() in ("microsoft.web/sites", "microsoft.web/sites/slots")


def foreign_logic_app(resource_id: object) -> str | None:
    """What ``logicAppResourceId`` names when it is a resource id of a type other than a Consumption
    Logic App (``Microsoft.Logic/workflows``), said for a message; None when it is one, when it is
    unknown, or when it is no resource id at all (nothing to tell its type by).

    Workflow automation starts Consumption Logic Apps only, so AUT210 reports these targets and every
    other check that follows the target leaves them alone (one finding per problem).
    """
    from auditor.resource_ids import split_resource_id

    if not isinstance(resource_id, str):
        return None
    split = split_resource_id(resource_id)
    if split is None:
        return None
    arm_type, names = split
    if arm_type.lower() == "microsoft.logic/workflows":
        return None
    if _standard_workflow(arm_type):
        return f"workflow '{names[-1]}' of the Standard (single-tenant) Logic App '{names[0]}' ({arm_type})"
    if _site(arm_type):
        return f"the App Service / Logic App Standard site '{names[0]}' ({arm_type})"
    return f"a resource of type '{arm_type}' ('{'/'.join(names)}')"


def foreign_callback(target: object) -> str | None:
    """What a ``listCallbackUrl`` target names when it is a trigger of a Standard Logic App workflow
    (``Microsoft.Web/sites/workflows/triggers``, also through ``hostruntime``), said for a message."""
    from auditor.resource_ids import split_resource_id

    if not isinstance(target, str):
        return None
    split = split_resource_id(target)
    if split is None:
        return None
    arm_type, names = split
    parent, _, last = arm_type.rpartition("/")
    if last.lower() != "triggers" or not _standard_workflow(parent):
        return None
    return f"trigger '{names[-1]}' of workflow '{names[-2]}' of the Standard (single-tenant) Logic App '{names[0]}'"


def foreign_target(action: AutomationAction) -> bool:
    """The action targets something that is not a Consumption Logic App: exactly when AUT210 reports it
    (an unknown ``logicAppResourceId`` is SRC003's, whatever the callback names)."""
    from auditor.unknown import CallbackUrl, Unknown

    if isinstance(action.logic_app_id, Unknown):
        return False
    if foreign_logic_app(action.logic_app_id) is not None:
        return True
    return isinstance(action.uri, CallbackUrl) and foreign_callback(action.uri.target) is not None
