"""Evaluating the ARM template a DeployIfNotExists policy deploys (shared by the ARM and Terraform sources).

The policy engine evaluates ``details.deployment.properties.parameters`` against the policy's
parameters (the assignment's values, else the defaults, else unknown); ARM then evaluates the
embedded template with those values. Both steps are the same whichever file format the policy came in.
"""

from __future__ import annotations

from typing import Any

from auditor.sources.arm.cursor import Context, Cursor
from auditor.sources.arm.jsonpos import PDict
from auditor.sources.arm.template import (
    EvaluatedResource,
    ExpressionProblem,
    Scope,
    TemplateEvaluator,
    scope_level_from_schema,
)

MISSING_HINT = "set by the policy assignment"


def policy_values(params_decl: Any, cur: Cursor, supplied: dict[str, Any]) -> TemplateEvaluator:
    """An evaluator whose parameters are the policy's (assignment value, else default, else unknown)."""
    return TemplateEvaluator(
        PDict(parameters=params_decl), cur, supplied=supplied, missing_parameter_hint=MISSING_HINT
    )


def evaluate_deployment(
    deployment: Cursor, params_decl: Any, props: Cursor, supplied: dict[str, Any], label: str
) -> tuple[list[EvaluatedResource], list[ExpressionProblem]]:
    """The resources ``details.deployment`` would deploy, and the invalid expressions met on the way."""
    template = deployment.at("properties", "template")
    if template is None or not isinstance(template.value, dict):
        return [], []
    policy_ctx = policy_values(params_decl, props, supplied)
    passed = policy_ctx.evaluate_node(deployment.value_at("properties", "parameters") or {})
    values: dict[str, Any] = {}
    if isinstance(passed, dict):
        for key, spec in passed.items():
            if isinstance(spec, dict) and "value" in spec:
                values[key] = spec["value"]
    evaluator = TemplateEvaluator(
        template.value,
        template.with_context(Context(template.ctx.src, deployment=label)),
        supplied=values,
        scope=Scope(level=scope_level_from_schema(template.value.get("$schema"))),
        deployment=label,
        missing_parameter_hint=MISSING_HINT,
    )
    resources = list(evaluator.resources())
    return resources, [*evaluator.problems, *policy_ctx.problems]
