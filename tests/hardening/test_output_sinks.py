"""Output neutralisation: hostile names reach every format as text, never as a command, link or crash.

Issue 9 (scope 5 and the output part of 2). A template written here names its Logic App, trigger,
connection key and automation with the attacker's strings (CR/LF + ``::error``, ``##vso[…]``, ANSI,
a bidi override, a lone surrogate, backticks, a Markdown link and image, an ``@mention``, an HTML tag,
a pipe), and its *file* is named ``x\\n::error::y ##vso[…]…json``; a second copy has a file name that is
not UTF-8. One real ``auditor scan`` writes all seven formats, and each is read the way its consumer
reads it: the CI runners' command parsers (GitHub's ``ActionCommand``, the Azure agent's ``Command``),
a CommonMark/GFM parser (markdown-it-py), the SARIF validator, ``json.loads``, a browser.

Before the fix the run died at the first fingerprint (``UnicodeEncodeError``, exit 2); with the
surrogate gone, the text format printed a line starting ``::error file=a::owned``, Markdown cells kept
the link, image and mention live, and SARIF messages kept ``[a](https://evil)`` as an embedded link.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from auditor import neutral
from auditor.cli import main
from auditor.findings import Location, Rule, Severity
from auditor.reports import FORMATS
from conftest import SHARED

HOSTILE = (
    "x\r\n::error file=a::owned",
    "##vso[task.setvariable variable=x]y",
    "\x1b[2J",
    "\u202e",
    "\ud800",
    "`b``",
    "[a](https://evil)",
    "![i](https://evil/x.png)",
    "@octocat",
    "<img src=x onerror=alert(1)>",
    "|",
)
H = " ".join(HOSTILE)
FILE_NAME = "x\n::error::y ##vso[task.complete]`[a](evil)` @octocat |.json"
BAD_BYTES_NAME = b"bad-\xff.json"  # not UTF-8: Python reads it as 'bad-\udcff.json'
LA = "la-" + H
VALIDATOR = SHARED / "tools" / "sarif-validate"

# What a reader sees of a control or invisible character after neutralisation (the ones used above).
SHOWN = {
    "\r": "\\r",
    "\n": "\\n",
    "\x1b": "\\x1b",
    "\u202e": "\\u202e",
    **{chr(code): f"\\u{code:04x}" for code in (0xD800, 0xDCFF)},  # lone surrogates
}
# C# Char.IsWhiteSpace and Unicode's default-ignorable code points: what the runners' TrimStart and
# culture-sensitive StartsWith/IndexOf may skip before matching "::" or "##[".
_SKIPPED = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    r"\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)


def shown(text: str) -> str:
    return "".join(SHOWN.get(c, c) for c in text)


def log_lines(text: str) -> list[str]:
    """Lines as the runner and the agent read them (.NET ``ReadLine``: CR, LF or CRLF ends a line)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def a_command_for_a_runner(line: str) -> bool:
    """Would GitHub's runner or Azure's agent take this line as a command?"""
    bare = _SKIPPED.sub("", line)
    return bare.startswith("::") or "##[" in bare or "##vso[" in bare.lower()


