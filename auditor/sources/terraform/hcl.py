"""Terraform configurations (``.tf`` + ``.tfvars``) → resource instances, evaluated statically.

A module is a directory: its ``.tf`` files are parsed together (python-hcl2's
Lark grammar, which keeps every node's offset), so ``var.x`` declared in
``variables.tf`` and a trigger declared in ``triggers.tf`` are seen from
``main.tf``. Expressions are evaluated as Terraform would at plan time, as far
as a static reader can:

* literals, strings with ``${}`` interpolation, heredocs, operators,
  conditionals, ``for`` expressions, splats, and the common functions
  (``jsonencode``, ``jsondecode``, ``format``, ``merge``, ``lookup``,
  ``try``, ``file``/``templatefile`` of files beside the module, …);
* ``var.x``: ``-var-file`` files given, else ``*.auto.tfvars``/``terraform.tfvars``,
  else the default; in a child module (a directory below a ``modules``
  folder) variables are set by the caller, so they are Unknown;
* ``local.x``, other resources' configured attributes, ``count``/``for_each``
  (each instance separately when the collection is known);
* ``<resource>.id`` of the resource types auditor links (Logic Apps,
  connections, automations, resource groups, …) → a synthetic id with the
  ARM evaluator's placeholders; ``azurerm_logic_app_trigger_*.callback_url``
  → a :class:`~auditor.unknown.CallbackUrl` naming the trigger.

Everything else (computed attributes, data sources, module outputs,
functions not implemented, template directives) is an
:class:`~auditor.unknown.Unknown` with a reason, never a guess.

Every module is evaluated within one :class:`~auditor.budget.Budget` (parse,
evaluation and mapping together): each node and function call is a step, no
string, list or map grows past the value-size limit (``"${local.a}${local.a}"``
doubled through locals, ``join``, ``format("%999999999d")``, ``range``,
``concat``, …), ``count``/``for_each``/``dynamic`` instances add up to the
copy budget, expressions and blocks nest no deeper than the walk-depth limit,
and the module's wall clock is checked while Lark parses (an HCL file over
:data:`MAX_HCL_BYTES` is not parsed at all: SRC001). What exceeds a budget is
an Unknown plus one ``evaluation-limit`` problem (SRC005) at the expression
that asked. A cycle between locals or resource attributes is an Unknown plus
an ``invalid-hcl`` problem (SRC002: Terraform rejects the configuration).

Functions that read files (``file``, ``templatefile``, ``filebase64``,
``fileexists``, ``filemd5``/``filesha*``) read only regular files inside the
scanned folder the module was found under (:func:`_guarded_path`): an absolute
path or ``..`` out of it, a link out of it, a device or a FIFO is an Unknown
saying why, and nothing of such a file is ever opened.

JSON written in HCL (``jsonencode({...})``, heredocs) keeps its positions:
objects built from HCL literals remember where each key was, and a heredoc is
parsed at its place in the file (interpolations are substituted and the
offsets mapped back), so a trigger inside a custom trigger's ``body`` gets its
own line.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.budget import Budget, BudgetExceeded, Limits, current, reraise_bugs, use
from auditor.files import FileRefused, is_within, read_regular
from auditor.model import Origin, Problem
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.evaluation.functions import weigh
from auditor.sources.core.evaluation.template import PLACEHOLDER_SUBSCRIPTION, limit_message, quoted
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, PDict, PList, decode, loads
from auditor.sources.terraform import (
    TRIGGER_TYPES,
    Mapper,
    ResourceInstance,
    TerraformProblem,
    TerraformResult,
    is_json_attribute,
    json_dumps,
    json_map_keys,
    synthetic_id,
)
from auditor.unknown import CallbackUrl, Unknown

MAX_FILE_BYTES = 50 * 1024 * 1024  # .tfvars.json (JSON parses fast)
#: HCL source larger than this is not parsed (SRC001). python-hcl2's Lark parser reads dense HCL at
#: 0.1-0.25 MB/s on this project's 2-core machines (comments and long strings: 5-20 MB/s), so 2 MiB
#: is about ten seconds at the worst rate; real .tf files are rarely over 100 KB.
MAX_HCL_BYTES = 2 * 1024 * 1024
#: Tokens Lark reads between two looks at the module's clock.
_CLOCK_TOKENS = 2048
MAX_CACHED_MODULES = 64
_META_ATTRIBUTES = frozenset({"count", "for_each", "depends_on", "provider"})
_META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
_TERRAFORM_BLOCKS = frozenset(
    {
        "resource",
        "data",
        "module",
        "variable",
        "locals",
        "output",
        "provider",
        "terraform",
        "moved",
        "import",
        "check",
        "removed",
    }
)
_MARKER = re.compile("\ue000(\\d+)\ue001")
_HEREDOC_HEAD = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class _EvalError(Exception):
    """What Terraform reports as an error (caught by ``try()``/``can()``, else an Unknown)."""


# ---------------------------------------------------------------- parsing


def _lark() -> Any:
    import hcl2

    return hcl2


def _parse(text: str, budget: Budget | None = None) -> Any:
    """The raw Lark tree (with positions) of an HCL document, within ``budget``'s wall clock.

    Lark's LALR parser is iterative (1,000 nested blocks parse fine), but one call cannot be
    interrupted, so the tokens are fed one by one (:meth:`lark.Lark.parse_interactive`, the same
    lexer and post-lexer as ``hcl2.parses_to_tree``) and the clock is read every
    :data:`_CLOCK_TOKENS` tokens. The garbage collector is paused meanwhile: the parse allocates
    millions of small objects and no cycles, and the collector's passes over them were 40-75 % of
    the parse time.
    """
    from hcl2.parser import parser

    _bind_lark()

    enabled = gc.isenabled()
    gc.disable()
    try:
        interactive = parser().parse_interactive(text + "\n")  # the newline: as hcl2.parses_to_tree
        for count, _token in enumerate(interactive.iter_parse()):
            if budget is not None and not count % _CLOCK_TOKENS:
                budget.check_time()
        return interactive.resume_parse()
    finally:
        if enabled:
            gc.enable()


@functools.lru_cache(maxsize=2048)
def _parse_expression(expr: str) -> Any:
    """An expression's tree, parsed as ``x = (<expr>)`` (offsets are shifted by 5)."""
    tree = _parse(f"x = ({expr})")
    body = tree.children[0]
    attr = next(c for c in body.children if _is_tree(c, "attribute"))
    return attr.children[-1]


class _Unbound:
    """Stands for lark's classes until the first document is parsed (nothing is a tree before that)."""


#: lark's Tree and Token, bound by :func:`_bind_lark` when the first document is parsed. Module
#: globals, not a function-local import: the evaluator tests node types millions of times.
_Tree: Any = _Unbound
_Token: Any = _Unbound


def _bind_lark() -> None:
    global _Tree, _Token
    if _Tree is _Unbound:
        from lark import Token, Tree

        _Tree, _Token = Tree, Token


def _is_tree(node: Any, data: str | None = None) -> bool:
    return isinstance(node, _Tree) and (data is None or node.data == data)


def _subtrees(node: Any) -> list[Any]:
    """Child trees that carry meaning (no tokens, no newlines or comments)."""
    return [c for c in node.children if isinstance(c, _Tree) and c.data != "new_line_or_comment"]


def _tokens(node: Any) -> list[Any]:
    return [c for c in node.children if isinstance(c, _Token)]


def _start(node: Any) -> int:
    if isinstance(node, _Token):
        return node.start_pos or 0
    meta = node.meta
    return 0 if meta.empty else meta.start_pos


def _end(node: Any) -> int:
    if isinstance(node, _Token):
        return node.end_pos or 0
    meta = node.meta
    return 0 if meta.empty else meta.end_pos


def _name(node: Any) -> str:
    """The text of an identifier, keyword, literal or literal string (block labels, attribute names)."""
    if _is_tree(node, "string"):
        return "".join(str(_tokens(p)[0]) for p in node.children if _is_tree(p, "string_part") and _tokens(p))
    tokens = _tokens(node)
    return str(tokens[0]) if tokens else ""


def _syntax_message(exc: Exception) -> tuple[str, int, int]:
    """A short message and position for a Lark error."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        text = str(token)
        if token.type == "$END":
            found = "end of file"
        elif text[:1] in ("\n", "\r") or token.type == "NL_OR_COMMENT":
            found = "end of line"
        else:
            found = repr(text.strip()[:20] or token.type)
        return f"invalid HCL: unexpected {found}{_expected(exc.expected)}", line, column
    if isinstance(exc, UnexpectedCharacters):
        return f"invalid HCL: unexpected character {exc.char!r}", line, column
    if isinstance(exc, UnexpectedEOF):
        return "invalid HCL: unexpected end of file", line, column
    return f"invalid HCL: {exc}", line, column


_VALUE_STARTS = frozenset(
    {"DBLQUOTE", "INT_LITERAL", "FLOAT_LITERAL", "NAME", "LBRACE", "LSQB", "HEREDOC_TEMPLATE"}
)
_PUNCTUATION = {
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RSQB": "']'",
    "RPAR": "')'",
    "EQ": "'='",
    "COMMA": "','",
    "DBLQUOTE": "'\"'",
    "COLON": "':'",
}


def _expected(terminals: set[str]) -> str:
    """What the parser wanted, in words (a value, or a few punctuation marks)."""
    if terminals & _VALUE_STARTS:
        return " (expected a value)"
    words = sorted({_PUNCTUATION[t] for t in terminals if t in _PUNCTUATION})
    return f" (expected {' or '.join(words[:4])})" if words else ""


# ---------------------------------------------------------------- configuration structure


@dataclass(eq=False)
class _File:
    path: Path
    display: str
    src: SourceFile
    tree: Any = None
    blocks: list[_Block] = field(default_factory=list)
    attrs: dict[str, _Attr] = field(default_factory=dict)
    problems: list[TerraformProblem] = field(default_factory=list)
    unreadable: str | None = None


@dataclass(eq=False)
class _Attr:
    name: str
    expr: Any
    offset: int


@dataclass(eq=False)
class _Block:
    type: str
    labels: tuple[str, ...]
    attrs: dict[str, _Attr]
    blocks: list[_Block]
    offset: int
    file: _File


def _read_body(body: Any, file: _File, depth: int = 0) -> tuple[dict[str, _Attr], list[_Block]]:
    """Attributes and nested blocks of a body; blocks deeper than the walk-depth limit are cut (SRC005)."""
    attrs: dict[str, _Attr] = {}
    blocks: list[_Block] = []
    for child in _subtrees(body):
        if child.data == "attribute":
            parts = _subtrees(child)
            name = _name(parts[0])
            attrs[name] = _Attr(name, parts[-1], _start(child))
        elif child.data == "block":
            parts = _subtrees(child)
            inner = next((p for p in parts if p.data == "body"), None)
            names = [_name(p) for p in parts if p.data != "body"]
            sub_attrs: dict[str, _Attr] = {}
            sub_blocks: list[_Block] = []
            if inner is not None:
                budget = current()
                limit = budget.limits.max_walk_depth
                try:
                    budget.depth(depth + 1, "an HCL block", limit=limit)
                    sub_attrs, sub_blocks = _read_body(inner, file, depth + 1)
                except BudgetExceeded as exc:
                    _report_limit(file.src, _start(child), exc, names[0] if names else "", budget)
            blocks.append(_Block(names[0], tuple(names[1:]), sub_attrs, sub_blocks, _start(child), file))
    return attrs, blocks


def _report_limit(src: SourceFile, offset: int, exc: BudgetExceeded, expression: str, budget: Budget) -> None:
    """One ``evaluation-limit`` problem (SRC005) per place; a spent (sticky) budget once per file.

    ``expression`` is text of the scanned file itself (an expression, a block type), shown
    collapsed to one line and cut to 120 characters.
    """
    sticky = exc is budget.spent
    site = src.path if sticky else f"{src.path}\0{offset}"
    if not budget.first_report(exc.limit, site):
        return
    line, column = src.index.position(min(max(offset, 0), len(src.text))) if src.text else (0, 0)
    shown = " ".join(expression.split())
    src.problems.append(
        Problem(
            code="evaluation-limit",
            message=limit_message(exc, quoted(shown) if shown else ""),
            origin=Origin(file=src.path, line=line, column=column),
        )
    )


def _as_limit(exc: BaseException) -> BudgetExceeded:
    """A budget, or Python's own limit hit instead of one, as the exceedance SRC005 reports."""
    if isinstance(exc, BudgetExceeded):
        return exc
    if isinstance(exc, RecursionError):
        return BudgetExceeded("walk depth", "values or expressions nest too deeply for auditor")
    return BudgetExceeded("memory", "evaluating this ran out of memory")


