"""Who reads which file when a scan may use several processes (``--jobs N``): a plan, or none when it does not pay.

Why a cost model rather than a file count: what a file costs depends on its kind far more than on how many
there are. A process that meets its first Terraform file pays ~0.12 s to import lark and load the HCL
grammar, then ~2 µs a byte; JSON costs ~0.03 µs a byte and ~1 ms a file. Thirteen Terraform files beside
136 templates (the shared corpus) are a third of its reading time; twelve large templates (1.4 MB) are
0.06 s. A file count cannot tell these apart, so the plan estimates each folder's cost from its files'
sizes and kinds and deals the folders out longest first, each to the process that would finish it
soonest, the scanning process included. That process reads its own share in place (nothing to send
back) while the workers read theirs. Terraform folders are dealt in bundles (:func:`_bundled`), so a
little Terraform is read by one process and the grammar is loaded once.

Workers start only when the estimated time saved exceeds :data:`MIN_SAVING`. The figures were measured on
the development machine (benchmarks/vs_checkov.py and benchmarks/scale.py print what they lead to); they
decide only where files are read, never what the report says: every file's fragment is the same in any
process (tests/test_jobs.py).

This module imports nothing heavy, so a scan that decides against workers never loads
:mod:`auditor.sources.parallel`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from auditor.records import record

#: Seconds a byte of JSON costs to read, evaluate and extract (~30 MB/s), and a file's fixed cost.
JSON_SECONDS_PER_BYTE = 1 / 30e6
JSON_SECONDS_PER_FILE = 0.0008
#: The same for Terraform (python-hcl2's Lark parser and the module evaluator, ~0.5 MB/s).
TERRAFORM_SECONDS_PER_BYTE = 1 / 0.5e6
TERRAFORM_SECONDS_PER_FILE = 0.002
#: What a process pays before its first Terraform file: importing lark and python-hcl2, loading the grammar.
TERRAFORM_FIRST_SECONDS = 0.12
#: Bicep files are translated by the scanning process itself (~1 MB/s): its share of the rest shrinks.
BICEP_SECONDS_PER_BYTE = 1 / 1e6
#: Terraform folders are dealt out in bundles of at least this much work (see _bundled).
TERRAFORM_BUNDLE_SECONDS = 2 * TERRAFORM_FIRST_SECONDS
#: A worker's start (the fork, its exit) and, per byte read there, sending its fragments back (pickled
#: into a file by the worker, unpickled by the scanning process).
WORKER_START_SECONDS = 0.008
RESULT_SECONDS_PER_BYTE = 1 / 80e6
#: Workers start only when they are estimated to save at least this much wall time.
MIN_SAVING = 0.015

TERRAFORM_SUFFIXES = frozenset({".tf", ".tfvars"})


@record()
class Folder:
    """A run of files of one folder, in the order found: read by one process (a Terraform module is
    parsed once per process that reads any of its files)."""

    indexes: tuple[int, ...]  # positions in the list of files planned
    seconds: float
    terraform: bool
    size: int  # bytes


@record()
class Plan:
    """The scanning process's share (read in place) and each worker's share, as positions in the list of
    files planned, in the order found (a file named twice on the command line is read twice)."""

    local: frozenset[int]
    workers: tuple[tuple[int, ...], ...]
    serial_seconds: float
    parallel_seconds: float


def can_fork() -> bool:
    """Whether workers can be forked here (Linux); elsewhere every file is read in the scanning process."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def size_of(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:  # reported when it is read; costs nothing here
        return 0


def folders(paths: list[Path]) -> list[Folder]:
    """``paths`` cut into runs of one folder each, with their estimated cost."""
    runs: list[list[int]] = []
    for i, path in enumerate(paths):
        if runs and paths[runs[-1][-1]].parent == path.parent:
            runs[-1].append(i)
        else:
            runs.append([i])
    out: list[Folder] = []
    for run in runs:
        seconds, terraform, total = 0.0, False, 0
        for i in run:
            path = paths[i]
            size = size_of(path)
            total += size
            if path.suffix.lower() in TERRAFORM_SUFFIXES:
                terraform = True
                seconds += TERRAFORM_SECONDS_PER_FILE + size * TERRAFORM_SECONDS_PER_BYTE
            else:
                seconds += JSON_SECONDS_PER_FILE + size * JSON_SECONDS_PER_BYTE
        out.append(Folder(indexes=tuple(run), seconds=seconds, terraform=terraform, size=total))
    return out


def plan(paths: list[Path], jobs: int, local_seconds: float = 0.0) -> Plan | None:
    """Where each of ``paths`` is read by ``jobs`` processes (this one and ``jobs - 1`` workers), or None
    when one process is estimated to be as fast. ``local_seconds``: what this process does meanwhile
    anyway (Bicep files are translated here)."""
    if jobs <= 1 or len(paths) < 2 or not can_fork():
        return None
    runs = _bundled(folders(paths))
    any_terraform = any(f.terraform for f in runs)
    serial = sum(f.seconds for f in runs) + (TERRAFORM_FIRST_SECONDS if any_terraform else 0.0)
    loads = [local_seconds] + [WORKER_START_SECONDS] * (jobs - 1)
    has_grammar = [False] * jobs
    owner: list[int] = [0] * len(runs)
    order = sorted(range(len(runs)), key=lambda i: (-runs[i].seconds, i))
    for i in order:
        folder = runs[i]

        def finish_time(p: int, folder: Folder = folder) -> float:
            extra = TERRAFORM_FIRST_SECONDS if folder.terraform and not has_grammar[p] else 0.0
            sent = 0.0 if p == 0 else _result_seconds(folder)
            return loads[p] + folder.seconds + extra + sent

        best = min(range(jobs), key=lambda p: (finish_time(p), p))
        loads[best] = finish_time(best)
        has_grammar[best] = has_grammar[best] or folder.terraform
        owner[i] = best
        if best != 0:
            loads[0] += _result_seconds(folder)  # this process unpickles what a worker sends back
    parallel = max(loads)
    if serial + local_seconds - parallel < MIN_SAVING:
        return None
    local = frozenset(k for i, f in enumerate(runs) if owner[i] == 0 for k in f.indexes)
    shares = tuple(
        tuple(sorted(k for i, f in enumerate(runs) if owner[i] == p for k in f.indexes))
        for p in range(1, jobs)
    )
    shares = tuple(share for share in shares if share)
    if not shares:
        return None
    return Plan(local=local, workers=shares, serial_seconds=serial + local_seconds, parallel_seconds=parallel)


def _bundled(runs: list[Folder]) -> list[Folder]:
    """The Terraform folders joined into bundles of at least :data:`TERRAFORM_BUNDLE_SECONDS` of work each
    (the JSON folders as they are): a bundle is read by one process, so the grammar is loaded a second
    time only when there is enough Terraform for that to pay."""
    out = [f for f in runs if not f.terraform]
    bundle: list[Folder] = []
    for folder in (f for f in runs if f.terraform):
        bundle.append(folder)
        if sum(f.seconds for f in bundle) >= TERRAFORM_BUNDLE_SECONDS:
            out.append(_joined(bundle))
            bundle = []
    if bundle:
        out.append(_joined(bundle))
    return out


def _joined(bundle: list[Folder]) -> Folder:
    return Folder(
        indexes=tuple(i for f in bundle for i in f.indexes),
        seconds=sum(f.seconds for f in bundle),
        terraform=True,
        size=sum(f.size for f in bundle),
    )


def _result_seconds(folder: Folder) -> float:
    return folder.size * RESULT_SECONDS_PER_BYTE
