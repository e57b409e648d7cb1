"""Valid Bicep the grammar does not parse, rewritten byte for byte into Bicep it does, for parsing only.

tree-sitter-bicep 1.1 (the newest release) predates parts of current Bicep, and valid Bicep must never be
reported as a syntax error (SRC002 blocks a pull request). Measured on 2,429 ``.bicep`` files of two
public libraries that build with the Bicep CLI, these were the causes, each rewritten here:

* ``//`` or ``/*`` at the start of a string's content is lexed as a comment (``path: '/*'`` swallows the
  file up to the next ``*/``): every ``/`` inside a string is masked;
* types the grammar does not know: ``resourceInput<'T@v'>.properties.x``, nullable ``lockType?``, inline
  object types, typed variables ``var x string = …``, whole ``type`` declarations: replaced by a plain
  type (``object``, ``array``, ``string``) or blanked (a type never changes a value);
* the non-null assertion ``x!``: blanked (it changes no value either);
* a ternary whose ``?`` or ``:`` starts a line, and an ``import { a \\n b }`` list over several lines:
  the line breaks are read as spaces (or commas);
* the spread ``...x``: in an object written ``__:x``, in an array blanked; :mod:`.translate` reads both
  back as spreads from the original text;
* an ``extension`` statement (Microsoft Graph and other extensibility providers): blanked, as auditor reads
  no resource of an extension.

Every rewrite keeps the length, so every position of the tree is a position of the original text, and
what a node *says* is always read from the original text, never from these bytes.
"""

from __future__ import annotations

import re

_SLASH, _STAR, _QUOTE, _BACKSLASH = 0x2F, 0x2A, 0x27, 0x5C
_DOLLAR, _OPEN, _CLOSE, _NEWLINE, _MASK = 0x24, 0x7B, 0x7D, 0x0A, 0x5F
_SIMPLE_TYPES = frozenset({b"string", b"int", b"bool", b"object", b"array", b"any"})

_RESOURCE_TYPE = re.compile(rb"resource(?:Input|Output)<'[^'\n]*'>(?:\.[A-Za-z_][A-Za-z0-9_]*)*\??")
_DECLARATION = re.compile(rb"(?m)^[ \t]*(param|output)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]+")
_TYPED_VARIABLE = re.compile(
    rb"(?m)^([ \t]*var[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]+)([A-Za-z_][A-Za-z0-9_.]*(?:\[\])?\??)(?=[ \t]*=)"
)
_TYPE_DECLARATION = re.compile(rb"(?m)^[ \t]*type[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*=[ \t]*")
_NON_NULL = re.compile(rb"(?<=[A-Za-z0-9_)\]])!(?!=)")
_CONTINUATION = re.compile(rb"\n(?=[ \t]*[?:][^:])")
_IMPORT = re.compile(rb"(?m)^[ \t]*import[ \t]*\{")
_EXTENSION = re.compile(rb"(?m)^[ \t]*extension[ \t]+")
_SPREAD = re.compile(rb"\.\.\.(?=[ \t]*[A-Za-z_(\[{])")


def normalize(data: bytes) -> bytes:
    """``data`` rewritten (same length) so the grammar parses what current Bicep accepts."""
    out = bytearray(data)
    code = _code_mask(data, out)
    text = bytes(out)
    for match in _RESOURCE_TYPE.finditer(text):
        if code[match.start()]:
            _replace(out, match.start(), match.end(), b"object")
    for match in _TYPE_DECLARATION.finditer(text):
        if code[match.start()]:
            end = _expression_end(text, match.end(), code)
            _replace(out, match.end(), end, b"object")
    for match in _EXTENSION.finditer(text):
        if code[match.start()]:
            _replace(out, match.start(), _expression_end(text, match.end(), code), b"")
    text = bytes(out)
    for match in _DECLARATION.finditer(text):
        if code[match.end() - 1]:
            _declared_type(out, text, match.end(), code, output=match.group(1) == b"output")
    for match in _TYPED_VARIABLE.finditer(text):
        if code[match.start(2)]:
            _replace(out, match.start(2), match.end(2), b"")
    for match in _NON_NULL.finditer(text):
        if code[match.start()]:
            out[match.start()] = 0x20
    for match in _SPREAD.finditer(text):
        if code[match.start()]:
            in_array = _enclosing_bracket(text, match.start(), code) == ord("[")
            out[match.start() : match.start() + 3] = b"   " if in_array else b"__:"
    for match in _IMPORT.finditer(text):
        if code[match.end() - 1]:
            _one_line_list(out, match.end() - 1)
    text = bytes(out)
    for match in _CONTINUATION.finditer(text):
        if code[match.start()]:
            _blank_trailing_comment(out, match.start())
            out[match.start()] = 0x20
    return bytes(out)


