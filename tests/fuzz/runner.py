"""The fuzz campaign: N inputs through the real pipeline in one process, and what broke.

Run from the repository root (``AUDITOR_DEBUG=1`` is set before auditor is
imported, so the evaluators' catch-all guards re-raise and bugs show up as
crashes instead of unknowns)::

    .venv/bin/python benchmarks/fuzz.py --inputs 5000 [--seed 0] [--timeout-per-input 10] [--out DIR]
    .venv/bin/python -m tests.fuzz --inputs 5000          # the same
    .venv/bin/python benchmarks/fuzz.py --replay DIR/crash-….case.json

Input ``i`` of seed ``S`` is generated from ``random.Random(f"{S}:{i}")`` alone,
so a campaign is reproducible input by input. Each input is one case folder
(see :mod:`.case`) scanned as ``auditor scan case --no-config`` would, every
output format rendered (:mod:`.pipeline`). A SIGALRM timer interrupts a case
after ``--timeout-per-input`` seconds (slow); a watchdog thread saves the case
and ends the process if even that does not get control back (a hang in C code).
The address space is capped (``--memory-limit``) so a memory bomb is a
MemoryError crash instead of a machine that swaps.

Printed: inputs tried and the rate, outcomes, crash/slow/defect classes
(exception type + innermost project frame, deduplicated) with an example input
saved under ``--out`` and, with ``--minimise``, a minimised reproducer; the
slowest input, p50/p99 time per input and peak RSS. Exit 1 on any crash, slow
input or defect; 0 otherwise; 2 on a usage problem.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import case as case_mod
from .case import Case
from .mutators import load_corpus, make_case
from .pipeline import Outcome, Pipeline, printable

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
FAILED = ("crash", "slow", "defect")


@dataclass
class FailureClass:
    """All inputs that failed the same way."""

    kind: str
    signature: str
    count: int = 0
    first: int = -1
    label: str = ""
    detail: str = ""
    saved: list[str] = field(default_factory=list)
    case: Case | None = None
    minimised: str = ""
    user_mode: Counter[str] = field(default_factory=Counter)  # what the same input does without AUDITOR_DEBUG


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:70] or "x"


def _rss_mb() -> float:
    """Peak resident set size of this process, MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


class Watchdog(threading.Thread):
    """Ends the process when one case holds the main thread far past its timeout (after saving it)."""

    def __init__(self, limit: float, out: Path, report: Any) -> None:
        super().__init__(daemon=True)
        self.limit = limit
        self.out = out
        self.report = report
        self.current: tuple[int, Case, float] | None = None

    def run(self) -> None:
        while True:
            time.sleep(1.0)
            current = self.current
            if current is None:
                continue
            index, case, start = current
            if time.monotonic() - start > self.limit:
                path = case.save(self.out / f"hang-{index}-{_slug(case.label)}.case.json")
                print(
                    f"\nfuzz: input #{index} ({case.label}) held the process for more than {self.limit:g} s "
                    f"and did not give control back (a hang in C code?); saved {path}",
                    file=sys.stderr,
                    flush=True,
                )
                self.report()
                os._exit(3)


