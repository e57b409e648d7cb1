"""Collection functions over strings, arrays and objects: ``contains``, ``empty``, ``length``,
``union``, ``intersection``, ``json``, ``items``, ``tryGet``, ``flatten``...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.sources.core.evaluation.functions.registry import ACCEPT, SHALLOW, template_function
from auditor.sources.core.evaluation.values import (
    EvalError,
    arm_equals,
    as_text,
    check_size,
    culture_key,
    derived_unknown,
    describe,
    find_key,
    find_unknown,
    get_index,
    parse_json,
    type_name,
    want_dict,
    want_int,
    want_list,
    want_str,
)
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator


# --------------------------------------------------------------------------- collections (strings and arrays)


@template_function("contains", 2, 2, SHALLOW)
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
        return as_text("contains", item, containers=False) in container
    if isinstance(container, dict):
        return find_key(container, as_text("contains", item, containers=False)) is not None
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
    raise EvalError(f"contains() expects an array, object or string to search, got {describe(container)}")


@template_function("empty", 1, 1, SHALLOW)
def _empty(ev: Evaluator, args: list[Any]) -> bool:
    """empty(value): null, '', [] and {} are empty."""
    value = args[0]
    if value is None:
        return True
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    raise EvalError(f"empty() expects an array, object or string, got {describe(value)}")


@template_function("first", 1, 1, SHALLOW)
def _first(ev: Evaluator, args: list[Any]) -> Any:
    """first(array | string); an empty input gives null / ''."""
    value = args[0]
    if isinstance(value, (list, str)):
        return value[0] if value else (None if isinstance(value, list) else "")
    raise EvalError(f"first() expects an array or string, got {describe(value)}")


@template_function("last", 1, 1, SHALLOW)
def _last(ev: Evaluator, args: list[Any]) -> Any:
    """last(array | string); an empty input gives null / ''."""
    value = args[0]
    if isinstance(value, (list, str)):
        return value[-1] if value else (None if isinstance(value, list) else "")
    raise EvalError(f"last() expects an array or string, got {describe(value)}")


@template_function("length", 1, 1, SHALLOW)
def _length(ev: Evaluator, args: list[Any]) -> int:
    """length(array | string | object); Unknown items in an array do not change its length."""
    value = args[0]
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise EvalError(f"length() expects an array, object or string, got {describe(value)}")


@template_function("skip", 2, 2, SHALLOW)
def _skip(ev: Evaluator, args: list[Any]) -> Any:
    """skip(array | string, n): n <= 0 keeps everything, n past the end gives an empty value."""
    value, count = args[0], want_int("skip", args[1], "the number to skip")
    if not isinstance(value, (list, str)):
        raise EvalError(f"skip() expects an array or string, got {describe(value)}")
    return value[max(count, 0) :]


@template_function("take", 2, 2, SHALLOW)
def _take(ev: Evaluator, args: list[Any]) -> Any:
    """take(array | string, n): n <= 0 gives an empty value, n past the end keeps everything."""
    value, count = args[0], want_int("take", args[1], "the number to take")
    if not isinstance(value, (list, str)):
        raise EvalError(f"take() expects an array or string, got {describe(value)}")
    return value[: max(count, 0)]


# --------------------------------------------------------------------------- arrays and objects


@template_function("array", 1, 1, SHALLOW)
def _array(ev: Evaluator, args: list[Any]) -> list[Any]:
    """array(value): an array stays as it is, anything else is wrapped."""
    value = args[0]
    return value if isinstance(value, list) else [value]


@template_function("createArray", 0, None, ACCEPT)
def _create_array(ev: Evaluator, args: list[Any]) -> list[Any]:
    """createArray(items...): items may be Unknown (the array itself is still known)."""
    check_size(ev.budget, "createArray()", *args, extra=len(args))
    return list(args)


@template_function("createObject", 0, None, ACCEPT)
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
        result[want_str("createObject", key, f"key {i // 2 + 1}")] = args[i + 1]
    return result


def _merge(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """union() of two objects: later values win; nested objects merge recursively, arrays do not."""
    merged = dict(base)
    for key, value in other.items():
        existing = find_key(merged, key) if isinstance(key, str) else None
        if existing is None:
            merged[key] = value
        elif isinstance(merged[existing], dict) and isinstance(value, dict):
            merged[existing] = _merge(merged[existing], value)
        else:
            merged[existing] = value
    return merged


@template_function("union", 1, None, SHALLOW)
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


@template_function("intersection", 1, None)
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


@template_function("json", 1, 1)
def _json(ev: Evaluator, args: list[Any]) -> Any:
    """json(string)."""
    return parse_json("json", want_str("json", args[0], "its argument"))


@template_function("items", 1, 1, SHALLOW)
def _items(ev: Evaluator, args: list[Any]) -> list[dict[str, Any]]:
    """ARM returns the entries sorted by key."""
    obj = want_dict("items", args[0], "its argument")
    ev.budget.step(len(obj))
    return [{"key": k, "value": obj[k]} for k in sorted(obj, key=lambda k: culture_key(str(k)))]


@template_function("objectKeys", 1, 1, SHALLOW)
def _object_keys(ev: Evaluator, args: list[Any]) -> list[str]:
    """objectKeys(object), in the object's order."""
    return list(want_dict("objectKeys", args[0], "its argument"))


@template_function("tryGet", 2, None, SHALLOW)
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
                raise EvalError(f"tryGet() looks up an object by name, got {describe(key)}")
            found = find_key(current, key)
            if found is None:
                return None
            current = current[found]
        elif isinstance(current, list):
            if type(key) is not int:
                raise EvalError(f"tryGet() looks up an array by integer index, got {describe(key)}")
            if not 0 <= key < len(current):
                return None
            current = current[key]
        else:
            raise EvalError(f"tryGet() expects an object or array, got {describe(current)}")
    return current


@template_function("shallowMerge", 1, 1, SHALLOW)
def _shallow_merge(ev: Evaluator, args: list[Any]) -> Any:
    """shallowMerge([objects]): top-level merge, later wins."""
    merged: dict[str, Any] = {}
    ev.budget.step(len(args[0]) if isinstance(args[0], list) else 1)
    for item in want_list("shallowMerge", args[0], "its argument"):
        if isinstance(item, Unknown):
            return derived_unknown(item)
        merged.update(want_dict("shallowMerge", item, "an array item"))
    return merged


@template_function("flatten", 1, 1, SHALLOW)
def _flatten(ev: Evaluator, args: list[Any]) -> Any:
    """flatten([arrays]): one level."""
    flat: list[Any] = []
    outer = want_list("flatten", args[0], "its argument")
    check_size(ev.budget, "flatten()", outer)
    for item in outer:
        if isinstance(item, Unknown):
            return derived_unknown(item)
        flat.extend(want_list("flatten", item, "an array item"))
    return flat
