"""A hostile or broken ARM endpoint (issue 9, scope items 5, 7 and 8 for the live source).

Every test drives the real scanner (azure-identity, azure-core, requests) over HTTPS against the
emulator, which serves the fault (``paging`` and ``answer`` in ``tests/live/emulator/faults.py``). Most
run the scanner in this process, with small limits where a default would make the test slow; the gate
and stderr tests run the CLI as a subprocess, as a user would.

What they prove: paging stops on a repeated or cycling ``nextLink`` / ``$skipToken`` and at the page and
byte caps; only a 200 answer is data (a redirect, 1xx, 204, 202 or a 4xx never is); an answer that is not
JSON, has the wrong shape, nests too deep or is too large ends as a recorded read error (or a left-out
item with its reason), never as a crash or a silent gap; and no line the live scan writes on stderr can
start a CI workflow command.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from tests.live.emulator import DEFAULT_DATA_DIR, Emulator, running_emulator

pytest.importorskip("azure.identity", reason="the 'live' extra is not installed (pip install -e '.[test]')")

from auditor.sources.live.options import LiveOptions
from auditor.sources.live.results import LiveResult
from auditor.sources.live.scanner import LiveScanner

REPO = Path(__file__).resolve().parents[2]
PROD = "6b1c3e9a-2f4d-4a8b-9c7e-1d2f3a4b5c6d"
DEV = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
WORKFLOWS = f"/subscriptions/{PROD}/providers/Microsoft.Logic/workflows"
WORKFLOWS_RE = f"^{WORKFLOWS}$".replace(".", "\\.")
GRAPH_RE = "^/providers/Microsoft\\.ResourceGraph/resources$"
HOSTILE = "x\r\n::error::x ##vso[task.setvariable variable=a]b"


def workflow(wf: str, **extra: Any) -> dict[str, Any]:
    """A Logic App as ARM lists it (``extra`` replaces members)."""
    body: dict[str, Any] = {
        "id": f"/subscriptions/{PROD}/resourceGroups/rg-hostile/providers/Microsoft.Logic/workflows/{wf}",
        "name": wf,
        "type": "Microsoft.Logic/workflows",
        "location": "westeurope",
        "properties": {"state": "Enabled", "definition": {"triggers": {}, "actions": {}}},
    }
    body.update(extra)
    return body


@pytest.fixture
def scan(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., LiveResult]:
    """Run one live scan in this process (the user's environment variables point at the emulator)."""
    for name, value in {
        "AZURE_TENANT_ID": emulator.tenant,
        "AZURE_CLIENT_ID": emulator.client_id,
        "AZURE_CLIENT_SECRET": emulator.client_secret,
        "AZURE_AUTHORITY_HOST": emulator.url,
        "REQUESTS_CA_BUNDLE": emulator.ca_path,
        "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
        "HOME": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)

    def run(**kw: Any) -> LiveResult:
        kw.setdefault("subscriptions", (PROD,))
        options = LiveOptions(
            arm_endpoint=emulator.url, concurrency=4, retries=2, request_timeout=20, scan_timeout=120, **kw
        )
        return LiveScanner(options).run()

    return run


def coverage(result: LiveResult) -> dict[tuple[str | None, str], Any]:
    return {(c.subscription, c.resource_type): c for c in result.coverage}


def requests_to(emu: Emulator, path: str) -> int:
    return sum(1 for r in emu.requests if r.path == path)


def graph_posts(emu: Emulator) -> int:
    return sum(1 for r in emu.requests if r.kind == "graph")


# ---------------------------------------------------------------- paging: nextLink


@pytest.mark.parametrize(
    ("mode", "requests", "words"),
    [
        ("repeat", 1, "already read (after 1 page)"),  # the page links to itself
        ("cycle", 3, "already read (after 3 pages)"),  # A -> B -> C -> B
    ],
)
def test_next_link_repeat_or_cycle_stops_and_is_recorded(
    emulator: Emulator, scan: Callable[..., LiveResult], mode: str, requests: int, words: str
) -> None:
    emulator.set_faults(paging=[{"path": WORKFLOWS_RE, "mode": mode}])
    result = scan()
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and words in record.detail
    assert requests_to(emulator, WORKFLOWS) == requests
    assert {c.status for c in result.coverage if c is not record} == {"ok"}
    # the pages read before the loop showed are kept (each workflow listed once)
    names = [a.name for a in result.inventory.logic_apps]
    assert {"wf-notify-alerts", "wf-notify-recommendations"} <= set(names) and len(names) == len(set(names))


def test_endless_next_links_stop_at_the_page_cap(emulator: Emulator, scan: Callable[..., LiveResult]) -> None:
    emulator.set_faults(paging=[{"path": WORKFLOWS_RE, "mode": "endless"}])
    result = scan(max_pages=5)
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and "more than 5 pages" in record.detail
    assert requests_to(emulator, WORKFLOWS) == 5


def test_the_pages_of_one_read_have_a_byte_budget(
    emulator: Emulator, scan: Callable[..., LiveResult]
) -> None:
    result = scan(max_read_bytes=3000)  # the workflows (with their definitions) need more
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and "more than the 3,000 bytes" in record.detail


# ---------------------------------------------------------------- paging: Resource Graph $skipToken


@pytest.mark.parametrize(
    ("mode", "posts", "words", "limits"),
    [
        ("repeat", 2, "already sent (after 2 pages)", {}),
        ("cycle", 3, "already sent (after 3 pages)", {}),
        ("endless", 4, "more than 4 pages", {"max_pages": 4}),
    ],
)
def test_skip_token_loops_stop_and_are_recorded(
    emulator: Emulator,
    scan: Callable[..., LiveResult],
    mode: str,
    posts: int,
    words: str,
    limits: dict[str, int],
) -> None:
    emulator.set_faults(paging=[{"path": GRAPH_RE, "mode": mode}])
    result = scan(graph_threshold=0, **limits)
    # the subscriptions (resourcecontainers), one query per resource type, and for the four role and
    # policy types one more for the rows above the subscriptions (management groups, root)
    queries = 1 + 7 + 4
    assert graph_posts(emulator) == queries * posts
    failed = [c for c in result.coverage if c.status != "ok"]
    assert {c.resource_type for c in failed} >= {
        "Microsoft.ResourceGraph/resourcecontainers",
        "Microsoft.Logic/workflows",
        "Microsoft.Security/automations",
    }
    assert all(
        words in c.detail for c in failed if c.resource_type != "Microsoft.Management/managementGroups"
    )


def test_a_repeated_skip_token_fails_the_gate(emulator: Emulator, tmp_path: Path) -> None:
    """The issue's case: one repeated $skipToken got 8,021 POSTs in 8 s; now two, and LIV001 fails the gate."""
    emulator.set_faults(paging=[{"path": GRAPH_RE, "mode": "repeat"}])
    proc = run_cli(emulator, tmp_path, "scan", "--live", "--graph-threshold", "0", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    liv = [f for f in doc["findings"] if f["rule"] == "LIV001"]
    assert liv and {f["severity"] for f in liv} == {"high"}
    assert any("$skipToken it had already sent" in f["message"] for f in liv)
    assert graph_posts(emulator) == 2 * (1 + 7 + 4)  # two POSTs per query (see above)


# ---------------------------------------------------------------- only a 200 is data


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            {"status": 302, "headers": {"Location": "https://evil.example.invalid/steal"}},
            "302: ARM answered with a redirect to evil.example.invalid",
        ),
        ({"status": 301}, "301: ARM answered with a redirect (without a Location)"),
        ({"status": 307, "headers": {"Location": "/subscriptions"}}, "307: ARM answered with a redirect"),
        ({"status": 304}, "304: ARM answered with a redirect"),
        ({"status": 202}, "202: not the 200 answer a read gets"),
        ({"status": 203}, "203: not the 200 answer a read gets"),
        ({"status": 400}, "400"),
        ({"status": 404}, "404"),
    ],
    ids=lambda v: str(v.get("status")) if isinstance(v, dict) else "",
)
def test_an_answer_that_is_not_200_is_never_data(
    emulator: Emulator, scan: Callable[..., LiveResult], answer: dict[str, Any], words: str
) -> None:
    """Each answer carries a list body with one workflow that must not reach the inventory."""
    emulator.set_faults(
        answer=[{"path": WORKFLOWS_RE, "body": {"value": [workflow("wf-planted")]}, **answer}]
    )
    result = scan()
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and record.detail.startswith(words), record.detail
    assert record.items == 0
    assert "wf-planted" not in {a.name for a in result.inventory.logic_apps}
    assert requests_to(emulator, WORKFLOWS) == 1  # no redirect was followed, nothing was retried
    assert all(r.path != "/steal" for r in emulator.requests)


