"""Lambda functions (``filter``, ``map``, ``reduce``, ``sort``, ``toObject``, ``mapValues``,
``groupBy``): bodies are evaluated lazily with the lambda variables bound, under the budget.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from auditor.budget import Budget
from auditor.records import record
from auditor.sources.core.evaluation.functions.registry import LAZY, template_function
from auditor.sources.core.evaluation.values import (
    EvalError,
    derived_unknown,
    describe,
    want_bool,
    want_dict,
    want_list,
    want_str,
    weigh,
)
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator, Node

_LAMBDA_FUNCTIONS = "filter(), map(), reduce(), sort(), toObject(), mapValues() or groupBy()"


class _Abort(Exception):
    """Carries an Unknown out of a comparison callback (``sort``), where a return value cannot."""

    def __init__(self, unknown: Unknown) -> None:
        super().__init__(unknown.reason)
        self.unknown = unknown


# --------------------------------------------------------------------------- lambdas


@record(slots=True)
class _Lambda:
    """A ``lambda('x', body)`` argument: parameter names, body node, and the enclosing scope."""

    params: tuple[str, ...]
    body: Node
    scope: dict[str, Any] | None


def _lambda_arg(ev: Evaluator, node: Node, fn: str, position: int, low: int, high: int) -> _Lambda:
    """Build the lambda written at ``node``; ARM only allows ``lambda(...)`` literally in that slot."""
    args: tuple[Node, ...] | None = getattr(node, "args", None)
    if getattr(node, "key", None) != "lambda" or args is None:
        raise EvalError(f"{fn}() expects lambda(...) as argument {position}")
    if len(args) < 2:
        raise EvalError("lambda() needs at least one parameter name and a body")
    names = []
    for name_node in args[:-1]:
        name = ev.eval(name_node)
        if not isinstance(name, str) or not name:
            raise EvalError(f"lambda() parameter names must be strings, got {describe(name)}")
        names.append(name)
    if not low <= len(names) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise EvalError(f"{fn}() expects a lambda with {want} parameter(s), got {len(names)}")
    return _Lambda(tuple(names), args[-1], ev.scope)


def _invoke(ev: Evaluator, fn: _Lambda, values: Sequence[Any]) -> Any:
    """Evaluate a lambda body with its parameters bound (case-insensitive, as lambdaVariables())."""
    scope = dict(fn.scope) if fn.scope else {}
    for name, value in zip(fn.params, values, strict=False):  # a lambda may ignore trailing values
        scope[name.lower()] = value
    saved = ev.scope
    ev.scope = scope
    try:
        return ev.eval(fn.body)
    finally:
        ev.scope = saved


def _input_list(ev: Evaluator, node: Node, fn: str) -> list[Any] | Unknown:
    """The array a lambda function iterates over, or the Unknown that stands for it."""
    value = ev.eval(node)
    if isinstance(value, Unknown):
        return derived_unknown(value)
    items = want_list(fn, value, "argument 1")
    ev.budget.step(len(items))  # the lambda runs once per item (sort: more), whatever its body
    return items


class _Growing:
    """The size of a result a lambda function builds item by item (``map`` over ``range`` of
    ranges), checked against the value-size budget as it grows."""

    __slots__ = ("budget", "size", "what")

    def __init__(self, budget: Budget, what: str) -> None:
        self.budget, self.size, self.what = budget, 0, what

    def add(self, value: Any) -> Any:
        cap = self.budget.limits.max_value_size
        size, walked = weigh(value, cap - self.size)
        self.size += size + 1
        if walked:
            self.budget.step(walked)
        self.budget.value(self.size, self.what)
        return value


@template_function("lambda", 0, None, LAZY)
def _lambda(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """A lambda anywhere but a lambda function's argument is an ARM error."""
    raise EvalError(f"lambda() can only be used directly as an argument of {_LAMBDA_FUNCTIONS}")


@template_function("lambdaVariables", 1, 1)
def _lambda_variables(ev: Evaluator, args: list[Any]) -> Any:
    """lambdaVariables(name): a parameter of an enclosing lambda."""
    name = want_str("lambdaVariables", args[0], "the variable name")
    if ev.scope is not None and name.lower() in ev.scope:
        return ev.scope[name.lower()]
    raise EvalError(f"lambdaVariables('{name}') is not a parameter of an enclosing lambda()")


