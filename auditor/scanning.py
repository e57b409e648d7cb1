"""From command-line arguments and configuration to a ScanResult.

The CLI parses; this module decides. CLI flags override the configuration
file: ``--select`` starts the selection afresh (the file's select, extend-select
and ignore no longer apply, as in ruff), ``--extend-select`` and ``--ignore``
add to it, ``--fail-on`` and ``--baseline`` replace it. Relative
paths in a configuration file are relative to that file.

Role prerequisites (RB rules): ``--access`` (or ``access``) names an access
snapshot, loaded and indexed once here, so a malformed one is a usage error
before any file is read; ``--deployer``/``--editor``/``--responder`` replace the
configured ``[principals]`` of the same kind. ``--subscription`` and
``--resource-group`` (or the keys of the same name) are the deployment target:
they replace the ``{subscriptionId}``/``{resourceGroup}`` placeholders of scanned
templates, so template scopes can be checked against a real snapshot.

Trust (issue 9): configuration is found only up to the repository root (see
:mod:`auditor.config`), and the files it names (``parameters``, ``baseline``,
``access``) must lie inside the configuration file's repository once links are
resolved: a path outside it is a usage error naming the key, and the command
line (``--parameters``, ``--baseline``, ``--access``) is the way to use one.
An incomplete live scan (LIV001) is not silenced by anything but
``--allow-partial`` on the command line: not by ``ignore``/``select``,
``per-file-ignores``, ``severity-overrides``, suppressions, a baseline nor a
``fail-on`` above high (LIV001 is then raised to the gate's severity). A scan
whose files were all excluded by configuration checked nothing: exit 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from auditor.checking import RunSettings
from auditor.config import ConfigError, Settings, boundary, find_config, load
from auditor.engine import Policy, ScanResult, run
from auditor.files import display_path, is_within
from auditor.findings import Finding, Location, Severity
from auditor.model import Inventory, ObservedEvent
from auditor.records import record
from auditor.registry import LoadedCheck
from auditor.selection import is_selected, validate
from auditor.sources.core.parameters import read_parameters
from auditor.suppressions import BaselineEntry, BaselineError, ConfiguredSuppression, load_baseline

_FORMAT_PREFIX = re.compile(r"^([a-z]+):(.+)$")
_FORMAT_ONLY = re.compile(r"^([a-z]+):$")
COVERAGE_RULE = "LIV001"  # an incomplete live scan: only --allow-partial accepts it
#: A file that could not be read or parsed was not checked: configuration cannot hide that (exclude the
#: file to stop scanning it). The problem codes these two rules report.
READ_FAILURE_RULES = ("SRC001", "SRC002")
_READ_FAILURE_CODES = frozenset({"unreadable", "invalid-json", "invalid-hcl", "invalid-bicep"})
_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class UsageError(Exception):
    """A problem with the user's arguments or configuration (exit code 2)."""


@record(frozen=False)
class ScanOptions:
    """Everything a scan needs, resolved."""

    paths: list[Path]
    checks: list[LoadedCheck]
    parameters: dict[str | None, Path] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)
    fail_on: str = "low"
    exclude: list[str] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    access: Any = None  # the loaded auditor.rbac.AccessSnapshot
    principals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    roles_requested: bool = False  # snapshot, principal or RB rules selected explicitly
    live: Any = None  # auditor.sources.live.LiveOptions with --live
    subscription: str | None = None
    resource_group: str | None = None
    coverage_min_severity: str = "high"  # auditor coverage (COV001): --min-severity / coverage-min-severity
    jobs: int = 1  # processes reading files (--jobs; see auditor.sources.dispatch._fragments)


@record()
class OutputSpec:
    """One report to write: a format and a file (None = stdout)."""

    format: str
    path: Path | None


