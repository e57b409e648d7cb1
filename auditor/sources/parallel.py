"""Reading files in forked worker processes (``auditor scan --jobs N``), imported only when a scan uses them.

:func:`auditor.sources.work_plan.plan` decides that workers pay and gives each process its share. The
scanning process forks the workers, reads its own share in place meanwhile, and then hands out every
fragment in the order the files were found, whoever read it, so the report is byte for byte the one
``--jobs 1`` writes (tests/test_jobs.py). The budgets of :mod:`auditor.budget` are per file and enforced
by the same code in the worker.

Why a bare ``os.fork`` and not ``concurrent.futures``: a worker here has one job, known before it starts,
so a pool's queues, manager thread and per-task round trips buy nothing, and importing
``multiprocessing`` and ``concurrent.futures`` alone costs ~15 ms, a tenth of what sharing a dozen large
templates saves. A worker inherits the scanning process (auditor imported, one template already read, see
:func:`fragments_in_workers`), pickles each fragment into an unnamed temporary file as it goes and leaves
with ``os._exit``. The scanning process reads those frames one at a time when it needs them, after the
worker has exited: a worker that dies (a signal, the out-of-memory killer, an exception) is a
:class:`~auditor.sources.dispatch.WorkerError` naming its first folder, never a hang and never a partial
inventory. Where there is no ``fork`` (Windows; macOS, where system libraries may not survive it) the
work plan keeps every file in the scanning process (:func:`auditor.sources.work_plan.can_fork`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import struct
import sys
from collections.abc import Generator
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from auditor.sources.core.reading import SharedParses
from auditor.sources.dispatch import WorkerError, json_sizes
from auditor.sources.work_plan import TERRAFORM_SUFFIXES, size_of

if TYPE_CHECKING:
    from auditor.sources.dispatch import FileTask, Fragment
    from auditor.sources.work_plan import Plan

_FRAME = struct.Struct("<Q")  # a frame: its length, then a pickle of ("ok", fragment) or ("error", text)
_ERROR_EXIT = 70  # a worker that met an exception (EX_SOFTWARE); its frame says which


def fragments_in_workers(task: FileTask, paths: list[Path], plan: Plan) -> Generator[Fragment, None, None]:
    """The fragment of every one of ``paths``, in order: the plan's local share read in this process while
    one forked worker per share of ``plan.workers`` reads that share.

    The workers start now, before this returns, so that what the caller does before asking for the first
    fragment (translating the Bicep files) runs while they read; the local share is read on that first
    request."""
    fragments = _fragments(task, paths, plan)
    next(fragments)  # runs up to the priming yield: the workers are forked
    return cast("Generator[Fragment, None, None]", fragments)


def _fragments(task: FileTask, paths: list[Path], plan: Plan) -> Generator[Fragment | None, None, None]:
    """:func:`fragments_in_workers` as one generator: a ``None`` once the workers run, then the fragments.
    One generator, so that however the scan leaves (an error, an interrupt) its ``finally`` reaps them."""
    local: dict[int, Fragment] = {}
    mine = sorted(plan.local)
    templates = [i for i in mine if paths[i].suffix.lower() not in TERRAFORM_SUFFIXES]
    warm = (
        min(templates, key=lambda i: size_of(paths[i])) if templates else None
    )  # the smallest: forks soonest
    if warm is not None:
        # One template read before the fork: the workers inherit what reading it loaded on first use
        # (evaluation modules, the ARM function table, compiled patterns) instead of loading it again.
        local[warm] = task.one(paths[warm])
    workers: list[_Worker] = []
    try:
        gc.freeze()  # what the workers inherit is never collected there: no copy-on-write of its pages
        try:
            for share in plan.workers:
                workers.append(_Worker.start(task, paths, share))
        finally:
            gc.unfreeze()
        yield None
        if task.shared is not None:  # this process shares parses among the files it reads itself
            task.shared = SharedParses(json_sizes([paths[i] for i in mine if i not in local]))
        for i in mine:
            if i not in local:
                local[i] = task.one(paths[i])
        owner = {i: w for w in workers for i in w.share}
        for i in range(len(paths)):
            if i in local:
                yield local.pop(i)
                continue
            worker = owner[i]
            if worker.status is None:
                worker.wait()  # only now: what comes before (Bicep files among them) is absorbed meanwhile
            yield worker.next_fragment()
    finally:
        for w in workers:
            w.stop()


class _Worker:
    """One forked worker: its share, its process and the file its fragments are written to."""

    def __init__(self, share: tuple[int, ...], pid: int, out: IO[bytes], first: Path) -> None:
        self.share = share
        self.pid = pid
        self.out = out
        self.first = first
        self.status: int | None = None

    @classmethod
    def start(cls, task: FileTask, paths: list[Path], share: tuple[int, ...]) -> _Worker:
        out = _unnamed_file()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            _work(task, [paths[i] for i in share], out)
        return cls(share, pid, out, paths[share[0]])

    def wait(self) -> None:
        """Wait for the worker to exit; a worker that did not finish its share is a WorkerError."""
        _, status = os.waitpid(self.pid, 0)
        self.status = status
        code = os.waitstatus_to_exitcode(status)
        self.out.seek(0)
        if code == _ERROR_EXIT:
            return  # its frames hold the error, at the fragment it happened in
        if code != 0:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise WorkerError(
                f"a worker process reading files died (it {how}); the files of {self.first.parent} and "
                "after were not read: run again with --jobs 1 to scan in one process"
            )

    def next_fragment(self) -> Fragment:
        header = self.out.read(_FRAME.size)
        if len(header) != _FRAME.size:
            raise WorkerError(
                f"a worker process reading files stopped early; the files of {self.first.parent} and after "
                "were not all read: run again with --jobs 1 to scan in one process"
            )
        (size,) = _FRAME.unpack(header)
        import pickle  # here and in the worker, after the fork: not on the way to it (~2 ms)

        kind, value = pickle.loads(self.out.read(size))
        if kind != "ok":
            raise WorkerError(f"a worker process reading files failed:\n{value}")
        fragment: Fragment = value
        return fragment

    def stop(self) -> None:
        """Reap the worker (killing it first if the scan is leaving early) and close its file."""
        if self.status is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.status = -1
        self.out.close()


def _unnamed_file() -> IO[bytes]:
    """A file with no name for a worker's frames: in memory where Linux offers it (``memfd_create``: no
    disk, nothing left behind, not counted in either process's resident memory), else a temporary file."""
    create = getattr(os, "memfd_create", None)
    if create is not None:
        with contextlib.suppress(OSError):
            return open(create("auditor-worker", 0), "w+b")  # closed by _Worker.stop
    import tempfile

    return tempfile.TemporaryFile(prefix="auditor-worker-")


def _work(task: FileTask, paths: list[Path], out: IO[bytes]) -> None:
    """The worker's life: read ``paths`` in order, one frame per fragment, and leave without running
    the scanning process's exit handlers or flushing its buffers (``os._exit``)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the scanning process, which reaps us
        if task.shared is not None:  # parses shared among this worker's own files
            task.shared = SharedParses(json_sizes(paths))
        for path in paths:
            _write(out, ("ok", task.one(path)))
    except BaseException:
        code = _ERROR_EXIT
        with contextlib.suppress(BaseException):
            import traceback

            _write(out, ("error", traceback.format_exc()))
    finally:
        with contextlib.suppress(BaseException):
            out.flush()
        os._exit(code)


def _write(out: IO[bytes], frame: tuple[str, object]) -> None:
    import pickle

    data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)))
    out.write(data)
