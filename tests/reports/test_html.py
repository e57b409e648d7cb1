"""HTML output (``--format html``), checked in a real headless Chromium driven by Playwright.

The browser is Debian's ``chromium`` (``.ci/run`` installs it), never Playwright's own download,
which CI cannot reach; the browser tests skip with the reason when it or the ``playwright`` package
is missing. Every page is loaded from ``file://`` and must make no other request, log no console
error and open no dialog.
"""

from __future__ import annotations

import dataclasses
import html as html_lib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.engine import ScanResult
from auditor.findings import Suppression
from auditor.reports import FORMATS
from auditor.reports import html as html_report
from conftest import REPO, scan_paths

EXAMPLES = REPO / "examples"
# The browser tests read the ARM examples (their twins in bicep/ and terraform/ give the same findings again).
ARM_EXAMPLES = (EXAMPLES / "broken", EXAMPLES / "clean", EXAMPLES / "ci")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path("/tmp/auditor-report-corpus.png")
SCREENSHOT_DARK = Path("/tmp/auditor-report-corpus-dark.png")

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


# ---------------------------------------------------------------- helpers


def cli_html(
    tmp_path: Path, *paths: str | Path, name: str = "report.html", fail_on: str | None = None
) -> Path:
    """Run ``auditor scan PATHS --format html --output FILE``; return FILE."""
    out = tmp_path / name
    args = ["scan", *map(str, paths), "--format", "html", "--output", str(out)]
    if fail_on:
        args += ["--fail-on", fail_on]
    code = main(args)
    assert code in (0, 1), f"auditor scan exited {code}"
    return out


def render_to(path: Path, result: ScanResult, **options: Any) -> Path:
    buf = io.StringIO()
    html_report.render(result, buf, **options)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def xss_template() -> dict[str, Any]:
    """Two Logic Apps whose names, trigger names and connection keys carry markup.

    The first has ``</script>`` (with a ``/``) in its name, so the automation cannot resolve it and
    the findings quote it; the second has names without ``/`` so the whole chain resolves and the
    names appear in the dependency-chain nodes too.
    """
    api = "[concat(subscription().id, '/providers/Microsoft.Web/locations/westeurope/managedApis/ascalert')]"
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.Web/connections",
            "apiVersion": "2016-06-01",
            "name": "ascalert-conn",
            "location": "westeurope",
            "properties": {"displayName": "ascalert-conn", "api": {"id": api}},
        }
    ]
    variants = [
        ("la-" + SCRIPT + IMG, "trigger-" + IMG + SCRIPT, "auto-1"),
        ("la2-" + IMG, "trg-" + IMG, "auto-2" + IMG),
    ]
    for n, (la, trigger, automation) in enumerate(variants):
        key = f"key{n}-" + SCRIPT + IMG
        resources.append(
            {
                "type": "Microsoft.Logic/workflows",
                "apiVersion": "2019-05-01",
                "name": la,
                "location": "westeurope",
                "properties": {
                    "state": "Enabled",
                    "definition": {
                        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
                        "contentVersion": "1.0.0.0",
                        "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
                        "triggers": {
                            trigger: {
                                "type": "ApiConnectionWebhook",
                                "inputs": {
                                    "host": {
                                        "connection": {
                                            "name": "@parameters('$connections')['"
                                            + key
                                            + "']['connectionId']"
                                        }
                                    },
                                    "body": {"callback_url": "@{listCallbackUrl()}"},
                                    "path": "/Microsoft.Security/Alert/subscribe",
                                },
                            }
                        },
                        "actions": {},
                        "outputs": {},
                    },
                    "parameters": {
                        "$connections": {
                            "value": {
                                "ascalert": {
                                    "connectionId": "[resourceId('Microsoft.Web/connections', 'ascalert-conn')]",
                                    "connectionName": "ascalert-conn",
                                    "id": api,
                                }
                            }
                        }
                    },
                },
            }
        )
        resources.append(
            {
                "type": "Microsoft.Security/automations",
                "apiVersion": "2019-01-01-preview",
                "name": automation,
                "location": "westeurope",
                "properties": {
                    "isEnabled": True,
                    "scopes": [{"description": "subscription", "scopePath": "[subscription().id]"}],
                    "sources": [
                        {
                            "eventSource": "Alerts",
                            "ruleSets": [
                                {
                                    "rules": [
                                        {
                                            "propertyJPath": "Severity",
                                            "propertyType": "String",
                                            "expectedValue": "High",
                                            "operator": "Equals",
                                        }
                                    ]
                                }
                            ],
                        }
                    ],
                    "actions": [
                        {
                            "actionType": "LogicApp",
                            "logicAppResourceId": f"[resourceId('Microsoft.Logic/workflows', '{la}')]",
                            "uri": (
                                "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', "
                                f"'{la}', '{trigger}'), '2019-05-01').value]"
                            ),
                        }
                    ],
                },
            }
        )
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }


