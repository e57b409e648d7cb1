"""ARM template functions for the static evaluator in :mod:`auditor.sources.core.evaluation.expressions`.

Each function is registered in :data:`FUNCTIONS` (lower-case name → spec), so a
call dispatches with one dict lookup instead of a chain of name tests; the
evaluator checks the arity and the Unknown policy of the spec before calling
the implementation.

Unknown policy (``FunctionSpec.mode``):

* ``DEEP``: the result depends on every part of every argument, so an Unknown
  anywhere in the arguments (even inside an array) makes the result that
  Unknown (``toLower``, ``string``, ``equals``...).
* ``SHALLOW``: only a top-level Unknown argument matters; Unknown items inside
  containers are carried along (``length``, ``first``, ``concat`` of arrays,
  ``union`` of objects...).
* ``ACCEPT``: the implementation takes Unknowns as values (``createArray``).
* ``LAZY``: the implementation receives the argument nodes and evaluates what
  it needs, for ARM's short-circuit semantics (``if``, ``and``, ``coalesce``)
  and for ``lambda`` bodies.

Semantic errors raise :class:`EvalError`; ``evaluate()`` turns it into an
Unknown with the reason, because ARM would fail the deployment there and a
linter must report it, never crash. Deploy-time functions (``reference``,
``list*``, ``utcNow``) *return* an Unknown instead: they are not errors, only
values nobody knows before deployment.

``guid()`` and ``uniqueString()`` are deterministic placeholders (the same
inputs give the same value), not the values Azure computes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import quote, unquote, urljoin, urlsplit

from auditor.budget import Budget
from auditor.unknown import CallbackUrl, ResourceReference, Unknown

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator, Node

DEEP: Final = "deep"
SHALLOW: Final = "shallow"
ACCEPT: Final = "accept"
LAZY: Final = "lazy"

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
#: Placeholder namespace for guid(); results are stable but not Azure's values.
_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
_SCALARS = (str, int, float, bool, type(None))
_INT_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")
_FLOAT_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_LAMBDA_FUNCTIONS = "filter(), map(), reduce(), sort(), toObject(), mapValues() or groupBy()"


class EvalError(Exception):
    """A semantic error in an expression (ARM would fail the deployment); ``reason`` is user-facing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Abort(Exception):
    """Carries an Unknown out of a comparison callback (``sort``), where a return value cannot."""

    def __init__(self, unknown: Unknown) -> None:
        super().__init__(unknown.reason)
        self.unknown = unknown


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One template function: display name, implementation, arity and Unknown policy."""

    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    mode: str


FUNCTIONS: dict[str, FunctionSpec] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def _fn(name: str, min_args: int, max_args: int | None, mode: str = DEEP) -> Callable[[_F], _F]:
    """Register the decorated implementation under ``name`` (case-insensitive)."""

    def register(impl: _F) -> _F:
        FUNCTIONS[name.lower()] = FunctionSpec(name, impl, min_args, max_args, mode)
        return impl

    return register


@functools.lru_cache(maxsize=1024)
def _fallback(key: str, name: str) -> FunctionSpec:
    """Spec for a name that is not in the table: a ``list*`` secret reader or an unsupported function."""
    if key.startswith("list"):
        reason = f"{name}() reads values that only Azure knows at deployment (keys, secrets, runtime state)"
    elif "." in name:
        reason = f"user-defined function '{name}' is not supported by auditor's evaluator"
    else:
        reason = f"function '{name}' is not supported by auditor's evaluator"

    def impl(ev: Evaluator, nodes: Sequence[Node]) -> Unknown:
        return Unknown(reason, ev.text)

    return FunctionSpec(name, impl, 0, None, LAZY)


def lookup_function(key: str, name: str) -> FunctionSpec:
    """Spec for the lower-cased function name ``key`` (``name`` as written, for messages)."""
    spec = FUNCTIONS.get(key)
    return spec if spec is not None else _fallback(key, name)


# --------------------------------------------------------------------------- value helpers


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


def _describe(value: Any) -> str:
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


def _find_key(obj: dict[str, Any], name: str) -> str | None:
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
        key = _find_key(value, name)
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
    raise EvalError(f"cannot read property '{name}' of {_describe(value)}")


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
            raise EvalError(f"an array index must be an integer, got {_describe(index)}")
        if 0 <= index < len(value):
            return value[index]
        raise EvalError(f"index {index} is out of range for an array of {len(value)} item(s)")
    if isinstance(value, dict):
        if not isinstance(index, str):
            raise EvalError(f"an object can only be indexed by a property name, got {_describe(index)}")
        return get_property(value, index)
    raise EvalError(f"cannot index {_describe(value)} with [{index!r}]")


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


def _text(fn: str, value: Any, *, containers: bool) -> str:
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
    raise EvalError(f"{fn}() cannot turn {_describe(value)} into a string")


def _container_text(fn: str, value: Any, budget: Budget) -> str:
    """:func:`_text` with containers as JSON, within the value-size budget: the JSON text of an
    array that repeats one large part is far larger than the array, so its size is counted
    first (at least one character per element and per string character), and checked again
    once written (escapes can only make it longer, by a bounded factor)."""
    if not isinstance(value, (list, dict)):
        return _text(fn, value, containers=True)
    check_size(budget, f"{fn}() of {_describe(value)}", value)
    text = _json_text(value)
    budget.value(len(text), f"{fn}() of {_describe(value)}")
    return text


def _digits(text: str) -> int:
    """A run of decimal digits as an int; absurdly long runs (beyond Python's int-parsing limit)
    become a number above every budget instead of a ValueError."""
    return int(text) if len(text) <= 18 else 10**18


def _want_str(fn: str, value: Any, what: str) -> str:
    """The argument as a string, or an EvalError naming the function and the slot (for a readable reason)."""
    if isinstance(value, str):
        return value
    raise EvalError(f"{fn}() expects a string as {what}, got {_describe(value)}")


def _want_int(fn: str, value: Any, what: str) -> int:
    """The argument as an int; bools are rejected because ARM does not treat them as numbers."""
    if type(value) is int:
        return value
    raise EvalError(f"{fn}() expects an integer as {what}, got {_describe(value)}")


def _want_number(fn: str, value: Any, what: str) -> int | float:
    """The argument as an int or float (never a bool)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise EvalError(f"{fn}() expects a number as {what}, got {_describe(value)}")


def _want_bool(fn: str, value: Any, what: str) -> bool:
    """The argument as a bool; ARM does not coerce strings or numbers in logical functions."""
    if isinstance(value, bool):
        return value
    raise EvalError(f"{fn}() expects a bool as {what}, got {_describe(value)}")


def _want_list(fn: str, value: Any, what: str) -> list[Any]:
    """The argument as an array."""
    if isinstance(value, list):
        return value
    raise EvalError(f"{fn}() expects an array as {what}, got {_describe(value)}")


def _want_dict(fn: str, value: Any, what: str) -> dict[str, Any]:
    """The argument as an object."""
    if isinstance(value, dict):
        return value
    raise EvalError(f"{fn}() expects an object as {what}, got {_describe(value)}")


def _int64(fn: str, value: int) -> int:
    """ARM integers are 64-bit: an overflow is a deployment error, and the bound keeps Python's big ints small."""
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    raise EvalError(f"{fn}(): the result {value} does not fit in a 64-bit integer")


def _ordinal(i: int) -> str:
    """'argument N' (1-based) for messages."""
    return f"argument {i + 1}"


def _culture_key(text: str) -> tuple[str, str]:
    """Sort key close to .NET's invariant-culture string order, which ARM uses for greater()/less():
    letters compare case-insensitively first, then lower case before upper case
    (so ``greater('A', 'a')`` is true, as the ARM documentation shows)."""
    return (text.casefold(), text.swapcase())


# --------------------------------------------------------------------------- deployment and scope


@_fn("parameters", 1, 1)
def _parameters(ev: Evaluator, args: list[Any]) -> Any:
    """parameters(name): the context's value; an undeclared name is a template error."""
    name = _want_str("parameters", args[0], "the parameter name")
    try:
        return ev.ctx.parameter(name)
    except KeyError:
        raise EvalError(f"parameter '{name}' is not declared in the template") from None


@_fn("variables", 1, 1)
def _variables(ev: Evaluator, args: list[Any]) -> Any:
    """variables(name): the context's value; an undeclared name is a template error."""
    name = _want_str("variables", args[0], "the variable name")
    try:
        return ev.ctx.variable(name)
    except KeyError:
        raise EvalError(f"variable '{name}' is not declared in the template") from None


@_fn("copyIndex", 0, 2)
def _copy_index(ev: Evaluator, args: list[Any]) -> Any:
    """copyIndex(), copyIndex(offset), copyIndex('loop'), copyIndex('loop', offset)."""
    loop: str | None = None
    offset = 0
    if len(args) == 2:
        loop = _want_str("copyIndex", args[0], "the loop name")
        offset = _want_int("copyIndex", args[1], "the offset")
    elif len(args) == 1:
        if isinstance(args[0], str):
            loop = args[0]
        else:
            offset = _want_int("copyIndex", args[0], "the loop name or offset")
    try:
        index = ev.ctx.copy_index(loop)
    except KeyError:
        where = f"a copy loop named '{loop}'" if loop is not None else "a copy loop"
        raise EvalError(f"copyIndex() is used outside of {where}") from None
    if isinstance(index, Unknown):
        return index
    return _want_int("copyIndex", index, "the loop index") + offset


def _deployment_function(key: str, display: str) -> Callable[[Evaluator, list[Any]], Any]:
    """Implementation of one scope function, delegated to the context (which knows the scope)."""

    def impl(ev: Evaluator, args: list[Any]) -> Any:
        try:
            return ev.ctx.deployment_function(key, list(args))
        except KeyError:
            raise EvalError(f"{display}() is not available in this deployment's scope") from None

    impl.__doc__ = f"{display}(): the object the context returns for '{key}'."
    return impl


for _display, _max_args in (
    ("subscription", 0),
    ("resourceGroup", 0),
    ("deployment", 0),
    ("tenant", 0),
    ("environment", 0),
    ("managementGroup", 1),
):
    _fn(_display, 0, _max_args)(_deployment_function(_display.lower(), _display))


# --------------------------------------------------------------------------- resource ids


def _segment(fn: str, value: Any, i: int) -> str:
    """A resourceId() argument as text (ints are accepted: names are often built with copyIndex())."""
    if isinstance(value, str):
        return value
    if type(value) is int:
        return str(value)
    raise EvalError(f"{fn}() expects strings, got {_describe(value)} as {_ordinal(i)}")


def _type_position(fn: str, segments: list[str], max_leading: int) -> int:
    """Index of the resource type: ARM requires exactly one argument with '/' in it."""
    positions = [i for i, s in enumerate(segments) if "/" in s]
    if len(positions) != 1:
        found = "none" if not positions else ", ".join(repr(segments[i]) for i in positions)
        raise EvalError(
            f"{fn}() needs exactly one argument that is a resource type such as 'Microsoft.Logic/workflows' "
            f"(arguments with '/': {found})"
        )
    position = positions[0]
    if position > max_leading:
        raise EvalError(f"{fn}() accepts at most {max_leading} argument(s) before the resource type")
    return position


def _provider_path(fn: str, resource_type: str, names: list[str]) -> str:
    """``providers/NS/t1/n1/t2/n2``: the type's segments interleaved with the names."""
    namespace, _, rest = resource_type.partition("/")
    types = rest.split("/")
    if not namespace or not all(types):
        raise EvalError(
            f"{fn}(): '{resource_type}' is not a resource type (expected 'Namespace/type[/child]')"
        )
    if len(names) != len(types):
        raise EvalError(
            f"{fn}(): resource type '{resource_type}' needs {len(types)} name(s), got {len(names)}"
        )
    parts = [namespace]
    for type_segment, name in zip(types, names, strict=True):
        parts.append(type_segment)
        parts.append(name)
    return "providers/" + "/".join(parts)


def _scope_value(ev: Evaluator, key: str) -> Any:
    """Default subscription or resource group from the context, for ids built without them."""
    scope = ev.ctx.resource_scope()
    return scope.get(key) if isinstance(scope, dict) else None


@_fn("resourceId", 2, None)
def _resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """resourceId([subscriptionId], [resourceGroupName], type, names...).

    The leading optionals are told apart as ARM does: the one argument containing '/' is the
    type, so 0, 1 (resource group) or 2 (subscription, group) arguments come before it.
    """
    segments = [_segment("resourceId", a, i) for i, a in enumerate(args)]
    t = _type_position("resourceId", segments, 2)
    path = _provider_path("resourceId", segments[t], segments[t + 1 :])
    subscription: Any
    group: Any
    if t == 2:
        subscription, group = segments[0], segments[1]
    else:
        subscription = _scope_value(ev, "subscriptionId")
        group = _scope_value(ev, "resourceGroup")
        if t == 1:
            # One leading argument is the resource group; at subscription scope
            # (no resource group) it is the subscription, as in ARM.
            if group is None:
                subscription, group = segments[0], None
            else:
                group = segments[0]
    for value in (subscription, group):
        if isinstance(value, Unknown):
            return derived_unknown(value)
    if subscription is None:
        if group is not None:
            raise EvalError(
                "resourceId() names a resource group, but the deployment scope has no subscription"
            )
        return f"/{path}"
    if group is None:
        return f"/subscriptions/{subscription}/{path}"
    return f"/subscriptions/{subscription}/resourceGroups/{group}/{path}"


@_fn("subscriptionResourceId", 2, None)
def _subscription_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """subscriptionResourceId([subscriptionId], type, names...): an id without a resource group."""
    segments = [_segment("subscriptionResourceId", a, i) for i, a in enumerate(args)]
    t = _type_position("subscriptionResourceId", segments, 1)
    path = _provider_path("subscriptionResourceId", segments[t], segments[t + 1 :])
    subscription = segments[0] if t == 1 else _scope_value(ev, "subscriptionId")
    if isinstance(subscription, Unknown):
        return derived_unknown(subscription)
    if subscription is None:
        raise EvalError("subscriptionResourceId() needs a subscription, and this deployment has none")
    return f"/subscriptions/{subscription}/{path}"


@_fn("tenantResourceId", 2, None)
def _tenant_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """tenantResourceId(type, names...): ``/providers/...``."""
    segments = [_segment("tenantResourceId", a, i) for i, a in enumerate(args)]
    t = _type_position("tenantResourceId", segments, 0)
    return "/" + _provider_path("tenantResourceId", segments[t], segments[t + 1 :])


@_fn("extensionResourceId", 3, None)
def _extension_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """extensionResourceId(resourceId, type, names...): an extension resource under another id."""
    base = _want_str("extensionResourceId", args[0], "the resource id")
    segments = [_segment("extensionResourceId", a, i + 1) for i, a in enumerate(args[1:])]
    t = _type_position("extensionResourceId", segments, 0)
    path = _provider_path("extensionResourceId", segments[t], segments[t + 1 :])
    return f"{base.rstrip('/')}/{path}"


@_fn("managementGroupResourceId", 2, None)
def _management_group_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """managementGroupResourceId([groupName], type, names...); the default group comes from
    managementGroup().name of the context."""
    fn = "managementGroupResourceId"
    segments = [_segment(fn, a, i) for i, a in enumerate(args)]
    t = _type_position(fn, segments, 1)
    path = _provider_path(fn, segments[t], segments[t + 1 :])
    group: Any
    if t == 1:
        group = segments[0]
    else:
        try:
            current = ev.ctx.deployment_function("managementgroup", [])
        except KeyError:
            raise EvalError(f"{fn}() needs a management group, and this deployment has none") from None
        if isinstance(current, Unknown):
            return derived_unknown(current)
        group = get_property(current, "name") if isinstance(current, dict) else None
        if isinstance(group, Unknown):
            return derived_unknown(group)
        if not isinstance(group, str):
            raise EvalError(f"{fn}() needs a management group name, and the deployment does not give one")
    return f"/providers/Microsoft.Management/managementGroups/{group}/{path}"


# --------------------------------------------------------------------------- deploy-time only


def _deploy_time(name: str, reason: str) -> None:
    """Register ``name`` as a function whose value only exists at deployment: always ``reason``."""

    def impl(ev: Evaluator, nodes: Sequence[Node]) -> Unknown:
        return Unknown(reason, ev.text)

    impl.__doc__ = reason
    _fn(name, 0, None, LAZY)(impl)


_REFERENCE_REASON = "reference() reads a resource's runtime state, which only Azure knows at deployment"


@_fn("reference", 1, 3, LAZY)
def _reference(ev: Evaluator, nodes: Sequence[Node]) -> ResourceReference:
    """Always a ResourceReference: the state is unknown, but the resource it reads (and, through
    get_property, the path read from it) links ``….identity.principalId`` to that resource."""
    values: list[Any] = []
    for node in nodes:
        try:
            values.append(ev.eval(node))
        except EvalError as exc:
            values.append(Unknown(exc.reason, ev.text))
    option = values[2] if len(values) > 2 else None
    return ResourceReference(
        reason=_REFERENCE_REASON,
        expression=ev.text,
        target=values[0],
        api_version=values[1] if len(values) > 1 else None,
        full=isinstance(option, str) and option.strip().lower() == "full",
    )


_deploy_time("utcNow", "utcNow() is the time of the deployment")
_deploy_time("newGuid", "newGuid() returns a new random GUID at each deployment")
_deploy_time("pickZones", "pickZones() depends on the availability zones Azure offers at deployment")
_deploy_time("deployer", "deployer() is the identity that runs the deployment")
# Azure Policy rule functions: they read the resource under evaluation, which a
# policy definition on disk does not have.
_deploy_time("field", "field() reads the resource Azure Policy is evaluating")
_deploy_time("current", "current() reads the array member Azure Policy is evaluating in a count loop")
_deploy_time("requestContext", "requestContext() describes the request Azure Policy is evaluating")
_deploy_time("policy", "policy() describes the policy assignment being evaluated")


@_fn("listCallbackUrl", 1, 3, LAZY)
def _list_callback_url(ev: Evaluator, nodes: Sequence[Node]) -> CallbackUrl:
    """Always a CallbackUrl: the URL is a deploy-time secret, but the trigger it names (the
    target) is what the checks compare, so a failing or unknown argument must not lose it."""
    values: list[Any] = []
    for node in nodes[:2]:
        try:
            values.append(ev.eval(node))
        except EvalError as exc:
            values.append(Unknown(exc.reason, ev.text))
    return CallbackUrl(
        reason="listCallbackUrl() is resolved by Azure at deployment",
        expression=ev.text,
        target=values[0],
        api_version=values[1] if len(values) > 1 else None,
    )


# --------------------------------------------------------------------------- strings


@_fn("concat", 1, None, SHALLOW)
def _concat(ev: Evaluator, args: list[Any]) -> Any:
    """concat(): all strings (scalars are turned into text, as ARM does with copyIndex()) or all arrays."""
    if any(isinstance(a, list) for a in args):
        for i, a in enumerate(args):
            if a is not None and not isinstance(a, list):
                raise EvalError(f"concat() cannot mix arrays and {type_name(a)}s ({_ordinal(i)})")
        check_size(ev.budget, "concat()", *args)
        joined: list[Any] = []
        for a in args:
            if a is not None:
                joined.extend(a)
        return joined
    for i, a in enumerate(args):
        if isinstance(a, dict):
            raise EvalError(f"concat() cannot concatenate an object ({_ordinal(i)})")
    parts = [_text("concat", a, containers=False) for a in args]
    ev.budget.value(sum(len(p) for p in parts), "concat()")
    return "".join(parts)


_FORMAT_ITEM = re.compile(r"\s*([0-9]+)\s*(?:,\s*(-?[0-9]+)\s*)?(?::(.*))?", re.DOTALL)


def _format_value(value: Any, spec: str | None, budget: Budget) -> str:
    """One ``{n:spec}`` item. Common .NET numeric specs (D, N, F, X) are honoured; any other
    spec falls back to the plain value rather than failing (a placeholder beats an Unknown).

    A precision is a length the result is padded to (``{0:D999999999}`` asks for a gigabyte
    of zeros), so it is checked against the value-size budget before anything is built."""
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        letter, digits = spec[0].upper(), spec[1:]
        if digits == "" or digits.isdigit():
            precision = _digits(digits) if digits else None
            if precision is not None and letter in "DXNF":
                budget.value(precision, f"format() with '{{0:{spec[:20]}}}'")
            if letter == "D" and isinstance(value, int):
                body = str(abs(value)).rjust(precision or 0, "0")
                return ("-" if value < 0 else "") + body
            if letter == "X" and isinstance(value, int) and value >= 0:
                text = format(value, "X" if spec[0] == "X" else "x")
                return text.rjust(precision or 0, "0")
            if letter == "N":
                return format(value, f",.{2 if precision is None else precision}f")
            if letter == "F":
                return format(value, f".{2 if precision is None else precision}f")
    return _container_text("format", value, budget)


def _dotnet_format(template: str, args: list[Any], budget: Budget) -> str:
    """.NET composite formatting: ``{index[,alignment][:format]}``, ``{{`` and ``}}`` escapes."""
    out: list[str] = []
    built = 0  # characters in ``out``: each item is checked before it is added
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch == "{":
            if template.startswith("{{", i):
                out.append("{")
                built += 1
                i += 2
                continue
            close = template.find("}", i + 1)
            if close < 0:
                raise EvalError(f"format(): the format string has an unclosed '{{' at position {i}")
            m = _FORMAT_ITEM.fullmatch(template, i + 1, close)
            if m is None:
                raise EvalError(f"format(): '{template[i : close + 1]}' is not a valid format item")
            index = _digits(m.group(1))
            if index >= len(args):
                raise EvalError(
                    f"format(): '{{{index}}}' refers to argument {index}, but only {len(args)} were given"
                )
            text = _format_value(args[index], m.group(3), budget)
            if m.group(2) is not None:
                sign, magnitude = m.group(2).startswith("-"), m.group(2).lstrip("-")
                width = -_digits(magnitude) if sign else _digits(magnitude)
                budget.value(built + max(abs(width), len(text)), "format()")
                text = text.ljust(-width) if width < 0 else text.rjust(width)
            built += len(text)
            budget.value(built, "format()")
            out.append(text)
            i = close + 1
        elif ch == "}":
            if template.startswith("}}", i):
                out.append("}")
                built += 1
                i += 2
                continue
            raise EvalError(f"format(): the format string has an unmatched '}}' at position {i}")
        else:
            stop = min((p for p in (template.find("{", i), template.find("}", i)) if p >= 0), default=n)
            out.append(template[i:stop])
            built += stop - i
            i = stop
    budget.value(built, "format()")
    return "".join(out)


@_fn("format", 1, None)
def _format(ev: Evaluator, args: list[Any]) -> str:
    """format(formatString, args...): .NET composite formatting."""
    return _dotnet_format(_want_str("format", args[0], "the format string"), args[1:], ev.budget)


@_fn("toLower", 1, 1)
def _to_lower(ev: Evaluator, args: list[Any]) -> str:
    """toLower(string)."""
    return _want_str("toLower", args[0], "its argument").lower()


@_fn("toUpper", 1, 1)
def _to_upper(ev: Evaluator, args: list[Any]) -> str:
    """toUpper(string)."""
    return _want_str("toUpper", args[0], "its argument").upper()


@_fn("replace", 3, 3)
def _replace(ev: Evaluator, args: list[Any]) -> str:
    """replace(original, old, new): case-sensitive, every occurrence."""
    text = _want_str("replace", args[0], "the original string")
    old = _want_str("replace", args[1], "the string to replace")
    new = _want_str("replace", args[2], "the replacement")
    if not old:
        raise EvalError("replace(): the string to replace cannot be empty")
    if len(new) > len(old):
        ev.budget.value(len(text) + text.count(old) * (len(new) - len(old)), "replace()")
    return text.replace(old, new)


@_fn("split", 2, 2)
def _split(ev: Evaluator, args: list[Any]) -> list[str]:
    """split(string, delimiter | [delimiters]) with .NET String.Split semantics."""
    text = _want_str("split", args[0], "the string to split")
    delimiter = args[1]
    if isinstance(delimiter, str):
        delimiters = [delimiter]
    else:
        delimiters = [
            _want_str("split", d, "a delimiter") for d in _want_list("split", delimiter, "argument 2")
        ]
    delimiters = [d for d in delimiters if d]  # .NET ignores empty separators
    if not delimiters:
        return [text]
    if len(delimiters) == 1:
        return text.split(delimiters[0])
    # Alternation in the given order = .NET's "first separator that matches here wins".
    return re.split("|".join(re.escape(d) for d in delimiters), text)


@_fn("join", 2, 2)
def _join(ev: Evaluator, args: list[Any]) -> str:
    """join(array, delimiter)."""
    items = _want_list("join", args[0], "the array to join")
    delimiter = _want_str("join", args[1], "the delimiter")
    ev.budget.step(len(items))
    parts = [_text("join", item, containers=False) for item in items]
    ev.budget.value(sum(len(p) for p in parts) + len(delimiter) * max(len(parts) - 1, 0), "join()")
    return delimiter.join(parts)


@_fn("substring", 1, 3)
def _substring(ev: Evaluator, args: list[Any]) -> str:
    """substring(string, [start], [length]); out-of-range is an ARM error, not a clipped result."""
    text = _want_str("substring", args[0], "the string")
    start = _want_int("substring", args[1], "the start index") if len(args) > 1 else 0
    length = _want_int("substring", args[2], "the length") if len(args) > 2 else len(text) - start
    if start < 0 or length < 0 or start > len(text) or start + length > len(text):
        raise EvalError(
            "substring(): the index and length parameters must refer to a location within the string "
            f"(index {start}, length {length}, string length {len(text)})"
        )
    return text[start : start + length]


def _find_in_array(items: list[Any], item: Any, last: bool) -> int:
    """Index of the first (or last) element equal to ``item`` under ARM equality, or -1."""
    indices = range(len(items) - 1, -1, -1) if last else range(len(items))
    for i in indices:
        if arm_equals(items[i], item):
            return i
    return -1


@_fn("indexOf", 2, 2)
def _index_of(ev: Evaluator, args: list[Any]) -> int:
    """indexOf(string, find) is case-insensitive (ARM docs); on an array it is element equality."""
    if isinstance(args[0], list):
        ev.budget.step(len(args[0]))
        return _find_in_array(args[0], args[1], last=False)
    text = _want_str("indexOf", args[0], "the string to search")
    return text.lower().find(_want_str("indexOf", args[1], "the string to find").lower())


@_fn("lastIndexOf", 2, 2)
def _last_index_of(ev: Evaluator, args: list[Any]) -> int:
    """lastIndexOf(): like indexOf(), from the end."""
    if isinstance(args[0], list):
        ev.budget.step(len(args[0]))
        return _find_in_array(args[0], args[1], last=True)
    text = _want_str("lastIndexOf", args[0], "the string to search")
    return text.lower().rfind(_want_str("lastIndexOf", args[1], "the string to find").lower())


@_fn("startsWith", 2, 2)
def _starts_with(ev: Evaluator, args: list[Any]) -> bool:
    """startsWith(string, prefix): case-insensitive, as documented for ARM."""
    text = _want_str("startsWith", args[0], "the string to search")
    return text.lower().startswith(_want_str("startsWith", args[1], "the prefix").lower())


@_fn("endsWith", 2, 2)
def _ends_with(ev: Evaluator, args: list[Any]) -> bool:
    """endsWith(string, suffix): case-insensitive, as documented for ARM."""
    text = _want_str("endsWith", args[0], "the string to search")
    return text.lower().endswith(_want_str("endsWith", args[1], "the suffix").lower())


@_fn("trim", 1, 1)
def _trim(ev: Evaluator, args: list[Any]) -> str:
    """trim(string): leading and trailing white space."""
    return _want_str("trim", args[0], "its argument").strip()


@_fn("padLeft", 2, 3)
def _pad_left(ev: Evaluator, args: list[Any]) -> str:
    """padLeft(value, totalLength, [char]): right-aligns a string or int."""
    value = args[0]
    if not isinstance(value, str) and type(value) is not int:
        raise EvalError(f"padLeft() expects a string or an integer to pad, got {_describe(value)}")
    total = _want_int("padLeft", args[1], "the total length")
    pad = _want_str("padLeft", args[2], "the padding character") if len(args) > 2 else " "
    if len(pad) != 1:
        raise EvalError(f"padLeft() expects a single padding character, got {pad!r}")
    if total < 0:
        raise EvalError(f"padLeft(): the total length {total} is out of range")
    ev.budget.value(total, "padLeft() (total length out of range)")
    return str(value).rjust(total, pad)


@_fn("string", 1, 1)
def _string(ev: Evaluator, args: list[Any]) -> str:
    """string(value): objects/arrays as compact JSON, bools as 'True'/'False', null as ''."""
    return _container_text("string", args[0], ev.budget)


@_fn("uri", 2, 2)
def _uri(ev: Evaluator, args: list[Any]) -> str:
    """uri(base, relative): RFC 3986 resolution, as .NET's Uri(Uri, string) does."""
    base = _want_str("uri", args[0], "the base URI")
    relative = _want_str("uri", args[1], "the relative URI")
    try:
        parts = urlsplit(base)
        if not parts.scheme or not parts.netloc:
            raise EvalError(f"uri(): the base URI {_describe(base)} is not an absolute URI")
        return urljoin(base, relative)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise EvalError(f"uri(): {_describe(base)} is not a valid URI ({exc})") from None


@_fn("uriComponent", 1, 1)
def _uri_component(ev: Evaluator, args: list[Any]) -> str:
    """uriComponent(string): percent-encodes everything but the unreserved characters (the
    result may be up to nine times longer, so ``uriComponent(uriComponent(…))`` is budgeted)."""
    text = _want_str("uriComponent", args[0], "its argument")
    ev.budget.value(len(text), "uriComponent()")
    encoded = quote(_utf8(text), safe="")
    ev.budget.value(len(encoded), "uriComponent()")
    return encoded


@_fn("uriComponentToString", 1, 1)
def _uri_component_to_string(ev: Evaluator, args: list[Any]) -> str:
    """uriComponentToString(string): percent-decoding."""
    text = _want_str("uriComponentToString", args[0], "its argument")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise EvalError("uriComponentToString(): the percent-encoded bytes are not valid UTF-8") from None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> bytes:
    """UTF-8 bytes as .NET writes them: a lone surrogate (JSON allows ``"\\ud800"``) becomes
    U+FFFD instead of an encoding error."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


def _b64encode(fn: str, text: str, budget: Budget) -> str:
    """base64 of the UTF-8 bytes: a third longer than the bytes, so a chain of base64() calls
    grows geometrically and each link is checked before it is built."""
    budget.value(len(text), f"{fn}()")
    data = _utf8(text)
    budget.value((len(data) + 2) // 3 * 4, f"{fn}()")
    return base64.b64encode(data).decode("ascii")


def _b64decode(fn: str, text: str) -> str:
    """Decode base64 to UTF-8 text; malformed input is an ARM error."""
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise EvalError(f"{fn}(): the value is not valid base64-encoded UTF-8 ({exc})") from None


@_fn("base64", 1, 1)
def _base64(ev: Evaluator, args: list[Any]) -> str:
    """base64(string) of the UTF-8 bytes."""
    return _b64encode("base64", _want_str("base64", args[0], "its argument"), ev.budget)


@_fn("base64ToString", 1, 1)
def _base64_to_string(ev: Evaluator, args: list[Any]) -> str:
    """base64ToString(base64)."""
    return _b64decode("base64ToString", _want_str("base64ToString", args[0], "its argument"))


@_fn("base64ToJson", 1, 1)
def _base64_to_json(ev: Evaluator, args: list[Any]) -> Any:
    """base64ToJson(base64): decoded, then parsed as json() would."""
    return _parse_json(
        "base64ToJson", _b64decode("base64ToJson", _want_str("base64ToJson", args[0], "its argument"))
    )


@_fn("dataUri", 1, 1)
def _data_uri(ev: Evaluator, args: list[Any]) -> str:
    """dataUri(string) in ARM's exact shape (``charset=utf8``)."""
    data = _b64encode("dataUri", _want_str("dataUri", args[0], "its argument"), ev.budget)
    return f"data:text/plain;charset=utf8;base64,{data}"


@_fn("dataUriToString", 1, 1)
def _data_uri_to_string(ev: Evaluator, args: list[Any]) -> str:
    """dataUriToString(dataUri): base64 or percent-encoded payloads."""
    text = _want_str("dataUriToString", args[0], "its argument")
    header, comma, data = text.partition(",")
    if not text.startswith("data:") or not comma:
        raise EvalError("dataUriToString(): the value is not a data URI ('data:[type][;base64],data')")
    if header.endswith(";base64"):
        return _b64decode("dataUriToString", data)
    return unquote(data)


def _hash_input(fn: str, args: list[Any]) -> str:
    """The text guid()/uniqueString() hash: the arguments joined with '-'."""
    return "-".join(_segment(fn, a, i) for i, a in enumerate(args))


@_fn("guid", 1, None)
def _guid(ev: Evaluator, args: list[Any]) -> str:
    """Deterministic placeholder: uuid5 over the '-'-joined arguments (stable, not Azure's value)."""
    return str(uuid.uuid5(_GUID_NAMESPACE, _LONE_SURROGATE.sub("\ufffd", _hash_input("guid", args))))


@_fn("uniqueString", 1, None)
def _unique_string(ev: Evaluator, args: list[Any]) -> str:
    """Deterministic placeholder in uniqueString()'s shape (13 lower-case base32 characters)."""
    digest = hashlib.sha256(_utf8(_hash_input("uniqueString", args))).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:13]


