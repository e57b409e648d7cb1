"""Position-aware JSON parsing for Azure Resource Manager templates.

Why this module exists: a finding is only useful if it says *where* the problem
is, and :func:`json.loads` forgets every position the moment it has parsed a
value.  This parser builds the same Python values as :func:`json.loads` but
records, for every object and array, where it starts, where each key sits and
where each array element begins.  :class:`LineIndex` then turns those character
offsets into the 1-based line and column an editor shows.

Why not a third-party parser: the auditor must run with no dependencies beyond
pydantic, and it must accept what ARM accepts, which is not strict JSON:

* ``// line`` and ``/* block */`` comments wherever whitespace may appear
  (ARM's template engine accepts them, so hand-written templates use them);
* files saved as UTF-16 or with a byte order mark (common on Windows; four
  templates in the reference corpus are UTF-16 LE).

* raw control characters inside strings: a line break, a tab, any
  U+0000..U+001F.  ARM reads templates with Newtonsoft.Json, whose string
  reader (``JsonTextReader.ReadStringIntoBuffer``) copies every character up
  to the closing quote as it is and only counts line breaks; so an expression
  broken over several lines (``"[concat(`` newline ``'a')]"``) is a valid
  template, and the Azure Landing Zones portal deployment ships such files.
  The other control characters are accepted for the same reason: reporting
  them would claim that Azure rejects what it deploys.  Positions stay exact
  because they are offsets into the whole text: a line break inside a string
  is counted by :class:`LineIndex` like any other.

Anything else that is not JSON (trailing commas, single quotes, NaN, an
unterminated string, data after the document) is reported as a
:class:`JsonSyntaxError` with an exact line and column, because a template that
ARM would reject is itself a finding.

Why it looks the way it does: the whole product must scan a few megabytes of
templates in a cold process well under a second, so nothing here walks the
text one character at a time in Python.  Strings go through the C
``json.decoder.scanstring``; whitespace, comments, numbers and the common
"``, "key": ``" sequences are matched by precompiled regular expressions; and
nesting is handled with an explicit stack, so a hostile 100 000-deep document
cannot hit Python's recursion limit.  Offsets are character offsets into the
decoded text (not bytes) so that a ``str`` slice at an offset is the token
itself.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from collections.abc import Callable
from json import JSONDecodeError

# The C string scanner json itself uses (pure-Python fallback elsewhere);
# typeshed does not list it, hence the ignore.
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, cast

__all__ = [
    "DecodeError",
    "JsonSyntaxError",
    "LineIndex",
    "PDict",
    "PList",
    "decode",
    "loads",
]


# --------------------------------------------------------------------------- errors


class DecodeError(ValueError):
    """The bytes are not text in an encoding ARM accepts.

    Kept apart from :class:`JsonSyntaxError` because the remedy differs: the
    file must be re-saved in another encoding, and there is no line/column to
    show since the text could not be read.  ``offset`` is the 0-based byte
    offset of the first bad byte (0 when no better position is known).
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the exception picklable (e.g. across multiprocessing workers).
        return (type(self), (self.message, self.offset))


class JsonSyntaxError(ValueError):
    """The text is not a JSON document ARM would accept.

    Carries both the raw character ``offset`` (for code that wants to slice the
    text) and the 1-based ``line``/``column`` (for humans), computed with the
    same rules as :class:`LineIndex` so the two never disagree.
    """

    def __init__(self, message: str, offset: int, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.offset, self.line, self.column))


# --------------------------------------------------------------------------- decoding

_UTF8_BOM = codecs.BOM_UTF8
# Longer BOMs first: the UTF-32 LE BOM begins with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def _sniff_without_bom(data: bytes) -> tuple[str, str] | None:
    """Recognise BOM-less UTF-16/UTF-32 from where the NUL bytes fall.

    A JSON document starts with an ASCII character, so in UTF-16/32 its first
    code unit has NUL high bytes (the RFC 4627 section 3 heuristic).  In
    UTF-8 a NUL byte that early cannot be part of valid JSON, so the guess
    never misreads a file that would otherwise have parsed.
    """
    if len(data) >= 4:
        b0, b1, b2, b3 = data[0], data[1], data[2], data[3]
        if b0 == 0 and b1 == 0 and b2 == 0 and b3:
            return "utf-32-be", "UTF-32"
        if b0 and b1 == 0 and b2 == 0 and b3 == 0:
            return "utf-32-le", "UTF-32"
        if b0 == 0 and b1 and b2 == 0 and b3:
            return "utf-16-be", "UTF-16"
        if b0 and b1 == 0 and b2 and b3 == 0:
            return "utf-16-le", "UTF-16"
    elif len(data) >= 2:
        if data[0] == 0 and data[1]:
            return "utf-16-be", "UTF-16"
        if data[0] and data[1] == 0:
            return "utf-16-le", "UTF-16"
    return None


