"""ARM evaluation budgets: every bomb the issue-9 fuzz campaign found ends in an SRC005 finding, fast.

Each class goes through the real pipeline (ARM source → inventory → every check; the CLI where the
gate is the point) and asserts the *result*: an ``evaluation-limit`` finding that names the limit, the
expression and its file:line, and (where memory or time was the danger) how little was built. Before
the budgets these inputs grew to gigabytes, ran for minutes, or ended in an "internal error".

* doubling through variables with each function named in the issue (``concat`` of strings and of
  arrays, ``createArray``, ``createObject``, ``union``, ``format('{0}{0}')``, chained ``base64``);
* ``format('{0:D999999999}')``; nested ``map()`` over large ranges;
* nested copy loops: through nested deployments (800³), resource copy around property copy, property
  copy inside property copy, variable copy in a looped nested deployment, outer-scope deployments and
  DeployIfNotExists policy deployments: the copy budget is for all nesting levels together, so the
  loops around a loop multiply what it costs; what is evaluated once (a variable) is not multiplied;
* nesting thousands deep in a resource property, in a template's Logic App ``Scope`` actions and in
  the value classification reads;
* the evaluators' catch-all: a bug re-raises in the test suite; MemoryError and RecursionError are
  SRC005 findings, never a silent unknown.

Small custom :class:`~auditor.budget.Limits` (patched into the loader, which makes one budget per
file) keep the loop tests fast; each class also has a test at the default limits.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor import budget as budget_mod
from auditor.budget import Budget, Limits
from auditor.cli import main
from auditor.engine import ScanResult, run
from auditor.sources.arm import loader
from auditor.sources.core.evaluation import expressions, functions
from auditor.sources.dispatch import FileScan
from auditor.unknown import Unknown
from conftest import all_checks
from tests.samples import dine_rule

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
LA = "[resourceId('Microsoft.Logic/workflows', 'la')]"
DEEP = 5000  # far beyond Python's recursion limit and the walk-depth limit (256)


# ---------------------------------------------------------------- building inputs


def automation(name: str = "wf", **props: Any) -> dict[str, Any]:
    """A workflow automation; ``props`` are added to (or replace) its properties."""
    properties: dict[str, Any] = {
        "isEnabled": True,
        "scopes": [{"scopePath": "[subscription().id]"}],
        "sources": [{"eventSource": "Alerts"}],
        "actions": [{"actionType": "LogicApp", "logicAppResourceId": LA, "uri": "https://example.invalid"}],
    }
    properties.update(props)
    return {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": name,
        "location": "westeurope",
        "properties": properties,
    }


def template(*resources: Any, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": list(resources)}
    if variables is not None:
        doc["variables"] = variables
    return doc


def looped(resource: dict[str, Any], name: str, count: int) -> dict[str, Any]:
    """``resource`` in a copy loop (its name made unique by copyIndex)."""
    return {
        **resource,
        "name": f"[concat('{name}', copyIndex('{name}'))]",
        "copy": {"name": name, "count": count},
    }


def deployment(inner: dict[str, Any], name: str, count: int, scope: str = "inner") -> dict[str, Any]:
    """An inline nested deployment of ``inner`` in a copy loop of ``count``."""
    return {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": f"[concat('{name}', copyIndex())]",
        "copy": {"name": name, "count": count},
        "properties": {
            "mode": "Incremental",
            "expressionEvaluationOptions": {"scope": scope},
            "template": inner,
        },
    }


def doubling(step: Callable[[str], str], start: str, levels: int = 40) -> tuple[dict[str, str], str]:
    """Variables ``v0 = start`` and ``v(i) = step(variables('v(i-1)'))``; the expression using the last."""
    variables = {"v0": f"[{start}]"}
    for i in range(1, levels):
        previous = "variables('v" + str(i - 1) + "')"
        variables[f"v{i}"] = f"[{step(previous)}]"
    return variables, f"[variables('v{levels - 1}')]"


def write(tmp_path: Path, doc: Any, name: str = "bomb.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def scan(path: Path) -> ScanResult:
    """The real pipeline with every built-in check."""
    return run(FileScan().scan([path]), list(all_checks()))


def limits_of(result: ScanResult) -> list[Any]:
    """The SRC005 findings, each checked to carry a file, a line and a column."""
    found = [f for f in result.findings if f.rule.id == "SRC005"]
    for f in found:
        assert f.location.file and f.location.line >= 1 and f.location.column >= 1, f
        assert f.message.startswith("evaluation limit: ")
    return found


def automations(path: Path) -> int:
    """How many automations the ARM source built from ``path``."""
    return len(FileScan().scan([path]).automations)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``small(max_copy_iterations=1000, ...)``: every file the loader evaluates gets these limits."""

    def apply(**limits: Any) -> None:
        chosen = Limits(**limits)
        monkeypatch.setattr(loader, "Budget", lambda: Budget(chosen))

    return apply


