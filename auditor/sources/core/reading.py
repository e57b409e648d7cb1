"""Reading one JSON input file once: bytes → text → positioned document, or the reason it cannot be.

Every source that reads JSON (ARM templates, policies, exported resources,
Terraform plans) gets the document from here, so a file is read and parsed
once whichever source then claims it, and what is wrong with it becomes a
problem with file, line and column.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from auditor import lazyre
from auditor.files import display_path, read_regular
from auditor.records import record
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, clone, decode, loads

MAX_FILE_BYTES = 50 * 1024 * 1024

# What an Azure document auditor reads (ARM template or parameters file, policy, exported resource or
# REST body, Logic App code view, role definition, Terraform plan) has in its text even when it does not
# parse. Deliberately broad: a broken template must never pass silently, so any one of these is enough
# for a file that fails to parse to be SRC002. Key names are matched as written (ARM's own spelling;
# a CloudFormation template's "Resources"/"Properties" are capitalised), URLs and type names in any case.
_AZURE_KEYS = lazyre.compile(
    r'"(?:resources|contentVersion|parameters|properties|definition|triggers|\$connections|policyRule'
    r'|assignableScopes|AssignableScopes|terraform_version|planned_values|resource_changes)"\s*:'
)
_AZURE_TEXT = lazyre.compile(
    r'schema\.management\.azure\.com|"type"\s*:\s*"microsoft\.|/providers/microsoft\.', re.IGNORECASE
)
# JSON with comments and trailing commas (JSONC) read by editors and tools, never by Azure.
_JSONC_FOLDERS = frozenset({".vscode", ".devcontainer"})
_JSONC_NAME = lazyre.compile(
    r"(?:tsconfig.*|jsconfig.*|\.?devcontainer|\.eslintrc|\.babelrc)\.json", re.IGNORECASE
)


@record(frozen=False)
class ParsedJson:
    """A JSON file read and parsed: its path, how it is shown, its text and its document."""

    path: Path
    display: str
    src: SourceFile
    doc: Any

    def root(self) -> Cursor:
        """A cursor on the whole document."""
        return Cursor(self.doc, "", getattr(self.doc, "start", 0), Context(self.src))


class SharedParses:
    """Files with the very same bytes share one parse (issue 14: a repository that vendors a template
    in several folders, ten copies of the corpus): the first is parsed, the others get a copy of its
    tree (:func:`~auditor.sources.core.jsonpos.clone`, ~30 % of a parse) pointing at their own file.

    Only files whose size another file of the scan has are kept (``sizes``: how many files of the scan
    have each size, as the dispatcher counted them); a kept parse is dropped once every file of its size
    has been read, and nothing more is kept beyond :data:`MAX_KEPT_CHARS` characters of text, so the
    memory of a scan still follows its largest files, not the repository. What a file's verdict depends
    on does not change: the copy is equal to the file's own parse, positions and all."""

    MAX_KEPT_CHARS = 4 * 1024 * 1024  # a parse tree is ~5x its text in memory

    def __init__(self, sizes: dict[int, int]) -> None:
        self._left = {size: n for size, n in sizes.items() if n > 1}
        self._kept: dict[bytes, tuple[str, Any]] = {}
        self._kept_by_size: dict[int, list[bytes]] = {}
        self._chars = 0

    def lookup(self, data: bytes, src: SourceFile) -> Any | None:
        """A copy of the tree parsed for ``data`` earlier, with ``src`` as its file (its text is the
        kept one), or None."""
        hit = self._kept.get(data) if len(data) in self._left else None
        if hit is None:
            return None
        src.text = hit[0]
        return clone(hit[1], src)

    def read(self, data: bytes) -> None:
        """``data`` was read (parsed or copied): one file fewer of its size to come."""
        size = len(data)
        left = self._left.get(size)
        if left is None:
            return
        if left <= 1:
            del self._left[size]
            for key in self._kept_by_size.pop(size, []):
                self._chars -= len(self._kept.pop(key)[0])
        else:
            self._left[size] = left - 1

    def keep(self, data: bytes, text: str, doc: Any) -> None:
        """Keep a parse for the files of the same size still to come (within the budget)."""
        size = len(data)
        if size in self._left and data not in self._kept and self._chars + len(text) <= self.MAX_KEPT_CHARS:
            self._kept[data] = (text, doc)
            self._kept_by_size.setdefault(size, []).append(data)
            self._chars += len(text)


def read_json(
    path: Path,
    builder: InventoryBuilder,
    roots: tuple[Path, ...] | None,
    shared: SharedParses | None = None,
) -> ParsedJson | None:
    """``path`` parsed, or None after recording why not (unreadable, not decodable, invalid JSON).

    ``roots``: the file must lie inside them (see :func:`auditor.files.read_regular`). ``shared``: the
    parses of files with the same bytes, to copy instead of parsing again.
    """
    display = display_path(path)
    try:
        data = read_regular(path, max_bytes=MAX_FILE_BYTES, roots=roots)
    except OSError as exc:
        builder.unreadable(display, exc.strerror or str(exc))
        return None
    if shared is not None:
        src = SourceFile(display, "")  # its text: the kept one, when there is a parse to copy
        copied = shared.lookup(data, src)
        shared.read(data)
        if copied is not None:
            return ParsedJson(path, display, src, copied)
    try:
        text = decode(data)
    except DecodeError as exc:
        builder.unreadable(display, exc.message, what="cannot decode file")
        return None
    src = SourceFile(display, text)
    try:
        doc = loads(text, src=src)
    except JsonSyntaxError as exc:
        reason = not_azure_reason(display, text)
        if reason is not None:
            builder.file(display, "not-ours", reason)
            return None
        builder.problem("invalid-json", str(exc), display, exc.line, exc.column)
        builder.file(display, "invalid", str(exc))
        return None
    if shared is not None:
        shared.keep(data, text, doc)
    return ParsedJson(path, display, src, doc)


def not_azure_reason(display: str, text: str) -> str | None:
    """Why a ``.json`` file that does not parse is not ours (None: it is SRC002, invalid JSON).

    Only documents auditor would read can be broken templates; a Hugo/Go template named ``.json``,
    an editor's JSONC settings or a CloudFormation template are other tools' files, and "Azure rejects
    this" would be false. The rule errs on the side of reporting: a file in a JSONC location
    (``.vscode/``, ``.devcontainer/``, ``tsconfig*.json``, ``devcontainer.json``, …) is not ours, else
    any trace of an Azure document in its text (see ``_AZURE_KEYS``/``_AZURE_TEXT``) keeps it SRC002,
    and so does an empty file (a template truncated to nothing must not pass). The file is still listed,
    as not ours with the reason, in ``--format json``.
    """
    where = PurePosixPath(display.replace("\\", "/"))
    if _JSONC_FOLDERS.intersection(where.parts[:-1]) or _JSONC_NAME.fullmatch(where.name):
        return "not valid JSON and not an Azure document (JSON with comments read by an editor or tool)"
    if not text.strip() or _AZURE_KEYS.search(text) or _AZURE_TEXT.search(text):
        return None
    return "not valid JSON and not an Azure document"
