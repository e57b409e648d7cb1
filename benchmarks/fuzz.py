#!/usr/bin/env python3
"""Fuzz campaign over auditor's real pipeline (issue 9): N mutated inputs in one process.

Run from the repository root with the project's venv::

    .venv/bin/python benchmarks/fuzz.py --inputs 100000 [--seed 0] [--timeout-per-input 10] [--out DIR]
    .venv/bin/python benchmarks/fuzz.py --replay DIR/crash-….case.json

Inputs are mutations of ``../shared/corpus`` (JSON structure, bytes, HCL text),
generated templates, expressions and Terraform modules, budget bombs,
file-system traps and hostile configuration files (``tests/fuzz/mutators.py``).
Each runs through configuration → ``FileScan`` (every source) → every check → every output
format, as ``auditor scan`` does. Printed: inputs tried and inputs/s, outcomes,
crashes (exception type + innermost project frame, deduplicated, each with a
saved and a minimised input), slow inputs, defects (silent failures, leaks,
workflow commands in text output), the slowest input, p50/p99 time per input
and peak RSS. Exit 1 on any crash, slow input or defect.

``AUDITOR_DEBUG=1`` is set before auditor is imported so that catch-all guards
re-raise; each crash is also rerun without it (``--no-both-modes`` to skip) to
show what a user would get. The harness itself is ``tests/fuzz`` (also
``python -m tests.fuzz``); ``tests/fuzz/test_fuzz_bounded.py`` is its bounded
run in the test suite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("AUDITOR_DEBUG", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.runner import main

if __name__ == "__main__":
    sys.exit(main())