# ---------------------------------------------------------------- doubling through variables

#: Doubling (or, for base64, growing by a third) at each variable: (step, first value, variables).
DOUBLING: dict[str, tuple[Callable[[str], str], str, int]] = {
    "concat": (lambda v: f"concat({v}, {v})", "'x'", 40),
    "concat of arrays": (lambda v: f"concat({v}, {v})", "createArray(1)", 40),
    "createArray": (lambda v: f"createArray({v}, {v})", "'x'", 40),
    "createObject": (lambda v: f"createObject('a', {v}, 'b', {v})", "'x'", 40),
    "union": (lambda v: f"union(createObject('a', {v}), createObject('b', {v}))", "'x'", 40),
    "format": (lambda v: f"format('{{0}}{{0}}', {v})", "'x'", 40),
    "base64": (lambda v: f"base64({v})", "'xxxx'", 80),
}


@pytest.mark.parametrize("function", list(DOUBLING))
def test_doubling_through_variables_is_an_src005_finding(tmp_path: Path, function: str) -> None:
    step, start, levels = DOUBLING[function]
    variables, last = doubling(step, start, levels)
    path = write(tmp_path, template(automation(description=last), variables=variables))
    result = scan(path)
    found = limits_of(result)
    assert found, "a bomb must never pass clean"
    first = found[0]
    assert first.location.file == str(path)
    assert "value size limit" in first.message or "evaluation steps limit" in first.message
    called = function.split(" ")[0]
    assert f" in '[{called}(" in first.message and "variables('v" in first.message  # what asked
    assert result.errors == ()


def test_concat_doubling_names_the_limit_and_size(tmp_path: Path) -> None:
    variables, last = doubling(lambda v: f"concat({v}, {v})", "'x'")
    path = write(tmp_path, template(automation(description=last), variables=variables))
    (found,) = limits_of(scan(path))
    assert "value size limit exceeded in '[concat(variables('v19'), variables('v19'))]'" in found.message
    assert "1,048,576 characters or elements, above the 1,000,000 limit" in found.message
    text = path.read_text()
    assert found.location.column - 1 == text.index("[concat(variables('v19')") - 1  # at its opening quote


def test_format_with_a_huge_width_is_an_src005_finding(tmp_path: Path) -> None:
    path = write(tmp_path, template(automation(description="[format('{0:D999999999}', 1)]")))
    (found,) = limits_of(scan(path))
    assert "format('{0:D999999999}', 1)" in found.message and "999,999,999 characters" in found.message


def nested_map(outer: int, inner: int) -> str:
    return f"[string(map(range(0, {outer}), lambda('x', map(range(0, {inner}), lambda('y', lambdaVariables('y'))))))]"


def test_nested_map_over_large_ranges_is_an_src005_finding(tmp_path: Path) -> None:
    """At the default limits: a million lambda calls come before the value-size limit (a million
    elements), ~4 s on the 2-core test machine, so on a slower or busier one the 5 s evaluation-time
    limit may stop it first. Either way it is one SRC005 naming the expression; which limit is tested
    deterministically below."""
    expression = nested_map(2000, 1000)
    path = write(tmp_path, template(automation(description=expression)))
    (found,) = limits_of(scan(path))
    assert expression in found.message
    assert ("map() would have" in found.message and "above the 1,000,000 limit" in found.message) or (
        "evaluation time limit exceeded" in found.message and "more than 5 s" in found.message
    ), found.message


def test_nested_map_stops_at_the_value_size_limit(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_value_size=10_000)
    path = write(tmp_path, template(automation(description=nested_map(200, 100))))
    (found,) = limits_of(scan(path))
    assert "map() would have 10," in found.message and "above the 10,000 limit" in found.message


