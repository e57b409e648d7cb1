#!/usr/bin/env python3
"""Scale benchmark for the RBAC snapshot loader and evaluator (``auditor.rbac``).

Run from the repository root with the project's venv::

    .venv/bin/python benchmarks/rbac_scale.py [--assignments 100000] [--checks 10000] [--seed 5]

It generates a synthetic tenant, deterministic for a seed: a 4-level
management-group tree (root → 3 → 9 → 27), 50 subscriptions, 500 resource
groups, users, nested groups (with a few cycles), service principals, custom
roles built from real operation names plus the shipped built-in roles, PIM
eligibility, ABAC conditions and deny assignments. It then prints

* ``load_snapshot`` time (read + JSON decode + parse + index) at 25 %, 50 % and
  100 % of the assignments, with the time per assignment, to show loading is linear;
* the time for ``--checks`` evaluations against the full snapshot with a fresh
  evaluator (cold caches) and again (warm), plus the decision mix.

The target is < 2 s for 10,000 checks. The script reports; it is not a test and
always exits 0.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.rbac import Evaluator, builtin_roles, load_snapshot

MG = "/providers/Microsoft.Management/managementGroups/"
CHECK_ACTIONS = (
    "Microsoft.Security/automations/read",
    "Microsoft.Security/automations/write",
    "Microsoft.Security/automations/delete",
    "Microsoft.Logic/workflows/read",
    "Microsoft.Logic/workflows/write",
    "Microsoft.Logic/workflows/triggers/listCallbackUrl/action",
    "Microsoft.Logic/workflows/triggers/run/action",
    "Microsoft.Web/connections/read",
    "Microsoft.Web/connections/join/action",
    "Microsoft.Resources/deployments/write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/policyAssignments/write",
    "Microsoft.PolicyInsights/remediations/write",
    "Microsoft.EventHub/namespaces/authorizationRules/listkeys/action",
)
DELEGATION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
    "{515c2055-d9d4-4321-b1b9-bd0c9a0f79fe, acdd72a7-3385-48ef-bd42-f606fba81ae7}))"
)


def guid(rng: random.Random) -> str:
    """A random UUID-shaped id (from the seeded generator, so runs are reproducible)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:]}"


