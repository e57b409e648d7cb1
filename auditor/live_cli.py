"""The command-line options of live scanning (``auditor scan --live``, ``auditor access export``).

Standard library only and outside ``auditor.sources``: the parser is built for every command, including
``auditor --version``, which must not import the sources or the Azure SDK. The values are validated by
:func:`auditor.sources.live.options.options_from_args` when a live scan actually runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Kept equal to auditor.sources.live.options.CLOUDS / AUTH_MODES (tests/live/test_live_options.py).
CLOUDS = ("AzureCloud", "AzureUSGovernment", "AzureChinaCloud")
AUTH_MODES = ("default", "cli", "managed-identity", "workload-identity", "github-oidc")


def add_live_arguments(p: Any, *, scan: bool = True) -> None:
    """The live-scan options of ``auditor scan`` and ``auditor access export`` (argparse)."""
    g = p.add_argument_group(
        "live scanning (needs the 'live' extra: pip install 'mdc-auditor[live]')",
        "Read Azure directly with a read-only identity (Reader + Security Reader suffice).",
    )
    if scan:
        g.add_argument(
            "--live",
            action="store_true",
            help="also scan what is deployed in Azure (the subscriptions below, or all the identity can read)",
        )
    g.add_argument(
        "--management-group",
        metavar="NAME",
        help="live: scan every subscription below this management group",
    )
    g.add_argument("--auth", choices=AUTH_MODES, default=None, help="live: how to sign in (default: default)")
    g.add_argument("--cloud", choices=CLOUDS, default=None, help="live: Azure cloud (default AzureCloud)")
    g.add_argument(
        "--arm-endpoint",
        metavar="URL",
        help="live: ARM endpoint (e.g. Azure Stack Hub https://management.local.azurestack.external)",
    )
    g.add_argument("--concurrency", type=int, metavar="N", help="live: parallel requests (default 16)")
    g.add_argument("--request-timeout", type=float, metavar="SECONDS", help="live: per request (default 30)")
    g.add_argument(
        "--scan-timeout", type=float, metavar="SECONDS", help="live: whole live scan (default 3600)"
    )
    g.add_argument(
        "--graph-threshold",
        type=int,
        metavar="N",
        help="live: above N subscriptions read through Azure Resource Graph (default 50)",
    )
    if scan:
        g.add_argument(
            "--allow-partial",
            action="store_true",
            help="live: what could not be read (LIV001) is reported at info severity and does not fail the run",
        )
    g.add_argument(
        "--verbose", "-v", action="store_true", help="live: log every request (method, path, status, time)"
    )


def add_export_parser(asub: Any) -> None:
    """The ``export`` action of ``auditor access``."""
    export = asub.add_parser(
        "export",
        help="write an access snapshot read live from Azure",
        description=(
            "Read role definitions (custom), role assignments, deny assignments and the management-group tree "
            "from Azure (--live) and write them as an access snapshot (the format 'access explain' and "
            "'scan --access' read). Exit 0 complete, 1 written but incomplete, 2 error."
        ),
    )
    export.add_argument("--live", action="store_true", help="read from Azure (required)")
    export.add_argument(
        "--subscription",
        action="append",
        metavar="ID",
        help="subscription to read (repeatable; default: every subscription the identity can read)",
    )
    export.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("access.json"),
        metavar="FILE",
        help="snapshot file to write ('-' = stdout; default access.json)",
    )
    add_live_arguments(export, scan=False)
