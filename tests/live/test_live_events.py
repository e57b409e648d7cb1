"""Defender events read live (issue 13, item 3): alerts and assessments from the emulator, ``simulate --live``.

The reader (``auditor/sources/live/events.py``) runs the real scanner pipeline (azure-identity, azure-core,
requests) over HTTPS against the emulator, in this process; ``auditor simulate --live`` runs as a
subprocess, as a user would. The emulator's request log proves what was sent: GETs only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.live.emulator import Emulator, make_subscriptions, running_emulator

pytest.importorskip("azure.identity", reason="the 'live' extra is not installed (pip install -e '.[test]')")

from auditor.events import events_from_bodies
from auditor.sources.live.events import (
    ALERTS_TYPE,
    ASSESSMENTS_TYPE,
    LiveEvents,
    alert_time,
    collect_live,
    parse_since,
    read_events,
)
from auditor.sources.live.options import LiveOptions

PROD = "6b1c3e9a-2f4d-4a8b-9c7e-1d2f3a4b5c6d"
DEV = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
SANDBOX = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
ALERTS_RE = "/providers/Microsoft\\.Security/alerts$"
NOVEMBER = datetime(2026, 11, 1, tzinfo=timezone.utc)
VM = f"/subscriptions/{PROD}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-web-01"


def _env(emu: Emulator, home: Path) -> dict[str, str]:
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


@pytest.fixture
def read(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., LiveEvents]:
    """Read events in this process (the user's environment variables point at the emulator)."""
    for name, value in _env(emulator, tmp_path).items():
        monkeypatch.setenv(name, value)

    def run(since: datetime = NOVEMBER, **kw: Any) -> LiveEvents:
        options = LiveOptions(
            arm_endpoint=emulator.url, concurrency=4, retries=2, request_timeout=20, scan_timeout=120, **kw
        )
        return read_events(options, since)

    return run


def _records(found: LiveEvents) -> dict[tuple[str | None, str], Any]:
    return {(c.subscription, c.resource_type): c for c in found.result.coverage}


def _names(found: LiveEvents) -> list[str]:
    return [str(b["name"]) for b in found.bodies]


def _only_gets(emu: Emulator) -> None:
    assert emu.requests
    assert not emu.writes()
    for record in emu.requests:
        low = record.path.lower()
        assert "listcallbackurl" not in low and "listkeys" not in low and "listsecrets" not in low
        if record.kind in ("arm", "graph", "write"):
            assert record.method == "GET", record


# ---------------------------------------------------------------- --since


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", datetime(2026, 11, 7, 12, 0, tzinfo=timezone.utc)),
        ("12h", datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)),
        ("90m", datetime(2026, 12, 7, 10, 30, tzinfo=timezone.utc)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=timezone.utc)),
        ("2026-11-01T08:30:00Z", datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)),
        ("2026-11-01T10:30:00+02:00", datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)),
    ],
)
def test_since_accepts_durations_and_iso_times(text: str, expected: datetime) -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    assert parse_since(text, now) == expected


@pytest.mark.parametrize("text", ["", "30", "30w", "yesterday", "2026-13-01", "99999d"])
def test_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since(text)


def test_alert_time_reads_dotnet_fractions_and_ignores_junk() -> None:
    assert alert_time({"properties": {"timeGeneratedUtc": "2026-11-28T09:14:27.1234567Z"}}) == datetime(
        2026, 11, 28, 9, 14, 27, 123456, tzinfo=timezone.utc
    )
    assert alert_time({"properties": {"timeGeneratedUtc": 5, "startTimeUtc": "2026-11-02T00:00:00Z"}}) == (
        datetime(2026, 11, 2, tzinfo=timezone.utc)
    )
    assert alert_time({"properties": {"timeGeneratedUtc": "x" * 30}}) is None
    assert alert_time({"properties": []}) is None


# ---------------------------------------------------------------- the emulator


