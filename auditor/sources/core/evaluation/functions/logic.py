"""Logic, comparison and number functions: ``if``/``and``/``or`` with ARM's short-circuit
semantics, ``coalesce``, ``equals`` and ordering, ``int``/``float`` and int64 arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from auditor import lazyre
from auditor.sources.core.evaluation.functions.registry import LAZY, template_function
from auditor.sources.core.evaluation.values import (
    EvalError,
    arm_equals,
    culture_key,
    derived_unknown,
    describe,
    int64,
    ordinal,
    want_bool,
    want_int,
    want_number,
)
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator, Node

_INT_TEXT = lazyre.compile(r"\s*[+-]?[0-9]+\s*")
_FLOAT_TEXT = lazyre.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


# --------------------------------------------------------------------------- logic and comparison


@template_function("equals", 2, 2)
def _equals(ev: Evaluator, args: list[Any]) -> bool:
    """equals(a, b): deep, case-sensitive for strings."""
    return arm_equals(args[0], args[1])


@template_function("not", 1, 1)
def _not(ev: Evaluator, args: list[Any]) -> bool:
    """not(bool)."""
    return not want_bool("not", args[0], "its argument")


def _junction(fn: str, nodes: Sequence[Node], ev: Evaluator, stop: bool) -> Any:
    """and()/or(): stop at the first known ``stop`` value; otherwise an Unknown argument makes
    the result unknown (a later known ``stop`` still decides it)."""
    pending: Unknown | None = None
    for i, node in enumerate(nodes):
        value = ev.eval(node)
        if isinstance(value, Unknown):
            pending = pending if pending is not None else value
            continue
        if want_bool(fn, value, ordinal(i)) is stop:
            return stop
    return (not stop) if pending is None else derived_unknown(pending)


@template_function("and", 2, None, LAZY)
def _and(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """and(bool, bool, ...), short-circuiting on a known false."""
    return _junction("and", nodes, ev, stop=False)


@template_function("or", 2, None, LAZY)
def _or(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """or(bool, bool, ...), short-circuiting on a known true."""
    return _junction("or", nodes, ev, stop=True)


@template_function("if", 3, 3, LAZY)
def _if(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """Only the chosen branch is evaluated, as in ARM: the other may be unknown or even fail."""
    condition = ev.eval(nodes[0])
    if isinstance(condition, Unknown):
        return derived_unknown(condition)
    return ev.eval(nodes[1] if want_bool("if", condition, "the condition") else nodes[2])


@template_function("coalesce", 1, None, LAZY)
def _coalesce(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """First non-null argument; an Unknown before it might be null or not, so it is the answer."""
    for node in nodes:
        value = ev.eval(node)
        if value is not None:
            return value
    return None


@template_function("bool", 1, 1)
def _bool(ev: Evaluator, args: list[Any]) -> bool:
    """bool(value): 'true'/'false' (any case), ints (0 is false) or a bool."""
    value = args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise EvalError(f"bool() cannot convert {describe(value)} to a bool")


def _compare(fn: str, args: list[Any]) -> int:
    """-1/0/1 for two numbers or two strings (invariant-culture order); other pairs are an error."""
    a, b = args
    numeric = (int, float)
    if (
        isinstance(a, numeric)
        and isinstance(b, numeric)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        ka, kb = culture_key(a), culture_key(b)
        return (ka > kb) - (ka < kb)
    raise EvalError(f"{fn}() compares two integers or two strings, got {describe(a)} and {describe(b)}")


@template_function("greater", 2, 2)
def _greater(ev: Evaluator, args: list[Any]) -> bool:
    """greater(a, b)."""
    return _compare("greater", args) > 0


@template_function("greaterOrEquals", 2, 2)
def _greater_or_equals(ev: Evaluator, args: list[Any]) -> bool:
    """greaterOrEquals(a, b)."""
    return _compare("greaterOrEquals", args) >= 0


@template_function("less", 2, 2)
def _less(ev: Evaluator, args: list[Any]) -> bool:
    """less(a, b)."""
    return _compare("less", args) < 0


@template_function("lessOrEquals", 2, 2)
def _less_or_equals(ev: Evaluator, args: list[Any]) -> bool:
    """lessOrEquals(a, b)."""
    return _compare("lessOrEquals", args) <= 0


@template_function("true", 0, 0)
def _true(ev: Evaluator, args: list[Any]) -> bool:
    """true()."""
    return True


@template_function("false", 0, 0)
def _false(ev: Evaluator, args: list[Any]) -> bool:
    """false()."""
    return False


@template_function("null", 0, 0)
def _null(ev: Evaluator, args: list[Any]) -> None:
    """null()."""
    return None


# --------------------------------------------------------------------------- numbers


@template_function("int", 1, 1)
def _int(ev: Evaluator, args: list[Any]) -> int:
    """int(value): a decimal string, an int, or a float (rounded, as .NET converts)."""
    value = args[0]
    if type(value) is int:
        return int64("int", value)
    if isinstance(value, float):
        return int64("int", round(value))
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        if len(value.strip().lstrip("+-").lstrip("0")) > 19:  # beyond 64 bits (and Python's parse limit)
            raise EvalError(f"int(): {describe(value)} does not fit in a 64-bit integer")
        return int64("int", int(value))
    raise EvalError(f"int() cannot convert {describe(value)} to an integer")


@template_function("float", 1, 1)
def _float(ev: Evaluator, args: list[Any]) -> float:
    """float(value): a decimal string or a number."""
    value = args[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _FLOAT_TEXT.fullmatch(value):
        return float(value)
    raise EvalError(f"float() cannot convert {describe(value)} to a number")


def _operands(fn: str, args: list[Any]) -> tuple[int, int]:
    """The two integer operands of an arithmetic function."""
    return want_int(fn, args[0], "argument 1"), want_int(fn, args[1], "argument 2")


@template_function("add", 2, 2)
def _add(ev: Evaluator, args: list[Any]) -> int:
    """add(a, b)."""
    a, b = _operands("add", args)
    return int64("add", a + b)


@template_function("sub", 2, 2)
def _sub(ev: Evaluator, args: list[Any]) -> int:
    """sub(a, b)."""
    a, b = _operands("sub", args)
    return int64("sub", a - b)


@template_function("mul", 2, 2)
def _mul(ev: Evaluator, args: list[Any]) -> int:
    """mul(a, b)."""
    a, b = _operands("mul", args)
    return int64("mul", a * b)


@template_function("div", 2, 2)
def _div(ev: Evaluator, args: list[Any]) -> int:
    """Integer division truncating toward zero (.NET), not Python's floor division."""
    a, b = _operands("div", args)
    if b == 0:
        raise EvalError("div(): division by zero")
    quotient = abs(a) // abs(b)
    return int64("div", -quotient if (a < 0) != (b < 0) else quotient)


