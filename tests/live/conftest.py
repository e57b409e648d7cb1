"""Fixtures for the live-scanning tests: a local HTTPS ARM/Entra emulator, reset for each test.

SDK settings for it are in ``tests/live/helpers.py`` (``sdk_kwargs``, ``credential_kwargs``); they
refuse every request to a host other than 127.0.0.1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the repo on sys.path
    sys.path.insert(0, str(REPO))

from tests.live.emulator import Emulator  # noqa: E402


@pytest.fixture(scope="module")
def _module_emulator() -> Iterator[Emulator]:
    pytest.importorskip("trustme", reason="trustme is not installed (pip install -e '.[test]')")
    from tests.live.emulator import running_emulator

    with running_emulator(page_size=2) as emu:
        yield emu


@pytest.fixture
def emulator(_module_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A running emulator (bundled data, page size 2) with an empty log and no faults.

    One server per test module; each test gets it reset. Proxies are bypassed for loopback.
    """
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost,::1")
    _module_emulator.clear_faults()
    _module_emulator.reset_log()
    yield _module_emulator
    _module_emulator.clear_faults()
