"""Just enough of Azure Resource Graph's KQL for a scanner's queries.

Supported shape::

    <table> [| where <cond>]... [| project <col>, ...] [| order by <col> [asc|desc], ...] [| limit|take <n>]

Tables: ``resources``, ``resourcecontainers``, ``authorizationresources``, ``policyresources``,
``securityresources``. Conditions: ``<col> (=~|==|!=|!~|contains|startswith|endswith|has) '<str>'``,
``<col> (in~|in|!in~|!in) ('a', 'b')``, ``isnotempty(<col>)``/``isempty(<col>)``, combined with
``and``/``or``/``not(...)`` and parentheses. ``<col>`` is a top-level column or a dotted path
(``properties.state``), optionally wrapped in ``tolower()``/``toupper()``. Anything else is a
:class:`QueryError` (the server answers 400 with Resource Graph's error body).

As in Resource Graph, ``type`` and ``resourceGroup`` are returned in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .data import (
    MG_TYPE,
    RESOURCE_GROUP_TYPE,
    Dataset,
    management_group_of,
    resource_group_of,
    subscription_of,
    type_of,
)

JSON = dict[str, Any]
Row = dict[str, Any]

TABLES = ("resources", "resourcecontainers", "authorizationresources", "policyresources", "securityresources")
COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
)


class QueryError(ValueError):
    """A query outside the supported subset (or malformed)."""


# -- rows -----------------------------------------------------------------------------------------


def table_of(rtype: str) -> str | None:
    """Which Resource Graph table holds resources of ``rtype`` (lower case)."""
    if rtype.startswith("microsoft.authorization/policy") or rtype.startswith("microsoft.policyinsights/"):
        return "policyresources"
    if rtype.startswith("microsoft.authorization/"):
        return "authorizationresources"
    if rtype == "microsoft.security/assessmentmetadata":
        return None  # catalogue data, not in Resource Graph
    if rtype.startswith("microsoft.security/") and rtype != "microsoft.security/automations":
        return "securityresources"
    return "resources"


def to_row(resource: JSON, tenant_id: str) -> Row:
    rid = str(resource["id"])
    rg = resource_group_of(rid)
    return {
        "id": rid,
        "name": resource.get("name"),
        "type": type_of(resource),
        "tenantId": tenant_id,
        "kind": resource.get("kind", ""),
        "location": resource.get("location", ""),
        "resourceGroup": rg.lower() if rg else "",
        "subscriptionId": (subscription_of(rid) or ""),
        "managedBy": resource.get("managedBy", ""),
        "sku": resource.get("sku"),
        "plan": resource.get("plan"),
        "properties": resource.get("properties", {}),
        "tags": resource.get("tags"),
        "identity": resource.get("identity"),
        "zones": resource.get("zones"),
        "extendedLocation": resource.get("extendedLocation"),
    }


def build_rows(ds: Dataset, table: str) -> list[Row]:
    rows: list[Row] = []
    if table == "resourcecontainers":
        for sub in ds.subscriptions:
            sub_id = str(sub["subscriptionId"])
            chain = ds.subscription_mg_chain(sub_id)
            rows.append(
                {
                    **{c: None for c in COLUMNS},
                    "id": sub["id"],
                    "name": sub.get("displayName"),
                    "type": "microsoft.resources/subscriptions",
                    "tenantId": sub.get("tenantId", ds.tenant_id),
                    "kind": "",
                    "location": "",
                    "resourceGroup": "",
                    "subscriptionId": sub_id,
                    "managedBy": "",
                    "tags": sub.get("tags", {}),
                    "properties": {
                        "state": sub.get("state"),
                        "subscriptionPolicies": sub.get("subscriptionPolicies"),
                        "managementGroupAncestorsChain": [
                            {
                                "name": mg,
                                "displayName": (ds.management_group(mg) or {})
                                .get("properties", {})
                                .get("displayName", mg),
                            }
                            for mg in chain
                        ],
                    },
                }
            )
            for rg in ds.resource_groups(sub_id):
                row = to_row(rg, ds.tenant_id)
                row["type"] = "microsoft.resources/subscriptions/resourcegroups"
                row["resourceGroup"] = str(rg["name"]).lower()
                rows.append(row)
        for mg in ds.management_groups:
            row = to_row(mg, ds.tenant_id)
            row["type"] = MG_TYPE
            rows.append(row)
        return rows
    for res in ds.all_resources():
        rtype = type_of(res)
        if rtype == RESOURCE_GROUP_TYPE or table_of(rtype) != table:
            continue
        rows.append(to_row(res, ds.tenant_id))
    return rows


# -- parsing --------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<num>\d+)
      | (?P<op>=~|==|!=|!~|!in~|in~|\(|\)|,|\|)
      | (?P<word>[A-Za-z_$@][\w$@.\-]*(?:\[['"][^'"]*['"]\])*)
    )""",
    re.VERBOSE,
)


