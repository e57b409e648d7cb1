"""Run checks over an inventory: the only place configuration touches findings.

Selected checks run in catalog order; a check that crashes becomes a
:class:`CheckError` (the others still run and the CLI exits 2), except under
``AUDITOR_DEBUG=1`` and in the test suite (:func:`~auditor.budget.reraise_bugs`),
where the exception propagates so the bug shows with its traceback. SRC003 runs
last because it reports what the other checks could not resolve. The result
is an immutable :class:`ScanResult` that renderers read and nothing else.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import field, replace
from typing import Any

from auditor.budget import reraise_bugs
from auditor.catalog import Catalog, default_catalog
from auditor.chains import Chain, build_chains
from auditor.checking import CheckContext, RunSettings
from auditor.findings import Finding, Phase, Rule, Severity
from auditor.link import Links
from auditor.listing import limit_per_place
from auditor.model import CoverageRecord, FileRecord, Inventory
from auditor.records import record
from auditor.registry import LoadedCheck
from auditor.selection import matches_any
from auditor.suppressions import BaselineEntry, ConfiguredSuppression, apply


@record()
class Policy:
    """What configuration does to findings: the one place it touches them."""

    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)  # glob → rule selectors
    configured: tuple[ConfiguredSuppression, ...] = ()
    baseline: tuple[BaselineEntry, ...] = ()


@record()
class CheckError:
    """A check that raised: reported, never silently dropped."""

    rule_id: str
    message: str
    detail: str


@record()
class FileSummary:
    """How many files were scanned, skipped (not ours) and failed (unreadable or invalid)."""

    scanned: int
    skipped: int
    failed: int

    @classmethod
    def of(cls, files: Sequence[FileRecord]) -> FileSummary:
        failed = sum(1 for f in files if f.kind in ("unreadable", "invalid"))
        skipped = sum(1 for f in files if f.kind == "not-ours")
        return cls(scanned=len(files) - failed - skipped, skipped=skipped, failed=failed)


@record()
class ScanResult:
    """Everything a renderer may read."""

    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]  # the rules that ran
    files: tuple[FileRecord, ...]
    errors: tuple[CheckError, ...] = ()
    summary: FileSummary = field(default_factory=lambda: FileSummary(0, 0, 0))
    chains: tuple[Chain, ...] = ()
    # live scans: what each subscription × resource type read gave (auditor.model.CoverageRecord)
    coverage: tuple[CoverageRecord, ...] = ()
    # findings beyond auditor.listing.MAX_PER_PLACE at one place (copy-loop instances): counted, not listed
    unlisted: tuple[Finding, ...] = ()
    # auditor coverage: every observed event's outcome, grouped (auditor.coverage.CoverageReport); None in
    # a scan, which reads no events
    event_coverage: Any = None

    @property
    def active(self) -> list[Finding]:
        """Findings that are not suppressed."""
        return [f for f in self.findings if f.suppressed_by is None]

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        """Findings that fail the gate at ``threshold``."""
        return [f for f in self.findings if f.effective_severity >= threshold and f.suppressed_by is None]


def run(
    inventory: Inventory,
    checks: Sequence[LoadedCheck],
    catalog: Catalog | None = None,
    policy: Policy | None = None,
    settings: RunSettings | None = None,
) -> ScanResult:
    """Run ``checks`` (already selected) over ``inventory`` with the run's ``settings`` and apply ``policy``."""
    policy = policy or Policy()
    ctx = CheckContext(
        links=Links(inventory), catalog=catalog or default_catalog(), settings=settings or RunSettings()
    )
    before = [c for c in checks if c.rule.phase < Phase.AFTER_SUPPRESSIONS]
    after = [c for c in checks if c.rule.phase == Phase.AFTER_SUPPRESSIONS]
    before.sort(key=lambda c: c.rule.phase)  # stable: catalog order within a phase
    findings: list[Finding] = []
    errors: list[CheckError] = []
    seen: set[tuple[str, str]] = set()
    _run_checks(before, inventory, ctx, findings, errors, seen)
    findings = [_override(f, policy) for f in findings if not _ignored_for_file(f, policy)]
    ran = frozenset(c.rule.id for c in checks)
    findings, ctx.suppression_outcome = apply(
        findings,
        inline=inventory.inline_suppressions,
        configured=policy.configured,
        baseline=policy.baseline,
        ran=ran,
    )
    _run_checks(after, inventory, ctx, findings, errors, seen)
    findings.sort(key=lambda f: (f.location.file or "", f.location.line, f.location.column, f.rule.id))
    listed, unlisted = limit_per_place(findings)
    return ScanResult(
        findings=tuple(listed),
        unlisted=tuple(unlisted),
        rules=tuple(c.rule for c in checks),
        files=tuple(inventory.files),
        errors=tuple(errors),
        summary=FileSummary.of(inventory.files),
        chains=build_chains(inventory, ctx.links, findings),
        coverage=tuple(inventory.coverage),
    )


def _override(finding: Finding, policy: Policy) -> Finding:
    severity = policy.severity_overrides.get(finding.rule.id)
    return finding.with_severity(severity) if severity is not None else finding


def _ignored_for_file(finding: Finding, policy: Policy) -> bool:
    path = finding.location.file or ""
    for pattern, selectors in policy.per_file_ignores.items():
        if fnmatch.fnmatch(path, pattern) and matches_any(selectors, finding.rule.id):
            return True
    return False


def _run_checks(
    checks: Sequence[LoadedCheck],
    inventory: Inventory,
    ctx: CheckContext,
    findings: list[Finding],
    errors: list[CheckError],
    seen: set[tuple[str, str]],
) -> None:
    for loaded in checks:
        ctx.rule_id = loaded.rule.id
        try:
            produced = list(loaded.module.check(inventory, ctx))
        except Exception as exc:  # a broken check must not hide the others' findings
            if reraise_bugs():  # AUDITOR_DEBUG=1 and the test suite: a crashing check is a bug to see
                raise
            import traceback  # here: only a crashing check needs it (issue 14, start-up)

            errors.append(CheckError(loaded.rule.id, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            continue
        for finding in produced:
            if finding.rule.id != loaded.rule.id:
                errors.append(CheckError(loaded.rule.id, f"emitted a finding of {finding.rule.id}", ""))
                continue
            key = (finding.fingerprint, finding.message)
            if key in seen:  # the same problem reached through two paths (e.g. policy default + assignment)
                continue
            seen.add(key)
            findings.append(replace(finding, rule=loaded.rule))
