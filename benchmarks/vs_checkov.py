#!/usr/bin/env python3
"""Benchmark auditor against Checkov on the shared corpus (issue 14, item 3).

Run from the repository root, with or without the project's venv active::

    python benchmarks/vs_checkov.py [--runs 3] [--auditor-runs 11] [--corpus DIR] [--copies 10] [--json FILE]

Inputs, side by side in one run: one small file cold (``examples/clean/azuredeploy.json``), the 12 largest
Microsoft-Defender-for-Cloud templates (by size, copied into one folder), the whole corpus, and the corpus
10 times over (auditor only). For each: median wall time and peak RSS of both tools, and the ratio to a
bare ``python -c pass`` and to a process that only ``json``-parses the same files, so the figures say how
close auditor is to the cost of starting Python and reading the JSON at all.

Checkov (pinned: 3.3.30, the version the targets were set against) is installed once into
``benchmarks/.venv-checkov/`` (reused afterwards) unless ``--checkov PATH`` names an existing executable.
Each tool runs as a cold process per measurement; wall time is measured around ``Popen`` .. ``os.wait4``
and peak RSS is GNU time's ``%M`` for the command (its largest process), or, without GNU time, the
``ru_maxrss`` that ``wait4`` returns, which Linux never lets fall below this script's own RSS (see
``GNU_TIME``).

The script reports; it is not a test: it exits 0 whether targets are met or
not, and 2 when a tool fails (crash, bad output, timeout) or cannot be set up.
Linux/Unix only (``os.wait4``, process groups).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
MDC = Path("Microsoft-Defender-for-Cloud")
CHECKOV_VENV = REPO / "benchmarks" / ".venv-checkov"
SMALL_FILE = REPO / "examples" / "clean" / "azuredeploy.json"
LARGEST = 12  # the largest MDC templates, by size in bytes
COPIES = 10  # the corpus this many times over (auditor only)
CHECKOV_VERSION = "3.3.30"  # the version the issue 14 targets were set against

# Targets (issue 14; auditor's median against Checkov's in the same run, and auditor alone).
TARGET_SPEEDUP = {"largest MDC templates": 60.0, "whole corpus": 150.0}  # checkov median / auditor median
TARGET_SMALL_X_PYTHON = 4.0  # one small file, cold: at most this many bare `python -c pass`
TARGET_SCAN_S = 1.0  # whole corpus
TARGET_RSS_MB = 150.0  # whole corpus
TARGET_COPIES_X_ONE = 10.0  # 10x corpus: time at most this many times one corpus
TARGET_COPIES_RSS_MB = 120.0
TARGET_VERSION_S = 0.3

# The baseline a scan is compared with besides `python -c pass`: a process that only reads and parses the
# same JSON (every .json file under the input, UTF-8 with or without BOM; a file json rejects is skipped).
JSON_LOAD = """\
import json, os, sys
root = sys.argv[1]
paths = [root] if os.path.isfile(root) else sorted(
    os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.lower().endswith(".json")
)
parsed = 0
for path in paths:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        json.loads(data.decode("utf-8-sig"))
        parsed += 1
    except ValueError:
        pass
