"""Evaluating the ARM template a DeployIfNotExists policy deploys (shared by the ARM and Terraform sources).

The policy engine evaluates ``details.deployment.properties.parameters`` against the policy's
parameters (the assignment's values, else the defaults, else unknown); ARM then evaluates the
embedded template with those values. Both steps are the same whichever file format the policy came in.
"""

from __future__ import annotations

from typing import Any

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
from auditor.unknown import is_unknown

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
