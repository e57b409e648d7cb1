"""String functions: ``concat``, ``format`` (.NET composite formatting), case, search, trimming,
URIs, base64 and data URIs, and the deterministic ``guid``/``uniqueString`` placeholders.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from auditor import lazyre
from auditor.budget import Budget
from auditor.sources.core.evaluation.functions.registry import SHALLOW, template_function
from auditor.sources.core.evaluation.values import (
    EvalError,
    arm_equals,
    as_text,
    check_size,
    container_text,
    describe,
    id_segment,
    ordinal,
    parse_digits,
    parse_json,
    type_name,
    want_int,
    want_list,
    want_str,
)

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator

#: Placeholder namespace for guid(); results are stable but not Azure's values. uuid and hashlib are
#: imported by the two functions that need them: most templates call neither, and together they cost a
#: one-file scan ~10 ms of start-up (issue 14).
_GUID_NAMESPACE = "11fb06fb-712d-4ddd-98c7-e71bbd588830"


# --------------------------------------------------------------------------- strings


@template_function("concat", 1, None, SHALLOW)
def _concat(ev: Evaluator, args: list[Any]) -> Any:
    """concat(): all strings (scalars are turned into text, as ARM does with copyIndex()) or all arrays."""
    if any(isinstance(a, list) for a in args):
        for i, a in enumerate(args):
            if a is not None and not isinstance(a, list):
                raise EvalError(f"concat() cannot mix arrays and {type_name(a)}s ({ordinal(i)})")
        check_size(ev.budget, "concat()", *args)
        joined: list[Any] = []
        for a in args:
            if a is not None:
                joined.extend(a)
        return joined
    for i, a in enumerate(args):
        if isinstance(a, dict):
            raise EvalError(f"concat() cannot concatenate an object ({ordinal(i)})")
    parts = [as_text("concat", a, containers=False) for a in args]
    ev.budget.value(sum(len(p) for p in parts), "concat()")
    return "".join(parts)


_FORMAT_ITEM = lazyre.compile(r"\s*([0-9]+)\s*(?:,\s*(-?[0-9]+)\s*)?(?::(.*))?", re.DOTALL)


def _format_value(value: Any, spec: str | None, budget: Budget) -> str:
    """One ``{n:spec}`` item. Common .NET numeric specs (D, N, F, X) are honoured; any other
    spec falls back to the plain value rather than failing (a placeholder beats an Unknown).

    A precision is a length the result is padded to (``{0:D999999999}`` asks for a gigabyte
    of zeros), so it is checked against the value-size budget before anything is built."""
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        letter, digits = spec[0].upper(), spec[1:]
        if digits == "" or digits.isdigit():
            precision = parse_digits(digits) if digits else None
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
    return container_text("format", value, budget)


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
            index = parse_digits(m.group(1))
            if index >= len(args):
                raise EvalError(
                    f"format(): '{{{index}}}' refers to argument {index}, but only {len(args)} were given"
                )
            text = _format_value(args[index], m.group(3), budget)
            if m.group(2) is not None:
                sign, magnitude = m.group(2).startswith("-"), m.group(2).lstrip("-")
                width = -parse_digits(magnitude) if sign else parse_digits(magnitude)
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


@template_function("format", 1, None)
def _format(ev: Evaluator, args: list[Any]) -> str:
    """format(formatString, args...): .NET composite formatting."""
    return _dotnet_format(want_str("format", args[0], "the format string"), args[1:], ev.budget)


@template_function("toLower", 1, 1)
def _to_lower(ev: Evaluator, args: list[Any]) -> str:
    """toLower(string)."""
    return want_str("toLower", args[0], "its argument").lower()


@template_function("toUpper", 1, 1)
def _to_upper(ev: Evaluator, args: list[Any]) -> str:
    """toUpper(string)."""
    return want_str("toUpper", args[0], "its argument").upper()


@template_function("replace", 3, 3)
def _replace(ev: Evaluator, args: list[Any]) -> str:
    """replace(original, old, new): case-sensitive, every occurrence."""
    text = want_str("replace", args[0], "the original string")
    old = want_str("replace", args[1], "the string to replace")
    new = want_str("replace", args[2], "the replacement")
    if not old:
        raise EvalError("replace(): the string to replace cannot be empty")
    if len(new) > len(old):
        ev.budget.value(len(text) + text.count(old) * (len(new) - len(old)), "replace()")
    return text.replace(old, new)


@template_function("split", 2, 2)
def _split(ev: Evaluator, args: list[Any]) -> list[str]:
    """split(string, delimiter | [delimiters]) with .NET String.Split semantics."""
    text = want_str("split", args[0], "the string to split")
    delimiter = args[1]
    if isinstance(delimiter, str):
        delimiters = [delimiter]
    else:
        delimiters = [
            want_str("split", d, "a delimiter") for d in want_list("split", delimiter, "argument 2")
        ]
    delimiters = [d for d in delimiters if d]  # .NET ignores empty separators
    if not delimiters:
        return [text]
    if len(delimiters) == 1:
        return text.split(delimiters[0])
    # Alternation in the given order = .NET's "first separator that matches here wins".
    return re.split("|".join(re.escape(d) for d in delimiters), text)


@template_function("join", 2, 2)
def _join(ev: Evaluator, args: list[Any]) -> str:
    """join(array, delimiter)."""
    items = want_list("join", args[0], "the array to join")
    delimiter = want_str("join", args[1], "the delimiter")
    ev.budget.step(len(items))
    parts = [as_text("join", item, containers=False) for item in items]
    ev.budget.value(sum(len(p) for p in parts) + len(delimiter) * max(len(parts) - 1, 0), "join()")
    return delimiter.join(parts)


@template_function("substring", 1, 3)
def _substring(ev: Evaluator, args: list[Any]) -> str:
    """substring(string, [start], [length]); out-of-range is an ARM error, not a clipped result."""
    text = want_str("substring", args[0], "the string")
    start = want_int("substring", args[1], "the start index") if len(args) > 1 else 0
    length = want_int("substring", args[2], "the length") if len(args) > 2 else len(text) - start
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


@template_function("indexOf", 2, 2)
def _index_of(ev: Evaluator, args: list[Any]) -> int:
    """indexOf(string, find) is case-insensitive (ARM docs); on an array it is element equality."""
    if isinstance(args[0], list):
        ev.budget.step(len(args[0]))
        return _find_in_array(args[0], args[1], last=False)
    text = want_str("indexOf", args[0], "the string to search")
    return text.lower().find(want_str("indexOf", args[1], "the string to find").lower())


@template_function("lastIndexOf", 2, 2)
def _last_index_of(ev: Evaluator, args: list[Any]) -> int:
    """lastIndexOf(): like indexOf(), from the end."""
    if isinstance(args[0], list):
        ev.budget.step(len(args[0]))
        return _find_in_array(args[0], args[1], last=True)
    text = want_str("lastIndexOf", args[0], "the string to search")
    return text.lower().rfind(want_str("lastIndexOf", args[1], "the string to find").lower())


@template_function("startsWith", 2, 2)
def _starts_with(ev: Evaluator, args: list[Any]) -> bool:
    """startsWith(string, prefix): case-insensitive, as documented for ARM."""
    text = want_str("startsWith", args[0], "the string to search")
    return text.lower().startswith(want_str("startsWith", args[1], "the prefix").lower())


@template_function("endsWith", 2, 2)
def _ends_with(ev: Evaluator, args: list[Any]) -> bool:
    """endsWith(string, suffix): case-insensitive, as documented for ARM."""
    text = want_str("endsWith", args[0], "the string to search")
    return text.lower().endswith(want_str("endsWith", args[1], "the suffix").lower())


@template_function("trim", 1, 1)
def _trim(ev: Evaluator, args: list[Any]) -> str:
    """trim(string): leading and trailing white space."""
    return want_str("trim", args[0], "its argument").strip()


@template_function("padLeft", 2, 3)
def _pad_left(ev: Evaluator, args: list[Any]) -> str:
    """padLeft(value, totalLength, [char]): right-aligns a string or int."""
    value = args[0]
    if not isinstance(value, str) and type(value) is not int:
        raise EvalError(f"padLeft() expects a string or an integer to pad, got {describe(value)}")
    total = want_int("padLeft", args[1], "the total length")
    pad = want_str("padLeft", args[2], "the padding character") if len(args) > 2 else " "
    if len(pad) != 1:
        raise EvalError(f"padLeft() expects a single padding character, got {pad!r}")
    if total < 0:
        raise EvalError(f"padLeft(): the total length {total} is out of range")
    ev.budget.value(total, "padLeft() (total length out of range)")
    return str(value).rjust(total, pad)


@template_function("string", 1, 1)
def _string(ev: Evaluator, args: list[Any]) -> str:
    """string(value): objects/arrays as compact JSON, bools as 'True'/'False', null as ''."""
    return container_text("string", args[0], ev.budget)


@template_function("uri", 2, 2)
def _uri(ev: Evaluator, args: list[Any]) -> str:
    """uri(base, relative): RFC 3986 resolution, as .NET's Uri(Uri, string) does."""
    base = want_str("uri", args[0], "the base URI")
    relative = want_str("uri", args[1], "the relative URI")
    try:
        parts = urlsplit(base)
        if not parts.scheme or not parts.netloc:
            raise EvalError(f"uri(): the base URI {describe(base)} is not an absolute URI")
        return urljoin(base, relative)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise EvalError(f"uri(): {describe(base)} is not a valid URI ({exc})") from None


