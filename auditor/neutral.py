"""Untrusted text made safe for each output sink.

Resource names, file names, expression text and Azure answers come from whoever
wrote the pull request (or the subscription). Printed raw, a name carrying
``\\n::error file=…::`` becomes a GitHub workflow command, ``##vso[task.setvariable
…]`` an Azure Pipelines one, an ANSI escape repaints the terminal, a bidi override
reorders what a reviewer reads, ``[text](https://…)`` or ``@someone`` in a step
summary becomes a link or a notification, and a lone surrogate (``"\\ud800"`` is
valid JSON) kills the process at the first ``.encode()``.

Each sink has one function here; renderers call it on every untrusted string
they write (never on the text auditor itself composes around it):

* :func:`printable`: the minimum every sink needs: lone surrogates escaped, so
  the text encodes as UTF-8 anywhere. Also right for JSON text from
  ``json.dumps(..., ensure_ascii=False)``: a surrogate can only stand inside a
  string literal there, and its escape is the JSON escape, so a parser reads
  back the exact value.
* :func:`terminal`: text output, stderr warnings and CLI errors. Control,
  invisible and bidi characters are shown as escapes (``\\n``, ``\\x1b``,
  ``\\u202e``), so untrusted text can never start a new line, and the CI command
  markers it could still carry on the current line (``::`` at its start,
  ``##vso[`` / ``##[`` anywhere) are broken with a visible escape.
* :func:`markdown_text` and :func:`markdown_code`: GitHub-flavoured Markdown
  (step summaries, pull-request comments): nothing renders as a link, image,
  autolink, mention, issue reference, HTML or a broken table.
* :func:`sarif_text`: SARIF ``message.text``, where ``[text](id)`` is an
  embedded link (SARIF 2.1.0 §3.11.6).
* :func:`workflow_data` / :func:`workflow_property`: the message and the
  property values of a GitHub workflow command (``::error file=…::message``).
* :func:`azure_value`: the message and property values of an Azure Pipelines
  logging command (``##vso[task.logissue …]message``).
"""

from __future__ import annotations

import re
import unicodedata

from auditor import lazyre

