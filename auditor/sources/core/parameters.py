"""Parameters files (``x.parameters.json``): the values a template is deployed with, and what is wrong with them.

Shared by the sources whose templates take ARM parameters files (ARM JSON, Bicep).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.files import read_regular
from auditor.records import record
from auditor.sources.core import extract
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, LineIndex, PDict, decode, loads
from auditor.sources.core.reading import MAX_FILE_BYTES
from auditor.unknown import Unknown


@record()
class ParametersProblem:
    """Why a parameters file cannot be used (``code`` is a :data:`auditor.model.ProblemCode`)."""

    code: str
    message: str
    line: int = 0
    column: int = 0


def read_parameters(
    path: Path, roots: tuple[Path, ...] | None = None
) -> tuple[dict[str, Any] | None, ParametersProblem | None]:
    """A parameters file's values (``{name: value}``; a Key Vault reference becomes Unknown) and what is
    wrong with it. ``roots``: the file must lie inside them (see :func:`auditor.files.read_regular`).

    The values are None when the file cannot be read or parsed or is not a parameters document; entries of
    the wrong shape are left out (the template's defaults apply) and reported.
    """
    try:
        text = decode(read_regular(path, max_bytes=MAX_FILE_BYTES, roots=roots))
    except OSError as exc:
        return None, ParametersProblem("unreadable", f"cannot read parameters file: {exc.strerror or exc}")
    except DecodeError as exc:
        return None, ParametersProblem("unreadable", f"cannot decode parameters file: {exc.message}")
    try:
        doc = loads(text, src=None)
    except JsonSyntaxError as exc:
        return None, ParametersProblem("invalid-json", str(exc), exc.line, exc.column)
    index = LineIndex(text)

    def at(offset: int, message: str) -> ParametersProblem:
        line, column = index.position(offset) if 0 <= offset <= len(text) else (0, 0)
        return ParametersProblem("invalid-template-shape", message, line, column)

    if not isinstance(doc, dict):
        start = getattr(doc, "start", 0)
        return None, at(start, f"a parameters file must be a JSON object, not {extract.json_kind(doc)}")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        offset = doc.key_pos.get("parameters", doc.start) if isinstance(doc, PDict) else 0
        what = (
            "has no 'parameters' object" if params is None else f"'parameters' is {extract.json_kind(params)}"
        )
        return None, at(offset, f"not a parameters file: {what}, so none of its values were used")
    out: dict[str, Any] = {}
    problem: ParametersProblem | None = None
    for name, spec in params.items():
        if isinstance(spec, dict) and "value" in spec:
            out[name] = spec["value"]
        elif isinstance(spec, dict) and "reference" in spec:
            out[name] = Unknown(f"parameter '{name}' is a Key Vault secret reference")
        elif problem is None:
            offset = params.key_pos.get(name, params.start) if isinstance(params, PDict) else 0
            shown = name if len(name) <= 80 else name[:80] + "…"
            what = (
                "has neither 'value' nor 'reference'"
                if isinstance(spec, dict)
                else f"is {extract.json_kind(spec)}, not an object with 'value' or 'reference'"
            )
            problem = at(offset, f"parameter '{shown}' {what}: not used (the template's default applies)")
    return out, problem
