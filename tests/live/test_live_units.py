"""Live scanning without the emulator: options, sanitizing, the read-only pipeline, GitHub OIDC, LIV001,
AUT205 with live metadata, the reports' coverage and the SARIF anchor of live findings."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from auditor import live_cli
from auditor.engine import run
from auditor.model import (
    AssessmentMetadata,
    Automation,
    AutomationRule,
    AutomationSource,
    CoverageRecord,
    Inventory,
    Origin,
    RuleSet,
)
from auditor.registry import load_checks
from auditor.sources.live import options as live_options
from auditor.sources.live.options import LiveError, LiveOptions, options_from_args
from auditor.sources.live.sanitizing import REDACTED, sanitize

SUB = "6b1c3e9a-2f4d-4a8b-9c7e-1d2f3a4b5c6d"
LIVE = Origin(
    file=None, resource=f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Security/automations/a"
)


def _args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**kw)


# ---------------------------------------------------------------- options


def test_options_defaults_and_endpoint() -> None:
    o = options_from_args(_args(subscription=[SUB, SUB.upper()]))
    assert o.subscriptions == (SUB,)
    assert o.endpoint == "https://management.azure.com" and o.scope == "https://management.azure.com/.default"
    assert (o.concurrency, o.graph_threshold, o.auth) == (16, 50, "default")
    stack = options_from_args(_args(arm_endpoint="https://management.local.azurestack.external/"))
    assert stack.endpoint == "https://management.local.azurestack.external"
    assert stack.scope == "https://management.local.azurestack.external/.default"
    gov = options_from_args(_args(cloud="AzureUSGovernment"))
    assert (
        gov.endpoint == "https://management.usgovcloudapi.net"
        and gov.cloud_authority == "login.microsoftonline.us"
    )


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"subscription": ["not-a-guid"]}, "subscription id"),
        ({"subscription": [SUB], "management_group": "mg"}, "not both"),
        ({"arm_endpoint": "http://management.local"}, "https://"),
        ({"arm_endpoint": "https://management.local/metadata"}, "without a path"),
        ({"concurrency": 0}, "--concurrency"),
        ({"management_group": "a b"}, "management group"),
    ],
)
def test_options_are_validated(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        options_from_args(_args(**kw))


def test_cli_choices_match_the_options() -> None:
    assert tuple(live_options.CLOUDS) == live_cli.CLOUDS
    assert live_cli.AUTH_MODES == live_options.AUTH_MODES


def _cli(
    *args: str, env: dict[str, str] | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    prog = code or "import sys; from auditor.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", prog, *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_usage_errors(tmp_path: Path) -> None:
    assert "nothing to scan" in _cli("scan", "--no-config").stderr
    proc = _cli("scan", str(tmp_path), "--management-group", "mg")
    assert proc.returncode == 2 and "add --live" in proc.stderr
    proc = _cli("scan", str(tmp_path), "--subscription", SUB, "--subscription", SUB.replace("6", "7"))
    assert proc.returncode == 2 and "several need --live" in proc.stderr
    proc = _cli("scan", "--live", "--subscription", "nope")
    assert proc.returncode == 2 and "GUID" in proc.stderr and "Traceback" not in proc.stderr


def test_version_and_help_import_no_azure_sdk() -> None:
    probe = (
        "import sys\nfrom auditor.cli import main\n"
        "for argv in (['--version'], ['scan', '--help'], ['access', 'export', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print('MODULES', sorted(m for m in sys.modules if m.startswith(('azure', 'rich', 'requests', "
        "'auditor.sources'))))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().endswith("MODULES []"), proc.stdout[-500:]


def test_missing_sdk_names_the_install_command() -> None:
    code = (
        "import sys; sys.modules['azure.identity'] = None\n"
        "from auditor.cli import main\nsys.exit(main(sys.argv[1:]))"
    )
    proc = _cli("scan", "--live", "--subscription", SUB, code=code)
    assert proc.returncode == 2
    assert "pip install 'mdc-auditor[live]'" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- sanitizing


def test_sanitize_removes_what_no_report_may_show() -> None:
    automation = {
        "id": "/x",
        "type": "Microsoft.Security/automations",
        "properties": {
            "actions": [
                {"actionType": "LogicApp", "uri": "https://h/p?sig=SECRET1", "logicAppResourceId": "/w"}
            ]
        },
    }
    connection = {
        "type": "Microsoft.Web/connections",
        "properties": {
            "parameterValues": {"token": "SECRET2"},
            "parameterValueSet": {"name": "oauth", "values": {"token": {"value": "SECRET3"}}},
            "api": {"id": "/managedApis/office365"},
        },
    }
    workflow = {
        "type": "Microsoft.Logic/workflows",
        "properties": {
            "definition": {"actions": {"h": {"inputs": {"uri": "https://x?a=1&sig=SECRET4&b=2"}}}},
            "parameters": {
                "$connections": {"value": {"k": {"connectionId": "/c"}}},
                "key": {"value": "SECRET5"},
            },
        },
    }
    out = json.dumps([sanitize(automation), sanitize(connection), sanitize(workflow)])
    for n in range(1, 6):
        assert f"SECRET{n}" not in out
    assert "sig=***&b=2" in out and "logicAppResourceId" in out and "connectionId" in out
    clean = sanitize(connection)["properties"]
    assert clean["parameterValues"] == {"token": REDACTED}
    assert automation["properties"]["actions"][0]["uri"].endswith("SECRET1")  # the input is not modified


# ---------------------------------------------------------------- the pipeline refuses before sending


class _Closable:
    def close(self) -> None:
        pass


class _Transport:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __enter__(self) -> _Transport:
        return self

    def __exit__(self, *a: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def sleep(self, seconds: float) -> None:
        pass

    def send(self, request: Any, **kwargs: Any) -> Any:
        from azure.core.rest._http_response_impl import HttpResponseImpl

        self.sent.append(f"{request.method} {request.url}")
        response = HttpResponseImpl(
            request=request,
            internal_response=_Closable(),  # the pipeline reads the body and closes the response
            status_code=200,
            reason="OK",
            content_type="application/json",
            headers={"Content-Type": "application/json"},
            stream_download_generator=None,
        )
        response._content = b'{"value": []}'
        return response


class _Credential:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("tok", 2**31)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo("tok", 2**31)


@pytest.mark.parametrize(
    ("method", "url", "refused"),
    [
        ("GET", "https://arm.example/subscriptions?api-version=1", False),
        ("POST", "https://arm.example/providers/Microsoft.ResourceGraph/resources?api-version=1", False),
        (
            "POST",
            "https://arm.example/subscriptions/s/resourceGroups/r/providers/Microsoft.Logic/workflows/w/triggers/t/listCallbackUrl?api-version=1",
            True,
        ),
        (
            "GET",
            "https://arm.example/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/connections/c/listKeys?api-version=1",
            True,
        ),
        ("PUT", "https://arm.example/subscriptions/s/resourceGroups/r?api-version=1", True),
        (
            "POST",
            "https://arm.example/subscriptions/s/providers/Microsoft.Security/register?api-version=1",
            True,
        ),
        ("GET", "https://evil.example/subscriptions?api-version=1", True),
        ("GET", "https://arm.example:8443/subscriptions?api-version=1", True),
        (
            "GET",
            "https://arm.example/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/listener",
            False,
        ),
    ],
)
def test_read_only_policy(method: str, url: str, refused: bool) -> None:
    pytest.importorskip("azure.core")
    from azure.core.rest import HttpRequest

    from auditor.sources.live.http import RequestRefused, Stats, build_pipeline

    transport = _Transport()
    pipeline = build_pipeline(
        "https://arm.example",
        _Credential(),
        "https://arm.example/.default",
        transport,
        Stats(),
        retries=0,
        max_retry_after=1,
    )
    request = HttpRequest(method, url, json={} if method == "POST" else None)
    if refused:
        with pytest.raises(RequestRefused):
            pipeline.run(request)
        assert transport.sent == []
    else:
        pipeline.run(request)
        assert transport.sent == [f"{method} {url}"]


# ---------------------------------------------------------------- identity


def test_instance_discovery_follows_the_authority(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.sources.live.auth import credential_kwargs

    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    assert "disable_instance_discovery" not in credential_kwargs(LiveOptions(), None)
    assert (
        credential_kwargs(LiveOptions(cloud="AzureChinaCloud"), None)["authority"] == "login.chinacloudapi.cn"
    )
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://adfs.local.azurestack.external")
    kw = credential_kwargs(LiveOptions(), None)
    assert (
        kw["disable_instance_discovery"] is True
        and kw["authority"] == "https://adfs.local.azurestack.external"
    )


class _OidcHandler(BaseHTTPRequestHandler):
    calls: list[tuple[str, str]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        type(self).calls.append((self.path, self.headers.get("Authorization", "")))
        body = json.dumps({"value": f"assertion-{len(type(self).calls)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_github_oidc_assertion_is_fetched_again_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.sources.live.auth import github_oidc_assertion

    server = HTTPServer(("127.0.0.1", 0), _OidcHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"http://127.0.0.1:{server.server_port}/token?x=1")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner-bearer")
        assert github_oidc_assertion() == "assertion-1"
        assert github_oidc_assertion() == "assertion-2"  # a long scan gets a fresh assertion
        path, auth = _OidcHandler.calls[0]
        assert path == "/token?x=1&audience=api%3A%2F%2FAzureADTokenExchange"
        assert auth == "bearer runner-bearer"
    finally:
        server.shutdown()
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    with pytest.raises(LiveError, match="id-token: write"):
        github_oidc_assertion()


def test_github_oidc_credential_needs_the_job_token(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("azure.identity")
    from auditor.sources.live.auth import build_credential

    monkeypatch.setenv("AZURE_TENANT_ID", "d3b6f0a2-5c1e-4f7a-9b2d-1e8c4a6f0b13")
    monkeypatch.setenv("AZURE_CLIENT_ID", "8f5c3c1e-7d5a-4b8e-9c1f-2a6d4e0b9f31")
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL", raising=False)
    with pytest.raises(LiveError, match="id-token: write"):
        build_credential(LiveOptions(auth="github-oidc"), None)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t")
    credential = build_credential(LiveOptions(auth="github-oidc"), None)
    assert type(credential).__name__ == "ClientAssertionCredential"


# ---------------------------------------------------------------- LIV001, AUT205, reports


CHECKS = {c.rule.id: c for c in load_checks()}


def _coverage(*records: tuple[str | None, str, str]) -> list[CoverageRecord]:
    return [
        CoverageRecord(
            subscription=s, subscription_name="prod" if s else None, resource_type=t, status=st, detail="x"
        )
        for s, t, st in records
    ]


def test_liv001_reports_each_gap_and_nothing_when_complete() -> None:
    inventory = Inventory(
        coverage=_coverage(
            (SUB, "Microsoft.Web/connections", "forbidden"),
            (SUB, "Microsoft.Logic/workflows", "ok"),
            (None, "Microsoft.Management/managementGroups", "throttled-out"),
        )
    )
    result = run(inventory, [CHECKS["LIV001"]])
    assert [(f.location.resource, f.location.file) for f in result.findings] == [
        (f"/subscriptions/{SUB}", None),
        ("/", None),
    ]
    first, second = (f.message for f in result.findings)
    assert (
        "Microsoft.Web/connections" in first and "'prod'" in first and SUB in first and "forbidden" in first
    )
    assert "tenant level" in second and "throttled-out" in second
    assert result.findings[0].fingerprint != result.findings[1].fingerprint
    assert not run(Inventory(coverage=_coverage((SUB, "a/b", "ok"))), [CHECKS["LIV001"]]).findings


def test_aut205_uses_live_assessment_metadata() -> None:
    key = "aaaaaaaa-1111-4222-8333-444444444444"  # not on the bundled list
    rule = AutomationRule(
        jpath="name", property_type="String", expected_value=key, operator="Contains", origin=LIVE
    )
    automation = Automation(
        id=LIVE.resource,
        name="a",
        sources=[
            AutomationSource(
                event_source="Assessments", rule_sets=[RuleSet(rules=[rule], origin=LIVE)], origin=LIVE
            )
        ],
        origin=LIVE,
    )
    metadata = AssessmentMetadata(
        key=key, display_name="EP on scale sets", planned_deprecation_date="08/2024", origin=LIVE
    )
    assert not run(Inventory(automations=[automation]), [CHECKS["AUT205"]]).findings
    (finding,) = run(
        Inventory(automations=[automation], assessment_metadata=[metadata]), [CHECKS["AUT205"]]
    ).findings
    assert "EP on scale sets" in finding.message and "08/2024" in finding.message


def test_reports_carry_the_coverage_and_anchor_live_findings() -> None:
    from auditor.reports import render

    inventory = Inventory(
        coverage=_coverage((SUB, "Microsoft.Web/connections", "forbidden"), (SUB, "x/y", "ok"))
    )
    result = run(inventory, [CHECKS["LIV001"]])
    out = StringIO()
    render("json", result, out)
    doc = json.loads(out.getvalue())
    assert [c["status"] for c in doc["coverage"]] == ["forbidden", "ok"]
    out = StringIO()
    render("sarif", result, out, root=".")
    sarif = json.loads(out.getvalue())
    run_ = sarif["runs"][0]
    assert run_["properties"]["coverage"][0]["resource_type"] == "Microsoft.Web/connections"
    assert "INCOMPLETE" in run_["properties"]["coverageSummary"]
    loc = run_["results"][0]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": ".auditor-live", "uriBaseId": "%SRCROOT%"}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == f"/subscriptions/{SUB}"
    for fmt in ("text", "markdown", "github", "azure", "html"):
        out = StringIO()
        render(fmt, result, out, paths=[])
        assert "Live coverage: INCOMPLETE" in out.getvalue(), fmt
    empty = run(Inventory(), [CHECKS["LIV001"]])
    out = StringIO()
    render("json", empty, out)
    assert json.loads(out.getvalue())["coverage"] == []
    out = StringIO()
    render("text", empty, out)
    assert "Live coverage" not in out.getvalue()


def test_retry_after_is_honoured_but_capped() -> None:
    pytest.importorskip("azure.core")
    from azure.core.pipeline.policies import RetryPolicy

    from auditor.sources.live.http import Stats, build_pipeline

    pipeline = build_pipeline(
        "https://arm.example",
        _Credential(),
        "https://arm.example/.default",
        _Transport(),
        Stats(),
        retries=3,
        max_retry_after=5,
    )
    (retry,) = [p for p in pipeline._impl_policies if isinstance(p, RetryPolicy)]

    class _Response:
        def __init__(self, value: str) -> None:
            self.http_response = type("R", (), {"headers": {"Retry-After": value}})()

    assert retry.get_retry_after(_Response("2")) == 2
    assert retry.get_retry_after(_Response("3600")) == 5
    names = [
        type(getattr(p, "_policy", p)).__name__ for p in pipeline._impl_policies
    ]  # SansIO ones are wrapped
    assert names[0] == "ReadOnlyPolicy"
    assert "ARMAutoResourceProviderRegistrationPolicy" not in names and "RedirectPolicy" not in names
    assert "HttpLoggingPolicy" not in names and "NetworkTraceLoggingPolicy" not in names
