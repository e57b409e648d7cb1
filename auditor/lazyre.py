"""Regular expressions compiled on first use: :func:`compile`.

Compiling a pattern costs 0.05-1 ms (a large Unicode class ~1 ms); a module that compiles its patterns
at import makes every run pay for them, also the one-file scan that never uses most (issue 14,
benchmarks/startup.py). ``lazyre.compile(p, flags)`` returns a stand-in that compiles ``p`` the first
time one of its attributes is read and from then on holds the compiled pattern's bound methods and
attributes as its own, so a later ``PATTERN.match(...)`` costs what it costs on a compiled pattern.
"""

from __future__ import annotations

import re
from typing import Any, cast

# What callers may read from a pattern: copied onto the stand-in when it compiles.
_ATTRIBUTES = (
    "match",
    "fullmatch",
    "search",
    "sub",
    "subn",
    "split",
    "findall",
    "finditer",
    "scanner",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class _Pattern:
    """A pattern not compiled yet; it compiles when an attribute of the pattern is first read."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:  # only called for what is not set yet
        compiled = re.compile(self._source, self._flags)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self._source!r}, {self._flags!r})"


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled when first used (see the module)."""
    return cast("re.Pattern[str]", _Pattern(pattern, flags))
