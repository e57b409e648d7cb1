"""Live scanning: read workflow automation as deployed in Azure into the same inventory as files.

``auditor scan --live`` and ``auditor access export --live``. Nothing here imports the Azure SDK at
import time: :func:`scan_live` does, and without the ``live`` extra it raises :class:`LiveError` with
the install command (``pip install 'mdc-auditor[live]'``).

* :mod:`.options`: the options and their validation (standard library only);
* :mod:`.auth`: the credential (``--auth``), the authority, GitHub OIDC, the start-up token check;
* :mod:`.http`: the read-only pipeline (one transport, retries, one host, no secrets in logs);
* :mod:`.scanner`: what is read, per subscription or through Resource Graph, and the coverage record;
* :mod:`.progress`: the progress display.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.sources.live.options import INSTALL_HINT, LiveError, LiveOptions, options_from_args

if TYPE_CHECKING:
    from auditor.sources.live.progress import Progress
    from auditor.sources.live.results import LiveResult

__all__ = ["INSTALL_HINT", "LiveError", "LiveOptions", "export_access", "options_from_args", "scan_live"]


def scan_live(options: LiveOptions, progress: Progress | None = None) -> LiveResult:
    """Read the subscriptions ``options`` name (see :class:`auditor.sources.live.scanner.LiveScanner`)."""
    from auditor.sources.live.scanner import LiveScanner

    return LiveScanner(options, progress).run()


def export_access(options: LiveOptions, progress: Progress | None = None) -> LiveResult:
    """Read only the role data and the management-group tree (``auditor access export --live``)."""
    from auditor.sources.live.scanner import LiveScanner

    return LiveScanner(options, progress, access_only=True).run()


def access_snapshot_data(result: Any) -> dict[str, Any]:
    """The snapshot document ``auditor.rbac.snapshot_from_data`` / ``load_snapshot`` read."""
    data: dict[str, Any] = result.access_data
    return data
