"""Evaluating the ARM template a DeployIfNotExists policy deploys (shared by the ARM and Terraform sources).

The policy engine evaluates ``details.deployment.properties.parameters`` against the policy's
parameters (the assignment's values, else the defaults, else unknown); ARM then evaluates the
embedded template with those values. Both steps are the same whichever file format the policy came in.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from auditor import model as m
from auditor.budget import Budget, current
from auditor.sources.core.cursor import Cursor, in_own_file
from auditor.sources.core.evaluation.template import (
    EvaluatedResource,
    ExpressionProblem,
    Scope,
    TemplateEvaluator,
    scope_level_from_schema,
)
from auditor.sources.core.extract import wrong_type
from auditor.sources.core.jsonpos import PDict
from auditor.unknown import Unknown, is_unknown

if TYPE_CHECKING:
    from auditor.builtin_policies import BuiltinPolicy

MISSING_HINT = "set by the policy assignment"


def policy_values(
    params_decl: Any, cur: Cursor, supplied: dict[str, Any], budget: Budget | None = None
) -> TemplateEvaluator:
    """An evaluator whose parameters are the policy's (assignment value, else default, else unknown).

    ``budget``: the policy file's (the current one when not given).
    """
    return TemplateEvaluator(
        PDict(parameters=params_decl),
        cur,
        supplied=supplied,
        missing_parameter_hint=MISSING_HINT,
        budget=budget,
    )


def evaluate_deployment(
    deployment: Cursor,
    params_decl: Any,
    props: Cursor,
    supplied: dict[str, Any],
    label: str,
    budget: Budget | None = None,
) -> tuple[list[EvaluatedResource], list[ExpressionProblem]]:
    """The resources ``details.deployment`` would deploy, and the problems met on the way (invalid
    expressions, exceeded budgets; a ``template`` of the wrong JSON type is reported on its file).

    ``budget`` is the policy file's (the current one when not given): the policy's values and the
    embedded template are paid from the same one, however many assignments evaluate it again.
    """
    budget = budget if budget is not None else current()
    template = deployment.at("properties", "template")
    if template is None or not isinstance(template.value, dict):
        if template is not None and _reported(template, budget):
            wrong_type(template, "the policy deployment's 'template'", "an object")
        return [], []
    policy_ctx = policy_values(params_decl, props, supplied, budget)
    raw_passed = deployment.value_at("properties", "parameters")  # may be an Unknown: no truth test
    passed = policy_ctx.evaluate_node(raw_passed if raw_passed is not None else {})
    values: dict[str, Any] = {}
    if isinstance(passed, dict):
        for key, spec in passed.items():
            if isinstance(spec, dict) and "value" in spec:
                values[key] = spec["value"]
    evaluator = TemplateEvaluator(
        template.value,
        in_own_file(template, label),
        supplied=values,
        scope=Scope(level=scope_level_from_schema(template.value.get("$schema"))),
        deployment=label,
        missing_parameter_hint=MISSING_HINT,
        budget=budget,
    )
    resources = list(evaluator.resources())
    return resources, [*evaluator.problems, *policy_ctx.problems]


def _reported(template: Cursor, budget: Budget) -> bool:
    """True the first time a ``template`` of the wrong JSON type is met (a policy evaluated once per
    assignment reports it once); an Unknown or absent value is not wrong."""
    value = template.value
    if value is None or is_unknown(value):
        return False
    return budget.first_report("template shape", f"{template.ctx.src.path}\0{template.offset}")


# ------------------------------------------------------------ assignments

_PARAMETER_REF = re.compile(r"^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$")


def effect_parameter(effect: Any) -> str | None:
    """The policy parameter an effect written ``[parameters('x')]`` is read from (None for a literal)."""
    match = _PARAMETER_REF.match(effect) if isinstance(effect, str) else None
    return match.group(1) if match else None


def assigned_definition(
    facts: m.PolicyDefinition,
    effect_cur: Cursor | None,
    params_decl: Any,
    props: Cursor,
    assignment: m.PolicyAssignment,
) -> m.AssignedPolicy:
    """A scanned definition evaluated with one assignment's values (they override the defaults).

    Only the effect is evaluated here; the deployment's automations are evaluated by the caller (they
    carry ``from_assignment``). Problems met are the defaults' evaluation's, already reported: dropped.
    """
    effect: Any = facts.effect
    if effect_cur is not None:
        evaluator = policy_values(params_decl, props, assignment.parameters)
        effect = evaluator.evaluate_node(effect_cur.value)
        if not isinstance(effect, str) and not is_unknown(effect):
            effect = facts.effect  # a wrongly typed effect was reported (SRC006) on the definition
    return m.AssignedPolicy(
        definition=str(facts.name),
        display_name=facts.display_name,
        deploys_automation=facts.deploys_automation,
        has_existence_condition=facts.has_existence_condition,
        effect=effect,
        default_effect=facts.effect,
        effect_parameter=effect_parameter(effect_cur.value) if effect_cur is not None else None,
        definition_origin=facts.origin,
    )


def assigned_builtin(assignment: m.PolicyAssignment) -> m.AssignedPolicy | None:
    """An assignment of a bundled built-in DINE policy (auditor/data/builtin-policies.json) evaluated
    with its values; None when it assigns another definition (or one not named by a plain id)."""
    if not isinstance(assignment.policy_definition_id, str):
        return None
    from auditor.builtin_policies import builtin_policy

    builtin = builtin_policy(assignment.policy_definition_id)
    if builtin is None:
        return None
    effect: Any = builtin.effect
    if builtin.effect_parameter is not None:
        effect = _assigned_value(assignment, builtin, builtin.effect_parameter)
    target: Any = None
    chosen: tuple[str, ...] = ()
    if builtin.callback is not None:
        cb = builtin.callback
        chosen = (cb.trigger_parameter, cb.logic_app_parameter)
        app = _assigned_value(assignment, builtin, cb.logic_app_parameter)
        choice = _assigned_value(assignment, builtin, cb.trigger_parameter)
        if is_unknown(app):
            target = app
        elif is_unknown(choice):
            target = choice
        elif isinstance(app, str) and isinstance(choice, str):
            trigger = cb.trigger_name(choice)  # None: not an allowed value, Azure rejects the assignment
            target = f"{app.rstrip('/')}/triggers/{trigger}" if trigger is not None else None
    return m.AssignedPolicy(
        definition=builtin.id,
        display_name=builtin.display_name,
        version=builtin.version,
        builtin=True,
        deploys_automation=builtin.deploys_automation,
        has_existence_condition=builtin.existence_condition is not None,
        effect=effect if isinstance(effect, str) or is_unknown(effect) else None,
        effect_parameter=builtin.effect_parameter,
        callback_target=target,
        callback_parameters=chosen,
    )


def _assigned_value(assignment: m.PolicyAssignment, builtin: BuiltinPolicy, name: str) -> Any:
    """The assignment's value of parameter ``name``, else the built-in's default, else an Unknown."""
    lowered = name.lower()
    for key, value in assignment.parameters.items():
        if key.lower() == lowered:
            return value
    has_default, default = builtin.default(name)
    if has_default:
        return default
    return Unknown(
        f"parameter '{name}' of built-in policy '{builtin.display_name}' has no default and the assignment "
        "does not set it"
    )