print(parsed)
"""

# Keep Checkov offline and quiet: no platform mapping download, no PyPI update check, no SCA.
CHECKOV_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "ANSI_COLORS_DISABLED": "True",
}
# auditor runs with bytecode caching allowed (see _measure_rounds).
AUDITOR_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Never let a key in the caller's environment turn the benchmark into a platform upload.
CHECKOV_ENV_DROP = ("BC_API_KEY", "PRISMA_API_URL")


class SetupError(Exception):
    """A tool could not be found, installed or started; the message says what to do."""


def _rel(path: Path) -> str:
    """``path`` relative to the repository root when inside it, for messages."""
    return os.path.relpath(path, REPO) if path.is_relative_to(REPO) else str(path)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    """One cold run of one command."""

    seconds: float
    max_rss_kib: int
    exit_code: int
    timed_out: bool
    stdout: Path
    stderr: Path


# Where peak RSS comes from. Linux carries a process's RSS high-water mark across fork and exec, so the
# ru_maxrss os.wait4 returns for a child is at least this benchmark's own RSS when it forked (~20-30 MB,
# more than a bare Python's ~13 MB): for a small process it is the parent's figure, not the child's.
# GNU time forks the command from its own ~1.5 MB image and reports the command's peak (%M, KiB); it
# adds ~1 ms to every run, to every command alike (the bare start included). Without it (or with
# --rss-from wait4) the wait4 figure is used and the table marks what it cannot tell apart.
GNU_TIME = Path("/usr/bin/time")


def gnu_time() -> Path | None:
    """``/usr/bin/time`` when it is GNU time (``-f``/``-o``), else None."""
    if not os.access(GNU_TIME, os.X_OK):
        return None
    try:
        done = subprocess.run(
            [str(GNU_TIME), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return GNU_TIME if "GNU" in (done.stdout + done.stderr) else None


_RSS_TOOL: list[Path | None] = [None]  # set by main(): GNU time, or None for os.wait4's figure


def _peak_kib(rss_file: Path) -> int | None:
    """The last line of GNU time's ``-o`` file (it writes 'Command exited with non-zero status N' first
    when the command fails)."""
    try:
        lines = rss_file.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return None
    return int(lines[-1]) if lines and lines[-1].isdigit() else None


def run_measured(
    cmd: Sequence[str],
    *,
    timeout: float,
    stdout: Path,
    stderr: Path,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
) -> Sample:
    """Run ``cmd`` as a new process group; time it; get its peak RSS from GNU time (see ``GNU_TIME``)
    or from the rusage of ``os.wait4``.

    On timeout (or Ctrl-C) the whole process group is killed, so Checkov's worker
    processes do not outlive the measurement.
    """
    rss_tool = _RSS_TOOL[0]
    rss_file = stdout.with_suffix(".rss")
    argv = [str(rss_tool), "-f", "%M", "-o", str(rss_file), *cmd] if rss_tool else list(cmd)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill_group() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill_group)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: do not leave the child running
            kill_group()
            with contextlib.suppress(ChildProcessError):
                os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
            raise
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Grandchildren left behind in the group (daemonised workers) go too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    peak = _peak_kib(rss_file) if rss_tool else None
    return Sample(
        elapsed,
        int(usage.ru_maxrss) if peak is None else peak,
        proc.returncode,
        timed_out.is_set(),
        stdout,
        stderr,
    )


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass
class Measurement:
    """Repeated cold runs of one tool on one input."""

    label: str
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    findings: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.seconds)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.ok else None

    @property
    def minimum(self) -> float | None:
        return min(self.seconds) if self.ok else None

    @property
    def peak_rss_mb(self) -> float | None:
        # ru_maxrss is in KiB on Linux; report MB (10^6 bytes), the stricter unit for the target.
        return max(self.rss_kib) * 1024 / 1e6 if self.ok else None

    def as_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "runs": len(self.seconds),
            "seconds": [round(s, 4) for s in self.seconds],
            "median_s": _round(self.median, 4),
            "min_s": _round(self.minimum, 4),
            "peak_rss_mb": _round(self.peak_rss_mb, 1),
            "rss_kib_per_run": self.rss_kib,
            "exit_codes": self.exit_codes,
            "findings": self.findings,
            "error": self.error,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# A checker looks at a finished run and returns (findings, error message).
Checker = Callable[[Sample, "Path | None"], "tuple[int | None, str | None]"]


def measure(
    label: str,
    cmd: list[str],
    *,
    runs: int,
    timeout: float,
    workdir: Path,
    check: Checker,
    output_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> Measurement:
    """Run ``cmd`` ``runs`` times; stop at the first failed run (its error is kept)."""
    result = Measurement(label, cmd)
    slug = "".join(c if c.isalnum() else "_" for c in label)
    for i in range(1, runs + 1):
        if output_file is not None:
            output_file.unlink(missing_ok=True)
        sample = run_measured(
            cmd,
            timeout=timeout,
            env=env,
            stdout=workdir / f"{slug}.{i}.out",
            stderr=workdir / f"{slug}.{i}.err",
        )
        result.exit_codes.append(sample.exit_code)
        findings: int | None = None
        if sample.timed_out:
            result.error = f"timed out after {timeout:g} s (process group killed)"
        else:
            findings, result.error = check(sample, output_file)
        if result.error is not None:
            details = tail(sample.stderr)
            if details:
                result.error += "\n    stderr (last lines):\n" + _indent(details, "      ")
            log(f"  {label}: run {i}/{runs} FAILED: {result.error}")
            return result
        result.findings = findings
        result.seconds.append(sample.seconds)
        result.rss_kib.append(sample.max_rss_kib)
        found = "" if findings is None else f", {findings} findings"
        log(
            f"  {label}: run {i}/{runs} {sample.seconds:.3f} s, "
            f"{sample.max_rss_kib * 1024 / 1e6:.1f} MB, exit {sample.exit_code}{found}"
        )
    return result


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


# --------------------------------------------------------------------------- output parsing


def check_auditor_scan(sample: Sample, output_file: Path | None) -> tuple[int | None, str | None]:
    """Exit 0/1 with a JSON report holding a ``findings`` list is a success; anything else is not."""
    if sample.exit_code not in (0, 1):
        return None, f"auditor scan exited {sample.exit_code}"
    assert output_file is not None
    try:
        report = json.loads(output_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"auditor scan exited {sample.exit_code} but wrote no report to {output_file}"
    except (OSError, ValueError) as exc:
        return None, f"auditor scan exited {sample.exit_code} but its JSON report is unreadable: {exc}"
    findings = report.get("findings") if isinstance(report, dict) else None
    if not isinstance(findings, list):
        return None, "auditor's JSON report has no 'findings' list"
    return len(findings), None


def check_exit_zero(sample: Sample, _output: Path | None) -> tuple[int | None, str | None]:
    if sample.exit_code != 0:
        return None, f"exited {sample.exit_code}"
    return None, None


def count_checkov_failed(document: Any) -> int:
    """Failed checks summed over Checkov's report(s): a dict per framework, or a list of them."""
    reports = document if isinstance(document, list) else [document]
    total = 0
    for report in reports:
        if not isinstance(report, dict):
            raise ValueError(f"unexpected report item {type(report).__name__}")
        results = report.get("results")
        if isinstance(results, dict):
            total += len(results.get("failed_checks") or [])
        elif isinstance(report.get("failed"), int):  # summary-only output when nothing was scanned
            total += report["failed"]
        else:
            raise ValueError("report has neither 'results' nor a summary")
    return total


