#!/usr/bin/env python3
"""Scale benchmark for ``auditor simulate`` / ``auditor coverage``: events × automations.

Run from the repository root with the project's venv::

    .venv/bin/python benchmarks/simulate_scale.py [--events 10000] [--automations 100] [--seed 13]

It writes a synthetic estate into a temporary folder, deterministic for a seed: ``--automations``
workflow automations in ARM templates of 10 automations each (every template also deploys the Logic Apps
its automations call, with the Defender alert trigger), spread over 5 subscriptions and their resource
groups, with 1–3 rule sets of 1–3 rules each over Severity, AlertType, Intent, Entities[*].Type… and a
few disabled ones; and one JSON list of ``--events`` security alerts in the Logic App trigger shape, with
random severities, alert types and resources in the same subscriptions. Then it prints

* the time to read the estate (one ``FileScan``) and the events file;
* the time of the evaluation itself (``simulate(automations, links, events)``: events × automations
  decisions), median of ``--runs``, with the time per decision and the outcome mix; the target is
  < 2 s for 10,000 events × 100 automations;
* a cold ``auditor coverage DIR --events FILE --format json`` on all the events, and
* a cold ``auditor simulate DIR --event FILE --format json`` process end to end (wall time and peak RSS)
  on the first ``--cold-events`` events (default all 10,000: the JSON explains every automation for every
  event, so its size is events × automations; it is written event by event).

It reports; it is not a test. Exit 0, or 2 when the cold run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.event_files import read_events
from auditor.link import Links
from auditor.simulate import simulate
from auditor.sources.dispatch import FileScan

SUBSCRIPTIONS = [f"{i:08x}-4e5f-4a6b-8c7d-{i:012x}" for i in range(0x1A2B3C01, 0x1A2B3C06)]
RESOURCE_GROUPS = ["rg-web", "rg-data", "rg-security", "rg-identity"]
SEVERITIES = ["High", "Medium", "Low", "Informational"]
ALERT_TYPES = [
    "VM_SuspiciousCommandLine",
    "SQL.DB_BruteForce",
    "Storage.Blob_AnonymousAccessAnomaly",
    "KV_ListGetAnomaly",
    "AppServices_CurlToDisk",
    "ARM_MicroBurst.AzDomainInfo",
    "K8S_PrivilegedContainer",
    "DNS_DomainReputation",
]
INTENTS = ["Execution", "CredentialAccess", "Exfiltration", "Persistence", "Discovery"]
ENTITY_TYPES = ["host", "ip", "account", "process", "azure-resource"]
TRIGGER = "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"


def _rule(rng: random.Random) -> dict[str, Any]:
    pick = rng.randrange(5)
    if pick == 0:
        return _r("Severity", "Equals", "String", rng.choice(SEVERITIES))
    if pick == 1:
        return _r("AlertType", "Contains", "String", rng.choice(ALERT_TYPES).split("_")[0])
    if pick == 2:
        return _r("Intent", "Equals", "String", rng.choice(INTENTS))
    if pick == 3:
        return _r("IsIncident", "Equals", "Boolean", "false")
    return _r("Entities[*].Type", "Equals", "String", rng.choice(ENTITY_TYPES))


def _r(path: str, op: str, typ: str, value: str) -> dict[str, Any]:
    return {"propertyJPath": path, "operator": op, "propertyType": typ, "expectedValue": value}


def _scope(rng: random.Random) -> dict[str, str]:
    sub = f"/subscriptions/{rng.choice(SUBSCRIPTIONS)}"
    path = sub if rng.random() < 0.6 else f"{sub}/resourceGroups/{rng.choice(RESOURCE_GROUPS)}"
    return {"description": "monitored scope", "scopePath": path}


def _template(rng: random.Random, first: int, count: int) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for n in range(first, first + count):
        la = f"la-notify-{n:04d}"
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
                            TRIGGER: {
                                "type": "ApiConnectionWebhook",
                                "inputs": {
                                    "host": {
                                        "connection": {
                                            "name": "@parameters('$connections')['ascalert']['connectionId']"
                                        }
                                    },
                                    "body": {"callback_url": "@{listCallbackUrl()}"},
                                    "path": "/Microsoft.Security/Alert/subscribe",
                                },
                            }
                        },
                        "actions": {},
                    },
                    "parameters": {
                        "$connections": {
                            "value": {
                                "ascalert": {
                                    "connectionId": "[resourceId('Microsoft.Web/connections', 'ascalert')]",
                                    "connectionName": "ascalert",
                                    "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'ascalert')]",
                                }
                            }
                        }
                    },
                },
            }
        )
        rule_sets = [
            {"rules": [_rule(rng) for _ in range(rng.randint(1, 3))]} for _ in range(rng.randint(1, 3))
        ]
        resources.append(
            {
                "type": "Microsoft.Security/automations",
                "apiVersion": "2019-01-01-preview",
                "name": f"auto-{n:04d}",
                "location": "westeurope",
                "dependsOn": [f"[resourceId('Microsoft.Logic/workflows', '{la}')]"],
                "properties": {
                    "isEnabled": rng.random() > 0.05,
                    "scopes": [_scope(rng) for _ in range(rng.randint(1, 2))],
                    "sources": [{"eventSource": "Alerts", "ruleSets": rule_sets}],
                    "actions": [
                        {
                            "actionType": "LogicApp",
                            "logicAppResourceId": f"[resourceId('Microsoft.Logic/workflows', '{la}')]",
                            "uri": f"[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', '{la}', '{TRIGGER}'), '2019-05-01').value]",
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


def _alert(rng: random.Random, n: int) -> dict[str, Any]:
    sub = rng.choice(SUBSCRIPTIONS)
    rg = rng.choice(RESOURCE_GROUPS)
    resource = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/vm-{n % 97:02d}"
    alert_type = rng.choice(ALERT_TYPES)
    return {
        "SystemAlertId": f"2517{n:014d}_{n:08x}",
        "AlertType": alert_type,
        "AlertDisplayName": alert_type.replace("_", " "),
        "Severity": rng.choice(SEVERITIES),
        "Intent": rng.choice(INTENTS),
        "IsIncident": rng.random() < 0.1,
        "AzureResourceId": resource,
        "AzureResourceSubscriptionId": sub,
        "Entities": [{"$id": str(i + 1), "Type": rng.choice(ENTITY_TYPES)} for i in range(rng.randint(1, 4))],
        "ProductName": "Microsoft Defender for Cloud",
        "TimeGenerated": "2026-11-30T08:15:00Z",
    }


def _write_estate(root: Path, rng: random.Random, automations: int, events: int) -> tuple[Path, Path]:
    estate = root / "estate"
    estate.mkdir()
    for first in range(0, automations, 10):
        count = min(10, automations - first)
        (estate / f"automations-{first:04d}.json").write_text(
            json.dumps(_template(rng, first, count), indent=1)
        )
    events_file = root / "alerts.json"
    events_file.write_text(json.dumps([_alert(rng, n) for n in range(events)]))
    return estate, events_file


def _cold_run(command: str, estate: Path, events_file: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of one cold ``auditor simulate`` / ``coverage`` process."""
    flag = "--event" if command == "simulate" else "--events"
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "auditor",
                command,
                str(estate),
                flag,
                str(events_file),
                "--format",
                "json",
                "--no-config",
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1) and proc.stderr is not None:
            sys.stderr.write(proc.stderr.read().decode(errors="replace"))
    return wall, usage.ru_maxrss / 1000, code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--automations", type=int, default=100)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--runs", type=int, default=3, help="evaluation runs (median reported)")
    ap.add_argument("--cold-events", type=int, default=10_000, help="events of the cold CLI run")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        estate, events_file = _write_estate(Path(tmp), rng, args.automations, args.events)
        # First, while this process is small: a forked child's ru_maxrss counts the parent's pages until exec.
        cold_file = Path(tmp) / "cold-alerts.json"
        cold_file.write_text(json.dumps(json.loads(events_file.read_text())[: args.cold_events]))
        wall, rss, code = _cold_run("simulate", estate, cold_file)
        print(
            f"cold `auditor simulate … --format json` on {min(args.cold_events, args.events):,} events: "
            f"{wall:.2f} s wall, peak RSS {rss:.0f} MB, exit {code}"
        )
        c_wall, c_rss, c_code = _cold_run("coverage", estate, events_file)
        print(
            f"cold `auditor coverage … --format json` on {args.events:,} events: "
            f"{c_wall:.2f} s wall, peak RSS {c_rss:.0f} MB, exit {c_code}"
        )
        code = code if c_code in (0, 1) else c_code
        t0 = time.perf_counter()
        inventory = FileScan({}).scan([estate])
        t1 = time.perf_counter()
        events = read_events(events_file)
        t2 = time.perf_counter()
        automations = list(inventory.automations)
        print(f"estate: {len(automations)} automations read in {t1 - t0:.2f} s")
        print(
            f"events: {len(events)} alerts read in {t2 - t1:.2f} s ({events_file.stat().st_size / 1e6:.1f} MB)"
        )
        timings: list[float] = []
        results: list[Any] = []
        for _ in range(args.runs):
            links = Links(inventory)  # fresh links (and caches) per run
            results = []  # the previous run's million results are freed here, not inside the timing
            start = time.perf_counter()
            results = simulate(automations, links, events)
            timings.append(time.perf_counter() - start)
        decisions = len(events) * len(automations)
        median = statistics.median(timings)
        mix = Counter(
            "delivers" if r.delivers is True else "fires, no delivery" if r.fires else "does not fire"
            for per in results
            for r in per
        )
        delivered = sum(1 for per in results if any(r.delivers is True for r in per))
        verdict = "PASS" if (args.events, args.automations) != (10_000, 100) or median < 2 else "MISS"
        print(
            f"evaluation: {len(events)} events × {len(automations)} automations = {decisions:,} decisions: "
            f"median {median:.2f} s of {args.runs} (min {min(timings):.2f} s; the first, with cold compile "
            f"and decision caches, {timings[0]:.2f} s), "
            f"{median / decisions * 1e6:.2f} µs per decision — target < 2 s: {verdict}"
        )
        print(f"outcomes: {dict(mix)}; events delivered by at least one automation: {delivered:,}")
        return 0 if code in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
