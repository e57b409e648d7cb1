"""What a live scan reads: each resource type with its API version, REST filter and Resource Graph query.

One :class:`Read` per type; the access reads feed the RB checks' snapshot. Resource Graph rows are turned
into the REST body shape here, so both strategies hand the builder the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.resource_ids import last_segment_key
from auditor.sources.live.options import (
    WORKFLOW_AUTOMATION_POLICIES,
)

SUBSCRIPTIONS_TYPE = "Microsoft.Resources/subscriptions"
MANAGEMENT_GROUPS_TYPE = "Microsoft.Management/managementGroups"
METADATA_TYPE = "Microsoft.Security/assessmentMetadata"
MG_API = "2020-05-01"
SUBSCRIPTIONS_API = "2022-12-01"
METADATA_API = "2021-06-01"
GRAPH_BATCH = 1000  # Resource Graph accepts at most 1,000 subscriptions per query


@dataclass(frozen=True)
class Read:
    """One resource type read per subscription (REST) or per batch of subscriptions (Resource Graph)."""

    resource_type: str
    api_version: str
    table: str  # Resource Graph table
    graph_where: str
    filter: str | None = None  # REST $filter
    inventory: bool = True  # its bodies become inventory elements
    access: str | None = None  # its bodies go into this section of the access snapshot
    keep: Callable[[dict[str, Any]], bool] | None = None
    tenant_level_rows: bool = False  # Resource Graph also holds rows above subscriptions (MG, root)


def is_workflow_automation_policy(body: dict[str, Any]) -> bool:
    props = body.get("properties")
    ref = props.get("policyDefinitionId") if isinstance(props, dict) else None
    return isinstance(ref, str) and last_segment_key(ref) in WORKFLOW_AUTOMATION_POLICIES


_POLICY_IDS = ", ".join(
    f"'/providers/Microsoft.Authorization/policyDefinitions/{guid}'" for guid in WORKFLOW_AUTOMATION_POLICIES
)

READS: tuple[Read, ...] = (
    Read(
        "Microsoft.Security/automations",
        "2019-01-01-preview",
        "resources",
        "type =~ 'microsoft.security/automations'",
    ),
    Read("Microsoft.Logic/workflows", "2019-05-01", "resources", "type =~ 'microsoft.logic/workflows'"),
    Read("Microsoft.Web/connections", "2016-06-01", "resources", "type =~ 'microsoft.web/connections'"),
    Read(
        "Microsoft.Authorization/roleAssignments",
        "2022-04-01",
        "authorizationresources",
        "type =~ 'microsoft.authorization/roleassignments'",
        access="roleAssignments",
        tenant_level_rows=True,
    ),
    Read(
        "Microsoft.Authorization/roleDefinitions",
        "2022-04-01",
        "authorizationresources",
        "type =~ 'microsoft.authorization/roledefinitions' and properties.type =~ 'CustomRole'",
        filter="type eq 'CustomRole'",
        access="roleDefinitions",
        tenant_level_rows=True,
    ),
    Read(
        "Microsoft.Authorization/denyAssignments",
        "2022-04-01",
        "authorizationresources",
        "type =~ 'microsoft.authorization/denyassignments'",
        inventory=False,
        access="denyAssignments",
        tenant_level_rows=True,
    ),
    Read(
        "Microsoft.Authorization/policyAssignments",
        "2023-04-01",
        "policyresources",
        f"type =~ 'microsoft.authorization/policyassignments' and properties.policyDefinitionId in~ ({_POLICY_IDS})",
        keep=is_workflow_automation_policy,
        tenant_level_rows=True,
    ),
)
ACCESS_READS = tuple(r for r in READS if r.access)


def graph_row_body(row: dict[str, Any]) -> dict[str, Any]:
    """A Resource Graph row → the REST body shape ``InventoryBuilder.add_live_body`` reads."""
    return {
        k: row[k]
        for k in ("id", "name", "type", "location", "kind", "identity", "properties")
        if row.get(k) is not None
    }


def flagged_metadata(body: dict[str, Any]) -> bool:
    props = body.get("properties")
    return isinstance(props, dict) and bool(props.get("plannedDeprecationDate") or props.get("preview"))
