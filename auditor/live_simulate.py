"""``auditor simulate --live`` and ``auditor coverage --live`` (issue 13, item 3): the *deployed* automations.

``coverage --live`` also takes its events from Azure: :func:`read_live_events` runs the live scan with the
event reads of :mod:`auditor.sources.live.events` (one sign-in, one run) and hands the scan's result to
:func:`auditor.scanning.execute` (``live_result=``), so the coverage record, LIV001 and ``--allow-partial``
work exactly as in ``auditor scan --live``.

The automations, Logic Apps and connections come from the live scan (:class:`auditor.sources.live.scanner.
LiveScanner`, read-only, same options as ``auditor scan --live``); the evaluation is the offline one
(:func:`auditor.simulate.simulate`), so a result names the automation's ARM id instead of a file and line.

A subscription (or resource type) that could not be read may hold the automation that would have delivered
the event: the simulation is then incomplete. It is said on stderr, in the text output and in the JSON
(``coverage``, as in ``auditor scan --format json``, with ``LIV001`` messages), and the run exits 1 unless
``--allow-partial`` accepts the gap (LIV001 at info).

Standard library only at import time: the live source and the checks load when a live run starts.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.findings import Finding
    from auditor.model import ObservedEvent
    from auditor.sources.live.options import LiveOptions
    from auditor.sources.live.results import LiveResult

EXIT_FINDINGS, EXIT_ERROR = 1, 2
COVERAGE_RULE = "LIV001"


def read_live(options: LiveOptions) -> LiveResult | int:
    """Run the live scan ``options`` describe; an exit code (2) after printing why when it cannot start."""
    from auditor.neutral import terminal
    from auditor.sources.live import LiveError, scan_live
    from auditor.sources.live.progress import make_progress

    try:
        result = scan_live(options, make_progress(options.progress, options.verbose))
    except LiveError as exc:
        print(f"auditor: error: {terminal(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    if not result.complete:
        gaps = sum(1 for r in result.coverage if r.status != "ok")
        print(
            f"auditor: warning: simulation incomplete: {gaps} live read{'s' if gaps != 1 else ''} failed "
            f"(LIV001), so an automation there may be missing from the results"
            + ("" if options.allow_partial else "; exit 1 unless --allow-partial"),
            file=sys.stderr,
        )
    return result


def read_live_events(options: LiveOptions, since: str | None) -> tuple[LiveResult, list[ObservedEvent]] | int:
    """``coverage --live``: the live scan with the recent alerts and unhealthy assessments of its
    subscriptions (:mod:`auditor.sources.live.events`), each event as the inventory holds it (its origin is
    its ARM id: no file); an exit code (2) after printing why when it cannot start."""
    from auditor.coverage import observed
    from auditor.events import events_from_bodies
    from auditor.model import Origin
    from auditor.neutral import terminal
    from auditor.sources.live import LiveError
    from auditor.sources.live.events import DEFAULT_SINCE, parse_since, read_events
    from auditor.sources.live.progress import make_progress

    try:
        moment = parse_since(since if since is not None else DEFAULT_SINCE)
    except ValueError as exc:
        print(f"auditor: error: {terminal(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    try:
        found = read_events(options, moment, make_progress(options.progress, options.verbose))
    except LiveError as exc:
        print(f"auditor: error: {terminal(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    labels = [str(b.get("id") or f"live#{i}") for i, b in enumerate(found.bodies)]
    events = events_from_bodies(found.bodies, "live", labels=labels)
    return found.result, [observed(e, Origin(file=None, resource=e.label)) for e in events]


def gap_findings(result: LiveResult, allow_partial: bool) -> list[Finding]:
    """LIV001 for every coverage record that is not ``ok``: high (info with ``--allow-partial``), with the
    scan's own messages."""
    from auditor.engine import Policy, run
    from auditor.findings import Severity
    from auditor.model import Inventory
    from auditor.registry import load_checks

    checks = [c for c in load_checks() if c.rule.id == COVERAGE_RULE]
    severity = Severity.INFO if allow_partial else max(checks[0].rule.severity, Severity.HIGH)
    found = run(
        Inventory(coverage=list(result.coverage)),
        checks,
        policy=Policy(severity_overrides={COVERAGE_RULE: severity}),
    )
    return list(found.findings)


def coverage_json(result: LiveResult, allow_partial: bool = False) -> dict[str, Any]:
    """Members added to the simulate JSON document by a live run (the contract's ``version`` is unchanged)."""
    return {
        "live": {
            "complete": result.complete,
            "subscriptions": [{"id": sub, "name": name} for sub, name in result.subscriptions],
            "gaps": [
                {"rule": f.rule.id, "severity": f.effective_severity.label, "message": f.message}
                for f in gap_findings(result, allow_partial)
            ],
        },
        "coverage": [dataclasses.asdict(record) for record in result.coverage],
    }


def coverage_text(result: LiveResult, allow_partial: bool) -> str:
    """The lines a live run adds to the text output: what was read, and every gap (LIV001)."""
    subs = len(result.subscriptions)
    head = f"live: {subs} subscription{'s' if subs != 1 else ''} read"
    if result.complete:
        return f"{head}, coverage complete\n"
    lines = [f"{head}; simulation incomplete:"]
    for f in gap_findings(result, allow_partial):
        lines.append(f"  {f.rule.id} [{f.effective_severity.label}] {f.message}")
    if not allow_partial:
        lines.append("  (exit 1: --allow-partial accepts an incomplete simulation)")
    return "\n".join(lines) + "\n"


def live_exit_code(result: LiveResult, allow_partial: bool, code: int) -> int:
    """1 when the live read was incomplete (unless ``--allow-partial``), else the simulation's code."""
    if not result.complete and not allow_partial:
        return EXIT_FINDINGS
    return code
