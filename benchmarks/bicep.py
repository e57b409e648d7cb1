"""What reading Bicep costs, next to ARM JSON: per file, for the example set cold, and on real Bicep.

    python benchmarks/bicep.py                      # examples + fixtures + the corpus
    python benchmarks/bicep.py --real /path/to/bicep-registry-modules --real /path/to/ALZ-Bicep

Printed:

* **cold**: ``auditor scan`` as a fresh process (median of ``--runs``) on the Bicep example set
  (``examples/bicep``) and on its ARM twins (``examples/broken`` + ``examples/clean``); target: the Bicep
  set in under 1 s;
* **per file**: in one process, after a warm-up, the mean time to read, parse, translate and evaluate one
  ``.bicep`` file, next to the ARM JSON template of the same deployment (the examples and every check
  fixture written both ways);
* **corpus**: a cold scan of ``../shared/corpus`` (the figure ``benchmarks/vs_checkov.py`` tracks), so a
  regression from the Bicep source shows here too;
* **real** (with ``--real``): every ``.bicep`` under each folder parsed: files, files with a syntax error
  (which would be SRC002), parse time, then a cold scan of the folder.

It reports; it is not a test (exit 0, or 2 when a scan fails).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TARGET_COLD_S = 1.0


def auditor_command() -> list[str]:
    venv = ROOT / ".venv" / "bin" / "python"
    return [str(venv if venv.exists() else Path(sys.executable)), "-m", "auditor"]


def cold(paths: list[Path], runs: int) -> tuple[float, float]:
    """Median and minimum wall time of ``auditor scan PATHS`` as a fresh process."""
    times = []
    for _ in range(runs):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    *auditor_command(),
                    "scan",
                    *map(str, paths),
                    "--no-config",
                    "--format",
                    "json",
                    "--output",
                    out.name,
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            print(f"scan failed ({proc.returncode}): {proc.stderr[-2000:]}", file=sys.stderr)
            sys.exit(2)
    return statistics.median(times), min(times)


def per_file(files: list[Path], rounds: int) -> float:
    """Mean seconds to read and evaluate one of ``files`` into an inventory (in this process, warm)."""
    sys.path.insert(0, str(ROOT))
    from auditor.sources.dispatch import FileScan

    for path in files:  # warm-up: imports, parser, caches of the process (not of a scan)
        FileScan().scan([path])
    start = time.perf_counter()
    for _ in range(rounds):
        for path in files:
            FileScan().scan([path])
    return (time.perf_counter() - start) / (rounds * len(files))


def parse_rate(folder: Path) -> tuple[int, int, float, list[str]]:
    """(files, files with a syntax error, seconds, the first few failures) over every .bicep in folder."""
    sys.path.insert(0, str(ROOT))
    from auditor.sources.bicep.syntax import first_error, parse

    files = sorted(folder.rglob("*.bicep"))
    failures: list[str] = []
    start = time.perf_counter()
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        error = first_error(parse(text))
        if error is not None:
            line = text.count("\n", 0, error.offset) + 1
            failures.append(f"{path.relative_to(folder)}:{line}: {error.message}")
    return len(files), len(failures), time.perf_counter() - start, failures


def twins() -> list[tuple[Path, Path]]:
    """(Bicep, ARM JSON) files that write the same deployment: the examples and the check fixtures
    whose ``x.bicep`` sits beside ``x.json``."""
    pairs = [
        (
            ROOT / "examples" / "bicep" / "clean" / "main.bicep",
            ROOT / "examples" / "clean" / "azuredeploy.json",
        ),
        (
            ROOT / "examples" / "bicep" / "broken" / "main.bicep",
            ROOT / "examples" / "broken" / "azuredeploy.json",
        ),
    ]
    for bicep in sorted((ROOT / "tests" / "checks" / "fixtures").glob("*/*.bicep")):
        arm = bicep.with_suffix(".json")
        if arm.is_file():
            pairs.append((bicep, arm))
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="cold runs per input (median reported)")
    parser.add_argument(
        "--rounds", type=int, default=20, help="rounds over the files for the per-file figure"
    )
    parser.add_argument(
        "--real", type=Path, action="append", default=[], help="a folder of real .bicep files"
    )
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "")

    bicep_examples = ROOT / "examples" / "bicep"
    arm_examples = [ROOT / "examples" / "broken", ROOT / "examples" / "clean"]
    b_med, b_min = cold([bicep_examples], args.runs)
    a_med, a_min = cold(arm_examples, args.runs)
    verdict = "PASS" if b_med < TARGET_COLD_S else "MISS"
    print(
        f"cold  Bicep examples ({len(list(bicep_examples.rglob('*.bicep')))} .bicep): median {b_med:.3f} s, min {b_min:.3f} s  [{verdict}: < {TARGET_COLD_S:.0f} s]"
    )
    print(f"cold  ARM twins: median {a_med:.3f} s, min {a_min:.3f} s  (Bicep / ARM {b_med / a_med:.2f}x)")

    pairs = twins()
    b_file = per_file([b for b, _ in pairs], args.rounds)
    a_file = per_file([a for _, a in pairs], args.rounds)
    print(
        f"per file  {len(pairs)} deployments written both ways: Bicep {b_file * 1000:.2f} ms, "
        f"ARM JSON {a_file * 1000:.2f} ms (Bicep / ARM {b_file / a_file:.2f}x)"
    )

    if CORPUS.is_dir():
        c_med, c_min = cold([CORPUS], args.runs)
        print(
            f"cold  corpus ({sum(1 for _ in CORPUS.rglob('*') if _.is_file())} files): median {c_med:.3f} s, min {c_min:.3f} s"
        )
    else:
        print(f"corpus: {CORPUS} not found, skipped")

    for folder in args.real:
        count, failed, seconds, failures = parse_rate(folder)
        print(f"real  {folder}: {count} .bicep, {failed} with a syntax error, parsed in {seconds:.2f} s")
        for line in failures[:10]:
            print(f"        {line}")
        r_med, _ = cold([folder], 1)
        print(f"real  cold scan of {folder}: {r_med:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
