"""Tests for auditor.sources.core.jsonpos: values, exact positions, errors, encodings.

Positions are asserted exactly because every finding the auditor prints is only
as good as the line/column this module hands it.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import time
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import pytest

from auditor.sources.core import jsonpos
from auditor.sources.core.jsonpos import (
    DecodeError,
    JsonSyntaxError,
    LineIndex,
    PDict,
    PList,
    decode,
    loads,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def parse(text: str, src: object | None = None) -> Any:
    """loads() typed as Any, so tests can index results without isinstance noise."""
    return loads(text, src)


def pos(text: str, offset: int) -> tuple[int, int]:
    return LineIndex(text).position(offset)


def key_lc(text: str, obj: Any, key: str) -> tuple[int, int]:
    assert isinstance(obj, PDict)
    return pos(text, obj.key_pos[key])


def item_lc(text: str, arr: Any, index: int) -> tuple[int, int]:
    assert isinstance(arr, PList)
    return pos(text, arr.item_pos[index])


def syntax_error(text: str) -> JsonSyntaxError:
    with pytest.raises(JsonSyntaxError) as info:
        parse(text)
    return info.value


# --------------------------------------------------------------------------- values


def test_values_match_json_loads() -> None:
    text = (
        '{"s": "a\\"b\\\\c\\n\\u00e9\\ud83d\\ude00", "i": -12, "z": -0, "f": 1.5e-3, "e": 2E+2,'
        ' "big": 123456789012345678901234567890, "t": true, "fa": false, "n": null,'
        ' "arr": [[], {}, [1, [2, {"x": []}]]], "": ""}'
    )
    result = parse(text)
    assert result == json.loads(text)
    assert isinstance(result, PDict)
    assert type(result["i"]) is int
    assert type(result["f"]) is float
    assert type(result["e"]) is float
    assert result["t"] is True and result["fa"] is False and result["n"] is None
    assert result["s"] == 'a"b\\c\né😀'


def test_containers_are_pdict_and_plist_all_the_way_down() -> None:
    result = parse('[{"a": [{"b": {}}]}, []]')
    assert isinstance(result, PList)
    assert isinstance(result[0], PDict)
    assert isinstance(result[0]["a"], PList)
    assert isinstance(result[0]["a"][0]["b"], PDict)
    assert isinstance(result[1], PList)


@pytest.mark.parametrize("text", ["0", "-1.25", '"x"', "true", "false", "null", "[]", "{}"])
def test_scalar_and_empty_documents(text: str) -> None:
    assert parse(text) == json.loads(text)


def test_lone_surrogate_escape_is_accepted() -> None:
    assert parse('["\\ud800", "\\udfff"]') == ["\ud800", "\udfff"]


def test_duplicate_keys_last_wins_and_key_pos_points_at_last() -> None:
    text = '{"a": 1, "b": 2, "a": 3}'
    result = parse(text)
    assert result == {"a": 3, "b": 2}
    assert list(result) == ["a", "b"]  # same order as json.loads
    assert result.key_pos["a"] == text.rindex('"a"')


def test_duplicate_keys_with_escaped_spelling() -> None:
    text = '{"a": 1, "\\u0061": 2}'
    result = parse(text)
    assert result == {"a": 2}
    assert result.key_pos["a"] == text.index('"\\u0061"')


def test_src_is_recorded_on_every_container() -> None:
    marker = object()
    result = parse('{"a": [{"b": []}]}', src=marker)
    assert result.src is marker
    assert result["a"].src is marker
    assert result["a"][0].src is marker
    assert result["a"][0]["b"].src is marker
    assert parse("{}").src is None


# --------------------------------------------------------------------------- positions


def test_object_and_array_positions_simple() -> None:
    text = '{"a": [10, 20, {"b": null}], "c": {}}'
    result = parse(text)
    assert result.start == 0
    assert result.key_pos == {"a": 1, "c": 29}
    arr = result["a"]
    assert arr.start == 6
    assert arr.item_pos == [7, 11, 15]
    assert arr[2].start == 15
    assert arr[2].key_pos == {"b": 16}
    assert result["c"].start == 34
    assert result["c"].key_pos == {}
    assert text[result.key_pos["c"]] == '"'


def test_positions_multiline_lf() -> None:
    text = '{\n  "name": "x",\n  "items": [\n    1,\n    "two",\n    {"k": 3}\n  ]\n}\n'
    result = parse(text)
    assert key_lc(text, result, "name") == (2, 3)
    assert key_lc(text, result, "items") == (3, 3)
    items = result["items"]
    assert pos(text, items.start) == (3, 12)
    assert [item_lc(text, items, k) for k in range(3)] == [(4, 5), (5, 5), (6, 5)]
    assert key_lc(text, items[2], "k") == (6, 6)


def test_positions_after_comments() -> None:
    text = (
        "// leading comment\n"
        "/* block\n   comment */ {\n"
        "  // before key\n"
        '  "a": /* before value */ [ /* first */ 1, // trailing\n'
        "    /* second */ 2 ],\n"
        '  /* k */ "b" /* c */ : /* v */ {"c": 1} // end\n'
        "}\n"
        "// after\n"
    )
    result = parse(text)
    assert result == {"a": [1, 2], "b": {"c": 1}}
    assert pos(text, result.start) == (3, 15)
    assert key_lc(text, result, "a") == (5, 3)
    arr = result["a"]
    assert pos(text, arr.start) == (5, 27)
    assert item_lc(text, arr, 0) == (5, 41)
    assert item_lc(text, arr, 1) == (6, 18)
    assert key_lc(text, result, "b") == (7, 11)
    assert key_lc(text, result["b"], "c") == (7, 34)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1 // , "x": 2\n}', {"a": 1}),
        ('{"a": 1, // "x": 5\n "b": 2}', {"a": 1, "b": 2}),
        ('{"a" // x : y\n : 1}', {"a": 1}),
        ('{"a" /* : */ : 1}', {"a": 1}),
        ('{"a": 1 /* , "x": 2 */ }', {"a": 1}),
        ("[1, // 9\n 2]", [1, 2]),
        ("[1 // ]\n, 2]", [1, 2]),
        ("[1, /* ] */ 2]", [1, 2]),
        ('{"a": [1 // ], "x": [\n]}', {"a": [1]}),
        ('// {"wrong": 1}\n{"right": 1} // ]', {"right": 1}),
        ("/**/[/***/1/* * / */]/*/*/", [1]),
    ],
)
def test_punctuation_inside_comments_is_ignored(text: str, expected: Any) -> None:
    # Guards the combined fast-path patterns: a regex that backtracked into a
    # line comment would pick up the ',', '"', ':' or ']' written inside it.
    assert parse(text) == expected


def test_item_positions_after_line_comment_following_comma() -> None:
    text = "[1, // one\n  2, /* two */ 3]"
    result = parse(text)
    assert result.item_pos == [1, text.index("2"), text.index("3")]
    assert [item_lc(text, result, k) for k in range(3)] == [(1, 2), (2, 3), (2, 16)]


def test_comment_markers_inside_strings_are_not_comments() -> None:
    text = '{"url": "https://example.com/*x*/", "p": "/* not */ // either"}'
    assert parse(text) == json.loads(text)


def test_positions_with_tabs_count_one_column() -> None:
    text = '{\n\t"a": [\n\t\t1,\n\t\t2\n\t],\n\t\t"b": 3\n}'
    result = parse(text)
    assert key_lc(text, result, "a") == (2, 2)
    assert item_lc(text, result["a"], 0) == (3, 3)
    assert item_lc(text, result["a"], 1) == (4, 3)
    assert key_lc(text, result, "b") == (6, 3)


def test_positions_with_crlf() -> None:
    text = '{\r\n  "a": [\r\n    1,\r\n    2\r\n  ],\r\n  "b": true\r\n}\r\n'
    result = parse(text)
    assert key_lc(text, result, "a") == (2, 3)
    assert item_lc(text, result["a"], 0) == (3, 5)
    assert item_lc(text, result["a"], 1) == (4, 5)
    assert key_lc(text, result, "b") == (6, 3)
    assert result.key_pos["b"] == text.index('"b"')


def test_positions_with_lone_cr_line_endings() -> None:
    text = '{\r  "a": 1,\r  "b": [\r 2]\r}'
    result = parse(text)
    assert key_lc(text, result, "a") == (2, 3)
    assert key_lc(text, result, "b") == (3, 3)
    assert item_lc(text, result["b"], 0) == (4, 2)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_raw_line_breaks_in_strings_are_accepted_and_later_positions_stay_exact(newline: str) -> None:
    # ARM reads templates with Newtonsoft.Json, which keeps a raw line break inside a
    # string; every position after such a string must still be the true one.
    nl = newline
    lines = [
        "{",
        '  "variables": {',
        '    "v": "[concat(',
        "      'a',",
        "      'b')]\",",
        '    "w": ["x',
        'y", 2]',
        "  },",
        '  "after": {"k": 1}',
        "}",
    ]
    text = nl.join(lines)
    result = parse(text)
    assert result["variables"]["v"] == "[concat(" + nl + "      'a'," + nl + "      'b')]"
    assert result["variables"]["w"] == ["x" + nl + "y", 2]
    assert key_lc(text, result["variables"], "w") == (6, 5)
    assert item_lc(text, result["variables"]["w"], 1) == (7, 5)
    assert key_lc(text, result, "after") == (9, 3)
    assert key_lc(text, result["after"], "k") == (9, 13)


@pytest.mark.parametrize("char", ["\t", "\x00", "\x01", "\x1f"])
def test_other_raw_control_characters_in_strings_are_accepted(char: str) -> None:
    # Newtonsoft.Json copies them too (only the closing quote and a backslash are special).
    text = '{"k' + char + '": "a' + char + 'b", "n": 1}'
    assert parse(text) == {"k" + char: "a" + char + "b", "n": 1}


def test_raw_line_break_in_an_escaped_string_and_key() -> None:
    text = '{"a\\"\nb": "c\\n\nd", "z": 0}'
    result = parse(text)
    assert result == json.loads(text, strict=False)
    assert key_lc(text, result, "z") == (3, 5)


def test_positions_with_multibyte_characters_count_characters() -> None:
    # é is 2 bytes in UTF-8, 😀 is 4 bytes (and 2 UTF-16 units); each is one column.
    text = '{"é": "😀😀", "b": ["ü", "x"]}'
    result = parse(text)
    assert result.key_pos["é"] == 1
    assert key_lc(text, result, "b") == (1, 13)
    assert item_lc(text, result["b"], 0) == (1, 19)
    assert item_lc(text, result["b"], 1) == (1, 24)


def test_positions_of_escaped_keys() -> None:
    text = '{"a\\"b": 1,\n "\\u00e9": [2]}'
    result = parse(text)
    assert result == {'a"b': 1, "é": [2]}
    assert key_lc(text, result, 'a"b') == (1, 2)
    assert key_lc(text, result, "é") == (2, 2)
    assert item_lc(text, result["é"], 0) == (2, 13)


def test_positions_with_irregular_spacing() -> None:
    text = '{ "a"\n:\n1 ,\n"b"  :  [ 1 ,2\n, 3 ] }'
    result = parse(text)
    assert result == {"a": 1, "b": [1, 2, 3]}
    assert key_lc(text, result, "a") == (1, 3)
    assert key_lc(text, result, "b") == (4, 1)
    assert [item_lc(text, result["b"], k) for k in range(3)] == [(4, 11), (4, 14), (5, 3)]


def test_key_positions_point_at_quotes_and_items_at_value_start() -> None:
    text = '{"a": [ "s", 1.5, -2, true, null, {"k": [ ]}, [ ] ]}'
    result = parse(text)
    arr = result["a"]
    assert [text[p] for p in arr.item_pos] == ['"', "1", "-", "t", "n", "{", "["]
    assert arr[5].start == arr.item_pos[5]
    assert arr[6].start == arr.item_pos[6]


# --------------------------------------------------------------------------- LineIndex


def test_line_index_positions_and_line_text() -> None:
    text = "ab\ncd\r\nef\rgh\n"
    index = LineIndex(text)
    assert index.line_count == 5
    assert index.position(0) == (1, 1)
    assert index.position(2) == (1, 3)  # the "\n" belongs to line 1
    assert index.position(3) == (2, 1)
    assert index.position(5) == (2, 3)  # "\r" of CRLF
    assert index.position(6) == (2, 4)  # "\n" of CRLF
    assert index.position(7) == (3, 1)
    assert index.position(10) == (4, 1)  # after lone "\r"
    assert index.position(len(text)) == (5, 1)  # end of file
    assert [index.line_text(k) for k in range(1, 6)] == ["ab", "cd", "ef", "gh", ""]


def test_line_index_without_trailing_newline_and_empty_text() -> None:
    index = LineIndex("x\n\ny")
    assert index.line_count == 3
    assert index.line_text(2) == ""
    assert index.line_text(3) == "y"
    assert index.position(4) == (3, 2)
    empty = LineIndex("")
    assert empty.line_count == 1
    assert empty.position(0) == (1, 1)
    assert empty.line_text(1) == ""


def test_line_index_columns_are_characters() -> None:
    text = "\t😀é\nx"
    index = LineIndex(text)
    assert index.position(3) == (1, 4)
    assert index.line_text(1) == "\t😀é"


@pytest.mark.parametrize("offset", [-1, 4])
def test_line_index_rejects_offsets_out_of_range(offset: int) -> None:
    with pytest.raises(ValueError):
        LineIndex("abc").position(offset)


@pytest.mark.parametrize("line", [0, 3])
def test_line_index_rejects_lines_out_of_range(line: int) -> None:
    with pytest.raises(ValueError):
        LineIndex("a\nb").line_text(line)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("", "file is empty", 1, 1),
        (" \r\n\t\n", "file is empty", 1, 1),
        ("// nothing\n/* here */\n", "no JSON value: the file holds only comments", 3, 1),
        (
            '{\n  "a": 1\n    "b": 2\n}',
            "expected ',' or '}' after object member, found '\"'",
            3,
            5,
        ),
        ("[\n  1\n  2\n]", "expected ',' or ']' after array element, found '2'", 3, 3),
        ('{\n  "a": 1,\n}', "trailing comma before '}' is not allowed", 2, 9),
        ("[1, 2, // c\n]", "trailing comma before ']' is not allowed", 1, 6),
        ('{"a": 1, // "x": 2\n}', "trailing comma before '}' is not allowed", 1, 8),
        ('{"a": 1 // , "x": 2\n "b": 2}', "expected ',' or '}' after object member, found '\"'", 2, 2),
        ('{"a": [1, 2,\n  ]}', "trailing comma before ']' is not allowed", 1, 12),
        ('{\n  "a": "abc\n}', "unterminated string", 2, 8),
        ('{"a": "abc', "unterminated string", 1, 7),
        ('{"abc', "unterminated string", 1, 2),
        ('{"a": 1}\n/* open', "unterminated block comment", 2, 1),
        ('{"a": /* open\n1}', "unterminated block comment", 1, 7),
        ("[1 /* open", "unterminated block comment", 1, 4),
        ('{"a": 1}\n}', "unexpected data after the end of the JSON document", 2, 1),
        ('{"a": 1} {"b": 2}', "unexpected data after the end of the JSON document", 1, 10),
        ('{"a": "x\\qy"}', "invalid escape '\\q' in string", 1, 9),
        ('{"a": "\\u12G4"}', "invalid \\u escape: expected four hex digits", 1, 8),
        ('{"a": NaN}', "NaN is not a valid JSON value", 1, 7),
        ("[Infinity]", "Infinity is not a valid JSON value", 1, 2),
        ("[1, -Infinity]", "-Infinity is not a valid JSON value", 1, 5),
        ("{'a': 1}", "object keys must be in double quotes, not single quotes", 1, 2),
        ("{\"a\": 'x'}", "strings must be in double quotes, not single quotes", 1, 7),
        (
            '{"a": True}',
            "invalid literal 'True'; expected a value (true, false and null are lowercase)",
            1,
            7,
        ),
        ("{a: 1}", "expected a key in double quotes, found 'a'", 1, 2),
        ('{"a" 1}', "expected ':' after object key, found '1'", 1, 6),
        ('{"a": }', "expected a value, found '}'", 1, 7),
        ("[,1]", "expected a value, found ','", 1, 2),
        ('{"a": 1,,}', "expected a key in double quotes, found ','", 1, 9),
        ("[01]", "invalid number", 1, 2),
        ("[1.]", "invalid number", 1, 2),
        ("[.5]", "invalid number", 1, 2),
        ("[+1]", "invalid number", 1, 2),
        ("[1e]", "invalid number", 1, 2),
        ("[-]", "invalid number", 1, 2),
        ("[1}", "expected ',' or ']' after array element, found '}'", 1, 3),
        ('{"a": 1]', "expected ',' or '}' after object member, found ']'", 1, 8),
        ('{"a": 1', "unexpected end of file: expected ',' or '}' after object member", 1, 8),
        ("[1,\n", "unexpected end of file: expected a value", 2, 1),
        ("{", "unexpected end of file: expected a key in double quotes", 1, 2),
        ('{"a":', "unexpected end of file: expected a value", 1, 6),
        ('{"a"', "unexpected end of file: expected ':' after object key", 1, 5),
        ("\ufeff{}", "byte order mark inside the text; read the file with decode()", 1, 1),
        ("[1 / 2]", "expected ',' or ']' after array element, found '/'", 1, 4),
        ("[\u00a01]", "expected a value, found U+00A0", 1, 2),
        ('{\r\n  "a": 1\r\n  "b": 2\r\n}', "expected ',' or '}' after object member, found '\"'", 3, 3),
        ('{\r  "a": 1\r  "b": 2\r}', "expected ',' or '}' after object member, found '\"'", 3, 3),
        ('{\n\t"é😀": 1\n\t\t"b": 2}', "expected ',' or '}' after object member, found '\"'", 3, 3),
        ('{"é😀": 1 "b": 2}', "expected ',' or '}' after object member, found '\"'", 1, 10),
    ],
)
def test_syntax_errors_have_exact_positions(text: str, message: str, line: int, column: int) -> None:
    err = syntax_error(text)
    assert err.message == message
    assert (err.line, err.column) == (line, column)
    assert LineIndex(text).position(err.offset) == (line, column)
    assert str(err) == f"{message} (line {line}, column {column})"


def test_syntax_error_is_a_value_error_and_pickles() -> None:
    err = syntax_error('{"a" 1}')
    assert isinstance(err, ValueError)
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.message, clone.offset, clone.line, clone.column) == (
        err.message,
        err.offset,
        err.line,
        err.column,
    )
    assert str(clone) == str(err)


def test_huge_integer_is_a_syntax_error_not_a_crash() -> None:
    err = syntax_error("[" + "9" * 5000 + "]")
    assert err.message == "number has too many digits"
    assert (err.line, err.column) == (1, 2)


# --------------------------------------------------------------------------- nesting


def test_deep_array_nesting_does_not_crash() -> None:
    depth = 100_000
    result = parse("[" * depth + "]" * depth)
    node: Any = result
    for _ in range(depth - 1):
        assert isinstance(node, PList) and len(node) == 1
        node = node[0]
    assert node == []


def test_deep_object_nesting_does_not_crash() -> None:
    depth = 100_000
    text = '{"a":' * depth + "1" + "}" * depth
    result = parse(text)
    node: Any = result
    for level in range(depth):
        assert node.key_pos == {"a": level * 5 + 1}
        node = node["a"]
    assert node == 1


def test_deep_unclosed_nesting_is_a_syntax_error() -> None:
    err = syntax_error("[" * 100_000)
    assert err.message == "unexpected end of file: expected a value"
    assert (err.line, err.column) == (1, 100_001)


# --------------------------------------------------------------------------- containers


def test_pdict_and_plist_constructible_by_hand() -> None:
    d = PDict()
    assert (d.start, d.key_pos, d.src) == (-1, {}, None)
    assert PDict({"a": 1}, b=2) == {"a": 1, "b": 2}
    lst = PList()
    assert (lst.start, lst.item_pos, lst.src) == (-1, [], None)
    assert PList([1, 2]) == [1, 2]
    # Per-instance tables, never shared.
    d.key_pos["x"] = 1
    assert PDict().key_pos == {}


def test_containers_keep_positions_through_copy_and_pickle() -> None:
    text = '{"a": [1, {"b": 2}]}'
    original = parse(text, src="t.json")
    for clone in (copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        assert clone == original
        assert isinstance(clone, PDict)
        assert (clone.start, clone.key_pos, clone.src) == (0, {"a": 1}, "t.json")
        assert isinstance(clone["a"], PList)
        assert clone["a"].item_pos == [7, 10]


# --------------------------------------------------------------------------- decoding

SAMPLE = '{\r\n\t"é": [1, "😀"]\r\n}\r\n'


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SAMPLE.encode("utf-8"), id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), id="utf-8-bom"),
        pytest.param(b"\xff\xfe" + SAMPLE.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + SAMPLE.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(b"\xff\xfe\x00\x00" + SAMPLE.encode("utf-32-le"), id="utf-32-le-bom"),
        pytest.param(b"\x00\x00\xfe\xff" + SAMPLE.encode("utf-32-be"), id="utf-32-be-bom"),
        pytest.param(SAMPLE.encode("utf-16-le"), id="utf-16-le-no-bom"),
        pytest.param(SAMPLE.encode("utf-16-be"), id="utf-16-be-no-bom"),
        pytest.param(SAMPLE.encode("utf-32-le"), id="utf-32-le-no-bom"),
        pytest.param(SAMPLE.encode("utf-32-be"), id="utf-32-be-no-bom"),
    ],
)
def test_decode_supported_encodings_and_positions_survive(data: bytes) -> None:
    text = decode(data)
    assert text == SAMPLE  # BOM stripped, CRLF kept
    result = parse(text)
    assert result == {"é": [1, "😀"]}
    assert key_lc(text, result, "é") == (2, 2)
    assert item_lc(text, result["é"], 1) == (2, 11)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", ""),
        (b"\xef\xbb\xbf", ""),
        (b"\xff\xfe", ""),
        (b"1", "1"),
        (b"{\x00", "{"),
        (b"\x00{", "{"),
        (b"{}", "{}"),
    ],
)
def test_decode_short_inputs(data: bytes, expected: str) -> None:
    assert decode(data) == expected


def test_decode_rejects_latin1_with_byte_offset() -> None:
    data = '{\n  "name": "café"\n}'.encode("latin-1")
    with pytest.raises(DecodeError) as info:
        decode(data)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.offset == data.index(b"\xe9")
    assert err.message.startswith(f"not valid UTF-8 at byte {err.offset} (line 2")
    assert "save the file as UTF-8" in err.message
    assert str(err) == err.message


def test_decode_rejects_invalid_utf8_after_bom_with_file_offset() -> None:
    data = b'\xef\xbb\xbf{"a": "\xc3"}'
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert info.value.offset == data.index(b"\xc3")


def test_decode_rejects_truncated_utf16() -> None:
    data = b"\xff\xfe" + "{}".encode("utf-16-le") + b"\x00"
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert info.value.offset == 6
    assert "not valid UTF-16" in info.value.message


def test_decode_error_pickles() -> None:
    err = DecodeError("bad", 7)
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.message, clone.offset) == ("bad", 7)


# --------------------------------------------------------------------------- corpus


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"reference corpus not present at {CORPUS}")
    files = sorted(CORPUS.rglob("*.json"))
    if not files:
        pytest.skip(f"no .json files under {CORPUS}")
    return files


def _walk(node: Any) -> Any:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (PDict, PList)):
            yield item
            stack.extend(item.values() if isinstance(item, PDict) else item)


def test_corpus_parses_and_equals_json_loads() -> None:
    failures = []
    for path in _corpus_files():
        try:
            text = decode(path.read_bytes())
            result = parse(text, src=path)
        except (DecodeError, JsonSyntaxError) as exc:
            failures.append(f"{path}: {exc}")
            continue
        if result != json.loads(text):
            failures.append(f"{path}: differs from json.loads")
    assert not failures, "\n".join(failures)


def test_corpus_positions_point_at_the_right_tokens() -> None:
    for path in _corpus_files():
        text = decode(path.read_bytes())
        result = parse(text, src=path)
        for node in _walk(result):
            assert node.src == path
            if isinstance(node, PDict):
                assert text[node.start] == "{", path
                for key, offset in node.key_pos.items():
                    assert scanstring(text, offset + 1, True)[0] == key, (path, key)
            else:
                assert text[node.start] == "[", path
                assert len(node.item_pos) == len(node), path
                for value, offset in zip(node, node.item_pos, strict=True):
                    # Each element re-parsed from its recorded start is itself.
                    decoded, _ = json.JSONDecoder().raw_decode(text, offset)
                    assert decoded == value, (path, offset)


def test_corpus_parse_is_fast() -> None:
    # Generous bound (the measured figure is ~0.04 s): catches a regression to
    # a character-by-character parser without flaking on a busy CI machine.
    texts = [decode(p.read_bytes()) for p in _corpus_files()]
    started = time.perf_counter()
    for text in texts:
        parse(text)
    assert time.perf_counter() - started < 1.0


def test_module_exports() -> None:
    assert set(jsonpos.__all__) == {
        "DecodeError",
        "JsonSyntaxError",
        "LineIndex",
        "PDict",
        "PList",
        "decode",
        "loads",
    }


# --------------------------------------------------------------------------- generated documents

_TRIVIA = ["", " ", "\n", "\r\n", "\r", "\t", '// , ] } " : [ {\n', '/* , ] } " : */', "/**/", "/* * / ** */"]
_STRING_PARTS = ["a", "é", "😀", '\\"', "\\n", "\\u00e9", ",", "]", "}", ":", "//", "/*", " "]


class _Writer:
    """Serialises a random document with random trivia, noting every position."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: list[str] = []
        self.size = 0

    def write(self, piece: str) -> None:
        self.parts.append(piece)
        self.size += len(piece)

    def trivia(self) -> None:
        self.write(self.rng.choice(_TRIVIA))

    def string(self) -> str:
        literal = '"' + "".join(self.rng.choice(_STRING_PARTS) for _ in range(self.rng.randint(0, 4))) + '"'
        self.write(literal)
        return str(json.loads(literal))

    def value(self, depth: int) -> tuple[Any, Any]:
        """Return (expected value, expected positions) for one written value."""
        kind = self.rng.randint(0, 5 if depth < 5 else 2)
        start = self.size
        if kind == 0:
            return self.string(), None
        if kind in (1, 2):
            literal = self.rng.choice(["0", "-1", "12.5", "1e3", "-0.0", "3E-2", "true", "false", "null"])
            self.write(literal)
            return json.loads(literal), None
        count = self.rng.randint(0, 4)
        if kind in (3, 4):
            self.write("{")
            self.trivia()
            obj: dict[str, Any] = {}
            key_pos: dict[str, int] = {}
            children: dict[str, Any] = {}
            for index in range(count):
                key_pos_here = self.size
                key = self.string()
                self.trivia()
                self.write(":")
                self.trivia()
                obj[key], children[key] = self.value(depth + 1)
                key_pos[key] = key_pos_here
                self.trivia()
                if index < count - 1:
                    self.write(",")
                    self.trivia()
            self.write("}")
            return obj, ("object", start, key_pos, children)
        self.write("[")
        self.trivia()
        items: list[Any] = []
        item_pos: list[int] = []
        subs: list[Any] = []
        for index in range(count):
            item_pos.append(self.size)
            item, sub = self.value(depth + 1)
            items.append(item)
            subs.append(sub)
            self.trivia()
            if index < count - 1:
                self.write(",")
                self.trivia()
        self.write("]")
        return items, ("array", start, item_pos, subs)