def _too_large(size: int) -> str:
    return (
        f"file is {size:,} bytes: too large to parse within budget (auditor parses HCL files of at most "
        f"{MAX_HCL_BYTES:,} bytes; Lark reads dense HCL at about 0.2 MB/s)"
    )


def _load_file(path: Path, display: str, roots: tuple[Path, ...] | None = None) -> _File:
    """Read and parse one file within the current budget; problems are recorded on it, never raised.

    Only a regular file inside ``roots`` is read (:func:`auditor.files.read_regular`):
    a sibling ``.tf`` that links to ``/dev/zero`` or out of the scanned folder is not opened.
    """
    is_json = path.name.endswith(".json")
    limit = MAX_FILE_BYTES if is_json else MAX_HCL_BYTES
    try:
        size = path.stat().st_size
        if size > limit and not is_json:
            return _File(path, display, SourceFile(display, ""), unreadable=_too_large(size))
        text = decode(read_regular(path, max_bytes=limit, roots=roots))
    except OSError as exc:
        return _File(
            path, display, SourceFile(display, ""), unreadable=f"cannot read file: {exc.strerror or exc}"
        )
    except DecodeError as exc:
        return _File(path, display, SourceFile(display, ""), unreadable=f"cannot decode file: {exc.message}")
    file = _File(path, display, SourceFile(display, text))
    if path.name.endswith(".json"):  # terraform.tfvars.json
        try:
            doc = loads(text, src=file.src)
        except JsonSyntaxError as exc:
            file.problems.append(TerraformProblem(f"invalid JSON: {exc.message}", exc.line, exc.column))
            return file
        file.tree = doc
        return file
    budget = current()
    try:
        file.tree = _parse(text, budget)
    except (BudgetExceeded, RecursionError, MemoryError) as exc:
        _report_limit(file.src, 0, _as_limit(exc), "", budget)
        return file
    except Exception as exc:  # lark errors, and anything python-hcl2 raises on odd input
        from lark.exceptions import LarkError

        if not isinstance(exc, LarkError) and reraise_bugs():
            raise
        message, line, column = _syntax_message(exc)
        file.problems.append(TerraformProblem(message, line, column))
        return file
    file.attrs, file.blocks = _read_body(file.tree.children[0], file)
    return file


# ---------------------------------------------------------------- values the evaluator passes around


@dataclass(frozen=True)
class _Json:
    """The result of ``jsonencode()``: a string to Terraform, but we keep the structure (and its positions)."""

    value: Any

    def text(self) -> Any:
        plain = _finalize(self.value)
        unknown = _first_unknown(plain)
        if unknown is not None:
            return Unknown(
                f"jsonencode() of a value that is not fully known ({unknown.reason})", unknown.expression
            )
        _check_size(plain, "the text of jsonencode()")
        return json_dumps(plain)


class _Lazy:
    """A reference that is only resolved when an attribute or index of it is asked for."""

    @property
    def address(self) -> str:
        """The Terraform address, for messages."""
        return "?"

    def attr(self, name: str, ev: _Evaluator) -> Any:
        raise _EvalError(f"{self.address} has no attribute '{name}'")

    def index(self, key: Any, ev: _Evaluator) -> Any:
        raise _EvalError(f"{self.address} cannot be indexed")

    def as_list(self, ev: _Evaluator) -> Any:
        return [self]

    def unknown(self) -> Unknown:
        return Unknown(f"{self.address} is a whole resource, not a value auditor evaluates", self.address)


@dataclass(eq=False)
class _CallbackOutput(_Lazy):
    """``output`` of an ``azapi_resource_action`` that calls ``listCallbackUrl``."""

    callback: CallbackUrl
    where: str = "?"

    @property
    def address(self) -> str:
        return self.where

    def attr(self, name: str, ev: _Evaluator) -> Any:
        return (
            self.callback
            if name == "value"
            else Unknown(f"{self.address}.output.{name} is returned by Azure")
        )

    def index(self, key: Any, ev: _Evaluator) -> Any:
        return self.attr(str(key), ev)

    def unknown(self) -> Unknown:
        return self.callback


def _first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for v in value.values():
            found = _first_unknown(v)
            if found is not None:
                return found
    elif isinstance(value, list):
        for v in value:
            found = _first_unknown(v)
            if found is not None:
                return found
    return None


def _check_size(value: Any, what: str) -> None:
    """Refuse a value whose strings and elements, counted through every level, pass the value-size limit.

    A list that holds one shared part many times (``[local.a, local.a]`` through twenty locals) is
    small in memory but costs its full size to every copy, walk and serialisation after it.
    """
    budget = current()
    size, walked = weigh(value, budget.limits.max_value_size)
    budget.step(walked)
    budget.value(size, what)


def _finalize(value: Any) -> Any:
    """A value as the model sees it: ``jsonencode()`` results as text, references as Unknown."""
    if isinstance(value, dict | list):
        current().step(len(value) + 1)
    if isinstance(value, _Json):
        return value.text()
    if isinstance(value, _Lazy):
        return value.unknown()
    if isinstance(value, dict):
        out = PDict()
        if isinstance(value, PDict):
            out.start, out.key_pos, out.src = value.start, value.key_pos, value.src
        for k, v in value.items():
            out[k] = _finalize(v)
        return out
    if isinstance(value, list):
        items = PList(_finalize(v) for v in value)
        if isinstance(value, PList):
            items.start, items.item_pos, items.src = value.start, value.item_pos, value.src
        return items
    return value


def _finalize_json(value: Any) -> Any:
    """Like :func:`_finalize`, keeping ``jsonencode()`` nested in a JSON document as structure."""
    if isinstance(value, _Json):
        return _finalize_json(value.value)
    return _finalize(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | _Json):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "reference"


