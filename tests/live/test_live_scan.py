"""``auditor scan --live`` against the HTTPS ARM/Entra emulator, with the real azure-identity and azure-core.

The CLI always runs as a subprocess (a user's process: its own environment, nothing patched), talking
over HTTPS to the emulator, which serves in this process (``emulator`` fixture) or in its own process
(the black-box test). The emulator's request log shows what the scanner sent.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.emulator import DEFAULT_DATA_DIR, Emulator, running_emulator
from tests.live.emulator.server import _sanitize

REPO = Path(__file__).resolve().parents[2]
AUDITOR = [sys.executable, "-m", "auditor"]
PROD = "6b1c3e9a-2f4d-4a8b-9c7e-1d2f3a4b5c6d"
DEV = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
SANDBOX = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
SUBSCRIPTION_TYPES = (
    "Microsoft.Security/automations",
    "Microsoft.Logic/workflows",
    "Microsoft.Web/connections",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.Authorization/roleDefinitions",
    "Microsoft.Authorization/denyAssignments",
    "Microsoft.Authorization/policyAssignments",
)
TENANT_TYPES = (
    "Microsoft.Resources/subscriptions",
    "Microsoft.Management/managementGroups",
    "Microsoft.Security/assessmentMetadata",
)
FORMATS = ("text", "json", "sarif", "html", "markdown", "github", "azure")

pytest.importorskip("azure.identity", reason="the 'live' extra is not installed (pip install -e '.[test]')")


def cli_env(emu: Emulator, home: Path, **extra: str) -> dict[str, str]:
    """What a user of the emulator exports (README of tests/live), and nothing else from this process.

    ``AZURE_TOKEN_CREDENTIALS=EnvironmentCredential`` keeps DefaultAzureCredential to the environment
    credential: without it a failing sign-in would go on to probe managed identity (169.254.169.254), the
    Azure CLI and others, off this machine. ``HOME`` is an empty folder so no real ``az`` login is used.
    """
    env = {
        "AZURE_TENANT_ID": emu.tenant,
        "AZURE_CLIENT_ID": emu.client_id,
        "AZURE_CLIENT_SECRET": emu.client_secret,
        "AZURE_AUTHORITY_HOST": emu.url,
        "REQUESTS_CA_BUNDLE": emu.ca_path,
        "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
        "HOME": str(home),
    }
    env.update(extra)
    return env


def run_auditor(
    emu: Emulator, tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [*AUDITOR, *args],
        capture_output=True,
        text=True,
        env=env if env is not None else cli_env(emu, home),
        cwd=tmp_path,
        timeout=timeout,
    )


def scan_json(emu: Emulator, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = run_auditor(emu, tmp_path, "scan", "--live", "--arm-endpoint", emu.url, "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def triples(doc: dict[str, Any], *, skip: tuple[str, ...] = ("LIV", "SRC")) -> set[tuple[str, str, str]]:
    return {
        (f["rule"], f["resource"], f["message"]) for f in doc["findings"] if not f["rule"].startswith(skip)
    }


# ---------------------------------------------------------------- black box (Azure Stack Hub style)


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``python -m tests.live.emulator --port 0`` in its own process; its JSON line."""
    pytest.importorskip("trustme")
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"forbidden": [{"subscription": DEV, "type": "Microsoft.Web/connections"}]}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.live.emulator", "--port", "0", "--faults", str(faults)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        yield json.loads(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_black_box_scan_as_on_azure_stack_hub(emulator_process: dict[str, Any], tmp_path: Path) -> None:
    info = emulator_process
    home = tmp_path / "home"
    home.mkdir()
    # Nothing but the service principal, the authority, the CA, and (see cli_env) the credential
    # restriction that keeps DefaultAzureCredential from probing other sources; HOME is empty.
    env = {
        "AZURE_TENANT_ID": info["tenant"],
        "AZURE_CLIENT_ID": info["client_id"],
        "AZURE_CLIENT_SECRET": info["client_secret"],
        "AZURE_AUTHORITY_HOST": info["url"],
        "REQUESTS_CA_BUNDLE": info["ca"],
        "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
        "HOME": str(home),
    }
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "auditor"),
            "scan",
            "--live",
            "--arm-endpoint",
            info["url"],
            "--subscription",
            PROD,
            "--subscription",
            DEV,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60
    doc = json.loads(proc.stdout)
    findings = doc["findings"]
    assert findings
    ids = {
        res["id"]
        for file in DEFAULT_DATA_DIR.glob("*.json")
        for res in json.loads(file.read_text(encoding="utf-8")).get("resources", [])
    }
    for f in findings:
        assert f["path"] is None and f["line"] == 0
        if f["rule"] == "LIV001":
            assert f["resource"] == f"/subscriptions/{DEV}"
        else:  # the resource's full ARM id, exactly as ARM spells it
            assert f["resource"] in ids, f
    rules = {(f["rule"], f["resource"].rsplit("/", 1)[-1]) for f in findings}
    assert ("LA106", "office365") in rules  # Error / Unauthenticated connection: live LA106
    assert ("LA101", "wf-legacy-alert-response") in rules
    assert ("AUT205", "notify-endpoint-protection") in rules
    (liv,) = [f for f in findings if f["rule"] == "LIV001"]
    assert (
        "Microsoft.Web/connections" in liv["message"]
        and "contoso-dev" in liv["message"]
        and DEV in liv["message"]
    )
    assert liv["severity"] == "high"
    gaps = [c for c in doc["coverage"] if c["status"] != "ok"]
    assert gaps == [
        {
            "subscription": DEV,
            "subscription_name": "contoso-dev",
            "resource_type": "Microsoft.Web/connections",
            "status": "forbidden",
            "detail": "403 AuthorizationFailed: the identity lacks 'Microsoft.Web/connections/read'; Reader on the "
            "subscription (or a management group above it) grants it",
            "items": 0,
        }
    ]
    assert len(doc["coverage"]) == len(TENANT_TYPES) - 1 + 2 * len(SUBSCRIPTION_TYPES)  # subscriptions given