def test_204_with_a_body_is_no_data(emulator: Emulator, scan: Callable[..., LiveResult]) -> None:
    body = json.dumps({"value": [workflow("wf-planted")]})
    emulator.set_faults(answer=[{"path": WORKFLOWS_RE, "status": 204, "raw": body}])
    result = scan()
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and record.detail.startswith("204: not the 200 answer")
    assert "wf-planted" not in {a.name for a in result.inventory.logic_apps}
    # the body left on the connection did not spoil the reads after it
    assert {c.status for c in result.coverage if c is not record} == {"ok"}


def test_a_redirected_resource_graph_query_is_no_data(
    emulator: Emulator, scan: Callable[..., LiveResult]
) -> None:
    rows = {"data": [workflow("wf-planted", subscriptionId=PROD)], "totalRecords": 1, "count": 1}
    emulator.set_faults(
        answer=[
            {
                "path": GRAPH_RE,
                "count": None,
                "status": 303,
                "headers": {"Location": "https://evil.example.invalid/"},
                "body": rows,
            }
        ]
    )
    result = scan(graph_threshold=0)
    assert "wf-planted" not in {a.name for a in result.inventory.logic_apps}
    failed = [c for c in result.coverage if c.resource_type == "Microsoft.ResourceGraph/resourcecontainers"]
    assert failed and failed[0].status == "failed" and "303: ARM answered with a redirect" in failed[0].detail


