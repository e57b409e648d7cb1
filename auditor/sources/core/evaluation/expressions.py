"""Parse and statically evaluate ARM template expressions (``"[concat('a', parameters('p'))]"``).

Defender workflow automations are usually deployed from ARM templates, and the
values the checks care about (the Logic App an automation calls, the trigger a
``listCallbackUrl()`` names, a connection's API id) are written as template
expressions. This module turns such a string into a Python value without
deploying anything:

* :func:`parse` builds a small AST. It is cached because a corpus repeats the
  same expressions (``[resourceGroup().location]``, ``[parameters('x')]``)
  thousands of times.
* :func:`evaluate` walks that AST against an :class:`EvalContext` (the template
  layer: parameters, variables, copy loops, deployment scope). Function calls
  dispatch through the name → implementation table in
  :mod:`auditor.sources.core.evaluation.functions`.

What only Azure knows (``reference()``, ``listKeys()``, ``utcNow()``, a
parameter without a value) evaluates to an :class:`~auditor.unknown.Unknown`
carrying the reason, so checks stay silent instead of guessing. Semantic
mistakes (an unknown property, a bad index, division by zero) also become an
``Unknown`` with a reason: ARM would fail the deployment there, and a linter
must report, never crash. Only a syntax error raises (:class:`ExpressionError`),
because that is something the template author has to fix and SRC004 reports.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from typing import Any, Protocol

from auditor.budget import Budget, BudgetExceeded, current, reraise_bugs
from auditor.records import record
from auditor.sources.core.evaluation.functions import (
    DEEP,
    LAZY,
    SHALLOW,
    FunctionSpec,
    lookup_function,
)
from auditor.sources.core.evaluation.values import (
    EvalError,
    derived_unknown,
    find_unknown,
    get_index,
    get_property,
)
from auditor.unknown import Unknown

__all__ = [
    "MAX_DEPTH",
    "Call",
    "EvalContext",
    "Evaluator",
    "ExpressionError",
    "Index",
    "Literal",
    "Node",
    "Property",
    "evaluate",
    "is_expression",
    "parse",
    "unescape",
]

#: Deepest nesting of calls, property accesses and indexes the parser accepts.
#: Evaluation recurses once or twice per level; 256 keeps well inside Python's
#: default recursion limit (1000) even when the caller is itself deep in the
#: stack, and is far beyond anything in real templates (ARM caps an expression
#: at 24,576 characters).
MAX_DEPTH = 256


class ExpressionError(ValueError):
    """Syntax error in an ARM expression.

    Attributes: ``message`` (what is wrong, in words), ``expression`` (the full
    text) and ``position`` (0-based index into ``expression`` where the problem
    was found), so SRC004 can point at the character.
    """

    def __init__(self, message: str, expression: str, position: int) -> None:
        super().__init__(f"{message} (at character {position} of {expression!r})")
        self.message = message
        self.expression = expression
        self.position = position

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce would call __init__ with the formatted text only.
        return (type(self), (self.message, self.expression, self.position))


def is_expression(s: str) -> bool:
    """ARM rule: a JSON string is an expression when it starts with '[' and ends with ']' and does not
    start with '[['.

    Non-strings are simply not expressions (the template layer may pass any JSON value).
    """
    return isinstance(s, str) and len(s) >= 2 and s[0] == "[" and s[-1] == "]" and s[1] != "["


def unescape(s: str) -> str:
    """Return the literal a ``[[``-escaped template string stands for.

    ARM only treats ``[[`` as an escape on a string that also ends with ``]``
    (one that would otherwise be an expression): ``"[[test value]"`` is the
    literal ``"[test value]"``. A string that does not end with ``]`` is never
    an expression, so ARM keeps it verbatim (``"[[abc"`` stays ``"[[abc"``).
    Other strings are returned unchanged.
    """
    if isinstance(s, str) and s.startswith("[[") and s.endswith("]"):
        return s[1:]
    return s


class EvalContext(Protocol):
    """What the evaluator needs from the template layer.

    Names are passed as written in the expression; the implementer decides
    case-sensitivity (ARM parameter and variable names are case-insensitive).
    """

    def parameter(self, name: str) -> Any:
        """Value (or Unknown) of a declared parameter; KeyError when not declared."""
        ...

    def variable(self, name: str) -> Any:
        """Value (or Unknown) of a declared variable; KeyError when not declared."""
        ...

    def copy_index(self, loop: str | None) -> Any:
        """Current index (int) of the named (None: innermost) copy loop, or Unknown; KeyError if none."""
        ...

    def deployment_function(self, name: str, args: list[Any]) -> Any:
        """Object returned by subscription()/resourceGroup()/deployment()/tenant()/environment()/
        managementGroup() (``name`` lower-case), with placeholder values, or Unknown."""
        ...

    def resource_scope(self) -> dict[str, Any]:
        """``{'subscriptionId': ..., 'resourceGroup': ...}`` defaults for resourceId() and friends."""
        ...


# --------------------------------------------------------------------------- AST


class Node:
    """Base class of the expression AST (``Literal``, ``Call``, ``Property``, ``Index``)."""

    __slots__ = ()


@record(slots=True)
class Literal(Node):
    """A string or integer literal."""

    value: str | int


@record(slots=True)
class Call(Node):
    """``name(args...)``; ``key`` is the lower-cased name used for dispatch (ARM names are case-insensitive)."""

    name: str
    key: str
    args: tuple[Node, ...]


@record(slots=True)
class Property(Node):
    """``target.name``."""

    target: Node
    name: str


@record(slots=True)
class Index(Node):
    """``target[index]``."""

    target: Node
    index: Node


# --------------------------------------------------------------------------- parser

# One token per match. The string pattern is the "unrolled loop" form so an
# unterminated string fails in linear time (no catastrophic backtracking).
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<str>'[^']*(?:''[^']*)*')
    | (?P<int>-?[0-9]+)
    | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<punct>[().,\[\]])
    """,
    re.VERBOSE,
)

_END = "end"


class _Parser:
    """Recursive descent over a token list, one Python frame per nesting level."""

    __slots__ = ("i", "kinds", "positions", "text", "values")

    def __init__(self, text: str) -> None:
        self.text = text
        kinds: list[str] = []
        values: list[str] = []
        positions: list[int] = []
        pos, end = 1, len(text) - 1
        while pos < end:
            m = _TOKEN.match(text, pos, end)
            if m is None:
                ch = text[pos]
                if ch == "'":
                    raise ExpressionError("unterminated string literal (missing closing quote)", text, pos)
                raise ExpressionError(f"unexpected character {ch!r}", text, pos)
            kind = m.lastgroup or "ws"
            if kind != "ws":
                kinds.append(kind)
                values.append(m.group())
                positions.append(pos)
            pos = m.end()
        kinds.append(_END)
        values.append("")
        positions.append(end)
        self.kinds, self.values, self.positions = kinds, values, positions
        self.i = 0

    def error(self, message: str, index: int | None = None) -> ExpressionError:
        """An ExpressionError at the current (or given) token."""
        return ExpressionError(message, self.text, self.positions[self.i if index is None else index])

    def describe(self, index: int) -> str:
        """How a token is named in messages."""
        return "the end of the expression" if self.kinds[index] == _END else repr(self.values[index])

    def at_punct(self, ch: str) -> bool:
        """True when the current token is the punctuation ``ch``."""
        return self.kinds[self.i] == "punct" and self.values[self.i] == ch

    def expect_punct(self, ch: str, context: str) -> None:
        """Consume ``ch`` or fail with a message saying what it would have closed."""
        if not self.at_punct(ch):
            raise self.error(f"expected '{ch}' {context}, found {self.describe(self.i)}")
        self.i += 1

    def parse(self) -> Node:
        if self.kinds[0] == _END:
            raise self.error("empty expression '[]'")
        node = self.expression(0)
        if self.kinds[self.i] != _END:
            raise self.error(f"unexpected {self.describe(self.i)} after the end of the expression")
        return node

    def expression(self, depth: int) -> Node:
        """One expression: a literal or call, then any chain of ``.name`` and ``[index]``."""
        if depth > MAX_DEPTH:
            raise self.error(f"the expression nests more than {MAX_DEPTH} levels deep")
        i = self.i
        kind, value = self.kinds[i], self.values[i]
        node: Node
        if kind == "str":
            self.i += 1
            node = Literal(value[1:-1].replace("''", "'"))
        elif kind == "int":
            self.i += 1
            node = Literal(int(value))
        elif kind == "id":
            node = self.call(depth)
        else:
            raise self.error(f"expected a function call, a string or a number, found {self.describe(i)}")
        # Postfix chain: .name and [index]. Each link is one more level of evaluation recursion.
        while self.kinds[self.i] == "punct":
            ch = self.values[self.i]
            if ch == ".":
                self.i += 1
                if self.kinds[self.i] != "id":
                    raise self.error(f"expected a property name after '.', found {self.describe(self.i)}")
                node = Property(node, self.values[self.i])
                self.i += 1
            elif ch == "[":
                self.i += 1
                index = self.expression(depth + 1)
                self.expect_punct("]", "to close the index")
                node = Index(node, index)
            else:
                break
            depth += 1
            if depth > MAX_DEPTH:
                raise self.error(f"the expression nests more than {MAX_DEPTH} levels deep")
        return node

    def call(self, depth: int) -> Call:
        """``name(args...)``, where ``name`` may be namespaced (user-defined functions)."""
        name = self.values[self.i]
        self.i += 1
        # User-defined functions are namespaced: contoso.uniqueName(...). A bare
        # identifier is never a value, so "id.id" before '(' is the function name.
        while self.at_punct(".") and self.kinds[self.i + 1] == "id":
            name = f"{name}.{self.values[self.i + 1]}"
            self.i += 2
        if not self.at_punct("("):
            hint = f"; ARM writes it as {name}()" if name.lower() in ("true", "false", "null") else ""
            raise self.error(
                f"expected '(' after the function name '{name}', found {self.describe(self.i)}{hint}"
            )
        self.i += 1
        args: list[Node] = []
        if self.at_punct(")"):
            self.i += 1
        else:
            while True:
                args.append(self.expression(depth + 1))
                if self.at_punct(","):
                    self.i += 1
                    continue
                if self.at_punct(")"):
                    self.i += 1
                    break
                raise self.error(
                    f"expected ',' or ')' in the arguments of {name}(), found {self.describe(self.i)}"
                )
        return Call(name, name.lower(), tuple(args))


@functools.lru_cache(maxsize=32768)
def parse(text: str) -> Node:
    """Parse an expression string (with its outer brackets) into an AST; raise ExpressionError.

    Cached: a template corpus repeats the same expressions many times, and the
    AST is immutable, so every occurrence after the first is a dict lookup.
    """
    if not isinstance(text, str) or len(text) < 2 or text[0] != "[" or text[-1] != "]":
        raise ExpressionError("an expression must start with '[' and end with ']'", str(text), 0)
    if text[1] == "[":
        raise ExpressionError(
            "a string starting with '[[' is an escaped literal, not an expression (see unescape())", text, 1
        )
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise ExpressionError("the expression nests too deeply to parse", text, 0) from None


# --------------------------------------------------------------------------- evaluator


class Evaluator:
    """Walks one expression's AST. Holds the context, the source text (for
    Unknown.expression), the lambda-variable scope of ``lambda()`` bodies and the
    file's :class:`~auditor.budget.Budget`, which every call and every value built spends."""

    __slots__ = ("budget", "ctx", "scope", "text")

    def __init__(self, ctx: EvalContext, text: str, budget: Budget | None = None) -> None:
        self.ctx = ctx
        self.text = text
        self.scope: dict[str, Any] | None = None
        self.budget = budget if budget is not None else current()

    def eval(self, node: Node) -> Any:
        """Value of ``node``; raises EvalError for a semantic error (caught by :func:`evaluate`)."""
        if type(node) is Call:
            return self.call(node)
        if type(node) is Literal:
            return node.value
        if type(node) is Property:
            return get_property(self.eval(node.target), node.name)
        if type(node) is Index:
            return get_index(self.eval(node.target), self.eval(node.index))
        raise EvalError(f"auditor cannot evaluate a {type(node).__name__} node")

    def call(self, node: Call) -> Any:
        """Dispatch through the function table, applying the spec's arity and Unknown policy."""
        self.budget.step()
        spec: FunctionSpec = lookup_function(node.key, node.name)
        nargs = len(node.args)
        if nargs < spec.min_args or (spec.max_args is not None and nargs > spec.max_args):
            raise EvalError(_arity_message(spec, nargs))
        if spec.mode == LAZY:
            return spec.impl(self, node.args)
        args: list[Any] = []
        for arg in node.args:
            args.append(self.eval(arg))
        if spec.mode == DEEP:
            for value in args:
                unknown = find_unknown(value, self.budget)
                if unknown is not None:
                    return derived_unknown(unknown)
        elif spec.mode == SHALLOW:
            for value in args:
                if isinstance(value, Unknown):
                    return derived_unknown(value)
        return spec.impl(self, args)


def _arity_message(spec: FunctionSpec, got: int) -> str:
    """'f() takes exactly 2 arguments, got 3' and similar."""
    low, high = spec.min_args, spec.max_args
    if high == low:
        want = f"exactly {low}"
    elif high is None:
        want = f"at least {low}"
    elif low == 0:
        want = f"at most {high}"
    else:
        want = f"{low} to {high}"
    plural = "" if (high == low == 1) or (high is None and low == 1) else "s"
    return f"{spec.name}() takes {want} argument{plural}, got {got}"


#: What a caller passes to hear about an exceeded budget: ``(exceeded, expression)``.
LimitHandler = Callable[[BudgetExceeded, str], None]


def evaluate(
    text: str, ctx: EvalContext, budget: Budget | None = None, on_limit: LimitHandler | None = None
) -> Any:
    """Evaluate the expression string ``text`` (including its outer brackets).

    Returns a Python value (str, int, float, bool, None, list, dict) or an
    Unknown whose ``expression`` is ``text``. Never raises for semantic
    problems (they become ``Unknown(reason, text)``); raises ExpressionError
    only when ``text`` itself does not parse.

    ``budget`` is the file's (the current one when omitted). When evaluating
    would exceed it (or Python's own stack or memory), the value is unknown
    and ``on_limit`` is told, so the caller can report SRC005 where it knows
    the file and line.
    """
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string", repr(text), 0)
    node = parse(text)
    evaluator = Evaluator(ctx, text, budget)
    try:
        value = evaluator.eval(node)
    except EvalError as exc:
        return Unknown(exc.reason, text)
    except ExpressionError as exc:
        # Raised by the context while resolving a variable/parameter whose own
        # expression is broken: that text is reported on its own by SRC004;
        # here it only makes this value unknown.
        return Unknown(f"a value this expression uses does not parse: {exc.message}", text)
    except BudgetExceeded as exc:
        return _over_limit(exc, text, on_limit)
    except RecursionError:
        exceeded = BudgetExceeded(
            "walk depth", "the expression and the values it uses nest too deeply for auditor to evaluate"
        )
        return _over_limit(exceeded, text, on_limit)
    except MemoryError:
        return _over_limit(BudgetExceeded("memory", "evaluating it ran out of memory"), text, on_limit)
    except Exception as exc:  # last-resort guard: a linter reports, it must not crash on odd input
        if reraise_bugs():
            raise
        return Unknown(f"auditor could not evaluate this expression ({type(exc).__name__}: {exc})", text)
    if isinstance(value, Unknown) and value.expression != text:
        value = dataclasses.replace(value, expression=text)
    return value


def _over_limit(exc: BudgetExceeded, text: str, on_limit: LimitHandler | None) -> Unknown:
    """The Unknown an exceeded budget leaves, after telling the caller (who reports it)."""
    if on_limit is not None:
        on_limit(exc, text)
    return Unknown(exc.reason, text)