def _to_string(value: Any) -> Any:
    """A value converted to a string as a template interpolation does (Unknown stays Unknown)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return value
    if isinstance(value, _Json):
        return value.text()
    if isinstance(value, _Lazy):
        return value.unknown()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        raise _EvalError("a null value cannot be used in a string template")
    raise _EvalError(f"a {_type_name(value)} cannot be used in a string template")


def _to_number(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        raise _EvalError("a bool is not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise _EvalError(f"'{value}' is not a number") from None
    raise _EvalError(f"a {_type_name(value)} is not a number")


def _to_bool(value: Any) -> Any:
    if isinstance(value, Unknown | bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise _EvalError(f"a {_type_name(value)} is not a bool")


def _equal(a: Any, b: Any) -> Any:
    for v in (a, b):
        if isinstance(v, _Lazy):
            return v.unknown()
        if isinstance(v, _Json):
            return _equal(v.text(), b if v is a else a) if not isinstance(v.text(), Unknown) else v.text()
    unknown = _first_unknown(a)
    if unknown is None:
        unknown = _first_unknown(b)
    if unknown is not None:
        return unknown
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _collection_items(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, _ResourceRef):
        value = value.collection()
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    raise _EvalError(f"cannot iterate over a {_type_name(value)}")


# ---------------------------------------------------------------- the module


def _is_child_module(display_dir: str) -> bool:
    return any(part.lower() == "modules" for part in display_dir.replace("\\", "/").split("/"))


def _auto_var_files(directory: Path) -> list[Path]:
    names = ["terraform.tfvars", "terraform.tfvars.json"]
    try:
        found = [directory / n for n in names if (directory / n).is_file()]
        autos = sorted(
            p
            for p in directory.iterdir()
            if p.is_file() and p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
        )
    except OSError:
        return []
    return found + autos


def _module_files(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".tf")
    except OSError:
        return []


def _sibling_display(display: str, name: str) -> str:
    head, sep, _tail = display.replace("\\", "/").rpartition("/")
    return f"{head}{sep}{name}" if sep else name


def _module_roots(directory: Path, roots: tuple[Path, ...] | None) -> tuple[Path, ...]:
    """The scanned folders the module was found under (its own folder when scanned without roots)."""
    try:
        real = directory.resolve()
    except (OSError, RuntimeError, ValueError):
        return ()
    inside = tuple(root for root in roots or () if is_within(real, (root,)))
    return inside or (real,)


class _Module:
    """The files of one directory, evaluated together within one budget.

    ``roots`` are the scanned folders the module was found under: its files and the
    files that ``file()`` and friends read must lie inside one of them.
    """

    def __init__(
        self,
        directory: Path,
        display_of: Callable[[Path], str],
        var_files: tuple[Path, ...],
        roots: tuple[Path, ...] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.budget = Budget(limits if limits is not None else current().limits)
        self.roots = _module_roots(directory, roots)
        self.depth = 0  # how deep evaluation is nested right now (expressions and the references they follow)
        self._stack: list[tuple[Any, str]] = []  # what is being evaluated, for cycle messages
        with use(self.budget):
            self._load(directory, display_of, var_files)

    def _load(self, directory: Path, display_of: Callable[[Path], str], var_files: tuple[Path, ...]) -> None:
        self.dir = directory
        roots = self.roots or None
        self.files: list[_File] = [_load_file(p, display_of(p), roots) for p in _module_files(directory)]
        self.display_dir = _sibling_display(display_of(directory / "x"), "").rstrip("/")
        self.is_child = _is_child_module(self.display_dir)
        self.var_files: list[_File] = [
            _load_file(p, display_of(p), roots) for p in _auto_var_files(directory)
        ] + [_load_file(p, display_of(p)) for p in var_files]  # -var-file: named by the user
        self.variables: dict[str, _Block] = {}
        self.locals: dict[str, _Attr] = {}
        self.local_file: dict[str, _File] = {}
        self.resources: dict[tuple[str, str], _Block] = {}
        self.data: dict[tuple[str, str], _Block] = {}
        for f in self.files:
            for block in f.blocks:
                if block.type == "variable" and block.labels:
                    self.variables[block.labels[0]] = block
                elif block.type == "locals":
                    for name, attr in block.attrs.items():
                        self.locals[name] = attr
                        self.local_file[name] = f
                elif block.type == "resource" and len(block.labels) >= 2:
                    self.resources[(block.labels[0], block.labels[1])] = block
                elif block.type == "data" and len(block.labels) >= 2:
                    self.data[(block.labels[0], block.labels[1])] = block
        self.var_values: dict[str, Any] = {}
        self._var_cache: dict[str, Any] = {}
        self._local_cache: dict[str, Any] = {}
        self._attr_cache: dict[tuple[int, Any, str], Any] = {}
        self._binding_index: dict[int, tuple[Any, dict[Any, dict[str, Any]]]] = {}
        self._in_progress: set[Any] = set()
        self._instances: dict[int, Any] = {}
        self.problems: dict[int, list[TerraformProblem]] = {id(f.src): list(f.problems) for f in self.files}
        for vf in self.var_files:
            self.problems.setdefault(id(vf.src), []).extend(vf.problems)
            self._read_var_file(vf)
        self.results: dict[int, TerraformResult] = {}
        self._evaluate()
        # What the mapping and the budget recorded on each file (SRC005, wrong types), once.
        self.source_problems: dict[int, list[Problem]] = {
            id(f.src): f.src.take_problems() for f in [*self.files, *self.var_files]
        }

    # ------------------------------------------------------------ problems

    def problem(self, src: SourceFile, offset: int, message: str) -> None:
        """Record a problem in ``src`` (each once)."""
        line, column = src.index.position(min(max(offset, 0), len(src.text))) if src.text else (0, 0)
        bucket = self.problems.setdefault(id(src), [])
        entry = TerraformProblem(message, line, column)
        if entry not in bucket:
            bucket.append(entry)

    # ------------------------------------------------------------ variables and locals

    def _read_var_file(self, vf: _File) -> None:
        if isinstance(vf.tree, dict):  # .tfvars.json
            positions: dict[str, int] = getattr(vf.tree, "key_pos", {})
            for name, value in vf.tree.items():
                self.var_values[name] = _bounded(value, vf.src, positions.get(name, 0), name)
            return
        ev = _Evaluator(self, vf, literal_only=True)
        for name, attr in vf.attrs.items():
            self.var_values[name] = _finalize(ev.evaluate(attr.expr))

    def variable(self, name: str) -> Any:
        """The value of ``var.<name>``."""
        if name in self._var_cache:
            return self._var_cache[name]
        block = self.variables.get(name)
        if block is None:  # declared in a file we do not have: not an error we can vouch for
            value: Any = Unknown(
                f"variable '{name}' is not declared in the files of this module", f"var.{name}"
            )
        elif self.is_child:
            value = Unknown(
                f"variable '{name}' is set by the caller of this module (a child module under 'modules/')",
                f"var.{name}",
            )
        elif name in self.var_values:
            value = self.var_values[name]
        elif "default" in block.attrs:
            value = _Evaluator(self, block.file, literal_only=True).evaluate(block.attrs["default"].expr)
        else:
            value = Unknown(
                f"variable '{name}' has no default and no value in terraform.tfvars or *.auto.tfvars",
                f"var.{name}",
            )
        self._var_cache[name] = value
        return value

    def local(self, name: str) -> Any:
        """The value of ``local.<name>``."""
        if name in self._local_cache:
            return self._local_cache[name]
        attr = self.locals.get(name)
        if attr is None:
            return Unknown(
                f"local value '{name}' is not declared in the files of this module", f"local.{name}"
            )
        key = ("local", name)
        src = self.local_file[name].src
        if key in self._in_progress:
            return self._cycle(key, f"local.{name}", src, attr.offset)
        with self._evaluating(key, f"local.{name}"):
            value = _Evaluator(self, self.local_file[name]).evaluate(attr.expr)
        self._local_cache[name] = value
        return value

    @contextlib.contextmanager
    def _evaluating(self, key: Any, label: str) -> Iterator[None]:
        """Mark ``key`` (a local, a resource attribute, an expansion) as being evaluated."""
        self._in_progress.add(key)
        self._stack.append((key, label))
        try:
            yield
        finally:
            self._stack.pop()
            self._in_progress.discard(key)

    def _cycle(self, key: Any, label: str, src: SourceFile, offset: int) -> Unknown:
        """A value that depends on itself: Terraform rejects the configuration (SRC002), the value is Unknown."""
        keys = [k for k, _label in self._stack]
        start = keys.index(key) if key in keys else len(keys)
        chain = " → ".join([*(lbl for _k, lbl in self._stack[start:]), label])
        self.problem(
            src,
            offset,
            f"invalid Terraform configuration: {label} depends on itself (cycle {chain}); Terraform rejects this",
        )
        return Unknown(f"{label} depends on itself (cycle {chain})", label)

    # ------------------------------------------------------------ resource instances

    def expansion(self, block: _Block) -> list[tuple[Any, dict[str, Any]]] | Unknown | None:
        """Instance keys and bindings of a ``count``/``for_each`` resource; None when it has neither."""
        if id(block) in self._instances:
            return self._instances[id(block)]
        meta = "count" if "count" in block.attrs else "for_each" if "for_each" in block.attrs else None
        if meta is None:
            return None
        attr = block.attrs[meta]
        key = ("expansion", id(block))
        label = f"{_address(block, None)}.{meta}"
        if key in self._in_progress:
            return self._cycle(key, label, block.file.src, attr.offset)
        with self._evaluating(key, label):
            result = self._expand(block, meta, attr)
        self._instances[id(block)] = result
        return result

    def _expand(self, block: _Block, meta: str, attr: _Attr) -> list[tuple[Any, dict[str, Any]]] | Unknown:
        ev = _Evaluator(self, block.file)
        result: list[tuple[Any, dict[str, Any]]] | Unknown
        if meta == "count":
            count = ev.evaluate(attr.expr)
            if isinstance(count, Unknown):
                return Unknown(f"count is not known ({count.reason})", count.expression)
            if not isinstance(count, int) or isinstance(count, bool):
                return Unknown("count is not a whole number")
            size = max(count, 0)
        else:
            each = ev.evaluate(attr.expr)
            if isinstance(each, _ResourceRef):  # for_each = azurerm_x.y: one instance per instance of y
                each = each.collection()
            if isinstance(each, Unknown):
                return Unknown(f"for_each is not known ({each.reason})", each.expression)
            if isinstance(each, dict):
                size = len(each)
            elif isinstance(each, list) and all(isinstance(v, str) for v in each):
                each = sorted(set(each))
                size = len(each)
            else:
                return Unknown(f"for_each is a {_type_name(each)}, not a map or a set of strings")
        try:
            self.budget.copy(size, f"{meta} of {_address(block, None)}")
        except BudgetExceeded as exc:
            _report_limit(block.file.src, attr.offset, exc, ev._source(attr.expr), self.budget)
            return Unknown(exc.reason, ev._source(attr.expr))
        if meta == "count":
            result = [(i, {"count": {"index": i}}) for i in range(size)]
        elif isinstance(each, dict):
            result = [(k, {"each": {"key": k, "value": v}}) for k, v in each.items()]
        else:
            result = [(k, {"each": {"key": k, "value": k}}) for k in each]
        return result

    def bindings(self, block: _Block, key: Any) -> dict[str, Any]:
        """``count``/``each`` for the instance ``key`` of ``block``."""
        expansion = self.expansion(block)
        if expansion is None:
            return {}
        if isinstance(expansion, Unknown):
            unknown = Unknown(f"{_address(block, None)} has {expansion.reason}", expansion.expression)
            if key is not None and not isinstance(key, Unknown):
                return (
                    {"count": {"index": key}}
                    if "count" in block.attrs
                    else {"each": {"key": key, "value": unknown}}
                )
            return (
                {"count": {"index": unknown}}
                if "count" in block.attrs
                else {"each": {"key": unknown, "value": unknown}}
            )
        index = self._binding_index.get(id(block))
        if index is None or index[0] is not expansion:  # one dict per expansion: no scan per instance
            index = (expansion, {_hashable(k): b for k, b in expansion})
            self._binding_index[id(block)] = index
        found = index[1].get(_hashable(key))
        if found is not None:
            return found
        raise _EvalError(f"{_address(block, key)} does not exist (no such count index or for_each key)")

    def attribute(self, block: _Block, key: Any, name: str) -> Any:
        """A configured attribute of a resource instance, evaluated in the instance's context."""
        cache_key = (id(block), key if not isinstance(key, Unknown) else "?", name)
        if cache_key in self._attr_cache:
            return self._attr_cache[cache_key]
        attr = block.attrs.get(name)
        label = f"{_address(block, key)}.{name}"
        if cache_key in self._in_progress:
            return self._cycle(cache_key, label, block.file.src, attr.offset if attr else block.offset)
        with self._evaluating(cache_key, label):
            if attr is None:
                value = None
            else:
                value = _Evaluator(self, block.file, self.bindings(block, key)).evaluate(attr.expr)
        self._attr_cache[cache_key] = value
        return value

    def instance_id(self, block: _Block, key: Any) -> Any:
        """The id of a resource instance: synthetic for the types auditor links, else Unknown."""
        type_ = block.labels[0]
        address = _address(block, key)

        def get(name: str) -> Any:
            return _finalize(self.attribute(block, key, name))

        built = synthetic_id(type_, get, address)
        if built is None:
            return Unknown(f"the id of {address} is only known after apply", f"{address}.id")
        return built

    # ------------------------------------------------------------ evaluation of every resource

    def _evaluate(self) -> None:
        instances: list[ResourceInstance] = []
        for f in self.files:
            for block in f.blocks:
                if block.type != "resource" or len(block.labels) < 2:
                    continue
                instances.extend(self._resource_instances(block))
        mapper = Mapper(lambda src, offset, message: self.problem(src, offset, message))
        for f in self.files:
            mapper.result_for(f.src)
        try:
            mapper.map(instances)
        except (BudgetExceeded, RecursionError, MemoryError) as exc:  # the mapping walks what was evaluated
            first = next((f for f in self.files if f.tree is not None), None)
            if first is not None:
                _report_limit(first.src, 0, _as_limit(exc), "", self.budget)
        for f in self.files:
            self.results[id(f.src)] = mapper.result_for(f.src)

    def _resource_instances(self, block: _Block) -> Iterator[ResourceInstance]:
        type_, name = block.labels[0], block.labels[1]
        expansion = self.expansion(block)
        keys: list[Any]
        if expansion is None:
            keys = [None]
        elif isinstance(expansion, Unknown):
            keys = [Unknown(expansion.reason)]
        else:
            keys = [k for k, _b in expansion]
        for key in keys:
            address = _address(block, key)
            path = f"resource.{type_}.{name}"
            if isinstance(key, int):
                path += f"[{key}]"
            elif isinstance(key, str):  # always bracketed: connector['mail'] is an instance, not an attribute
                quoted = key.replace("\\", "\\\\").replace("'", "\\'")
                path += f"['{quoted}']"
            known = key if not isinstance(key, Unknown) else None
            try:
                ev = _Evaluator(self, block.file, self.bindings(block, known))
                values = ev.block_values(block, type_, top=True)
                res_id = self.instance_id(block, known)
            except (BudgetExceeded, RecursionError, MemoryError) as exc:
                # Outside any one expression (walking the block, its nested blocks, its id):
                # the whole instance is unknown, never a resource without attributes.
                limit = _as_limit(exc)
                _report_limit(block.file.src, block.offset, limit, address, self.budget)
                values = _unknown_block(block, Unknown(limit.reason, address))
                res_id = Unknown(limit.reason, f"{address}.id")
            ctx = Context(block.file.src, resource=address)
            yield ResourceInstance(
                type=type_,
                address=address,
                cursor=Cursor(values, path, block.offset, ctx),
                id=res_id,
            )
            if self.budget.spent is not None and isinstance(expansion, list) and len(keys) > 1:
                break  # the budget is spent: every further instance would be unknown the same way