def nullable_parameters(data: bytes) -> frozenset[int]:
    """Byte offsets where the type of each ``param x T?`` starts: the parameters :func:`normalize` lost the
    ``?`` of, which ``bicep build`` writes as ``"nullable": true`` (so an unsupplied one is null)."""
    code = _code_mask(data, bytearray(data))
    found: set[int] = set()
    for match in _DECLARATION.finditer(data):
        start = match.end()
        if match.group(1) != b"param" or not code[start - 1]:
            continue
        end = _expression_end(data, start, code)
        last = next((j for j in range(end - 1, start - 1, -1) if code[j] and data[j] not in b" \t\r\n"), -1)
        if last >= 0 and data[last] == ord("?"):
            found.add(start)
    return frozenset(found)


_SPECIAL = re.compile(rb"[\\'/{}$\n]")


def unterminated_string(data: bytes) -> int | None:
    """The byte offset of the first ``'…`` string that a line break ends before its quote (None: none)."""
    found = [-1]
    _code_mask(data, bytearray(data), found)
    return found[0] if found[0] >= 0 else None


def _code_mask(data: bytes, out: bytearray, unterminated: list[int] | None = None) -> bytearray:
    """1 for each byte of code (not in a string or comment); masks ``/`` inside strings in ``out``.

    Jumps from one character that can change the state (a quote, a slash, a brace, ``$``, a backslash)
    to the next, so the cost is in those characters, not in every byte.
    """
    n = len(data)
    code = bytearray(b"\x01") * n
    depths: list[int] = []  # one entry per open interpolation: its brace depth
    in_string = False
    string_start = 0
    search = _SPECIAL.search
    i = 0
    while True:
        match = search(data, i)
        if match is None:
            if in_string:
                code[string_start:n] = bytes(n - string_start)
            break
        i = match.start()
        b = data[i]
        if in_string:
            if b == _NEWLINE:  # a '…' string cannot hold a line break: Bicep rejects it (BCP004)
                if unterminated is not None and unterminated[0] < 0:
                    unterminated[0] = string_start
                in_string = False
                depths.clear()
                i += 1
                continue
            if b == _BACKSLASH:
                i += 2
                continue
            if b == _QUOTE:
                code[string_start : i + 1] = bytes(i + 1 - string_start)
                in_string = False
            elif b == _SLASH:
                out[i] = _MASK
            elif b == _DOLLAR and i + 1 < n and data[i + 1] == _OPEN:
                code[string_start:i] = bytes(i - string_start)
                depths.append(0)
                in_string = False
                i += 2
                continue
            i += 1
            continue
        if b == _SLASH and i + 1 < n and data[i + 1] in (_SLASH, _STAR):
            end = data.find(b"\n", i) if data[i + 1] == _SLASH else data.find(b"*/", i + 2)
            stop = n if end < 0 else (end if data[i + 1] == _SLASH else end + 2)
            code[i:stop] = bytes(stop - i)
            i = stop
            continue
        if b == _QUOTE:
            if data.startswith(b"'''", i):  # a multi-line string: no escapes, no interpolation
                end = data.find(b"'''", i + 3)
                stop = n if end < 0 else end + 3
                code[i:stop] = bytes(stop - i)
                out[i:stop] = out[i:stop].replace(b"/", b"_")
                i = stop
                continue
            in_string = True
            string_start = i
        elif depths and b == _OPEN:
            depths[-1] += 1
        elif depths and b == _CLOSE:
            if depths[-1] == 0:
                depths.pop()
                in_string = True
                string_start = i
            else:
                depths[-1] -= 1
        i += 1
    return code


