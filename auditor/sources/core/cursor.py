"""Walking an evaluated JSON tree while keeping track of where each value was written.

Evaluation produces new containers that keep the position tables of the
source they were evaluated from (see :mod:`auditor.sources.core.evaluation.template`). A
value that came out of an expression (a parameter object, a ``union()``)
carries no positions of this file, so a :class:`Cursor` falls back to the
position of the nearest ancestor that has one: the expression itself. Paths
are symbolic (``resources[3].properties.definition.triggers.manual``) and are
what fingerprints and suppressions use; lines are for humans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import field
from typing import Any

from auditor.model import Origin, Problem, ProblemCode
from auditor.records import record
from auditor.sources.core.jsonpos import LineIndex, PDict, PList

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@record(frozen=False, eq=False)
class SourceFile:
    """A file's text and identity; positions in PDict/PList refer to it via ``src``.

    ``problems`` collects what reading the file's values found wrong (a ``name`` that is a
    number, nesting beyond the walk-depth limit): the extractors that find them are pure
    functions returning model elements, so they leave the problem here, at the value's
    origin, and the source that drives them moves it to the inventory
    (:meth:`take_problems`).
    """

    path: str
    text: str
    _index: LineIndex | None = field(default=None, repr=False)
    problems: list[Problem] = field(default_factory=list, repr=False)
    #: For a translated file (Bicep): where each expression string it produced was written, so a
    #: problem about an expression points at the source text rather than at the resource around it.
    written_at: dict[str, int] = field(default_factory=dict, repr=False)

    def take_problems(self) -> list[Problem]:
        """The problems recorded so far, removed from the file (each is reported once)."""
        taken, self.problems = self.problems, []
        return taken

    @property
    def index(self) -> LineIndex:
        """Built on first use: most files never need a line number."""
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index


def in_own_file(cur: Cursor, deployment: str | None) -> Cursor:
    """``cur`` (a nested or policy-embedded template) seen in the file it was read from, under
    ``deployment``: a template read from another file (a Bicep module, a ``loadJsonContent()``) has its
    values found on that file's lines, at the paths they have in that file (so a finding is the same
    one whether the file is reached from elsewhere or scanned on its own)."""
    value = cur.value
    src = getattr(value, "src", None)
    if isinstance(value, PDict) and isinstance(src, SourceFile) and src is not cur.ctx.src:
        return Cursor(value, "", max(value.start, 0), Context(src, deployment=deployment))
    return cur.with_context(Context(cur.ctx.src, deployment=deployment))


LIVE_SOURCE = SourceFile("", "")
"""The "file" of resources read live from Azure: their origins have ``file=None`` and no line."""


def child_path(path: str, key: str | int) -> str:
    """Append a key or index to a symbolic JSON path."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}" if path else key
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{quoted}']"


@record()
class Context:
    """What every origin made under one resource shares."""

    src: SourceFile
    resource: str | None = None
    deployment: str | None = None


@record()
class Cursor:
    """A value in an evaluated tree, with its symbolic path and best-known offset."""

    value: Any
    path: str
    offset: int
    ctx: Context

    def _offset_of(self, key: str) -> int:
        value = self.value
        if isinstance(value, PDict) and value.src is self.ctx.src:
            pos = value.key_pos.get(key)
            if pos is not None:
                return pos
        return self.offset

    def get(self, key: str) -> Cursor | None:
        """The child at ``key`` (exact, then case-insensitive as ARM matches property names)."""
        value = self.value
        if not isinstance(value, dict):
            return None
        if key not in value:
            lowered = key.lower()
            for candidate in value:
                if isinstance(candidate, str) and candidate.lower() == lowered:
                    key = candidate
                    break
            else:
                return None
        return Cursor(value[key], child_path(self.path, key), self._offset_of(key), self.ctx)

    def at(self, *keys: str) -> Cursor | None:
        """Follow several keys; None as soon as one is missing."""
        cur: Cursor | None = self
        for key in keys:
            if cur is None:
                return None
            cur = cur.get(key)
        return cur

    def value_at(self, *keys: str, default: Any = None) -> Any:
        """The value under ``keys``, or ``default``."""
        cur = self.at(*keys)
        return default if cur is None else cur.value

    def child(self, key: str | int) -> Cursor | None:
        """The child at exactly ``key`` (an object key or an array index), None when absent."""
        value = self.value
        if isinstance(key, int):
            if not isinstance(value, list) or not 0 <= key < len(value):
                return None
            positions = value.item_pos if isinstance(value, PList) and value.src is self.ctx.src else None
            offset = positions[key] if positions is not None and key < len(positions) else self.offset
            return Cursor(value[key], child_path(self.path, key), offset, self.ctx)
        if not isinstance(value, dict) or key not in value:
            return None
        return Cursor(value[key], child_path(self.path, key), self._offset_of(key), self.ctx)

    def items(self) -> Iterator[tuple[str, Cursor]]:
        """Children of an object (nothing for other values)."""
        value = self.value
        if isinstance(value, dict):
            for key in value:
                yield key, Cursor(value[key], child_path(self.path, key), self._offset_of(key), self.ctx)

    def elements(self) -> Iterator[Cursor]:
        """Children of an array (nothing for other values)."""
        value = self.value
        if not isinstance(value, list):
            return
        positions = value.item_pos if isinstance(value, PList) and value.src is self.ctx.src else None
        for i, item in enumerate(value):
            offset = positions[i] if positions is not None and i < len(positions) else self.offset
            yield Cursor(item, child_path(self.path, i), offset, self.ctx)

    def origin(self) -> Origin:
        """A model Origin for this value."""
        line, column = self.ctx.src.index.position(self.offset) if self.offset >= 0 else (0, 0)
        return Origin(
            file=self.ctx.src.path or None,  # live resources have no file (LIVE_SOURCE)
            line=line,
            column=column,
            json_path=self.path,
            resource=self.ctx.resource,
            deployment=self.ctx.deployment,
        )

    def report(self, code: ProblemCode, message: str) -> None:
        """Record a problem of this file at this value (see :attr:`SourceFile.problems`)."""
        self.ctx.src.problems.append(Problem(code=code, message=message, origin=self.origin()))

    def with_context(self, ctx: Context) -> Cursor:
        """The same value seen under another resource context."""
        return Cursor(self.value, self.path, self.offset, ctx)
