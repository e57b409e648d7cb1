#!/usr/bin/env python3
"""Start-up budget of a one-file scan (issue 14): cold processes, compared with a bare Python start.

Run from the repository root::

    .venv/bin/python benchmarks/startup.py [--runs 15] [--auditor PATH]

Prints, for each command, the median (and minimum) wall time of ``--runs`` cold processes and its ratio
to ``python -c pass`` measured in the same run, interleaved round by round so that the machine's load
weighs on every command alike, and the median CPU time (user + system, from ``os.wait4``) with its ratio:
on a machine other sessions load, wall times swing by 50 % from one minute to the next while CPU times
barely move, so the CPU ratio is the figure to compare between runs. Then the modules a one-file ARM scan imports beyond the standard library
(third-party packages, and how many ``auditor`` modules), and PASS/MISS against the budget: a one-file ARM
scan, with or without a ``[tool.auditor]`` configuration, within ``BUDGET`` × the bare start.

It reports; it is not a test (exit 0 whatever PASS/MISS says, 2 when a command fails). The behaviour it
relies on, "a one-file scan imports nothing heavy", is tested without timing in tests/test_startup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGET = 4.0  # one small template, cold process: at most this many bare Python start-ups
ARM = REPO / "examples" / "clean" / "azuredeploy.json"
BICEP = REPO / "examples" / "bicep" / "clean" / "main.bicep"
TERRAFORM = REPO / "examples" / "terraform" / "clean"
CONFIG = """\
[project]
name = "startup-bench"

[tool.auditor]
select = ["LA", "AUT", "SRC", "SEC"]
ignore = ["AUT208"]
fail-on = "medium"
exclude = ["archive/**"]

[tool.auditor.severity-overrides]
LA106 = "medium"
"""
# Bytecode as an installed package has it: without this the warm-up round could not write the .pyc files
# that PYTHONDONTWRITEBYTECODE (set in some CI and agent shells) forbids, and every module edited since the
# last write would be compiled from source in every run, ~10 ms for a large one.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Run inside the scanning process: which modules were imported (printed as JSON on the last line).
PROBE = """\
import json, sys
from auditor.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _auditor_command(explicit: str | None) -> list[str]:
    """The console script next to this Python (what users run), else ``python -m auditor``."""
    if explicit:
        return [explicit]
    script = Path(sys.executable).with_name("auditor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "auditor"]


def _once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one cold process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"startup.py: {argv} exited {proc.returncode}: {err.decode()[-400:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def _configured_copy(tmp: Path) -> Path:
    """A one-template repository with a pyproject.toml holding ``[tool.auditor]`` (a ``.git`` folder stops
    discovery there, as in a checkout)."""
    repo = tmp / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copy(ARM, repo / "azuredeploy.json")
    return repo / "azuredeploy.json"


def _commands(auditor: list[str], configured: Path) -> dict[str, tuple[list[str], Path]]:
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], REPO),
        "auditor --version": ([*auditor, "--version"], REPO),
        "auditor rules": ([*auditor, "rules"], REPO),
        "scan 1 ARM file, no config": ([*auditor, "scan", str(ARM), "--no-config"], REPO),
        "scan 1 ARM file, [tool.auditor]": ([*auditor, "scan", str(configured)], configured.parent),
        "scan 1 Bicep file": ([*auditor, "scan", str(BICEP), "--no-config"], REPO),
        "scan 1 Terraform folder": ([*auditor, "scan", str(TERRAFORM), "--no-config"], REPO),
    }


def _python_of(auditor: list[str]) -> str:
    """The interpreter that runs ``auditor`` (its script's ``#!`` line), so that the probe imports that
    installation's modules."""
    if auditor[0] == sys.executable:
        return sys.executable
    with open(auditor[0], "rb") as script:
        first = script.readline().decode("utf-8", "replace").strip()
    return first[2:].split()[0] if first.startswith("#!") else sys.executable


def _third_party(auditor: list[str], configured: Path) -> tuple[list[str], int]:
    """Top-level non-standard-library packages a one-file ARM scan (with its config) imports, and the
    number of auditor modules."""
    proc = subprocess.run(
        [_python_of(auditor), "-c", PROBE, "scan", str(configured)],
        env=ENV,
        cwd=configured.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    modules: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    stdlib = set(sys.stdlib_module_names)
    tops = sorted({m.split(".")[0] for m in modules} - stdlib - {"auditor", "__main__"})
    tops = [
        t
        for t in tops
        if not t.startswith(("__editable__", "_distutils_hack", "_virtualenv", "_sysconfigdata"))
    ]
    return tops, sum(1 for m in modules if m == "auditor" or m.startswith("auditor."))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="cold processes per command (default 15)")
    parser.add_argument("--auditor", help="auditor executable (default: the one beside this Python)")
    args = parser.parse_args()
    auditor = _auditor_command(args.auditor)
    with tempfile.TemporaryDirectory() as tmp:
        configured = _configured_copy(Path(tmp))
        commands = _commands(auditor, configured)
        for argv, cwd in commands.values():  # warm-up: bytecode compiled, files in the page cache
            _once(argv, cwd)
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # round by round, so load changes hit every command alike
            for name, (argv, cwd) in commands.items():
                elapsed, used = _once(argv, cwd)
                wall[name].append(elapsed)
                cpu[name].append(used)
        modules, own = _third_party(auditor, configured)
    bare, bare_cpu = statistics.median(wall["python -c pass"]), statistics.median(cpu["python -c pass"])
    print(f"{'command':34} {'wall ms':>8} {'min ms':>7} {'× bare':>7} {'CPU ms':>7} {'× bare':>7}")
    for name, samples in wall.items():
        median, used = statistics.median(samples), statistics.median(cpu[name])
        ratio = median / bare
        line = (
            f"{name:34} {median * 1000:8.1f} {min(samples) * 1000:7.1f} {ratio:7.2f}"
            f" {used * 1000:7.1f} {used / bare_cpu:7.2f}"
        )
        if name.startswith("scan 1 ARM"):  # both ratios: a loaded bare start must not make a MISS pass
            verdict = "PASS" if max(ratio, used / bare_cpu) <= BUDGET else "MISS"
            line += f"  {verdict} (budget {BUDGET:g}×, wall and CPU)"
        print(line)
    print(
        f"\n{args.runs} runs each (medians), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"Python {sys.version.split()[0]}, {auditor[0]}"
    )
    print(
        f"a one-file ARM scan with [tool.auditor] imports {own} auditor modules and, beyond the standard "
        f"library: {', '.join(modules) or 'nothing'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
