"""A local HTTPS emulator of Azure Resource Manager and of the Entra ID token endpoints.

Start it in-process with :func:`running_emulator` or from a shell with
``python -m tests.live.emulator``; see ``tests/live/README.md``.
"""

from __future__ import annotations

from .data import DEFAULT_DATA_DIR, DEFAULT_TENANT_ID, Dataset, load_dataset, make_subscriptions
from .faults import FaultConfigError, Faults
from .server import DEFAULT_CLIENT_ID, Emulator, RequestRecord, running_emulator

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_DATA_DIR",
    "DEFAULT_TENANT_ID",
    "Dataset",
    "Emulator",
    "FaultConfigError",
    "Faults",
    "RequestRecord",
    "load_dataset",
    "make_subscriptions",
    "running_emulator",
]