def tenant(n_assignments: int, seed: int) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The snapshot document and the pools the checks draw from."""
    rng = random.Random(seed)
    builtin_ids = [r.id for r in builtin_roles()]
    ops = sorted({a for r in builtin_roles() for p in r.permissions for a in p.actions if "*" not in a})

    # management groups: root → 3 → 9 → 27 (4 levels)
    root = guid(rng)
    mgs: dict[str, str | None] = {root: None}
    level = [root]
    for depth in range(1, 4):
        nxt: list[str] = []
        for parent in level:
            for i in range(3):
                name = f"mg-{depth}-{len(nxt)}-{i}"
                mgs[name] = parent
                nxt.append(name)
        level = nxt
    leaves = level
    subs = [guid(rng) for _ in range(50)]
    sub_mg = {s: leaves[i % len(leaves)] for i, s in enumerate(subs)}
    rgs = [f"/subscriptions/{subs[i % 50]}/resourceGroups/rg{i}" for i in range(500)]
    resources = [
        f"{rg}/providers/{kind}/r{j}"
        for rg in rgs
        for j, kind in enumerate(
            ("Microsoft.Logic/workflows", "Microsoft.Security/automations", "Microsoft.Web/connections")
        )
    ]

    # principals: users, SPs, groups (nested, a few cycles), every group's members exported
    users = [guid(rng) for _ in range(max(2000, n_assignments // 5))]
    sps = [guid(rng) for _ in range(max(200, n_assignments // 50))]
    groups = [guid(rng) for _ in range(max(200, n_assignments // 50))]
    members: dict[str, list[str]] = {g: [] for g in groups}
    for u in users + sps:
        for g in rng.sample(groups, rng.choice((0, 1, 1, 2, 3))):
            members[g].append(u)
    for i, g in enumerate(groups):
        if i % 4 == 0:
            members[rng.choice(groups)].append(g)  # nesting (cycles happen too)

    # custom roles built from real operation names
    custom = []
    for i in range(200):
        actions = [*rng.sample(ops, 8), f"{rng.choice(ops).split('/')[0]}/*/read"]
        custom.append(
            {
                "name": guid(rng),
                "roleName": f"Custom role {i}",
                "roleType": "CustomRole",
                "assignableScopes": [f"/subscriptions/{rng.choice(subs)}"],
                "permissions": [
                    {
                        "actions": actions,
                        "notActions": [rng.choice(actions)],
                        "dataActions": [],
                        "notDataActions": [],
                    }
                ],
            }
        )
    custom_ids = [c["name"] for c in custom]

    assignments = []
    for i in range(n_assignments):
        r = rng.random()
        if r < 0.02:
            scope = MG + rng.choice(list(mgs))
        elif r < 0.17:
            scope = f"/subscriptions/{rng.choice(subs)}"
        elif r < 0.77:
            scope = rng.choice(rgs)
        else:
            scope = rng.choice(resources)
        kind = rng.random()
        principal, ptype = (
            (rng.choice(users), "User")
            if kind < 0.70
            else (rng.choice(groups), "Group")
            if kind < 0.95
            else (rng.choice(sps), "ServicePrincipal")
        )
        role = rng.choice(custom_ids) if rng.random() < 0.2 else rng.choice(builtin_ids)
        item: dict[str, Any] = {
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid(rng)}",
            "principalId": principal,
            "principalType": ptype,
            "roleDefinitionId": f"/subscriptions/{subs[0]}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
        }
        if i % 100 == 0:
            item["roleDefinitionId"] = (
                "/providers/Microsoft.Authorization/roleDefinitions/f58310d9-a9f6-439a-9e8d-f62e7b41a168"
            )
            item["condition"], item["conditionVersion"] = DELEGATION, "2.0"
        if i % 20 == 1:
            item["eligible"] = True
        assignments.append(item)

    denies = []
    for i in range(200):
        scope = rng.choice(rgs) if i % 2 else f"/subscriptions/{rng.choice(subs)}"
        denies.append(
            {
                "id": f"{scope}/providers/Microsoft.Authorization/denyAssignments/{guid(rng)}",
                "properties": {
                    "denyAssignmentName": f"deny {i}",
                    "scope": scope,
                    "permissions": [{"actions": [rng.choice(CHECK_ACTIONS)], "notActions": []}],
                    "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
                    "excludePrincipals": [{"id": rng.choice(groups), "type": "Group"}],
                    "doNotApplyToChildScopes": i % 10 == 0,
                    "denyAssignmentEffect": "audit" if i % 7 == 0 else "enforced",
                },
            }
        )
    doc = {
        "roleDefinitions": custom,
        "roleAssignments": assignments,
        "denyAssignments": denies,
        "managementGroups": mgs,
        "subscriptions": sub_mg,
        "groups": members,
    }
    pools: dict[str, list[Any]] = {
        "principals": users + sps,
        "scopes": resources + rgs + [f"/subscriptions/{s}" for s in subs],
        "actions": list(CHECK_ACTIONS) + rng.sample(ops, 100),
    }
    return doc, pools


def questions(
    doc: dict[str, Any], pools: dict[str, list[Any]], n: int, seed: int
) -> list[tuple[str, str, str]]:
    """Half random (mostly denied), half the way RB checks ask: a principal that holds (directly
    or through a group) an assignment, at a scope at or below it, often for an action its role names."""
    rng = random.Random(seed)
    role_actions = {
        r.id: [a for p in r.permissions for a in p.actions if "*" not in a] for r in builtin_roles()
    }
    for c in doc["roleDefinitions"]:
        role_actions[c["name"]] = [a for p in c["permissions"] for a in p["actions"] if "*" not in a]
    below: dict[str, list[str]] = {}
    for scope in pools["scopes"]:
        parts = scope.split("/")
        for i in range(3, len(parts)):
            below.setdefault("/".join(parts[:i]), []).append(scope)
    out = []
    for i in range(n):
        action = rng.choice(pools["actions"] if i % 2 else CHECK_ACTIONS)
        if i % 2:
            out.append((rng.choice(pools["principals"]), rng.choice(pools["scopes"]), action))
            continue
        ra = rng.choice(doc["roleAssignments"])
        own = role_actions.get(ra["roleDefinitionId"].rsplit("/", 1)[-1])
        if own and i % 4 == 0:
            action = rng.choice(own)  # an action the held role names
        principal = ra["principalId"]
        if ra["principalType"] == "Group" and doc["groups"].get(principal):
            principal = rng.choice(doc["groups"][principal])
        scope = rng.choice(below.get(ra["scope"], [ra["scope"]]))
        out.append((principal, scope, action))
    return out


def load(doc: dict[str, Any], folder: Path) -> tuple[float, int, Any]:
    """(seconds for load_snapshot on the document written as a file, file size, snapshot)."""
    path = folder / "access.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    t0 = time.perf_counter()
    snap = load_snapshot(path)
    return time.perf_counter() - t0, path.stat().st_size, snap


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignments", type=int, default=100_000)
    ap.add_argument("--checks", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)

    print(f"python {platform.python_version()} on {platform.machine()} ({platform.system()})")
    t0 = time.perf_counter()
    builtins = builtin_roles()
    print(
        f"built-in roles: {len(builtins)} loaded in {(time.perf_counter() - t0) * 1000:.0f} ms (once per process)"
    )

    doc, pools = tenant(args.assignments, args.seed)
    print(
        f"tenant: {len(doc['roleAssignments']):,} assignments, {len(doc['roleDefinitions'])} custom roles, "
        f"{len(doc['denyAssignments'])} deny assignments, {len(doc['managementGroups'])} management groups "
        f"(4 levels), {len(doc['subscriptions'])} subscriptions, {len(doc['groups']):,} groups, "
        f"{len(pools['principals']):,} users/SPs"
    )
    print("\nload: load_snapshot(FILE) = read + JSON decode + parse + index (best of 3)")
    print(f"  {'assignments':>11}  {'file':>8}  {'load_snapshot':>13}  {'µs/assignment':>13}")
    snapshot = None
    with tempfile.TemporaryDirectory() as tmp:
        for fraction in (0.25, 0.5, 1.0):
            n = int(args.assignments * fraction)
            part = dict(doc, roleAssignments=doc["roleAssignments"][:n])
            total, size, snap = min((load(part, Path(tmp)) for _ in range(3)), key=lambda r: r[0])
            print(f"  {n:>11,}  {size / 1e6:>6.1f}MB  {total * 1000:>11.0f}ms  {total / n * 1e6:>13.2f}")
            snapshot = snap

    asked = questions(doc, pools, args.checks, args.seed + 1)
    print(f"\nevaluation of {args.checks:,} checks against {args.assignments:,} assignments:")
    for label, suggest in (("suggest=True ", True), ("suggest=False", False)):
        evaluator = Evaluator(snapshot, builtins)
        t0 = time.perf_counter()
        decisions = [evaluator.check(p, s, a, suggest=suggest).decision for p, s, a in asked]
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        for p, s, a in asked:
            evaluator.check(p, s, a, suggest=suggest)
        warm = time.perf_counter() - t0
        print(
            f"  {label}: cold {cold:.3f} s ({cold / args.checks * 1e6:.0f} µs/check), "
            f"warm {warm:.3f} s ({warm / args.checks * 1e6:.0f} µs/check)"
        )
    mix = Counter(decisions)
    print("  decisions: " + ", ".join(f"{k} {v:,}" for k, v in sorted(mix.items())))
    print(f"  target < 2 s for 10,000 checks: {'met' if cold < 2 * args.checks / 10_000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