# ---------------------------------------------------------------- without a browser


def test_html_is_a_registered_format() -> None:
    assert FORMATS["html"] == "auditor.reports.html"


def test_script_json_cannot_end_the_script_element() -> None:
    data = {"s": "</script><!-- <script>alert(1)</script> & \u2028 'x' \"y\""}
    text = html_report.script_json(data)
    assert not set("<>&") & set(text)
    assert "\u2028" not in text
    assert json.loads(text) == data


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = cli_html(tmp_path, EXAMPLES).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # Nothing is loaded: no external scripts, styles, fonts, images or frames.
    assert not re.search(r"<(link|iframe|img|object|embed)\b", html, re.I)
    assert not re.search(r"\bsrc\s*=", html, re.I)
    assert "@import" not in html and "url(" not in html
    # The CSP forbids every fetch and allows exactly the one inline script, by its hash.
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = html_lib.unescape(csp.group(1))
    assert "default-src 'none'" in policy
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    assert f"script-src {html_report.csp_hash(scripts[0])};" in policy
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html
    # Every finding of the scan has a row, in the page and in its embedded data; every rule is listed.
    data = json.loads(
        re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)[1]
    )
    scanned = scan_paths([EXAMPLES])
    assert (
        len(scan_paths([EXAMPLES / "broken"]).findings) == 9
    )  # and as many in each twin (bicep/, terraform/)
    assert len(data["rows"]) == html.count('<tbody class="finding') == len(scanned.findings)
    for rule in scanned.rules:
        assert f">{rule.id}<" in html


def test_markup_in_names_is_escaped_in_the_source(tmp_path: Path) -> None:
    (tmp_path / "xss").mkdir()
    (tmp_path / "xss" / "azuredeploy.json").write_text(json.dumps(xss_template(), indent=2))
    html = cli_html(tmp_path, tmp_path / "xss").read_text(encoding="utf-8")
    assert SCRIPT not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_help_links_are_http_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_DOCS_URL", "javascript:alert(1)//")
    html = cli_html(tmp_path, EXAMPLES).read_text(encoding="utf-8")
    assert "javascript:" not in html


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright; a skip with the reason when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield instance
        finally:
            instance.close()


@dataclasses.dataclass
class Loaded:
    """A report open in a page, with everything it tried to do."""

    page: Any
    url: str
    requests: list[str]
    errors: list[str]
    dialogs: list[str]

    def assert_clean(self) -> None:
        assert self.requests == [self.url], f"unexpected requests: {self.requests}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"

    def visible_rows(self) -> list[dict[str, str]]:
        return list(
            self.page.eval_on_selector_all(
                "tbody.finding:not([hidden])",
                "els => els.map(e => ({rule: e.dataset.rule, sev: e.dataset.severity,"
                " loc: e.querySelector('td.loc').title}))",
            )
        )

    def count_text(self) -> str:
        return str(self.page.text_content("#visible-count")).strip()


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def _open(path: Path, *, color_scheme: str = "light", javascript: bool = True) -> Loaded:
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, color_scheme=color_scheme, java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        url = path.resolve().as_uri()
        loaded = Loaded(page, url, [], [], [])
        page.on("request", lambda r: loaded.requests.append(r.url))
        page.on("console", lambda m: loaded.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: loaded.errors.append(str(e)))

        def on_dialog(dialog: Any) -> None:
            loaded.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url, wait_until="load")
        return loaded

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def examples_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli_html(tmp_path_factory.mktemp("html"), *ARM_EXAMPLES)