def check_checkov(sample: Sample, _output: Path | None) -> tuple[int | None, str | None]:
    """Checkov: 0 = passed, 1 = failed checks; its JSON report is on stdout."""
    if sample.exit_code not in (0, 1):
        return None, f"checkov exited {sample.exit_code}"
    try:
        return count_checkov_failed(json.loads(sample.stdout.read_text(encoding="utf-8"))), None
    except (OSError, ValueError) as exc:
        return None, f"checkov exited {sample.exit_code} but its JSON output is unreadable: {exc}"


# --------------------------------------------------------------------------- tools


def find_auditor(option: str | None) -> list[str]:
    if option:
        return shlex.split(option)
    script = Path(sys.executable).with_name("auditor")  # the console script users run (no runpy)
    if os.access(script, os.X_OK):
        return [str(script)]
    spec = importlib.util.find_spec("auditor")
    if spec is not None and any(
        (Path(location) / "__main__.py").is_file() and (Path(location) / "cli.py").is_file()
        for location in (spec.submodule_search_locations or [])
    ):
        return [sys.executable, "-m", "auditor"]
    venv_auditor = REPO / ".venv" / "bin" / "auditor"
    if os.access(venv_auditor, os.X_OK):
        return [str(venv_auditor)]
    on_path = shutil.which("auditor")
    if on_path:
        return [on_path]
    raise SetupError(
        "auditor not found: not importable by this Python, no .venv/bin/auditor in the repository and "
        "none on PATH. Install the project (python -m venv .venv && .venv/bin/pip install -e .) "
        "or pass --auditor CMD."
    )