def test_emulator_serves_alerts_as_the_sdk_reads_them(emulator: Emulator) -> None:
    """azure-mgmt-security's own Alerts_List (2022-01-01) pages through the emulator's alerts."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.security import SecurityCenter

    from tests.live.helpers import credential_kwargs, sdk_kwargs

    credential = ClientSecretCredential(
        emulator.tenant, emulator.client_id, emulator.client_secret, **credential_kwargs(emulator)
    )
    client = SecurityCenter(credential, PROD, **sdk_kwargs(emulator))
    alerts = list(client.alerts.list())
    assert {(a.alert_type, a.severity) for a in alerts} == {
        ("VM_SuspiciousCommandLine", "High"),
        ("VM_AmBroadFilesExclusion", "Low"),
        ("VM_SshBruteForceAttempt", "Informational"),
    }
    assert all(a.resource_identifiers and a.time_generated_utc for a in alerts)
    assessments = list(client.assessments.list(f"/subscriptions/{PROD}"))
    assert sorted(a.status.code for a in assessments) == ["Healthy", "NotApplicable", "Unhealthy"]
    pages = [r for r in emulator.requests if r.path.endswith("/Microsoft.Security/alerts")]
    assert len(pages) == 2 and {r.api_version for r in pages} == {"2022-01-01"}  # 4 alerts, page size 2
    # extension resources are not in the generic resource list
    generic = [r for r in emulator.requests if r.path.endswith("/resources")]
    assert not generic


# ---------------------------------------------------------------- the reader


def test_reads_recent_alerts_and_unhealthy_assessments_of_every_subscription(
    emulator: Emulator, read: Callable[..., LiveEvents]
) -> None:
    found = read()
    assert found.complete
    kinds = [
        (b["type"], b["properties"].get("severity") or b["properties"]["status"]["code"])
        for b in found.bodies
    ]
    assert kinds == [
        ("Microsoft.Security/Locations/alerts", "Medium"),
        ("Microsoft.Security/assessments", "Unhealthy"),
        ("Microsoft.Security/Locations/alerts", "High"),
        ("Microsoft.Security/Locations/alerts", "Low"),
        ("Microsoft.Security/Locations/alerts", "Informational"),
        ("Microsoft.Security/assessments", "Unhealthy"),
        ("Microsoft.Security/Locations/alerts", "High"),
    ]  # dev, prod, sandbox in discovery order; the June 2025 alert and the Healthy ones are left out
    records = _records(found)
    assert records[(PROD, ALERTS_TYPE)].items == 3 and records[(PROD, ASSESSMENTS_TYPE)].items == 1
    assert records[(SANDBOX, ALERTS_TYPE)].items == 1 and records[(SANDBOX, ASSESSMENTS_TYPE)].items == 0
    assert len(found.result.inventory.automations) == 5  # the deployed automations, read in the same run
    alert_pages = [
        r for r in emulator.requests if r.path == f"/subscriptions/{PROD}/providers/Microsoft.Security/alerts"
    ]
    assert len(alert_pages) == 2  # paged at 2: the nextLink was followed
    _only_gets(emulator)
    events = events_from_bodies(found.bodies, "live")
    assert [e.kind for e in events] == ["Alerts", "Assessments", *["Alerts"] * 3, "Assessments", "Alerts"]
    assert events[2].resource == VM and events[2].label == "live#2"


def test_since_is_applied_client_side(read: Callable[..., LiveEvents]) -> None:
    names = _names(read(since=datetime(2025, 1, 1, tzinfo=timezone.utc)))
    assert "2517999934617166666_3b2a1908-7f6e-4d5c-8b4a-392817161514" in names  # the June 2025 alert
    late = read(since=datetime(2026, 11, 29, tzinfo=timezone.utc))
    alerts = [b["properties"]["alertType"] for b in late.bodies if b["type"].endswith("alerts")]
    assert alerts == ["VM_SshBruteForceAttempt", "Storage.Blob_MalwareHashReputation"]


def test_a_refused_subscription_is_recorded_per_read(
    emulator: Emulator, read: Callable[..., LiveEvents]
) -> None:
    emulator.set_faults(forbidden=[{"subscription": DEV, "type": "Microsoft.Security/alerts"}])
    found = read()
    assert not found.complete
    gaps = [c for c in found.result.coverage if c.status != "ok"]
    assert [(c.subscription, c.resource_type, c.status) for c in gaps] == [(DEV, ALERTS_TYPE, "forbidden")]
    assert "Microsoft.Security/alerts/read" in gaps[0].detail
    assert "KV_AccountVolumeAnomaly" not in json.dumps(found.bodies)  # dev's alert was not read
    assert any(b["type"] == "Microsoft.Security/assessments" and DEV in b["id"] for b in found.bodies)


def test_throttled_reads_are_retried(emulator: Emulator, read: Callable[..., LiveEvents]) -> None:
    emulator.set_faults(throttle=[{"path": ALERTS_RE, "count": 2, "retry_after": 1}])
    found = read(subscriptions=(PROD,))
    assert found.complete
    assert found.result.stats.throttled == 2 and found.result.stats.retries >= 2
    statuses = [r.status for r in emulator.requests if r.path.endswith("/Microsoft.Security/alerts")]
    assert statuses.count(429) == 2 and statuses.count(200) == 2
    assert len([b for b in found.bodies if b["type"].endswith("alerts")]) == 3


def test_server_errors_after_the_retries_are_a_failed_read(
    emulator: Emulator, read: Callable[..., LiveEvents]
) -> None:
    emulator.set_faults(unavailable=[{"path": "/providers/Microsoft\\.Security/assessments$", "count": None}])
    found = read(subscriptions=(PROD,))
    record = _records(found)[(PROD, ASSESSMENTS_TYPE)]
    assert record.status == "failed" and "503" in record.detail
    assert _records(found)[(PROD, ALERTS_TYPE)].status == "ok"


def test_an_item_that_is_not_an_alert_is_left_out_and_said(
    emulator: Emulator, read: Callable[..., LiveEvents]
) -> None:
    planted = {
        "id": f"/subscriptions/{PROD}/providers/Microsoft.Security/locations/westeurope/alerts/odd",
        "name": "odd",
        "type": "Microsoft.Security/Locations/alerts",
        "properties": {"alertType": ["not", "a", "string"], "severity": "High"},
    }
    good = {
        "id": f"/subscriptions/{PROD}/providers/Microsoft.Security/locations/westeurope/alerts/good",
        "name": "good",
        "type": "Microsoft.Security/Locations/alerts",
        "properties": {"alertType": "VM_X", "severity": "High", "timeGeneratedUtc": "2026-11-30T00:00:00Z"},
    }
    emulator.set_faults(answer=[{"path": ALERTS_RE, "body": {"value": [planted, good, "text", 7]}}])
    found = read(subscriptions=(PROD,))
    record = _records(found)[(PROD, ALERTS_TYPE)]
    assert record.status == "failed", record
    assert _names(found)[:1] == ["good"] and "odd" not in _names(found)


def test_secrets_in_alert_links_are_scrubbed(emulator: Emulator, read: Callable[..., LiveEvents]) -> None:
    body = {
        "id": f"/subscriptions/{PROD}/providers/Microsoft.Security/locations/westeurope/alerts/sas",
        "name": "sas",
        "type": "Microsoft.Security/Locations/alerts",
        "properties": {
            "alertType": "Storage.Blob_X",
            "severity": "High",
            "alertUri": "https://x.blob.core.windows.net/c/b?sv=2022&sig=SECRETSIGNATURE123",
        },
    }
    emulator.set_faults(answer=[{"path": ALERTS_RE, "body": {"value": [body]}}])
    found = read(subscriptions=(PROD,))
    assert "SECRETSIGNATURE123" not in json.dumps(found.bodies)


def test_generated_tenant_pages_every_subscription(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """12 generated subscriptions, page size 2, --since 24h: each one's High alert (2 h old), not its Low one
    (30 h old); one subscription refused."""
    pytest.importorskip("trustme")
    dataset = make_subscriptions(12)
    refused = dataset.subscriptions[5]["subscriptionId"]
    with running_emulator(
        dataset=dataset, page_size=2, faults={"forbidden": [{"subscription": refused}]}
    ) as emu:
        for name, value in _env(emu, tmp_path).items():
            monkeypatch.setenv(name, value)
        options = LiveOptions(arm_endpoint=emu.url, concurrency=4, retries=2, request_timeout=20)
        inventory, events, coverage = collect_live(options, "24h")
        _only_gets(emu)
    assert len(events) == 11 * 2  # one High alert and one Unhealthy assessment per readable subscription
    assert all(e.label.startswith("/subscriptions/") for e in events)  # each event's ARM id
    assert {e.body.get("Severity") for e in events if e.kind == "Alerts"} == {"High"}
    assert len(inventory.automations) == 11
    gaps = {(c.subscription, c.resource_type) for c in coverage if c.status != "ok"}
    assert (refused, ALERTS_TYPE) in gaps and (refused, ASSESSMENTS_TYPE) in gaps
    assert all(sub == refused for sub, _ in gaps)


def test_graph_mode_reads_events_too(emulator: Emulator, read: Callable[..., LiveEvents]) -> None:
    """Above --graph-threshold the events come from Resource Graph's securityresources table."""
    found = read(graph_threshold=0)
    assert found.result.mode == "resource-graph"
    assert found.complete, [c for c in found.result.coverage if c.status != "ok"]
    alerts = sorted(b["name"] for b in found.bodies if b["type"].lower().endswith("alerts"))
    rest = sorted(b["name"] for b in read().bodies if b["type"].lower().endswith("alerts"))
    assert alerts == rest and len(alerts) == 5