class Campaign:
    """Runs inputs, keeps the statistics and the failure classes."""

    def __init__(self, args: argparse.Namespace, pipeline: Pipeline, out: Path) -> None:
        self.args = args
        self.pipeline = pipeline
        self.out = out
        self.times: list[float] = []
        self.kinds: Counter[str] = Counter()
        self.families: Counter[str] = Counter()
        self.family_failures: Counter[str] = Counter()
        self.classes: dict[tuple[str, str], FailureClass] = {}
        self.slowest: tuple[float, int, Case | None] = (0.0, -1, None)
        self.rss_jump: tuple[float, int, str] = (0.0, -1, "")
        self.tried = 0
        self.started = time.monotonic()

    def record(self, index: int, case: Case, outcome: Outcome) -> None:
        self.tried += 1
        self.times.append(outcome.seconds)
        self.kinds[outcome.kind] += 1
        family = (
            case.label.split(":", 1)[0] + ":" + case.label.split(":", 1)[-1].split("+", 1)[0].split("-")[0]
        )
        self.families[family] += 1
        if outcome.seconds > self.slowest[0]:
            self.slowest = (outcome.seconds, index, case)
        if not outcome.failed:
            return
        self.family_failures[family] += 1
        key = (outcome.kind, outcome.signature)
        cls = self.classes.get(key)
        if cls is None:
            cls = self.classes[key] = FailureClass(
                outcome.kind, outcome.signature, first=index, label=case.label
            )
            cls.detail, cls.case = outcome.detail, case
        cls.count += 1
        if len(cls.saved) < self.args.save_per_class:
            name = f"{outcome.kind}-{_slug(outcome.signature)}-{index}.case.json"
            cls.saved.append(str(case.save(self.out / name)))
        if outcome.kind == "crash" and self.args.both_modes and cls.count <= 20:
            cls.user_mode[self._user_mode(case)] += 1

    def _user_mode(self, case: Case) -> str:
        """What the crashing input does without AUDITOR_DEBUG (guards active, as users run it)."""
        saved = os.environ.pop("AUDITOR_DEBUG", None)
        try:
            outcome = self.pipeline.run(case)
        finally:
            if saved is not None:
                os.environ["AUDITOR_DEBUG"] = saved
        return outcome.kind

    # ------------------------------------------------------------------ report

    def report(self) -> None:
        elapsed = time.monotonic() - self.started
        rate = self.tried / elapsed if elapsed > 0 else 0.0
        times = sorted(self.times)
        print(
            f"fuzz: {self.tried:,} inputs (seed {self.args.seed}) in {elapsed:.1f} s, {rate:.1f} inputs/s; "
            f"AUDITOR_DEBUG={os.environ.get('AUDITOR_DEBUG', '')!s}; timeout {self.args.timeout_per_input:g} s/input"
        )
        print(
            "outcomes: "
            + ", ".join(f"{k} {self.kinds.get(k, 0):,}" for k in ("ok", "findings", "usage-error", *FAILED))
        )
        for kind in FAILED:
            classes = sorted((c for c in self.classes.values() if c.kind == kind), key=lambda c: -c.count)
            total = sum(c.count for c in classes)
            print(
                f"{kind}es: {total:,} in {len(classes)} classes"
                if kind == "crash"
                else f"{kind}s: {total:,} in {len(classes)} classes"
            )
            for c in classes:
                print(printable(f"  {c.count:6,}×  {c.signature}"))
                print(
                    printable(
                        f"           first: input #{c.first} ({c.label}); saved {c.saved[0] if c.saved else '-'}"
                    )
                )
                if c.minimised:
                    print(printable(f"           minimised: {c.minimised}"))
                if c.user_mode:
                    modes = ", ".join(f"{k} {v}" for k, v in c.user_mode.most_common())
                    print(f"           without AUDITOR_DEBUG: {modes}")
                first_line = c.detail.splitlines()[0] if c.detail else ""
                print(printable(f"           {first_line[:220]}"))
        seconds, index, case = self.slowest
        saved = ""
        if case is not None:
            saved = str(case.save(self.out / "slowest.case.json"))
            print(
                printable(
                    f"slowest input: #{index} ({case.label}, {case.size():,} bytes) {seconds:.2f} s; saved {saved}"
                )
            )
        print(
            f"time per input: p50 {_percentile(times, 0.5) * 1000:.1f} ms, p99 {_percentile(times, 0.99) * 1000:.1f} ms, "
            f"max {seconds:.2f} s"
        )
        jump, jump_index, jump_label = self.rss_jump
        print(
            f"peak RSS: {_rss_mb():.0f} MB"
            + (
                f" (largest rise +{jump:.0f} MB on input #{jump_index}, {jump_label})"
                if jump_index >= 0
                else ""
            )
        )
        failing = [
            (f, self.family_failures[f], n) for f, n in self.families.items() if self.family_failures[f]
        ]
        if failing:
            print(
                "failing inputs by family: "
                + ", ".join(f"{f} {k}/{n}" for f, k, n in sorted(failing, key=lambda x: -x[1]))
            )
        if self.args.json:
            Path(self.args.json).write_text(
                json.dumps(self.summary(elapsed), indent=2) + "\n", encoding="utf-8"
            )

    def summary(self, elapsed: float) -> dict[str, Any]:
        times = sorted(self.times)
        return {
            "inputs": self.tried,
            "seconds": round(elapsed, 2),
            "rate": round(self.tried / elapsed, 2) if elapsed else 0,
            "outcomes": dict(self.kinds),
            "classes": [
                {
                    "kind": c.kind,
                    "signature": c.signature,
                    "count": c.count,
                    "first": c.first,
                    "label": c.label,
                    "saved": c.saved,
                    "minimised": c.minimised,
                    "detail": c.detail.splitlines()[0] if c.detail else "",
                    "user_mode": dict(c.user_mode),
                }
                for c in self.classes.values()
            ],
            "slowest_seconds": round(self.slowest[0], 3),
            "slowest_input": self.slowest[1],
            "p50_ms": round(_percentile(times, 0.5) * 1000, 2),
            "p99_ms": round(_percentile(times, 0.99) * 1000, 2),
            "peak_rss_mb": round(_rss_mb()),
        }


