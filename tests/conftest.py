"""Shared fixtures: the real pipeline (ARM source → inventory → engine) for one rule at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from auditor.engine import ScanResult, run
from auditor.model import Inventory
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
    paths = list(paths)
    inventory = with_fixture_events(FileScan(parameters or {}).scan(paths), paths)
    return run(inventory, checks)


def with_fixture_events(inventory: Inventory, paths: Iterable[Path]) -> Inventory:
    """The inventory with the events of each fixture folder's ``events.json`` (COV001's fixtures): what
    ``auditor coverage FOLDER --events FOLDER/events.json`` adds. Unchanged for every other fixture."""
    from auditor.simulate_cli import read_observed

    events = [
        e
        for p in paths
        if (Path(p) / "events.json").is_file()
        for e in read_observed(Path(p) / "events.json")
    ]
    return dataclasses.replace(inventory, observed_events=events) if events else inventory


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