@template_function("mod", 2, 2)
def _mod(ev: Evaluator, args: list[Any]) -> int:
    """Remainder with the sign of the dividend (.NET %), not Python's floor modulo."""
    a, b = _operands("mod", args)
    if b == 0:
        raise EvalError("mod(): division by zero")
    remainder = abs(a) % abs(b)
    return -remainder if a < 0 else remainder


def _extremum(fn: str, args: list[Any]) -> list[int | float]:
    """The numbers min()/max() compare: either one array argument or the arguments themselves."""
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        raise EvalError(f"{fn}() needs at least one value")
    return [want_number(fn, v, "a value") for v in values]


@template_function("min", 1, None)
def _min(ev: Evaluator, args: list[Any]) -> int | float:
    """min(array | numbers...)."""
    return min(_extremum("min", args))


@template_function("max", 1, None)
def _max(ev: Evaluator, args: list[Any]) -> int | float:
    """max(array | numbers...)."""
    return max(_extremum("max", args))


@template_function("range", 2, 2)
def _range(ev: Evaluator, args: list[Any]) -> list[int]:
    """range(start, count), with ARM's limits (count <= 10000) so a typo cannot allocate millions."""
    start = want_int("range", args[0], "the start index")
    count = want_int("range", args[1], "the count")
    if count < 0 or count > 10000:
        raise EvalError(f"range(): the count must be between 0 and 10000, got {count}")
    if start + count > 2147483647:
        raise EvalError("range(): the start index plus the count must not exceed 2147483647")
    return list(range(start, start + count))
