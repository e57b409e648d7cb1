"""What a live scan shows while it runs: a rich display on a terminal, a few plain lines elsewhere.

Everything goes to stderr (stdout is the report). On a terminal (or ``progress=True``): a ``rich``
progress bar with subscriptions done, requests, retries and throttled answers, refreshed a few times a
second; ``--verbose`` request lines are printed above it. Not a terminal (CI): a line when the scan
starts, one per 10 % of the reads on large scans, and a summary line.

Every line passes through :func:`auditor.neutral.terminal` on its way out: the lines carry Azure's text
(subscription names, ids, error details), and a name with CR/LF + ``::error`` or ``##vso[`` must not
become a workflow command in a CI log.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Protocol, TextIO

from auditor.neutral import terminal
from auditor.sources.live.http import Stats


class Progress(Protocol):
    """How the scanner reports (all methods are called from the main thread only)."""

    def start(self, what: str, total: int) -> None: ...

    def advance(self, stats: Stats, *, done: int, subscriptions_done: int, subscriptions: int) -> None: ...

    def note(self, message: str) -> None: ...

    def finish(self, summary: str) -> None: ...


class NullProgress:
    """Reports nothing (library use, tests)."""

    def start(self, what: str, total: int) -> None:
        pass

    def advance(self, stats: Stats, *, done: int, subscriptions_done: int, subscriptions: int) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def finish(self, summary: str) -> None:
        pass


class LineProgress:
    """Plain lines for CI logs: start, every 10 % of a large scan, warnings, summary."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.total = 0
        self.next_mark = 0.1

    def _line(self, text: str) -> None:
        self.out.write(f"auditor: live: {terminal(text)}\n")
        self.out.flush()

    def start(self, what: str, total: int) -> None:
        self.total = total
        self.next_mark = 0.1
        self._line(f"{what} ({total} reads)")

    def advance(self, stats: Stats, *, done: int, subscriptions_done: int, subscriptions: int) -> None:
        if self.total < 50 or done >= self.total:
            return
        if done / self.total >= self.next_mark:
            self.next_mark += 0.1
            subs = f"{subscriptions_done}/{subscriptions} subscriptions, " if subscriptions else ""
            self._line(
                f"{done}/{self.total} reads, {subs}{stats.requests} requests, {stats.retries} retries, "
                f"{stats.throttled} throttled"
            )

    def note(self, message: str) -> None:
        self._line(message)

    def finish(self, summary: str) -> None:
        self._line(summary)


class RichProgress:
    """A live ``rich`` display on stderr (terminals only)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RProgress

        self.console = Console(stderr=True)
        self.bar = RProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            refresh_per_second=8,
        )
        self.task: Any = None
        self.last = 0.0
        self.handler = _ConsoleHandler(self.console)

    def start(self, what: str, total: int) -> None:
        what = terminal(what)
        if self.task is None:
            self.bar.start()
            logging.getLogger("auditor.live").addHandler(self.handler)
            self.task = self.bar.add_task(what, total=total, detail="")
        else:
            self.bar.update(self.task, description=what, total=total, completed=0)

    def advance(self, stats: Stats, *, done: int, subscriptions_done: int, subscriptions: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < (self.bar.tasks[0].total or 0):
            return
        self.last = now
        subs = f"subscriptions {subscriptions_done}/{subscriptions} · " if subscriptions else ""
        detail = f"{subs}requests {stats.requests} · retries {stats.retries} · throttled {stats.throttled}"
        self.bar.update(self.task, completed=done, detail=detail)

    def note(self, message: str) -> None:
        self.console.print(f"auditor: live: {terminal(message)}", markup=False, highlight=False)

    def finish(self, summary: str) -> None:
        if self.task is not None:
            self.bar.stop()
            logging.getLogger("auditor.live").removeHandler(self.handler)
        self.console.print(f"auditor: live: {terminal(summary)}", markup=False, highlight=False)


class _ConsoleHandler(logging.Handler):
    """``--verbose`` request lines printed above the rich display."""

    def __init__(self, console: Any) -> None:
        super().__init__(logging.INFO)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(terminal(self.format(record)), markup=False, highlight=False)


class NeutralFormatter(logging.Formatter):
    """Log lines on stderr, each one safe for a terminal or a CI log."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal(super().format(record))


def make_progress(enabled: bool | None, verbose: bool) -> Progress:
    """Rich on a terminal when ``rich`` is installed (or ``enabled``), plain lines otherwise."""
    tty = sys.stderr.isatty() if enabled is None else enabled
    configure_logging(verbose, rich=tty)
    if tty:
        try:
            return RichProgress()
        except ImportError:
            pass
    return LineProgress()


def configure_logging(verbose: bool, *, rich: bool = False) -> None:
    """``--verbose``: request lines on stderr. The Azure SDK's own loggers are silenced either way, so no
    header, URL with a query string or token can reach a log through them."""
    azure = logging.getLogger("azure")
    azure.handlers[:] = [logging.NullHandler()]
    azure.propagate = False
    azure.setLevel(logging.CRITICAL)
    live = logging.getLogger("auditor.live")
    live.propagate = False
    live.setLevel(logging.INFO if verbose else logging.WARNING)
    live.handlers[:] = []
    if verbose and not rich:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(NeutralFormatter("auditor: live: %(message)s"))
        live.addHandler(handler)
    elif not verbose:
        live.addHandler(logging.NullHandler())
