"""SRC002: a JSON, Terraform HCL or Bicep file has a syntax error.

## What it checks
Templates, parameters files, policies and exported resources are parsed as
Azure Resource Manager does: JSON plus ``//`` and ``/* */`` comments and raw
line breaks or tabs inside strings (Newtonsoft.Json keeps them). A ``.json``
file that does not parse and has no trace of an Azure document (no ARM schema,
``Microsoft.`` type or id, nor a key such as ``resources``, ``parameters``,
``properties`` or ``policyRule``), or that lies where editors keep JSON with
comments (``.vscode/``, ``tsconfig*.json``, ``devcontainer.json``), is another
tool's file: not ours, not this finding (README "Exit codes"). Terraform
files are parsed as HCL, and JSON embedded in them (``jsonencode``, heredocs)
as JSON; Bicep files with the Bicep grammar. A syntax error is reported with its
line and column. In a Bicep file the parser recovers: what follows the error is
still read and checked.

## Why it matters
Azure rejects the deployment, and nothing in the file was checked.

## Use instead
Fix the syntax at the reported line (a missing comma, a trailing comma, an
unterminated string), or validate with ``az deployment group validate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SRC002",
    name="invalid-json",
    severity=Severity.HIGH,
    title="Syntax error (JSON, HCL or Bicep)",
    fires_when="a JSON, HCL or Bicep syntax error (line and column in the message)",
    rationale="Azure Resource Manager rejects a file that is not valid JSON, and none of its content was checked.",
    remediation="Fix the syntax error at the reported line and column.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per file with a syntax error."""
    from auditor.checks._util import report_problems

    yield from report_problems(RULE, inventory, "invalid-json", prefix="invalid JSON: ")
    yield from report_problems(RULE, inventory, "invalid-hcl")  # its message already says "invalid HCL: …"
    yield from report_problems(RULE, inventory, "invalid-bicep", prefix="invalid Bicep: ")