# ---------------------------------------------------------------- live == offline


def _exported_bodies() -> dict[str, list[dict[str, Any]]]:
    """The emulator's data as the REST bodies GET returns, for the types a live scan reads."""
    wanted = {t.lower() for t in SUBSCRIPTION_TYPES} | {"microsoft.security/assessmentmetadata"}
    out: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(DEFAULT_DATA_DIR.glob("*.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        bodies = []
        for res in doc.get("resources", []):
            kind = str(res.get("type", "")).lower()
            if kind not in wanted:
                continue
            props = res.get("properties") or {}
            if kind == "microsoft.authorization/roledefinitions" and props.get("type") != "CustomRole":
                continue  # built-in roles ship with auditor; a live scan reads the custom ones
            bodies.append(_sanitize(copy.deepcopy(res)))
        if bodies:
            out[file.stem] = bodies
    return out


def test_live_and_offline_scans_give_the_same_findings(emulator: Emulator, tmp_path: Path) -> None:
    # the access snapshot both scans use, written by `auditor access export --live`
    snapshot = tmp_path / "access.json"
    proc = run_auditor(
        emulator,
        tmp_path,
        "access",
        "export",
        "--live",
        "--arm-endpoint",
        emulator.url,
        "--output",
        str(snapshot),
    )
    assert proc.returncode == 0, proc.stderr
    exported = tmp_path / "exported"
    exported.mkdir()
    for name, bodies in _exported_bodies().items():
        (exported / f"{name}.json").write_text(json.dumps({"value": bodies}, indent=2), encoding="utf-8")

    code_live, live, _ = scan_json(emulator, tmp_path, "--access", str(snapshot))
    offline_proc = run_auditor(
        emulator, tmp_path, "scan", str(exported), "--access", str(snapshot), "--format", "json"
    )
    assert offline_proc.returncode == code_live == 1, offline_proc.stderr
    offline = json.loads(offline_proc.stdout)
    assert triples(live) == triples(offline)
    assert len(triples(live)) >= 8
    assert not [f for f in live["findings"] if f["rule"] == "LIV001"]


def test_resource_graph_path_finds_the_same_problems(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(graph_throttle={"count": 2})  # 429 without Retry-After: retried by auditor itself
    _, per_subscription, _ = scan_json(emulator, tmp_path, "--graph-threshold", "50")
    _, graph, err = scan_json(emulator, tmp_path, "--graph-threshold", "1")
    assert "through Resource Graph" in err
    # role data differ only by the root-scope assignment Resource Graph cannot show at a group scope
    assert triples(graph, skip=("LIV", "SRC", "RB")) == triples(per_subscription, skip=("LIV", "SRC", "RB"))
    assert all(c["status"] == "ok" for c in graph["coverage"]), graph["coverage"]
    graph_posts = [r for r in emulator.requests if r.kind == "graph"]
    assert [r.status for r in graph_posts[:3]] == [429, 429, 200]


# ---------------------------------------------------------------- faults and coverage


# The retried faults hit readable subscriptions only: with SANDBOX (all forbidden) among them, which
# subscription's request comes first decided whether a throttled request was answered 200 or 403 on
# retry, and the test failed now and then under load (a race of the test, not of auditor).
_READABLE = f"/subscriptions/({PROD}|{DEV})/providers"
FAULTS = {
    "latency_ms": 30,
    "throttle": [{"path": f"{_READABLE}/Microsoft.Logic/workflows$", "count": 2, "retry_after": 1}],
    "unavailable": [{"path": f"{_READABLE}/Microsoft.Security/automations$", "count": 2}],
    "forbidden": [{"subscription": SANDBOX}, {"subscription": PROD, "type": "Microsoft.Web/connections"}],
    "foreign_next_link": {
        "path": f"/subscriptions/{DEV}/providers/Microsoft.Authorization/roleAssignments",
        "url": "https://evil.example.invalid/steal?api-version=2022-04-01",
    },
}


def _expected_coverage() -> dict[tuple[str | None, str], str]:
    expected: dict[tuple[str | None, str], str] = {(None, t): "ok" for t in TENANT_TYPES}
    for sub in (PROD, DEV, SANDBOX):
        for t in SUBSCRIPTION_TYPES:
            expected[(sub, t)] = "forbidden" if sub == SANDBOX else "ok"
    expected[(PROD, "Microsoft.Web/connections")] = "forbidden"
    expected[(DEV, "Microsoft.Authorization/roleAssignments")] = "failed"
    return expected


def test_faults_give_an_exact_coverage_record_and_fail_the_gate(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(FAULTS)
    code, doc, err = scan_json(emulator, tmp_path, "--select", "LIV001")
    assert code == 1  # LIV001 is high: the gate fails
    coverage = {(c["subscription"], c["resource_type"]): c for c in doc["coverage"]}
    assert {k: c["status"] for k, c in coverage.items()} == _expected_coverage()
    assert "evil.example.invalid" in coverage[(DEV, "Microsoft.Authorization/roleAssignments")]["detail"]
    assert "Microsoft.Web/connections/read" in coverage[(PROD, "Microsoft.Web/connections")]["detail"]
    liv = [f for f in doc["findings"] if f["rule"] == "LIV001"]
    assert len(liv) == 2 + len(SUBSCRIPTION_TYPES)
    assert {f["severity"] for f in liv} == {"high"}
    assert any("Microsoft.Web/connections" in f["message"] and "contoso-prod" in f["message"] for f in liv)
    assert any(
        "Microsoft.Authorization/roleAssignments" in f["message"] and "contoso-dev" in f["message"]
        for f in liv
    )
    # the retried faults succeeded: 429 (Retry-After) and 503 answers were each followed by a 200
    log = emulator.requests
    for fault in ("throttle", "unavailable"):
        hit = [r for r in log if r.fault == fault]
        assert len(hit) == 2
        assert all(any(r.path == h.path and r.status == 200 and r.seq > h.seq for r in log) for h in hit)
    assert "every read was refused (403)" in err and "Reader and Security Reader" in err

    partial_code, partial, _ = scan_json(
        emulator_reset(emulator), tmp_path, "--select", "LIV001", "--allow-partial"
    )
    assert partial_code == 0  # accepted gap: still reported, at info
    liv = [f for f in partial["findings"] if f["rule"] == "LIV001"]
    assert len(liv) == 2 + len(SUBSCRIPTION_TYPES) and {f["severity"] for f in liv} == {"info"}
    assert {
        (c["subscription"], c["resource_type"]): c["status"] for c in partial["coverage"]
    } == _expected_coverage()


def emulator_reset(emu: Emulator) -> Emulator:
    emu.set_faults(FAULTS)  # counters restart
    emu.reset_log()
    return emu


def test_coverage_line_in_every_format(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(forbidden=[{"subscription": PROD, "type": "Microsoft.Web/connections"}])
    outputs = [f"{fmt}:{tmp_path / ('out.' + fmt)}" for fmt in FORMATS]
    proc = run_auditor(
        emulator,
        tmp_path,
        "scan",
        "--live",
        "--arm-endpoint",
        emulator.url,
        *[a for o in outputs for a in ("-o", o)],
    )
    assert proc.returncode == 1, proc.stderr
    texts = {fmt: (tmp_path / f"out.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS}
    for fmt in ("text", "markdown", "github", "azure", "html"):
        assert "Live coverage: INCOMPLETE" in texts[fmt], fmt
    assert "contoso-prod" in texts["html"]
    sarif = json.loads(texts["sarif"])
    run = sarif["runs"][0]
    assert next(c for c in run["properties"]["coverage"] if c["status"] != "ok")["subscription"] == PROD
    for result in run["results"]:  # live findings: a stable anchor, line 1, the ARM id as logical location
        loc = result["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"] == {
            "uri": ".auditor-live",
            "uriBaseId": "%SRCROOT%",
        }
        assert loc["physicalLocation"]["region"]["startLine"] == 1
        assert loc["logicalLocations"][0]["fullyQualifiedName"].startswith("/subscriptions/")
    doc = json.loads(texts["json"])
    assert any(c["status"] == "forbidden" for c in doc["coverage"])


def test_scan_timeout_records_what_was_not_read(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(latency_ms=400)
    started = time.monotonic()
    code, doc, _ = scan_json(
        emulator, tmp_path, "--scan-timeout", "2", "--concurrency", "2", "--select", "LIV001"
    )
    assert time.monotonic() - started < 30
    assert code == 1
    statuses = {c["status"] for c in doc["coverage"]}
    assert "timed-out" in statuses
    assert any("timed-out" in f["message"] for f in doc["findings"] if f["rule"] == "LIV001")


# ---------------------------------------------------------------- read-only, secret-safe


def test_a_full_scan_only_reads(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(foreign_next_link=FAULTS["foreign_next_link"])
    scan_json(emulator, tmp_path)
    scan_json(emulator, tmp_path, "--graph-threshold", "0")
    log = emulator.requests
    assert log
    assert not emulator.writes()
    for r in log:
        if r.kind == "graph":
            assert (r.method, r.path.lower()) == ("POST", "/providers/microsoft.resourcegraph/resources")
        elif r.kind == "token":
            assert r.method == "POST"  # the sign-in itself (Entra), not ARM
        else:
            assert r.method == "GET", r
        low = r.path.lower()
        assert "listcallbackurl" not in low and "listkeys" not in low and "listsecrets" not in low
        assert "/steal" not in low
    assert any(r.fault == "foreign_next_link" for r in log)  # served, and not followed (no other host)
    # the list whose nextLink was foreign got exactly one page
    pages = [
        r for r in log if r.path == f"/subscriptions/{DEV}/providers/Microsoft.Authorization/roleAssignments"
    ]
    assert len(pages) == 1


SECRETS = {
    "callback": "Zq8sIgSecretValue0123456789abcdefABCDEF",
    "connection": "conn-secret-7f3a9b2c4d5e6f708192a3b4",
    "http_sig": "HttpActionSig0987654321zyxwvu",
    "definition_default": "wf-default-secret-55aa66bb77cc",
    "workflow_param": "wf-runtime-secret-1a2b3c4d5e",
}


def _data_with_secrets(target: Path) -> None:
    shutil.copytree(DEFAULT_DATA_DIR, target)
    path = target / "sub-contoso-prod.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for res in doc["resources"]:
        kind = res["type"].lower()
        props = res.setdefault("properties", {})
        if kind == "microsoft.security/automations":
            for action in props.get("actions", []):
                action["uri"] = (
                    "https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke"
                    f"?api-version=2016-10-01&sp=%2Ftriggers&sv=1.0&sig={SECRETS['callback']}"
                )
        elif kind == "microsoft.web/connections":
            props["parameterValues"] = {"token": SECRETS["connection"], "username": "ops@contoso.com"}
        elif res["name"] == "wf-notify-alerts":
            definition = props["definition"]
            definition.setdefault("parameters", {})["ThreatIntelApiKey"] = {
                "type": "String",
                "defaultValue": SECRETS["definition_default"],
            }
            definition.setdefault("actions", {})["Call_webhook"] = {
                "type": "Http",
                "inputs": {"method": "POST", "uri": f"https://hooks.contoso.com/x?sig={SECRETS['http_sig']}"},
            }
            props.setdefault("parameters", {})["ApiKey"] = {"value": SECRETS["workflow_param"]}
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("threshold", ["50", "0"], ids=["per-subscription", "resource-graph"])
def test_secrets_reach_no_output(tmp_path: Path, threshold: str) -> None:
    """Resource Graph rows (unlike GET) carry the callback URI and the connection's parameter values here."""
    data = tmp_path / "data"
    _data_with_secrets(data)
    with running_emulator(data_dir=data, page_size=2) as emu:
        outputs = [a for fmt in FORMATS for a in ("-o", f"{fmt}:{tmp_path / ('out.' + fmt)}")]
        proc = run_auditor(
            emu,
            tmp_path,
            "scan",
            "--live",
            "--arm-endpoint",
            emu.url,
            "--graph-threshold",
            threshold,
            "--verbose",
            *outputs,
        )
        tokens = list(emu.state.tokens)
    assert proc.returncode == 1, proc.stderr
    assert "GET /subscriptions" in proc.stderr  # --verbose logged the requests
    texts = [
        proc.stdout,
        proc.stderr,
        *((tmp_path / f"out.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS),
    ]
    everything = "\n".join(texts)
    for name, secret in {**SECRETS, "client_secret": emu.client_secret}.items():
        assert secret not in everything, name
    assert tokens and not any(t in everything for t in tokens)
    assert "Authorization:" not in proc.stderr and "Bearer " not in proc.stderr
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    rules = {f["rule"] for f in doc["findings"]}
    assert "SEC501" in rules  # the secret-named default was found, and not shown
    assert "SEC502" not in rules  # a deployed automation's callback uri is not a template literal


# ---------------------------------------------------------------- no credential


def test_no_usable_credential_exits_2_quickly_and_says_what_was_tried(tmp_path: Path) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.defpath}
    started = time.monotonic()
    proc = subprocess.run(
        [*AUDITOR, "scan", "--live", "--auth", "default", "--subscription", PROD],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 2
    assert elapsed < 20
    assert "Traceback" not in proc.stderr
    assert "no usable Azure credential" in proc.stderr
    for source in ("EnvironmentCredential", "ManagedIdentityCredential", "AzureCliCredential"):
        assert source in proc.stderr
    assert "az login" in proc.stderr and "AZURE_CLIENT_SECRET" in proc.stderr
    assert proc.stdout == ""


def test_wrong_secret_is_a_clear_error(emulator: Emulator, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = cli_env(emulator, home, AZURE_CLIENT_SECRET="not-the-secret")
    proc = run_auditor(emulator, tmp_path, "scan", "--live", "--arm-endpoint", emulator.url, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no usable Azure credential" in proc.stderr and "EnvironmentCredential" in proc.stderr
    assert not [r for r in emulator.requests if r.kind in ("arm", "graph")]  # nothing read without a token


def test_guid_tenant_with_a_non_microsoft_authority(emulator: Emulator, tmp_path: Path) -> None:
    """AZURE_AUTHORITY_HOST is not a Microsoft host: instance discovery is disabled, the v2 paths work."""
    home = tmp_path / "home"
    home.mkdir()
    env = cli_env(emulator, home, AZURE_TENANT_ID=emulator.tenant_id)
    proc = run_auditor(
        emulator, tmp_path, "scan", "--live", "--arm-endpoint", emulator.url, "--subscription", PROD, env=env
    )
    assert proc.returncode == 1, proc.stderr
    token_paths = {r.path for r in emulator.requests if r.kind in ("token", "discovery")}
    assert any(emulator.tenant_id in p for p in token_paths)


# ---------------------------------------------------------------- scopes and access export


def test_management_group_scope(emulator: Emulator, tmp_path: Path) -> None:
    _, doc, _ = scan_json(emulator, tmp_path, "--management-group", "mg-contoso")
    subs = {c["subscription"] for c in doc["coverage"] if c["subscription"]}
    assert subs == {PROD, DEV}


def test_access_export_writes_a_snapshot_auditor_loads(emulator: Emulator, tmp_path: Path) -> None:
    from auditor.rbac import Evaluator, load_snapshot

    out = tmp_path / "access.json"
    proc = run_auditor(
        emulator,
        tmp_path,
        "access",
        "export",
        "--live",
        "--arm-endpoint",
        emulator.url,
        "--subscription",
        PROD,
        "--output",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["managementGroups"]["mg-contoso"] == "d3b6f0a2-5c1e-4f7a-9b2d-1e8c4a6f0b13"
    assert data["subscriptions"][PROD] == "mg-contoso"
    snapshot = load_snapshot(out)
    assert len(snapshot.deny_assignments) == 1
    assert any(rd.role_name for rd in snapshot.role_definitions.values())
    # the DINE recommendations assignment's identity holds Contributor from mg-contoso (tenant.json) ...
    evaluator = Evaluator(snapshot)
    principal = "a1b2c3d4-4444-4aaa-8bbb-000000000004"
    write = "Microsoft.Security/automations/write"
    allowed = evaluator.check(principal, f"/subscriptions/{PROD}/resourceGroups/rg-wfa-policy", write)
    assert allowed.decision == "allowed"
    # ... but the deployment stack's deny assignment on rg-secops wins there
    assert (
        evaluator.check(principal, f"/subscriptions/{PROD}/resourceGroups/rg-secops", write).decision
        == "denied"
    )
    assert not [r for r in emulator.requests if "automations" in r.path.lower()]  # role data only
    # the same file through the CLI
    explain = run_auditor(
        emulator,
        tmp_path,
        "access",
        "explain",
        str(out),
        "--principal",
        "a1b2c3d4-4444-4aaa-8bbb-000000000004",
        "--scope",
        f"/subscriptions/{PROD}",
        "--action",
        "Microsoft.Security/automations/write",
    )
    assert explain.returncode == 0, explain.stdout + explain.stderr


def test_live_and_files_in_one_run(emulator: Emulator, tmp_path: Path) -> None:
    examples = REPO / "examples" / "broken"
    code, doc, _ = scan_json(emulator, tmp_path, str(examples), "--subscription", PROD)
    assert code == 1
    paths = {f["path"] for f in doc["findings"]}
    assert None in paths and any(p and p.endswith(".json") for p in paths)
    assert doc["files"]["scanned"] >= 1
