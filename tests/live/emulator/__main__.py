"""``python -m tests.live.emulator``: serve until SIGINT/SIGTERM, after printing one JSON line.

The line holds ``url``, ``ca`` (the CA certificate PEM to trust), ``tenant``, ``client_id`` and
``client_secret`` (plus ``tenant_id``, ``scope`` and ``admin``), and — with ``--env`` — the shell
``export`` lines follow it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .data import Dataset, make_subscriptions
from .faults import FaultConfigError, Faults
from .server import DEFAULT_CLIENT_ID, DEFAULT_TENANT, Emulator


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tests.live.emulator",
        description="HTTPS emulator of Azure Resource Manager and Entra ID (ADFS-style) token endpoints.",
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: an ephemeral one)")
    p.add_argument(
        "--data", type=Path, default=None, help="data directory of *.json (default: the bundled set)"
    )
    p.add_argument(
        "--subscriptions",
        type=int,
        default=None,
        metavar="N",
        help="serve N generated subscriptions instead of a data directory (scale runs)",
    )
    p.add_argument("--faults", type=Path, default=None, help="faults JSON file (see faults.py / README)")
    p.add_argument("--page-size", type=int, default=2, help="items per ARM list page (default 2)")
    p.add_argument(
        "--graph-page-size",
        type=int,
        default=None,
        help="rows per Resource Graph page (default: --page-size)",
    )
    p.add_argument(
        "--tenant", default=DEFAULT_TENANT, help="tenant name for the token endpoints (default adfs)"
    )
    p.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=None, help="default: a random secret, printed")
    p.add_argument("--token-lifetime", type=int, default=3599, help="seconds (default 3599)")
    p.add_argument(
        "--ca-dir", type=Path, default=None, help="where to write ca.pem (default: a temporary directory)"
    )
    p.add_argument("--env", action="store_true", help="also print shell export lines after the JSON line")
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faults = (
            Faults.from_json(json.loads(args.faults.read_text(encoding="utf-8"))) if args.faults else None
        )
    except (OSError, ValueError, FaultConfigError) as exc:
        print(f"error: cannot load faults: {exc}", file=sys.stderr)
        return 2
    dataset: Dataset | None = None
    if args.subscriptions is not None:
        dataset = make_subscriptions(args.subscriptions)
    try:
        emu = Emulator(
            dataset=dataset,
            data_dir=args.data,
            faults=faults,
            page_size=args.page_size,
            graph_page_size=args.graph_page_size,
            host=args.host,
            port=args.port,
            tenant=args.tenant,
            client_id=args.client_id,
            client_secret=args.client_secret,
            token_lifetime=args.token_lifetime,
            ca_dir=args.ca_dir,
            verbose=args.verbose,
        )
        emu.start()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        print(json.dumps(emu.info()), flush=True)
        if args.env:
            for key, value in emu.env().items():
                print(f"export {key}={shlex.quote(value)}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
