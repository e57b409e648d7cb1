"""Every inventory element holds the types its fields declare (what pydantic used to check on each one).

The inventory types are records (auditor/records.py), not pydantic models, so a one-file scan starts fast
(issue 14). At run time they guard only their text fields (``Text`` / ``MaybeStr``: a non-string is a bug
under the test suite, an Unknown otherwise). This test keeps the rest of what pydantic enforced, without a
per-element cost in production: the examples, every check fixture and the shared corpus are scanned and
every field of every element reached from the inventory is compared with its declared type.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from auditor import model as m
from auditor.sources.dispatch import FileScan
from auditor.unknown import Unknown

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
ANYTHING = ("Any", "JsonValue")
NAMED: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "None": (type(None),),
    "Unknown": (Unknown,),
    "Text": (str, Unknown, type(None)),
    "MaybeStr": (str, Unknown),
    "MaybeBool": (bool, Unknown),
}


def _alternatives(declared: str) -> list[str]:
    """``a | b[c | d] | e`` → ``["a", "b[c | d]", "e"]`` (unions at the top level only)."""
    parts, depth, current = [], 0, ""
    for char in declared:
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def _allowed(declared: str) -> tuple[type, ...] | None:
    """The types a field declared as ``declared`` may hold; None: anything (a JSON value)."""
    types: list[type] = []
    for alternative in _alternatives(declared):
        head = alternative.split("[", 1)[0]
        if head in ANYTHING:
            return None
        if head in NAMED:
            types.extend(NAMED[head])
        elif head in ("list", "tuple", "dict"):
            types.append({"list": list, "tuple": tuple, "dict": dict}[head])
        elif head == "Literal" or head.endswith(("Kind", "Code", "Status")):
            types.append(str)
        else:
            types.append(getattr(m, head))  # another inventory type
    return tuple(types)


def _wrong(element: Any, where: str) -> list[str]:
    """Fields of ``element`` (and of the records inside it) whose value is not of the declared type."""
    found: list[str] = []
    stack = [(element, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
            continue
        if not isinstance(node, m._Model):
            continue
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            declared = str(f.type)
            allowed = _allowed(declared)
            if allowed is not None and (
                not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)
            ):
                found.append(f"{path}.{f.name}: {declared} holds {type(value).__name__}")
            if isinstance(value, (m._Model, list, tuple)):
                stack.append((value, f"{path}.{f.name}"))
            elif isinstance(value, dict) and "Origin" in declared:
                stack.extend((v, f"{path}.{f.name}[{k!r}]") for k, v in value.items())
    return found


def _scan(paths: list[Path]) -> m.Inventory:
    return FileScan({}).scan(paths)


def _all_wrong(inventory: m.Inventory) -> list[str]:
    return _wrong([getattr(inventory, name) for name in m.INVENTORY_FIELDS], "inventory")


def test_examples_and_fixtures_build_well_typed_elements() -> None:
    paths = [REPO / "examples", REPO / "tests" / "checks" / "fixtures"]
    inventory = _scan(paths)
    assert inventory.automations and inventory.logic_apps and inventory.connections  # the scan read them
    assert _all_wrong(inventory) == []


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared/corpus) is not here")
def test_the_corpus_builds_well_typed_elements() -> None:
    assert _all_wrong(_scan([CORPUS])) == []


def test_a_wrongly_typed_field_is_reported() -> None:
    """The walk itself: a bool where an int belongs, a list where a tuple belongs, deep in a Logic App."""
    origin = m.Origin(file="t.json", line=True)  # type: ignore[arg-type]
    trigger = m.Trigger(name="manual", problems=["x"], origin=m.Origin(file="t.json"))  # type: ignore[arg-type]
    app = m.LogicApp(id="a", name="a", triggers=[trigger], origin=origin)
    assert sorted(_wrong(m.Inventory(logic_apps=[app]).logic_apps, "apps")) == [
        "apps[0].origin.line: int holds bool",
        "apps[0].triggers[0].problems: tuple[str, ...] holds list",
    ]