def _tool_version(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 180) -> str:
    """``cmd --version``'s first line; raises SetupError when it does not run."""
    try:
        done = subprocess.run(
            [*cmd, "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"`{shlex.join(cmd)} --version` failed: {exc}") from exc
    text = (done.stdout or done.stderr).strip()
    if done.returncode != 0 or not text:
        raise SetupError(
            f"`{shlex.join(cmd)} --version` exited {done.returncode}:\n{_indent(text or '(no output)', '  ')}"
        )
    return text.splitlines()[0]


def checkov_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CHECKOV_ENV_DROP}
    env.update(CHECKOV_ENV)
    return env


def _announce(cmd: list[str]) -> None:
    log("+ " + shlex.join(cmd))


def ensure_checkov(option: str | None) -> Path:
    """The checkov executable: ``--checkov PATH``, or the benchmark venv (created on first use)."""
    if option:
        exe = Path(option).expanduser()
        if not exe.is_file():
            found = shutil.which(option)
            if not found:
                raise SetupError(f"--checkov {option}: no such executable")
            exe = Path(found)
        return exe.resolve()

    exe = CHECKOV_VENV / "bin" / "checkov"
    python = CHECKOV_VENV / "bin" / "python"
    if exe.is_file():
        try:
            _tool_version([str(exe)], env=checkov_env())
            log(f"Reusing Checkov from {_rel(CHECKOV_VENV)}/")
            return exe
        except SetupError as exc:
            log(f"Checkov in {_rel(CHECKOV_VENV)}/ does not run ({exc}); reinstalling.")

    python_works = (
        python.is_file()
        and subprocess.run([str(python), "-c", "import pip"], capture_output=True, check=False).returncode
        == 0
    )
    if not python_works:
        fresh = not CHECKOV_VENV.exists()
        cmd = [sys.executable, "-m", "venv", "--clear", str(CHECKOV_VENV)]
        log(f"Creating a venv for Checkov in {_rel(CHECKOV_VENV)}/ (once; reused on later runs)")
        _announce(cmd)
        venv_rc: int | str
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            venv_rc, reason = str(exc), str(exc)
        else:
            venv_rc, reason = done.returncode, (done.stderr or done.stdout).strip()
        if venv_rc != 0 or not python.is_file():
            if fresh:
                shutil.rmtree(CHECKOV_VENV, ignore_errors=True)
            hint = ""
            if "ensurepip" in reason or ("venv" in reason and "No module named" in reason):
                hint = (
                    "This Python lacks venv/ensurepip; on Debian/Ubuntu: apt-get install "
                    f"python{sys.version_info.major}.{sys.version_info.minor}-venv. "
                )
            raise SetupError(
                f"could not create the Checkov venv with `{shlex.join(cmd)}`:\n{_indent(reason, '  ')}\n"
                f"{hint}Fix that, or install Checkov yourself and pass --checkov PATH."
            )

    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", f"checkov=={CHECKOV_VERSION}"]
    log(f"Installing Checkov {CHECKOV_VERSION} from PyPI (a minute or two)")
    _announce(cmd)
    try:
        done_pip = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr, check=False, timeout=1800)
        pip_rc: int | str = done_pip.returncode
    except (OSError, subprocess.TimeoutExpired) as exc:
        pip_rc = str(exc)
    if pip_rc != 0 or not exe.is_file():
        raise SetupError(
            f"`pip install checkov` into {CHECKOV_VENV} failed ({pip_rc}); see pip's output above. "
            "Check network access to PyPI (or a proxy / PIP_INDEX_URL), or pass --checkov PATH."
        )
    return exe


def checkov_command(exe: Path, folder: Path, help_text: str) -> list[str]:
    cmd = [str(exe), "-f" if folder.is_file() else "-d", str(folder), "--framework", "arm", "-o", "json"]
    # Optional flags, only where the installed version knows them.
    for flag in ("--quiet", "--compact", "--skip-download", "--skip-results-upload"):
        if flag in help_text:
            cmd.append(flag)
    return cmd


def checkov_help(exe: Path) -> str:
    try:
        done = subprocess.run(
            [str(exe), "--help"],
            capture_output=True,
            text=True,
            timeout=180,
            env=checkov_env(),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"`{exe} --help` failed: {exc}") from exc
    if done.returncode != 0:
        raise SetupError(f"`{exe} --help` exited {done.returncode}:\n{_indent(done.stderr.strip(), '  ')}")
    return done.stdout


# --------------------------------------------------------------------------- report


def count_files(folder: Path) -> tuple[int, int]:
    """(all regular files, .json files) under ``folder`` (``folder`` itself when it is a file)."""
    if folder.is_file():
        return 1, int(folder.name.lower().endswith(".json"))
    total = json_files = 0
    for _root, _dirs, files in os.walk(folder):
        total += len(files)
        json_files += sum(name.lower().endswith(".json") for name in files)
    return total, json_files


def largest_templates(corpus: Path, count: int, into: Path) -> Path:
    """The ``count`` largest ``.json`` files under ``corpus``/MDC, copied with their relative paths into
    ``into`` (so that both tools scan one folder holding just them); ties broken by path."""
    mdc = corpus / MDC
    files = sorted(
        (p for p in mdc.rglob("*") if p.is_file() and p.name.lower().endswith(".json")),
        key=lambda p: (-p.stat().st_size, str(p)),
    )[:count]
    for path in files:
        target = into / path.relative_to(mdc)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return into


def corpus_copies(corpus: Path, copies: int, into: Path) -> Path:
    """``copies`` copies of the corpus side by side under ``into`` (copy-1 … copy-N)."""
    for i in range(1, copies + 1):
        shutil.copytree(corpus, into / f"copy-{i}", symlinks=True)
    return into


@dataclass
class InputResult:
    name: str
    path: Path
    files: int
    json_files: int
    with_checkov: bool = True
    auditor: Measurement | None = None
    checkov: Measurement | None = None
    json_load: Measurement | None = None

    @property
    def ratio(self) -> float | None:
        """Checkov's median over auditor's: how many times faster auditor is."""
        if self.auditor and self.checkov and self.auditor.median and self.checkov.median:
            return self.checkov.median / self.auditor.median
        return None


