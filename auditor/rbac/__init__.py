"""Azure RBAC evaluation for role-prerequisite checks and ``auditor access explain``.

Typical use (RB checks)::

    from auditor.rbac import Evaluator, load_snapshot

    evaluator = Evaluator(load_snapshot("access.json"))   # index once
    d = evaluator.check(principal_id, scope, "Microsoft.Logic/workflows/triggers/listCallbackUrl/action")
    d.decision            # "allowed" | "denied" | "conditional" | "unknown"
    d.grants, d.denies, d.eligible, d.conditional, d.unknown, d.suggestion

Without a tenant snapshot (e.g. a template that assigns a role to a managed
identity), build the snapshot from objects::

    snap = AccessSnapshot(role_assignments=[RoleAssignment(id=..., principal_id=..., ...)])

and ask the shipped built-in roles directly: ``builtin_roles().named("Logic App
Operator").allows(action)``, ``builtin_roles().smallest_granting(action)``.

This package is imported only by commands and checks that need it; the built-in
role data loads on first use.
"""

from auditor.rbac.builtin import BuiltinRoles, Suggestion, builtin_roles
from auditor.rbac.evaluator import (
    ALLOWED,
    CONDITIONAL,
    DECISIONS,
    DENIED,
    UNKNOWN,
    Decision,
    Deny,
    Evaluator,
    Grant,
    evaluate_condition,
    explain,
    roles_granting,
)
from auditor.rbac.loader import load_snapshot, snapshot_from_data
from auditor.rbac.snapshot import (
    EVERYONE,
    AccessSnapshot,
    BlockMatch,
    DenyAssignment,
    Permission,
    PrincipalRef,
    RoleAssignment,
    RoleDefinition,
    SnapshotError,
    pattern_matches,
)

__all__ = [
    "ALLOWED",
    "CONDITIONAL",
    "DECISIONS",
    "DENIED",
    "EVERYONE",
    "UNKNOWN",
    "AccessSnapshot",
    "BlockMatch",
    "BuiltinRoles",
    "Decision",
    "Deny",
    "DenyAssignment",
    "Evaluator",
    "Grant",
    "Permission",
    "PrincipalRef",
    "RoleAssignment",
    "RoleDefinition",
    "SnapshotError",
    "Suggestion",
    "builtin_roles",
    "evaluate_condition",
    "explain",
    "load_snapshot",
    "pattern_matches",
    "roles_granting",
    "snapshot_from_data",
]