# --------------------------------------------------------------------------- collections (strings and arrays)


@_fn("contains", 2, 2, SHALLOW)
def _contains(ev: Evaluator, args: list[Any]) -> Any:
    """contains(container, item): substring (case-sensitive), object key (case-insensitive) or
    array element. An array with Unknown items is only known to contain ``item`` if a known
    element matches.
    """
    container, item = args
    unknown = find_unknown(item)
    if unknown is not None:
        return derived_unknown(unknown)
    if isinstance(container, str):
        return _text("contains", item, containers=False) in container
    if isinstance(container, dict):
        return _find_key(container, _text("contains", item, containers=False)) is not None
    if isinstance(container, list):
        ev.budget.step(len(container))
        pending: Unknown | None = None
        for element in container:
            inner = find_unknown(element)
            if inner is not None:
                pending = pending if pending is not None else inner
            elif arm_equals(element, item):
                return True
        return False if pending is None else derived_unknown(pending)
    raise EvalError(f"contains() expects an array, object or string to search, got {_describe(container)}")


@_fn("empty", 1, 1, SHALLOW)
def _empty(ev: Evaluator, args: list[Any]) -> bool:
    """empty(value): null, '', [] and {} are empty."""
    value = args[0]
    if value is None:
        return True
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    raise EvalError(f"empty() expects an array, object or string, got {_describe(value)}")