def _over(measured: Measurement | None, baseline: Measurement | None) -> float | None:
    """``measured``'s median in units of ``baseline``'s median."""
    if measured and baseline and measured.median and baseline.median:
        return measured.median / baseline.median
    return None


@dataclass
class Target:
    name: str
    goal: str
    value: str
    status: str  # PASS, MISS or n/a

    def as_json(self) -> dict[str, str]:
        return {"target": self.name, "goal": self.goal, "value": self.value, "status": self.status}


def _status(value: float | None, ok: Callable[[float], bool]) -> str:
    if value is None:
        return "n/a"
    return "PASS" if ok(value) else "MISS"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _target(
    name: str, goal: str, value: float | None, spec: str, unit: str, ok: Callable[[float], bool]
) -> Target:
    return Target(name, goal, _fmt(value, spec) + unit if value is not None else "-", _status(value, ok))


def _at_least(goal: float) -> Callable[[float], bool]:
    return lambda value: value >= goal


def build_targets(inputs: list[InputResult], version: Measurement, python: Measurement) -> list[Target]:
    by_name = {item.name: item for item in inputs}
    targets: list[Target] = []
    small = by_name.get("one small file")
    if small is not None:
        ratio = _over(small.auditor, python)
        targets.append(
            _target(
                "one small file, cold, x python -c pass",
                f"<= {TARGET_SMALL_X_PYTHON:g}x",
                ratio,
                ".2f",
                "x",
                lambda v: v <= TARGET_SMALL_X_PYTHON,
            )
        )
    for name, goal in TARGET_SPEEDUP.items():
        item = by_name.get(name)
        if item is not None:
            targets.append(
                _target(
                    f"speed-up vs checkov ({name})",
                    f">= {goal:g}x",
                    item.ratio,
                    ".0f",
                    "x",
                    _at_least(goal),
                )
            )
    whole = by_name.get("whole corpus")
    if whole is not None and whole.auditor is not None:
        targets += [
            _target(
                "auditor scan median (whole corpus)",
                f"<= {TARGET_SCAN_S:g} s",
                whole.auditor.median,
                ".3f",
                " s",
                lambda v: v <= TARGET_SCAN_S,
            ),
            _target(
                "auditor peak RSS (whole corpus)",
                f"<= {TARGET_RSS_MB:g} MB",
                whole.auditor.peak_rss_mb,
                ".1f",
                " MB",
                lambda v: v <= TARGET_RSS_MB,
            ),
        ]
    copies = next((item for item in inputs if item.name.endswith("x corpus")), None)
    if copies is not None and copies.auditor is not None:
        targets += [
            _target(
                f"{copies.name}: time x one corpus",
                f"<= {TARGET_COPIES_X_ONE:g}x",
                _over(copies.auditor, whole.auditor if whole else None),
                ".2f",
                "x",
                lambda v: v <= TARGET_COPIES_X_ONE,
            ),
            _target(
                f"{copies.name}: auditor peak RSS",
                f"<= {TARGET_COPIES_RSS_MB:g} MB",
                copies.auditor.peak_rss_mb,
                ".1f",
                " MB",
                lambda v: v <= TARGET_COPIES_RSS_MB,
            ),
        ]
    targets.append(
        _target(
            "auditor --version median",
            f"<= {TARGET_VERSION_S:g} s",
            version.median,
            ".3f",
            " s",
            lambda v: v <= TARGET_VERSION_S,
        )
    )
    return targets


