"""Reading files in worker processes (``auditor scan --jobs N``), imported only when a scan uses them.

A one-file scan must not pay for ``concurrent.futures`` and ``multiprocessing`` (issue 14, the start-up
budget of benchmarks/startup.py), so :mod:`auditor.sources.dispatch` imports this module only when a
scan has at least :data:`~auditor.sources.dispatch.PARALLEL_MIN_FILES` files to read and more than one
job. Workers run :class:`~auditor.sources.dispatch.FileTask` on the files of one folder at a time and
send back its fragments; the dispatcher absorbs them in the order the files were found, so the report
is byte for byte the one ``--jobs 1`` writes (tests/test_jobs.py). The budgets of
:mod:`auditor.budget` are per file and enforced by the same code in the worker. A worker that dies (a
signal, the out-of-memory killer) is a :class:`WorkerError` naming the folder, never a hang:
``concurrent.futures`` notices a dead worker, where ``multiprocessing.Pool`` would wait for it forever.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.sources.dispatch import WorkerError

if TYPE_CHECKING:
    from auditor.sources.dispatch import FileTask, Fragment


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where there is one (workers start with auditor already imported, in milliseconds), else
    ``spawn``; ``fork`` is not used on macOS, where system libraries may not survive it."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def fragments_in_workers(task: FileTask, runs: list[list[Path]], jobs: int) -> Iterator[Fragment]:
    """The fragments of every run of files, in order, read by ``jobs`` worker processes."""
    context = _context()
    if context.get_start_method() == "fork":
        _warm(runs)
        gc.freeze()  # what the workers inherit is never collected there: no copy-on-write of its pages
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        for chunk in _guarded(executor.map(task.chunk, runs), runs):
            yield from chunk
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if context.get_start_method() == "fork":
            gc.unfreeze()


def _warm(runs: list[list[Path]]) -> None:
    """Build what every worker would otherwise build for itself before it reads its first file: the
    HCL grammar (~0.15 s of CPU) when there are Terraform files."""
    if any(p.suffix.lower() in (".tf", ".tfvars") for run in runs for p in run):
        from auditor.sources.terraform.syntax import parse_hcl

        # only a warm-up (python-hcl2 may be missing): a worker meets the same error and reports it
        with contextlib.suppress(Exception):
            parse_hcl("")


def _guarded(chunks: Iterator[list[Fragment]], runs: list[list[Path]]) -> Iterator[list[Fragment]]:
    """``chunks``, with a worker's death turned into a :class:`WorkerError` naming where it happened."""
    done = 0
    try:
        for chunk in chunks:
            done += 1
            yield chunk
    except BrokenProcessPool as exc:
        folder = runs[done][0].parent if done < len(runs) else None
        raise WorkerError(
            f"a worker process reading files died ({exc}); the files of {folder} (or a folder read "
            "at the same time) were not read: run again with --jobs 1 to scan in one process"
        ) from None