# ---------------------------------------------------------------- hostile bodies


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            {"raw": "<html>Service Unavailable</html>", "content_type": "text/html"},
            "200: the answer is not JSON",
        ),
        ({"raw": "\xff\xfe{", "content_type": "application/json"}, "200: the answer is not JSON"),
        ({"raw": ""}, "200: the answer is empty"),
        (
            {"body": [workflow("wf-planted")]},
            "200: the answer is an array, not a list (an object with 'value')",
        ),
        ({"body": "value"}, "200: the answer is a string, not a list"),
        (
            {"body": {"value": {"wf": workflow("wf-planted")}}},
            "200: the answer's 'value' is an object, not a list",
        ),
        ({"body": {"value": "x"}}, "200: the answer's 'value' is a string, not a list"),
        ({"body": {"items": [workflow("wf-planted")]}}, "200: the answer's 'value' is null, not a list"),
        (
            {"raw": '{"value": [' + "[" * 100_000 + "]" * 100_000 + "]}"},
            "200: the answer nests too deeply to be read as JSON",
        ),
    ],
    ids=[
        "html",
        "not-utf8",
        "empty",
        "array",
        "string",
        "value-object",
        "value-string",
        "no-value",
        "deep-100k",
    ],
)
def test_a_body_of_the_wrong_shape_is_a_read_error(
    emulator: Emulator, scan: Callable[..., LiveResult], answer: dict[str, Any], words: str
) -> None:
    emulator.set_faults(answer=[{"path": WORKFLOWS_RE, **answer}])
    result = scan()
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and record.detail.startswith(words), record.detail
    assert "wf-planted" not in {a.name for a in result.inventory.logic_apps}


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (5, "an item is a number, not a JSON object"),
        ("wf", "an item is a string, not a JSON object"),
        (workflow("w", name=5), "has a 'name' that is a number, not a string"),
        (workflow("w", id=["/x"]), "an item has a 'id' that is an array, not a string"),
        (workflow("w", type={"t": 1}), "has a 'type' that is an object, not a string"),
        (workflow("w", location=True), "has a 'location' that is a boolean, not a string"),
        (workflow("w", properties="Enabled"), "has a 'properties' that is a string, not an object"),
        (workflow("w", identity=["SystemAssigned"]), "has a 'identity' that is an array, not an object"),
        (workflow("w", properties={"definition": _deep(900)}), "nests deeper than 128 levels"),
    ],
    ids=["number", "string", "name", "id", "type", "location", "properties", "identity", "deep-900"],
)
def test_an_item_of_the_wrong_shape_is_left_out_with_its_reason(
    emulator: Emulator, scan: Callable[..., LiveResult], bad: Any, words: str
) -> None:
    """The good items of the page are read; the bad one is left out and the read recorded as failed."""
    emulator.set_faults(answer=[{"path": WORKFLOWS_RE, "body": {"value": [bad, workflow("wf-good")]}}])
    result = scan()
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed", record.detail
    assert record.detail.startswith("1 item of the answer could not be read and was left out (")
    assert words in record.detail, record.detail
    assert "wf-good" in {a.name for a in result.inventory.logic_apps}