def test_examples_report_loads_offline_and_clean(open_report: Any, examples_report: Path) -> None:
    r = open_report(examples_report)
    page = r.page
    assert page.title().startswith("Gate failed")
    header = page.text_content("header") or ""
    assert "auditor" in header and "examples" in header
    assert "3 scanned · 3 skipped · 0 failed" in header  # examples/ci holds three workflow files
    assert "9 findings at or above low" in header
    cards = {
        page.text_content(f".card.c-{sev} .k").strip(): page.text_content(f".card.c-{sev} .v").strip()
        for sev in ("critical", "high", "medium", "low", "info")
    }
    assert cards == {"critical": "0", "high": "7", "medium": "1", "low": "1", "info": "0"}
    assert page.locator("svg#chart-rules a.bar").count() == 8
    assert page.locator("svg#chart-files a.bar").count() == 1
    assert r.count_text() == "Showing 9 of 9 findings"
    # Most severe first, as rendered on the server.
    sevs = [row["sev"] for row in r.visible_rows()]
    assert sevs == sorted(sevs, key=["critical", "high", "medium", "low", "info"].index)
    # Every rule that ran is listed.
    assert page.locator("#rules tbody tr").count() == len(scan_paths(list(ARM_EXAMPLES)).rules)
    r.assert_clean()


def test_filters(open_report: Any, examples_report: Path) -> None:
    r = open_report(examples_report)
    page = r.page
    page.fill("#filter-text", "LA102")
    rows = r.visible_rows()
    assert [row["rule"] for row in rows] == ["LA102", "LA102"]
    assert r.count_text() == "Showing 2 of 9 findings (filtered)"

    page.fill("#filter-text", "")
    assert r.count_text() == "Showing 9 of 9 findings"
    page.uncheck("input[name='severity'][value='high']")
    rows = r.visible_rows()
    assert rows and all(row["sev"] != "high" for row in rows)
    assert r.count_text() == "Showing 2 of 9 findings (filtered)"
    assert page.locator("tbody.finding[data-severity='high']:not([hidden])").count() == 0

    page.check("input[name='severity'][value='high']")
    page.select_option("#filter-rule", "AUT204")
    assert [row["rule"] for row in r.visible_rows()] == ["AUT204"]
    assert r.count_text() == "Showing 1 of 9 findings (filtered)"

    page.fill("#filter-text", "no such text anywhere")
    assert r.visible_rows() == []
    assert page.is_visible("tbody.empty")
    assert r.count_text() == "Showing 0 of 9 findings (filtered)"

    page.click("#filter-reset")
    assert r.count_text() == "Showing 9 of 9 findings"
    assert not page.is_visible("tbody.empty")

    # A bar of the per-check chart filters the table by its rule.
    page.click("svg#chart-rules a.bar[data-filter-rule='LA101']")
    assert [row["rule"] for row in r.visible_rows()] == ["LA101"]
    assert page.input_value("#filter-rule") == "LA101"
    # A severity card shows that severity only.
    page.click(".card.c-medium")
    assert [row["sev"] for row in r.visible_rows()] == ["medium"]
    r.assert_clean()


def test_sorting(open_report: Any, examples_report: Path) -> None:
    r = open_report(examples_report)
    page = r.page

    def rules() -> list[str]:
        return [row["rule"] for row in r.visible_rows()]

    page.click("th[data-key='rule'] button")
    assert rules() == sorted(rules())
    assert page.get_attribute("th[data-key='rule']", "aria-sort") == "ascending"
    assert page.get_attribute("th[data-key='sev']", "aria-sort") is None
    page.click("th[data-key='rule'] button")
    assert rules() == sorted(rules(), reverse=True)
    assert page.get_attribute("th[data-key='rule']", "aria-sort") == "descending"

    page.click("th[data-key='location'] button")
    lines = [int(row["loc"].split(":")[-2]) for row in r.visible_rows()]
    assert lines == sorted(lines)

    page.click("th[data-key='sev'] button")  # severity sorts most severe first on the first click
    assert page.get_attribute("th[data-key='sev']", "aria-sort") == "descending"
    sevs = [row["sev"] for row in r.visible_rows()]
    assert sevs[0] == "high" and sevs[-1] == "low"

    # Sorting keeps each details row with its finding, and filters still apply.
    page.uncheck("input[name='severity'][value='high']")
    page.click("th[data-key='message'] button")
    assert len(r.visible_rows()) == 2
    bodies = page.eval_on_selector_all(
        "tbody.finding", "els => els.every(b => b.querySelector('tr.details').id === b.id + '-details')"
    )
    assert bodies is True
    r.assert_clean()