def template() -> dict[str, Any]:
    """A Logic App, its trigger and connection key, and an automation, all named with HOSTILE."""
    trigger, key, automation = "trg-" + H, "key-" + H, "auto-" + H
    definition = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
        "triggers": {
            trigger: {
                "type": "ApiConnectionWebhook",
                "inputs": {
                    "host": {
                        "connection": {"name": "@parameters('$connections')['" + key + "']['connectionId']"}
                    },
                    "body": {"callback_url": "@{listCallbackUrl()}"},
                    "path": "/Microsoft.Security/Alert/subscribe",
                },
            }
        },
        "actions": {},
        "outputs": {},
    }
    action = {
        "actionType": "LogicApp",
        "logicAppResourceId": f"[resourceId('Microsoft.Logic/workflows', '{LA}')]",
        "uri": f"[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', '{LA}', '{trigger}'), '2019-05-01').value]",
    }
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Logic/workflows",
                "apiVersion": "2019-05-01",
                "name": LA,
                "location": "westeurope",
                "properties": {"state": "Enabled", "definition": definition},
            },
            {
                "type": "Microsoft.Security/automations",
                "apiVersion": "2019-01-01-preview",
                "name": automation,
                "location": "westeurope",
                "properties": {
                    "isEnabled": True,
                    "scopes": [{"description": "subscription", "scopePath": "[subscription().id]"}],
                    "sources": [{"eventSource": "Alerts"}],
                    "actions": [action],
                },
            },
        ],
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One scan of the hostile repository, every format written with ``-o FORMAT:FILE``."""
    root = tmp_path_factory.mktemp("sinks")
    repo = root / "repo"
    repo.mkdir()
    text = json.dumps(template(), indent=2)  # ASCII: the surrogate is the JSON escape "\ud800"
    (repo / FILE_NAME).write_text(text, encoding="utf-8")
    with open(os.path.join(os.fsencode(repo), BAD_BYTES_NAME), "w", encoding="utf-8") as handle:
        handle.write(text)
    files = {fmt: root / f"report.{fmt}" for fmt in FORMATS}
    args = ["scan", str(repo), "--root", str(repo)]
    for fmt, path in files.items():
        args += ["-o", f"{fmt}:{path}"]
    code = main(args)
    assert code == 1, f"auditor scan exited {code}"  # findings, not an internal error (exit 2)
    raw = {fmt: path.read_bytes() for fmt, path in files.items()}
    out: dict[str, Any] = {fmt: data.decode("utf-8") for fmt, data in raw.items()}  # strict: valid UTF-8
    out["paths"] = files
    out["doc"] = json.loads(out["json"])
    return out


def active(outputs: dict[str, Any]) -> list[dict[str, Any]]:
    found = [f for f in outputs["doc"]["findings"] if f["suppression"] is None]
    assert len(found) >= 4  # LA103 and two SRC003 per file at least
    return found


# ---------------------------------------------------------------- the scan's own sinks


def test_every_format_is_written(outputs: dict[str, Any]) -> None:
    assert set(FORMATS) <= set(outputs)


def test_json_keeps_the_exact_values(outputs: dict[str, Any]) -> None:
    findings = active(outputs)
    resources = {f["resource"] for f in findings}
    assert "Microsoft.Logic/workflows/" + LA in resources  # the raw name, lone surrogate included
    paths = {os.path.basename(f["path"]) for f in findings}
    assert paths == {FILE_NAME, os.fsdecode(BAD_BYTES_NAME)}
    assert all(re.fullmatch(r"[0-9a-f]{32}", f["fingerprint"]) for f in findings)
    assert any("'trg-" + H + "'" in f["message"] for f in findings)
    again = neutral.printable(json.dumps(outputs["doc"], ensure_ascii=False))
    assert json.loads(again) == outputs["doc"]


def test_text_has_no_line_a_runner_takes_as_a_command(outputs: dict[str, Any]) -> None:
    text: str = outputs["text"]
    for line in log_lines(text):
        assert not a_command_for_a_runner(line), line
    assert "\x1b" not in text and "\u202e" not in text  # no colour in a file, no raw escape or bidi
    assert shown("x\r\n::error file=a::owned") in text
    assert "\\x1b[2J" in text and "\\u202e" in text and "\\ud800" in text
    finding_lines = [ln for ln in log_lines(text) if re.search(r":\d+:\d+ [A-Z]+\d{3} \[[a-z]+\] ", ln)]
    assert len(finding_lines) == len(active(outputs))  # one line per finding: nothing split it


def test_github_commands_are_one_per_finding_and_decode_to_the_text(outputs: dict[str, Any]) -> None:
    lines = log_lines(outputs["github"])
    findings = active(outputs)
    assert len(lines) == len(findings)
    for line, f in zip(lines, findings, strict=True):
        # ActionCommand.TryParseV2: "::" after TrimStart, then the first "::" ends the properties.
        match = re.fullmatch(r"::(error|warning|notice) ([^:]*)::(.*)", line, re.S)
        assert match, line
        props = dict(p.split("=", 1) for p in match.group(2).split(","))
        data = match.group(3).replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        assert data == neutral.printable(f"{f['message']} [{f['resource']}]")

        def prop(value: str) -> str:
            for token, escape in (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")):
                value = value.replace(escape, token)
            return value

        assert prop(props["file"]) == neutral.printable(f["path"])
        assert props["line"] == str(f["line"])


def test_azure_commands_are_one_per_finding_and_decode_to_the_text(outputs: dict[str, Any]) -> None:
    lines = log_lines(outputs["azure"])
    findings = active(outputs)
    assert len(lines) == len(findings) + 1
    assert re.fullmatch(r"##vso\[task\.complete result=Failed;\]auditor: \d+ findings", lines[-1])

    def unescape(value: str) -> str:  # CommandStringConvertor.Unescape, percents decoded
        for token, escape in ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")):
            value = value.replace(escape, token)
        return value.replace("%AZP25", "%")

    for line, f in zip(lines[:-1], findings, strict=True):
        assert line.index("##vso[") == 0  # the agent takes the first prefix of a line: auditor's
        command, data = line[len("##vso[") :].split("]", 1)
        name, _, properties = command.partition(" ")
        assert name == "task.logissue"
        props = dict(p.split("=", 1) for p in properties.split(";"))
        assert props["code"] == f["rule"]
        assert unescape(props["sourcepath"]) == neutral.printable(f["path"])
        assert unescape(data) == neutral.printable(f"{f['rule']}: {f['message']}")


def _inline_tokens(tokens: list[Any]) -> list[Any]:
    out: list[Any] = []
    for token in tokens:
        out.append(token)
        out.extend(_inline_tokens(token.children or []))
    return out


LIVE_IN_TEXT = re.compile(r"://|www\.|@\w|#\d", re.I)  # what GitHub autolinks or notifies in plain text


def _assert_inert(tokens: list[Any]) -> None:
    for token in _inline_tokens(tokens):
        assert token.type not in ("link_open", "image", "html_inline", "html_block"), token
        if token.type == "text":
            assert not LIVE_IN_TEXT.search(token.content), token.content


def test_markdown_renders_no_link_image_mention_or_html(outputs: dict[str, Any]) -> None:
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed")
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    rows: list[list[str]] = []
    in_body = False
    for token in md.parse(outputs["markdown"]):
        if token.type in ("tbody_open", "tbody_close"):
            in_body = token.type == "tbody_open"
        elif in_body and token.type == "tr_open":
            rows.append([])
        elif in_body and token.type == "inline":
            if len(rows[-1]) != 1:  # the rule column is auditor's own link to its documentation
                _assert_inert([token])
            rows[-1].append(
                "".join(t.content for t in token.children or [] if t.type in ("text", "code_inline"))
            )
        elif token.type == "inline":
            _assert_inert([token])
    findings = active(outputs)
    table = [r for r in rows if len(r) == 4]
    assert len(table) == len(findings)  # one row per finding, four cells each: nothing broke the table
    # The cells read exactly as the values, control characters shown escaped: nothing was lost either.
    expected = {(f"{f['path']}:{f['line']}", f["message"]) for f in findings}
    assert {(r[2], r[3]) for r in table} == {(shown(p), shown(m)) for p, m in expected}


def test_sarif_is_valid_and_its_messages_hold_no_embedded_link(outputs: dict[str, Any]) -> None:
    log = json.loads(outputs["sarif"])
    results = log["runs"][0]["results"]
    findings = outputs["doc"]["findings"]
    assert [r["ruleId"] for r in results] == [f["rule"] for f in findings]
    for result, f in zip(results, findings, strict=True):
        text = result["message"]["text"]
        # SARIF 2.1.0 §3.11.6: every bracket escaped (an odd run of backslashes before it).
        for match in re.finditer(r"(\\*)[\[\]]", text):
            assert len(match.group(1)) % 2 == 1, text
        unescaped = re.sub(r"\\([\\\[\]])", r"\1", text)
        assert unescaped.rstrip(".") == neutral.printable(f["message"]).rstrip(".")
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["auditorFingerprint/v1"])
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {
        "bad-%FF.json",
        "x%0A%3A%3Aerror%3A%3Ay%20%23%23vso%5Btask.complete%5D%60%5Ba%5D%28evil%29%60%20%40octocat%20%7C.json",
    }
    _validate(outputs["paths"]["sarif"])


def _validate(path: Path) -> None:
    if not VALIDATOR.exists():
        pytest.skip(f"SARIF validator not found at {VALIDATOR}")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("sarif-validate needs node >= 18 and npm")
    proc = subprocess.run(
        ["bash", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=900, check=False
    )
    report = proc.stdout + proc.stderr
    if proc.returncode == 2 and re.search(r"is required|npm install failed", report):
        pytest.skip(f"sarif-validate could not install its tools: {report.strip()[-500:]}")
    assert proc.returncode == 0, report


def test_html_shows_the_names_as_text(outputs: dict[str, Any]) -> None:
    html: str = outputs["html"]
    assert not re.search(r"<img\b", html, re.I)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\ud800" in html  # the lone surrogate, shown escaped
    assert re.search(r"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';", html)
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert data is not None
    rows = json.loads(data.group(1))["rows"]
    assert {r["resource"] for r in rows} >= {"Microsoft.Logic/workflows/" + LA}  # the exact value again


# ---------------------------------------------------------------- the functions, one by one


def test_terminal_breaks_every_command_marker() -> None:
    cases = [*HOSTILE, H, " ::error::x", "\t::error::x", "\u00a0::error::x", "\u2028::error::x"]
    # Invisible characters a culture-sensitive StartsWith/IndexOf skips (printable for Python).
    cases += [
        "\ufe0f::error::x",
        "\u034f::warning::x",
        "\u3164::error::x",
        "#\ufe0f#vso[x]y",
        "#\u034f#[error]x",
    ]
    for text in cases:
        out = neutral.terminal(text)
        assert not re.search(r"[\r\n\x1b\u202e\ud800-\udfff]", out), out
        assert not a_command_for_a_runner(out), (text, out)
    assert neutral.terminal("Live coverage: complete (3 reads over 1 subscription).") == (
        "Live coverage: complete (3 reads over 1 subscription)."
    )


def test_markdown_functions_render_exactly_the_text() -> None:
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed")
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    extra = (
        "<http://evil>",
        "www.evil.com",
        "see #12 and o/r#3",
        "a@b.com",
        "**b** _i_ ~~s~~ $x$",
        "a\\|b`",
        "tr\\",
    )
    for text in (*HOSTILE, H, *extra, "resources[0] in 'Microsoft.Web/connections'"):
        text_cell, code_cell = neutral.markdown_text(text), neutral.markdown_code(text)
        tokens = md.parse(f"| a | b |\n| --- | --- |\n| {text_cell} | {code_cell} |\n")
        _assert_inert(tokens)
        cells = [t.children or [] for t in tokens if t.type == "inline"][-2:]
        assert "".join(t.content for t in cells[0] if t.type in ("text", "code_inline")) == shown(text)
        assert [t.type for t in cells[1]] == ["code_inline"] and cells[1][0].content == shown(text)


def test_sarif_text_escapes_brackets_and_the_backslashes_before_them() -> None:
    assert neutral.sarif_text("[a](https://evil) ![i](1)") == "\\[a\\](https://evil) !\\[i\\](1)"
    assert neutral.sarif_text("C:\\x\\[0]") == "C:\\x\\\\\\[0\\]"  # '\[' stays a backslash and a bracket
    assert neutral.sarif_text("plain 'text': ok") == "plain 'text': ok"


def test_ci_values_decode_back_and_stay_on_one_line() -> None:
    for text in (*HOSTILE, H, "%0A%25%3A%AZP25%5D"):
        data, prop, azure = (
            neutral.workflow_data(text),
            neutral.workflow_property(text),
            neutral.azure_value(text),
        )
        assert not re.search(r"[\r\n]", data + prop + azure)
        assert ":" not in prop and "," not in prop and ";" not in azure and "]" not in azure
        assert data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%") == neutral.printable(text)
        back = azure
        for token, escape in ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")):
            back = back.replace(escape, token)
        assert back.replace("%AZP25", "%") == neutral.printable(text)


def test_fingerprint_of_a_surrogate_is_stable_and_plain_text_unchanged() -> None:
    rule = Rule("SRC999", "test-rule", Severity.LOW, "t", "r", "f")
    hostile = rule.finding("m \ud800", Location(file="a.json", resource="x/\ud800"))
    assert (
        hostile.fingerprint == rule.finding("other", Location(file="a.json", resource="x/\ud800")).fingerprint
    )
    plain = rule.finding("m", Location(file="a.json", resource="x/y", json_path="resources[0]"))
    expected = hashlib.sha256("\x1f".join(["SRC999", "a.json", "x/y", "resources[0]"]).encode()).hexdigest()[
        :32
    ]
    assert plain.fingerprint == expected  # fingerprints of ordinary names (baselines) did not move


def test_markdown_text_is_linear_in_a_long_run_of_letters() -> None:
    """A 200 kB name (base64 doubled through variables) took 70 s: each position of a letter run
    rescanned the rest of it looking for a URL scheme or an e-mail address. Quadratic, 1 MB would
    be hours; linear, it is milliseconds (no timing asserted: finishing is the point)."""
    for run in ("a" * 1_000_000, "a." * 500_000, "x:" * 500_000, "a-b+c" * 200_000):
        assert neutral.markdown_text(run).replace("\\", "") == run
    assert neutral.markdown_text("ping me@example.org or @team") == "ping `me@example.org` or `@team`"
