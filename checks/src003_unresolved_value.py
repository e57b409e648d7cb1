"""SRC003: a value a check needed is only known at deployment.

## What it checks
Checks never fire on values they cannot know (``reference()``, ``listKeys()``,
a parameter without a default and no parameters file). When a check had to
skip something for that reason, this rule says where and why. It also names
what a source could not read at all: a Bicep module from a registry or a
template spec (``br:``, ``ts:``), which auditor does not download.

## Why it matters
Unknown is neither fine nor broken. This finding (informational) shows which
parts of a template auditor could not verify, so a reviewer can supply values
(``--parameters``) or check them by hand.

## Use instead
Pass a parameters file (``--parameters azuredeploy.parameters.json``, or keep
``x.parameters.json`` beside ``x.json``) so parameters get real values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Phase, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SRC003",
    name="unresolved-value",
    severity=Severity.INFO,
    title="Value needed by a check is unknown before deployment",
    fires_when="a value a check needed is only known at deployment",
    rationale="Checks stay silent on values they cannot resolve; this records what was not verified and why.",
    remediation="Supply parameter values with --parameters (or a parameters file beside the template).",
    phase=Phase.AFTER_CHECKS,
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per (location, reason) that some check could not resolve."""
    seen: set[tuple[str | None, str, str]] = set()
    for need in ctx.needs:
        key = (need.origin.file, need.origin.json_path, need.reason)
        if key in seen:
            continue
        seen.add(key)
        yield RULE.finding(
            f"{need.rule_id} could not check {need.what}: {need.reason}", at=need.origin, related=need.related
        )
    for problem in inventory.problems:  # what a source could not read at all (a Bicep registry module)
        if problem.code == "unresolved":
            yield RULE.finding(f"auditor could not check {problem.message}", at=problem.origin)
