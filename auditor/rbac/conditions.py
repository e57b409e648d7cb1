"""Azure ABAC conditions (version 2.0) on role assignments and permission blocks, in three-valued logic.

A condition is tokenized and parsed into a small tree, then evaluated against the request
attributes a caller supplied: True or False when the answer is known, None (with reasons) when it
needs an attribute nobody supplied or syntax auditor does not support, so the grant is
``conditional`` rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor.rbac.snapshot import pattern_matches

RequestAttributes = Mapping[str, "str | Sequence[str]"]
"""Attribute name → value(s). Names are ``Microsoft.Authorization/roleAssignments:RoleDefinitionId``
(any source) or ``@Request[...]`` / ``@Resource[...]`` to target one source; case-insensitive."""


class ConditionError(ValueError):
    """Condition text we cannot parse (reported as a conditional grant, never guessed)."""


_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<and>&&)
    | (?P<or>\|\|)
    | (?P<bang>!)
    | (?P<func>(?:ActionMatches|SubOperationMatches))\s*\{\s*'(?P<funcarg>[^']*)'\s*\}
    | @(?P<source>[A-Za-z]+)\s*\[(?P<attr>[^\]]+)\]
    | '(?P<string>(?:[^']|'')*)'
    | \{(?P<set>[^}]*)\}
    | (?P<word>[A-Za-z0-9_][A-Za-z0-9_:.\-]*)
    )""",
    re.VERBOSE | re.IGNORECASE,
)

_QUANTIFIERS = ("foranyofanyvalues", "forallofanyvalues", "foranyofallvalues", "forallofallvalues")


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    extra: str = ""


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            raise ConditionError(f"unexpected text at {pos}: {stripped[pos : pos + 30]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "funcarg":
            out.append(_Tok("func", m.group("func"), m.group("funcarg")))
        elif kind == "attr":
            out.append(_Tok("attr", m.group("attr").strip(), m.group("source")))
        elif kind == "word" and m.group("word").upper() in ("AND", "OR", "NOT"):
            out.append(_Tok(m.group("word").lower(), m.group("word")))
        elif kind == "bang":
            out.append(_Tok("not", "!"))
        else:
            out.append(_Tok(kind, m.group(kind)))
    return out


# AST: tuples, cheap and hashable.
#   ("or", (nodes...)), ("and", (nodes...)), ("not", node), ("action", pattern), ("subop", pattern),
#   ("cmp", source, attribute, quantifier | "", operator, values tuple, literal_is_set)


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise ConditionError("unexpected end of condition")
        self.i += 1
        return tok

    def parse(self) -> tuple[Any, ...]:
        node = self.expr()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek().value!r}")  # type: ignore[union-attr]
        return node

    def expr(self) -> tuple[Any, ...]:
        nodes = [self.conj()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            nodes.append(self.conj())
        return nodes[0] if len(nodes) == 1 else ("or", tuple(nodes))

    def conj(self) -> tuple[Any, ...]:
        nodes = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.take()
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else ("and", tuple(nodes))

    def unary(self) -> tuple[Any, ...]:
        tok = self.take()
        if tok.kind == "not":
            return ("not", self.unary())
        if tok.kind == "lparen":
            node = self.expr()
            if self.take().kind != "rparen":
                raise ConditionError("missing ')'")
            return node
        if tok.kind == "func":
            return ("action" if tok.value.lower() == "actionmatches" else "subop", tok.extra)
        if tok.kind == "attr":
            op = self.take()
            if op.kind != "word":
                raise ConditionError(f"expected an operator after @{tok.extra}[{tok.value}]")
            quantifier, _, operator = op.value.rpartition(":")
            value = self.take()
            if value.kind == "set":
                values = tuple(_literal(v) for v in value.value.split(",") if v.strip())
            elif value.kind in ("string", "word"):
                values = (value.value.replace("''", "'") if value.kind == "string" else value.value,)
            else:
                raise ConditionError(f"expected a value after {op.value}")
            return (
                "cmp",
                tok.extra.lower(),
                tok.value,
                quantifier.lower(),
                operator.lower(),
                values,
                value.kind == "set",
            )
        raise ConditionError(f"unexpected {tok.value!r}")


def _literal(text: str) -> str:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] == "'":
        return t[1:-1].replace("''", "'")
    return t


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> tuple[Any, ...]:
    """Parse an ABAC condition (2.0) into a small tuple AST; raises ConditionError."""
    return _Parser(_tokenize(text)).parse()


def _guid(value: str) -> str:
    return value.strip().strip("{}").rsplit("/", 1)[-1].replace("-", "").lower()


