"""One case through the real pipeline, as ``auditor scan`` runs it, and its verdict.

The path is the CLI's: ``build_parser().parse_args`` → ``scanning.prepare``
(configuration, selection) → ``scanning.execute`` (``FileScan`` and every
check through ``engine.run``) → every renderer of ``auditor.reports.FORMATS``,
each into an in-memory buffer that is then encoded as UTF-8 the way the CLI's
files and stdout are (a lone surrogate that reaches a renderer is a crash on
a real terminal, so it is one here). What the CLI would report as "internal
error" (an exception escaping) or "check crashed" (a ``CheckError``) is a
*crash*; a case still running after ``timeout`` seconds is *slow*.

A case that finishes is then checked for the promises of issue 9 that are not
crashes (*defects*): no file that failed to read or parse goes unreported; a
bomb is reported; the scan read something; no output carries the canary file
or environment variable planted outside the case; text output and stderr have
no line that starts a CI workflow command; the JSON and SARIF outputs parse.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from auditor.budget import Budget, Limits

from .case import CANARY_NAME, CASE_DIR, Case
from .mutators import CANARY_MARK, CANARY_TEXT

REPO = Path(__file__).resolve().parents[2]
_PROJECT_DIRS = tuple(str(REPO / d) + os.sep for d in ("auditor", "checks", "reports"))
ENV_CANARY_NAME = "AUDITOR_FUZZ_ENV_CANARY"
ENV_CANARY = "FUZZ-ENV-CANARY-4242"
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\x0b|\x0c|\x1c|\x1d|\x1e|\x85|\u2028|\u2029")


class FuzzTimeout(BaseException):
    """Raised in the main thread when a case runs past its time (a BaseException: no catch-all eats it)."""


@dataclass
class Outcome:
    """What one case did."""

    kind: str  # ok | findings | usage-error | crash | slow | defect
    seconds: float
    signature: str = ""  # the class of a crash/slow/defect (deduplication key)
    detail: str = ""  # traceback or explanation
    rules: tuple[str, ...] = ()
    exit_code: int | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.kind in ("crash", "slow", "defect")


def _project_frame(tb: TracebackType | None) -> str:
    """``file:function`` of the innermost project frame (the most frequent one for a RecursionError)."""
    frames = [(f.filename, f.name, f.lineno) for f in traceback.extract_tb(tb)]
    ours = [f for f in frames if f[0].startswith(_PROJECT_DIRS)] or frames
    if not ours:
        return "?"
    return _frame_text(ours[-1])


def _frame_text(frame: tuple[str, str, int | None]) -> str:
    name, func, line = frame
    rel = os.path.relpath(name, REPO) if name.startswith(str(REPO)) else os.path.basename(name)
    return f"{rel}:{func}" + (f":{line}" if line is not None else "")


def _signature(exc: BaseException) -> tuple[str, str]:
    """(class key, where): the key has no line numbers (they move while others edit the code)."""
    tb = exc.__traceback__
    if isinstance(exc, RecursionError):
        frames = [(f.filename, f.name, f.lineno) for f in traceback.extract_tb(tb)]
        ours = [f for f in frames if f[0].startswith(_PROJECT_DIRS)] or frames
        counts = Counter((f[0], f[1]) for f in ours)
        (name, func), _ = counts.most_common(1)[0] if counts else (("?", "?"), 0)
        where = _frame_text((name, func, None))
    else:
        where = _project_frame(tb)
    key_where = (
        where.rsplit(":", 1)[0] if not isinstance(exc, RecursionError) and where.count(":") >= 2 else where
    )
    return f"{type(exc).__name__} @ {key_where}", where


def _signature_from_text(detail: str) -> str:
    """The innermost project frame of a formatted traceback (a CheckError's detail)."""
    found = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', detail)
    ours = [f for f in found if f[0].startswith(_PROJECT_DIRS)] or found
    if not ours:
        return "?"
    name, _line, func = ours[-1]
    rel = os.path.relpath(name, REPO) if name.startswith(str(REPO)) else os.path.basename(name)
    return f"{rel}:{func}"


def _short(text: str, limit: int = 300) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "…"


class Pipeline:
    """Runs cases below ``base`` (a scratch folder holding the canary file) with a per-case timeout."""

    def __init__(
        self, base: Path, timeout: float = 10.0, template_cache: bool = True, limits: Limits | None = None
    ) -> None:
        from auditor.cli import build_parser
        from auditor.registry import load_checks

        if template_cache:
            cache_templates()
            cache_sarif_rules()
        self.base = base.resolve()
        self.timeout = timeout
        #: Budgets for every file of a case instead of the defaults (small ones keep the test suite fast).
        self.limits = limits
        self.parser = build_parser()
        self.checks = load_checks()
        (self.base / CANARY_NAME).write_bytes(CANARY_TEXT)
        os.environ[ENV_CANARY_NAME] = ENV_CANARY

    # ------------------------------------------------------------------ running

    def argv(self, case: Case) -> list[str]:
        target = case.target
        path = target if target.startswith("/") else f"{CASE_DIR}/{target}" if target else CASE_DIR
        config = ["--config", f"{CASE_DIR}/{case.config}"] if case.config else ["--no-config"]
        return ["scan", path, *config]

    def run(self, case: Case) -> Outcome:
        """Scan ``case`` as the CLI would; never raises except KeyboardInterrupt."""
        from auditor.reports import FORMATS, render
        from auditor.scanning import UsageError, execute, prepare

        cwd = os.getcwd()
        out, err = io.StringIO(), io.StringIO()
        outputs: dict[str, str] = {}
        start = time.perf_counter()
        alarm = threading.current_thread() is threading.main_thread() and self.timeout > 0
        previous: Any = None
        result = None
        options = None
        try:
            os.chdir(self.base)
            case.materialise(self.base)
            if alarm:
                previous = signal.signal(signal.SIGALRM, _on_alarm)
                signal.setitimer(signal.ITIMER_REAL, self.timeout)
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                default_limits(self.limits),
            ):
                args = self.parser.parse_args(self.argv(case))
                try:
                    options = prepare(args, self.checks)
                    result = execute(options)
                except UsageError as exc:
                    return Outcome(
                        "usage-error", time.perf_counter() - start, detail=_short(str(exc)), exit_code=2
                    )
                paths = [str(p) for p in args.paths]
                for fmt in FORMATS:
                    buf = io.StringIO()
                    render(
                        fmt,
                        result,
                        buf,
                        color=False,
                        quiet=False,
                        fail_on=options.fail_on,
                        root=str(self.base),
                        paths=paths,
                    )
                    outputs[fmt] = buf.getvalue()
                    outputs[fmt].encode("utf-8")  # what writing the file or stdout does
        except KeyboardInterrupt:
            raise
        except FuzzTimeout:
            family = re.sub(r"-?[0-9]+", "", case.label)
            return Outcome(
                "slow",
                time.perf_counter() - start,
                f"slow @ {family}",
                f"still running after {self.timeout:g} s",
            )
        except BaseException as exc:  # an exception escaping the pipeline: the CLI's "internal error"
            sig, where = _signature(exc)
            detail = f"{type(exc).__name__}: {_short(str(exc))} at {where}\n" + "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)[-12:]
            )
            return Outcome("crash", time.perf_counter() - start, sig, detail)
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            os.chdir(cwd)
        seconds = time.perf_counter() - start
        return self._verdict(case, result, options, outputs, err.getvalue(), seconds)

    # ------------------------------------------------------------------ verdict

    def _verdict(
        self, case: Case, result: Any, options: Any, outputs: dict[str, str], stderr: str, seconds: float
    ) -> Outcome:
        from auditor.findings import Severity

        rules = tuple(sorted({f.rule.id for f in result.findings}))
        if result.errors:
            e = result.errors[0]
            sig = f"CheckError {e.rule_id}: {e.message.split(':', 1)[0]} @ {_signature_from_text(e.detail)}"
            return Outcome(
                "crash",
                seconds,
                sig,
                f"check {e.rule_id} crashed: {_short(e.message)}\n{e.detail[-3000:]}",
                rules,
                2,
            )
        defects: list[str] = []
        detail: list[str] = []
        findings = result.findings
        for record in result.files:
            if record.kind in ("unreadable", "invalid") and not any(
                f.rule.id.startswith("SRC") and f.location.file == record.path for f in findings
            ):
                defects.append("silent-failed-file")
                detail.append(
                    f"{record.path} is {record.kind} ({_short(record.detail or '', 120)}) without an SRC finding"
                )
        summary = result.summary
        if summary.scanned + summary.failed + summary.skipped == 0:
            defects.append("nothing-scanned")
            detail.append(
                f"0 files in the result of {' '.join(self.argv(case))} (a gate that checked nothing)"
            )
        gate = result.at_or_above(Severity.parse(options.fail_on))
        hard = [
            f for f in findings if f.suppressed_by is None and f.rule.id in ("SRC001", "SRC002", "SRC005")
        ]
        if hard and not gate and case.config is None:
            defects.append("green-gate-with-SRC")
            detail.append(f"{hard[0].rule.id} reported but the gate passes")
        if case.expect == "bomb" and not any(f.rule.id.startswith("SRC") for f in findings):
            defects.append("silent-bomb")
            detail.append(f"bomb {case.label} reported nothing (rules: {', '.join(rules) or 'none'})")
        for fmt, text in [*outputs.items(), ("stderr", stderr)]:
            for mark, what in (
                (CANARY_MARK, "canary file"),
                (ENV_CANARY, "environment"),
                ("root:x:0:0", "/etc/passwd"),
            ):
                if mark in text:
                    defects.append(f"leak:{fmt}")
                    detail.append(f"{what} content in the {fmt} output")
        for fmt, text in (("text", outputs.get("text", "")), ("stderr", stderr)):
            bad = [
                ln
                for ln in _LINE_BREAK.split(text)
                if ln.startswith("::") or ln.startswith("##[") or "##vso[" in ln
            ]
            if bad:
                defects.append(f"workflow-command:{fmt}")
                detail.append(f"{fmt} line starts a workflow command: {_short(bad[0], 120)}")
        for fmt in ("json", "sarif"):
            try:
                json.loads(outputs.get(fmt, "{}"))
            except ValueError as exc:
                defects.append(f"invalid-output:{fmt}")
                detail.append(f"{fmt} output does not parse: {exc}")
        exit_code = 1 if gate else 0
        if defects:
            unique = list(dict.fromkeys(defects))
            return Outcome(
                "defect",
                seconds,
                _defect_signature(unique, case),
                "\n".join(detail),
                rules,
                exit_code,
                unique,
            )
        return Outcome("findings" if gate else "ok", seconds, rules=rules, exit_code=exit_code)