@template_function("filter", 2, 2, LAZY)
def _filter(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """filter(array, lambda(item[, index])): items for which the lambda is true."""
    items = _input_list(ev, nodes[0], "filter")
    if isinstance(items, Unknown):
        return items
    fn = _lambda_arg(ev, nodes[1], "filter", 2, 1, 2)
    kept = []
    for i, item in enumerate(items):
        keep = _invoke(ev, fn, (item, i))
        if isinstance(keep, Unknown):
            return derived_unknown(keep)
        if want_bool("filter", keep, "the lambda result"):
            kept.append(item)
    return kept


@template_function("map", 2, 2, LAZY)
def _map(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """map(array, lambda(item[, index])): results may be Unknown items."""
    items = _input_list(ev, nodes[0], "map")
    if isinstance(items, Unknown):
        return items
    fn = _lambda_arg(ev, nodes[1], "map", 2, 1, 2)
    result = _Growing(ev.budget, "map()")
    return [result.add(_invoke(ev, fn, (item, i))) for i, item in enumerate(items)]


@template_function("reduce", 3, 3, LAZY)
def _reduce(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """reduce(array, initial, lambda(accumulator, item[, index]))."""
    items = _input_list(ev, nodes[0], "reduce")
    if isinstance(items, Unknown):
        return items
    accumulator = ev.eval(nodes[1])
    fn = _lambda_arg(ev, nodes[2], "reduce", 3, 2, 3)
    for i, item in enumerate(items):
        accumulator = _invoke(ev, fn, (accumulator, item, i))
    return accumulator


@template_function("sort", 2, 2, LAZY)
def _sort(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """sort(array, lambda(a, b)): the lambda says whether a goes before b."""
    items = _input_list(ev, nodes[0], "sort")
    if isinstance(items, Unknown):
        return items
    fn = _lambda_arg(ev, nodes[1], "sort", 2, 2, 2)

    def before(a: Any, b: Any) -> bool:
        result = _invoke(ev, fn, (a, b))
        if isinstance(result, Unknown):
            raise _Abort(derived_unknown(result))
        return want_bool("sort", result, "the lambda result")

    def compare(a: Any, b: Any) -> int:
        ev.budget.step()
        if before(a, b):
            return -1
        return 1 if before(b, a) else 0

    try:
        return sorted(items, key=functools.cmp_to_key(compare))
    except _Abort as abort:
        return abort.unknown


@template_function("toObject", 2, 3, LAZY)
def _to_object(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """toObject(array, keyLambda, [valueLambda])."""
    items = _input_list(ev, nodes[0], "toObject")
    if isinstance(items, Unknown):
        return items
    key_fn = _lambda_arg(ev, nodes[1], "toObject", 2, 1, 1)
    value_fn = _lambda_arg(ev, nodes[2], "toObject", 3, 1, 1) if len(nodes) > 2 else None
    result: dict[str, Any] = {}
    size = _Growing(ev.budget, "toObject()")
    for item in items:
        key = _invoke(ev, key_fn, (item,))
        if isinstance(key, Unknown):
            return derived_unknown(key)
        key = want_str("toObject", key, "the key lambda result")
        result[key] = size.add(_invoke(ev, value_fn, (item,)) if value_fn is not None else item)
    return result


@template_function("mapValues", 2, 2, LAZY)
def _map_values(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """mapValues(object, lambda(value))."""
    obj = ev.eval(nodes[0])
    if isinstance(obj, Unknown):
        return derived_unknown(obj)
    obj = want_dict("mapValues", obj, "argument 1")
    fn = _lambda_arg(ev, nodes[1], "mapValues", 2, 1, 1)
    ev.budget.step(len(obj))
    result = _Growing(ev.budget, "mapValues()")
    return {key: result.add(_invoke(ev, fn, (value,))) for key, value in obj.items()}


@template_function("groupBy", 2, 2, LAZY)
def _group_by(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """groupBy(array, lambda(item)): items grouped under the lambda's string key."""
    items = _input_list(ev, nodes[0], "groupBy")
    if isinstance(items, Unknown):
        return items
    fn = _lambda_arg(ev, nodes[1], "groupBy", 2, 1, 1)
    groups: dict[str, list[Any]] = {}
    for item in items:
        key = _invoke(ev, fn, (item,))
        if isinstance(key, Unknown):
            return derived_unknown(key)
        groups.setdefault(want_str("groupBy", key, "the key lambda result"), []).append(item)
    return groups
