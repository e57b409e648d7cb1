"""ARM value semantics shared by the evaluator and every function family.

Type names and descriptions for messages, Unknown search, size weighing against the budget,
case-insensitive property and index access, ARM equality, and the argument coercions
(``want_str``, ``want_int``...) that turn a wrong type into an :class:`EvalError` the way ARM
would fail the deployment. Kept apart from the functions so the evaluator and Terraform can use
the semantics without loading the function table.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from auditor import lazyre
from auditor.budget import Budget
from auditor.unknown import CallbackUrl, ResourceReference, Unknown

if TYPE_CHECKING:
    pass

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_SCALARS = (str, int, float, bool, type(None))


class EvalError(Exception):
    """A semantic error in an expression (ARM would fail the deployment); ``reason`` is user-facing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def type_name(value: Any) -> str:
    """ARM's name for the type of a value (for error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def describe(value: Any) -> str:
    """Short description of a value for messages: type plus a clipped value for scalars."""
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, (bool, int, float)):
        return f"{type_name(value)} {value}"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return type_name(value)


def find_unknown(value: Any, budget: Budget | None = None) -> Unknown | None:
    """The first Unknown in ``value`` (itself, or nested in lists/dicts, depth first), else None.

    Iterative, so a deeply nested value cannot exhaust the Python stack; when ``budget`` is
    given, the elements walked are charged to it as steps (a value that repeats a shared
    part is walked, and charged, once per repetition).
    """
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        items: Any = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return None
    walked = len(value)
    stack = [iter(items)]
    found: Unknown | None = None
    while stack and found is None:
        for item in stack[-1]:
            if isinstance(item, _SCALARS):
                continue
            if isinstance(item, Unknown):
                found = item
                break
            if isinstance(item, list):
                walked += len(item)
                stack.append(iter(item))
                break
            if isinstance(item, dict):
                walked += len(item)
                stack.append(iter(item.values()))
                break
        else:
            stack.pop()
    if budget is not None and walked > 64:
        budget.step(walked)
    return found


def weigh(value: Any, cap: int) -> tuple[int, int]:
    """``(size, walked)``: the characters of every string plus the elements of every array and
    object in ``value``, counted through all levels, and the number of elements the count walked.

    A value that holds one shared part many times (``createArray(v, v)`` through twenty
    variables) counts it once per occurrence, because that is what every later walk, comparison
    and serialisation pays. The count stops as soon as ``size`` passes ``cap``, so it never
    costs more than the limit it checks.
    """
    if isinstance(value, str):
        return len(value), 0
    if not isinstance(value, (list, dict)):
        return 0, 0
    size = walked = 0
    stack: list[Any] = [value]
    while stack:
        current = stack.pop()
        size += len(current)
        walked += len(current) + 1
        if size > cap:
            break
        for item in current if isinstance(current, list) else current.values():
            if isinstance(item, str):
                size += len(item)
            elif isinstance(item, (list, dict)):
                stack.append(item)
        if size > cap:
            break
    return size, walked


def check_size(budget: Budget, what: str, *values: Any, extra: int = 0) -> None:
    """Refuse (BudgetExceeded) to build ``what`` from ``values`` when their size together
    (see :func:`weigh`) plus ``extra`` is above the value-size limit; the walk is charged as steps."""
    cap = budget.limits.max_value_size
    total, walked = extra, 0
    for value in values:
        if total > cap:
            break
        size, steps = weigh(value, cap - total)
        total += size
        walked += steps
    if walked:
        budget.step(walked)
    budget.value(total, what)


def derived_unknown(unknown: Unknown) -> Unknown:
    """The Unknown for a value *computed from* ``unknown``.

    A plain Unknown passes through (its reason names the cause). A CallbackUrl
    is demoted to a plain Unknown with the same reason: ``concat(url, ...)`` or
    ``toLower(url)`` is no longer the trigger's callback URL, and only the URL
    itself may claim to be one.
    """
    if type(unknown) is Unknown:
        return unknown
    return Unknown(unknown.reason, unknown.expression)


def find_key(obj: dict[str, Any], name: str) -> str | None:
    """ARM property lookup: the exact key first, then a case-insensitive match."""
    if name in obj:
        return name
    lower = name.lower()
    for key in obj:
        if isinstance(key, str) and key.lower() == lower:
            return key
    return None


def get_property(value: Any, name: str) -> Any:
    """``value.name`` with ARM semantics (case-insensitive keys; any property of a CallbackUrl is itself)."""
    if isinstance(value, dict):
        key = find_key(value, name)
        if key is None:
            keys = [str(k) for k in value][:12]
            listing = ", ".join(keys) + (", ..." if len(value) > 12 else "") if keys else "no properties"
            raise EvalError(f"the object has no property '{name}' (it has: {listing})")
        return value[key]
    if isinstance(value, ResourceReference):
        # reference(x).identity.principalId: remember what was read, for role-assignment links
        return dataclasses.replace(value, path=(*value.path, name))
    if isinstance(value, Unknown):
        # listCallbackUrl(...).value / .basePath / .queries stay the callback URL of
        # the same trigger; a property of any other Unknown is just as unknown.
        return value
    raise EvalError(f"cannot read property '{name}' of {describe(value)}")


def get_index(value: Any, index: Any) -> Any:
    """``value[index]``: array element by int, object property by (case-insensitive) name."""
    if isinstance(value, Unknown):
        if isinstance(value, CallbackUrl) and isinstance(index, str):
            return value
        if isinstance(value, ResourceReference) and isinstance(index, str):
            return dataclasses.replace(value, path=(*value.path, index))
        return value if type(value) is Unknown else derived_unknown(value)
    if isinstance(index, Unknown):
        return derived_unknown(index)
    if isinstance(value, list):
        if type(index) is not int:
            raise EvalError(f"an array index must be an integer, got {describe(index)}")
        if 0 <= index < len(value):
            return value[index]
        raise EvalError(f"index {index} is out of range for an array of {len(value)} item(s)")
    if isinstance(value, dict):
        if not isinstance(index, str):
            raise EvalError(f"an object can only be indexed by a property name, got {describe(index)}")
        return get_property(value, index)
    raise EvalError(f"cannot index {describe(value)} with [{index!r}]")


def arm_equals(a: Any, b: Any) -> bool:
    """ARM ``equals``: case-sensitive strings, numeric ints/floats, deep and order-aware arrays,
    order-insensitive objects; a bool never equals a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(arm_equals(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and arm_equals(v, b[k]) for k, v in a.items())
    return False


def _float_text(value: float) -> str:
    """.NET-like text of a float: integral values without '.0'."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _json_text(value: Any) -> str:
    """Compact JSON, as ARM's string() writes objects and arrays."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def as_text(fn: str, value: Any, *, containers: bool) -> str:
    """A scalar as ARM turns it into text (bools are 'True'/'False', null is '').

    Containers become compact JSON when ``containers`` is set (string(),
    format()), otherwise they are an error (concat(), join()).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if value is None:
        return ""
    if containers and isinstance(value, (list, dict)):
        return _json_text(value)
    raise EvalError(f"{fn}() cannot turn {describe(value)} into a string")


def container_text(fn: str, value: Any, budget: Budget) -> str:
    """:func:`as_text` with containers as JSON, within the value-size budget: the JSON text of an
    array that repeats one large part is far larger than the array, so its size is counted
    first (at least one character per element and per string character), and checked again
    once written (escapes can only make it longer, by a bounded factor)."""
    if not isinstance(value, (list, dict)):
        return as_text(fn, value, containers=True)
    check_size(budget, f"{fn}() of {describe(value)}", value)
    text = _json_text(value)
    budget.value(len(text), f"{fn}() of {describe(value)}")
    return text


def parse_digits(text: str) -> int:
    """A run of decimal digits as an int; absurdly long runs (beyond Python's int-parsing limit)
    become a number above every budget instead of a ValueError."""
    return int(text) if len(text) <= 18 else 10**18


def want_str(fn: str, value: Any, what: str) -> str:
    """The argument as a string, or an EvalError naming the function and the slot (for a readable reason)."""
    if isinstance(value, str):
        return value
    raise EvalError(f"{fn}() expects a string as {what}, got {describe(value)}")


def want_int(fn: str, value: Any, what: str) -> int:
    """The argument as an int; bools are rejected because ARM does not treat them as numbers."""
    if type(value) is int:
        return value
    raise EvalError(f"{fn}() expects an integer as {what}, got {describe(value)}")


def want_number(fn: str, value: Any, what: str) -> int | float:
    """The argument as an int or float (never a bool)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise EvalError(f"{fn}() expects a number as {what}, got {describe(value)}")


def want_bool(fn: str, value: Any, what: str) -> bool:
    """The argument as a bool; ARM does not coerce strings or numbers in logical functions."""
    if isinstance(value, bool):
        return value
    raise EvalError(f"{fn}() expects a bool as {what}, got {describe(value)}")


def want_list(fn: str, value: Any, what: str) -> list[Any]:
    """The argument as an array."""
    if isinstance(value, list):
        return value
    raise EvalError(f"{fn}() expects an array as {what}, got {describe(value)}")


def want_dict(fn: str, value: Any, what: str) -> dict[str, Any]:
    """The argument as an object."""
    if isinstance(value, dict):
        return value
    raise EvalError(f"{fn}() expects an object as {what}, got {describe(value)}")


def int64(fn: str, value: int) -> int:
    """ARM integers are 64-bit: an overflow is a deployment error, and the bound keeps Python's big ints small."""
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    raise EvalError(f"{fn}(): the result {value} does not fit in a 64-bit integer")


def ordinal(i: int) -> str:
    """'argument N' (1-based) for messages."""
    return f"argument {i + 1}"


def culture_key(text: str) -> tuple[str, str]:
    """Sort key close to .NET's invariant-culture string order, which ARM uses for greater()/less():
    letters compare case-insensitively first, then lower case before upper case
    (so ``greater('A', 'a')`` is true, as the ARM documentation shows)."""
    return (text.casefold(), text.swapcase())


def id_segment(fn: str, value: Any, i: int) -> str:
    """A resourceId() argument as text (ints are accepted: names are often built with copyIndex())."""
    if isinstance(value, str):
        return value
    if type(value) is int:
        return str(value)
    raise EvalError(f"{fn}() expects strings, got {describe(value)} as {ordinal(i)}")


_RELAXED_TOKEN = lazyre.compile(
    r"""
      (?P<dq>"(?:[^"\\]|\\.)*")
    | (?P<sq>'(?:[^'\\]|\\.)*')
    | (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<key>[A-Za-z_$][A-Za-z0-9_$]*)(?=\s*:)
    | (?P<other>[^"'/A-Za-z_$]+|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _relax_json(text: str) -> str:
    """Rewrite Json.NET's lenient syntax (single quotes, bare keys, comments), which ARM's json()
    accepts, into strict JSON for the standard parser."""
    out: list[str] = []
    for m in _RELAXED_TOKEN.finditer(text):
        kind = m.lastgroup
        token = m.group()
        if kind == "sq":
            inner = token[1:-1].replace("\\'", "'")
            out.append('"' + re.sub(r'(?<!\\)"', r'\\"', inner) + '"')
        elif kind == "key":
            out.append(f'"{token}"')
        elif kind != "comment":
            out.append(token)
    return "".join(out)


def parse_json(fn: str, text: str) -> Any:
    """Strict JSON first, then the lenient syntax Json.NET (and so ARM) also accepts."""
    try:
        return json.loads(text)
    except ValueError as exc:
        error = exc
    try:
        return json.loads(_relax_json(text))
    except ValueError:
        pass
    raise EvalError(f"{fn}(): the string is not valid JSON ({error})")
