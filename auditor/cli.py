"""Command line: ``auditor scan``, ``auditor rules``, ``auditor rule ID``, ``--version``.

Start-up matters (people run this on every commit): only argparse and the
version are imported up front; the inventory model (pydantic), the sources
and the renderers load when a command needs them.

Exit codes: 0 = no finding at or above ``--fail-on``; 1 = findings; 2 = usage
error, tool error or a check that crashed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from auditor import __version__

if TYPE_CHECKING:
    from auditor.engine import ScanResult
    from auditor.registry import LoadedCheck

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITIES = ("info", "low", "medium", "high", "critical")

EPILOG_SCAN = """\
examples:
  auditor scan examples/                         scan a folder (recursively)
  auditor scan azuredeploy.json --parameters azuredeploy.parameters.json
  auditor scan . --format json --output findings.json
  auditor scan . --fail-on high                  only high findings fail the run
  auditor scan . --select LA,AUT --ignore AUT208 choose rules by id or prefix

parameters files: 'x.parameters.json' beside 'x.json' is used automatically;
--parameters FILE applies FILE to every template, --parameters TEMPLATE=FILE
to one template only.

exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or tool error.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and a hint, as documented."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}\n(see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI in the README)."""
    parser = _Parser(
        prog="auditor",
        description=(
            "Lint Microsoft Defender for Cloud workflow automation before deployment: automations, the Logic "
            "Apps they trigger, their API connections and the DeployIfNotExists policies that roll them out."
        ),
        epilog="Run 'auditor COMMAND --help' for a command's options; 'auditor rules' lists every check.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = sub.add_parser(
        "scan",
        help="scan ARM templates, compiled Bicep, exported resources and policy definitions",
        description="Scan files and folders for broken Defender for Cloud workflow automation.",
        epilog=EPILOG_SCAN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="files or folders to scan")
    from auditor.reports import FORMATS

    scan.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    scan.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write the report to FILE instead of stdout"
    )
    scan.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="low",
        help="lowest severity that makes the exit code 1 (default: low; info never fails by default)",
    )
    scan.add_argument(
        "--parameters",
        "-p",
        action="append",
        default=[],
        metavar="[TEMPLATE=]FILE",
        help="ARM parameters file (repeatable); TEMPLATE= limits it to one template",
    )
    scan.add_argument(
        "--select",
        action="append",
        metavar="ID",
        help="run only these rules (ids or prefixes, comma-separated)",
    )
    scan.add_argument(
        "--ignore", action="append", default=[], metavar="ID", help="skip these rules (ids or prefixes)"
    )
    scan.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour in text output"
    )
    scan.add_argument("--quiet", "-q", action="store_true", help="text output: only the summary line")

    sub.add_parser(
        "rules", help="list every check", description="List every check with id, severity and title."
    )
    rule = sub.add_parser(
        "rule", help="show one check's documentation", description="Show a check's full documentation."
    )
    rule.add_argument("rule_id", metavar="ID", help="rule id, e.g. LA101")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``auditor`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            return _scan(args)
        if args.command == "rules":
            return _rules(sys.stdout)
        if args.command == "rule":
            return _rule(args.rule_id, sys.stdout)
    except BrokenPipeError:  # e.g. `auditor rules | head`
        return EXIT_OK
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in auditor: say so plainly, keep the traceback for --debug
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        print(
            f"auditor: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in auditor; rerun with AUDITOR_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    parser.print_help()
    return EXIT_ERROR


def _split(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _load_checks() -> list[LoadedCheck]:
    from auditor.registry import load_checks

    return load_checks()


def _usage_error(message: str) -> int:
    print(f"auditor: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _parameters(values: list[str]) -> dict[str | None, Path] | str:
    """``[TEMPLATE=]FILE`` options → mapping; a string is an error message."""
    out: dict[str | None, Path] = {}
    for value in values:
        template, sep, file = value.rpartition("=")
        path = Path(file if sep else value)
        if not path.is_file():
            return f"parameters file not found: {path}"
        if sep:
            if not Path(template).is_file():
                return f"template for --parameters not found: {template}"
            out[str(Path(template).resolve())] = path
        else:
            out[None] = path
    return out


def _scan(args: argparse.Namespace) -> int:
    from auditor.findings import Severity
    from auditor.selection import is_selected, validate

    checks = _load_checks()
    ids = [c.rule.id for c in checks]
    select, ignore = _split(args.select), _split(args.ignore) or []
    unknown = validate([*(select or []), *ignore], ids)
    if unknown:
        return _usage_error(f"unknown rule selector(s): {', '.join(unknown)} (see 'auditor rules')")
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        return _usage_error(f"no such file or directory: {', '.join(missing)}")
    params = _parameters(args.parameters)
    if isinstance(params, str):
        return _usage_error(params)
    selected = [c for c in checks if is_selected(c.rule.id, select, ignore)]

    from auditor.engine import run
    from auditor.sources.arm.loader import ArmSource

    inventory = ArmSource(params).scan(args.paths)
    result = run(inventory, selected)
    threshold = Severity.parse(args.fail_on)
    code = _write_report(args, result)
    if code != EXIT_OK:
        return code
    for error in result.errors:
        print(f"auditor: error: check {error.rule_id} crashed: {error.message}", file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.at_or_above(threshold) else EXIT_OK


def _write_report(args: argparse.Namespace, result: ScanResult) -> int:
    from auditor.reports import render

    out: TextIO
    if args.output is not None:
        try:
            out = open(args.output, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as exc:
            return _usage_error(f"cannot write {args.output}: {exc.strerror or exc}")
    else:
        out = sys.stdout
    try:
        color = args.color == "always" or (args.color == "auto" and out.isatty())
        render(args.format, result, out, color=color, quiet=args.quiet, fail_on=args.fail_on)
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


def _rules(out: TextIO) -> int:
    checks = _load_checks()
    width = max(len(c.rule.name) for c in checks)
    out.write(f"{'ID':<7} {'SEVERITY':<9} {'NAME':<{width}}  TITLE\n")
    for c in checks:
        r = c.rule
        out.write(f"{r.id:<7} {r.severity.label:<9} {r.name:<{width}}  {r.title}\n")
    out.write(f"\n{len(checks)} rules. 'auditor rule ID' shows one in full.\n")
    return EXIT_OK


def _rule(rule_id: str, out: TextIO) -> int:
    checks = {c.rule.id: c for c in _load_checks()}
    loaded = checks.get(rule_id.strip().upper())
    if loaded is None:
        by_name = {c.rule.name: c for c in checks.values()}
        loaded = by_name.get(rule_id.strip().lower())
    if loaded is None:
        return _usage_error(f"unknown rule {rule_id!r} (see 'auditor rules')")
    r = loaded.rule
    out.write(f"{r.id} {r.name}\n")
    out.write(f"severity:    {r.severity.label}\n")
    out.write(f"title:       {r.title}\n")
    out.write(f"rationale:   {r.rationale}\n")
    out.write(f"remediation: {r.remediation}\n")
    out.write(f"help:        {r.help_url}\n\n")
    doc = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
    if doc:
        out.write(doc + "\n")
    return EXIT_OK
