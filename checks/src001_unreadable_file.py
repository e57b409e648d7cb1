"""SRC001: a file could not be read or decoded.

## What it checks
Every discovered file is read once. A file that cannot be opened (permissions,
a broken link, a directory given as a file) or whose bytes are not UTF-8,
UTF-16 or UTF-32 text is reported here.

## Why it matters
A file auditor could not read is a file nothing was checked in. Reporting it
(at high severity) keeps a scan from passing silently with gaps.

## Use instead
Save templates as UTF-8 (with or without BOM) or UTF-16 with a BOM, and make
sure the scanning user can read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="SRC001",
    name="unreadable-file",
    severity=Severity.HIGH,
    title="File cannot be read or decoded",
    fires_when="a file cannot be read or decoded",
    rationale="A file that cannot be read is not checked at all, so the scan would silently miss it.",
    remediation="Make the file readable and save it as UTF-8 (or UTF-16 with a byte-order mark).",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per unreadable file."""
    from auditor.checks._util import report_problems

    yield from report_problems(RULE, inventory, "unreadable")