def test_details_expand(open_report: Any, examples_report: Path) -> None:
    r = open_report(examples_report)
    page = r.page
    first = page.locator("tbody.finding").first
    details = first.locator("tr.details")
    toggle = first.locator("button.toggle")
    assert not details.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert details.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    text = details.inner_text()
    for label in ("WHAT", "WHY", "FIX", "WHERE", "DOCS"):
        assert label in text.upper()
    rule = str(first.get_attribute("data-rule"))
    assert f"#{rule.lower()}-" in str(details.locator("a").first.get_attribute("href"))
    toggle.click()
    assert not details.is_visible()

    page.click("#expand-all")
    assert page.locator("tr.details:visible").count() == 9
    page.click("#expand-all")
    assert page.locator("tr.details:visible").count() == 0
    r.assert_clean()


def test_print_and_no_script(open_report: Any, examples_report: Path) -> None:
    r = open_report(examples_report)
    r.page.emulate_media(media="print")
    assert not r.page.is_visible(".controls")
    assert not r.page.is_visible("button.toggle")
    assert r.page.locator("tr.details:visible").count() == 9
    r.assert_clean()

    plain = open_report(examples_report, javascript=False)
    assert not plain.page.is_visible(".controls")
    assert plain.page.locator("tr.details:visible").count() == 9
    assert plain.page.locator("tbody.finding:visible").count() == 9


def test_dependency_chains(open_report: Any, examples_report: Path) -> None:
    r = open_report(examples_report)
    page = r.page
    chains = page.locator("ol.chains > li")
    assert chains.count() == 3
    assert page.locator("ol.chains > li.state-broken").count() == 2
    complete = page.locator("ol.chains > li.state-ok")
    kinds = complete.locator(".node .kind span:first-child").all_inner_texts()
    assert [k.lower() for k in kinds] == ["automation", "logic app", "trigger", "connection", "managed api"]
    assert complete.locator(".node.st-ok").count() == 5
    # Broken and missing links are highlighted, and list the findings at them.
    assert page.locator(".node.st-missing").count() == 2
    broken = page.locator(".step:has(.node.st-broken)")
    assert broken.count() == 3
    listed = page.locator(".node.st-broken ~ ul.node-findings li").all_inner_texts()
    assert any("LA103" in t and "uses connection 'ascalert'" in t for t in listed)
    assert page.locator(".node.st-missing").first.evaluate("e => getComputedStyle(e).borderTopColor") != (
        page.locator(".node.st-ok").first.evaluate("e => getComputedStyle(e).borderTopColor")
    )
    # A finding link in a chain opens that finding's details, even when a filter hid it.
    page.uncheck("input[name='severity'][value='high']")
    page.click(".node.st-broken ~ ul.node-findings a >> text=LA103")
    target = page.locator("tbody.finding[data-rule='LA103']")
    assert target.is_visible()
    assert target.locator("tr.details").is_visible()
    r.assert_clean()


