"""Identical JSON files share one parse: the copy is the file's own parse, and verdicts do not move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.sources.core import jsonpos, reading
from auditor.sources.core.cursor import SourceFile
from auditor.sources.core.jsonpos import PDict, PList, clone, loads
from auditor.sources.core.reading import SharedParses

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _same_positions(a: Any, b: Any, src_b: object) -> None:
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        assert type(x) is type(y) and x == y
        if isinstance(x, PDict):
            assert (y.start, y.key_pos, y.src) == (x.start, x.key_pos, src_b)
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, PList):
            assert (y.start, y.item_pos, y.src) == (x.start, x.item_pos, src_b)
            stack.extend(zip(x, y, strict=True))


def test_a_clone_is_the_parse_of_the_same_text_for_another_file() -> None:
    text = '{"a": [1, {"b": "x", "c": [[], {}]}], "d": {"e": null}, "a": 2}\n'
    first, second = object(), object()
    _same_positions(loads(text, src=second), clone(loads(text, src=first), second), second)


def test_a_clone_of_a_deep_document_is_iterative() -> None:
    depth = 50_000
    doc = loads("[" * depth + "]" * depth, src="a")
    copy = clone(doc, "b")
    for _ in range(depth - 1):
        assert isinstance(copy, PList) and copy.src == "b"
        copy = copy[0]
    assert copy == []


def test_identical_files_are_parsed_once_and_each_keeps_its_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b", "c"):
        shutil.copytree(EXAMPLES / "broken", tmp_path / name)
    parses: list[int] = []
    real = jsonpos.loads

    def counted(text: str, src: object | None = None) -> object:
        parses.append(len(text))
        return real(text, src)

    monkeypatch.setattr(reading, "loads", counted)
    out = tmp_path / "all.json"
    main(["scan", str(tmp_path), "--no-config", "--format", "json", "--output", str(out), "--jobs", "1"])
    distinct = {p.read_bytes() for p in (tmp_path / "a").rglob("*.json")}
    assert len(parses) == len(distinct)

    monkeypatch.setattr(reading, "loads", real)
    alone = tmp_path / "alone.json"
    main(["scan", str(tmp_path / "b"), "--no-config", "--format", "json", "--output", str(alone)])

    def findings(report: Path, folder: str) -> list[tuple[Any, ...]]:
        return sorted(
            (f["rule"], f["path"].split(f"/{folder}/", 1)[-1], f["line"], f["column"], f["message"])
            for f in json.loads(report.read_text())["findings"]
            if f"/{folder}/" in f["path"]
        )

    assert findings(out, "b") == findings(alone, "b") == findings(out, "a")
    assert findings(alone, "b")


def test_kept_parses_are_dropped_after_the_last_file_of_their_size_and_stay_within_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, large = b'{"a": 1}', b'{"b": "' + b"x" * 100 + b'"}'
    shared = SharedParses({len(small): 3, len(large): 2, 5: 1})
    monkeypatch.setattr(SharedParses, "MAX_KEPT_CHARS", 50)
    for data in (small, large):
        assert shared.lookup(data, SourceFile("f", "")) is None
        shared.read(data)
        text = data.decode()
        shared.keep(data, text, loads(text))
    src = SourceFile("g", "")
    assert shared.lookup(small, src) == {"a": 1} and src.text == small.decode()
    assert shared.lookup(large, SourceFile("h", "")) is None  # beyond the budget: parsed again
    shared.read(small)
    shared.read(small)  # the third and last file of its size
    assert shared.lookup(small, SourceFile("i", "")) is None