def _enclosing_bracket(text: bytes, at: int, code: bytearray) -> int:
    """The innermost ``{`` or ``[`` still open at ``at`` (0 when none)."""
    depth = 0
    for i in range(at - 1, -1, -1):
        if not code[i]:
            continue
        b = text[i]
        if b in b"}])":
            depth += 1
        elif b in b"{[(":
            if depth == 0:
                return b
            depth -= 1
    return 0


def _replace(out: bytearray, start: int, end: int, word: bytes) -> None:
    """``out[start:end]`` → ``word`` padded with spaces (line breaks kept)."""
    if end - start < len(word):
        return
    for j in range(start, end):
        if out[j] != _NEWLINE:
            out[j] = 0x20
    out[start : start + len(word)] = word


def _expression_end(text: bytes, start: int, code: bytearray) -> int:
    """Where an expression (a type) that starts at ``start`` ends: a line break outside brackets, unless
    the next line goes on with ``|``."""
    depth = 0
    i, n = start, len(text)
    while i < n:
        b = text[i]
        if code[i]:
            if b in b"{[(":
                depth += 1
            elif b in b"}])":
                if depth == 0:
                    return i
                depth -= 1
            elif b == _NEWLINE and depth == 0:
                rest = text[i + 1 : i + 200].lstrip(b" \t")
                if not rest.startswith(b"|"):
                    return i
            elif b == ord("=") and depth == 0 and text[i + 1 : i + 2] != b"=":
                return i
        i += 1
    return n


def _declared_type(out: bytearray, text: bytes, start: int, code: bytearray, output: bool) -> None:
    """The type of ``param x <type>``/``output x <type>``: a plain one stays; ``t?`` loses its ``?``;
    anything else becomes ``object``, ``array`` or ``string`` (what the translator reads a type as)."""
    end = _expression_end(text, start, code)
    span = text[start:end].rstrip()
    if output and span.startswith(b"resource"):  # ``output x resource 'T@v' = …``: the grammar knows it
        return
    stop = start + len(span)
    bare = span.rstrip(b"?")
    if bare in _SIMPLE_TYPES or re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*", bare):
        for j in range(start + len(bare), stop):
            out[j] = 0x20
        return
    if re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*(\[\])+\??", span):
        if span.endswith(b"?"):
            out[stop - 1] = 0x20
        return
    word = b"array" if bare.endswith(b"]") and not bare.startswith(b"{") else b"object"
    if bare.startswith((b"'", b"(")) and b"{" not in bare:
        word = b"string"
    _replace(out, start, stop, word)


def _one_line_list(out: bytearray, brace: int) -> None:
    """``import {\\n  a\\n  b\\n} from …`` → ``import { a,b } from …`` (same length)."""
    end = out.find(b"}", brace)
    if end < 0:
        return
    inner = out[brace + 1 : end]
    if b"\n" not in inner:
        return
    lines = inner.split(b"\n")
    rebuilt = bytearray()
    for k, line in enumerate(lines):
        rebuilt += line
        if k < len(lines) - 1:
            before = any(x.strip(b" \t,") for x in lines[: k + 1]) and not line.rstrip().endswith(b",")
            after = any(x.strip(b" \t,") for x in lines[k + 1 :])
            rebuilt += b"," if before and after and line.strip() else b" "
    out[brace + 1 : end] = rebuilt


def _blank_trailing_comment(out: bytearray, newline: int) -> None:
    """Blank a ``//`` comment that ends the line ending at ``newline`` (``out`` is masked: a ``//`` left
    in it is a comment), so the line can be joined with the next."""
    start = out.rfind(b"\n", 0, newline) + 1
    at = out.find(b"//", start, newline)
    if at >= 0:
        out[at:newline] = b" " * (newline - at)
