#!/usr/bin/env python3
"""Scale benchmark of ``auditor scan --live`` against the local ARM emulator.

Run from the repository root with the project's venv (the ``test`` extra: trustme and the Azure SDK)::

    .venv/bin/python benchmarks/live_scale.py [--subscriptions 1000] [--latency-ms 50] [--concurrency 16]

For each run it starts the emulator in its own process (``python -m tests.live.emulator --subscriptions N``
with ``latency_ms`` on every request, ARM pages of ``--page-size`` items, Resource Graph pages of
``--graph-page-size`` rows), runs ``auditor scan --live`` as a cold subprocess (JSON report to a temporary
file) and prints:

* wall time of the auditor process (``Popen`` to ``os.wait4``) and its peak RSS (``ru_maxrss``);
* requests, from the emulator's request log (token, ARM, Resource Graph);
* the concurrency-ideal time, ``requests × latency / concurrency``, and the ratio wall / ideal
  (target ≤ 2× for the per-subscription path);
* for the per-subscription path at two sizes, the memory per 1,000 subscriptions, to show that memory
  grows with the inventory only (the JSON report's size is printed beside it);
* whether the Resource Graph path beats the per-subscription path at the largest size.

The script reports; it is not a test and exits 0 unless a run fails (2).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _emulator(
    n: int, latency_ms: int, page_size: int, graph_page_size: int, tmp: Path
) -> tuple[Any, dict[str, Any]]:
    faults = tmp / "faults.json"
    faults.write_text(json.dumps({"latency_ms": latency_ms}), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.live.emulator",
            "--port",
            "0",
            "--subscriptions",
            str(n),
            "--page-size",
            str(page_size),
            "--graph-page-size",
            str(graph_page_size),
            "--faults",
            str(faults),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise SystemExit(f"emulator did not start: {err}")
    return proc, json.loads(line)


def _requests(info: dict[str, Any]) -> list[dict[str, Any]]:
    context = ssl.create_default_context(cafile=info["ca"])
    with urllib.request.urlopen(info["url"] + "/_emulator/requests", context=context, timeout=60) as response:
        data = json.loads(response.read())
    return data["requests"] if isinstance(data, dict) else data


def run_once(n: int, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="auditor-live-bench-") as tmpdir:
        tmp = Path(tmpdir)
        emulator, info = _emulator(n, args.latency_ms, args.page_size, args.graph_page_size, tmp)
        try:
            home = tmp / "home"
            home.mkdir()
            env = {
                "PATH": os.environ.get("PATH", os.defpath),
                "HOME": str(home),
                "AZURE_TENANT_ID": info["tenant"],
                "AZURE_CLIENT_ID": info["client_id"],
                "AZURE_CLIENT_SECRET": info["client_secret"],
                "AZURE_AUTHORITY_HOST": info["url"],
                "REQUESTS_CA_BUNDLE": info["ca"],
                "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
            }
            threshold = str(10**9) if mode == "per-subscription" else "50"
            report = tmp / "report.json"
            cmd = [
                sys.executable,
                "-m",
                "auditor",
                "scan",
                "--live",
                "--arm-endpoint",
                info["url"],
                "--concurrency",
                str(args.concurrency),
                "--graph-threshold",
                threshold,
                "--format",
                "json",
                "--output",
                str(report),
            ]
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            code = os.waitstatus_to_exitcode(status)
            if code not in (0, 1) or not report.exists():
                raise SystemExit(f"auditor failed ({code}): {stderr[-2000:]}")
            doc = json.loads(report.read_text(encoding="utf-8"))
            log = _requests(info)
        finally:
            emulator.send_signal(signal.SIGTERM)
            emulator.wait(timeout=30)
        kinds: dict[str, int] = {}
        for r in log:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        total = len(log)
        ideal = total * args.latency_ms / 1000 / args.concurrency
        rss_kb = usage.ru_maxrss if platform.system() != "Darwin" else usage.ru_maxrss // 1024
        gaps = [c for c in doc["coverage"] if c["status"] != "ok"]
        return {
            "subscriptions": n,
            "mode": mode,
            "wall": wall,
            "requests": total,
            "kinds": kinds,
            "ideal": ideal,
            "ratio": wall / ideal if ideal else float("nan"),
            "rss_mb": rss_kb * 1024 / 1e6,
            "cpu": usage.ru_utime + usage.ru_stime,
            "server_ms": sorted(r["duration_ms"] for r in log)[len(log) // 2] if log else 0.0,
            "findings": len(doc["findings"]),
            "report_mb": report_size(doc),
            "gaps": len(gaps),
        }


def memory_profile(n: int, args: argparse.Namespace) -> tuple[float, float]:
    """(retained, peak) MB of Python allocations of one per-subscription live scan in this process.

    Retained = what the scan's result holds afterwards (the inventory, the coverage record, the access
    data); peak = the most allocated at any time during the scan. Their difference is what the scan needs
    besides its result. Latency 0: only the allocations matter here.
    """
    import gc
    import tracemalloc

    sys.path.insert(0, str(REPO))
    from auditor.sources.live import LiveOptions, scan_live

    with tempfile.TemporaryDirectory(prefix="auditor-live-mem-") as tmpdir:
        emulator, info = _emulator(n, 0, args.page_size, args.graph_page_size, Path(tmpdir))
        saved = dict(os.environ)
        try:
            os.environ.update(
                {
                    "AZURE_TENANT_ID": info["tenant"],
                    "AZURE_CLIENT_ID": info["client_id"],
                    "AZURE_CLIENT_SECRET": info["client_secret"],
                    "AZURE_AUTHORITY_HOST": info["url"],
                    "REQUESTS_CA_BUNDLE": info["ca"],
                    "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
                }
            )
            options = LiveOptions(
                arm_endpoint=info["url"], graph_threshold=10**9, concurrency=args.concurrency
            )
            scan_live(options)  # warm up: imports and caches are not the scan's memory
            gc.collect()
            tracemalloc.start()
            result = scan_live(options)
            gc.collect()
            retained, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del result
        finally:
            os.environ.clear()
            os.environ.update(saved)
            emulator.send_signal(signal.SIGTERM)
            emulator.wait(timeout=30)
    return retained / 1e6, peak / 1e6


def report_size(doc: dict[str, Any]) -> float:
    return len(json.dumps(doc)) / 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subscriptions", type=int, default=1000, help="largest size (default 1000)")
    p.add_argument(
        "--small", type=int, default=250, help="smaller size for the memory comparison (default 250)"
    )
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--page-size", type=int, default=100, help="ARM list page size (default 100)")
    p.add_argument(
        "--graph-page-size", type=int, default=1000, help="Resource Graph page size (default 1000)"
    )
    args = p.parse_args(argv)

    print(
        f"auditor scan --live against the emulator: latency {args.latency_ms} ms per request, "
        f"concurrency {args.concurrency}, ARM pages of {args.page_size}, Resource Graph pages of "
        f"{args.graph_page_size}; Python {platform.python_version()} on {platform.machine()}"
    )
    runs = [
        run_once(args.small, "per-subscription", args),
        run_once(args.subscriptions, "per-subscription", args),
        run_once(args.subscriptions, "resource-graph", args),
    ]
    header = (
        f"{'subs':>6} {'path':<17} {'wall s':>8} {'requests':>9} {'ideal s':>8} {'ratio':>6} {'RSS MB':>7} "
        f"{'findings':>9} {'report MB':>10} {'gaps':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        print(
            f"{r['subscriptions']:>6} {r['mode']:<17} {r['wall']:>8.2f} {r['requests']:>9} {r['ideal']:>8.2f} "
            f"{r['ratio']:>5.2f}x {r['rss_mb']:>7.1f} {r['findings']:>9} {r['report_mb']:>10.2f} {r['gaps']:>5}"
        )
        print(
            f"{'':>6} requests by kind: {r['kinds']}; auditor CPU {r['cpu']:.2f} s; "
            f"median time in the emulator {r['server_ms']:.0f} ms"
        )
    small, large, graph = runs
    per_sub = (
        (large["rss_mb"] - small["rss_mb"]) / max(1, large["subscriptions"] - small["subscriptions"]) * 1000
    )
    print()
    verdict = "PASS" if large["ratio"] <= 2 else "MISS"
    print(
        f"per-subscription path at {large['subscriptions']}: {large['ratio']:.2f}x the ideal time (target <= 2x): {verdict}"
    )
    print(
        f"memory: {small['rss_mb']:.1f} MB at {small['subscriptions']} and {large['rss_mb']:.1f} MB at "
        f"{large['subscriptions']} subscriptions, {per_sub:.1f} MB per 1,000 subscriptions (the report itself "
        f"grows by {(large['report_mb'] - small['report_mb']) / max(1, large['subscriptions'] - small['subscriptions']) * 1000:.1f} MB "
        "per 1,000: findings and coverage records)"
    )
    print("memory of the live scan itself (tracemalloc, in this process, per-subscription path):")
    for n in (args.small, args.subscriptions):
        retained, peak = memory_profile(n, args)
        print(
            f"  {n:>5} subscriptions: result (inventory + coverage + access data) {retained:6.1f} MB, "
            f"peak {peak:6.1f} MB, working memory beyond the result {peak - retained:5.1f} MB"
        )
    faster = graph["wall"] < large["wall"]
    print(
        f"Resource Graph path at {graph['subscriptions']}: {graph['wall']:.2f} s with {graph['requests']} requests vs "
        f"{large['wall']:.2f} s with {large['requests']} per subscription: {'PASS' if faster else 'MISS'} "
        f"({large['wall'] / graph['wall']:.1f}x faster)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