def test_lone_surrogates_in_an_answer_are_escaped(
    emulator: Emulator, scan: Callable[..., LiveResult]
) -> None:
    """ "\\ud800" is valid JSON; kept raw, the first .encode() of a name (fingerprint, report) would fail."""
    body = workflow(
        "wf-\ud800", properties={"state": "\udfff", "definition": {"triggers": {}, "actions": {}}}
    )
    emulator.set_faults(answer=[{"path": WORKFLOWS_RE, "body": {"value": [body]}}])
    result = scan()
    assert coverage(result)[(PROD, "Microsoft.Logic/workflows")].status == "ok"
    (app,) = [a for a in result.inventory.logic_apps if str(a.name).startswith("wf-")]
    assert app.name == "wf-\\ud800" and app.state == "\\udfff"
    text = json.dumps(dataclasses.asdict(result.inventory), default=str, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate is left anywhere


def test_a_huge_answer_is_refused_while_it_is_read(
    emulator: Emulator, scan: Callable[..., LiveResult]
) -> None:
    """1 GiB without a Content-Length: reading stops at the cap, long before the server is done."""
    emulator.set_faults(answer=[{"path": WORKFLOWS_RE, "stream_bytes": 1 << 30}])
    result = scan(max_answer_bytes=1 << 20)
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed"
    assert record.detail == (
        "200: the answer is larger than the 1,048,576 bytes a live scan reads of one answer: reading stopped there"
    )
    (rule,) = emulator.faults.answer
    assert 1 << 20 < rule.sent < 64 << 20


def test_an_answer_announcing_too_many_bytes_is_not_read(
    emulator: Emulator, scan: Callable[..., LiveResult]
) -> None:
    emulator.set_faults(answer=[{"path": WORKFLOWS_RE, "raw": " " * 4096, "repeat": 600}])  # 2.4 MB
    result = scan(max_answer_bytes=1 << 20)
    record = coverage(result)[(PROD, "Microsoft.Logic/workflows")]
    assert record.status == "failed" and record.detail.startswith("200: the answer announces 2,457,600 bytes")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"totalRecords": 1}, "200: the answer's 'data' is null, not a list of rows"),
        ({"data": {"columns": [], "rows": []}}, "200: the answer's 'data' is an object, not a list of rows"),
        ({"data": [], "resultTruncated": "true"}, "Resource Graph truncated the result (resultTruncated)"),
        ({"data": [], "$skipToken": 7}, "the answer's $skipToken is a number, not a paging token"),
        (
            {"data": [7, "x"]},
            "2 items of the answer could not be read and were left out (an item is a number",
        ),
    ],
    ids=["no-data", "table", "truncated", "token-number", "rows"],
)
def test_resource_graph_answers_of_the_wrong_shape(
    emulator: Emulator, scan: Callable[..., LiveResult], body: dict[str, Any], words: str
) -> None:
    emulator.set_faults(answer=[{"path": GRAPH_RE, "count": None, "body": body}])
    result = scan(graph_threshold=0)
    failed = [c for c in result.coverage if c.resource_type == "Microsoft.ResourceGraph/resourcecontainers"]
    assert failed and failed[0].status == "failed" and failed[0].detail.startswith(words), failed[0].detail


