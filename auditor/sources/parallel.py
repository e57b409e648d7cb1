"""Reading files in worker processes (``auditor scan --jobs N``), imported only when a scan uses them.

A one-file scan must not pay for ``concurrent.futures`` and ``multiprocessing`` (issue 14, the start-up
budget of benchmarks/startup.py), so :mod:`auditor.sources.dispatch` imports this module only when
:func:`auditor.sources.work_plan.plan` estimates that workers pay. The scanning process reads its own
share of the files in place while ``N - 1`` forked workers run :class:`~auditor.sources.dispatch.FileTask`
on theirs and send back the fragments; the dispatcher absorbs every fragment in the order the files were
found, so the report is byte for byte the one ``--jobs 1`` writes (tests/test_jobs.py). The budgets of
:mod:`auditor.budget` are per file and enforced by the same code in the worker. A worker that dies (a
signal, the out-of-memory killer) is a :class:`WorkerError` naming the folder, never a hang:
``concurrent.futures`` notices a dead worker, where ``multiprocessing.Pool`` would wait for it forever.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.sources.dispatch import WorkerError
from auditor.sources.work_plan import TERRAFORM_SUFFIXES

if TYPE_CHECKING:
    from auditor.sources.dispatch import FileTask, Fragment
    from auditor.sources.work_plan import Plan


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where there is one (workers start with auditor already imported, in milliseconds), else
    ``spawn``; ``fork`` is not used on macOS, where system libraries may not survive it."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def fragments_in_workers(task: FileTask, paths: list[Path], plan: Plan) -> Iterator[Fragment]:
    """The fragment of every one of ``paths``, in order: the plan's local share read in this process while
    ``plan.workers`` worker processes read its tasks."""
    context = _context()
    forked = context.get_start_method() == "fork"
    local: dict[int, Fragment] = {}
    mine = sorted(plan.local)
    warm = next((i for i in mine if paths[i].suffix.lower() not in TERRAFORM_SUFFIXES), None)
    if forked:
        if warm is not None:
            # One template read before the fork: the workers inherit what reading it loaded on first use
            # (evaluation modules, the ARM function table, compiled patterns) instead of loading it again.
            local[warm] = task.one(paths[warm])
        gc.freeze()  # what the workers inherit is never collected there: no copy-on-write of its pages
    executor = ProcessPoolExecutor(max_workers=plan.workers, mp_context=context)
    try:
        try:
            futures = [executor.submit(task.chunk, [paths[i] for i in t]) for t in plan.tasks]
        finally:
            if forked:
                gc.unfreeze()  # the pool forks its workers on the first submit
        # This process's share, while the workers read theirs; then every fragment in the order the files
        # were found, whoever read it.
        for i in mine:
            if i not in local:
                local[i] = task.one(paths[i])
        task_of = {i: n for n, t in enumerate(plan.tasks) for i in t}
        received: dict[int, Fragment] = {}
        for i in range(len(paths)):
            if i in local:
                yield local.pop(i)
                continue
            if i not in received:
                n = task_of[i]
                received.update(zip(plan.tasks[n], _result(futures[n], paths[plan.tasks[n][0]]), strict=True))
            yield received.pop(i)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _result(future: Future[list[Fragment]], first: Path) -> list[Fragment]:
    """A task's fragments; a worker's death is a :class:`WorkerError` naming where it happened."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise WorkerError(
            f"a worker process reading files died ({exc}); the files of {first.parent} (or a folder read "
            "at the same time) were not read: run again with --jobs 1 to scan in one process"
        ) from None