# ---------------------------------------------------------------- auditor simulate --live


@pytest.fixture
def high_alert(tmp_path: Path) -> Path:
    path = tmp_path / "high.json"
    path.write_text(
        json.dumps(
            {
                "AlertType": "VM_SuspiciousCommandLine",
                "SystemAlertId": "1",
                "Severity": "High",
                "AzureResourceId": VM,
            }
        )
    )
    return path


def _simulate(emu: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "auditor", "simulate", "--live", "--arm-endpoint", emu.url, *args],
        capture_output=True,
        text=True,
        env={**_env(emu, home), "PATH": os.environ.get("PATH", "")},
        cwd=tmp_path,
        timeout=120,
    )


def test_simulate_live_delivers_through_the_deployed_automation(
    emulator: Emulator, tmp_path: Path, high_alert: Path
) -> None:
    proc = _simulate(
        emulator, tmp_path, "--subscription", PROD, "--event", str(high_alert), "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and doc["live"]["complete"] is True and doc["live"]["gaps"] == []
    by_name = {a["name"]: a for a in doc["events"][0]["automations"]}
    secops = by_name["notify-secops-alerts"]
    assert secops["fires"] is True and secops["delivers"] is True
    assert secops["path"] is None and secops["resource"].endswith("/automations/notify-secops-alerts")
    assert secops["reason"].startswith("delivers to wf-notify-alerts/")
    assert secops["assumptions"] == [  # the callback URL is never read: said, not silently matched
        "ARM never returns the callback URL of a deployed automation: assumed to name the Logic App's only trigger"
    ]
    assert by_name["notify-endpoint-protection"]["fires"] is False
    _only_gets(emulator)
    assert emulator.client_secret not in proc.stdout + proc.stderr


def test_simulate_live_refused_subscription_fails_unless_partial_is_allowed(
    emulator: Emulator, tmp_path: Path, high_alert: Path
) -> None:
    emulator.set_faults(forbidden=[{"subscription": DEV}])
    proc = _simulate(emulator, tmp_path, "--event", str(high_alert))
    assert proc.returncode == 1, proc.stderr
    assert "simulation incomplete" in proc.stdout and "simulation incomplete" in proc.stderr
    assert "LIV001 [high]" in proc.stdout and "contoso-dev" in proc.stdout
    assert "/automations/notify-secops-alerts): fires, delivers" in proc.stdout  # points at the ARM id

    emulator.set_faults(forbidden=[{"subscription": DEV}])
    proc = _simulate(emulator, tmp_path, "--event", str(high_alert), "--allow-partial", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["live"]["complete"] is False
    assert {g["severity"] for g in doc["live"]["gaps"]} == {"info"}
    assert {c["subscription"] for c in doc["coverage"] if c["status"] != "ok"} == {DEV}
    _only_gets(emulator)
    assert emulator.client_secret not in proc.stdout + proc.stderr


def test_simulate_needs_a_path_or_live(tmp_path: Path, high_alert: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "simulate", "--event", str(high_alert)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2 and "--live" in proc.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "simulate",
            ".",
            "--management-group",
            "mg",
            "--event",
            str(high_alert),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2 and "add --live" in proc.stderr


def test_events_default_window_is_thirty_days() -> None:
    from auditor.sources.live.events import DEFAULT_SINCE

    now = datetime(2026, 12, 7, tzinfo=timezone.utc)
    assert now - parse_since(DEFAULT_SINCE, now) == timedelta(days=30)


def test_more_events_than_the_cap_is_a_failed_read(
    monkeypatch: pytest.MonkeyPatch, read: Callable[..., LiveEvents]
) -> None:
    import auditor.sources.live.events as events

    monkeypatch.setattr(events, "MAX_EVENTS_PER_READ", 2)
    found = read(subscriptions=(PROD,))
    record = _records(found)[(PROD, ALERTS_TYPE)]
    assert record.status == "failed" and "more than 2 alerts" in record.detail
    assert len([b for b in found.bodies if b["type"].endswith("alerts")]) == 2


def test_simulate_live_with_a_path_evaluates_files_and_deployed_automations(
    emulator: Emulator, tmp_path: Path, high_alert: Path
) -> None:
    repo = Path(__file__).resolve().parents[2]
    proc = _simulate(
        emulator,
        tmp_path,
        str(repo / "examples" / "clean"),
        "--subscription",
        PROD,
        "--event",
        str(high_alert),
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("  ") and "(" in line]
    assert any("examples/clean/azuredeploy.json:" in line for line in lines)  # from the file, file:line
    assert any("/automations/notify-secops-alerts)" in line for line in lines)  # deployed, its ARM id
    assert proc.stdout.rstrip().endswith("live: 1 subscription read, coverage complete")


# ---------------------------------------------------------------- auditor coverage --live


def _coverage(emu: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "auditor", "coverage", "--live", "--arm-endpoint", emu.url, *args],
        capture_output=True,
        text=True,
        env={**_env(emu, home), "PATH": os.environ.get("PATH", "")},
        cwd=tmp_path,
        timeout=180,
    )


def test_coverage_live_reports_the_high_alert_no_automation_delivers(
    emulator: Emulator, tmp_path: Path
) -> None:
    proc = _coverage(emulator, tmp_path, "--since", "2026-11-01", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # COV001 (medium) is at or above the default gate (low)
    doc = json.loads(proc.stdout)
    findings = [(f["rule"], f["severity"], f["resource"]) for f in doc["findings"] if f["rule"] != "SRC003"]
    assert findings == [
        (
            "COV001",
            "medium",
            f"/subscriptions/{SANDBOX}/resourceGroups/rg-sandbox/providers/Microsoft.Security/locations/"
            "northeurope/alerts/2516882934617144444_1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        )
    ]
    assert all(f["path"] is None for f in doc["findings"])  # live events have no file
    groups = {(g["type"], g["severity"]): g for g in doc["event_coverage"]["groups"]}
    assert groups[("Storage.Blob_MalwareHashReputation", "High")]["undelivered"] == 1
    # prod's High alert: the deployed automation fires into its Logic App's only trigger (an inference ARM
    # forces, listed as an assumption): delivered, as simulate --live says
    assert groups[("VM_SuspiciousCommandLine", "High")]["delivered"] == 1
    assert ("VM_SuspiciousCommandLine", "High") in groups and len(doc["event_coverage"]["groups"]) == 7
    assert {c["status"] for c in doc["coverage"]} == {"ok"}
    _only_gets(emulator)
    assert emulator.client_secret not in proc.stdout + proc.stderr


def test_coverage_live_over_generated_subscriptions_with_one_refused(tmp_path: Path) -> None:
    """12 generated subscriptions, alerts paged at 2, one subscription refused: incomplete, so the gate fails
    unless --allow-partial; each readable subscription's High alert reaches its automation (an unknown, never a
    finding), its Low alert is below the threshold."""
    pytest.importorskip("trustme")
    dataset = make_subscriptions(12)
    refused = dataset.subscriptions[3]["subscriptionId"]
    with running_emulator(
        dataset=dataset, page_size=2, faults={"forbidden": [{"subscription": refused}]}
    ) as emu:
        proc = _coverage(emu, tmp_path, "--format", "json")
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(proc.stdout)
        liv = [f for f in doc["findings"] if f["rule"] == "LIV001"]
        assert (
            liv
            and {f["severity"] for f in liv} == {"high"}
            and {f["resource"] for f in liv} == {f"/subscriptions/{refused}"}
        )
        assert not [f for f in doc["findings"] if f["rule"] == "COV001"]
        groups = {(g["type"], g["severity"]): g for g in doc["event_coverage"]["groups"]}
        assert groups[("VM_SuspiciousCommandLine", "High")]["events"] == 11
        assert groups[("VM_AmBroadFilesExclusion", "Low")]["events"] == 11  # --since 30d: 30 h old is in
        alert_pages = [r for r in emu.requests if r.path.endswith("/providers/Microsoft.Security/alerts")]
        assert len(alert_pages) == 11 + 1  # 2 alerts per subscription: one page each; the refused one 403
        _only_gets(emu)

        emu.set_faults({"forbidden": [{"subscription": refused}]})
        partial = _coverage(emu, tmp_path, "--format", "json", "--allow-partial")
        assert partial.returncode == 0, partial.stderr
        pdoc = json.loads(partial.stdout)
        assert {f["severity"] for f in pdoc["findings"] if f["rule"] == "LIV001"} == {"info"}
        _only_gets(emu)
        assert emu.client_secret not in proc.stdout + proc.stderr + partial.stdout + partial.stderr


def test_coverage_live_since_12h_leaves_the_older_alerts_out(tmp_path: Path) -> None:
    pytest.importorskip("trustme")
    with running_emulator(dataset=make_subscriptions(3), page_size=2) as emu:
        proc = _coverage(emu, tmp_path, "--since", "12h", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    types = {g["type"] for g in json.loads(proc.stdout)["event_coverage"]["groups"]}
    assert "VM_SuspiciousCommandLine" in types and "VM_AmBroadFilesExclusion" not in types


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["coverage", "."], "--events FILE, or --live"),
        (["coverage", ".", "--events", "x.json", "--since", "30d"], "add --live"),
    ],
)
def test_coverage_usage_errors(tmp_path: Path, args: list[str], words: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr


def test_coverage_live_bad_since_is_a_usage_error(emulator: Emulator, tmp_path: Path) -> None:
    proc = _coverage(emulator, tmp_path, "--since", "last week")
    assert proc.returncode == 2 and "--since expects" in proc.stderr
    assert not emulator.requests  # refused before anything was sent
