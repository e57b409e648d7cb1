"""Command line of ``auditor simulate`` and ``auditor coverage`` (issue 13).

Both read the automations under PATH exactly as ``auditor scan`` does (configuration found from PATH up,
``exclude``, ``--parameters``, and ``--subscription``/``--resource-group`` filling the
``{subscriptionId}``/``{resourceGroup}`` placeholders), through :func:`offline_options` and
:func:`auditor.scanning.file_source`; only what they do with the events differs:

* ``simulate``: every event against every automation, explained (auditor.simulate); exit 0 when every
  event is delivered by some automation, 1 otherwise, 2 on errors;
* ``coverage``: every saved event, grouped by (kind, type, severity), with the COV001 finding for alert
  groups at or above ``--min-severity`` that reached no automation; the scan's renderers, outputs and
  gate (``--format``, ``--output``, ``--fail-on``; exit 0/1/2).

With ``--live`` (issue 13, item 3) both also take the deployed automations from the live scan, and
``coverage`` the recent alerts and unhealthy assessments read in the same run
(:mod:`auditor.live_simulate`, :mod:`auditor.sources.live.events`); an incomplete read is LIV001 and fails
the run unless ``--allow-partial``.

The engines are pure (auditor.simulate, auditor.coverage); this module only reads files and renders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.model import ObservedEvent
    from auditor.scanning import ScanOptions
    from auditor.sources.live.results import LiveResult

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITIES = ("info", "low", "medium", "high", "critical")
#: What a coverage run checks: the coverage finding and what it could not decide (SRC003); the scan
#: always adds the read failures (SRC001/SRC002) itself.
COVERAGE_RULES = ("COV001", "SRC003")

EPILOG_COVERAGE = """\
examples:
  auditor coverage examples/clean --events examples/events/alerts-export.json \\
      --subscription 4b2d8c1e-7f3a-4e69-b0d5-93c6a1f2e874
  auditor coverage deploy/ --events last-month.json --min-severity medium --format html -o coverage.html
  az security alert list > alerts.json && auditor coverage deploy/ --events alerts.json --format sarif
  auditor coverage --live --subscription ID --since 30d     the deployed automations and the alerts
                                                           of the last 30 days (read-only)

Every event of the --events files (a JSON list or one event: ARM Microsoft.Security/alerts bodies as
'az security alert list' writes them, or alerts as the Logic App trigger receives them) is evaluated
against every automation under PATH, as 'auditor simulate' does. Per (kind, alert type, severity): how
many events, which automations delivered them, how many reached none, how many are unknown offline (the
target Logic App is not in the scan, a value is only known at deployment: never a finding). COV001
(medium) reports each alert group at or above --min-severity (default high; coverage-min-severity in
the configuration) with alerts no automation delivered. A '{subscriptionId}' scope is assumed to be the
alert's subscription unless --subscription names the one the templates deploy to.

exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or tool error.
"""


def add_offline_target_options(p: argparse.ArgumentParser) -> None:
    """``--parameters``, ``--subscription``, ``--resource-group``: what the templates deploy with and to,
    as ``auditor scan`` has them (``--live`` will add its own reading here)."""
    p.add_argument(
        "--parameters",
        "-p",
        action="append",
        default=[],
        metavar="[TEMPLATE=]FILE",
        help="ARM parameters file or .bicepparam (repeatable); TEMPLATE= limits it to one template",
    )
    p.add_argument(
        "--subscription",
        action="append",
        metavar="ID",
        help=(
            "subscription the templates deploy to (fills {subscriptionId} in scopes); with --live, a "
            "subscription to read (repeatable)"
        ),
    )
    p.add_argument(
        "--resource-group",
        metavar="NAME",
        help="resource group the templates deploy to (fills {resourceGroup})",
    )
    p.add_argument("--no-config", action="store_true", help="ignore configuration files")
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: found from PATH up)"
    )


def add_commands(sub: Any) -> None:
    """The ``simulate`` and ``coverage`` subcommands."""
    _add_simulate(sub)
    _add_coverage(sub)


def _add_simulate(sub: Any) -> None:
    sim = sub.add_parser(
        "simulate",
        help="evaluate saved Defender for Cloud events (alerts, assessments, compliance) against the automations under PATH (or --live)",
        description=(
            "Decide for every automation under PATH whether it would fire for each event (enabled, scope, "
            "event source, rule sets) and whether its Logic App trigger receives it. With --live the "
            "deployed automations are evaluated too (read-only). Exit 0 when every event is delivered by at "
            "least one automation (and, live, every subscription was read), 1 otherwise, 2 on errors."
        ),
    )
    sim.add_argument(
        "paths", nargs="*", metavar="PATH", type=Path, help="files or folders to read (optional with --live)"
    )
    sim.add_argument(
        "--event",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        help="JSON file: one event, a list or a REST page; an alert, an assessment or a regulatory-compliance assessment, as the Logic App trigger gets it or as ARM returns it (repeatable)",
    )
    sim.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")
    add_offline_target_options(sim)
    _add_live_options(sim)


def _add_live_options(p: argparse.ArgumentParser) -> None:
    """``--live`` and the live-scan options of ``auditor scan`` (issue 13, item 3; standard library only)."""
    from auditor.live_cli import add_live_arguments

    add_live_arguments(p)


def _add_coverage(sub: Any) -> None:
    from auditor.reports import FORMATS

    cov = sub.add_parser(
        "coverage",
        help="which saved (or, --live, recent) alerts reached an automation, per alert type and severity",
        description=(
            "Evaluate every saved event against every automation under PATH and report, per kind, alert "
            "type and severity, which automations delivered them and how many reached none (COV001)."
        ),
        epilog=EPILOG_COVERAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cov.add_argument(
        "paths", nargs="*", metavar="PATH", type=Path, help="files or folders to read (optional with --live)"
    )
    cov.add_argument(
        "--events",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help=(
            "saved events: a JSON list (e.g. 'az security alert list' output) or one event (repeatable; "
            "required without --live)"
        ),
    )
    cov.add_argument(
        "--since",
        metavar="WHEN",
        help="with --live: alerts generated since 30d (default), 12h, 90m or an ISO date such as 2026-11-01",
    )
    cov.add_argument(
        "--min-severity",
        choices=SEVERITIES,
        help="lowest alert severity whose undelivered alerts are a COV001 finding (default: high)",
    )
    cov.add_argument("--format", choices=sorted(FORMATS), help="format of the main report (default: text)")
    cov.add_argument(
        "--output",
        "-o",
        action="append",
        default=[],
        metavar="[FORMAT:]FILE",
        help="write the report to FILE; FORMAT:FILE adds another output (repeatable)",
    )
    cov.add_argument(
        "--fail-on", choices=SEVERITIES, help="lowest severity that makes the exit code 1 (default: low)"
    )
    cov.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text")
    cov.add_argument("--quiet", "-q", action="store_true", help="text output: only the table and summary")
    cov.add_argument("--root", type=Path, help="repository root for SARIF paths (default: git top level)")
    add_offline_target_options(cov)
    _add_live_options(cov)


def offline_options(args: argparse.Namespace, rules: tuple[str, ...] = COVERAGE_RULES) -> ScanOptions:
    """Scan options for reading PATH offline (configuration, parameters, deployment target), with the
    scan's validation (:func:`auditor.scanning.prepare`); ``rules`` is the selection. UsageError when bad."""
    from auditor.registry import load_checks
    from auditor.scanning import prepare

    values = {
        "select": list(rules),
        "extend_select": None,
        "ignore": [],
        "baseline": None,
        "access": None,
        "deployer": None,
        "editor": None,
        "responder": None,
        "live": False,
        "management_group": None,
        "fail_on": None,
        "min_severity": None,
    }
    values.update(vars(args))
    values["select"] = list(rules)
    return prepare(argparse.Namespace(**values), load_checks())


