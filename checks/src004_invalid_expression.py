"""SRC004: an ARM template expression does not parse.

## What it checks
Strings that start with ``[`` and end with ``]`` are template expressions.
One that is not valid expression syntax (unbalanced parentheses or quotes, a
stray character) is reported with its location.

## Why it matters
Azure rejects the template at validation time, and auditor cannot evaluate
anything that depends on the value.

## Example
```json
"name": "[concat('la-', parameters('suffix')]"
```

## Use instead
```json
"name": "[concat('la-', parameters('suffix'))]"
```
A literal string that must start with ``[`` is written ``[[``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SRC004",
    name="invalid-expression",
    severity=Severity.HIGH,
    title="Template expression has a syntax error",
    fires_when="a template expression does not parse",
    rationale="Azure Resource Manager rejects a template whose expressions do not parse.",
    remediation="Fix the expression syntax; escape a literal leading '[' as '[['.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per invalid expression."""
    from auditor.checks._util import report_problems

    yield from report_problems(RULE, inventory, "invalid-expression")
