"""Evaluation budgets: how much work one scanned file may cost, shared by every evaluator.

A template or Terraform module is a program written by whoever opened the pull
request. ``concat(v, v)`` through twenty variables is a 1 MB string doubled
twenty times; three nested copy loops of 800 are half a billion iterations;
``format('{0:D999999999}')`` asks for a gigabyte of zeros. Python's own limits
(memory, recursion) would turn these into a crash or a hang, and a catch-all
would turn the MemoryError into an *unknown* and a green gate.

So every file gets one :class:`Budget` (see :func:`use`) and the evaluators
spend from it:

* :meth:`Budget.value` before a value is built: no string longer, no array or
  object with more elements than ``max_value_size``;
* :meth:`Budget.step` for each function call or node evaluated, which also
  checks the file's wall clock every 1024 steps;
* :meth:`Budget.copy` for copy-loop (``count`` / ``for_each``) iterations, added
  up over every nesting level of the file, so nested loops cannot multiply caps;
* :meth:`Budget.depth` for nested deployments/modules and structural walks.

Exceeding a budget raises :class:`BudgetExceeded`; the evaluator that catches it
makes the value :class:`~auditor.unknown.Unknown` and records a problem of code
``evaluation-limit`` (SRC005, naming the expression, the limit and file:line).
Step and time budgets are *sticky*: once spent, every later evaluation in the
same file is unknown at once, so a bomb costs at most one budget.

Bugs are not budgets. :func:`reraise_bugs` tells a catch-all guard whether to
re-raise an unexpected exception instead of turning it into an unknown: under
``AUDITOR_DEBUG=1`` and in the test suite it does, so a guard never hides a bug.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from collections.abc import Callable, Iterator

from auditor.records import record

__all__ = [
    "LIMITS",
    "Budget",
    "BudgetExceeded",
    "Limits",
    "current",
    "reraise_bugs",
    "use",
]


@record()
class Limits:
    """The numbers. Far above anything a real template needs (the largest corpus file uses < 1 %)."""

    #: Characters of one string, elements of one array or members of one object.
    max_value_size: int = 1_000_000
    #: Expression nodes evaluated and functions called in one file.
    max_steps: int = 5_000_000
    #: Copy-loop / count / for_each iterations in one file, all nesting levels together.
    #: 20,000 is an ARM copy at its cap of 800 run by 25 outer iterations (say, one per subscription);
    #: beyond that each instance costs evaluation, checks and findings and a file takes seconds.
    max_copy_iterations: int = 20_000
    #: Nested deployments (ARM) or module calls (Terraform) followed below the file's own template.
    max_nesting: int = 12
    #: Depth of structural walks (resource properties, Logic App actions, HCL blocks).
    max_walk_depth: int = 256
    #: Wall-clock seconds for evaluating one file (the largest corpus file needs 0.2 s).
    max_seconds: float = 5.0


LIMITS = Limits()


class BudgetExceeded(Exception):
    """A file asked for more than its budget allows.

    ``limit`` names the budget in words a user reads in SRC005 ("value size",
    "evaluation steps", "copy iterations", "nesting depth", "walk depth",
    "evaluation time"); ``detail`` says what asked for it and how much.
    """

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(f"{limit} limit exceeded: {detail}")
        self.limit = limit
        self.detail = detail

    @property
    def reason(self) -> str:
        """The text an Unknown built from this carries."""
        return f"auditor's {self.limit} limit was exceeded ({self.detail})"


class Budget:
    """What one file may still spend. Not thread-safe: one per file, one file per thread."""

    __slots__ = ("_clock", "_deadline", "_spent", "copies", "limits", "reported", "steps")

    def __init__(self, limits: Limits = LIMITS, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._deadline = clock() + limits.max_seconds
        self.steps = 0
        self.copies = 0
        self._spent: BudgetExceeded | None = None
        #: Limits already reported for this file (sources report each limit once per expression site).
        self.reported: set[tuple[str, str]] = set()

    @property
    def spent(self) -> BudgetExceeded | None:
        """The sticky exceedance (steps or time), once it happened."""
        return self._spent

    def step(self, n: int = 1) -> None:
        """Spend ``n`` evaluation steps; every 1024 steps also look at the clock."""
        if self._spent is not None:
            raise self._spent
        before = self.steps
        self.steps = before + n
        if self.steps > self.limits.max_steps:
            self._spent = BudgetExceeded(
                "evaluation steps", f"more than {self.limits.max_steps:,} evaluation steps in one file"
            )
            raise self._spent
        if (before >> 10) != (self.steps >> 10):
            self.check_time()

    def check_time(self) -> None:
        """Raise once the file's wall-clock budget is over."""
        if self._spent is not None:
            raise self._spent
        if self._clock() > self._deadline:
            self._spent = BudgetExceeded(
                "evaluation time", f"more than {self.limits.max_seconds:g} s evaluating one file"
            )
            raise self._spent

    def value(self, size: int, what: str = "a value") -> None:
        """Refuse to build ``what`` with ``size`` characters/elements above the value-size limit.

        Not sticky: the one value becomes unknown, the rest of the file goes on.
        """
        if size > self.limits.max_value_size:
            raise BudgetExceeded(
                "value size",
                f"{what} would have {size:,} characters or elements, "
                f"above the {self.limits.max_value_size:,} limit",
            )

    def copy(self, iterations: int, what: str = "a copy loop") -> None:
        """Spend ``iterations`` copy-loop iterations (all nesting levels of the file add up)."""
        if self._spent is not None:
            raise self._spent
        self.copies += iterations
        if self.copies > self.limits.max_copy_iterations:
            self._spent = BudgetExceeded(
                "copy iterations",
                f"{what} brings the file to {self.copies:,} copy iterations, "
                f"above the {self.limits.max_copy_iterations:,} limit for all loops together",
            )
            raise self._spent

    def depth(self, level: int, what: str = "nesting", limit: int | None = None) -> None:
        """Refuse to go ``level`` deep (nested deployments by default; pass ``limit`` for walks)."""
        cap = self.limits.max_nesting if limit is None else limit
        if level > cap:
            name = "nesting depth" if limit is None else "walk depth"
            raise BudgetExceeded(name, f"{what} is nested more than {cap} levels deep")

    def first_report(self, limit: str, where: str) -> bool:
        """True the first time ``limit`` is reported at ``where`` (keeps SRC005 to one per site)."""
        key = (limit, where)
        if key in self.reported:
            return False
        self.reported.add(key)
        return True


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("auditor_budget", default=None)


def current() -> Budget:
    """The budget of the file being evaluated; a fresh, unshared one outside :func:`use`.

    Value helpers deep in a function table call this instead of threading the
    budget through every signature.
    """
    budget = _CURRENT.get()
    return Budget() if budget is None else budget


@contextlib.contextmanager
def use(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` the current one while one file is evaluated."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def reraise_bugs() -> bool:
    """True when a catch-all guard must re-raise (``AUDITOR_DEBUG=1``, or under pytest).

    A guard that turns an unexpected exception into an unknown keeps a user's scan
    going; in the test suite the same exception must fail the test instead.
    """
    return bool(os.environ.get("AUDITOR_DEBUG")) or "PYTEST_CURRENT_TEST" in os.environ