def _assert_positions(node: Any, expected: Any) -> None:
    if expected is None:
        return
    kind, start, positions, children = expected
    if kind == "object":
        assert isinstance(node, PDict)
        assert (node.start, node.key_pos) == (start, positions)
        for key, child in children.items():
            _assert_positions(node[key], child)
    else:
        assert isinstance(node, PList)
        assert (node.start, node.item_pos) == (start, positions)
        for item, child in zip(node, children, strict=True):
            _assert_positions(item, child)


@pytest.mark.parametrize("seed", range(4))
def test_generated_documents_with_comments_parse_with_exact_positions(seed: int) -> None:
    # Comments stuffed with , ] } " : between every token, mixed line endings,
    # escapes and astral characters: values and every position must be exact.
    rng = random.Random(seed)
    for _ in range(250):
        writer = _Writer(rng)
        writer.trivia()
        expected, positions = writer.value(0)
        writer.trivia()
        text = "".join(writer.parts)
        result = parse(text)
        assert result == expected, text
        _assert_positions(result, positions)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_documents_accepted_exactly_when_json_accepts_them(seed: int) -> None:
    # Without any "/" the dialect is JSON with raw control characters allowed in strings (what
    # json.loads(strict=False) reads), so that is the oracle for
    # which single-character edits are still valid; errors must carry true positions.
    rng = random.Random(seed)
    for _ in range(100):
        writer = _Writer(rng)
        writer.value(0)
        text = "".join(writer.parts)
        for _ in range(10):
            at = rng.randint(0, len(text))
            char = rng.choice(',:[]{}"\\ \n0-.eatx\t\x01')
            mutated = text[:at] + char + text[at + rng.randint(0, 1) :]
            if "/" in mutated:
                continue
            try:
                oracle: Any = json.loads(mutated, strict=False)  # raw control characters: as ARM
            except ValueError:
                with pytest.raises(JsonSyntaxError) as info:
                    parse(mutated)
                err = info.value
                assert LineIndex(mutated).position(err.offset) == (err.line, err.column)
            else:
                assert parse(mutated) == oracle, mutated