# --------------------------------------------------------------------------- minimising


def minimise(
    pipeline: Pipeline, case: Case, signature: str, attempts: int = 300, seconds: float = 90.0
) -> Case:
    """A smaller case that fails with the same signature (greedy; bounded by attempts and time)."""
    deadline = time.monotonic() + seconds
    budget = [attempts]

    def fails(candidate: Case) -> bool:
        if budget[0] <= 0 or time.monotonic() > deadline:
            return False
        budget[0] -= 1
        return pipeline.run(candidate).signature == signature

    current = case
    for name in list(current.files):  # drop whole files first
        if len(current.files) > 1:
            trial = _with_files(current, {k: v for k, v in current.files.items() if k != name})
            if fails(trial):
                current = trial
    for name in list(current.files):
        current = _shrink_file(current, name, fails)
    return current


def _with_files(case: Case, files: dict[str, bytes]) -> Case:
    return Case(
        case.label + " (minimised)",
        files,
        dict(case.symlinks),
        case.fifos,
        case.target,
        case.config,
        case.expect,
        case.origin,
    )


def _shrink_file(case: Case, name: str, fails: Any) -> Case:
    data = case.files[name]
    doc: Any = None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        doc = None
    if isinstance(doc, (dict, list)):
        best = _shrink_json(doc, lambda d: fails(_with_files(case, {**case.files, name: _dump(d)})))
        case = _with_files(case, {**case.files, name: _dump(best)})
        data = case.files[name]
    text = data.decode("utf-8", "surrogateescape")
    lines = text.splitlines(keepends=True)
    lines = _ddmin(
        lines,
        lambda ls: fails(
            _with_files(case, {**case.files, name: "".join(ls).encode("utf-8", "surrogateescape")})
        ),
    )
    return _with_files(case, {**case.files, name: "".join(lines).encode("utf-8", "surrogateescape")})


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _shrink_json(doc: Any, fails: Any) -> Any:
    """Delete members/elements top-down while the failure stays."""
    i = 0
    while True:
        paths = _paths(doc)
        if i >= len(paths):
            return doc
        trial = json.loads(json.dumps(doc))
        parent = trial
        for key in paths[i][:-1]:
            parent = parent[key]
        del parent[paths[i][-1]]
        if fails(trial):
            doc = trial  # same index now names the next sibling
        else:
            i += 1


def _paths(doc: Any, limit: int = 5000) -> list[list[Any]]:
    out: list[list[Any]] = []
    queue: list[tuple[Any, list[Any]]] = [(doc, [])]
    while queue and len(out) < limit:
        node, path = queue.pop(0)
        items = (
            list(node.items())
            if isinstance(node, dict)
            else list(enumerate(node))
            if isinstance(node, list)
            else []
        )
        for k, v in reversed(items) if isinstance(node, list) else items:
            out.append([*path, k])
            queue.append((v, [*path, k]))
    return out


