"""Reading one JSON input file once: bytes → text → positioned document, or the reason it cannot be.

Every source that reads JSON (ARM templates, policies, exported resources,
Terraform plans) gets the document from here, so a file is read and parsed
once whichever source then claims it, and what is wrong with it becomes a
problem with file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.files import display_path, read_regular
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, decode, loads

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class ParsedJson:
    """A JSON file read and parsed: its path, how it is shown, its text and its document."""

    path: Path
    display: str
    src: SourceFile
    doc: Any

    def root(self) -> Cursor:
        """A cursor on the whole document."""
        return Cursor(self.doc, "", getattr(self.doc, "start", 0), Context(self.src))


def read_json(path: Path, builder: InventoryBuilder, roots: tuple[Path, ...] | None) -> ParsedJson | None:
    """``path`` parsed, or None after recording why not (unreadable, not decodable, invalid JSON).

    ``roots``: the file must lie inside them (see :func:`auditor.files.read_regular`).
    """
    display = display_path(path)
    try:
        data = read_regular(path, max_bytes=MAX_FILE_BYTES, roots=roots)
    except OSError as exc:
        builder.unreadable(display, exc.strerror or str(exc))
        return None
    try:
        text = decode(data)
    except DecodeError as exc:
        builder.unreadable(display, exc.message, what="cannot decode file")
        return None
    src = SourceFile(display, text)
    try:
        doc = loads(text, src=src)
    except JsonSyntaxError as exc:
        builder.problem("invalid-json", str(exc), display, exc.line, exc.column)
        builder.file(display, "invalid", str(exc))
        return None
    return ParsedJson(path, display, src, doc)
