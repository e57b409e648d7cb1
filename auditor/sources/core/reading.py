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
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, decode, loads

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
        reason = not_azure_reason(display, text)
        if reason is not None:
            builder.file(display, "not-ours", reason)
            return None
        builder.problem("invalid-json", str(exc), display, exc.line, exc.column)
        builder.file(display, "invalid", str(exc))
        return None
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
