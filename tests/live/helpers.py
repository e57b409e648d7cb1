"""Helpers shared by the live tests: SDK keyword arguments that keep every request on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tests.live.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class NonLoopbackRequest(AssertionError):
    """A test client tried to reach a host other than the emulator's."""


def assert_loopback(request: Any) -> None:
    """azure-core ``raw_request_hook``: fail any request that would leave the machine.

    The hook runs in the pipeline before the transport, so no connection or DNS lookup happens.
    """
    host = urlsplit(request.http_request.url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise NonLoopbackRequest(
            f"request to a non-loopback host refused by the test: {request.http_request.url}"
        )


def sdk_kwargs(emu: Emulator, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for any azure-mgmt-* client: endpoint, scope, CA, bounded retries/timeouts."""
    kwargs: dict[str, Any] = {
        "base_url": emu.url,
        "credential_scopes": [emu.scope],
        "connection_verify": emu.ca_path,
        "connection_timeout": 5,
        "read_timeout": 15,
        "retry_total": 4,
        "retry_backoff_max": 2,
        "raw_request_hook": assert_loopback,
    }
    kwargs.update(extra)
    return kwargs


def credential_kwargs(emu: Emulator) -> dict[str, Any]:
    """Keyword arguments for azure-identity credentials (authority = the emulator)."""
    return {
        "authority": emu.url,
        "connection_verify": emu.ca_path,
        "connection_timeout": 5,
        "read_timeout": 15,
        "retry_total": 2,
        "raw_request_hook": assert_loopback,
    }
