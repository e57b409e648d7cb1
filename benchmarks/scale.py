#!/usr/bin/env python3
"""A tenant-sized repository (issue 14, item 2): one corpus against ten copies of it, with and without --jobs.

Run from the repository root::

    .venv/bin/python benchmarks/scale.py [--runs 3] [--copies 10] [--corpus DIR] [--auditor PATH]

Builds, in a temporary folder, ``--copies`` copies of the shared corpus under different folder names
(``copy0/`` .. ``copy9/``: every file a distinct path, identical contents), then times cold
``auditor scan DIR --no-config --format json`` processes on one corpus and on the copies, each with
``--jobs 1`` (everything in one process), ``--jobs N`` (N = the CPUs, at least 2) and the default (one
process per CPU). Workers start when the work plan (auditor/sources/work_plan.py) estimates that they
pay, which it does for one corpus as for ten. Printed per case: median
and minimum wall time, median CPU time (user + system of the process and its workers, ``os.wait4``),
peak RSS (the largest ``ru_maxrss`` over the runs: the largest single process of the tree, MB = 10^6 B)
and the findings count; then PASS/MISS for the targets:

* the copies take at most ``copies`` x the time of one corpus (median wall, default jobs; CPU too);
* peak RSS of the copies at most 120 MB (in every case);
* the JSON report of the copies is byte for byte the same in every case.

Runs are interleaved round by round so that the load of other sessions weighs on every case alike. It
reports; it is not a test (exit 0 whatever PASS/MISS says, 2 when a scan fails). Linux/Unix only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RSS_TARGET_MB = 120.0


def _auditor(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    beside = Path(sys.executable).with_name("auditor")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "auditor"]


def _run(cmd: list[str]) -> tuple[float, float, float, int]:
    """Wall s, CPU s (user + system, the process and its reaped workers), peak RSS MB, exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6, code


def _copies(corpus: Path, into: Path, count: int) -> Path:
    tree = into / f"corpus-x{count}"
    for i in range(count):
        shutil.copytree(corpus, tree / f"copy{i}", symlinks=True)
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold runs per case (default 3)")
    parser.add_argument("--copies", type=int, default=10, help="copies of the corpus (default 10)")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--auditor", help="the auditor command (default: the one beside this Python)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    auditor = _auditor(args.auditor)
    with tempfile.TemporaryDirectory(prefix="auditor-scale-") as tmp:
        root = Path(tmp)
        tree = _copies(args.corpus, root, args.copies)
        inputs = {"1x": args.corpus, f"{args.copies}x": tree}
        workers = str(max(2, os.cpu_count() or 1))  # workers whenever the plan finds they pay
        cases = [(size, jobs) for size in inputs for jobs in ("1", workers, "default")]
        samples: dict[tuple[str, str], list[tuple[float, float, float, int]]] = {c: [] for c in cases}
        reports: dict[tuple[str, str], bytes] = {}
        try:
            for round_ in range(args.runs + 1):  # round 0 warms the bytecode and the file cache
                for size, jobs in cases:
                    out = root / f"report-{size}-{jobs}.json"
                    cmd = [*auditor, "scan", str(inputs[size]), "--no-config", "--format", "json"]
                    cmd += ["--output", str(out)] + ([] if jobs == "default" else ["--jobs", jobs])
                    result = _run(cmd)
                    if round_:
                        samples[(size, jobs)].append(result)
                        reports[(size, jobs)] = out.read_bytes()
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    figures = {}
    print(
        f"auditor scan, {args.runs} cold runs per case, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'case':<22}{'wall median':>12}{'wall min':>10}{'CPU median':>12}{'peak RSS':>11}{'findings':>10}"
    )
    for size, jobs in cases:
        runs = samples[(size, jobs)]
        findings = len(json.loads(reports[(size, jobs)])["findings"])
        row = {
            "wall_median": statistics.median(r[0] for r in runs),
            "wall_min": min(r[0] for r in runs),
            "cpu_median": statistics.median(r[1] for r in runs),
            "peak_rss_mb": max(r[2] for r in runs),
            "findings": findings,
        }
        figures[f"{size} jobs={jobs}"] = row
        print(
            f"{size + ' --jobs ' + jobs:<22}{row['wall_median']:>11.2f}s{row['wall_min']:>9.2f}s"
            f"{row['cpu_median']:>11.2f}s{row['peak_rss_mb']:>8.1f} MB{findings:>10}"
        )
    big = f"{args.copies}x"
    one, many = figures["1x jobs=default"], figures[f"{big} jobs=default"]
    ratio = many["wall_median"] / one["wall_median"]
    cpu_ratio = many["cpu_median"] / one["cpu_median"]
    rss = max(figures[f"{big} jobs={jobs}"]["peak_rss_mb"] for _, jobs in cases)
    same = len({reports[(big, jobs)] for _, jobs in cases}) == 1
    verdicts = [
        (
            f"{big} time <= {args.copies}x one corpus (wall {ratio:.2f}x, CPU {cpu_ratio:.2f}x)",
            ratio <= args.copies and cpu_ratio <= args.copies,
        ),
        (f"{big} peak RSS <= {RSS_TARGET_MB:.0f} MB ({rss:.1f} MB)", rss <= RSS_TARGET_MB),
        (f"{big} report identical with --jobs 1, --jobs {workers} and the default", same),
    ]
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "verdicts": dict(verdicts)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