@_fn("first", 1, 1, SHALLOW)
def _first(ev: Evaluator, args: list[Any]) -> Any:
    """first(array | string); an empty input gives null / ''."""
    value = args[0]
    if isinstance(value, (list, str)):
        return value[0] if value else (None if isinstance(value, list) else "")
    raise EvalError(f"first() expects an array or string, got {_describe(value)}")


@_fn("last", 1, 1, SHALLOW)
def _last(ev: Evaluator, args: list[Any]) -> Any:
    """last(array | string); an empty input gives null / ''."""
    value = args[0]
    if isinstance(value, (list, str)):
        return value[-1] if value else (None if isinstance(value, list) else "")
    raise EvalError(f"last() expects an array or string, got {_describe(value)}")


@_fn("length", 1, 1, SHALLOW)
def _length(ev: Evaluator, args: list[Any]) -> int:
    """length(array | string | object); Unknown items in an array do not change its length."""
    value = args[0]
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise EvalError(f"length() expects an array, object or string, got {_describe(value)}")


@_fn("skip", 2, 2, SHALLOW)
def _skip(ev: Evaluator, args: list[Any]) -> Any:
    """skip(array | string, n): n <= 0 keeps everything, n past the end gives an empty value."""
    value, count = args[0], _want_int("skip", args[1], "the number to skip")
    if not isinstance(value, (list, str)):
        raise EvalError(f"skip() expects an array or string, got {_describe(value)}")
    return value[max(count, 0) :]


