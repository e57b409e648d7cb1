"""The C-speed shortcuts of two walks over whole resource bodies give the walks' own answers.

``_deeper_than`` (the walk-depth bound) and ``_holds_shared_key`` (the ``SharedAccessKey=`` search) first
ask orjson to write the value; when it cannot (too deep, a lone surrogate, an integer beyond 64 bits) or
the text holds a candidate, the Python walk decides. These tests compare both ways on the edges."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.sources.core import extract, secrets
from auditor.unknown import Unknown


def _nested(levels: int) -> list[Any]:
    root: list[Any] = []
    node = root
    for _ in range(levels):
        child: list[Any] = []
        node.append(child)
        node = child
    return root


@pytest.mark.parametrize("levels", [0, 1, 100, 252, 253, 254, 255, 256, 257, 258, 400])
@pytest.mark.parametrize("limit", [8, 253, 254, 256])
def test_deeper_than_agrees_with_the_walk(levels: int, limit: int) -> None:
    value = _nested(levels)
    assert extract._deeper_than(value, limit, 10**6) is extract._walked_deeper_than(value, limit)


@pytest.mark.parametrize("odd", [Unknown("a parameter"), "\ud800", 2**70, {1: "integer key"}, ("a", "tuple")])
def test_deeper_than_with_values_orjson_writes_differently_or_not_at_all(odd: Any) -> None:
    for levels in (3, 300):
        value = _nested(levels)
        value.append({"odd": odd})
        assert extract._deeper_than(value, 256, 10**6) is extract._walked_deeper_than(value, 256)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": "Endpoint=sb://x/;SharedAccessKey=abc"}, True),
        ({"a": ["x", {"b": "sharedaccesskey=abc"}]}, True),
        ({"SharedAccessKey=": "a key is not a value"}, False),
        ({"a": "SharedAccess", "b": "Key="}, False),
        ({"a": "shared\u212aeyAccess", "b": "sharedaccess\u212aey="}, True),  # KELVIN SIGN lowers to k
        ({"a": "\ud800 SharedAccessKey=x"}, True),  # orjson refuses the surrogate: the walk finds it
        ({"a": "\ud800"}, False),
        ({"a": 2**70, "b": "SharedAccessKey=x"}, True),
        ({"a": Unknown("SharedAccessKey= in a reason is no value")}, False),
        ({"a": 'line\nbreak "quoted" \\ SharedAccessKey=1'}, True),
    ],
)
def test_holds_shared_key_agrees_with_the_walk(value: Any, expected: bool) -> None:
    assert secrets._holds_shared_key(value, 256) is expected


def test_a_shared_key_below_the_depth_limit_is_not_found() -> None:
    value = _nested(10)
    node = value
    while node:
        node = node[0]
    node.append("SharedAccessKey=deep")
    assert secrets._holds_shared_key(value, 20) is True
    assert secrets._holds_shared_key(value, 5) is False
