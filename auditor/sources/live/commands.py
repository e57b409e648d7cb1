"""``auditor access export --live``: write an access snapshot read from Azure.

The file is exactly what ``auditor access explain SNAPSHOT`` and ``auditor scan --access FILE`` load
(:func:`auditor.rbac.load_snapshot`): ``roleDefinitions`` (custom roles; built-in roles ship with
auditor), ``roleAssignments`` and ``denyAssignments`` as ARM REST bodies, ``managementGroups``
(name → parent) and ``subscriptions`` (id → management group).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auditor.neutral import terminal
from auditor.sources.live.options import LiveError, options_from_args


def access_export(args: argparse.Namespace) -> int:
    """Run the export; 0 when complete, 1 when some reads failed (written anyway), 2 on errors."""
    from auditor.sources.live import export_access
    from auditor.sources.live.progress import make_progress

    if not getattr(args, "live", False):
        print("auditor: error: access export reads Azure: add --live", file=sys.stderr)
        return 2
    try:
        options = options_from_args(args)
    except ValueError as exc:
        print(f"auditor: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = export_access(options, make_progress(options.progress, options.verbose))
    except LiveError as exc:
        print(f"auditor: error: {exc}", file=sys.stderr)
        return 2
    try:
        snapshot = result.access_snapshot()
    except Exception:  # the data is written anyway: it is what Azure returned
        snapshot = None
    output: Path = args.output
    text = json.dumps(result.access_data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    try:
        if str(output) == "-":
            sys.stdout.write(text)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"auditor: error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    data = result.access_data
    print(
        f"auditor: wrote {len(data['roleAssignments'])} role assignments, {len(data['roleDefinitions'])} custom "
        f"role definitions, {len(data['denyAssignments'])} deny assignments and "
        f"{len(data.get('managementGroups', {}))} management groups to {output}",
        file=sys.stderr,
    )
    gaps = [c for c in result.coverage if c.status != "ok"]
    for c in gaps:  # ids and details come from Azure's answers
        where = f"subscription {c.subscription}" if c.subscription else "the tenant"
        print(
            terminal(f"auditor: warning: {c.resource_type} in {where} not read: {c.status} ({c.detail})"),
            file=sys.stderr,
        )
    if snapshot is None:
        print("auditor: warning: the snapshot does not load (see the message above)", file=sys.stderr)
    return 1 if gaps or snapshot is None else 0