def simulate_command(args: argparse.Namespace) -> int:
    """``auditor simulate``."""

    from auditor.event_files import read_events
    from auditor.events import EventError
    from auditor.link import Links
    from auditor.scanning import UsageError, file_source
    from auditor.simulate import delivered_every_event, simulate, to_text, write_json

    try:
        options = offline_options(args)
        events = [e for path in args.event for e in read_events(path)]
    except (UsageError, EventError) as exc:
        return usage_error(str(exc))
    source = file_source(options)
    live: LiveResult | None = None
    if options.live is not None:  # the deployed automations join those under PATH
        from auditor.live_simulate import read_live

        read = read_live(options.live)
        if isinstance(read, int):
            return read
        live = read
        source.include(live.inventory)
    inventory = source.scan(list(args.paths))
    results = simulate(list(inventory.automations), Links(inventory), events)
    partial = options.live is not None and options.live.allow_partial
    if args.format == "json":
        extra: dict[str, Any] = {}
        if live is not None:
            from auditor.live_simulate import coverage_json

            extra = coverage_json(live, partial)
        write_json(events, results, sys.stdout, extra)
    else:
        from auditor.neutral import terminal

        text = to_text(events, results)
        if live is not None:
            from auditor.live_simulate import coverage_text

            text += coverage_text(live, partial)
        sys.stdout.write("\n".join(terminal(line) for line in text.splitlines()) + "\n")
    code = EXIT_OK if delivered_every_event(results) else EXIT_FINDINGS
    if live is not None:
        from auditor.live_simulate import live_exit_code

        return live_exit_code(live, partial, code)
    return code


def coverage_command(args: argparse.Namespace) -> int:
    """``auditor coverage``: read, evaluate (auditor.scanning.execute with the observed events), render."""
    from auditor.cli import report_and_gate
    from auditor.events import EventError
    from auditor.scanning import UsageError, execute, parse_outputs
    from auditor.writing import refusal

    if not args.events and not getattr(args, "live", False):
        return usage_error(
            "give the saved events with --events FILE, or --live to read recent ones from Azure"
        )
    if args.since is not None and not getattr(args, "live", False):
        return usage_error("--since selects which alerts a live read takes: add --live")
    try:
        options = offline_options(args)
        observed = [e for path in args.events for e in read_observed(path)]
    except (UsageError, EventError) as exc:
        return usage_error(str(exc))
    live = None
    if options.live is not None:  # the deployed automations and their recent events, in one live read
        from auditor.live_simulate import read_live_events

        read = read_live_events(options.live, args.since)
        if isinstance(read, int):
            return read
        live, found = read
        observed += found
    elif not observed:
        return usage_error("the --events files hold no event: nothing to cover")
    outputs = parse_outputs(args.format, args.output)
    if isinstance(outputs, str):
        return usage_error(outputs)
    for spec in outputs:
        reason = refusal(spec.path) if spec.path is not None else None
        if reason is not None:
            return usage_error(f"cannot write {spec.path}: {reason}")
    try:
        result = execute(options, observed=observed, live_result=live)
    except UsageError as exc:
        return usage_error(str(exc))
    return report_and_gate(result, outputs, args, options.fail_on)


def read_observed(path: Path) -> list[ObservedEvent]:
    """The events of one ``--events`` file, each with the file and line it starts on (one read, one parse:
    :func:`auditor.event_files.read_located`; its EventError propagates)."""
    from auditor.coverage import observed
    from auditor.event_files import read_located
    from auditor.model import Origin

    out = []
    for event, (line, column, json_path) in read_located(path):
        file = event.label.rsplit("#", 1)[0]
        out.append(observed(event, Origin(file=file, line=line, column=column, json_path=json_path)))
    return out


def usage_error(message: str) -> int:
    """Print ``message`` safely (auditor.cli's way) and return 2."""
    from auditor.cli import _usage_error

    return _usage_error(message)