@dataclass
class Token:
    kind: str
    value: str


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"unexpected character {text[pos]!r} at offset {pos}")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append(Token(kind, value))
        # skip trailing whitespace
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


Predicate = Callable[[Row], bool]


@dataclass
class Query:
    table: str
    where: list[Predicate] = field(default_factory=list)
    project: list[str] | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    limit: int | None = None

    def run(self, rows: Iterable[Row]) -> list[Row]:
        out = [r for r in rows if all(p(r) for p in self.where)]
        for col, desc in reversed(self.order):
            out.sort(key=_column_key(col), reverse=desc)
        if self.limit is not None:
            out = out[: self.limit]
        if self.project is not None:
            out = [{c: _get(r, c) for c in self.project} for r in out]
        return out


def _column_key(col: str) -> Callable[[Row], tuple[int, Any]]:
    def key(row: Row) -> tuple[int, Any]:
        return _sort_key(_get(row, col))

    return key


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value).lower())


def _get(row: Row, path: str) -> Any:
    """A column or a dotted/bracketed path into it (``properties.state``, ``tags['env']``)."""
    parts = re.findall(r"[^.\[\]'\"]+", path)
    cur: Any = row
    for i, part in enumerate(parts):
        if not isinstance(cur, dict):
            return None
        if i == 0:
            # top-level columns are case-sensitive in KQL, but be lenient about case
            match = next((k for k in cur if k.lower() == part.lower()), None)
            cur = cur.get(match) if match is not None else None
        else:
            cur = cur.get(part)
    return cur


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise QueryError("unexpected end of query")
        self.i += 1
        return tok

    def accept_word(self, *words: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.value.lower() in words:
            self.i += 1
            return tok.value.lower()
        return None

    def expect_op(self, op: str) -> None:
        tok = self.next()
        if tok.kind != "op" or tok.value != op:
            raise QueryError(f"expected {op!r}, got {tok.value!r}")

    def at_pipe_or_end(self) -> bool:
        tok = self.peek()
        return tok is None or (tok.kind == "op" and tok.value == "|")

    # cond := and_expr ('or' and_expr)*
    def cond(self) -> Predicate:
        left = self.and_expr()
        while self.accept_word("or"):
            right = self.and_expr()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def and_expr(self) -> Predicate:
        left = self.unary()
        while self.accept_word("and"):
            right = self.unary()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def unary(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.value == "(":
            self.next()
            inner = self.cond()
            self.expect_op(")")
            return inner
        if tok is not None and tok.kind == "word" and tok.value.lower() == "not":
            self.next()
            self.expect_op("(")
            inner = self.cond()
            self.expect_op(")")
            return lambda r: not inner(r)
        if tok is not None and tok.kind == "word" and tok.value.lower() in ("isempty", "isnotempty"):
            fn = self.next().value.lower()
            self.expect_op("(")
            col = self.column()
            self.expect_op(")")
            if fn == "isempty":
                return lambda r: _get_col(r, col) in (None, "", [], {})
            return lambda r: _get_col(r, col) not in (None, "", [], {})
        return self.comparison()

    def column(self) -> tuple[str, str | None]:
        tok = self.next()
        if tok.kind != "word":
            raise QueryError(f"expected a column, got {tok.value!r}")
        fn = tok.value.lower()
        if fn in ("tolower", "toupper", "tostring") and self.peek() is not None and self.peek().value == "(":  # type: ignore[union-attr]
            self.expect_op("(")
            inner = self.next()
            if inner.kind != "word":
                raise QueryError(f"expected a column inside {fn}(), got {inner.value!r}")
            self.expect_op(")")
            return inner.value, fn
        return tok.value, None

    def comparison(self) -> Predicate:
        col = self.column()
        tok = self.next()
        op = tok.value.lower()
        if tok.kind == "word" and op == "!":
            raise QueryError("unsupported operator '!'")
        if op in ("in", "in~", "!in", "!in~"):
            values = self.value_list()
            ci = op.endswith("~")
            neg = op.startswith("!")
            wanted = {v.lower() for v in values} if ci else set(values)

            def pred_in(r: Row) -> bool:
                v = _as_str(_get_col(r, col))
                hit = v is not None and ((v.lower() if ci else v) in wanted)
                return hit != neg

            return pred_in
        if op in ("=~", "==", "!=", "!~", "contains", "startswith", "endswith", "has", "!contains", "!has"):
            val_tok = self.next()
            if val_tok.kind not in ("str", "num"):
                raise QueryError(f"expected a literal after {op}, got {val_tok.value!r}")
            value = val_tok.value
            return _compare(col, op, value)
        raise QueryError(f"unsupported operator {tok.value!r}")

    def value_list(self) -> list[str]:
        self.expect_op("(")
        values: list[str] = []
        while True:
            tok = self.next()
            if tok.kind not in ("str", "num"):
                raise QueryError(f"expected a literal in the list, got {tok.value!r}")
            values.append(tok.value)
            sep = self.next()
            if sep.kind == "op" and sep.value == ")":
                return values
            if not (sep.kind == "op" and sep.value == ","):
                raise QueryError(f"expected ',' or ')', got {sep.value!r}")


def _get_col(row: Row, col: tuple[str, str | None]) -> Any:
    value = _get(row, col[0])
    if col[1] == "tolower" and isinstance(value, str):
        return value.lower()
    if col[1] == "toupper" and isinstance(value, str):
        return value.upper()
    return value


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(col: tuple[str, str | None], op: str, value: str) -> Predicate:
    def pred(r: Row) -> bool:
        v = _as_str(_get_col(r, col))
        if v is None:
            return op in ("!=", "!~", "!contains", "!has")
        if op == "==":
            return v == value
        if op == "=~":
            return v.lower() == value.lower()
        if op == "!=":
            return v != value
        if op == "!~":
            return v.lower() != value.lower()
        if op in ("contains", "has"):
            return value.lower() in v.lower()
        if op in ("!contains", "!has"):
            return value.lower() not in v.lower()
        if op == "startswith":
            return v.lower().startswith(value.lower())
        if op == "endswith":
            return v.lower().endswith(value.lower())
        raise QueryError(f"unsupported operator {op}")  # pragma: no cover

    return pred


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise QueryError("the query is empty")
    tokens = tokenize(text)
    p = _Parser(tokens)
    first = p.next()
    if first.kind != "word" or first.value.lower() not in TABLES:
        raise QueryError(f"unknown table {first.value!r}; supported: {', '.join(TABLES)}")
    query = Query(table=first.value.lower())
    while p.peek() is not None:
        p.expect_op("|")
        word = p.next()
        op = word.value.lower()
        if word.kind != "word":
            raise QueryError(f"expected an operator after '|', got {word.value!r}")
        if op == "where":
            query.where.append(p.cond())
        elif op == "project":
            cols: list[str] = []
            while True:
                tok = p.next()
                if tok.kind != "word":
                    raise QueryError(f"expected a column in project, got {tok.value!r}")
                nxt = p.peek()
                if nxt is not None and nxt.kind == "op" and nxt.value not in (",", "|"):
                    raise QueryError("computed columns in project are not supported")
                cols.append(tok.value)
                if p.at_pipe_or_end():
                    break
                p.expect_op(",")
            query.project = cols
        elif op in ("order", "sort"):
            if not p.accept_word("by"):
                raise QueryError(f"expected 'by' after {op}")
            while True:
                tok = p.next()
                if tok.kind != "word":
                    raise QueryError(f"expected a column in order by, got {tok.value!r}")
                direction = p.accept_word("asc", "desc")
                query.order.append((tok.value, direction != "asc"))  # KQL sorts descending by default
                if p.at_pipe_or_end():
                    break
                p.expect_op(",")
        elif op in ("limit", "take"):
            tok = p.next()
            if tok.kind != "num":
                raise QueryError(f"expected a number after {op}")
            query.limit = int(tok.value)
        else:
            raise QueryError(f"operator {word.value!r} is not supported by the emulator")
        if not p.at_pipe_or_end():
            raise QueryError(f"unexpected {p.peek().value!r}")  # type: ignore[union-attr]
    return query


# -- scope ----------------------------------------------------------------------------------------


def in_scope(
    row: Row, subscriptions: set[str] | None, management_groups: set[str] | None, ds: Dataset
) -> bool:
    """Is a row visible for the request's ``subscriptions`` / ``managementGroups``? (None = everything)."""
    sub = str(row.get("subscriptionId") or "").lower()
    if subscriptions is None and management_groups is None:
        return True
    if sub:
        if subscriptions is not None and sub in subscriptions:
            return True
        if management_groups is not None:
            return any(mg in management_groups for mg in ds.subscription_mg_chain(sub))
        return False
    # tenant- or management-group-level rows: visible only to a management-group scope that holds them
    if management_groups is None:
        return False
    mg = management_group_of(str(row.get("id") or ""))
    if mg is None:
        return False
    return mg in management_groups or any(a in management_groups for a in ds.mg_ancestors(mg))
