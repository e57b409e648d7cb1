"""Command line: ``auditor scan``, ``rules``, ``rule ID``, ``config``, ``baseline create``, ``--version``
(``simulate`` and ``coverage`` live in :mod:`auditor.simulate_cli`).

Start-up matters (people run this on every commit): only argparse and the
version are imported up front; the inventory model, the sources and the
renderers load when a command needs them (benchmarks/startup.py, tests/test_startup.py).

Exit codes: 0 = no finding at or above ``--fail-on``; 1 = findings; 2 = usage
error, configuration error, tool error or a check that crashed.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from auditor import __version__

if TYPE_CHECKING:
    from auditor.engine import ScanResult
    from auditor.registry import LoadedCheck
    from auditor.scanning import ScanOptions

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITIES = ("info", "low", "medium", "high", "critical")

EPILOG_SCAN = """\
examples:
  auditor scan examples/                         scan a folder (recursively)
  auditor scan azuredeploy.json --parameters azuredeploy.parameters.json
  auditor scan infra/main.bicep --parameters infra/prod.bicepparam
                                                 Bicep, read as it is (no Bicep CLI needed)
  auditor scan . --format json --output findings.json
  auditor scan . --output sarif:results.sarif --output html:report.html
                                                 text on the terminal, SARIF and HTML to files
  auditor scan . --fail-on high                  only high findings fail the run
  auditor scan . --select LA,AUT --ignore AUT208 choose rules by id or prefix
  auditor scan . --baseline auditor-baseline.json  hide findings accepted in the baseline
  auditor scan deploy/ --access access.json --deployer ID --editor ID --responder ID
                                                 check role prerequisites (RB rules)
  auditor scan --live --subscription ID --subscription ID --format sarif -o live.sarif
                                                 scan what is deployed (read-only; Reader +
                                                 Security Reader); add PATHs to scan files too
  auditor scan --live --management-group NAME --auth github-oidc --allow-partial

live scans: --live reads the subscriptions given with --subscription, those below
--management-group, or every subscription the identity can read (through Azure
Resource Graph above --graph-threshold subscriptions). What could not be read is
LIV001 (high; info with --allow-partial) and the coverage record in every report.
Sign-in: --auth default|cli|managed-identity|workload-identity|github-oidc; other
clouds: --cloud, or --arm-endpoint URL (Azure Stack Hub) with AZURE_AUTHORITY_HOST.

outputs: --output FILE writes the --format report to FILE; --output FORMAT:FILE
(repeatable) writes another format as well, e.g. sarif:out.sarif, html:report.html,
json:findings.json, markdown:summary.md, github:-, azure:- ('-' is stdout).

parameters files: 'x.parameters.json' beside 'x.json' is used automatically;
--parameters FILE applies FILE to every template, --parameters TEMPLATE=FILE
to one template only. Bicep: 'main.bicepparam' beside 'main.bicep' (or the one
.bicepparam whose 'using' names it) is used automatically; --parameters X.bicepparam
applies to the template its 'using' line names.

role prerequisites: --access names an access snapshot (az role assignment/definition
output assembled into one JSON file); --deployer, --editor and --responder name the
object ids that deploy the automations, edit the Logic Apps and run their triggers.
--subscription and --resource-group say where the templates are deployed, so their
{subscriptionId}/{resourceGroup} placeholders become real scopes.

configuration: [tool.auditor] in pyproject.toml or auditor.toml, found from the
first PATH upwards to the repository root (never above; --config names any file);
flags override it ('auditor config' prints the result).

outputs are written atomically and never through a symbolic link (one at an output
path is refused, exit 2).

exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage, configuration
or tool error.
"""

EPILOG_CONFIG = """\
keys ([tool.auditor] in pyproject.toml, or top level in auditor.toml):
  select, extend-select, ignore     rule ids or prefixes (lists)
  per-file-ignores                  {"glob" = ["ID", ...]}
  severity-overrides                {ID = "high"}
  fail-on                           info | low | medium | high | critical
  parameters                        {"template path" = "parameters file"}
  exclude                           globs of paths not to scan
  baseline                          baseline file (like --baseline)
  access                            access snapshot file (like --access)
  subscription, resource-group      deployment target (like --subscription, --resource-group)
  coverage-min-severity             auditor coverage: like --min-severity (default high)
  [principals]                      deployer = "ID", editors = ["ID", ...], responders = [...]
  [[suppressions]]                  rule, path (glob), resource (glob, optional),
                                    reason (required), expires (date, optional)