__all__ = [
    "azure_value",
    "markdown_code",
    "markdown_text",
    "printable",
    "sarif_text",
    "terminal",
    "workflow_data",
    "workflow_property",
]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Categories never shown raw: controls (C0, C1, DEL), format characters (bidi overrides, zero-width
# joiners, BOM), line/paragraph separators, surrogates, private use, unassigned code points.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt). Most are Cf and caught above;
# the rest (variation selectors, the combining grapheme joiner, Hangul fillers…) are "printable" but
# invisible, and .NET's culture-sensitive StartsWith/IndexOf (which the runners' command parsers have
# used) skip them: "\ufe0f::error::x" could still start with "::" for such a parser.
_IGNORABLE = lazyre.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
_SURROGATE = lazyre.compile("[\ud800-\udfff]")
_CI_MARKER = lazyre.compile(r"##(?=vso\[|\[)", re.IGNORECASE)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _unsafe(char: str) -> bool:
    if char == " ":
        return False
    return (
        not char.isprintable()
        or unicodedata.category(char) in _UNSAFE_CATEGORIES
        or _IGNORABLE.match(char) is not None
    )


def _visible(text: str) -> str:
    """Every control, invisible, bidi and unencodable character of ``text`` as a visible escape."""
    if text.isascii() and text.isprintable():
        return text  # the common case, without a per-character walk
    return "".join(_escape(c) if _unsafe(c) else c for c in text)


def printable(text: str) -> str:
    """``text`` with lone surrogates escaped (``\\ud800``), so it encodes as UTF-8 in every sink."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: _escape(m.group()), text)


def terminal(text: str) -> str:
    """``text`` safe to print on a terminal or into a CI log, on one line.

    The GitHub runner takes a line as a command when it starts with ``::`` after
    leading whitespace (``TrimStart``), or (its v1 syntax) contains ``##[``
    anywhere; the Azure Pipelines agent when it contains ``##vso[`` anywhere.
    Lines end at CR or LF for both. After :func:`_visible` no CR, LF or other
    whitespace but the space is left, so only the space can precede ``::``.
    """
    if text.isascii() and text.isprintable() and "##" not in text and not text.lstrip().startswith("::"):
        return text  # the common case
    out = _CI_MARKER.sub("#\\\\x23", _visible(text))
    stripped = out.lstrip(" ")
    if stripped.startswith("::"):
        out = out[: len(out) - len(stripped)] + "\\x3a" + stripped[1:]
    return out


# ---------------------------------------------------------------- Markdown

# What GitHub turns into a link or a notification inside plain text, so it must end up in a code span:
# URLs with a scheme and www. autolinks (GFM "extended autolinks"), @user / @org/team mentions and
# e-mail addresses, #123 / owner/repo#123 / GH-123 issue references. The scheme and the e-mail local
# part start only where their character run starts (the look-behinds): without them each position of
# a long run of letters would rescan the rest of it, quadratic in a 100 kB name from a pull request.
_MD_LIVE = lazyre.compile(
    r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*:/{2}[^\s<>`|]*"
    r"|(?<![\w.])www\.[^\s<>`|]*"
    r"|(?<!\w)(?:mailto|xmpp):[^\s<>`|]+"
    r"|(?<![\w.+\-])[\w.+\-]*@[\w\-]+(?:[./][\w\-]+)*"
    r"|#\d+"
    r"|\bGH-\d+",
    re.IGNORECASE,
)
# Backslash escapes (CommonMark: any ASCII punctuation may be escaped): code spans, emphasis,
# strikethrough, link and image brackets, table pipes, math. <, > and & become entities.
_MD_SPECIAL = lazyre.compile(r"[\\`*_~\[\]|$<>&]")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_BACKTICKS = lazyre.compile("`+")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: _MD_ENTITIES.get(m.group(), "\\" + m.group()), text)


def markdown_code(text: str) -> str:
    """``text`` as one Markdown code span, safe in a GFM table cell.

    Nothing inside a code span is markup (no link, image, autolink, HTML, and
    GitHub does not look for mentions or references in code), so this only has to
    make the span itself hold: the fence is one backtick longer than the longest
    run in the text, padded with a space when the text starts or ends with a
    backtick (CommonMark 6.1 strips one space each side again); ``|`` is written
    ``\\|``, which GFM's table parser turns back into ``|`` even inside code; and
    control characters (a line break would end the table row) are shown escaped.
    """
    value = _visible(text).replace("|", "\\|")
    if not value:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(value)), default=0) + 1)
    pad = value[0] == "`" or value[-1] == "`" or (value[0] == " " and value[-1] == " ")
    space = " " if pad else ""
    return f"{fence}{space}{value}{space}{fence}"


def markdown_text(text: str) -> str:
    """``text`` as inline Markdown that renders as exactly that text (in a table cell or after other text).

    Punctuation that could start markup is backslash-escaped (``[``, ``]``,
    backticks, ``*``, ``_``, ``~``, ``|``, ``$``, ``\\``), ``<``, ``>`` and ``&``
    become entities (no HTML tag, no ``<http://…>`` autolink). Escapes do not stop
    what GitHub links in rendered *text* (bare URLs, ``www.``, ``@mentions``,
    ``#123``), so those pieces go into code spans (:func:`markdown_code`). Control
    and invisible characters are shown escaped, so a line break cannot end a
    table row or a paragraph. Not for the start of a line (a leading ``#`` or
    ``-`` would still be a heading or a list item).
    """
    value = _visible(text)
    out: list[str] = []
    pos = 0
    for match in _MD_LIVE.finditer(value):
        out.append(_md_escape(value[pos : match.start()]))
        out.append(markdown_code(match.group()))
        pos = match.end()
    out.append(_md_escape(value[pos:]))
    return "".join(out)


# ---------------------------------------------------------------- SARIF

_SARIF_BRACKET = lazyre.compile(r"(\\*)([\[\]])")


def sarif_text(text: str) -> str:
    """``text`` for a SARIF plain-text message (``message.text``).

    SARIF 2.1.0 §3.11.6: ``[link text](id)`` in a plain-text message is an
    embedded link to a location or a URI, which viewers (GitHub code scanning
    among them) render as a link; literal ``[`` and ``]`` are written ``\\[`` and
    ``\\]``, and a backslash before them is doubled so it stays a backslash.
    Other backslashes (Windows paths) are left as they are. Lone surrogates are
    escaped (:func:`printable`).
    """
    return _SARIF_BRACKET.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), printable(text))


# ---------------------------------------------------------------- CI logging commands


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command (after the second ``::``).

    The runner (``ActionCommand.UnescapeData``) decodes ``%0D``, ``%0A`` and
    ``%25``; CR and LF must not stand raw, or the rest of the message becomes a
    line of its own, and a new command. The runner parses one command per line
    and takes everything after the separator as the message, so ``::`` or
    ``##[`` later in it are data. Lone surrogates are escaped (:func:`printable`).
    """
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a GitHub workflow command (``file=…``, ``title=…``).

    As :func:`workflow_data`, plus ``:`` (``%3A``: a ``::`` would end the
    properties) and ``,`` (``%2C``: it separates properties), as the runner's
    ``UnescapeProperty`` expects.
    """
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def azure_value(text: str) -> str:
    """The message or a property value of an Azure Pipelines logging command (``##vso[area.event …]…``).

    The agent decodes ``%3B`` (``;`` separates properties), ``%0D``, ``%0A`` and
    ``%5D`` (``]`` ends the properties), then ``%AZP25`` for ``%``
    (``CommandStringConvertor``). It takes the first ``##vso[`` of a line as the
    command, so a second one in the message is data. Lone surrogates are escaped
    (:func:`printable`).
    """
    return (
        printable(text)
        .replace("%", "%AZP25")
        .replace(";", "%3B")
        .replace("]", "%5D")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )
