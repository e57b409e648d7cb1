"""Untrusted text made safe for each output sink.

Resource names, file names, expression text and Azure answers come from whoever
wrote the pull request (or the subscription). Printed raw, a name carrying
``\\n::error file=…::`` becomes a GitHub workflow command, ``##vso[task.setvariable
…]`` an Azure Pipelines one, an ANSI escape repaints the terminal, a bidi override
reorders what a reviewer reads, and a lone surrogate (``"\\ud800"`` is valid JSON)
kills the process at the first ``.encode()``.

Each sink has one function here; renderers call it on every untrusted string
they write (never on the text auditor itself composes around it):

* :func:`terminal`: text output, stderr warnings and CLI errors. Control and
  invisible formatting characters are shown as escapes (``\\n``, ``\\x1b``,
  ``\\u202e``), so untrusted text can never start a new line, and the CI command
  markers it could still carry on the current line (``::`` at its start,
  ``##vso[`` / ``##[`` anywhere) are broken with a visible escape.
* :func:`printable`: the minimum every sink needs: lone surrogates (and other
  unencodable code points) escaped, so the text encodes as UTF-8 anywhere.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["printable", "terminal"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Categories never shown raw on a terminal: controls (C0, C1, DEL), format characters (bidi
# overrides, zero-width joiners, BOM), line/paragraph separators, surrogates, unassigned code points.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_CI_MARKER = re.compile(r"##(?=vso\[|\[)", re.IGNORECASE)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with lone surrogates escaped (``\\ud800``), so it encodes as UTF-8 in every sink."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: _escape(m.group()), text)


def terminal(text: str) -> str:
    """``text`` safe to print on a terminal or into a CI log, on one line."""
    if text.isascii() and text.isprintable() and "##" not in text and not text.lstrip().startswith("::"):
        return text  # the common case, without a per-character walk
    out = "".join(
        _escape(c) if (not c.isprintable() and c != " ") or unicodedata.category(c) in _UNSAFE_CATEGORIES else c
        for c in text
    )
    out = _CI_MARKER.sub("#\\\\x23", out)
    stripped = out.lstrip()
    if stripped.startswith("::"):
        out = out[: len(out) - len(stripped)] + "\\x3a" + stripped[1:]
    return out