def _unknown_block(block: _Block, unknown: Unknown) -> PDict:
    """A block whose every attribute and nested block is ``unknown`` (so no check reads it as absent)."""
    out = PDict()
    out.src, out.start = block.file.src, block.offset
    for name, attr in block.attrs.items():
        if name not in _META_ATTRIBUTES:
            out[name] = unknown
            out.key_pos[name] = attr.offset
    for nested in block.blocks:
        kind = nested.labels[0] if nested.type == "dynamic" and nested.labels else nested.type
        if nested.type not in _META_BLOCKS and kind not in out:
            out[kind] = unknown
            out.key_pos[kind] = nested.offset
    return out


def _bounded(value: Any, src: SourceFile, offset: int, what: str) -> Any:
    """``value`` when it nests no deeper than the walk-depth limit, else Unknown (SRC005 at ``offset``)."""
    budget = current()
    limit = budget.limits.max_walk_depth
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth >= limit:
            exc = BudgetExceeded("walk depth", f"a value is nested more than {limit} levels deep")
            _report_limit(src, offset, exc, what, budget)
            return Unknown(exc.reason, what)
        budget.step(len(item) + 1)
        stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return value


def _hashable(key: Any) -> Any:
    """An instance key as a dict key (count indexes and for_each keys are; anything else by its text)."""
    try:
        hash(key)
    except TypeError:
        return ("unhashable", repr(key))
    return (type(key).__name__, key)


def _address(block: _Block, key: Any) -> str:
    prefix = "data." if block.type == "data" else ""
    base = f"{prefix}{block.labels[0]}.{block.labels[1]}"
    if key is None or isinstance(key, Unknown):
        return base
    return f"{base}[{key}]" if isinstance(key, int) else f"{base}[{json.dumps(key)}]"


# ---------------------------------------------------------------- references


@dataclass(eq=False)
class _ResourceRef(_Lazy):
    """``<type>.<name>``: one instance, or the collection of a count/for_each resource."""

    module: _Module
    block: _Block

    @property
    def address(self) -> str:
        return _address(self.block, None)

    def _expanded(self) -> bool:
        return "count" in self.block.attrs or "for_each" in self.block.attrs

    def attr(self, name: str, ev: _Evaluator) -> Any:
        if self._expanded():
            return Unknown(
                f"{self.address} has count or for_each: an instance must be selected", self.address
            )
        return _ResourceInstanceRef(self.module, self.block, None).attr(name, ev)

    def index(self, key: Any, ev: _Evaluator) -> Any:
        if not self._expanded():
            return _ResourceInstanceRef(self.module, self.block, None).index(key, ev)
        expansion = self.module.expansion(self.block)
        if isinstance(expansion, list) and not any(k == key for k, _b in expansion):
            raise _EvalError(f"{_address(self.block, key)} does not exist")
        return _ResourceInstanceRef(self.module, self.block, key)

    def as_list(self, ev: _Evaluator) -> Any:
        if not self._expanded():
            return [_ResourceInstanceRef(self.module, self.block, None)]
        expansion = self.module.expansion(self.block)
        if isinstance(expansion, Unknown):
            return Unknown(f"{self.address} has {expansion.reason}", self.address)
        assert expansion is not None
        return [_ResourceInstanceRef(self.module, self.block, k) for k, _b in expansion]

    def collection(self) -> Any:
        """What ``for_each``/``for`` see: a map of instances (for_each), a list (count), or one object."""
        if not self._expanded():
            return _ResourceInstanceRef(self.module, self.block, None)
        expansion = self.module.expansion(self.block)
        if isinstance(expansion, Unknown):
            return Unknown(f"{self.address} has {expansion.reason}", self.address)
        assert expansion is not None
        if "for_each" in self.block.attrs:
            return PDict((k, _ResourceInstanceRef(self.module, self.block, k)) for k, _b in expansion)
        return PList(_ResourceInstanceRef(self.module, self.block, k) for k, _b in expansion)


@dataclass(eq=False)
class _ResourceInstanceRef(_Lazy):
    module: _Module
    block: _Block
    key: Any

    @property
    def address(self) -> str:
        return _address(self.block, self.key)

    def attr(self, name: str, ev: _Evaluator) -> Any:
        block, type_ = self.block, self.block.labels[0]
        if self.block.type == "data":
            return _data_attribute(self.module, block, self.key, name)
        if name == "id":
            return self.module.instance_id(block, self.key)
        if name == "callback_url" and type_ in TRIGGER_TYPES:
            return _callback(self.module, block, self.key)
        if name == "output" and type_ == "azapi_resource_action":
            found = _callback_output(self.module, block, self.key)
            if found is not None:
                return found
        if name in block.attrs:
            return self.module.attribute(block, self.key, name)
        nested = [b for b in block.blocks if b.type == name]
        if nested:
            return [_NestedBlockRef(self.module, self, b) for b in nested]
        return Unknown(f"{self.address}.{name} is only known after apply", f"{self.address}.{name}")

    def index(self, key: Any, ev: _Evaluator) -> Any:
        raise _EvalError(f"{self.address} is a single resource instance and cannot be indexed")


@dataclass(eq=False)
class _NestedBlockRef(_Lazy):
    module: _Module
    owner: _ResourceInstanceRef
    block: _Block

    @property
    def address(self) -> str:
        return f"{self.owner.address}.{self.block.type}"

    def attr(self, name: str, ev: _Evaluator) -> Any:
        attr = self.block.attrs.get(name)
        if attr is None:
            return Unknown(f"{self.address}[0].{name} is only known after apply", f"{self.address}[0].{name}")
        bindings = self.module.bindings(self.owner.block, self.owner.key)
        return _Evaluator(self.module, self.block.file, bindings).evaluate(attr.expr)


def _callback(module: _Module, block: _Block, key: Any) -> CallbackUrl:
    """``callback_url`` of a Logic App trigger: the URL is a secret of Azure, the trigger it names is not."""
    address = _address(block, key)
    trigger_id = module.instance_id(block, key)
    target: Any = trigger_id
    if isinstance(trigger_id, Unknown):
        target = trigger_id
    return CallbackUrl(
        f"the callback URL of {address} is only known after apply", f"{address}.callback_url", target=target
    )


def _callback_output(module: _Module, block: _Block, key: Any) -> _CallbackOutput | None:
    """``azapi_resource_action`` (resource or data source) calling ``listCallbackUrl`` on a trigger."""
    action = _finalize(module.attribute(block, key, "action"))
    if not isinstance(action, str) or action.lower() != "listcallbackurl":
        return None
    target = _finalize(module.attribute(block, key, "resource_id"))
    type_ = _finalize(module.attribute(block, key, "type"))
    version = type_.partition("@")[2] or None if isinstance(type_, str) else None
    address = _address(block, key)
    callback = CallbackUrl(
        f"the callback URL returned by {address} is only known after apply",
        f"{address}.output",
        target=target,
        api_version=version,
    )
    return _CallbackOutput(callback, address)


def _data_attribute(module: _Module, block: _Block, key: Any, name: str) -> Any:
    type_ = block.labels[0]
    address = _address(block, key)
    if type_ == "azurerm_managed_api" and name in ("id", "name"):
        api = _finalize(module.attribute(block, key, "name"))
        if name == "name" or not isinstance(api, str):
            return api if api is not None else Unknown(f"{address} has no name")
        location = _finalize(module.attribute(block, key, "location"))
        loc = location.replace(" ", "").lower() if isinstance(location, str) else "{location}"
        return f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/providers/Microsoft.Web/locations/{loc}/managedApis/{api}"
    if type_ == "azapi_resource_action" and name == "output":
        found = _callback_output(module, block, key)
        if found is not None:
            return found
    return Unknown(f"data source {address} is read from Azure when Terraform runs", f"{address}.{name}")