def test_discovered_subscriptions_are_checked(emulator: Emulator, scan: Callable[..., LiveResult]) -> None:
    """A listed subscription with a non-GUID id would go into every path; a non-string name into the report."""
    good = {
        "id": f"/subscriptions/{PROD}",
        "subscriptionId": PROD,
        "displayName": "contoso-prod",
        "state": "Enabled",
    }
    odd = {
        "id": "/subscriptions/x",
        "subscriptionId": "x/../../providers/Microsoft.Web",
        "displayName": "odd",
    }
    numbered = {"id": f"/subscriptions/{DEV}", "subscriptionId": DEV, "displayName": 5}
    emulator.set_faults(answer=[{"path": "^/subscriptions$", "body": {"value": [good, odd, numbered]}}])
    result = scan(subscriptions=())
    assert [sub for sub, _ in result.subscriptions] == [PROD]
    record = coverage(result)[(None, "Microsoft.Resources/subscriptions")]
    assert record.status == "failed"
    assert "'displayName' that is a number" in record.detail


def test_a_subscription_id_that_is_not_a_guid_is_left_out(
    emulator: Emulator, scan: Callable[..., LiveResult]
) -> None:
    good = {"id": f"/subscriptions/{PROD}", "subscriptionId": PROD, "displayName": "contoso-prod"}
    odd = {
        "id": "/subscriptions/x",
        "subscriptionId": "x/../../providers/Microsoft.Web",
        "displayName": "odd",
    }
    emulator.set_faults(answer=[{"path": "^/subscriptions$", "body": {"value": [odd, good]}}])
    result = scan(subscriptions=())
    assert [sub for sub, _ in result.subscriptions] == [PROD]
    record = coverage(result)[(None, "Microsoft.Resources/subscriptions")]
    assert (
        record.status == "failed"
        and "id that is not a GUID ('x/../../providers/Microsoft.Web')" in record.detail
    )
    assert not [r for r in emulator.requests if r.path.startswith("/subscriptions/x")]


# ---------------------------------------------------------------- stderr: no workflow commands


def cli_env(emu: Emulator, home: Path) -> dict[str, str]:
    return {
        "AZURE_TENANT_ID": emu.tenant,
        "AZURE_CLIENT_ID": emu.client_id,
        "AZURE_CLIENT_SECRET": emu.client_secret,
        "AZURE_AUTHORITY_HOST": emu.url,
        "REQUESTS_CA_BUNDLE": emu.ca_path,
        "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
        "HOME": str(home),
        "NO_PROXY": "127.0.0.1,localhost,::1",
    }


def run_cli(emu: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args, "--arm-endpoint", emu.url],
        capture_output=True,
        text=True,
        env=cli_env(emu, home),
        cwd=tmp_path,
        timeout=120,
    )


def assert_no_workflow_command(stderr: str) -> None:
    for line in stderr.splitlines():
        assert not line.lstrip().startswith("::"), line
        assert "##vso[" not in line and "##[" not in line, line
    assert "Traceback" not in stderr