"""


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil: ``COLUMNS`` when it is a positive
    number, else the width of the terminal on ``sys.__stdout__``, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and a hint, as documented."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        """argparse's own formatter with the width argparse would give it (``shutil.get_terminal_size``
        less 2), found without importing shutil and the bz2/lzma/zlib it pulls (~2 ms of a one-file scan,
        issue 14: argparse makes a formatter for every ``add_argument``, and shutil is needed for nothing
        else)."""
        return self.formatter_class(prog=self.prog, width=_terminal_columns() - 2)  # type: ignore[call-arg]

    def error(self, message: str) -> None:  # type: ignore[override]
        from auditor.neutral import terminal

        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {terminal(message)}\n(see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _add_scan_options(p: argparse.ArgumentParser, *, outputs: bool) -> None:
    from auditor.reports import FORMATS

    p.add_argument(
        "paths", nargs="*", metavar="PATH", type=Path, help="files or folders to scan (optional with --live)"
    )
    if outputs:
        p.add_argument("--format", choices=sorted(FORMATS), help="format of the main report (default: text)")
        p.add_argument(
            "--output",
            "-o",
            action="append",
            default=[],
            metavar="[FORMAT:]FILE",
            help="write the report to FILE; FORMAT:FILE adds another output (repeatable)",
        )
        p.add_argument(
            "--fail-on",
            choices=SEVERITIES,
            help="lowest severity that makes the exit code 1 (default: low; info never fails by default)",
        )
        p.add_argument(
            "--color", choices=("auto", "always", "never"), default="auto", help="colour in text output"
        )
        p.add_argument("--quiet", "-q", action="store_true", help="text output: only the summary line")
        p.add_argument("--root", type=Path, help="repository root for SARIF paths (default: git top level)")
    p.add_argument(
        "--parameters",
        "-p",
        action="append",
        default=[],
        metavar="[TEMPLATE=]FILE",
        help="ARM parameters file or .bicepparam (repeatable); TEMPLATE= limits it to one template",
    )
    p.add_argument("--select", action="append", metavar="ID", help="run only these rules (ids or prefixes)")
    p.add_argument("--extend-select", action="append", metavar="ID", help="add rules to the selection")
    p.add_argument(
        "--ignore", action="append", default=[], metavar="ID", help="skip these rules (ids or prefixes)"
    )
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", help="hide findings accepted in this baseline file"
    )
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: found from PATH up)"
    )
    p.add_argument("--no-config", action="store_true", help="ignore configuration files")
    roles = p.add_argument_group("role prerequisites (RB rules)")
    roles.add_argument(
        "--access", type=Path, metavar="FILE", help="access snapshot (roleAssignments, roleDefinitions, ...)"
    )
    roles.add_argument("--deployer", metavar="ID", help="object id that deploys the automations")
    roles.add_argument(
        "--editor", action="append", metavar="ID", help="object id that edits the Logic Apps (repeatable)"
    )
    roles.add_argument(
        "--responder", action="append", metavar="ID", help="object id that runs the triggers (repeatable)"
    )
    roles.add_argument(
        "--subscription",
        action="append",
        metavar="ID",
        help=(
            "subscription the templates deploy to (fills {subscriptionId}); with --live, a subscription to "
            "read (repeatable)"
        ),
    )
    roles.add_argument(
        "--resource-group",
        metavar="NAME",
        help="resource group the templates deploy to (fills {resourceGroup})",
    )
    from auditor.live_cli import add_live_arguments

    add_live_arguments(p)


def _add_access_command(sub: Any) -> None:
    """``auditor access explain``: Azure RBAC decisions from an access snapshot (issue 5)."""
    access = sub.add_parser(
        "access",
        help="explain Azure RBAC decisions from an access snapshot",
        description="Answer 'may PRINCIPAL do ACTION at SCOPE?' from exported role data.",
    )
    asub = access.add_subparsers(dest="access_command", metavar="ACTION", parser_class=_Parser, required=True)
    explain = asub.add_parser(
        "explain",
        help="decide one (principal, scope, action) and say why",
        description=(
            "Decide whether PRINCIPAL may perform ACTION at SCOPE from SNAPSHOT (JSON: roleDefinitions, "
            "roleAssignments, roleEligibilityScheduleInstances, denyAssignments, managementGroups, "
            "subscriptions, groups). Exit 0 allowed, 1 denied/conditional/unknown, 2 usage error."
        ),
    )
    explain.add_argument("snapshot", type=Path, metavar="SNAPSHOT", help="access snapshot (JSON)")
    explain.add_argument("--principal", required=True, metavar="ID", help="object id of the user/group/SP")
    explain.add_argument("--scope", required=True, metavar="SCOPE", help="ARM scope, e.g. /subscriptions/…")
    explain.add_argument(
        "--action", required=True, metavar="ACTION", help="e.g. Microsoft.Logic/workflows/write"
    )
    explain.add_argument("--data-action", action="store_true", help="ACTION is a data action")
    explain.add_argument(
        "--request-attribute",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="ABAC request attribute (repeatable; repeat a NAME for several values)",
    )
    explain.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")
    from auditor.live_cli import add_export_parser

    add_export_parser(asub)


def _access(args: argparse.Namespace) -> int:
    if args.access_command == "export":
        from auditor.sources.live.commands import access_export

        return access_export(args)
    from auditor.rbac.explain import run

    return run(args)


# The subcommands build_parser() registers, in order; main() builds only the one argv names.
COMMANDS = ("scan", "rules", "rule", "config", "baseline", "access", "simulate", "coverage")


class _Unused:
    """Stands for a subcommand's parser that this run never reads: every call is accepted and ignored.

    Building the parser of all commands costs ~9 ms of a ~90 ms one-file scan (each ``add_argument``
    makes a help formatter, which asks the terminal its size; each parser translates its help strings
    through gettext), and only the command on the command line is ever parsed (issue 14).
    """

    def __getattr__(self, _name: str) -> Any:
        return self._ignore

    def _ignore(self, *_args: Any, **_kwargs: Any) -> _Unused:
        return self


class _Only:
    """The subcommands action, building the parser of ``command`` only (``None``: of every command)."""

    def __init__(self, sub: Any, command: str | None) -> None:
        self._sub, self._command = sub, command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self._command is None or name == self._command:
            return self._sub.add_parser(name, **kwargs)
        return _Unused()


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand whose parser alone decides ``argv``, ``""`` for ``--version`` alone (no subcommand
    is needed), ``None`` when argparse may need them all (``--help``, no or an unknown command: those
    print the list of commands)."""
    if argv and argv[0] in COMMANDS:
        return argv[0]
    return "" if list(argv) == ["--version"] else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI in the README); ``command``: build only that
    subcommand's parser (what :func:`main` does when the first argument names it; the others are not
    registered, which no parse of such an argv can tell, as the top-level usage names no command)."""
    parser = _Parser(
        prog="auditor",
        description=(
            "Lint Microsoft Defender for Cloud workflow automation before deployment: automations, the Logic "
            "Apps they trigger, their API connections and the DeployIfNotExists policies that roll them out."
        ),
        epilog="Run 'auditor COMMAND --help' for a command's options; 'auditor rules' lists every check.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub: Any = _Only(parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser), command)

    scan = sub.add_parser(
        "scan",
        help="scan ARM templates, Bicep, Terraform, exported resources and policy definitions",
        description="Scan files and folders for broken Defender for Cloud workflow automation.",
        epilog=EPILOG_SCAN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_scan_options(scan, outputs=True)
    # --jobs (issue 14, scale): worker processes reading the files; checked in scanning.prepare
    scan.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help=(
            "processes reading files, this one included, when sharing them is estimated to pay "
            "(default: one per CPU; 1: all in this process)"
        ),
    )

    sub.add_parser(
        "rules", help="list every check", description="List every check with id, severity and title."
    )
    rule = sub.add_parser(
        "rule", help="show one check's documentation", description="Show a check's documentation."
    )
    rule.add_argument("rule_id", metavar="ID", help="rule id, e.g. LA101")

    config = sub.add_parser(
        "config",
        help="print the effective configuration",
        description="Print the configuration a scan of PATH would use (file found from PATH upwards).",
        epilog=EPILOG_CONFIG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config.add_argument("path", nargs="?", default=Path("."), type=Path, metavar="PATH")
    config.add_argument("--config", type=Path, metavar="FILE", help="configuration file to read")

    baseline = sub.add_parser(
        "baseline",
        help="create a baseline of today's findings",
        description="Accept today's findings: later scans with --baseline FILE report only new ones.",
    )
    bsub = baseline.add_subparsers(
        dest="baseline_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    create = bsub.add_parser(
        "create",
        help="write a baseline file",
        description="Scan PATHs and write every finding's fingerprint to the baseline file.",
    )
    _add_scan_options(create, outputs=False)
    create.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("auditor-baseline.json"),
        metavar="FILE",
        help="baseline file to write (default: auditor-baseline.json)",
    )
    _add_access_command(sub)
    from auditor.simulate_cli import add_commands

    add_commands(sub)  # simulate, coverage (issue 13)
    return parser


class _Deferred(types.ModuleType):
    """A module whose code runs when an attribute it lacks is first read (see :func:`_defer_inspect`).

    Unlike :class:`importlib.util.LazyLoader`, whose module loads on any attribute read, the attributes
    the import system reads itself (``__spec__``, ``__name__``) are plain ones here: on Python 3.11 a
    second ``import inspect`` reads ``__spec__`` and would load a LazyLoader module at once.
    """

    def __getattr__(self, name: str) -> Any:
        self.__class__ = types.ModuleType  # type: ignore[assignment]  # the same object becomes the real module, for every holder
        spec = self.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(self)
        return getattr(self, name)


def _defer_inspect() -> None:
    """Make ``import inspect`` lazy for this process: its code runs when one of its names is first read.

    ``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``, ``linecache``: ~5 ms
    of a ~90 ms one-file scan, issue 14) only to compute a signature for a class without a docstring,
    which :func:`auditor.records.record` never leaves; so a scan that reads no name of it never runs
    it. Left alone when something already imported it (a test run).
    """
    if "inspect" in sys.modules:
        return
    import importlib.util

    spec = importlib.util.find_spec("inspect")
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules["inspect"] = module


def entry() -> None:
    """The ``auditor`` console script (and ``python -m auditor``): :func:`main`, then leave at once.

    Why not a plain ``sys.exit(main())``: a scan leaves hundreds of thousands of objects behind, and a
    normal interpreter exit frees them one by one (15-25 ms after a scan of the shared corpus, 5-7 % of
    the run; benchmarks/vs_checkov.py). The operating system takes the memory back in one step. Every
    report auditor writes is closed before :func:`main` returns, so only stdout and stderr need flushing;
    argparse's exits (``--help``, usage errors) and tracebacks leave the usual way.
    """
    import contextlib

    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`auditor rules | head`)
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; the exit code (the console script is :func:`entry`)."""
    _defer_inspect()
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            return _scan(args)
        if args.command == "rules":
            return _rules(sys.stdout)
        if args.command == "rule":
            return _rule(args.rule_id, sys.stdout)
        if args.command == "config":
            return _config(args)
        if args.command == "baseline":
            return _baseline(args)
        if args.command == "access":
            return _access(args)
        if args.command == "simulate":
            from auditor.simulate_cli import simulate_command

            return simulate_command(args)
        if args.command == "coverage":
            from auditor.simulate_cli import coverage_command

            return coverage_command(args)
    except BrokenPipeError:  # e.g. `auditor rules | head`
        return EXIT_OK
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in auditor: say so plainly, keep the traceback for AUDITOR_DEBUG
        from auditor.registry import RegistryError

        if isinstance(exc, RegistryError):  # an installed check pack is broken: not auditor's bug
            return _usage_error(str(exc))
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        from auditor.neutral import terminal

        print(
            f"auditor: internal error: {type(exc).__name__}: {terminal(str(exc))}\n"
            "This is a bug in auditor; rerun with AUDITOR_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    parser.print_help()
    return EXIT_ERROR


def _usage_error(message: str) -> int:
    """Print ``message`` (which may carry file names and other untrusted text) safely, and return 2.

    Each line goes through :func:`auditor.neutral.terminal`, so no line of it can start a CI workflow
    command or repaint the terminal; the config file's multi-line explanations keep their lines.
    """
    from auditor.neutral import terminal

    text = "\n".join(terminal(line) for line in message.split("\n"))
    print(f"auditor: error: {text}", file=sys.stderr)
    return EXIT_ERROR


def _load_checks() -> list[LoadedCheck]:
    from auditor.registry import load_checks

    return load_checks()


def _prepare(args: argparse.Namespace) -> ScanOptions | int:
    """Arguments + configuration → scan options, or an exit code after printing the error."""
    from auditor.scanning import UsageError, prepare

    try:
        return prepare(args, _load_checks())
    except UsageError as exc:
        return _usage_error(str(exc))


def _execute(options: ScanOptions) -> ScanResult | int:
    """Run the scan, or an exit code after printing why it could not run (e.g. no Azure credential)."""
    from auditor.scanning import UsageError, execute

    try:
        return execute(options)
    except UsageError as exc:
        return _usage_error(str(exc))


def _scan(args: argparse.Namespace) -> int:
    from auditor.scanning import parse_outputs
    from auditor.writing import refusal

    options = _prepare(args)
    if isinstance(options, int):
        return options
    outputs = parse_outputs(args.format, args.output)
    if isinstance(outputs, str):
        return _usage_error(outputs)
    for spec in outputs:  # before scanning: a refused output path is a usage error, not a wasted scan
        reason = refusal(spec.path) if spec.path is not None else None
        if reason is not None:
            return _usage_error(f"cannot write {spec.path}: {reason}")
    result = _execute(options)
    if isinstance(result, int):
        return result
    return report_and_gate(result, outputs, args, options.fail_on)


def report_and_gate(result: ScanResult, outputs: list[Any], args: argparse.Namespace, fail_on: str) -> int:
    """Write every report, name the checks that crashed, and give the gate's exit code (scan, coverage)."""
    from auditor.neutral import terminal
    from auditor.scanning import fails

    for spec in outputs:
        code = _write_report(spec, result, args, fail_on)
        if code != EXIT_OK:
            return code
    for error in result.errors:
        print(f"auditor: error: check {error.rule_id} crashed: {terminal(error.message)}", file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if fails(result, fail_on) else EXIT_OK


def _write_report(spec: object, result: ScanResult, args: argparse.Namespace, fail_on: str) -> int:
    """Render one output: to stdout, or atomically to its file (:mod:`auditor.writing`)."""
    from auditor.reports import render
    from auditor.scanning import OutputSpec
    from auditor.writing import OutputError, open_output

    assert isinstance(spec, OutputSpec)

    def draw(out: TextIO) -> None:
        color = args.color == "always" or (args.color == "auto" and out.isatty())
        render(
            spec.format,
            result,
            out,
            color=color,
            quiet=args.quiet,
            fail_on=fail_on,
            root=args.root,
            paths=[str(p) for p in args.paths],
        )

    if spec.path is None:
        try:
            draw(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # e.g. stdout redirected to a full disk
            return _usage_error(f"cannot write to stdout: {exc.strerror or exc}")
        return EXIT_OK
    try:
        with open_output(spec.path) as out:
            draw(out)
    except OutputError as exc:
        return _usage_error(str(exc))
    except OSError as exc:
        return _usage_error(f"cannot write {spec.path}: {exc.strerror or exc}")
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
    out.write(f"fires when:  {r.fires_when}\n")
    out.write(f"rationale:   {r.rationale}\n")
    out.write(f"remediation: {r.remediation}\n")
    out.write(f"help:        {r.help_url}\n\n")
    doc = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
    if doc:
        out.write(doc + "\n")
    return EXIT_OK


def _config(args: argparse.Namespace) -> int:
    import json

    from auditor.config import ConfigError, Settings, boundary, effective_dict, find_config, load

    path = args.config or find_config(args.path)
    try:
        if path is None:
            settings = Settings()
        else:  # a discovered file must lie inside the repository; --config may name any file
            settings = load(path, within=None if args.config else boundary(args.path))
    except ConfigError as exc:
        return _usage_error(str(exc))
    data = effective_dict(settings)
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    if path is None:
        print("auditor: no configuration file found; these are the defaults", file=sys.stderr)
    return EXIT_OK


def _baseline(args: argparse.Namespace) -> int:

    from auditor.jsontext import pretty
    from auditor.neutral import printable, terminal
    from auditor.scanning import COVERAGE_RULE
    from auditor.suppressions import baseline_document
    from auditor.writing import OutputError, open_output, refusal

    reason = refusal(args.output)
    if reason is not None:
        return _usage_error(f"cannot write {args.output}: {reason}")
    options = _prepare(args)
    if isinstance(options, int):
        return options
    result = _execute(options)
    if isinstance(result, int):
        return result
    # SUP003 (stale entries) is about the old baseline; LIV001 (an incomplete live scan) cannot be accepted
    everything = (*result.findings, *result.unlisted)  # a copy loop's unlisted instances are baselined too
    doc = baseline_document([f for f in everything if f.rule.id not in ("SUP003", COVERAGE_RULE)])
    try:
        with open_output(args.output) as out:
            # printable: a lone surrogate in a message is written as its JSON escape, read back unchanged
            out.write(printable(pretty(doc)) + "\n")
    except OutputError as exc:
        return _usage_error(str(exc))
    except OSError as exc:
        return _usage_error(f"cannot write {args.output}: {exc.strerror or exc}")
    print(f"auditor: wrote {len(doc['findings'])} findings to {terminal(str(args.output))}", file=sys.stderr)
    return EXIT_OK