# ---------------------------------------------------------------- the evaluator


class _Evaluator:
    """Evaluates expression trees of one file (or of one parsed template expression) in one scope."""

    def __init__(
        self,
        module: _Module,
        file: _File,
        bindings: dict[str, Any] | None = None,
        *,
        text: str | None = None,
        shift: int = 0,
        src: SourceFile | None = None,
        literal_only: bool = False,
        template_only: bool = False,
        base_dir: Path | None = None,
    ) -> None:
        self.module = module
        self.file = file
        self.bindings = bindings or {}
        self.text = file.src.text if text is None else text
        self.shift = shift
        self.src = file.src if src is None and text is None else src
        self.literal_only = literal_only
        self.template_only = template_only
        self.base_dir = base_dir or module.dir
        #: The templatefile() templates being expanded (a template that includes itself is an error).
        self.templates: tuple[Path, ...] = ()

    def child(self, bindings: dict[str, Any]) -> _Evaluator:
        """The same evaluator with more names bound (for expressions, dynamic blocks)."""
        ev = _Evaluator.__new__(_Evaluator)
        ev.__dict__.update(self.__dict__)
        ev.bindings = {**self.bindings, **bindings}
        return ev

    def _source(self, node: Any) -> str:
        return self.text[_start(node) : _end(node)]

    def _offset(self, node: Any) -> int:
        return self.shift + _start(node)

    # ------------------------------------------------------------ entry points

    def evaluate(self, node: Any) -> Any:
        """Evaluate; a Terraform error becomes an Unknown saying what went wrong.

        A budget exceeded (or Python's own recursion or memory limit) is reported as
        SRC005 at this expression and makes the value unknown, never a silent one.
        Inside a ``templatefile()`` template (no scanned source to point at) it goes
        up to the ``.tf`` expression that called the template.
        """
        try:
            return self.eval(node)
        except _EvalError as exc:
            return Unknown(str(exc), self._source(node))
        except (BudgetExceeded, RecursionError, MemoryError) as exc:
            if self.src is None:
                raise
            limit = _as_limit(exc)
            _report_limit(self.src, self._offset(node), limit, self._source(node)[:200], self.module.budget)
            return Unknown(limit.reason, self._source(node))
        except Exception as exc:  # an input auditor did not foresee must not stop the scan
            if reraise_bugs():
                raise
            return Unknown(
                f"auditor could not evaluate this expression ({type(exc).__name__}: {exc})",
                self._source(node),
            )

    def evaluate_json(self, node: Any, label: str) -> Any:
        """An attribute that holds a JSON document, decoded, with positions where the HCL has them."""
        inner = _unwrap(node)
        if _is_tree(inner, "heredoc_template") or _is_tree(inner, "heredoc_template_trim"):
            return self._heredoc_json(inner, label)
        if _is_tree(inner, "function_call") and self._function_name(inner) == "jsonencode":
            args = self._arguments(inner)
            if len(args) == 1:
                return _finalize_json(self.evaluate(args[0][0]))
        value = self.evaluate(node)
        if isinstance(value, _Json):
            return _finalize_json(value.value)
        if isinstance(value, str):
            try:
                return loads(value, src=None)
            except JsonSyntaxError as exc:
                self.module.problem(self.file.src, self._offset(node), f"{label} is not valid JSON: {exc}")
                return Unknown(f"{label} is not valid JSON ({exc.message})")
        if isinstance(value, dict | list):
            return _finalize_json(value)
        return _finalize(value)

    def evaluate_json_map(self, node: Any, keys: frozenset[str] | None, label: str) -> Any:
        """A map attribute whose values (all, or those of ``keys``) are JSON documents."""
        inner = _unwrap(node)
        if _is_tree(inner, "object"):
            try:
                out = self._object(
                    inner,
                    value_of=lambda key, expr: (
                        self.evaluate_json(expr, f"{label}[{json.dumps(key)}]")
                        if keys is None or key in keys
                        else _finalize(self.evaluate(expr))
                    ),
                )
            except _EvalError as exc:
                return Unknown(str(exc), self._source(node))
            return out
        value = self.evaluate(node)
        if not isinstance(value, dict):
            return _finalize(value)
        result = PDict()
        for key, item in value.items():
            if keys is None or key in keys:
                if isinstance(item, _Json):
                    item = _finalize_json(item.value)
                elif isinstance(item, str):
                    try:
                        item = loads(item, src=None)
                    except JsonSyntaxError as exc:
                        self.module.problem(
                            self.file.src,
                            self._offset(node),
                            f"{label}[{json.dumps(key)}] is not valid JSON: {exc}",
                        )
                        item = Unknown(f"{label}[{json.dumps(key)}] is not valid JSON ({exc.message})")
            result[key] = _finalize(item)
        return result

    def block_values(self, block: _Block, type_: str, *, top: bool) -> PDict:
        """A block's attributes and nested blocks as a positioned object (nested blocks → lists)."""
        out = PDict()
        out.src, out.start = block.file.src, block.offset
        address = _address(block, None) if top else block.type
        for name, attr in block.attrs.items():
            if top and name in _META_ATTRIBUTES:
                continue
            label = f"'{name}' of {address}"
            if top and is_json_attribute(type_, name):
                value = self.evaluate_json(attr.expr, label)
            elif top and (keys := json_map_keys(type_, name)) is not False:
                value = self.evaluate_json_map(attr.expr, keys, label)
            else:
                value = _finalize(self.evaluate(attr.expr))
            out[name] = value
            out.key_pos[name] = attr.offset
        groups: dict[str, Any] = {}
        for nested in block.blocks:
            if top and nested.type in _META_BLOCKS:
                continue
            if nested.type == "dynamic" and nested.labels:
                kind = nested.labels[0]
                expanded = self._dynamic(nested, type_)
                current = groups.get(kind)
                if isinstance(expanded, Unknown) or isinstance(current, Unknown):
                    groups[kind] = current if isinstance(current, Unknown) else expanded
                    out.key_pos.setdefault(kind, nested.offset)
                    continue
                items = groups.setdefault(kind, _plist(block.file.src, nested.offset))
                for value, offset in expanded:
                    items.append(value)
                    items.item_pos.append(offset)
                out.key_pos.setdefault(kind, nested.offset)
                continue
            current = groups.get(nested.type)
            if isinstance(current, Unknown):
                continue
            items = groups.setdefault(nested.type, _plist(block.file.src, nested.offset))
            items.append(self.block_values(nested, type_, top=False))
            items.item_pos.append(nested.offset)
            out.key_pos.setdefault(nested.type, nested.offset)
        for kind, items in groups.items():
            out[kind] = items
        return out

    def _dynamic(self, block: _Block, type_: str) -> list[tuple[PDict, int]] | Unknown:
        kind = block.labels[0]
        iterator = kind
        if "iterator" in block.attrs:
            iterator = self._source(block.attrs["iterator"].expr).strip() or kind
        content = next((b for b in block.blocks if b.type == "content"), None)
        if "for_each" not in block.attrs or content is None:
            return []
        collection = self.evaluate(block.attrs["for_each"].expr)
        if isinstance(collection, _ResourceRef):
            collection = collection.collection()
        if isinstance(collection, Unknown):
            expr = self._source(block.attrs["for_each"].expr).strip()
            return Unknown(
                f"dynamic block '{kind}' iterates over {expr}, which is not known ({collection.reason})",
                collection.expression,
            )
        try:
            items = _collection_items(collection)
        except _EvalError as exc:
            return Unknown(f"dynamic block '{kind}': {exc}")
        try:
            self.module.budget.copy(len(items), f"dynamic block '{kind}'")
        except BudgetExceeded as exc:
            expr = self._source(block.attrs["for_each"].expr).strip()
            _report_limit(self.file.src, block.offset, exc, expr, self.module.budget)
            return Unknown(exc.reason, expr)
        out: list[tuple[PDict, int]] = []
        for key, value in items:
            ev = self.child({iterator: {"key": key, "value": value}})
            out.append((ev.block_values(content, type_, top=False), block.offset))
        return out

    # ------------------------------------------------------------ expressions

    def eval(self, node: Any) -> Any:
        """Evaluate an expression tree (raises :class:`_EvalError` for what Terraform rejects).

        Every node is one evaluation step of the module's budget (so nested ``for``
        expressions over ranges stop on the step or time limit), and no string, list
        or object it yields may pass the value-size limit (so doubling through locals
        stops at twice the limit, not at the machine's memory).
        """
        budget = self.module.budget
        budget.step()
        data = node.data
        if data == "expr_term":
            inner = _subtrees(node)
            if len(inner) != 1:
                raise _EvalError(f"cannot evaluate {self._source(node)!r}")
            return self.eval(inner[0])
        method = getattr(self, f"_e_{data}", None)
        if method is None:
            return Unknown(f"'{self._source(node)}' is not evaluated by auditor", self._source(node))
        value = method(node)
        if isinstance(value, str | list | dict) and len(value) > budget.limits.max_value_size:
            budget.value(len(value), "the value of this expression")
        return value

    def _e_int_lit(self, node: Any) -> Any:
        return int(str(_tokens(node)[0]))

    def _e_float_lit(self, node: Any) -> Any:
        return float(str(_tokens(node)[0]))

    def _e_literal_value(self, node: Any) -> Any:
        return {"true": True, "false": False, "null": None}[str(_tokens(node)[0])]

    def _e_identifier(self, node: Any) -> Any:
        return self._reference(str(_tokens(node)[0]), [], node)

    def _e_string(self, node: Any) -> Any:
        parts: list[Any] = []
        for part in node.children:
            if not _is_tree(part, "string_part"):
                continue
            token = part.children[0]
            if _is_tree(token, "interpolation"):
                parts.append(self.eval(_subtrees(token)[0]))
            elif _is_tree(token):
                return Unknown("template directives (%{ … }) are not evaluated", self._source(node))
            elif token.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                parts.append(str(token)[1:])
            else:
                parts.append(_unescape(str(token)))
        if len(parts) == 1 and len([p for p in node.children if _is_tree(p, "string_part")]) == 1:
            only = next(p for p in node.children if _is_tree(p, "string_part")).children[0]
            if _is_tree(only, "interpolation"):
                return parts[0]  # "${x}" is x itself, not its text
        return _join_parts(parts)

    def _e_template_string(self, node: Any) -> Any:
        return Unknown("template directives (%{ … }) are not evaluated", self._source(node))

    def _e_heredoc_template(self, node: Any) -> Any:
        return self._heredoc_text(node, trim=False)

    def _e_heredoc_template_trim(self, node: Any) -> Any:
        return self._heredoc_text(node, trim=True)

    def _e_tuple(self, node: Any) -> Any:
        items = PList()
        items.src, items.start = self.src, self._offset(node)
        for element in _subtrees(node):
            items.append(self.eval(element))
            items.item_pos.append(self._offset(element))
        return items

    def _e_object(self, node: Any) -> Any:
        return self._object(node, value_of=lambda _key, expr: self.eval(expr))

    def _object(self, node: Any, value_of: Callable[[str, Any], Any]) -> Any:
        out = PDict()
        out.src, out.start = self.src, self._offset(node)
        for elem in _subtrees(node):
            key_node, value_node = _subtrees(elem)[0], _subtrees(elem)[-1]
            key = self._object_key(key_node)
            if isinstance(key, Unknown):
                return key
            out[key] = value_of(key, value_node)
            out.key_pos[key] = self._offset(elem)
        return out

    def _object_key(self, node: Any) -> Any:
        inner = _subtrees(node)[0]
        if _is_tree(inner, "keyword"):
            return _name(inner)
        bare = _unwrap(inner)
        if _is_tree(bare, "identifier") and not (_is_tree(inner, "expr_term") and _tokens(inner)):
            return _name(bare)
        key = self.eval(inner)
        if isinstance(key, Unknown):
            return key
        text = _to_string(key)
        return text

    def _e_conditional(self, node: Any) -> Any:
        cond_node, then_node, else_node = _subtrees(node)
        cond = _to_bool(self.eval(cond_node))
        if isinstance(cond, Unknown):
            then_value, else_value = self.evaluate(then_node), self.evaluate(else_node)
            same = _equal(then_value, else_value)
            return then_value if same is True else cond
        return self.eval(then_node if cond else else_node)

    def _e_unary_op(self, node: Any) -> Any:
        op = str(_tokens(node)[0])
        value = self.eval(_subtrees(node)[0])
        if op == "!":
            value = _to_bool(value)
            return value if isinstance(value, Unknown) else not value
        value = _to_number(value)
        return value if isinstance(value, Unknown) else -value

    def _e_binary_op(self, node: Any) -> Any:
        left_node, term = _subtrees(node)[0], _subtrees(node)[1]
        operator = _subtrees(term)[0]
        right_node = _subtrees(term)[-1]
        op = _tokens(operator)[0].type
        left, right = self.eval(left_node), self.eval(right_node)
        if op in ("DOUBLE_EQ", "NEQ"):
            same = _equal(left, right)
            return same if isinstance(same, Unknown) else (same if op == "DOUBLE_EQ" else not same)
        if op in ("DOUBLE_AMP", "DOUBLE_PIPE"):
            a, b = _to_bool(left), _to_bool(right)
            stop = op == "DOUBLE_PIPE"  # || is decided by one true, && by one false
            if a is stop or b is stop:
                return stop
            for v in (a, b):
                if isinstance(v, Unknown):
                    return v
            return stop if (a is stop or b is stop) else (not stop)
        a, b = _to_number(left), _to_number(right)
        for v in (a, b):
            if isinstance(v, Unknown):
                return v
        if op == "PLUS":
            return a + b
        if op == "MINUS":
            return a - b
        if op == "ASTERISK":
            return a * b
        if op in ("SLASH", "PERCENT"):
            if b == 0:
                raise _EvalError("division by zero")
            if op == "PERCENT":
                return a % b
            result = a / b
            return int(result) if float(result).is_integer() else result
        comparisons: dict[str, Callable[[Any, Any], bool]] = {
            "LT": lambda x, y: x < y,
            "GT": lambda x, y: x > y,
            "LEQ": lambda x, y: x <= y,
            "GEQ": lambda x, y: x >= y,
        }
        if op in comparisons:
            return comparisons[op](a, b)
        raise _EvalError(f"unsupported operator {op}")

    # ------------------------------------------------------------ traversals

    def _e_get_attr_expr_term(self, node: Any) -> Any:
        return self._traversal(node)

    def _e_index_expr_term(self, node: Any) -> Any:
        return self._traversal(node)

    def _traversal(self, node: Any) -> Any:
        steps: list[Any] = []
        root = node
        while True:
            bare = _unwrap(root)
            if _is_tree(bare, "get_attr_expr_term") or _is_tree(bare, "index_expr_term"):
                base, step = _subtrees(bare)
                steps.append(step)
                root = base
                continue
            break
        steps.reverse()
        bare = _unwrap(root)
        if _is_tree(bare, "identifier") and not (_is_tree(root, "expr_term") and _tokens(root)):
            return self._reference(_name(bare), steps, node)
        return self._apply(self.eval(root), steps, node)

    def _step_key(self, step: Any) -> Any:
        if step.data == "get_attr":
            return ("attr", _name(_subtrees(step)[0]))
        if step.data == "short_index":
            return ("index", int(str(_tokens(step)[-1])))
        return ("index", self.eval(_subtrees(step)[0]))

    def _apply(self, value: Any, steps: list[Any], node: Any) -> Any:
        for step in steps:
            kind, key = self._step_key(step)
            value = self._step(value, kind, key)
            if isinstance(value, Unknown) and not isinstance(value, CallbackUrl):
                return value
        return value

    def _step(self, value: Any, kind: str, key: Any) -> Any:
        if isinstance(key, Unknown):
            return key
        if isinstance(value, CallbackUrl):
            return value if (kind, key) == ("attr", "value") else Unknown(value.reason, value.expression)
        if isinstance(value, Unknown):
            return value
        if isinstance(value, _Lazy):
            return value.attr(key, self) if kind == "attr" else value.index(key, self)
        if value is None:
            raise _EvalError(
                f"cannot read {'attribute' if kind == 'attr' else 'index'} {key!r} of a null value"
            )
        if isinstance(value, dict):
            name = key if kind == "attr" else _to_string(key)
            if isinstance(name, Unknown):
                return name
            if name not in value:
                raise _EvalError(f"the object has no attribute or key '{name}'")
            return value[name]
        if isinstance(value, list):
            index = _to_number(key) if kind == "index" else None
            if not isinstance(index, int) or isinstance(index, bool):
                raise _EvalError(f"a list has no attribute '{key}'")
            if not 0 <= index < len(value):
                raise _EvalError(f"index {index} is out of range for a list of {len(value)}")
            return value[index]
        raise _EvalError(f"a {_type_name(value)} has no {'attribute' if kind == 'attr' else 'index'} {key!r}")

    def _e_full_splat_expr_term(self, node: Any) -> Any:
        return self._splat(node)

    def _e_attr_splat_expr_term(self, node: Any) -> Any:
        return self._splat(node)

    def _splat(self, node: Any) -> Any:
        base_node, splat = _subtrees(node)
        base = self.eval(base_node)
        steps = _subtrees(splat)
        if isinstance(base, Unknown):
            return base
        if isinstance(base, _Lazy):
            base = base.as_list(self)
            if isinstance(base, Unknown):
                return base
        elif base is None:
            return PList()
        elif not isinstance(base, list):
            base = [base]
        return PList(self._apply(item, steps, node) for item in base)

    def _reference(self, name: str, steps: list[Any], node: Any) -> Any:
        text = self._source(node)
        if name in self.bindings:
            return self._apply(self.bindings[name], steps, node)
        if self.literal_only:
            return Unknown(f"'{text}' is not a literal value", text)
        if self.template_only:
            return Unknown(f"'{name}' is not one of the variables passed to templatefile()", text)
        first = self._step_key(steps[0]) if steps else None
        attr = first[1] if first is not None and first[0] == "attr" else None
        if name == "var" and attr is not None:
            return self._apply(self.module.variable(attr), steps[1:], node)
        if name == "local" and attr is not None:
            return self._apply(self.module.local(attr), steps[1:], node)
        if name == "module":
            return Unknown(f"the outputs of module '{attr}' are not evaluated", text)
        if name == "path" and attr is not None:
            if attr == "module" or (attr == "root" and not self.module.is_child):
                return self._apply(str(self.module.dir), steps[1:], node)
            return Unknown(f"path.{attr} depends on where Terraform runs", text)
        if name == "data" and len(steps) >= 2:
            second = self._step_key(steps[1])
            block = self.module.data.get((str(attr), str(second[1])))
            if block is None:
                return Unknown(f"data source data.{attr}.{second[1]} is not declared in this module", text)
            return self._apply(_ResourceRef(self.module, block), steps[2:], node)
        if name in ("terraform", "count", "each", "self", "data"):
            return Unknown(f"'{text}' is only known when Terraform runs", text)
        if attr is not None and "_" in name:
            block = self.module.resources.get((name, attr))
            if block is None:
                return Unknown(f"resource {name}.{attr} is not declared in this module", text)
            return self._apply(_ResourceRef(self.module, block), steps[1:], node)
        return Unknown(f"'{text}' is not a value auditor knows", text)

    # ------------------------------------------------------------ for expressions

    def _for_intro(self, intro: Any) -> tuple[list[str], Any]:
        names = [_name(c) for c in intro.children if _is_tree(c, "identifier")]
        collection = self.eval(next(c for c in _subtrees(intro) if not _is_tree(c, "identifier")))
        if isinstance(collection, _ResourceRef):
            collection = collection.collection()
        return names, collection

    def _for_items(self, names: list[str], collection: Any) -> Iterator[_Evaluator]:
        budget = self.module.budget
        for key, value in _collection_items(collection):
            budget.step()  # an iteration binds names and builds an element, beyond its nodes
            bound = {names[0]: key, names[1]: value} if len(names) == 2 else {names[0]: value}
            yield self.child(bound)

    def _e_for_tuple_expr(self, node: Any) -> Any:
        parts = _subtrees(node)
        intro, value_node = parts[0], parts[1]
        cond = parts[2] if len(parts) > 2 else None
        names, collection = self._for_intro(intro)
        if isinstance(collection, Unknown):
            return collection
        out = PList()
        for ev in self._for_items(names, collection):
            if cond is not None:
                keep = _to_bool(ev.eval(_subtrees(cond)[0]))
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            out.append(ev.eval(value_node))
        return out

    def _e_for_object_expr(self, node: Any) -> Any:
        parts = _subtrees(node)
        intro, key_node, value_node = parts[0], parts[1], parts[2]
        cond = parts[3] if len(parts) > 3 else None
        group = any(str(t) == "..." for t in _tokens(node))
        names, collection = self._for_intro(intro)
        if isinstance(collection, Unknown):
            return collection
        out = PDict()
        for ev in self._for_items(names, collection):
            if cond is not None:
                keep = _to_bool(ev.eval(_subtrees(cond)[0]))
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            key = _to_string(ev.eval(key_node))
            if isinstance(key, Unknown):
                return key
            value = ev.eval(value_node)
            if group:
                out.setdefault(key, PList()).append(value)
            elif key in out:
                raise _EvalError(f"duplicate key '{key}' in a for expression (use ... to group)")
            else:
                out[key] = value
        return out

    # ------------------------------------------------------------ functions

    def _function_name(self, node: Any) -> str:
        names = [_name(c) for c in node.children if _is_tree(c, "identifier")]
        return "::".join(names)

    def _arguments(self, node: Any) -> list[tuple[Any, bool]]:
        args = next((c for c in node.children if _is_tree(c, "arguments")), None)
        if args is None:
            return []
        exprs = _subtrees(args)
        expand = any(str(t) == "..." for t in _tokens(args))
        return [(e, expand and i == len(exprs) - 1) for i, e in enumerate(exprs)]

    def _e_function_call(self, node: Any) -> Any:
        name = self._function_name(node)
        args = self._arguments(node)
        text = self._source(node)
        if name in ("try", "can"):
            for expr, _expand in args:
                try:
                    value = self.eval(expr)
                except _EvalError:
                    if name == "can":
                        return False
                    continue
                if name == "can":
                    return value if isinstance(value, Unknown) else True
                return value
            if name == "can":
                return True
            raise _EvalError("no argument of try() could be evaluated")
        function = _FUNCTIONS.get(name)
        if function is None:
            if name in _FILE_FUNCTIONS:
                values = self._argument_values(args)
                return self._file_function(name, values, text)
            return Unknown(f"function {name}() is not evaluated by auditor", text)
        values = self._argument_values(args)
        for value in values:
            if isinstance(value, Unknown):
                return value
            if isinstance(value, _Lazy) and name != "jsondecode":
                return value.unknown()
        try:
            return function(*values)
        except _EvalError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise _EvalError(f"{name}(): {exc}") from None

    def _argument_values(self, args: list[tuple[Any, bool]]) -> list[Any]:
        values: list[Any] = []
        for expr, expand in args:
            value = self.eval(expr)
            if expand:
                if isinstance(value, Unknown):
                    values.append(value)
                elif isinstance(value, list):
                    values.extend(value)
                else:
                    raise _EvalError("only a list can be expanded with ...")
            else:
                values.append(value)
        return values

    def _file_function(self, name: str, values: list[Any], text: str) -> Any:
        """``file()`` / ``templatefile()``, reading only regular files inside the scanned folders.

        The path comes from the pull request: ``/proc/self/environ``, ``../../x`` or a
        link out of the repository would otherwise put CI secrets into a finding and
        from there into every report. Such a read is refused and the value is unknown
        (SRC003 where a check needs it); the message names the path as written, never
        what the file holds. A missing file is a Terraform error, as in Terraform.
        """
        if not values or not isinstance(values[0], str):
            return (
                values[0]
                if values and isinstance(values[0], Unknown)
                else Unknown(f"{name}() of an unknown path", text)
            )
        content = self._read_confined(name, values[0], text)
        if not isinstance(content, tuple):
            return content
        path, body = content
        if name == "file":
            return body
        variables = values[1] if len(values) > 1 else {}
        if isinstance(variables, Unknown):
            return variables
        if not isinstance(variables, dict):
            raise _EvalError("templatefile(): the variables must be an object")
        if path in self.templates:
            raise _EvalError(f"templatefile(): {values[0]} includes itself")
        template_file = _File(path, str(path), SourceFile(str(path), body))
        ev = _Evaluator(
            self.module,
            template_file,
            dict(variables),
            text=body,
            src=None,
            template_only=True,
            base_dir=path.parent,
        )
        ev.templates = (*self.templates, path)
        return ev.template(body, 0, trim=False)

    def _read_confined(self, name: str, given: str, text: str) -> tuple[Path, str] | Unknown:
        """The resolved path and text of the file ``given`` names, or why it is not read."""
        path = Path(given)
        if not path.is_absolute():
            path = self.base_dir / path
        roots = self.module.roots
        try:
            real = Path(os.path.realpath(path))  # not strict: whether a file outside exists is not told
        except (OSError, RuntimeError, ValueError):
            return Unknown(f"{name}(): {given} is not a path auditor can read", text)
        if not roots or not is_within(real, roots):
            return Unknown(
                f"{name}(): {given} is outside the scanned folders, so auditor does not read it", text
            )
        try:
            data = read_regular(real, max_bytes=MAX_HCL_BYTES, roots=roots)
        except FileNotFoundError:
            raise _EvalError(f"{name}(): no file {given}") from None
        except FileRefused as exc:
            return Unknown(f"{name}(): {given} is not read ({exc.strerror})", text)
        except OSError as exc:
            return Unknown(f"{name}(): {given} cannot be read ({exc.strerror or type(exc).__name__})", text)
        try:
            body = decode(data)
        except DecodeError:
            return Unknown(f"{name}(): {given} is not UTF-8 text", text)
        self.module.budget.value(len(body), f"the text {name}() reads")
        return real, body

    # ------------------------------------------------------------ templates (heredocs, templatefile)

    def _heredoc_parts(self, node: Any) -> tuple[str, int, bool]:
        token = _tokens(node)[0]
        raw = str(token)
        head = _HEREDOC_HEAD.match(raw)
        if head is None:
            raise _EvalError("malformed heredoc")
        body_start = head.end()
        closing = raw.rstrip("\r\n").rfind("\n")  # the line of the closing marker
        body = raw[body_start : closing + 1] if closing >= body_start else ""
        return body, self._offset(node) + body_start, head.group(1) == "-"

    def _heredoc_text(self, node: Any, *, trim: bool) -> Any:
        body, offset, _trim = self._heredoc_parts(node)
        return self.template(body, offset, trim=trim)

    def template(self, body: str, offset: int, *, trim: bool) -> Any:
        """A template's text with its interpolations evaluated (Unknown when one is)."""
        scanned = self._scan_template(body, offset, json_mode=False)
        if isinstance(scanned, Unknown):
            return scanned
        text, _segments, markers = scanned
        if markers:
            return markers[0]
        if trim:
            lines = text.split("\n")
            indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            cut = min(indents) if indents else 0
            text = "\n".join(line[cut:] for line in lines)
        return text

    def _heredoc_json(self, node: Any, label: str) -> Any:
        try:
            body, offset, _trim = self._heredoc_parts(node)
            scanned = self._scan_template(body, offset, json_mode=True)
        except _EvalError as exc:
            return Unknown(str(exc), self._source(node))
        if isinstance(scanned, Unknown):
            return scanned
        text, segments, markers = scanned
        src = self.src
        try:
            doc = loads(text, src=src)
        except JsonSyntaxError as exc:
            where = _map_offset(segments, exc.offset, offset)
            if src is not None:
                line, column = src.index.position(min(where, len(src.text)))
                message = f"{label} is not valid JSON: {exc.message} (line {line}, column {column})"
                self.module.problem(src, where, message)
            return Unknown(f"{label} is not valid JSON ({exc.message})")
        return _resolve_markers(_remap(doc, segments, offset), markers)

    def _scan_template(
        self, body: str, offset: int, *, json_mode: bool
    ) -> tuple[str, list[tuple[int, int, int, int]], list[Unknown]] | Unknown:
        """Substitute interpolations; return the text, the offset map and the Unknowns marked in it.

        Segments are (out_start, source_start, out_length, source_length): literal
        runs map one to one, a substitution maps to where its ``${`` was.
        """
        out: list[str] = []
        segments: list[tuple[int, int, int, int]] = []
        markers: list[Unknown] = []
        out_len = 0
        literal_start = 0
        in_string = False
        i, n = 0, len(body)

        def flush(end: int) -> None:
            nonlocal out_len, literal_start
            if end > literal_start:
                chunk = body[literal_start:end]
                segments.append((out_len, literal_start, len(chunk), len(chunk)))
                out.append(chunk)
                out_len += len(chunk)
            literal_start = end

        def emit(text: str, source_start: int, source_length: int) -> None:
            nonlocal out_len
            segments.append((out_len, source_start, len(text), source_length))
            out.append(text)
            out_len += len(text)

        while i < n:
            c = body[i]
            if c == "\\" and in_string:
                i += 2
                continue
            if c == '"' and json_mode:
                in_string = not in_string
            elif c in "$%" and body.startswith(c * 2 + "{", i):
                flush(i)
                emit(c + "{", i, 3)
                i += 3
                literal_start = i
                continue
            elif c == "%" and body.startswith("%{", i):
                return Unknown("template directives (%{ … }) are not evaluated", body[i : i + 40])
            elif c == "$" and body.startswith("${", i):
                end = _interpolation_end(body, i + 2)
                if end < 0:
                    raise _EvalError("unterminated ${ in a template")
                flush(i)
                value = self._interpolate(body[i + 2 : end], offset + i + 2)
                if isinstance(value, Unknown):
                    marker = f"\ue000{len(markers)}\ue001"
                    markers.append(value)
                    emit(marker if in_string or not json_mode else f'"{marker}"', i, end + 1 - i)
                else:
                    emit(value, i, end + 1 - i)
                i = end + 1
                literal_start = i
                continue
            i += 1
        flush(n)
        return "".join(out), segments, markers

    def _interpolate(self, expr: str, offset: int) -> Any:
        """Evaluate the text of one ``${…}`` (offset: where the expression starts in the source)."""
        try:
            node = _parse_expression(expr)
        except Exception as exc:
            message, _line, _column = _syntax_message(exc)
            if self.src is not None:
                self.module.problem(
                    self.src, offset, f"{message} in template interpolation ${{{expr.strip()}}}"
                )
            return Unknown(f"invalid expression ${{{expr.strip()}}}")
        ev = _Evaluator.__new__(_Evaluator)
        ev.__dict__.update(self.__dict__)
        ev.text = f"x = ({expr})"
        ev.shift = offset - 5
        try:
            value = ev.eval(node)
            return _to_string(value)
        except _EvalError as exc:
            return Unknown(str(exc), expr.strip())


