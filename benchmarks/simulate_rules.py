#!/usr/bin/env python3
"""Speed of the ``auditor simulate`` evaluator (``auditor.simulate``): events × automations.

Run from the repository root with the project's venv::

    .venv/bin/python benchmarks/simulate_rules.py [--events 10000] [--automations 100] [--seed 13]

It builds, deterministically for a seed, automations over 10 subscriptions (alerts and assessments
sources, resource-group and subscription scopes, 2-3 rule sets of 1-3 rules with String, Integer and
Boolean rules, dotted and ``[*]`` paths, one automation in seven disabled) and events of both kinds, then
prints the wall and CPU time of ``simulate()`` (each automation compiled once, each distinct rule decided
once per event) and of a loop of ``evaluate()`` calls (events outside, automations inside, as
``auditor coverage`` does), with the fire count so two runs can be compared.

The target is < 2 s for 10,000 events × 100 automations. The script reports; it is not a test and
always exits 0.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.events import Event
from auditor.link import Links
from auditor.model import (
    Automation,
    AutomationRule,
    AutomationScope,
    AutomationSource,
    Inventory,
    Origin,
    RuleSet,
)
from auditor.simulate import evaluate, simulate

ORIGIN = Origin(file="bench.json", line=1)
SEVERITIES = ("Informational", "Low", "Medium", "High")
ALERT_TYPES = ("VM_SuspiciousCommandLine", "Storage.Blob_AnonymousAccessAnomaly", "K8S_AdmissionController")


def _rule(path: str, op: str, typ: str, expected: str) -> AutomationRule:
    return AutomationRule(jpath=path, operator=op, property_type=typ, expected_value=expected, origin=ORIGIN)


def automations(n: int, subs: list[str], rng: random.Random) -> list[Automation]:
    out = []
    for i in range(n):
        sub = subs[i % len(subs)]
        if i % 3 == 2:
            kind = "Assessments"
            pool = [
                _rule("properties.status.code", "Equals", "String", "Unhealthy"),
                _rule("properties.metadata.severity", "Equals", "String", rng.choice(SEVERITIES[1:])),
                _rule("name", "Contains", "String", "4fb6"),
            ]
        else:
            kind = "Alerts"
            pool = [
                _rule("Severity", "Equals", "String", rng.choice(SEVERITIES)),
                _rule("AlertType", "StartsWith", "String", rng.choice(ALERT_TYPES)[:4]),
                _rule("ExtendedProperties.Count", "GreaterThan", "Integer", str(rng.randint(0, 9))),
                _rule("IsIncident", "Equals", "Boolean", "false"),
                _rule("Entities[*].Type", "Equals", "String", "ip"),
            ]
        rule_sets = [
            RuleSet(rules=rng.sample(pool, rng.randint(1, min(3, len(pool)))), origin=ORIGIN)
            for _ in range(rng.randint(2, 3))
        ]
        scope = sub if i % 4 else f"{sub}/resourceGroups/rg-{i % 5}"
        out.append(
            Automation(
                id=f"{sub}/resourceGroups/rg-soc/providers/Microsoft.Security/automations/wa-{i}",
                name=f"wa-{i}",
                is_enabled=i % 7 != 0,
                scopes=[AutomationScope(scope_path=scope, origin=ORIGIN)],
                sources=[AutomationSource(event_source=kind, rule_sets=rule_sets, origin=ORIGIN)],
                origin=ORIGIN,
            )
        )
    return out


def events(n: int, subs: list[str], rng: random.Random) -> list[Event]:
    out = []
    for j in range(n):
        sub = rng.choice(subs)
        resource = (
            f"{sub}/resourceGroups/rg-{rng.randint(0, 4)}/providers/Microsoft.Compute/virtualMachines/vm-{j}"
        )
        if j % 3:
            body = {
                "Severity": rng.choice(SEVERITIES),
                "AlertType": rng.choice(ALERT_TYPES),
                "IsIncident": rng.random() < 0.2,
                "ExtendedProperties": {"Count": rng.randint(0, 9)},
                "Entities": [
                    {"Type": rng.choice(("ip", "host", "account"))} for _ in range(rng.randint(0, 3))
                ],
                "AzureResourceId": resource,
            }
            out.append(Event(f"bench#{j}", "Alerts", resource, body))
        else:
            body = {
                "id": f"{resource}/providers/Microsoft.Security/assessments/4fb67663",
                "name": "4fb67663",
                "type": "Microsoft.Security/assessments",
                "properties": {
                    "status": {"code": rng.choice(("Healthy", "Unhealthy", "NotApplicable"))},
                    "metadata": {"severity": rng.choice(SEVERITIES[1:])},
                },
            }
            out.append(Event(f"bench#{j}", "Assessments", resource, body))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--automations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    subs = [
        f"/subscriptions/{rng.randrange(16**8):08x}-0000-4000-8000-{rng.randrange(16**12):012x}"
        for _ in range(10)
    ]
    autos, evs = automations(args.automations, subs, rng), events(args.events, subs, rng)
    links = Links(Inventory())
    print(
        f"python {platform.python_version()} on {platform.machine()}; {len(evs)} events x {len(autos)} automations"
    )

    wall, cpu = time.perf_counter(), time.process_time()
    results = simulate(autos, links, evs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    fires = sum(r.fires for per in results for r in per)
    print(f"simulate(): {wall:.2f} s wall, {cpu:.2f} s CPU, {fires} fire (target < 2 s)")
    del results

    wall, cpu = time.perf_counter(), time.process_time()
    fires = 0
    for event in evs:
        for automation in autos:
            fires += evaluate(automation, event, links).fires
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"evaluate() loop: {wall:.2f} s wall, {cpu:.2f} s CPU, {fires} fire (results not kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
