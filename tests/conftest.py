"""Shared fixtures: the real pipeline (ARM source → inventory → engine) for one rule at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from auditor.engine import ScanResult, run
from auditor.registry import LoadedCheck, load_checks
from auditor.sources.dispatch import FileScan

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"

_CHECKS: list[LoadedCheck] | None = None


def all_checks() -> list[LoadedCheck]:
    """The built-in checks, loaded once per test session."""
    global _CHECKS
    if _CHECKS is None:
        _CHECKS = load_checks()
    return _CHECKS


def scan_paths(
    paths: Iterable[Path], rules: Iterable[str] | None = None, parameters: dict | None = None
) -> ScanResult:
    """Run the real pipeline over ``paths`` with only ``rules`` selected (all when None)."""
    wanted = set(rules) if rules is not None else None
    checks = [c for c in all_checks() if wanted is None or c.rule.id in wanted]
    inventory = FileScan(parameters or {}).scan(list(paths))
    return run(inventory, checks)


@pytest.fixture
def scan() -> Callable[..., ScanResult]:
    """``scan(paths, rules)`` → ScanResult."""
    return scan_paths


@pytest.fixture
def corpus() -> Path:
    """The shared corpus, or a skip with the reason."""
    if not CORPUS.is_dir():
        pytest.skip(
            f"shared corpus not found at {CORPUS} (clone the steering repo's shared/ beside this repo)"
        )
    return CORPUS
