"""auditor.jsontext.pretty writes exactly what ``json.dumps(indent=2, ensure_ascii=False)`` writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.jsontext import pretty

SAMPLES: list[Any] = [
    {"version": 1, "findings": [], "files": {}, "z": [1, [2, []], {"a": None, "b": True}]},
    {"message": "automation 'ü50' — \u202egnp.exe \t\n\r\x00\x1f \u2028 \"quoted\" \\ back", "line": 3},
    {"b": 1, "a": {"d": 2, "c": [3]}},
    ("tuple", "as", "array"),
    {"surrogate": "name \ud800 alone"},  # orjson refuses it: the standard encoder writes it
    {"big": 2**70},  # beyond 64 bits: likewise
    {"1": "string key"},
]


@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize("data", SAMPLES)
def test_same_text_as_the_standard_library(data: Any, sort_keys: bool) -> None:
    assert pretty(data, sort_keys=sort_keys) == json.dumps(
        data, indent=2, sort_keys=sort_keys, ensure_ascii=False
    )


def test_a_key_that_is_not_a_string_falls_back() -> None:
    assert pretty({1: "x"}) == json.dumps({1: "x"}, indent=2, ensure_ascii=False)
