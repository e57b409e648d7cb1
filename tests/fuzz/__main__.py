"""``python -m tests.fuzz``: the fuzz campaign (see :mod:`.runner`; same options as benchmarks/fuzz.py)."""

from __future__ import annotations

import os
import sys

# Before auditor is imported anywhere: the evaluators' catch-all guards re-raise, so bugs are crashes.
os.environ.setdefault("AUDITOR_DEBUG", "1")

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