def _compare(operator: str, left: str, right: str) -> bool | None:
    """One comparison; None for an operator we do not implement."""
    if operator in ("guidequals", "guidnotequals"):
        result = _guid(left) == _guid(right)
        return result if operator == "guidequals" else not result
    if operator in ("boolequals", "boolnotequals"):
        result = left.strip().lower() == right.strip().lower()
        return result if operator == "boolequals" else not result
    if operator.startswith("string"):
        base = operator[len("string") :]
        negate = base.startswith("not")
        base = base[3:] if negate else base
        ignore_case = base.endswith("ignorecase")
        base = base[: -len("ignorecase")] if ignore_case else base
        a, b = (left.lower(), right.lower()) if ignore_case else (left, right)
        if base == "equals":
            result = a == b
        elif base == "startswith":
            result = a.startswith(b)
        elif base == "like":
            result = re.fullmatch(".*".join(re.escape(x) for x in b.split("*")), a, re.DOTALL) is not None
        else:
            return None
        return not result if negate else result
    return None


@dataclass(frozen=True)
class NormalizedAttributes:
    """Request attributes, normalised once per check."""

    values: Mapping[tuple[str, str], tuple[str, ...]]

    def get(self, source: str, name: str) -> tuple[str, ...] | None:
        key = name.strip().lower()
        found = self.values.get((source, key))
        return found if found is not None else self.values.get(("", key))


_NAMED = re.compile(r"^\s*@([A-Za-z]+)\s*\[(.+)\]\s*$")


def normalize_attributes(attributes: RequestAttributes | None) -> NormalizedAttributes:
    """``{"@Request[x]": "v"}`` / ``{"x": ["v1", "v2"]}`` → look-up keyed by (source, name)."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, value in (attributes or {}).items():
        m = _NAMED.match(name)
        key = (m.group(1).lower(), m.group(2).strip().lower()) if m else ("", name.strip().lower())
        vals = (value,) if isinstance(value, str) else tuple(value)
        out[key] = out.get(key, ()) + vals
    return NormalizedAttributes(out)


ConditionResult = tuple["bool | None", tuple[str, ...]]


def _eval(node: tuple[Any, ...], action_lower: str, attrs: NormalizedAttributes) -> ConditionResult:
    kind = node[0]
    if kind in ("or", "and"):
        stop = kind == "or"  # OR stops at True, AND at False
        reasons: list[str] = []
        undecided = False
        for child in node[1]:
            value, why = _eval(child, action_lower, attrs)
            if value is stop:
                return stop, ()
            if value is None:
                undecided = True
                reasons.extend(why)
        return (None, tuple(reasons)) if undecided else (not stop, ())
    if kind == "not":
        value, why = _eval(node[1], action_lower, attrs)
        return (None if value is None else not value), why
    if kind == "action":
        return pattern_matches(node[1], action_lower), ()
    if kind == "subop":
        return False, ()  # no sub-operation is ever requested by what we evaluate
    _, source, name, quantifier, operator, values, is_set = node
    label = f"@{source.capitalize()}[{name}]"
    if _compare(operator, "", "") is None:
        return None, (f"unsupported operator {operator!r} in the condition",)
    have = attrs.get(source, name)
    if have is None:
        return None, (f"needs {label} (pass --request-attribute {name}=VALUE)",)
    if quantifier:
        if quantifier not in _QUANTIFIERS:
            return None, (f"unsupported quantifier {quantifier!r} in the condition",)
        outer_all = quantifier.startswith("forall")
        inner_all = quantifier.endswith("allvalues")
        results: list[bool] = []
        for left in have:
            cmp = [_compare(operator, left, right) is True for right in values]
            results.append(all(cmp) if inner_all else any(cmp))
        return (all(results) if outer_all else any(results)), ()
    if is_set or len(values) != 1:
        return None, (f"{operator} compares one value; the condition gives a set",)
    if len(have) != 1:
        return None, (f"{label} was given {len(have)} values; {operator} needs exactly one",)
    result = _compare(operator, have[0], values[0])
    if result is None:
        return None, (f"unsupported operator {operator!r} in the condition",)
    return result, ()


def evaluate_condition(
    condition: str,
    version: str | None,
    action: str,
    attributes: NormalizedAttributes | RequestAttributes | None = None,
) -> ConditionResult:
    """(True | False | None, reasons): None when the answer depends on something we were not told."""
    if version not in (None, "", "2.0"):
        return None, (f"unsupported conditionVersion {version!r}",)
    attrs = attributes if isinstance(attributes, NormalizedAttributes) else normalize_attributes(attributes)
    try:
        tree = parse_condition(condition)
    except ConditionError as exc:
        return None, (f"unsupported condition syntax ({exc})",)
    return _eval(tree, action.lower(), attrs)