def test_a_bomb_fails_the_gate_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    variables, last = doubling(lambda v: f"format('{{0}}{{0}}', {v})", "'x'")
    path = write(tmp_path, template(automation(description=last), variables=variables))
    code = main(["scan", str(path), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert "SRC005" in json.dumps(report)


# ---------------------------------------------------------------- copy loops, all levels together


def copy_cube() -> dict[str, Any]:
    """800 nested deployments, each of 800 nested deployments, each of 800 automations (800³)."""
    inner = template(looped(automation(), "c", 800))
    return template(deployment(template(deployment(inner, "d2", 800)), "d1", 800))


def test_copy_loops_in_nested_deployments_multiply_against_one_budget(tmp_path: Path) -> None:
    """At the default limits: stopped at the second level, after a handful of resources (before the fix,
    100,000 automations were evaluated until the 10 s time limit fired, with 800 MB of memory)."""
    path = write(tmp_path, copy_cube())
    result = scan(path)
    (found,) = limits_of(result)
    assert found.message == (
        "evaluation limit: copy iterations limit exceeded: copy 'd2' of 800, run 800 times by the copy "
        "loops around it, brings the file to 640,800 copy iterations, above the 20,000 limit for all "
        "loops together"
    )
    assert found.location.file == str(path)
    assert automations(path) < 10


def test_copy_cube_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, copy_cube())
    assert main(["scan", str(path)]) == 1
    assert "SRC005" in capsys.readouterr().out


def test_loops_within_the_budget_are_evaluated_in_full(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=1000)
    inner = template(looped(automation(), "c", 20))
    path = write(tmp_path, template(deployment(inner, "d", 40)))  # 40 + 40 × 20 = 840
    assert limits_of(scan(path)) == []
    assert automations(path) == 800


def test_loops_over_the_budget_stop_before_evaluating_it(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=1000)
    inner = template(looped(automation(), "c", 30))
    path = write(tmp_path, template(deployment(inner, "d", 40)))  # 40 + 40 × 30 = 1,240
    (found,) = limits_of(scan(path))
    assert (
        "copy 'c' of 30, run 40 times by the copy loops around it, brings the file to 1,240" in found.message
    )
    assert automations(path) == 1  # one representative instance, not 33 × 30 before the budget ran out


def test_outer_scope_nested_deployments_multiply_too(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=1000)
    inner = template(looped(automation(), "c", 30))
    path = write(tmp_path, template(deployment(inner, "d", 40, scope="outer")))
    (found,) = limits_of(scan(path))
    assert "copy iterations limit" in found.message and "run 40 times" in found.message
    assert automations(path) == 1


def test_property_copy_inside_a_resource_copy_is_charged(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=1000)
    wf = automation(copy=[{"name": "scopes", "count": 30, "input": {"scopePath": "[subscription().id]"}}])
    del wf["properties"]["scopes"]
    path = write(tmp_path, template(looped(wf, "r", 40)))
    (found,) = limits_of(scan(path))
    assert "copy 'scopes' of 30, run 40 times" in found.message
    assert automations(path) == 1


def test_property_copy_inside_a_property_copy_is_charged(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=1000)
    inner = {"name": "rules", "count": 40, "input": {"propertyJPath": "x", "expectedValue": "y"}}
    outer = {"name": "ruleSets", "count": 40, "input": {"copy": [inner]}}
    path = write(tmp_path, template(automation(sources=[{"eventSource": "Alerts", "copy": [outer]}])))
    (found,) = limits_of(scan(path))
    assert "copy 'rules' of 40, run 40 times" in found.message


def test_a_variable_is_charged_once_not_once_per_use(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=100)
    variables = {"copy": [{"name": "paths", "count": 40, "input": "[subscription().id]"}]}
    wf = automation(description="[string(variables('paths'))]")
    path = write(tmp_path, template(looped(wf, "r", 30), variables=variables))  # 30 + 40, not 30 × 40
    assert limits_of(scan(path)) == []
    assert automations(path) == 30


def test_a_variable_copy_in_a_looped_nested_deployment_is_charged_per_deployment(
    tmp_path: Path, small: Callable[..., None]
) -> None:
    small(max_copy_iterations=1000)
    variables = {"copy": [{"name": "paths", "count": 30, "input": "[subscription().id]"}]}
    inner = template(automation(description="[string(variables('paths'))]"), variables=variables)
    path = write(tmp_path, template(deployment(inner, "d", 40)))
    (found,) = limits_of(scan(path))
    assert "copy 'paths' of 30, run 40 times" in found.message


def policy(count: int, name: str = "dine") -> dict[str, Any]:
    """A DeployIfNotExists policy whose deployment loops ``count`` nested deployments of ``count`` automations."""
    inner = template(looped(automation(), "c", count))
    return {
        "properties": {
            "displayName": name,
            "policyType": "Custom",
            "mode": "All",
            "parameters": {},
            "policyRule": dine_rule(
                template(deployment(inner, "d", count)),
                ["/providers/Microsoft.Authorization/roleDefinitions/fb1c8493-542b-48eb-b624-b4c8fea62acd"],
            ),
        }
    }


def test_copy_loops_in_a_policy_deployment_multiply_against_its_budget(tmp_path: Path) -> None:
    path = write(tmp_path, policy(800), "policy.json")
    (found,) = limits_of(scan(path))
    assert "copy 'c' of 800, run 800 times by the copy loops around it" in found.message
    assert automations(path) < 10


def test_policy_loops_within_the_budget_are_evaluated(tmp_path: Path, small: Callable[..., None]) -> None:
    small(max_copy_iterations=1000)
    path = write(tmp_path, policy(20), "policy.json")
    assert limits_of(scan(path)) == []
    assert automations(path) == 400


# ---------------------------------------------------------------- deep nesting


def test_deep_nesting_in_a_resource_property_is_an_src005_finding(tmp_path: Path) -> None:
    deep = '{"k": ' * DEEP + '"x"' + "}" * DEEP
    wf = json.dumps(automation()).replace('"isEnabled": true', f'"deep": {deep}, "isEnabled": true')
    path = write(tmp_path, json.dumps(template())[:-2] + wf + "]}")
    result = scan(path)
    found = limits_of(result)
    assert len(found) == 1 and "walk depth limit" in found[0].message
    assert "nested more than 256 levels deep" in found[0].message
    assert result.errors == ()


def test_deep_scope_actions_in_a_template_logic_app_are_an_src005_finding(tmp_path: Path) -> None:
    action = '{"type": "Http", "inputs": {"method": "GET", "uri": "https://example.invalid"}}'
    actions = '{"s": {"type": "Scope", "actions": ' * 3000 + '{"a": ' + action + "}" + "}}" * 3000
    workflow = (
        '{"type": "Microsoft.Logic/workflows", "apiVersion": "2019-05-01", "name": "la", '
        '"location": "westeurope", "properties": {"definition": {"triggers": {}, "actions": '
        + actions
        + "}}}"
    )
    path = write(tmp_path, json.dumps(template())[:-2] + workflow + "]}")
    result = scan(path)
    found = limits_of(result)
    assert found and all("walk depth limit" in f.message for f in found)
    assert result.errors == ()


def test_classification_reads_a_deep_type_without_recursing(tmp_path: Path) -> None:
    """``str()`` of a 5,000-deep ``type`` recursed in classification (an internal error)."""
    path = write(tmp_path, '{"type": ' + "[" * DEEP + "]" * DEEP + ', "properties": {}}')
    source = FileScan()
    inventory = source.scan([path])
    assert [f.kind for f in inventory.files] == ["not-ours"]


# ---------------------------------------------------------------- the evaluators' catch-all


def _broken(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``toLower()`` raise ``exc`` (an auditor bug, or Python running out of memory or stack)."""

    def impl(ev: Any, args: list[Any]) -> Any:
        raise exc

    monkeypatch.setitem(
        functions.FUNCTIONS, "tolower", dataclasses.replace(functions.FUNCTIONS["tolower"], impl=impl)
    )


def test_a_bug_in_a_function_reraises_in_the_test_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _broken(ZeroDivisionError("a bug"), monkeypatch)
    path = write(tmp_path, template(automation(description="[toLower('X')]")))
    assert budget_mod.reraise_bugs()
    with pytest.raises(ZeroDivisionError, match="a bug"):
        FileScan().scan([path])


def test_a_bug_in_a_function_is_an_unknown_for_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _broken(ZeroDivisionError("a bug"), monkeypatch)
    monkeypatch.setattr(expressions, "reraise_bugs", lambda: False)
    path = write(tmp_path, template(automation(isEnabled="[toLower('X')]")))
    (wf,) = FileScan().scan([path]).automations
    assert isinstance(wf.is_enabled, Unknown) and "ZeroDivisionError: a bug" in wf.is_enabled.reason


@pytest.mark.parametrize(
    ("exc", "limit"), [(MemoryError(), "memory limit"), (RecursionError(), "walk depth limit")]
)
def test_memory_and_recursion_errors_are_src005_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, limit: str
) -> None:
    _broken(exc, monkeypatch)
    path = write(tmp_path, template(automation(description="[toLower('X')]")))
    (found,) = limits_of(scan(path))
    assert limit in found.message and "toLower('X')" in found.message
