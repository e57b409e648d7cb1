"""SRC006: a value of the document has the wrong JSON type for where it sits.

## What it checks
Values auditor reads from a template, an exported resource or a REST body
must have the JSON type Azure requires there: a resource's ``name``,
``apiVersion``, ``type``, ``location`` and ``kind`` are strings;
``properties``, ``identity``, a workflow's ``definition``, ``actions`` and
``$connections`` are objects; an automation's ``scopes``, ``sources``,
``ruleSets``, ``rules`` and ``actions`` are arrays of objects; ids, scopes and
principal ids are strings. A value of another type (a number, an array, an
object, ``true``) is reported with its file and line.

An ARM expression string stands for the value it evaluates to: a nested
deployment whose ``template`` is ``"[reference(...).properties.template]"`` is
valid (ARM evaluates it to an object at deployment) and is reported as
unresolved (SRC003), not here; a literal string or a number there is SRC006.

## Why it matters
Azure rejects the deployment, so the resource never exists as written. auditor
reads the value as unknown and checks nothing that depends on it: without this
finding the gate would pass a file it did not check.

## Example
```json
"name": ["la-notify"]
```

## Use instead
```json
"name": "la-notify"
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SRC006",
    name="invalid-template-shape",
    severity=Severity.HIGH,
    title="Value has the wrong JSON type for where it sits",
    fires_when=(
        "a value has the wrong JSON type for where it sits (`resources` not an array, `name` a number, "
        "…): Azure rejects it and auditor cannot check what depends on it"
    ),
    rationale=(
        "Azure rejects a resource whose name, properties or rules have the wrong JSON type; auditor cannot "
        "check what depends on such a value, so the gate must not pass it."
    ),
    remediation="Give the value the type the message names (a string, an object or an array).",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per recorded invalid-template-shape problem."""
    from auditor.checks._util import report_problems

    yield from report_problems(RULE, inventory, "invalid-template-shape")