@_fn("take", 2, 2, SHALLOW)
def _take(ev: Evaluator, args: list[Any]) -> Any:
    """take(array | string, n): n <= 0 gives an empty value, n past the end keeps everything."""
    value, count = args[0], _want_int("take", args[1], "the number to take")
    if not isinstance(value, (list, str)):
        raise EvalError(f"take() expects an array or string, got {_describe(value)}")
    return value[: max(count, 0)]


# --------------------------------------------------------------------------- logic and comparison


@_fn("equals", 2, 2)
def _equals(ev: Evaluator, args: list[Any]) -> bool:
    """equals(a, b): deep, case-sensitive for strings."""
    return arm_equals(args[0], args[1])


@_fn("not", 1, 1)
def _not(ev: Evaluator, args: list[Any]) -> bool:
    """not(bool)."""
    return not _want_bool("not", args[0], "its argument")


def _junction(fn: str, nodes: Sequence[Node], ev: Evaluator, stop: bool) -> Any:
    """and()/or(): stop at the first known ``stop`` value; otherwise an Unknown argument makes
    the result unknown (a later known ``stop`` still decides it)."""
    pending: Unknown | None = None
    for i, node in enumerate(nodes):
        value = ev.eval(node)
        if isinstance(value, Unknown):
            pending = pending if pending is not None else value
            continue
        if _want_bool(fn, value, _ordinal(i)) is stop:
            return stop
    return (not stop) if pending is None else derived_unknown(pending)


