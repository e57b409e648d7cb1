"""Terraform built-in functions auditor evaluates (``jsonencode``, ``format``, ``merge``, ``lookup``, ``range``…).

Each takes evaluated arguments and returns a value, an Unknown, or raises :class:`HclError` as Terraform would fail.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from auditor.budget import current
from auditor.sources.core.jsonpos import PDict, PList
from auditor.sources.terraform.result import json_dumps
from auditor.sources.terraform.values import (
    CallbackOutput,
    HclError,
    HclJson,
    Lazy,
    finalize,
    to_bool,
    to_number,
    to_string,
    type_name,
)
from auditor.unknown import Unknown

# ---------------------------------------------------------------- functions


def _str_arg(value: Any, what: str = "argument") -> str:
    if isinstance(value, HclJson):
        text = value.text()
        if isinstance(text, Unknown):
            raise HclError(f"the {what} is not known")
        return text
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        converted = to_string(value)
        assert isinstance(converted, str)
        return converted
    raise HclError(f"the {what} must be a string, not a {type_name(value)}")


def _list_arg(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise HclError(f"expected a list, not a {type_name(value)}")


def _map_arg(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise HclError(f"expected a map or object, not a {type_name(value)}")


def _strings_or_unknown(items: list[Any]) -> list[str] | Unknown:
    out: list[str] = []
    for item in items:
        text = to_string(item)
        if isinstance(text, Unknown):
            return text
        out.append(text)
    return out


def _fn_jsonencode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return HclJson(value)


def _fn_jsondecode(value: Any) -> Any:
    if isinstance(value, CallbackOutput | Unknown):
        return value
    if isinstance(value, Lazy):
        return value.unknown()
    if isinstance(value, HclJson):
        return value.value
    try:
        return json.loads(_str_arg(value))
    except json.JSONDecodeError as exc:
        raise HclError(f"jsondecode(): invalid JSON: {exc}") from None


_FORMAT_VERB = re.compile(r"%(%|[-+# 0]*\d*(?:\.\d+)?[sdvqftbeExXo])")


def _charge_format_width(verb: str) -> None:
    """Refuse a width or precision (``%999999999d``) that alone passes the value-size limit."""
    for digits in re.findall(r"\d+", verb):
        if len(digits) > 12 or int(digits) > current().limits.max_value_size:
            current().value(int(digits[:13]), f"format() verb %{verb}")


def _fn_format(fmt: Any, *args: Any) -> Any:
    text = _str_arg(fmt, "format")
    values = list(args)
    out: list[str] = []
    pos = 0
    for match in _FORMAT_VERB.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        verb = match.group(1)
        if verb == "%":
            out.append("%")
            continue
        if not values:
            raise HclError("format(): not enough arguments")
        value = values.pop(0)
        if isinstance(value, Unknown):
            return value
        kind = verb[-1]
        _charge_format_width(verb)
        if kind == "q":
            out.append(json.dumps(_str_arg(value)))
        elif kind in "dfeEtxXob":
            number = to_number(value) if kind != "t" else to_bool(value)
            out.append(
                ("%" + verb.replace("v", "s")) % number if kind != "t" else ("true" if number else "false")
            )
        else:
            converted = (
                to_string(value) if not isinstance(value, list | dict) else json_dumps(finalize(value))
            )
            if isinstance(converted, Unknown):
                return converted
            out.append(converted)
    out.append(text[pos:])
    return "".join(out)


def _fn_lookup(mapping: Any, key: Any, *default: Any) -> Any:
    values = _map_arg(mapping)
    name = _str_arg(key, "key")
    if name in values:
        return values[name]
    if default:
        return default[0]
    raise HclError(f"lookup(): the map has no key '{name}'")


def _fn_merge(*maps: Any) -> Any:
    out = PDict()
    for item in maps:
        if item is None:
            continue
        if isinstance(item, Unknown):
            return item
        out.update(_map_arg(item))
    return out


def _fn_concat(*lists: Any) -> Any:
    out = PList()
    for item in lists:
        if isinstance(item, Unknown):
            return item
        part = _list_arg(item)
        current().value(len(out) + len(part), "concat()")
        out.extend(part)
    return out


def _fn_coalesce(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown):
            return value
        if value is not None and value != "":
            return value
    raise HclError("coalesce(): no non-null argument")


def _fn_length(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str | list | dict):
        return len(value)
    raise HclError(f"length() of a {type_name(value)}")


def _fn_join(sep: Any, *lists: Any) -> Any:
    items: list[Any] = []
    for item in lists:
        if isinstance(item, Unknown):
            return item
        items.extend(_list_arg(item))
    texts = _strings_or_unknown(items)
    if isinstance(texts, Unknown):
        return texts
    separator = _str_arg(sep)
    current().value(sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0), "join()")
    return separator.join(texts)


def _re2(pattern: str) -> Any:
    """``pattern`` compiled by RE2, the engine (and syntax) of Terraform's own regular expressions.

    RE2 runs in time linear in the text, so a pattern from a pull request cannot
    backtrack for minutes the way Python's ``re`` would (``(a+)+$``); its C++ log
    is off, so an invalid pattern is not echoed raw to stderr.
    """
    import re2  # google-re2: imported only when a regex replace() is evaluated

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options=options)
    except re2.error:
        raise HclError("replace(): the search pattern is not a valid regular expression") from None


def _fn_replace(text: Any, search: Any, replacement: Any) -> Any:
    s, sub, rep = _str_arg(text), _str_arg(search), _str_arg(replacement)
    budget = current()
    if len(sub) > 1 and sub.startswith("/") and sub.endswith("/"):
        template = re.sub(r"\$(\d+)", r"\\\1", rep)
        grown = [len(s)]

        def expand(match: re.Match[str]) -> str:
            out = match.expand(template)
            grown[0] += len(out) - (match.end() - match.start())
            budget.step()
            budget.value(grown[0], "replace()")
            return out

        return _re2(sub[1:-1]).sub(expand, s)
    matches = s.count(sub) if sub else len(s) + 1
    budget.value(len(s) + matches * (len(rep) - len(sub)), "replace()")
    return s.replace(sub, rep)


def _fn_element(items: Any, index: Any) -> Any:
    values = _list_arg(items)
    if not values:
        raise HclError("element() of an empty list")
    return values[int(to_number(index)) % len(values)]


def _fn_flatten(items: Any) -> Any:
    out = PList()
    budget = current()
    for item in _list_arg(items):
        budget.step()
        if isinstance(item, Unknown):
            return item
        if isinstance(item, list):
            flat = _fn_flatten(item)
            if isinstance(flat, Unknown):
                return flat
            out.extend(flat)
        else:
            out.append(item)
        if len(out) > budget.limits.max_value_size:
            budget.value(len(out), "flatten()")
    return out


def _fn_tostring(value: Any) -> Any:
    if value is None:
        return None
    return to_string(value)


def _fn_toset(value: Any) -> Any:
    items = _list_arg(value)
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    if all(isinstance(i, str) for i in out):
        out.sort()
    return PList(out)


def _fn_keys(value: Any) -> Any:
    return PList(sorted(_map_arg(value)))


def _fn_values(value: Any) -> Any:
    mapping = _map_arg(value)
    return PList(mapping[k] for k in sorted(mapping))


def _fn_one(value: Any) -> Any:
    items = _list_arg(value)
    if len(items) > 1:
        raise HclError("one() of a list with more than one element")
    return items[0] if items else None


def _fn_zipmap(keys: Any, values: Any) -> Any:
    names, items = _list_arg(keys), _list_arg(values)
    if len(names) != len(items):
        raise HclError("zipmap(): the lists differ in length")
    texts = _strings_or_unknown(names)
    if isinstance(texts, Unknown):
        return texts
    return PDict(zip(texts, items, strict=True))


def _fn_trim(text: Any, chars: Any) -> Any:
    return _str_arg(text).strip(_str_arg(chars))


def _fn_substr(text: Any, offset: Any, length: Any) -> Any:
    s = _str_arg(text)
    start, count = int(to_number(offset)), int(to_number(length))
    if start < 0:
        start += len(s)
    return s[start:] if count < 0 else s[start : start + count]


def _fn_range(*args: Any) -> Any:
    numbers = [int(to_number(a)) for a in args]
    span = range(*numbers)
    current().value(len(span), "range()")
    return PList(span)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _fn_jsonencode,
    "jsondecode": _fn_jsondecode,
    "format": _fn_format,
    "lower": lambda s: _str_arg(s).lower(),
    "upper": lambda s: _str_arg(s).upper(),
    "title": lambda s: _str_arg(s).title(),
    "trimspace": lambda s: _str_arg(s).strip(),
    "trim": _fn_trim,
    "trimprefix": lambda s, p: _str_arg(s).removeprefix(_str_arg(p)),
    "trimsuffix": lambda s, p: _str_arg(s).removesuffix(_str_arg(p)),
    "chomp": lambda s: _str_arg(s).rstrip("\r\n"),
    "replace": _fn_replace,
    "split": lambda sep, s: PList(_str_arg(s).split(_str_arg(sep))),
    "join": _fn_join,
    "substr": _fn_substr,
    "startswith": lambda s, p: _str_arg(s).startswith(_str_arg(p)),
    "endswith": lambda s, p: _str_arg(s).endswith(_str_arg(p)),
    "strrev": lambda s: _str_arg(s)[::-1],
    "concat": _fn_concat,
    "merge": _fn_merge,
    "lookup": _fn_lookup,
    "element": _fn_element,
    "length": _fn_length,
    "keys": _fn_keys,
    "values": _fn_values,
    "contains": lambda items, value: value in _list_arg(items),
    "coalesce": _fn_coalesce,
    "coalescelist": lambda *lists: next((item for item in lists if _list_arg(item)), PList()),
    "compact": lambda items: PList(i for i in _list_arg(items) if i is not None and i != ""),
    "distinct": lambda items: PList(dict.fromkeys(_list_arg(items))),
    "flatten": _fn_flatten,
    "reverse": lambda items: PList(reversed(_list_arg(items))),
    "sort": lambda items: PList(sorted(_list_arg(items))),
    "slice": lambda items, a, b: PList(_list_arg(items)[int(to_number(a)) : int(to_number(b))]),
    "index": lambda items, value: _list_arg(items).index(value),
    "zipmap": _fn_zipmap,
    "one": _fn_one,
    "range": _fn_range,
    "tostring": _fn_tostring,
    "tonumber": lambda v: None if v is None else to_number(v),
    "tobool": lambda v: None if v is None else to_bool(v),
    "tolist": lambda v: PList(_list_arg(v)),
    "toset": _fn_toset,
    "tomap": lambda v: _map_arg(v),
    "abs": lambda v: abs(to_number(v)),
    "ceil": lambda v: math.ceil(to_number(v)),
    "floor": lambda v: math.floor(to_number(v)),
    "max": lambda *v: max(to_number(x) for x in v),
    "min": lambda *v: min(to_number(x) for x in v),
}
FILE_FUNCTIONS = frozenset({"file", "templatefile"})