def render_table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(cells)
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def print_report(
    inputs: list[InputResult],
    startup: list[Measurement],
    python: Measurement,
    targets: list[Target],
    meta: dict[str, Any],
) -> None:
    print()
    print(
        f"auditor vs Checkov — {meta['auditor_version']} vs checkov {meta['checkov_version']}, "
        f"{meta['auditor_runs']} cold runs of auditor and json.load, {meta['runs']} of Checkov per input, "
        f"{meta['python']} on {meta['platform']}"
    )
    print()
    rows: list[list[str]] = []
    for item in inputs:
        for m in (item.auditor, item.checkov, item.json_load):
            if m is None:
                continue
            tool = "json.load" if m is item.json_load else m.label.split()[0]
            ratio = _fmt(item.ratio, ".1f") + "x" if m is item.checkov and item.ratio else ""
            if m.ok:
                x_json = "" if m is item.json_load else _fmt(_over(m, item.json_load), ".1f")
                rows.append(
                    [
                        item.name,
                        str(item.files),
                        tool,
                        _fmt(m.median, ".3f"),
                        _fmt(m.minimum, ".3f"),
                        _fmt(m.peak_rss_mb, ".1f"),
                        _fmt(_over(m, python), ".1f"),
                        x_json,
                        "" if m.findings is None or m is item.json_load else str(m.findings),
                        ratio,
                    ]
                )
            else:
                rows.append([item.name, str(item.files), tool, "ERROR", "-", "-", "-", "-", "-", ""])
    print(
        render_table(
            [
                "input",
                "files",
                "tool",
                "median s",
                "min s",
                "peak RSS MB",
                "x python",
                "x json.load",
                "findings",
                "checkov/auditor",
            ],
            rows,
            right={1, 3, 4, 5, 6, 7, 8, 9},
        )
    )
    print(
        "\nx python: median over a bare `python -c pass` "
        f"({_fmt(python.median, '.3f')} s, peak RSS {_fmt(python.peak_rss_mb, '.1f')} MB); x json.load: over a "
        "process that only reads and json-parses the input's .json files."
    )
    print()
    rows = []
    for m in [python, *startup]:
        rows.append(
            [
                m.label,
                str(len(m.seconds)),
                _fmt(m.median, ".3f") if m.ok else "ERROR",
                _fmt(m.minimum, ".3f"),
                _fmt(m.peak_rss_mb, ".1f"),
                _fmt(_over(m, python), ".2f"),
            ]
        )
    print(
        render_table(
            ["command", "runs", "median s", "min s", "peak RSS MB", "x python"], rows, right={1, 2, 3, 4, 5}
        )
    )
    print()
    print(
        render_table(
            ["target", "goal", "measured", "status"],
            [[t.name, t.goal, t.value, t.status] for t in targets],
            right={2},
        )
    )
    errors = [m for item in inputs for m in (item.auditor, item.checkov, item.json_load) if m and not m.ok]
    errors += [m for m in [python, *startup] if not m.ok]
    if errors:
        print()
        print("ERRORS:")
        for m in errors:
            print(f"  {m.label}: {m.error}")
            print(f"    command: {shlex.join(m.command)}")
    print()
    print(
        "Findings are not comparable one to one: checkov's are failed generic Azure checks, "
        "auditor's are Defender-workflow-automation problems."
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/vs_checkov.py",
        description="Time auditor against Checkov (ARM framework) on the shared corpus; print a table.",
    )
    parser.add_argument("--runs", type=int, default=3, help="cold Checkov runs per input (default: 3)")
    parser.add_argument(
        "--auditor-runs",
        type=int,
        default=11,
        help="cold auditor runs per input (default: 11; each is well under a second, and the median of "
        "a few sub-second runs on a shared machine swings by a third)",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=10,
        help="cold runs of `auditor --version` and `auditor rules` (default: 10)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds per run before the process group is killed (default: 600)",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help=f"corpus folder (default: {os.path.relpath(DEFAULT_CORPUS, REPO)} "
        "relative to the repository root)",
    )
    parser.add_argument(
        "--checkov",
        metavar="PATH",
        help=f"use this checkov executable instead of {_rel(CHECKOV_VENV)}/",
    )
    parser.add_argument(
        "--auditor",
        metavar="CMD",
        help="auditor command line (default: python -m auditor, .venv/bin/auditor or PATH)",
    )
    parser.add_argument(
        "--small",
        type=Path,
        default=SMALL_FILE,
        metavar="FILE",
        help=f"the one small file scanned cold (default: {_rel(SMALL_FILE)})",
    )
    parser.add_argument(
        "--copies",
        type=int,
        default=COPIES,
        help=f"the corpus this many times over, auditor only (default: {COPIES}; 0: skip)",
    )
    parser.add_argument(
        "--rss-from",
        choices=("time", "wait4"),
        default="time",
        help="peak RSS from GNU time (/usr/bin/time, exact per command; the default when it is installed) "
        "or from os.wait4 (at least this script's own RSS)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.auditor_runs < 1 or args.startup_runs < 1 or args.timeout <= 0:
        parser.error("--runs, --auditor-runs and --startup-runs must be >= 1 and --timeout > 0")
    return args


def _inputs(corpus: Path, small: Path, copies: int, tmp: Path) -> list[InputResult]:
    """One small file, the largest MDC templates, the whole corpus and N copies of it (auditor only)."""
    found: list[tuple[str, Path, bool]] = [("one small file", small, True)]
    if (corpus / MDC).is_dir():
        found.append(("largest MDC templates", largest_templates(corpus, LARGEST, tmp / "largest"), True))
    else:
        log(f"note: {corpus / MDC} not found; no largest-MDC-templates input.")
    found.append(("whole corpus", corpus, True))
    if copies > 0:
        found.append((f"{copies}x corpus", corpus_copies(corpus, copies, tmp / "copies"), False))
    return [InputResult(name, path, *count_files(path), with_checkov=both) for name, path, both in found]


def _shares(total: int, rounds: int) -> list[int]:
    """``total`` runs spread over ``rounds`` as evenly as possible (11 over 3: 4, 4, 3)."""
    return [total // rounds + (1 if r < total % rounds else 0) for r in range(rounds)]


def _merged(into: Measurement | None, new: Measurement) -> Measurement:
    """The runs of ``new`` added to those of ``into`` (the same tool on the same input, another round)."""
    if into is None:
        return new
    if into.error is not None:
        return into
    into.seconds.extend(new.seconds)
    into.rss_kib.extend(new.rss_kib)
    into.exit_codes.extend(new.exit_codes)
    into.findings = new.findings if new.findings is not None else into.findings
    into.error = new.error
    return into


def _auditor_scan_command(auditor: list[str], item: InputResult, workdir: Path) -> tuple[list[str], Path]:
    # The report goes to a file rather than /dev/null so every run's output is validated
    # (a Python traceback also exits 1) and its findings counted; the cost is the same write.
    report = workdir / "auditor-report.json"
    return [*auditor, "scan", str(item.path), "--format", "json", "--output", str(report)], report


def _measure_rounds(
    inputs: list[InputResult],
    auditor: list[str],
    checkov: Path | None,
    help_text: str,
    args: argparse.Namespace,
    workdir: Path,
) -> Measurement:
    """Every input's runs of auditor, of the ``json.load`` baseline and of Checkov, and the bare
    ``python -c pass``, in ``--runs`` rounds: each round runs a share of every case, so a slow phase of a
    shared machine (other sessions' load comes and goes over the minutes Checkov takes) weighs on both
    tools alike instead of on whichever was measuring then. Returns the ``python -c pass`` figures."""
    rounds = args.runs
    auditor_runs = _shares(args.auditor_runs, rounds)
    python_runs = _shares(args.startup_runs, rounds)
    python: Measurement | None = None
    for item in inputs:
        cmd, _ = _auditor_scan_command(auditor, item, workdir)
        log(f"auditor scan {item.name} ({item.files} files): {shlex.join(cmd)}")
        # One untimed run first, with bytecode writing allowed: an installed package has its modules
        # compiled (pip does it), and a shell with PYTHONDONTWRITEBYTECODE would otherwise time the
        # compiler of an editable checkout on every run. Checkov's venv was compiled by pip.
        subprocess.run(cmd, env=AUDITOR_ENV, capture_output=True, check=False, timeout=args.timeout)
    for r in range(rounds):
        log(f"round {r + 1}/{rounds}")
        if python_runs[r]:
            python = _merged(
                python,
                measure(
                    "python -c pass",
                    [sys.executable, "-c", "pass"],
                    runs=python_runs[r],
                    timeout=args.timeout,
                    workdir=workdir,
                    check=check_exit_zero,
                ),
            )
        for item in inputs:
            cmd, report = _auditor_scan_command(auditor, item, workdir)
            if auditor_runs[r] and (item.auditor is None or item.auditor.error is None):
                item.auditor = _merged(
                    item.auditor,
                    measure(
                        f"auditor scan {item.name}",
                        cmd,
                        runs=auditor_runs[r],
                        timeout=args.timeout,
                        workdir=workdir,
                        check=check_auditor_scan,
                        output_file=report,
                        env=AUDITOR_ENV,
                    ),
                )
                item.json_load = _merged(
                    item.json_load,
                    measure(
                        f"json.load {item.name}",
                        [sys.executable, "-c", JSON_LOAD, str(item.path)],
                        runs=auditor_runs[r],
                        timeout=args.timeout,
                        workdir=workdir,
                        check=check_exit_zero,
                    ),
                )
            if (
                checkov is not None
                and item.with_checkov
                and (item.checkov is None or item.checkov.error is None)
            ):
                ccmd = checkov_command(checkov, item.path, help_text)
                if r == 0:
                    log(f"checkov {item.name} ({item.files} files): {shlex.join(ccmd)}")
                item.checkov = _merged(
                    item.checkov,
                    measure(
                        f"checkov {item.name}",
                        ccmd,
                        runs=1,
                        timeout=args.timeout,
                        workdir=workdir,
                        check=check_checkov,
                        env=checkov_env(),
                    ),
                )
    assert python is not None
    return python


def _measure_startup(auditor: list[str], args: argparse.Namespace, workdir: Path) -> list[Measurement]:
    """``auditor --version`` and ``auditor rules``."""
    startup: list[Measurement] = []
    for label, extra in (("auditor --version", ["--version"]), ("auditor rules", ["rules"])):
        log(f"{label}: {shlex.join([*auditor, *extra])}")
        startup.append(
            measure(
                label,
                [*auditor, *extra],
                runs=args.startup_runs,
                timeout=args.timeout,
                workdir=workdir,
                check=check_exit_zero,
                env=AUDITOR_ENV,
            )
        )
    return startup


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not hasattr(os, "wait4") or not hasattr(os, "killpg"):
        log("error: this benchmark needs os.wait4 and process groups (Linux or another Unix).")
        return 2

    corpus = args.corpus.expanduser().resolve() if args.corpus else DEFAULT_CORPUS
    if not corpus.is_dir():
        log(
            f"error: corpus folder not found: {corpus}\n"
            "The default is ../shared/corpus beside the repository; pass --corpus DIR to use another."
        )
        return 2
    small = args.small.expanduser().resolve()
    if not small.is_file():
        log(f"error: --small {small}: no such file")
        return 2

    _RSS_TOOL[0] = gnu_time() if args.rss_from == "time" else None
    if args.rss_from == "time" and _RSS_TOOL[0] is None:
        log("note: no GNU time at /usr/bin/time; peak RSS from os.wait4 (at least this script's own RSS)")
    try:
        auditor = find_auditor(args.auditor)
        log(f"auditor: {shlex.join(auditor)}")
        auditor_version = _tool_version(auditor)
        checkov = ensure_checkov(args.checkov)
        checkov_version = _tool_version([str(checkov)], env=checkov_env())
        log(f"checkov: {checkov} ({checkov_version})")
        if CHECKOV_VERSION not in checkov_version:
            log(f"note: the targets were set against Checkov {CHECKOV_VERSION}; this is {checkov_version}")
        help_text = checkov_help(checkov)
    except SetupError as exc:
        log(f"error: {exc}")
        return 2

    with tempfile.TemporaryDirectory(prefix="vs-checkov-") as tmp:
        workdir = Path(tmp)
        inputs = _inputs(corpus, small, args.copies, workdir)
        startup = _measure_startup(auditor, args, workdir)  # quick: a broken CLI shows before Checkov
        python = _measure_rounds(inputs, auditor, checkov, help_text, args, workdir)

    targets = build_targets(inputs, startup[0], python)
    meta: dict[str, Any] = {
        "auditor_command": auditor,
        "auditor_version": auditor_version,
        "checkov_executable": str(checkov),
        "checkov_version": checkov_version,
        "checkov_env": CHECKOV_ENV,
        "runs": args.runs,
        "auditor_runs": args.auditor_runs,
        "startup_runs": args.startup_runs,
        "timeout_s": args.timeout,
        "python": f"Python {platform.python_version()}",
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rss_source": "GNU time %M" if _RSS_TOOL[0] else "os.wait4 ru_maxrss",
        "rss_note": (
            "peak RSS = max over runs of GNU time's %M (the command's largest process), MB = 1e6 B"
            if _RSS_TOOL[0]
            else "peak RSS = max over runs of ru_maxrss from os.wait4 (at least this script's RSS), MB = 1e6 B"
        ),
    }
    print_report(inputs, startup, python, targets, meta)

    if args.json:
        document = {
            "meta": meta,
            "python_c_pass": python.as_json(),
            "inputs": [
                {
                    "name": item.name,
                    "path": str(item.path),
                    "files": item.files,
                    "json_files": item.json_files,
                    "auditor": item.auditor.as_json() if item.auditor else None,
                    "checkov": item.checkov.as_json() if item.checkov else None,
                    "json_load": item.json_load.as_json() if item.json_load else None,
                    "checkov_over_auditor": _round(item.ratio, 2),
                    "auditor_over_python": _round(_over(item.auditor, python), 2),
                    "auditor_over_json_load": _round(_over(item.auditor, item.json_load), 2),
                }
                for item in inputs
            ],
            "startup": {m.label: m.as_json() for m in startup},
            "targets": [t.as_json() for t in targets],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")

    failed = [m for item in inputs for m in (item.auditor, item.checkov, item.json_load) if m and not m.ok]
    failed += [m for m in [python, *startup] if not m.ok]
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
