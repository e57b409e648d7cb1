"""SRC005: evaluating a file would have cost more than auditor's budget allows.

## What it checks
Templates and Terraform modules are programs. auditor evaluates them with a
budget per file (see ``auditor/budget.py``): no string over a million
characters, no array or object over a million elements, at most five million
evaluation steps, 20,000 copy-loop iterations for all loops of the file
together, 12 levels of nested deployments or modules, 256 levels of nesting in
resource properties and Logic App actions, and five seconds of evaluation. A file
that asks for more (``concat(v, v)`` doubled through variables, copy loops
nested three deep, ``format('{0:D999999999}')``) is reported here with the
expression, the limit and the place. The value it was building becomes
unknown, so no check decides anything from it.

## Why it matters
Without a budget such a file either crashes or hangs the scan, or eats the CI
runner's memory; a guard that quietly gives up would pass the gate having
checked nothing. Either way the file was not checked, and that must fail the
gate. Real templates stay far below these limits: a file that reaches one is
almost always an attack on the pipeline or a generator gone wrong.

## Use instead
Simplify the expression or loop the finding names (fewer nested copies, no
self-doubling variables). If a legitimate template really needs more, split it
into smaller deployments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SRC005",
    name="evaluation-limit",
    severity=Severity.HIGH,
    title="File exceeds auditor's evaluation budget",
    fires_when=(
        "evaluating a file would exceed auditor's budget (value size, steps, copy iterations, nesting, "
        "time); the value becomes unknown"
    ),
    rationale="A value, loop or expression too large to evaluate safely was not checked; the gate must not pass it.",
    remediation="Simplify the expression or loop named in the finding, or split the template into smaller deployments.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per recorded evaluation-limit problem."""
    from auditor.checks._util import report_problems

    yield from report_problems(RULE, inventory, "evaluation-limit")