def test_suppressed_findings(open_report: Any, tmp_path: Path) -> None:
    result = scan_paths(list(ARM_EXAMPLES))
    hidden = next(f for f in result.findings if f.rule.id == "LA106")
    marked = dataclasses.replace(
        hidden,
        suppressed_by=Suppression("external", "accepted: consent is given by the runbook", "auditor.toml"),
    )
    result = dataclasses.replace(
        result, findings=tuple(marked if f is hidden else f for f in result.findings)
    )
    r = open_report(render_to(tmp_path / "suppressed.html", result, fail_on="high", paths=["examples"]))
    page = r.page
    row = page.locator("tbody.finding.suppressed")
    assert row.count() == 1
    assert "accepted: consent is given by the runbook" in row.locator("tr.main").inner_text()
    assert row.locator("tr.main td").nth(3).evaluate("e => getComputedStyle(e).color") != (
        page.locator("tbody.finding:not(.suppressed) tr.main td")
        .nth(3)
        .evaluate("e => getComputedStyle(e).color")
    )
    assert page.text_content(".card.c-low .v").strip() == "0"
    assert "7 findings at or above high" in (page.text_content(".verdict") or "")
    page.check("#filter-suppressed")
    assert not row.is_visible()
    assert r.count_text() == "Showing 8 of 9 findings (filtered)"
    r.assert_clean()


def test_a_large_report_lists_the_most_severe_and_says_what_it_left_out(
    open_report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page lists at most MAX_ROWS findings and MAX_CHAINS chains (24,000 findings were a 92 MB
    page); the counts, cards and verdict still cover every finding. Small limits stand in for 5,000."""
    monkeypatch.setattr(html_report, "MAX_ROWS", 4)
    monkeypatch.setattr(html_report, "MAX_CHAINS", 1)
    result = scan_paths(list(ARM_EXAMPLES))
    r = open_report(render_to(tmp_path / "limited.html", result, paths=["examples"]))
    page = r.page
    assert page.locator("tbody.finding").count() == 4
    sevs = [row["sev"] for row in r.visible_rows()]
    assert sevs[-1] == "high"  # the two least severe (medium, low) are the ones left out
    notice = page.text_content("#rows-limit") or ""
    assert "the 4 most severe of 9 findings; the other 5 are not in this page" in notice
    assert "9 findings at or above low" in (page.text_content(".verdict") or "")
    assert page.text_content(".card.c-low .v").strip() == "1"  # cards count everything
    assert page.locator("ol.chains > li").count() == 1
    assert "2 more are not shown here" in (page.text_content("#chains-limit") or "")
    assert "3 chains" in (page.text_content("#chains .lede") or "")
    r.assert_clean()

    monkeypatch.undo()
    plain = open_report(render_to(tmp_path / "all.html", result, paths=["examples"]))
    assert plain.page.locator("#rows-limit, #chains-limit").count() == 0


def test_markup_in_names_stays_text(open_report: Any, tmp_path: Path) -> None:
    (tmp_path / "xss").mkdir()
    (tmp_path / "xss" / "azuredeploy.json").write_text(json.dumps(xss_template(), indent=2))
    report = cli_html(tmp_path, tmp_path / "xss")
    r = open_report(report)
    page = r.page
    assert page.locator("img").count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("script").count() == 2  # the report's own script and its JSON data
    body = page.inner_text("body")
    assert SCRIPT in body and IMG in body
    # The names are text in the table, the chain nodes and the JSON the script reads.
    assert page.locator("td.msg", has_text="trg-" + IMG).count() == 1
    assert page.locator("td.msg", has_text="key1-" + SCRIPT + IMG).count() == 1
    labels = page.locator(".node .label").all_inner_texts()
    assert "la2-" + IMG in labels and "trg-" + IMG in labels and "key1-" + SCRIPT + IMG in labels
    data = json.loads(page.text_content("#report-data") or "")
    assert any(SCRIPT in row["message"] for row in data["rows"])
    # Searching, sorting and expanding with the markup in play runs no script either.
    page.fill("#filter-text", "onerror")
    assert r.visible_rows()
    page.click("th[data-key='message'] button")
    page.click("#expand-all")
    assert page.locator("img").count() == 0
    r.assert_clean()


def test_corpus_screenshots(open_report: Any, corpus: Path, tmp_path: Path) -> None:
    report = cli_html(tmp_path, corpus)
    for scheme, path in (("light", SCREENSHOT), ("dark", SCREENSHOT_DARK)):
        r = open_report(report, color_scheme=scheme)
        page = r.page
        page.emulate_media(color_scheme=scheme)
        # Nothing overflows the 1400px window sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        assert page.locator("tbody.finding").count() > 50
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 50_000
        r.assert_clean()
