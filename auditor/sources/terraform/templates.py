"""String templates and heredocs: interpolations substituted, JSON heredocs parsed at their place in the file.

Substituting ``${…}`` changes offsets; a segment map takes every offset in the produced text back to
the source, so a trigger inside a heredoc ``body`` gets its own line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from auditor.sources.core.jsonpos import JsonSyntaxError, PDict, PList, loads
from auditor.sources.terraform.syntax import node_tokens
from auditor.sources.terraform.values import HclError
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.sources.terraform.evaluator import Evaluator


_MARKER = re.compile("\ue000(\\d+)\ue001")
_HEREDOC_HEAD = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n")


def _heredoc_parts(ev: Evaluator, node: Any) -> tuple[str, int, bool]:
    token = node_tokens(node)[0]
    raw = str(token)
    head = _HEREDOC_HEAD.match(raw)
    if head is None:
        raise HclError("malformed heredoc")
    body_start = head.end()
    closing = raw.rstrip("\r\n").rfind("\n")  # the line of the closing marker
    body = raw[body_start : closing + 1] if closing >= body_start else ""
    return body, ev.offset_of(node) + body_start, head.group(1) == "-"


def heredoc_text(ev: Evaluator, node: Any, *, trim: bool) -> Any:
    body, offset, _trim = _heredoc_parts(ev, node)
    return render_template(ev, body, offset, trim=trim)


def render_template(ev: Evaluator, body: str, offset: int, *, trim: bool) -> Any:
    """A template's text with its interpolations evaluated (Unknown when one is)."""
    scanned = _scan_template(ev, body, offset, json_mode=False)
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


def heredoc_json(ev: Evaluator, node: Any, label: str) -> Any:
    try:
        body, offset, _trim = _heredoc_parts(ev, node)
        scanned = _scan_template(ev, body, offset, json_mode=True)
    except HclError as exc:
        return Unknown(str(exc), ev.source_text(node))
    if isinstance(scanned, Unknown):
        return scanned
    text, segments, markers = scanned
    src = ev.src
    try:
        doc = loads(text, src=src)
    except JsonSyntaxError as exc:
        where = map_offset(segments, exc.offset, offset)
        if src is not None:
            line, column = src.index.position(min(where, len(src.text)))
            message = f"{label} is not valid JSON: {exc.message} (line {line}, column {column})"
            ev.module.problem(src, where, message)
        return Unknown(f"{label} is not valid JSON ({exc.message})")
    return resolve_markers(remap(doc, segments, offset), markers)


def _scan_template(
    ev: Evaluator, body: str, offset: int, *, json_mode: bool
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
            end = interpolation_end(body, i + 2)
            if end < 0:
                raise HclError("unterminated ${ in a template")
            flush(i)
            value = ev.interpolate(body[i + 2 : end], offset + i + 2)
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


def interpolation_end(text: str, i: int) -> int:
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
                    end = interpolation_end(text, i + 2)
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


def map_offset(segments: list[tuple[int, int, int, int]], out_offset: int, base: int) -> int:
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


def remap(value: Any, segments: list[tuple[int, int, int, int]], base: int) -> Any:
    """Positions of a document parsed from substituted text → positions in the source file."""
    if isinstance(value, PDict):
        if value.start >= 0:
            value.start = map_offset(segments, value.start, base)
        value.key_pos = {k: map_offset(segments, p, base) for k, p in value.key_pos.items()}
        for v in value.values():
            remap(v, segments, base)
    elif isinstance(value, PList):
        if value.start >= 0:
            value.start = map_offset(segments, value.start, base)
        value.item_pos = [map_offset(segments, p, base) for p in value.item_pos]
        for v in value:
            remap(v, segments, base)
    return value


def resolve_markers(value: Any, markers: list[Unknown]) -> Any:
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
            value[k] = resolve_markers(value[k], markers)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            value[i] = resolve_markers(v, markers)
    return value