def _defect_signature(defects: list[str], case: Case) -> str:
    """One class per kind of defect: ``leak[text,json]``, ``silent-bomb @ bomb:tf-count``, …"""
    groups: dict[str, list[str]] = {}
    for d in defects:
        name, _, sink = d.partition(":")
        groups.setdefault(name, [])
        if sink:
            groups[name].append(sink)
    parts = []
    for name, sinks in groups.items():
        text = f"{name}[{','.join(sinks)}]" if sinks else name
        if name == "silent-bomb":
            text += " @ " + re.sub(r"-?[0-9]+", "", case.label)
        parts.append(text)
    return " + ".join(parts)


def cache_templates() -> None:
    """Compile the HTML report's jinja2 template once per process instead of once per case.

    ``reports/html.py`` builds a new ``jinja2.Environment`` for every render (right
    for a CLI that renders once; 30 ms of the fuzz harness's ~35 ms per input).
    Environments built with the same options are reused, so the compiled template
    is too; what is rendered, and from what, is unchanged (the template does not
    depend on the input). ``--no-template-cache`` turns this off.
    """
    import jinja2

    original = jinja2.Environment
    if getattr(original, "_fuzz_cache", None) is not None:
        return

    def key_of(kwargs: dict[str, Any]) -> Any:
        loader = kwargs.get("loader")
        where = (
            type(loader).__name__,
            getattr(loader, "package_name", None),
            str(getattr(loader, "package_path", "")),
        )
        return (where, tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k != "loader")))

    class CachedEnvironment(original):  # type: ignore[misc, valid-type]
        _fuzz_cache: dict[Any, Any] = {}  # noqa: RUF012

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            if args:
                return super().__new__(cls)
            key = key_of(kwargs)
            env = cls._fuzz_cache.get(key)
            if env is None:
                env = cls._fuzz_cache[key] = super().__new__(cls)
            return env

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if getattr(self, "_fuzz_ready", False):
                return
            super().__init__(*args, **kwargs)
            self._fuzz_ready = True

    jinja2.Environment = CachedEnvironment  # type: ignore[misc]