def _ddmin(items: list[str], fails: Any) -> list[str]:
    """Delta debugging over lines: remove chunks of halving size while the failure stays."""
    n = 2
    while len(items) >= 2:
        chunk = max(1, len(items) // n)
        removed = False
        for start in range(0, len(items), chunk):
            trial = items[:start] + items[start + chunk :]
            if trial and fails(trial):
                items, n, removed = trial, max(n - 1, 2), True
                break
        if not removed:
            if chunk == 1:
                break
            n = min(len(items), n * 2)
    return items


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fuzz", description="Fuzz auditor's pipeline with mutated and generated input."
    )
    p.add_argument("--inputs", type=int, default=1000, help="inputs to try (default 1000)")
    p.add_argument("--seed", default="0", help="campaign seed (default 0)")
    p.add_argument("--start", type=int, default=0, help="first input number (to resume or rerun a range)")
    p.add_argument(
        "--timeout-per-input", type=float, default=10.0, help="seconds after which an input is slow"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "auditor-fuzz",
        help="where failing inputs go",
    )
    p.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus to mutate (default ../shared/corpus)"
    )
    p.add_argument(
        "--replay", type=Path, metavar="FILE", help="rerun one saved case (or any file) and show what it does"
    )
    p.add_argument(
        "--memory-limit", type=int, default=2048, metavar="MB", help="address-space cap (0 = none)"
    )
    p.add_argument(
        "--minimise", action=argparse.BooleanOptionalAction, default=True, help="minimise one input per class"
    )
    p.add_argument("--save-per-class", type=int, default=3, help="inputs saved per failure class")
    p.add_argument(
        "--both-modes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rerun crashes without AUDITOR_DEBUG",
    )
    p.add_argument(
        "--progress", type=float, default=30.0, metavar="S", help="progress line every S seconds (0 = none)"
    )
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON")
    p.add_argument(
        "--template-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compile the HTML template once per process (see pipeline.cache_templates)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.memory_limit:
        limit = args.memory_limit * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard < 0 else min(limit, hard), hard))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="auditor-fuzz-") as scratch:
        pipeline = Pipeline(Path(scratch), timeout=args.timeout_per_input, template_cache=args.template_cache)
        if args.replay is not None:
            return _replay(pipeline, args.replay)
        corpus = load_corpus(args.corpus)
        if not corpus:
            print(f"fuzz: no corpus at {args.corpus}: generated inputs only", file=sys.stderr)
        campaign = Campaign(args, pipeline, out)
        watchdog = Watchdog(
            max(3 * args.timeout_per_input, args.timeout_per_input + 30), out, campaign.report
        )
        watchdog.start()
        next_progress = time.monotonic() + args.progress
        try:
            for index in range(args.start, args.start + args.inputs):
                rng = random.Random(f"{args.seed}:{index}")
                case = make_case(rng, corpus)
                case.origin = f"{case.origin} seed={args.seed} input={index}".strip()
                rss_before = _rss_mb()
                watchdog.current = (index, case, time.monotonic())
                outcome = pipeline.run(case)
                watchdog.current = None
                rise = _rss_mb() - rss_before
                if rise > campaign.rss_jump[0]:
                    campaign.rss_jump = (rise, index, case.label)
                campaign.record(index, case, outcome)
                if args.progress and time.monotonic() > next_progress:
                    next_progress = time.monotonic() + args.progress
                    _progress(campaign, args.inputs)
        except KeyboardInterrupt:
            print("fuzz: interrupted; figures so far:", file=sys.stderr)
        if args.minimise:
            for cls in campaign.classes.values():
                if cls.case is not None and cls.kind != "slow":
                    small = minimise(pipeline, cls.case, cls.signature)
                    name = f"min-{cls.kind}-{_slug(cls.signature)}.case.json"
                    cls.minimised = (
                        f"{small.save(out / name)} ({small.size():,} bytes, was {cls.case.size():,})"
                    )
        campaign.report()
    return 1 if any(campaign.kinds.get(k) for k in FAILED) else 0


def _progress(campaign: Campaign, total: int) -> None:
    elapsed = time.monotonic() - campaign.started
    failures = ", ".join(f"{k} {campaign.kinds.get(k, 0)}" for k in FAILED)
    print(
        f"  {campaign.tried:,}/{total:,} inputs, {campaign.tried / elapsed:.1f}/s, {failures}, "
        f"peak RSS {_rss_mb():.0f} MB",
        file=sys.stderr,
        flush=True,
    )


def _replay(pipeline: Pipeline, path: Path) -> int:
    case = case_mod.load(path)
    outcome = pipeline.run(case)
    print(printable(f"replay {path}: {case.label} ({case.size():,} bytes, {len(case.files)} files)"))
    print(
        printable(
            f"outcome: {outcome.kind} in {outcome.seconds:.3f} s; rules: {', '.join(outcome.rules) or '-'}"
        )
    )
    if outcome.signature:
        print(printable(f"class: {outcome.signature}"))
    if outcome.detail:
        print(printable(outcome.detail))
    print(f"peak RSS: {_rss_mb():.0f} MB")
    return 1 if outcome.failed else 0