@template_function("uriComponent", 1, 1)
def _uri_component(ev: Evaluator, args: list[Any]) -> str:
    """uriComponent(string): percent-encodes everything but the unreserved characters (the
    result may be up to nine times longer, so ``uriComponent(uriComponent(…))`` is budgeted)."""
    text = want_str("uriComponent", args[0], "its argument")
    ev.budget.value(len(text), "uriComponent()")
    encoded = quote(_utf8(text), safe="")
    ev.budget.value(len(encoded), "uriComponent()")
    return encoded


@template_function("uriComponentToString", 1, 1)
def _uri_component_to_string(ev: Evaluator, args: list[Any]) -> str:
    """uriComponentToString(string): percent-decoding."""
    text = want_str("uriComponentToString", args[0], "its argument")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise EvalError("uriComponentToString(): the percent-encoded bytes are not valid UTF-8") from None


_LONE_SURROGATE = lazyre.compile("[\ud800-\udfff]")


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


@template_function("base64", 1, 1)
def _base64(ev: Evaluator, args: list[Any]) -> str:
    """base64(string) of the UTF-8 bytes."""
    return _b64encode("base64", want_str("base64", args[0], "its argument"), ev.budget)


@template_function("base64ToString", 1, 1)
def _base64_to_string(ev: Evaluator, args: list[Any]) -> str:
    """base64ToString(base64)."""
    return _b64decode("base64ToString", want_str("base64ToString", args[0], "its argument"))