def _unwrap(node: Any) -> Any:
    """The expression inside ``expr_term`` wrappers and parentheses."""
    while _is_tree(node, "expr_term"):
        inner = _subtrees(node)
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def _plist(src: SourceFile, start: int) -> PList:
    items = PList()
    items.src, items.start = src, start
    return items


@functools.lru_cache(maxsize=4096)
def _unescape(literal: str) -> str:
    """A string literal's text with its escapes processed (cached: loops evaluate one literal often)."""
    return str(_lark().utils.process_escape_sequences(literal))


def _join_parts(parts: list[Any]) -> Any:
    texts: list[str] = []
    for part in parts:
        text = _to_string(part)
        if isinstance(text, Unknown):
            # Text around a callback URL is no longer the callback URL.
            return text if len(parts) == 1 else Unknown(text.reason, text.expression)
        texts.append(text)
    current().value(sum(map(len, texts)), "an interpolated string")
    return "".join(texts)


def _interpolation_end(text: str, i: int) -> int:
    """Index of the ``}`` that closes an interpolation whose expression starts at ``i`` (-1: none)."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text.startswith("${", i):
                    end = _interpolation_end(text, i + 2)
                    if end < 0:
                        return -1
                    i = end
                i += 1
        elif c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _map_offset(segments: list[tuple[int, int, int, int]], out_offset: int, base: int) -> int:
    """An offset in substituted template text → the offset of the same place in the source file."""
    if not segments:
        return base + out_offset
    starts = [s[0] for s in segments]
    idx = max(bisect_right(starts, out_offset) - 1, 0)
    out_start, source_start, out_length, source_length = segments[idx]
    if out_length == source_length:
        return (
            base
            + source_start
            + min(out_offset - out_start, max(source_length, 1) - 1 if source_length else 0)
        )
    return base + source_start


def _remap(value: Any, segments: list[tuple[int, int, int, int]], base: int) -> Any:
    """Positions of a document parsed from substituted text → positions in the source file."""
    if isinstance(value, PDict):
        if value.start >= 0:
            value.start = _map_offset(segments, value.start, base)
        value.key_pos = {k: _map_offset(segments, p, base) for k, p in value.key_pos.items()}
        for v in value.values():
            _remap(v, segments, base)
    elif isinstance(value, PList):
        if value.start >= 0:
            value.start = _map_offset(segments, value.start, base)
        value.item_pos = [_map_offset(segments, p, base) for p in value.item_pos]
        for v in value:
            _remap(v, segments, base)
    return value


def _resolve_markers(value: Any, markers: list[Unknown]) -> Any:
    """Strings holding an interpolation that was not known → that Unknown."""
    if not markers:
        return value
    if isinstance(value, str):
        found = _MARKER.search(value)
        if found is None:
            return value
        unknown = markers[int(found.group(1))]
        if found.group(0) == value:
            return unknown
        return Unknown(f"part of this text is not known ({unknown.reason})", unknown.expression)
    if isinstance(value, dict):
        for k in list(value):
            value[k] = _resolve_markers(value[k], markers)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            value[i] = _resolve_markers(v, markers)
    return value


# ---------------------------------------------------------------- functions


def _str_arg(value: Any, what: str = "argument") -> str:
    if isinstance(value, _Json):
        text = value.text()
        if isinstance(text, Unknown):
            raise _EvalError(f"the {what} is not known")
        return text
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        converted = _to_string(value)
        assert isinstance(converted, str)
        return converted
    raise _EvalError(f"the {what} must be a string, not a {_type_name(value)}")


def _list_arg(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _EvalError(f"expected a list, not a {_type_name(value)}")


def _map_arg(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise _EvalError(f"expected a map or object, not a {_type_name(value)}")


def _strings_or_unknown(items: list[Any]) -> list[str] | Unknown:
    out: list[str] = []
    for item in items:
        text = _to_string(item)
        if isinstance(text, Unknown):
            return text
        out.append(text)
    return out


def _fn_jsonencode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return _Json(value)


def _fn_jsondecode(value: Any) -> Any:
    if isinstance(value, _CallbackOutput | Unknown):
        return value
    if isinstance(value, _Lazy):
        return value.unknown()
    if isinstance(value, _Json):
        return value.value
    try:
        return json.loads(_str_arg(value))
    except json.JSONDecodeError as exc:
        raise _EvalError(f"jsondecode(): invalid JSON: {exc}") from None


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
            raise _EvalError("format(): not enough arguments")
        value = values.pop(0)
        if isinstance(value, Unknown):
            return value
        kind = verb[-1]
        _charge_format_width(verb)
        if kind == "q":
            out.append(json.dumps(_str_arg(value)))
        elif kind in "dfeEtxXob":
            number = _to_number(value) if kind != "t" else _to_bool(value)
            out.append(
                ("%" + verb.replace("v", "s")) % number if kind != "t" else ("true" if number else "false")
            )
        else:
            converted = (
                _to_string(value) if not isinstance(value, list | dict) else json_dumps(_finalize(value))
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
    raise _EvalError(f"lookup(): the map has no key '{name}'")


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
    raise _EvalError("coalesce(): no non-null argument")


def _fn_length(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str | list | dict):
        return len(value)
    raise _EvalError(f"length() of a {_type_name(value)}")


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
        raise _EvalError("replace(): the search pattern is not a valid regular expression") from None


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
        raise _EvalError("element() of an empty list")
    return values[int(_to_number(index)) % len(values)]


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
    return _to_string(value)


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
        raise _EvalError("one() of a list with more than one element")
    return items[0] if items else None


def _fn_zipmap(keys: Any, values: Any) -> Any:
    names, items = _list_arg(keys), _list_arg(values)
    if len(names) != len(items):
        raise _EvalError("zipmap(): the lists differ in length")
    texts = _strings_or_unknown(names)
    if isinstance(texts, Unknown):
        return texts
    return PDict(zip(texts, items, strict=True))


def _fn_trim(text: Any, chars: Any) -> Any:
    return _str_arg(text).strip(_str_arg(chars))


def _fn_substr(text: Any, offset: Any, length: Any) -> Any:
    s = _str_arg(text)
    start, count = int(_to_number(offset)), int(_to_number(length))
    if start < 0:
        start += len(s)
    return s[start:] if count < 0 else s[start : start + count]


def _fn_range(*args: Any) -> Any:
    numbers = [int(_to_number(a)) for a in args]
    span = range(*numbers)
    current().value(len(span), "range()")
    return PList(span)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
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
    "slice": lambda items, a, b: PList(_list_arg(items)[int(_to_number(a)) : int(_to_number(b))]),
    "index": lambda items, value: _list_arg(items).index(value),
    "zipmap": _fn_zipmap,
    "one": _fn_one,
    "range": _fn_range,
    "tostring": _fn_tostring,
    "tonumber": lambda v: None if v is None else _to_number(v),
    "tobool": lambda v: None if v is None else _to_bool(v),
    "tolist": lambda v: PList(_list_arg(v)),
    "toset": _fn_toset,
    "tomap": lambda v: _map_arg(v),
    "abs": lambda v: abs(_to_number(v)),
    "ceil": lambda v: math.ceil(_to_number(v)),
    "floor": lambda v: math.floor(_to_number(v)),
    "max": lambda *v: max(_to_number(x) for x in v),
    "min": lambda *v: min(_to_number(x) for x in v),
}
_FILE_FUNCTIONS = frozenset({"file", "templatefile"})


# ---------------------------------------------------------------- entry point and cache

_CACHE: dict[tuple[Any, ...], tuple[tuple[Any, ...], _Module]] = {}


def _signature(directory: Path, var_files: tuple[Path, ...]) -> tuple[Any, ...]:
    entries: list[Any] = []
    try:
        paths = sorted(p for p in directory.iterdir() if p.name.endswith((".tf", ".tfvars", ".tfvars.json")))
    except OSError:
        paths = []
    for p in [*paths, *var_files]:
        try:
            stat = p.stat()
        except OSError:
            entries.append((str(p), None))
            continue
        entries.append((str(p), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _module_for(
    path: Path, display: str, var_files: tuple[Path, ...], roots: tuple[Path, ...] | None = None
) -> _Module:
    directory = path.parent
    resolved = directory.resolve()
    display_head = _sibling_display(display, "")
    key = (str(resolved), display_head, tuple(str(v.resolve()) for v in var_files), roots)
    signature = _signature(directory, var_files)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]

    def display_of(p: Path) -> str:
        try:
            if p.parent.resolve() == resolved:
                return f"{display_head}{p.name}"
        except OSError:
            pass
        return str(p).replace(os.sep, "/")

    module = _Module(directory, display_of, var_files, roots=roots)
    if len(_CACHE) >= MAX_CACHED_MODULES:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (signature, module)
    return module


def scan_file(
    path: Path, display: str, var_files: tuple[Path, ...] = (), roots: tuple[Path, ...] | None = None
) -> TerraformResult:
    """See :func:`auditor.sources.terraform.scan_terraform_file`."""
    try:
        import hcl2  # noqa: F401
    except ImportError:
        return TerraformResult(
            kind="unreadable",
            unreadable="python-hcl2 is not installed (pip install python-hcl2) to read Terraform",
        )
    if not path.is_file():
        return TerraformResult(kind="unreadable", unreadable="cannot read file: no such file or directory")
    module = _module_for(path, display, var_files, roots)
    resolved = path.resolve()
    file = next((f for f in [*module.files, *module.var_files] if f.path.resolve() == resolved), None)
    if file is None:  # a .tfvars that only -var-file would load: check its syntax
        file = _load_file(path, display)
    if file.unreadable is not None:
        return TerraformResult(kind="unreadable", unreadable=file.unreadable)
    problems = list(module.problems.get(id(file.src), file.problems))
    if file.tree is None:
        return TerraformResult(kind="invalid", problems=problems)
    found = module.results.get(id(file.src))
    detail = None
    if path.suffix != ".tf":
        detail = "Terraform variable values"
    elif module.is_child:
        detail = f"Terraform child module: its variables are set by the caller of '{module.display_dir}'"
    result = TerraformResult(kind="terraform", detail=detail, problems=problems)
    if path.suffix == ".tf" and not any(b.type in _TERRAFORM_BLOCKS for b in file.blocks):
        result.kind = "not-ours"
        result.detail = "HCL without Terraform blocks"
    if found is not None:
        result.automations = list(found.automations)
        result.logic_apps = list(found.logic_apps)
        result.connections = list(found.connections)
        result.role_assignments = list(found.role_assignments)
        result.policy_definitions = list(found.policy_definitions)
        result.policy_assignments = list(found.policy_assignments)
        result.expression_problems = list(found.expression_problems)
    result.coded_problems = [
        (p.code, TerraformProblem(p.message, p.origin.line, p.origin.column))
        for p in module.source_problems.get(id(file.src), ())
        if p.origin is not None
    ]
    return result


def clear_cache() -> None:
    """Forget parsed modules (tests that rewrite files within one mtime tick)."""
    _CACHE.clear()
