"""HCL syntax: python-hcl2's Lark parser under the module's clock, tree helpers, and syntax-error messages.

Offsets come from Lark's tokens, so every value the evaluator builds can point at its place in the file.
"""

from __future__ import annotations

import functools
import gc
from typing import Any

from auditor.budget import Budget

#: Tokens Lark reads between two looks at the module's clock.
_CLOCK_TOKENS = 2048


# ---------------------------------------------------------------- parsing


def hcl2_module() -> Any:
    import hcl2

    return hcl2


def parse_hcl(text: str, budget: Budget | None = None) -> Any:
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
def parse_expression(expr: str) -> Any:
    """An expression's tree, parsed as ``x = (<expr>)`` (offsets are shifted by 5)."""
    tree = parse_hcl(f"x = ({expr})")
    body = tree.children[0]
    attr = next(c for c in body.children if is_tree(c, "attribute"))
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


def is_tree(node: Any, data: str | None = None) -> bool:
    return isinstance(node, _Tree) and (data is None or node.data == data)


def subtrees(node: Any) -> list[Any]:
    """Child trees that carry meaning (no tokens, no newlines or comments)."""
    return [c for c in node.children if isinstance(c, _Tree) and c.data != "new_line_or_comment"]


def node_tokens(node: Any) -> list[Any]:
    return [c for c in node.children if isinstance(c, _Token)]


def node_start(node: Any) -> int:
    if isinstance(node, _Token):
        return node.start_pos or 0
    meta = node.meta
    return 0 if meta.empty else meta.start_pos


def node_end(node: Any) -> int:
    if isinstance(node, _Token):
        return node.end_pos or 0
    meta = node.meta
    return 0 if meta.empty else meta.end_pos


def node_name(node: Any) -> str:
    """The text of an identifier, keyword, literal or literal string (block labels, attribute names)."""
    if is_tree(node, "string"):
        return "".join(
            str(node_tokens(p)[0]) for p in node.children if is_tree(p, "string_part") and node_tokens(p)
        )
    tokens = node_tokens(node)
    return str(tokens[0]) if tokens else ""


def syntax_message(exc: Exception) -> tuple[str, int, int]:
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