def _line_of_byte(data: bytes, offset: int, newline: bytes) -> int:
    return data.count(newline, 0, offset) + 1


def decode(data: bytes) -> str:
    """Turn a template file's bytes into text, the way ARM reads it.

    Accepts UTF-8 (with or without BOM), UTF-16 and UTF-32 with a BOM, and
    BOM-less UTF-16/32 when the NUL-byte pattern makes it unambiguous.  The BOM
    is removed so that offset 0 is the first real character; nothing else is
    changed (CRLF stays, so offsets remain true to the file).  Anything else,
    typically a Windows-1252/Latin-1 file, raises :class:`DecodeError` naming
    the first bad byte, because guessing a legacy code page would silently
    corrupt non-ASCII text.
    """
    if data.startswith(_UTF8_BOM):
        return _decode_utf8(data, len(_UTF8_BOM))
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            return _decode_wide(data, len(bom), codec, label)
    sniffed = _sniff_without_bom(data)
    if sniffed is not None:
        return _decode_wide(data, 0, sniffed[0], sniffed[1])
    return _decode_utf8(data, 0)


def _decode_utf8(data: bytes, skip: int) -> str:
    try:
        return data[skip:].decode("utf-8") if skip else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        line = _line_of_byte(data, offset, b"\n")
        raise DecodeError(
            f"not valid UTF-8 at byte {offset} (line {line}, byte 0x{data[offset]:02x}); "
            "save the file as UTF-8",
            offset,
        ) from None


def _decode_wide(data: bytes, skip: int, codec: str, label: str) -> str:
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        raise DecodeError(
            f"not valid {label} at byte {offset} ({exc.reason}); save the file as UTF-8",
            offset,
        ) from None


# --------------------------------------------------------------------------- line index

_LINE_BREAK = re.compile(r"\r\n?|\n")


class LineIndex:
    """Maps character offsets to 1-based (line, column), built once per text.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (what editors show); a
    tab is one column and so is every code point, so columns match what a
    ``str`` slice would count.  Lookups bisect a table of line starts, so
    turning many findings into positions costs O(log n) each instead of
    rescanning the text.
    """

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        starts = [0]
        if "\r" in text:
            starts.extend(m.end() for m in _LINE_BREAK.finditer(text))
        else:
            # Fast path for the common LF-only file: str.find is C-speed.
            find = text.find
            pos = find("\n")
            append = starts.append
            while pos >= 0:
                pos += 1
                append(pos)
                pos = find("\n", pos)
        self._starts = starts

    @property
    def line_count(self) -> int:
        """Number of lines; text ending in a line break has a final empty line."""
        return len(self._starts)

    def position(self, offset: int) -> tuple[int, int]:
        """Return ``(line, column)``, both 1-based, for a character offset.

        ``offset == len(text)`` (end of file) is allowed because errors such as
        "unexpected end of file" point there.  Raises ValueError outside
        ``0..len(text)`` rather than inventing a position (e.g. the ``-1``
        ``start`` of a PDict built by hand).
        """
        if offset < 0 or offset > len(self._text):
            raise ValueError(f"offset {offset} outside text of length {len(self._text)}")
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """Text of 1-based ``line`` without its line ending (for snippets)."""
        starts = self._starts
        if line < 1 or line > len(starts):
            raise ValueError(f"line {line} outside 1..{len(starts)}")
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self._text)
        text = self._text[start:end]
        if text.endswith("\r\n"):
            return text[:-2]
        if text.endswith(("\n", "\r")):
            return text[:-1]
        return text


# --------------------------------------------------------------------------- containers


