"""``auditor access explain``: one RBAC decision, explained, as text or JSON.

The argument parser is declared in ``auditor/cli.py`` (so ``auditor --help`` does
not import this package); this module turns the parsed arguments into a
decision and renders it. Exit codes follow the CLI's convention: 0 allowed,
1 denied / conditional / unknown, 2 usage error (including a malformed snapshot,
reported with the JSON path of the bad value).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from auditor.rbac.evaluator import ALLOWED, CONDITIONAL, DENIED, Decision, Evaluator, Grant
from auditor.rbac.loader import load_snapshot
from auditor.rbac.snapshot import SnapshotError

EXIT_ALLOWED, EXIT_NOT_ALLOWED, EXIT_USAGE = 0, 1, 2


def parse_request_attributes(values: Sequence[str]) -> dict[str, list[str]]:
    """``NAME=VALUE`` items → {NAME: [VALUE, ...]} (a name may repeat); ValueError when malformed."""
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--request-attribute expects NAME=VALUE, got {item!r}")
        out.setdefault(name.strip(), []).append(value.strip())
    return out


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Execute ``access explain`` for parsed arguments; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        attributes = parse_request_attributes(args.request_attribute or [])
    except ValueError as exc:
        return _usage(err, str(exc))
    if not args.scope.strip().startswith("/"):
        return _usage(err, f"--scope must be an ARM scope starting with '/', got {args.scope!r}")
    try:
        snapshot = load_snapshot(args.snapshot)
    except SnapshotError as exc:
        return _usage(err, f"{args.snapshot}: {exc}")
    except OSError as exc:
        return _usage(err, f"cannot read {args.snapshot}: {exc.strerror or exc}")
    decision = Evaluator(snapshot).check(
        args.principal,
        args.scope,
        args.action,
        data_action=args.data_action,
        request_attributes=attributes,
    )
    if args.format == "json":
        out.write(json.dumps(decision.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(render_text(decision))
    return EXIT_ALLOWED if decision.decision == ALLOWED else EXIT_NOT_ALLOWED


def _usage(err: TextIO, message: str) -> int:
    print(f"auditor: error: {message}", file=err)
    return EXIT_USAGE


def _grant_line(g: Grant) -> str:
    via = f" via group {' → '.join(g.via)}" if g.via else ""
    return (
        f"  - '{g.role_name}' ({g.role_id}) at {g.scope}{via}\n"
        f"    assignment {g.assignment_id}; permission block {g.block} matches '{g.pattern}'"
    )


def render_text(d: Decision) -> str:
    """A short explanation for people: the verdict, then the assignments and denies behind it."""
    kind = "data action" if d.data_action else "action"
    lines = [
        f"{d.decision.upper()}: {d.principal} → {kind} {d.action}",
        f"  at {d.scope}",
        "",
    ]
    if d.grants:
        lines.append("Granted by:")
        lines.extend(_grant_line(g) for g in d.grants)
    if d.conditional:
        lines.append("Granted only if the assignment's condition holds (not decidable from what was given):")
        for g in d.conditional:
            lines.append(_grant_line(g))
            lines.extend(f"    {r}" for r in g.reasons)
    blocking = [x for x in d.denies if x.blocks]
    if blocking:
        lines.append("Blocked by deny assignment (a deny wins over every grant):")
    for x in d.denies:
        if x.blocks:
            lines.append(f"  - '{x.name}' at {x.scope} matches '{x.pattern}' ({x.deny_assignment_id})")
    others = [x for x in d.denies if not x.blocks]
    if others:
        lines.append("Other deny assignments covering this action:")
        for x in others:
            state = "audit only, not enforced" if x.effect == "audit" else f"applies: {x.applies}"
            lines.append(f"  - '{x.name}' at {x.scope} matches '{x.pattern}' ({state})")
            lines.extend(f"    {r}" for r in x.reasons)
    if d.eligible:
        lines.append("Eligible through PIM (would grant it once activated):")
        lines.extend(_grant_line(g) for g in d.eligible)
    if d.unknown:
        lines.append("Not decidable from the snapshot:")
        lines.extend(f"  - {u}" for u in d.unknown)
    if d.notes:
        lines.append("Notes:")
        lines.extend(f"  - {n}" for n in d.notes)
    if d.decision == DENIED and not d.grants and not blocking:
        lines.append("No active role assignment grants this action at this scope or above.")
    if d.suggestion is not None:
        s = d.suggestion
        lines.append(
            f"Smallest built-in role that grants it: '{s.role_name}' ({s.role_id}), via '{s.pattern}'; "
            f"assign it at {d.scope} or above."
        )
    elif d.decision == DENIED and blocking:
        lines.append(
            "Assigning a role cannot help: remove or exclude the principal from the deny assignment."
        )
    elif d.decision == CONDITIONAL and any(
        r.startswith("needs ") or ": needs " in r for g in d.conditional for r in g.reasons
    ):
        lines.append("Pass --request-attribute NAME=VALUE for the attributes the condition needs.")
    return "\n".join(lines).rstrip() + "\n"