@_fn("and", 2, None, LAZY)
def _and(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """and(bool, bool, ...), short-circuiting on a known false."""
    return _junction("and", nodes, ev, stop=False)


@_fn("or", 2, None, LAZY)
def _or(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """or(bool, bool, ...), short-circuiting on a known true."""
    return _junction("or", nodes, ev, stop=True)


@_fn("if", 3, 3, LAZY)
def _if(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """Only the chosen branch is evaluated, as in ARM: the other may be unknown or even fail."""
    condition = ev.eval(nodes[0])
    if isinstance(condition, Unknown):
        return derived_unknown(condition)
    return ev.eval(nodes[1] if _want_bool("if", condition, "the condition") else nodes[2])


@_fn("coalesce", 1, None, LAZY)
def _coalesce(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """First non-null argument; an Unknown before it might be null or not, so it is the answer."""
    for node in nodes:
        value = ev.eval(node)
        if value is not None:
            return value
    return None


@_fn("bool", 1, 1)
def _bool(ev: Evaluator, args: list[Any]) -> bool:
    """bool(value): 'true'/'false' (any case), ints (0 is false) or a bool."""
    value = args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise EvalError(f"bool() cannot convert {_describe(value)} to a bool")


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
        ka, kb = _culture_key(a), _culture_key(b)
        return (ka > kb) - (ka < kb)
    raise EvalError(f"{fn}() compares two integers or two strings, got {_describe(a)} and {_describe(b)}")


@_fn("greater", 2, 2)
def _greater(ev: Evaluator, args: list[Any]) -> bool:
    """greater(a, b)."""
    return _compare("greater", args) > 0


@_fn("greaterOrEquals", 2, 2)
def _greater_or_equals(ev: Evaluator, args: list[Any]) -> bool:
    """greaterOrEquals(a, b)."""
    return _compare("greaterOrEquals", args) >= 0


@_fn("less", 2, 2)
def _less(ev: Evaluator, args: list[Any]) -> bool:
    """less(a, b)."""
    return _compare("less", args) < 0


@_fn("lessOrEquals", 2, 2)
def _less_or_equals(ev: Evaluator, args: list[Any]) -> bool:
    """lessOrEquals(a, b)."""
    return _compare("lessOrEquals", args) <= 0


@_fn("true", 0, 0)
def _true(ev: Evaluator, args: list[Any]) -> bool:
    """true()."""
    return True


@_fn("false", 0, 0)
def _false(ev: Evaluator, args: list[Any]) -> bool:
    """false()."""
    return False


@_fn("null", 0, 0)
def _null(ev: Evaluator, args: list[Any]) -> None:
    """null()."""
    return None


# --------------------------------------------------------------------------- numbers


@_fn("int", 1, 1)
def _int(ev: Evaluator, args: list[Any]) -> int:
    """int(value): a decimal string, an int, or a float (rounded, as .NET converts)."""
    value = args[0]
    if type(value) is int:
        return _int64("int", value)
    if isinstance(value, float):
        return _int64("int", round(value))
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        if len(value.strip().lstrip("+-").lstrip("0")) > 19:  # beyond 64 bits (and Python's parse limit)
            raise EvalError(f"int(): {_describe(value)} does not fit in a 64-bit integer")
        return _int64("int", int(value))
    raise EvalError(f"int() cannot convert {_describe(value)} to an integer")


@_fn("float", 1, 1)
def _float(ev: Evaluator, args: list[Any]) -> float:
    """float(value): a decimal string or a number."""
    value = args[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _FLOAT_TEXT.fullmatch(value):
        return float(value)
    raise EvalError(f"float() cannot convert {_describe(value)} to a number")


def _operands(fn: str, args: list[Any]) -> tuple[int, int]:
    """The two integer operands of an arithmetic function."""
    return _want_int(fn, args[0], "argument 1"), _want_int(fn, args[1], "argument 2")


@_fn("add", 2, 2)
def _add(ev: Evaluator, args: list[Any]) -> int:
    """add(a, b)."""
    a, b = _operands("add", args)
    return _int64("add", a + b)


@_fn("sub", 2, 2)
def _sub(ev: Evaluator, args: list[Any]) -> int:
    """sub(a, b)."""
    a, b = _operands("sub", args)
    return _int64("sub", a - b)


@_fn("mul", 2, 2)
def _mul(ev: Evaluator, args: list[Any]) -> int:
    """mul(a, b)."""
    a, b = _operands("mul", args)
    return _int64("mul", a * b)


@_fn("div", 2, 2)
def _div(ev: Evaluator, args: list[Any]) -> int:
    """Integer division truncating toward zero (.NET), not Python's floor division."""
    a, b = _operands("div", args)
    if b == 0:
        raise EvalError("div(): division by zero")
    quotient = abs(a) // abs(b)
    return _int64("div", -quotient if (a < 0) != (b < 0) else quotient)


@_fn("mod", 2, 2)
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
    return [_want_number(fn, v, "a value") for v in values]


@_fn("min", 1, None)
def _min(ev: Evaluator, args: list[Any]) -> int | float:
    """min(array | numbers...)."""
    return min(_extremum("min", args))


@_fn("max", 1, None)
def _max(ev: Evaluator, args: list[Any]) -> int | float:
    """max(array | numbers...)."""
    return max(_extremum("max", args))


@_fn("range", 2, 2)
def _range(ev: Evaluator, args: list[Any]) -> list[int]:
    """range(start, count), with ARM's limits (count <= 10000) so a typo cannot allocate millions."""
    start = _want_int("range", args[0], "the start index")
    count = _want_int("range", args[1], "the count")
    if count < 0 or count > 10000:
        raise EvalError(f"range(): the count must be between 0 and 10000, got {count}")
    if start + count > 2147483647:
        raise EvalError("range(): the start index plus the count must not exceed 2147483647")
    return list(range(start, start + count))


# --------------------------------------------------------------------------- arrays and objects


@_fn("array", 1, 1, SHALLOW)
def _array(ev: Evaluator, args: list[Any]) -> list[Any]:
    """array(value): an array stays as it is, anything else is wrapped."""
    value = args[0]
    return value if isinstance(value, list) else [value]


@_fn("createArray", 0, None, ACCEPT)
def _create_array(ev: Evaluator, args: list[Any]) -> list[Any]:
    """createArray(items...): items may be Unknown (the array itself is still known)."""
    check_size(ev.budget, "createArray()", *args, extra=len(args))
    return list(args)


@_fn("createObject", 0, None, ACCEPT)
def _create_object(ev: Evaluator, args: list[Any]) -> Any:
    """createObject(key, value, ...): values may be Unknown, keys must be known strings."""
    if len(args) % 2:
        raise EvalError(f"createObject() takes key/value pairs, got an odd number of arguments ({len(args)})")
    check_size(ev.budget, "createObject()", *args[1::2], extra=len(args) // 2)
    result: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        key = args[i]
        if isinstance(key, Unknown):
            return derived_unknown(key)
        result[_want_str("createObject", key, f"key {i // 2 + 1}")] = args[i + 1]
    return result


def _merge(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """union() of two objects: later values win; nested objects merge recursively, arrays do not."""
    merged = dict(base)
    for key, value in other.items():
        existing = _find_key(merged, key) if isinstance(key, str) else None
        if existing is None:
            merged[key] = value
        elif isinstance(merged[existing], dict) and isinstance(value, dict):
            merged[existing] = _merge(merged[existing], value)
        else:
            merged[existing] = value
    return merged


@_fn("union", 1, None, SHALLOW)
def _union(ev: Evaluator, args: list[Any]) -> Any:
    """union(objects...) deep-merges objects (later wins); union(arrays...) keeps the first of
    equal elements in order. Unknown values are carried, never compared.
    """
    if all(isinstance(a, (dict, list)) for a in args):
        check_size(ev.budget, "union()", *args)
    if all(isinstance(a, dict) for a in args):
        result: dict[str, Any] = {}
        for a in args:
            result = _merge(result, a)
        return result
    if all(isinstance(a, list) for a in args):
        items: list[Any] = []
        for a in args:
            for item in a:
                ev.budget.step(len(items) + 1)  # each new item is compared with those kept
                # An item holding an Unknown cannot be compared, so it is kept.
                if find_unknown(item) is not None or not any(
                    find_unknown(x) is None and arm_equals(x, item) for x in items
                ):
                    items.append(item)
        return items
    kinds = ", ".join(type_name(a) for a in args)
    raise EvalError(f"union() expects all arrays or all objects, got {kinds}")


@_fn("intersection", 1, None)
def _intersection(ev: Evaluator, args: list[Any]) -> Any:
    """intersection(objects...) keeps equal key/value pairs; intersection(arrays...) common elements."""
    first, rest = args[0], args[1:]
    if all(isinstance(a, (dict, list)) for a in args):
        # Every element of the first is compared with every element of the others.
        ev.budget.step(len(first) * (1 + sum(len(other) for other in rest)))
    if all(isinstance(a, dict) for a in args):
        return {
            k: v for k, v in first.items() if all(k in other and arm_equals(other[k], v) for other in rest)
        }
    if all(isinstance(a, list) for a in args):
        common: list[Any] = []
        for item in first:
            if all(any(arm_equals(x, item) for x in other) for other in rest) and not any(
                arm_equals(x, item) for x in common
            ):
                common.append(item)
        return common
    kinds = ", ".join(type_name(a) for a in args)
    raise EvalError(f"intersection() expects all arrays or all objects, got {kinds}")


_RELAXED_TOKEN = re.compile(
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


def _parse_json(fn: str, text: str) -> Any:
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


@_fn("json", 1, 1)
def _json(ev: Evaluator, args: list[Any]) -> Any:
    """json(string)."""
    return _parse_json("json", _want_str("json", args[0], "its argument"))


@_fn("items", 1, 1, SHALLOW)
def _items(ev: Evaluator, args: list[Any]) -> list[dict[str, Any]]:
    """ARM returns the entries sorted by key."""
    obj = _want_dict("items", args[0], "its argument")
    ev.budget.step(len(obj))
    return [{"key": k, "value": obj[k]} for k in sorted(obj, key=lambda k: _culture_key(str(k)))]


@_fn("objectKeys", 1, 1, SHALLOW)
def _object_keys(ev: Evaluator, args: list[Any]) -> list[str]:
    """objectKeys(object), in the object's order."""
    return list(_want_dict("objectKeys", args[0], "its argument"))


@_fn("tryGet", 2, None, SHALLOW)
def _try_get(ev: Evaluator, args: list[Any]) -> Any:
    """Like property access or indexing, but a missing key or index gives null instead of an error."""
    current = args[0]
    for key in args[1:]:
        if current is None:
            return None
        if isinstance(current, Unknown):
            return get_index(current, key)
        if isinstance(current, dict):
            if not isinstance(key, str):
                raise EvalError(f"tryGet() looks up an object by name, got {_describe(key)}")
            found = _find_key(current, key)
            if found is None:
                return None
            current = current[found]
        elif isinstance(current, list):
            if type(key) is not int:
                raise EvalError(f"tryGet() looks up an array by integer index, got {_describe(key)}")
            if not 0 <= key < len(current):
                return None
            current = current[key]
        else:
            raise EvalError(f"tryGet() expects an object or array, got {_describe(current)}")
    return current


@_fn("shallowMerge", 1, 1, SHALLOW)
def _shallow_merge(ev: Evaluator, args: list[Any]) -> Any:
    """shallowMerge([objects]): top-level merge, later wins."""
    merged: dict[str, Any] = {}
    ev.budget.step(len(args[0]) if isinstance(args[0], list) else 1)
    for item in _want_list("shallowMerge", args[0], "its argument"):
        if isinstance(item, Unknown):
            return derived_unknown(item)
        merged.update(_want_dict("shallowMerge", item, "an array item"))
    return merged


@_fn("flatten", 1, 1, SHALLOW)
def _flatten(ev: Evaluator, args: list[Any]) -> Any:
    """flatten([arrays]): one level."""
    flat: list[Any] = []
    outer = _want_list("flatten", args[0], "its argument")
    check_size(ev.budget, "flatten()", outer)
    for item in outer:
        if isinstance(item, Unknown):
            return derived_unknown(item)
        flat.extend(_want_list("flatten", item, "an array item"))
    return flat


# --------------------------------------------------------------------------- lambdas


@dataclass(frozen=True, slots=True)
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
            raise EvalError(f"lambda() parameter names must be strings, got {_describe(name)}")
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
    items = _want_list(fn, value, "argument 1")
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


@_fn("lambda", 0, None, LAZY)
def _lambda(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """A lambda anywhere but a lambda function's argument is an ARM error."""
    raise EvalError(f"lambda() can only be used directly as an argument of {_LAMBDA_FUNCTIONS}")


@_fn("lambdaVariables", 1, 1)
def _lambda_variables(ev: Evaluator, args: list[Any]) -> Any:
    """lambdaVariables(name): a parameter of an enclosing lambda."""
    name = _want_str("lambdaVariables", args[0], "the variable name")
    if ev.scope is not None and name.lower() in ev.scope:
        return ev.scope[name.lower()]
    raise EvalError(f"lambdaVariables('{name}') is not a parameter of an enclosing lambda()")


@_fn("filter", 2, 2, LAZY)
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
        if _want_bool("filter", keep, "the lambda result"):
            kept.append(item)
    return kept


@_fn("map", 2, 2, LAZY)
def _map(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """map(array, lambda(item[, index])): results may be Unknown items."""
    items = _input_list(ev, nodes[0], "map")
    if isinstance(items, Unknown):
        return items
    fn = _lambda_arg(ev, nodes[1], "map", 2, 1, 2)
    result = _Growing(ev.budget, "map()")
    return [result.add(_invoke(ev, fn, (item, i))) for i, item in enumerate(items)]


@_fn("reduce", 3, 3, LAZY)
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


@_fn("sort", 2, 2, LAZY)
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
        return _want_bool("sort", result, "the lambda result")

    def compare(a: Any, b: Any) -> int:
        ev.budget.step()
        if before(a, b):
            return -1
        return 1 if before(b, a) else 0

    try:
        return sorted(items, key=functools.cmp_to_key(compare))
    except _Abort as abort:
        return abort.unknown


@_fn("toObject", 2, 3, LAZY)
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
        key = _want_str("toObject", key, "the key lambda result")
        result[key] = size.add(_invoke(ev, value_fn, (item,)) if value_fn is not None else item)
    return result


@_fn("mapValues", 2, 2, LAZY)
def _map_values(ev: Evaluator, nodes: Sequence[Node]) -> Any:
    """mapValues(object, lambda(value))."""
    obj = ev.eval(nodes[0])
    if isinstance(obj, Unknown):
        return derived_unknown(obj)
    obj = _want_dict("mapValues", obj, "argument 1")
    fn = _lambda_arg(ev, nodes[1], "mapValues", 2, 1, 1)
    ev.budget.step(len(obj))
    result = _Growing(ev.budget, "mapValues()")
    return {key: result.add(_invoke(ev, fn, (value,))) for key, value in obj.items()}


@_fn("groupBy", 2, 2, LAZY)
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
        groups.setdefault(_want_str("groupBy", key, "the key lambda result"), []).append(item)
    return groups