@template_function("base64ToJson", 1, 1)
def _base64_to_json(ev: Evaluator, args: list[Any]) -> Any:
    """base64ToJson(base64): decoded, then parsed as json() would."""
    return parse_json(
        "base64ToJson", _b64decode("base64ToJson", want_str("base64ToJson", args[0], "its argument"))
    )


@template_function("dataUri", 1, 1)
def _data_uri(ev: Evaluator, args: list[Any]) -> str:
    """dataUri(string) in ARM's exact shape (``charset=utf8``)."""
    data = _b64encode("dataUri", want_str("dataUri", args[0], "its argument"), ev.budget)
    return f"data:text/plain;charset=utf8;base64,{data}"


@template_function("dataUriToString", 1, 1)
def _data_uri_to_string(ev: Evaluator, args: list[Any]) -> str:
    """dataUriToString(dataUri): base64 or percent-encoded payloads."""
    text = want_str("dataUriToString", args[0], "its argument")
    header, comma, data = text.partition(",")
    if not text.startswith("data:") or not comma:
        raise EvalError("dataUriToString(): the value is not a data URI ('data:[type][;base64],data')")
    if header.endswith(";base64"):
        return _b64decode("dataUriToString", data)
    return unquote(data)


def _hash_input(fn: str, args: list[Any]) -> str:
    """The text guid()/uniqueString() hash: the arguments joined with '-'."""
    return "-".join(id_segment(fn, a, i) for i, a in enumerate(args))


@template_function("guid", 1, None)
def _guid(ev: Evaluator, args: list[Any]) -> str:
    """Deterministic placeholder: uuid5 over the '-'-joined arguments (stable, not Azure's value)."""
    return uuid5(_GUID_NAMESPACE, _LONE_SURROGATE.sub("\ufffd", _hash_input("guid", args)))


def uuid5(namespace: str, name: str) -> str:
    """``str(uuid.uuid5(uuid.UUID(namespace), name))`` (RFC 4122 §4.3: SHA-1 of the namespace's bytes and
    the name's UTF-8, version 5, RFC variant), without importing :mod:`uuid`, which loads
    :mod:`platform` for its node id: a one-file scan's start-up budget (issue 14)."""
    from auditor.digests import sha1

    digest = bytearray(sha1(bytes.fromhex(namespace.replace("-", "")) + name.encode("utf-8")).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@template_function("uniqueString", 1, None)
def _unique_string(ev: Evaluator, args: list[Any]) -> str:
    """Deterministic placeholder in uniqueString()'s shape (13 lower-case base32 characters)."""
    from auditor.digests import sha256

    digest = sha256(_utf8(_hash_input("uniqueString", args))).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:13]
