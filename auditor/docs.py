"""Generate ``docs/rules.md`` from the checks themselves (one source for CLI, SARIF and docs).

Run ``python -m auditor.docs > docs/rules.md``; ``tests/test_docs.py`` fails when
the committed file is stale. Each rule's anchor matches ``Rule.help_url``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.registry import LoadedCheck


def anchor(rule_id: str, name: str) -> str:
    """The Markdown heading anchor GitHub generates for '## ID name'."""
    return f"{rule_id.lower()}-{name}"


def render(checks: Sequence[LoadedCheck]) -> str:
    """The whole rules page."""
    lines = [
        "# auditor rules",
        "",
        "Generated from the check modules by `python -m auditor.docs`; do not edit by hand.",
        "`auditor rules` lists them and `auditor rule ID` prints one.",
        "",
        "| id | name | severity | title |",
        "| --- | --- | --- | --- |",
    ]
    for c in checks:
        r = c.rule
        lines.append(f"| [{r.id}](#{anchor(r.id, r.name)}) | {r.name} | {r.severity.label} | {r.title} |")
    for c in checks:
        r = c.rule
        body = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
        lines += [
            "",
            f"## {r.id} {r.name}",
            "",
            f"**Severity:** {r.severity.label}. **Title:** {r.title}",
            "",
            f"**Why:** {r.rationale}",
            "",
            f"**Fix:** {r.remediation}",
            "",
            body.replace("\n## ", "\n### "),
        ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    """Print the rules page."""
    from auditor.registry import load_checks

    sys.stdout.write(render(load_checks()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