def cache_sarif_rules() -> None:
    """Build and serialise each rule's SARIF descriptor once per process instead of once per case.

    The SARIF log lists every selected rule (``tool.driver.rules``) with its
    documentation; building and serialising those ~40 descriptors was 60 % of
    the SARIF render and the largest part of the harness's own time per input.
    A descriptor depends on its ``Rule`` object alone (rule metadata from
    ``checks/``, never on scanned input; a severity override makes a new Rule,
    hence a new entry), so the text written is byte for byte the same.
    ``--no-template-cache`` turns this off.
    """
    from reports import sarif

    builder: Any = sarif._Builder
    if getattr(builder.descriptor, "_fuzz_cached", False):
        return
    original_descriptor = builder.descriptor
    original_to_data = sarif.to_data
    made: dict[
        int, tuple[Any, Any]
    ] = {}  # id(rule) → (rule, descriptor): the rule is held, its id stays its own
    data_of: dict[int, tuple[Any, Any]] = {}  # id(descriptor) → (descriptor, its JSON data)

    def descriptor(self: Any, rule: Any) -> Any:
        hit = made.get(id(rule))
        if hit is not None and hit[0] is rule:
            return hit[1]
        if len(made) > 2000:  # configuration cases make new Rule objects: keep the memo small
            made.clear()
            data_of.clear()
        value = original_descriptor(self, rule)
        made[id(rule)] = (rule, value)
        return value

    def to_data(obj: Any) -> Any:
        if type(obj).__name__ != "ReportingDescriptor":
            return original_to_data(obj)
        hit = data_of.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]  # shared, not copied: the log is only serialised, never changed
        value = original_to_data(obj)
        data_of[id(obj)] = (obj, value)
        return value

    descriptor._fuzz_cached = True  # type: ignore[attr-defined]
    builder.descriptor = descriptor
    sarif.to_data = to_data


@contextlib.contextmanager
def default_limits(limits: Limits | None) -> Iterator[None]:
    """Make ``limits`` what every ``Budget()`` built meanwhile starts from (``None``: leave the defaults).

    The sources build one ``Budget()`` per file (ARM loader, Terraform module,
    ``budget.current()`` outside a file); changing the constructor's default is
    the one place that reaches all of them without a parameter threaded through
    the CLI path, so the pipeline stays the CLI's.
    """
    if limits is None:
        yield
        return
    init: Any = Budget.__init__
    saved = init.__defaults__
    init.__defaults__ = (limits, *saved[1:])
    try:
        yield
    finally:
        init.__defaults__ = saved


def _on_alarm(signum: int, frame: Any) -> None:
    raise FuzzTimeout()


def printable(text: str) -> str:
    """``text`` safe for this process's stdout (the runner prints tracebacks that may hold surrogates)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding, "replace")
