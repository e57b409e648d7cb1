"""Events files (``--event``, ``--events``): read through the safe reader, decoded and parsed once as templates
are (the shared position-keeping JSON reader), turned into :class:`~auditor.events.Event` values.

Kept apart from :mod:`auditor.events`, which only knows what an event is: the checks reach that module
(COV001 through :mod:`auditor.coverage`) and must not reach the sources' core, which this module uses.
"""

from __future__ import annotations

from pathlib import Path

from auditor.events import Event, EventError, events_from
from auditor.files import display_path, read_regular

MAX_EVENT_BYTES = 16 * 1024 * 1024


def read_events(path: Path) -> list[Event]:
    """The events of one file (one object, a list or a REST page), through the safe reader; EventError when
    bad."""
    return [event for event, _ in read_located(path)]


def read_located(path: Path) -> list[tuple[Event, tuple[int, int, str]]]:
    """The events of one file, each with the (line, column, JSON path) it starts at: the file is read and
    parsed once, as templates are (:func:`auditor.sources.core.jsonpos.decode` takes UTF-8, UTF-16 and
    UTF-32, e.g. what PowerShell 5 writes for ``az security alert list > alerts.json``)."""
    from auditor.sources.core.detach import plain
    from auditor.sources.core.jsonpos import (
        DecodeError,
        JsonSyntaxError,
        LineIndex,
        PDict,
        PList,
        decode,
        loads,
    )

    shown = display_path(path)
    try:
        data = read_regular(path, max_bytes=MAX_EVENT_BYTES)
    except OSError as exc:
        raise EventError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        text = decode(data)
        doc = loads(text)
    except DecodeError as exc:
        raise EventError(f"{shown}: not text auditor can read: {exc.message}") from None
    except JsonSyntaxError as exc:
        raise EventError(f"{shown}:{exc.line}:{exc.column}: invalid JSON: {exc.message}") from None
    events = events_from(plain(doc), shown)
    index = LineIndex(text)
    items = doc.get("value") if isinstance(doc, PDict) and isinstance(doc.get("value"), PList) else doc
    if isinstance(items, PList) and len(items.item_pos) == len(events):
        prefix = "value" if items is not doc else ""
        return [
            (event, (*index.position(pos), f"{prefix}[{i}]"))
            for i, (event, pos) in enumerate(zip(events, items.item_pos, strict=True))
        ]
    start = (*index.position(max(doc.start, 0)), "") if isinstance(doc, PDict) else (1, 1, "")
    return [(event, start) for event in events]