class PDict(dict[str, Any]):
    """A JSON object that remembers where it and its keys were in the source.

    It *is* a dict (compares equal to one, works with every dict consumer), so
    checks that ignore positions need no special handling.  ``start`` is the
    offset of ``{``, ``key_pos[key]`` the offset of the key's opening quote
    (the last occurrence when a key is duplicated, matching which value wins),
    and ``src`` whatever identity of the file the caller passed to
    :func:`loads`.  Built by hand it has ``start == -1``: "no position".
    """

    # Slots: no per-instance __dict__ for the tens of thousands of objects in a
    # large template, and a typo'd attribute fails loudly.
    __slots__ = ("key_pos", "src", "start")

    start: int
    key_pos: dict[str, int]
    src: object | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = -1
        self.key_pos = {}
        self.src = None


class PList(list[Any]):
    """A JSON array that remembers where it and each of its elements start.

    ``start`` is the offset of ``[``; ``item_pos[i]`` the offset of element
    ``i``'s first character.  Equal to the plain list with the same items.
    """

    __slots__ = ("item_pos", "src", "start")

    start: int
    item_pos: list[int]
    src: object | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = -1
        self.item_pos = []
        self.src = None


# --------------------------------------------------------------------------- parser

# Whitespace as JSON defines it, plus comments.  The block-comment pattern is
# the "unrolled loop" form, linear even on an unterminated comment; one that is
# unterminated is simply not consumed, and the error path reports it.
_WS_RE = r"[ \t\n\r]*(?:(?://[^\n\r]*|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/)[ \t\n\r]*)*"
_WS = re.compile(_WS_RE)
# _WS can match the empty string, so its match() never returns None; the cast
# tells mypy so without a None test in the hot loop.
_skip = cast("Callable[[str, int], re.Match[str]]", _WS.match)
# The fast paths below fold ", "key": " and friends into one C call.  Comments
# are allowed in them only as the *last* element of a pattern: in the middle, a
# failing continuation would make the engine backtrack into a line comment and
# match a ',' or '"' inside it (Python 3.10 has no atomic groups).  Between
# tokens they therefore accept plain whitespace only, and anything else, a
# comment included, takes the general path, which also builds the errors.
_PLAIN = r"[ \t\n\r]*"
_KEY = r'"([^"\\]*)"'  # a key with no escapes (scanstring handles the rest); raw control characters allowed
# Key, colon and the whitespace before the value.
_SIMPLE_KEY = re.compile(_KEY + _PLAIN + ":" + _WS_RE)
# After a member inside an object: "," and the next key up to its value, or "}".
_OBJ_NEXT = re.compile(_PLAIN + r"(?:," + _PLAIN + _KEY + _PLAIN + ":" + _WS_RE + r"|(\}))")
# After an element inside an array: "," and the whitespace up to the next
# element, or "]".  The lookahead only lets a real element start through (not
# "]", which is a trailing comma, nor "/", a comment); since it excludes
# whitespace too, backtracking the whitespace run cannot satisfy it.
_ARR_NEXT = re.compile(_PLAIN + r"(?:(,)" + _PLAIN + r"(?=[^\]/ \t\n\r])|(\]))")
# [0-9], not \d: \d would accept non-ASCII digits.  The lookahead rejects
# "01", "1.", "1e" and "1.2.3" here instead of as a confusing "expected ','".
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?(?![0-9.eE+\-])")
_SIMPLE_STRING = re.compile(r'"([^"\\]*)"')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The parser creates containers without running __init__ (which would only set
# attributes the parser overwrites at once): one C call instead of a Python frame.
_new_dict = PDict.__new__
_new_list = PList.__new__
#: The same, for code that copies parsed containers (it sets ``start``, the position table and ``src``).
new_dict = _new_dict
new_list = _new_list


def _error(text: str, offset: int, message: str) -> JsonSyntaxError:
    line, column = LineIndex(text).position(offset)
    return JsonSyntaxError(message, offset, line, column)


def _describe(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"U+{ord(ch):04X}"


def _fail(text: str, i: int, expected: str) -> JsonSyntaxError:
    """Build the error for "found something other than ``expected`` at ``i``".

    Every structural error goes through here so the special cases (end of
    file, an unterminated comment that whitespace skipping left behind) are
    recognised wherever they occur.
    """
    if i >= len(text):
        return _error(text, len(text), f"unexpected end of file: {expected}")
    if text.startswith("/*", i):
        return _error(text, i, "unterminated block comment")
    return _error(text, i, f"{expected}, found {_describe(text[i])}")


def _value_error(text: str, i: int) -> JsonSyntaxError:
    """Explain why no JSON value starts at ``i``, naming the usual mistakes."""
    if i < len(text):
        ch = text[i]
        for word in ("NaN", "Infinity", "-Infinity"):
            if text.startswith(word, i):
                return _error(text, i, f"{word} is not a valid JSON value")
        if ch in "-+.0123456789":
            return _error(text, i, "invalid number")
        if ch == "'":
            return _error(text, i, "strings must be in double quotes, not single quotes")
        m = _WORD.match(text, i)
        if m is not None:
            return _error(
                text,
                i,
                f"invalid literal '{m.group()}'; expected a value (true, false and null are lowercase)",
            )
    return _fail(text, i, "expected a value")


def _string_error(text: str, exc: JSONDecodeError, quote: int) -> JsonSyntaxError:
    """Translate the C scanner's message into one that says what to fix."""
    msg, pos = exc.msg, exc.pos
    # Raw control characters are allowed (strict=False, as ARM's reader), so
    # "Invalid control character" cannot occur.
    if msg.startswith("Unterminated string"):
        return _error(text, quote, "unterminated string")
    if "uXXXX" in msg:
        return _error(text, text.rfind("\\", 0, pos + 1), "invalid \\u escape: expected four hex digits")
    if "escape" in msg:
        return _error(text, pos, f"invalid escape '{text[pos : pos + 2]}' in string")
    return _error(text, pos, msg)  # pragma: no cover - scanstring has no other messages


def _scan_key(text: str, i: int) -> tuple[str, int]:
    """Slow path for a key at ``i`` (escapes, a comment before the colon, errors).

    Returns the key and the offset where its value starts.
    """
    if text.startswith('"', i):
        try:
            key, j = scanstring(text, i + 1, False)
        except JSONDecodeError as exc:
            raise _string_error(text, exc, i) from None
        j = _skip(text, j).end()
        if not text.startswith(":", j):
            raise _fail(text, j, "expected ':' after object key")
        return key, _skip(text, j + 1).end()
    if text.startswith("'", i):
        raise _error(text, i, "object keys must be in double quotes, not single quotes")
    raise _fail(text, i, "expected a key in double quotes")


def loads(text: str, src: object | None = None) -> object:
    """Parse one JSON document as ARM reads it, recording positions.

    Objects become :class:`PDict`, arrays :class:`PList`; everything else is
    what :func:`json.loads` returns, so the result compares equal to it.
    ``src`` is stored on every container so a finding can name its file
    without threading the path through every check.  Raises
    :class:`JsonSyntaxError` for anything ARM would refuse.
    """
    s = text
    n = len(s)
    ws = _skip
    key_match = _SIMPLE_KEY.match
    obj_next = _OBJ_NEXT.match
    arr_next = _ARR_NEXT.match
    str_match = _SIMPLE_STRING.match
    num_match = _NUMBER.match
    scan = scanstring
    new_dict = _new_dict
    new_list = _new_list

    i = ws(s, 0).end()
    if i >= n:
        if not s.strip(" \t\r\n"):
            raise _error(s, 0, "file is empty")
        raise _error(s, n, "no JSON value: the file holds only comments")
    if s[i] == "\ufeff":
        raise _error(s, i, "byte order mark inside the text; read the file with decode()")

    # Open containers, innermost last, and for each open object the key whose
    # value is being parsed.  Iterative on purpose: no recursion limit.
    stack: list[Any] = []
    keys: list[str] = []
    value: Any

    while True:
        # ---- parse one value starting at s[i] (whitespace already skipped)
        c = s[i] if i < n else ""
        if c == '"':
            m = str_match(s, i)
            if m is not None:
                value = m.group(1)
                i = m.end()
            else:
                try:
                    value, i = scan(s, i + 1, False)
                except JSONDecodeError as exc:
                    raise _string_error(s, exc, i) from None
        elif c == "{":
            obj = new_dict(PDict)
            obj.start = i
            obj.key_pos = kpos = {}
            obj.src = src
            i = ws(s, i + 1).end()
            if s.startswith("}", i):
                value = obj
                i += 1
            else:
                m = key_match(s, i)
                if m is not None:
                    key = m.group(1)
                    kpos[key] = i
                    i = m.end()
                else:
                    kstart = i
                    key, i = _scan_key(s, i)
                    kpos[key] = kstart
                stack.append(obj)
                keys.append(key)
                continue
        elif c == "[":
            arr = new_list(PList)
            arr.start = i
            arr.item_pos = []
            arr.src = src
            i = ws(s, i + 1).end()
            if s.startswith("]", i):
                value = arr
                i += 1
            else:
                arr.item_pos.append(i)
                stack.append(arr)
                continue
        else:
            m = num_match(s, i)
            if m is not None:
                frac, exp = m.groups()
                if frac is None and exp is None:
                    try:
                        value = int(m.group())
                    except ValueError:  # beyond sys.get_int_max_str_digits()
                        raise _error(s, i, "number has too many digits") from None
                else:
                    value = float(m.group())
                i = m.end()
            elif c == "t" and s.startswith("true", i):
                value = True
                i += 4
            elif c == "f" and s.startswith("false", i):
                value = False
                i += 5
            elif c == "n" and s.startswith("null", i):
                value = None
                i += 4
            else:
                raise _value_error(s, i)

        # ---- a value is complete: store it, then close containers until one
        # continues with another member (break) or the document ends (return).
        while True:
            if not stack:
                i = ws(s, i).end()
                if i < n:
                    if s.startswith("/*", i):
                        raise _error(s, i, "unterminated block comment")
                    raise _error(s, i, "unexpected data after the end of the JSON document")
                return value
            top = stack[-1]
            if type(top) is PDict:
                top[keys[-1]] = value
                m = obj_next(s, i)
                if m is not None:
                    key = m.group(1)
                    if key is not None:
                        top.key_pos[key] = m.start(1) - 1
                        keys[-1] = key
                        i = m.end()
                        break
                    # "}" closes this object; it becomes the value for the parent.
                    stack.pop()
                    keys.pop()
                    value = top
                    i = m.end()
                    continue
                # Slow path: escaped key, comment in an odd place, or an error.
                i = ws(s, i).end()
                if s.startswith("}", i):
                    stack.pop()
                    keys.pop()
                    value = top
                    i += 1
                    continue
                if not s.startswith(",", i):
                    raise _fail(s, i, "expected ',' or '}' after object member")
                comma = i
                i = ws(s, i + 1).end()
                if s.startswith("}", i):
                    raise _error(s, comma, "trailing comma before '}' is not allowed")
                kstart = i
                key, i = _scan_key(s, i)
                top.key_pos[key] = kstart
                keys[-1] = key
                break
            else:
                top.append(value)
                m = arr_next(s, i)
                if m is not None:
                    if m.group(1) is not None:
                        i = m.end()
                        top.item_pos.append(i)
                        break
                    stack.pop()
                    value = top
                    i = m.end()
                    continue
                i = ws(s, i).end()
                if s.startswith("]", i):
                    stack.pop()
                    value = top
                    i += 1
                    continue
                if not s.startswith(",", i):
                    raise _fail(s, i, "expected ',' or ']' after array element")
                comma = i
                i = ws(s, i + 1).end()
                if s.startswith("]", i):
                    raise _error(s, comma, "trailing comma before ']' is not allowed")
                top.item_pos.append(i)
                break


# --------------------------------------------------------------------------- copies


def clone(doc: object, src: object | None) -> object:
    """A parsed document again, for another file with the very same text: every object and array
    copied with ``src`` as its file, the positions shared (they are offsets into the same text, and
    nothing changes a position table once parsed), strings and numbers shared (immutable). Equal to
    what :func:`loads` returns for that text with that ``src``, at a fraction of the cost (no
    scanning). Iterative, like the parser: a 100,000-deep document is copied as it was parsed."""
    if not isinstance(doc, PDict | PList):
        return doc
    root = _copy_shell(doc, src)
    stack: list[tuple[Any, Any]] = [(doc, root)]
    while stack:
        original, copy = stack.pop()
        if type(original) is PDict:
            for key, value in original.items():
                if isinstance(value, PDict | PList):
                    child = _copy_shell(value, src)
                    stack.append((value, child))
                    value = child
                copy[key] = value
        else:
            for value in original:
                if isinstance(value, PDict | PList):
                    child = _copy_shell(value, src)
                    stack.append((value, child))
                    value = child
                copy.append(value)
    return root


def _copy_shell(node: PDict | PList, src: object | None) -> Any:
    if isinstance(node, PDict):
        out: Any = _new_dict(PDict)
        out.key_pos = node.key_pos
    else:
        out = _new_list(PList)
        out.item_pos = node.item_pos
    out.start = node.start
    out.src = src
    return out
