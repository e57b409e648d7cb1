"""Role assignments whose principal is a nested deployment's output: linked to the identity it is.

Shared by the sources that evaluate templates with nested deployments (ARM JSON, Bicep modules).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor import model as m
from auditor.resource_ids import last_segment_key
from auditor.sources.core import extract
from auditor.unknown import ResourceReference


def follow_outputs(assignments: list[m.RoleAssignment], first: int, outputs: dict[str, Any]) -> None:
    """Link role assignments whose principal is a nested deployment's output
    (``reference('<deployment>').outputs.x.value``) that is a managed identity's principalId."""
    for i in range(first, len(assignments)):
        ra = assignments[i]
        if ra.principal_of is None:
            owner = extract.identity_owner(through_outputs(ra.principal_id, outputs))
            if owner is not None:
                assignments[i] = replace(ra, principal_of=owner)


def through_outputs(value: Any, outputs: dict[str, Any]) -> Any:
    """What ``reference('<deployment>'[, api, 'full']).[properties.]outputs.<x>.value`` evaluates to,
    when that nested deployment's outputs were recorded (None otherwise)."""
    if not isinstance(value, ResourceReference) or not isinstance(value.target, str):
        return None
    path = [p.lower() for p in value.path]
    if path[:1] == ["properties"]:
        path = path[1:]
    if len(path) < 3 or path[0] != "outputs" or path[2] != "value":
        return None
    target = value.target.strip().rstrip("/")
    if "/" in target and "/microsoft.resources/deployments/" not in target.lower():
        return None
    recorded = outputs.get(last_segment_key(target))
    return recorded.get(path[1]) if isinstance(recorded, dict) else None