def parse_outputs(default_format: str | None, values: Sequence[str]) -> list[OutputSpec] | str:
    """``--format`` and ``--output`` values → outputs; a string is an error message.

    ``-o FORMAT:`` without a file, an empty ``-o ''``, and two outputs to one place (one file, or stdout
    twice) are errors: the second would overwrite or interleave with the first.
    """
    from auditor.reports import FORMATS

    main_format = default_format or "text"
    specs: list[OutputSpec] = []
    main_path: Path | None = None
    for value in values:
        match = _FORMAT_PREFIX.match(value)
        bare = _FORMAT_ONLY.match(value)
        if not value.strip():
            return "--output needs a file name (or FORMAT:- for stdout)"
        if bare and bare.group(1) in FORMATS:
            return f"--output {value} names no file: use {value}FILE, or {value}- for stdout"
        if match and match.group(1) in FORMATS:
            fmt, target = match.group(1), match.group(2)
            specs.append(OutputSpec(fmt, None if target == "-" else Path(target)))
        elif match and len(match.group(1)) > 1 and not Path(value).parent.exists():
            return f"unknown output format {match.group(1)!r} in --output {value} (choose from {', '.join(sorted(FORMATS))})"
        else:
            if main_path is not None:
                return "--output FILE given twice; use FORMAT:FILE for additional outputs"
            main_path = Path(value)
    stdout_taken = any(s.path is None for s in specs)
    if main_path is not None or not stdout_taken or default_format is not None:
        specs.insert(0, OutputSpec(main_format, main_path))
    return _one_output_per_target(specs)


def _one_output_per_target(specs: list[OutputSpec]) -> list[OutputSpec] | str:
    """The specs, or an error naming two that write to the same place (links resolved)."""
    seen: dict[str, OutputSpec] = {}
    for spec in specs:
        key = "-" if spec.path is None else os.path.normcase(os.path.realpath(spec.path))
        if key in seen:
            where = "stdout" if spec.path is None else f"the same file {spec.path}"
            return f"two outputs to {where} ({seen[key].format} and {spec.format}); give each its own file"
        seen[key] = spec
    return specs


