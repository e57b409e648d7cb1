"""How many findings of one rule at one place are listed: the copies of a copy loop are one defect.

A copy loop of 800 instances with one mistake gives 800 findings that differ only
in the instance's name; a template of 35 KB with a few such mistakes in a loop
gave 26,000 findings, 80 MB of HTML and 12 s of rendering. The source has one
defect per place, so each place (rule, file, line, column, JSON path and the
finding's key: everything of the fingerprint but the resource; and severity) lists its first
:data:`MAX_PER_PLACE` instances and says on the last one how many more there are.

Nothing that decides an outcome changes: the findings left out have the rule,
file and severity of one that is listed (so the gate's verdict is the same),
suppressions and the baseline were applied before (so the listed ones are the
first *active* ones), chains are built from all findings, and ``baseline
create`` records every one (:attr:`auditor.engine.ScanResult.unlisted`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from auditor.findings import Finding

#: Findings listed per place and suppression state; a copy loop with fewer instances lists them all.
MAX_PER_PLACE = 20


def _place(finding: Finding) -> tuple[object, ...]:
    loc = finding.location
    return (
        finding.rule.id,
        loc.file,
        loc.line,
        loc.column,
        loc.json_path,
        finding.key,
        finding.effective_severity,
        finding.suppressed_by is None,
    )


def limit_per_place(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(listed, unlisted): at most :data:`MAX_PER_PLACE` findings per place, in the given order.

    A place with more has its count added to the message of its last listed finding.
    """
    counts: dict[tuple[object, ...], int] = {}
    for finding in findings:
        place = _place(finding)
        counts[place] = counts.get(place, 0) + 1
    if all(n <= MAX_PER_PLACE for n in counts.values()):
        return list(findings), []
    listed: list[Finding] = []
    unlisted: list[Finding] = []
    seen: dict[tuple[object, ...], int] = {}
    for finding in findings:
        place = _place(finding)
        n = seen[place] = seen.get(place, 0) + 1
        if n > MAX_PER_PLACE:
            unlisted.append(finding)
        elif n == MAX_PER_PLACE and counts[place] > MAX_PER_PLACE:
            more = counts[place] - MAX_PER_PLACE
            copies = "copy" if more == 1 else "copies"
            note = (
                f" (the same at {more:,} more {copies} of this resource, not listed: "
                f"auditor lists {MAX_PER_PLACE} per place)"
            )
            listed.append(replace(finding, message=finding.message + note))
        else:
            listed.append(finding)
    return listed, unlisted