@pytest.fixture
def hostile_emulator(tmp_path: Path) -> Iterator[Emulator]:
    """The bundled tenant with a subscription whose display name carries CI workflow commands."""
    pytest.importorskip("trustme")
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    path = data / "sub-contoso-prod.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for sub in doc["subscriptions"]:
        sub["displayName"] = HOSTILE
    path.write_text(json.dumps(doc), encoding="utf-8")
    with running_emulator(data_dir=data, page_size=2) as emu:
        yield emu


def test_live_warnings_on_stderr_carry_no_workflow_command(
    hostile_emulator: Emulator, tmp_path: Path
) -> None:
    emu = hostile_emulator
    message = f"The client 'c' does not have authorization to perform action '{HOSTILE}' over scope '/subscriptions/{DEV}'."
    emu.set_faults(
        forbidden=[{"subscription": PROD}],  # every read refused: the warning names the subscription
        answer=[
            {
                "path": f"^/subscriptions/{DEV}/providers/Microsoft\\.Web/connections$",
                "status": 403,
                "body": {"error": {"code": "AuthorizationFailed\r\n::error::code", "message": message}},
            }
        ],
    )
    proc = run_cli(emu, tmp_path, "scan", "--live", "--verbose", "-o", f"json:{tmp_path / 'o.json'}")
    assert proc.returncode == 1, proc.stderr
    assert "every read was refused (403)" in proc.stderr  # the lines are there ...
    assert "cannot read Microsoft.Web/connections" in proc.stderr
    assert "x\\r\\n::error::x #\\x23vso[task.setvariable" in proc.stderr  # ... shown, not obeyed
    assert_no_workflow_command(proc.stderr)

    export = run_cli(emu, tmp_path, "access", "export", "--live", "-o", str(tmp_path / "access.json"))
    assert export.returncode == 1, export.stderr
    assert "not read: forbidden" in export.stderr
    assert_no_workflow_command(export.stderr)


def test_a_sign_in_error_on_stderr_carries_no_workflow_command(emulator: Emulator, tmp_path: Path) -> None:
    description = "bad secret ##vso[task.setvariable variable=a]b\r\n::error::x\r\n##[error]y"
    emulator.set_faults(token={"mode": "invalid_client", "description": description})
    proc = run_cli(emulator, tmp_path, "scan", "--live")
    assert proc.returncode == 2, proc.stderr
    assert "bad secret #\\x23vso[task.setvariable" in proc.stderr
    assert_no_workflow_command(proc.stderr)


# ---------------------------------------------------------------- small pure parts


def test_a_quota_reset_that_is_not_a_time_is_ignored() -> None:
    from auditor.sources.live.http import _quota_reset

    assert _quota_reset("00:00:02") == 2.0
    assert _quota_reset("nan") is None and _quota_reset("inf") is None and _quota_reset("1e999:0:0") is None


def test_dependency_floors_for_known_advisories() -> None:
    """pyproject declares the floors, and what is installed meets every one of them."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        Requirement(r).name.lower(): Requirement(r)
        for r in [*project["dependencies"], *project["optional-dependencies"]["live"]]
    }
    floors = {
        "azure-identity": "1.16.1",
        "msal": "1.28.1",
        "jinja2": "3.1.6",
        "requests": "2.32.4",
        "urllib3": "2.6",
    }
    for name, floor in floors.items():
        requirement = declared[name]
        assert requirement.specifier.contains("99"), name  # a floor, no ceiling below the future
        below = floor.rsplit(".", 1)[0] + "." + str(int(floor.rsplit(".", 1)[1]) - 1)
        assert not requirement.specifier.contains(below, prereleases=True), (name, str(requirement.specifier))
        assert requirement.specifier.contains(floor), (name, str(requirement.specifier))
        assert requirement.specifier.contains(metadata.version(name)), (name, metadata.version(name))