def _split(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _relative_to_cwd(base: Path, pattern: str) -> str:
    """A glob written relative to the config file's folder, made relative to the current directory."""
    if os.path.isabs(pattern):
        return Path(pattern).as_posix()
    rel = display_path(base.resolve())  # as scanned files are shown: relative below the cwd, else absolute
    return pattern if rel == "." else f"{rel}/{pattern}"


def _settings(args: argparse.Namespace) -> Settings:
    """The configuration: ``--config`` as given, or the file found from the first PATH up to the
    repository root (which it must not leave, links resolved)."""
    if getattr(args, "no_config", False):
        return Settings()
    explicit = getattr(args, "config", None)
    start = args.paths[0] if args.paths else Path.cwd()
    try:
        if explicit is not None:
            return load(explicit)
        path = find_config(start)
        return Settings() if path is None else load(path, within=boundary(start))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _configured_file(settings: Settings, key: str, value: str) -> tuple[Path, Path]:
    """A file named by the configuration (relative to it) and the repository it must stay in."""
    assert settings.source is not None
    repository = boundary(Path(settings.source))
    path = settings.base_dir() / value
    if not is_within(Path(os.path.realpath(path)), (repository,)):
        raise UsageError(
            f"{settings.source}: '{key}' = {value!r} is outside the configuration's repository "
            f"({repository}); name it on the command line instead"
        )
    return path, repository


def _exists(path: Path) -> bool:
    """Whether ``path`` names something (a name too long or a link loop does: it is reported as SRC001)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True
    return True


def prepare(args: argparse.Namespace, checks: list[LoadedCheck]) -> ScanOptions:
    """Merge configuration and flags; validate everything before any file is read."""
    missing = [str(p) for p in args.paths if not _exists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    if not args.paths and not getattr(args, "live", False):
        raise UsageError(
            "nothing to scan: give at least one PATH, or --live to read what is deployed in Azure"
        )
    settings = _settings(args)
    base = settings.base_dir()
    source = display_path(Path(settings.source)) if settings.source else None
    ids = [c.rule.id for c in checks]

    cli_select = _split(args.select)
    if cli_select == []:
        raise UsageError("--select names no rule (an empty selection would check nothing)")
    select: list[str] | None
    if cli_select is not None:  # like ruff: a --select on the command line starts the selection afresh
        select, extend, ignore = cli_select, [], []
    else:
        select, extend, ignore = settings.select, list(settings.extend_select), list(settings.ignore)
    extend += _split(getattr(args, "extend_select", None)) or []
    ignore += _split(args.ignore) or []
    per_file = {_relative_to_cwd(base, k): tuple(v) for k, v in settings.per_file_ignores.items()}
    bad = validate([*(select or []), *extend, *ignore, *[s for v in per_file.values() for s in v]], ids)
    bad += [k for k in settings.severity_overrides if k not in ids]
    if bad:
        raise UsageError(f"unknown rule selector(s): {', '.join(bad)} (see 'auditor rules')")
    role_rules = [i for i in ids if i.startswith("RB")]
    rb_named = any(
        sel.strip().upper() not in ("", "ALL") and any(i.startswith(sel.strip().upper()) for i in role_rules)
        for sel in [*(select or []), *extend]
    )
    if select is not None:
        select = [*select, *extend]
    elif extend:
        select = ["ALL"]
    selected = [c for c in checks if is_selected(c.rule.id, select, ignore)]
    if not selected:
        origin = "--select/--ignore" if cli_select is not None or args.ignore else f"{settings.source}"
        raise UsageError(f"the rule selection ({origin}) runs no rule: a scan would check nothing")

    parameters = _parameters(args.parameters)
    for template, params in settings.parameters.items():
        template_path, _ = _configured_file(settings, f"parameters.{template}", template)
        params_path, repository = _configured_file(settings, f"parameters.{template}", params)
        if not _is_file(template_path) or not _is_file(params_path):
            raise UsageError(f"{settings.source}: parameters entry '{template}' = '{params}': file not found")
        _check_parameters_file(params_path, (repository,))
        parameters.setdefault(str(template_path.resolve()), params_path)

    baseline: list[BaselineEntry] = []
    try:
        if getattr(args, "baseline", None) is not None:
            baseline = load_baseline(Path(args.baseline))
        elif settings.baseline:
            baseline = load_baseline(*_configured_file(settings, "baseline", settings.baseline))
    except BaselineError as exc:
        raise UsageError(str(exc)) from None

    configured = tuple(
        ConfiguredSuppression(
            rule=s.rule.upper(),
            path=_relative_to_cwd(base, s.path),
            resource=s.resource,
            reason=s.reason,
            expires=s.expires,
            location=Location(
                file=source,
                line=_suppression_line(settings.source, i),
                column=1,
                json_path=f"suppressions[{i}]",
            ),
        )
        for i, s in enumerate(settings.suppressions)
    )
    bad = validate([s.rule for s in configured], ids)
    if bad:
        raise UsageError(f"{settings.source}: suppression for unknown rule(s) {', '.join(bad)}")
    policy = Policy(
        severity_overrides={k: Severity.parse(v) for k, v in settings.severity_overrides.items()},
        per_file_ignores=per_file,
        configured=configured,
        baseline=tuple(baseline),
    )
    fail_on = getattr(args, "fail_on", None) or settings.fail_on
    principals = _principals(args, settings)
    cli_subscriptions = [str(v) for v in getattr(args, "subscription", None) or []]
    live = _live(args, cli_subscriptions)
    if len(cli_subscriptions) > 1 and live is None:
        raise UsageError("--subscription given more than once: templates deploy to one (several need --live)")
    if live is not None and not any(c.rule.id == COVERAGE_RULE for c in selected):
        selected += [c for c in checks if c.rule.id == COVERAGE_RULE]  # a live scan always reports its gaps
    chosen = {c.rule.id for c in selected}
    selected += [c for c in checks if c.rule.id in READ_FAILURE_RULES and c.rule.id not in chosen]
    subscription = (cli_subscriptions[0] if len(cli_subscriptions) == 1 else None) or settings.subscription
    if subscription is not None and not _OBJECT_ID.match(subscription.strip()):
        raise UsageError(f"subscription must be a subscription id (a GUID), got {subscription!r}")
    resource_group = getattr(args, "resource_group", None) or settings.resource_group
    coverage_min_severity = getattr(args, "min_severity", None) or settings.coverage_min_severity
    if resource_group is not None and (not resource_group.strip() or "/" in resource_group):
        raise UsageError(f"resource group must be a resource group name, got {resource_group!r}")
    if getattr(args, "access", None) is not None:
        access = _access(args.access)
    elif settings.access:
        access = _access(*_configured_file(settings, "access", settings.access))
    else:
        access = None
    return ScanOptions(
        jobs=_jobs(args),
        paths=list(args.paths),
        checks=selected,
        parameters=parameters,
        policy=policy,
        fail_on=fail_on,
        exclude=[_relative_to_cwd(base, e) for e in settings.exclude],
        settings=settings,
        access=access,
        principals=principals,
        roles_requested=rb_named or access is not None or bool(principals),
        subscription=subscription.strip() if subscription else None,
        resource_group=resource_group.strip() if resource_group else None,
        live=live,
        coverage_min_severity=coverage_min_severity,
    )


def _jobs(args: argparse.Namespace) -> int:
    """``--jobs N`` (N >= 1); by default the CPUs this process may run on.

    Workers only start when the work plan estimates that they pay (see
    :func:`auditor.sources.work_plan.plan`), so the default costs a small scan nothing. The default
    does not look at the load average: it lags a minute behind, so back-to-back scans (a pre-commit
    hook over several commits, a benchmark) would see their own earlier runs as "busy" and turn their
    workers off; on a machine that is really busy the extra process costs a little and the report does
    not depend on it."""
    jobs = getattr(args, "jobs", None)
    if jobs is not None:
        if jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        return int(jobs)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _live(args: argparse.Namespace, subscriptions: list[str]) -> Any:
    """``--live`` and its options → auditor.sources.live.LiveOptions (None without --live)."""
    if not getattr(args, "live", False):
        if getattr(args, "management_group", None):
            raise UsageError("--management-group selects what a live scan reads: add --live")
        return None
    from auditor.sources.live.options import options_from_args

    try:
        return options_from_args(args, subscriptions)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _read_live(options: Any) -> Any:
    """Run the live scan (progress on stderr); a scan that cannot start is a UsageError (exit 2)."""
    from auditor.sources.live import LiveError, scan_live
    from auditor.sources.live.progress import make_progress

    try:
        return scan_live(options, make_progress(options.progress, options.verbose))
    except LiveError as exc:
        raise UsageError(str(exc)) from None


def _access(path: Path, within: Path | None = None) -> Any:
    """Load and index the access snapshot once."""
    from auditor.rbac import SnapshotError, load_snapshot

    try:
        return load_snapshot(path, within=within)
    except SnapshotError as exc:
        raise UsageError(f"access snapshot {path}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read access snapshot {path}: {exc.strerror or exc}") from None


def _principals(args: argparse.Namespace, settings: Settings) -> dict[str, tuple[str, ...]]:
    """Object ids by role: a flag replaces the configured ids of its kind."""
    configured = settings.principals
    deployer = getattr(args, "deployer", None) or configured.deployer
    chosen = {
        "deployer": [deployer] if deployer else [],
        "editors": getattr(args, "editor", None) or configured.editors,
        "responders": getattr(args, "responder", None) or configured.responders,
    }
    out: dict[str, tuple[str, ...]] = {}
    for role, ids in chosen.items():
        for value in ids:
            if not _OBJECT_ID.match(value.strip()):
                raise UsageError(f"{role}: expected an Entra object id (a GUID), got {value!r}")
        if ids:
            out[role] = tuple(dict.fromkeys(v.strip().lower() for v in ids))
    return out


def _suppression_line(source: str | None, index: int) -> int:
    """Line of the index-th ``[[…suppressions]]`` table header in the config file."""
    if source is None:
        return 0
    try:
        text = Path(source).read_text(encoding="utf-8-sig")  # already read and validated by load()
    except (OSError, ValueError):
        return 0
    headers = [
        m.start() for m in re.finditer(r"^[ \t]*\[\[\s*(tool\.auditor\.)?suppressions\s*\]\]", text, re.M)
    ]
    return text.count("\n", 0, headers[index]) + 1 if index < len(headers) else 0


def _parameters(values: Sequence[str]) -> dict[str | None, Path]:
    """``[TEMPLATE=]FILE`` options → mapping; each file must be a usable parameters file."""
    out: dict[str | None, Path] = {}
    for value in values:
        template, sep, file = value.rpartition("=")
        path = Path(file if sep else value)
        if not file or not _is_file(path):
            raise UsageError(f"parameters file not found: {path}")
        if path.suffix.lower() == ".bicepparam":
            if not sep:  # a .bicepparam names its template: it applies to that one only
                from auditor.sources.bicep.source import using_target

                target = using_target(path)
                if target is None:
                    raise UsageError(
                        f"{path}: no \"using '<template>.bicep'\" line names the template it is for"
                    )
                out[str(target.resolve())] = path
                continue
        else:
            _check_parameters_file(path, None)
        if sep:
            if not _is_file(Path(template)):
                raise UsageError(f"template for --parameters not found: {template}")
            out[str(Path(template).resolve())] = path
        else:
            out[None] = path
    return out


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # e.g. a name too long
        return False


def _check_parameters_file(path: Path, roots: tuple[Path, ...] | None) -> None:
    """A parameters file given explicitly that cannot be used is a usage error naming it (and the line)."""
    _, problem = read_parameters(path, roots)
    if problem is None:
        return
    where = f"{path}:{problem.line}:{problem.column}" if problem.line else str(path)
    message = f"invalid JSON: {problem.message}" if problem.code == "invalid-json" else problem.message
    raise UsageError(f"{where}: {message}")


def file_source(options: ScanOptions) -> Any:
    """The file reader a scan of ``options`` uses (auditor.sources.dispatch.FileScan): parameters, excluded
    paths and the deployment target filling ``{subscriptionId}``/``{resourceGroup}``. Shared with
    ``auditor simulate`` and ``auditor coverage``, so they read PATH exactly as a scan does."""
    from auditor.sources.dispatch import FileScan

    return FileScan(
        options.parameters,
        exclude=options.exclude,
        subscription=options.subscription,
        resource_group=options.resource_group,
        # a live scan's HTTP threads may still exist: no fork next to them
        jobs=options.jobs if options.live is None else 1,
    )


def execute(
    options: ScanOptions,
    today: dt.date | None = None,
    observed: Sequence[ObservedEvent] = (),
    live_result: Any = None,
) -> ScanResult:
    """Read the files, build the inventory, run the checks.

    ``observed``: the events ``auditor coverage`` read from its ``--events`` files (or live); they join the
    inventory (COV001 reads them) and the result carries their coverage report. A scan passes none.
    ``live_result``: the live scan already run for ``options.live`` (``coverage --live`` reads the events in
    the same run, :mod:`auditor.sources.live.events`); None runs it here."""
    source = file_source(options)
    live = None
    if options.live is not None:  # live resources join the files' inventory before policies are evaluated
        live = live_result if live_result is not None else _read_live(options.live)
        source.include(live.inventory)
    inventory = _scanned(source, options.paths)
    if options.paths and source.excluded and all(f.kind == "not-ours" for f in inventory.files):
        where = f" in {options.settings.source}" if options.settings.source else ""
        raise UsageError(
            f"nothing was scanned: the exclude patterns{where} exclude all {source.excluded} files under "
            f"{', '.join(display_path(p) for p in options.paths)}"
        )
    access = options.access
    if observed:
        inventory = replace(inventory, observed_events=list(observed))
    if live is not None:
        inventory = replace(inventory, coverage=live.coverage)
        if access is None:
            access = live.access_snapshot()
    settings = RunSettings(
        access=access,
        principals=options.principals if options.roles_requested else {},
        roles_requested=options.roles_requested,
        coverage_min_severity=options.coverage_min_severity,
    )
    result = run(inventory, options.checks, policy=options.policy, settings=settings)
    if observed:
        result = _with_event_coverage(result, inventory, options)
    if options.live is not None:
        result = _coverage_unsilenced(result, inventory, options)
    return _read_failures_unsilenced(result, inventory, options)


def _scanned(source: Any, paths: list[Path]) -> Inventory:
    """``source.scan(paths)``; a worker process of ``--jobs`` that died is an error (exit 2), never a
    partial inventory that would pass the gate."""
    from auditor.sources.dispatch import WorkerError

    try:
        return source.scan(paths)
    except WorkerError as exc:
        raise UsageError(str(exc)) from None


def _with_event_coverage(result: ScanResult, inventory: Inventory, options: ScanOptions) -> ScanResult:
    """The result with the coverage report of the observed events, for the renderers (auditor coverage)."""
    from auditor.coverage import coverage
    from auditor.link import Links

    report = coverage(
        inventory.automations, Links(inventory), inventory.observed_events, options.coverage_min_severity
    )
    return replace(result, event_coverage=report)


def _read_failures_unsilenced(result: ScanResult, inventory: Inventory, options: ScanOptions) -> ScanResult:
    """The result with every SRC001/SRC002 finding active, at least high and at the ``--fail-on``
    severity, whatever ``per-file-ignores``, ``severity-overrides`` or a baseline did to it.

    A file that could not be read or parsed was not checked at all; a pull request that breaks a
    template's JSON and ignores SRC002 in the same change must not pass the gate. The way to stop
    scanning a file is to exclude it (then it is not counted as failed either).
    """
    failures = [c for c in options.checks if c.rule.id in READ_FAILURE_RULES]
    problems = [p for p in inventory.problems if p.code in _READ_FAILURE_CODES]
    if not failures or not problems:
        return result
    gate = Severity.parse(options.fail_on)
    overrides = {c.rule.id: max(c.rule.severity, gate) for c in failures}
    own = run(Inventory(problems=problems), failures, policy=Policy(severity_overrides=overrides)).findings
    active = {
        (f.fingerprint, f.effective_severity)
        for f in result.findings
        if f.rule.id in READ_FAILURE_RULES and f.suppressed_by is None
    }
    if not {(f.fingerprint, f.effective_severity) for f in own} - active:
        return result  # nothing hidden: the result as the policy made it
    print(
        "auditor: SRC001/SRC002 (a file that could not be read or parsed) is reported although the "
        "configuration, the baseline or a fail-on above high would hide it: exclude the file to stop "
        "scanning it",
        file=sys.stderr,
    )
    findings = [f for f in result.findings if f.rule.id not in READ_FAILURE_RULES] + list(own)
    findings.sort(key=lambda f: (f.location.file or "", f.location.line, f.location.column, f.rule.id))
    known = {r.id for r in result.rules}
    rules = (*result.rules, *(c.rule for c in failures if c.rule.id not in known))
    return replace(result, findings=tuple(findings), rules=rules)


def fails(result: ScanResult, fail_on: str) -> bool:
    """Whether the run fails the gate (exit 1): a finding at or above ``fail_on`` that is not suppressed.

    LIV001 is already at or above the gate unless ``--allow-partial`` was given (see execute)."""
    return bool(result.at_or_above(Severity.parse(fail_on)))


def _coverage_unsilenced(result: ScanResult, inventory: Inventory, options: ScanOptions) -> ScanResult:
    """The result with LIV001 as the coverage record says, whatever configuration, selection, inline
    metadata or a baseline did to it: at info with ``--allow-partial``, otherwise at least high and at
    least the ``--fail-on`` severity, so an incomplete live scan fails the gate."""
    coverage = [c for c in options.checks if c.rule.id == COVERAGE_RULE]
    if not coverage:  # a custom check list without the rule (tests)
        return result
    severity = (
        Severity.INFO
        if options.live.allow_partial
        else max(coverage[0].rule.severity, Severity.parse(options.fail_on))
    )
    own = run(
        Inventory(coverage=list(inventory.coverage)),  # no inline suppressions, no other elements
        coverage,
        policy=Policy(severity_overrides={COVERAGE_RULE: severity}),
    ).findings
    silenced = {f.fingerprint for f in own} - {
        f.fingerprint for f in result.findings if f.rule.id == COVERAGE_RULE and f.suppressed_by is None
    }
    if silenced:
        print(
            f"auditor: {COVERAGE_RULE} (live scan incomplete) is reported although the configuration, the "
            "selection, a suppression or the baseline would hide it: only --allow-partial accepts an "
            "incomplete scan",
            file=sys.stderr,
        )
    findings: list[Finding] = [f for f in result.findings if f.rule.id != COVERAGE_RULE] + list(own)
    findings.sort(key=lambda f: (f.location.file or "", f.location.line, f.location.column, f.rule.id))
    rules = (
        result.rules
        if any(r.id == COVERAGE_RULE for r in result.rules)
        else (*result.rules, coverage[0].rule)
    )
    return replace(result, findings=tuple(findings), rules=rules)
