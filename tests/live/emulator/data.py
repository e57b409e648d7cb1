"""The emulated tenant: subscriptions, management groups and ARM resources, indexed for scope queries.

A data directory holds any number of ``*.json`` files, each an object with any of the keys
``tenantId`` (string), ``subscriptions``, ``managementGroups`` and ``resources`` (lists of ARM
objects exactly as ARM returns them). The files are merged. Resource groups are resources of type
``Microsoft.Resources/resourceGroups``; tenant-level resources (built-in role definitions, assessment
metadata) have ids that start with ``/providers/``; management-group resources start with
``/providers/Microsoft.Management/managementGroups/{mg}/providers/``.

The hierarchy comes from the management groups' ``properties.details.parent.id`` and their
``properties.children`` (entries of type ``/subscriptions`` place a subscription under that group).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_TENANT_ID = "d3b6f0a2-5c1e-4f7a-9b2d-1e8c4a6f0b13"

RESOURCE_GROUP_TYPE = "microsoft.resources/resourcegroups"
MG_TYPE = "microsoft.management/managementgroups"
MG_PREFIX = "/providers/microsoft.management/managementgroups/"

# Listed at a scope, these also return the items assigned at the scope's ancestors (as ARM does).
INHERITED_TYPES = frozenset(
    {
        "microsoft.authorization/roleassignments",
        "microsoft.authorization/denyassignments",
        "microsoft.authorization/policyassignments",
    }
)
# Tenant-level items of these types are returned at every scope too (built-in roles, built-in metadata).
TENANT_WIDE_TYPES = frozenset(
    {"microsoft.authorization/roledefinitions", "microsoft.security/assessmentmetadata"}
)
# Built-in role definitions listed at a subscription carry that subscription's id prefix, as in ARM.
REWRITE_ID_TYPES = frozenset({"microsoft.authorization/roledefinitions"})

_SUB_RE = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_RG_RE = re.compile(r"^/subscriptions/[^/]+/resourcegroups/([^/]+)", re.IGNORECASE)
_MG_RE = re.compile(r"^/providers/microsoft\.management/managementgroups/([^/]+)", re.IGNORECASE)


def norm(resource_id: str) -> str:
    """ARM ids compare case-insensitively and without a trailing slash."""
    return resource_id.rstrip("/").lower()


def subscription_of(resource_id: str) -> str | None:
    m = _SUB_RE.match(resource_id)
    return m.group(1).lower() if m else None


def resource_group_of(resource_id: str) -> str | None:
    m = _RG_RE.match(resource_id)
    return m.group(1) if m else None


def management_group_of(resource_id: str) -> str | None:
    m = _MG_RE.match(resource_id)
    return m.group(1).lower() if m else None


def scope_of(resource_id: str) -> str:
    """The scope a resource lives at: everything before its last ``/providers/`` segment ('' = tenant)."""
    low = resource_id.lower()
    cut = low.rfind("/providers/")
    if cut <= 0:
        return ""
    return resource_id[:cut]


def type_of(resource: JSON) -> str:
    return str(resource.get("type", "")).lower()


@dataclass
class Dataset:
    """Everything the emulator serves. Build with :meth:`from_dir` or :func:`make_subscriptions`."""

    tenant_id: str = DEFAULT_TENANT_ID
    subscriptions: list[JSON] = field(default_factory=list)
    management_groups: list[JSON] = field(default_factory=list)
    resources: list[JSON] = field(default_factory=list)

    # indexes, built by reindex()
    _subs: dict[str, JSON] = field(default_factory=dict, repr=False)
    _mgs: dict[str, JSON] = field(default_factory=dict, repr=False)
    _mg_parent: dict[str, str] = field(default_factory=dict, repr=False)
    _sub_parent: dict[str, str] = field(default_factory=dict, repr=False)
    _by_id: dict[str, JSON] = field(default_factory=dict, repr=False)
    _by_type: dict[str, list[JSON]] = field(default_factory=dict, repr=False)
    _by_sub_type: dict[tuple[str, str], list[JSON]] = field(default_factory=dict, repr=False)
    _rgs: dict[str, list[JSON]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    def from_dir(cls, path: str | Path | None = None) -> Dataset:
        """Merge every ``*.json`` file of ``path`` (default: the bundled data set)."""
        directory = Path(path) if path is not None else DEFAULT_DATA_DIR
        if not directory.is_dir():
            raise FileNotFoundError(f"emulator data directory not found: {directory}")
        ds = cls(tenant_id="")
        for file in sorted(directory.glob("*.json")):
            ds.add(json.loads(file.read_text(encoding="utf-8")), reindex=False)
        if not ds.tenant_id:
            ds.tenant_id = DEFAULT_TENANT_ID
        ds.reindex()
        return ds

    def add(self, doc: JSON, *, reindex: bool = True) -> None:
        """Merge one document (``tenantId``/``subscriptions``/``managementGroups``/``resources``)."""
        if doc.get("tenantId"):
            self.tenant_id = str(doc["tenantId"])
        self.subscriptions.extend(doc.get("subscriptions", []))
        self.management_groups.extend(doc.get("managementGroups", []))
        self.resources.extend(doc.get("resources", []))
        if reindex:
            self.reindex()

    def reindex(self) -> None:
        self._subs = {str(s["subscriptionId"]).lower(): s for s in self.subscriptions}
        self._mgs = {str(m["name"]).lower(): m for m in self.management_groups}
        self._mg_parent = {}
        self._sub_parent = {}
        for name, mg in self._mgs.items():
            props = mg.get("properties", {})
            parent = ((props.get("details") or {}).get("parent") or {}).get("id")
            if parent:
                pname = management_group_of(parent)
                if pname:
                    self._mg_parent[name] = pname
            for child in props.get("children") or []:
                if str(child.get("type", "")).lower() == "/subscriptions":
                    self._sub_parent[str(child["name"]).lower()] = name
                elif str(child.get("type", "")).lower() == MG_TYPE:
                    self._mg_parent.setdefault(str(child["name"]).lower(), name)
        self._by_id = {}
        self._by_type = {}
        self._by_sub_type = {}
        self._rgs = {}
        for res in self.resources:
            rid = str(res["id"])
            rtype = type_of(res)
            self._by_id[norm(rid)] = res
            sub = subscription_of(rid)
            if rtype == RESOURCE_GROUP_TYPE:
                if sub is not None:
                    self._rgs.setdefault(sub, []).append(res)
                continue
            self._by_type.setdefault(rtype, []).append(res)
            if sub is not None:
                self._by_sub_type.setdefault((sub, rtype), []).append(res)

    # -- lookups ----------------------------------------------------------------------------------

    def subscription(self, sub_id: str) -> JSON | None:
        return self._subs.get(sub_id.lower())

    def resource_groups(self, sub_id: str) -> list[JSON]:
        return list(self._rgs.get(sub_id.lower(), []))

    def resource_group(self, sub_id: str, name: str) -> JSON | None:
        for rg in self._rgs.get(sub_id.lower(), []):
            if str(rg["name"]).lower() == name.lower():
                return rg
        return None

    def management_group(self, name: str) -> JSON | None:
        return self._mgs.get(name.lower())

    def get(self, resource_id: str) -> JSON | None:
        return self._by_id.get(norm(resource_id))

    def known_types(self) -> set[str]:
        return set(self._by_type)

    def resources_in_subscription(self, sub_id: str) -> Iterator[JSON]:
        sub = sub_id.lower()
        for (s, _t), items in self._by_sub_type.items():
            if s == sub:
                yield from items

    def all_resources(self) -> Iterator[JSON]:
        for items in self._by_type.values():
            yield from items

    # -- hierarchy --------------------------------------------------------------------------------

    def mg_ancestors(self, mg_name: str) -> list[str]:
        """The management groups above ``mg_name`` (nearest first), without it."""
        out: list[str] = []
        seen = {mg_name.lower()}
        cur = self._mg_parent.get(mg_name.lower())
        while cur and cur not in seen:
            out.append(cur)
            seen.add(cur)
            cur = self._mg_parent.get(cur)
        return out

    def subscription_mg_chain(self, sub_id: str) -> list[str]:
        """The management groups above a subscription, nearest first."""
        parent = self._sub_parent.get(sub_id.lower())
        if parent is None:
            return []
        return [parent, *self.mg_ancestors(parent)]

    def subscriptions_under(self, mg_name: str) -> list[str]:
        """Subscription ids (lower case) below a management group, at any depth."""
        mg = mg_name.lower()
        return [s for s in self._subs if mg in self.subscription_mg_chain(s)]

    def mg_children(self, mg_name: str) -> list[str]:
        return [name for name, parent in self._mg_parent.items() if parent == mg_name.lower()]

    def ancestor_scopes(self, scope: str) -> list[str]:
        """Scopes strictly above ``scope`` as normalised ids; '' is the tenant root.

        Parent resources of nested resource scopes are not modelled (a resource scope's ancestors are
        its resource group, its subscription, the management groups and the root).
        """
        low = norm(scope)
        sub = subscription_of(low)
        if sub is not None:
            sub_scope = f"/subscriptions/{sub}"
            out: list[str] = []
            rg = resource_group_of(low)
            if rg is not None:
                rg_scope = f"{sub_scope}/resourcegroups/{rg.lower()}"
                if low != rg_scope:
                    out.append(rg_scope)
            if low != sub_scope:
                out.append(sub_scope)
            out.extend(MG_PREFIX + m for m in self.subscription_mg_chain(sub))
            out.append("")
            return out
        mg = management_group_of(low)
        if mg is not None:
            return [*(MG_PREFIX + m for m in self.mg_ancestors(mg)), ""]
        return []

    # -- scope listing ----------------------------------------------------------------------------

    def list_at_scope(self, scope: str, rtype: str) -> list[JSON]:
        """Items of ``rtype`` listed at ``scope`` ('' = tenant), following ARM's inheritance rules."""
        rtype = rtype.lower()
        scope_n = norm(scope)
        sub = subscription_of(scope_n)
        pool = self._by_sub_type.get((sub, rtype), []) if sub is not None else self._by_type.get(rtype, [])
        out: list[JSON] = []
        if sub is not None:
            prefix = scope_n + "/"
            out.extend(r for r in pool if norm(str(r["id"])).startswith(prefix))
        else:
            # tenant or management-group scope: only what lives exactly there
            out.extend(r for r in pool if norm(scope_of(str(r["id"]))) == scope_n)
        if rtype in INHERITED_TYPES:
            above = set(self.ancestor_scopes(scope_n))
            out.extend(r for r in self._by_type.get(rtype, []) if norm(scope_of(str(r["id"]))) in above)
        if rtype in TENANT_WIDE_TYPES and scope_n != "":
            for r in self._by_type.get(rtype, []):
                if scope_of(str(r["id"])) == "":
                    out.append(self._rewrite(r, scope_n, rtype))
        # in data order, each item once
        seen: set[str] = set()
        unique: list[JSON] = []
        for r in out:
            key = norm(str(r["id"]))
            if key not in seen:
                seen.add(key)
                unique.append(r)
        return unique

    def get_at_scope(self, resource_id: str) -> JSON | None:
        """GET by id, including tenant-wide items addressed below a subscription."""
        found = self.get(resource_id)
        if found is not None:
            return found
        scope = scope_of(resource_id)
        rest = resource_id[len(scope) :]
        m = re.match(r"^/providers/([^/]+/[^/]+)/([^/]+)$", rest, re.IGNORECASE)
        if m and m.group(1).lower() in TENANT_WIDE_TYPES and scope:
            tenant_item = self.get(rest)
            if tenant_item is not None:
                return self._rewrite(tenant_item, norm(scope), m.group(1).lower())
        return None

    def _rewrite(self, item: JSON, scope_n: str, rtype: str) -> JSON:
        if rtype not in REWRITE_ID_TYPES:
            return item
        sub = subscription_of(scope_n)
        if sub is None:
            return item
        original_sub = self._subs.get(sub, {}).get("subscriptionId", sub)
        clone = copy.deepcopy(item)
        clone["id"] = f"/subscriptions/{original_sub}{item['id']}"
        return clone


def load_dataset(data_dir: str | Path | None = None) -> Dataset:
    return Dataset.from_dir(data_dir)


# -- generated data for scale tests ---------------------------------------------------------------

_NS = uuid.UUID("0c7d3c52-3a55-4f3e-a0a8-6a1e2d8f9b10")


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def builtins_document() -> JSON:
    """The bundled tenant-level built-ins (role definitions, assessment metadata)."""
    doc: JSON = json.loads((DEFAULT_DATA_DIR / "builtins.json").read_text(encoding="utf-8"))
    return doc


def make_subscriptions(
    n: int,
    *,
    tenant_id: str = DEFAULT_TENANT_ID,
    location: str = "westeurope",
    prefix: str = "scale",
    now: datetime | None = None,
) -> Dataset:
    """A generated tenant of ``n`` subscriptions with a few workflow-automation resources each.

    Per subscription: one resource group, one automation (Alerts) pointing at one Logic App with a
    system identity and an ascalert trigger, two connections (ascalert connected; office365 in error for
    every 7th subscription), one role assignment for the Logic App's identity; every 10th subscription
    also has the DINE alerts policy assignment. Defender events: a High alert (``VM_SuspiciousCommandLine``,
    which the automation's ``Severity Equals High`` rule takes) and a Low alert (``VM_AmBroadFilesExclusion``,
    which it does not), generated 2 and 30 hours before ``now`` (default: the current time), and one
    Unhealthy endpoint-protection assessment. Nothing is written to disk.
    """
    moment = now or datetime.now(timezone.utc)
    builtins = builtins_document()
    root = tenant_id
    mg_name = f"mg-{prefix}"
    subscriptions: list[JSON] = []
    resources: list[JSON] = list(builtins.get("resources", []))
    children: list[JSON] = []
    security_reader = "39bc4728-0917-49c7-9d2c-d95423bc2eb4"
    for i in range(n):
        sub = _guid(prefix, "sub", i)
        sub_scope = f"/subscriptions/{sub}"
        subscriptions.append(subscription_object(sub, f"{prefix}-{i:05d}", tenant_id))
        children.append(
            {"id": sub_scope, "type": "/subscriptions", "name": sub, "displayName": f"{prefix}-{i:05d}"}
        )
        rg = f"rg-secops-{i:05d}"
        rg_id = f"{sub_scope}/resourceGroups/{rg}"
        resources.append(resource_group_object(sub, rg, location))
        wf_name = f"wf-alerts-{i:05d}"
        wf_id = f"{rg_id}/providers/Microsoft.Logic/workflows/{wf_name}"
        principal = _guid(prefix, "wf-principal", i)
        conn_alert = f"{rg_id}/providers/Microsoft.Web/connections/ascalert"
        conn_mail = f"{rg_id}/providers/Microsoft.Web/connections/office365"
        api = f"{sub_scope}/providers/Microsoft.Web/locations/{location}/managedApis"
        resources.append(
            workflow_object(
                wf_id,
                location,
                tenant_id,
                principal,
                trigger_name="When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered",
                trigger_path="/Microsoft.Security/Alert/subscribe",
                connections={
                    "ascalert": (conn_alert, f"{api}/ascalert"),
                    "office365": (conn_mail, f"{api}/office365"),
                },
            )
        )
        resources.append(connection_object(conn_alert, location, f"{api}/ascalert", "ascalert", error=None))
        resources.append(
            connection_object(
                conn_mail,
                location,
                f"{api}/office365",
                "office365",
                error="Unauthenticated" if i % 7 == 0 else None,
            )
        )
        resources.append(
            automation_object(
                f"{rg_id}/providers/Microsoft.Security/automations/notify-alerts-{i:05d}",
                location,
                sub_scope,
                "Alerts",
                [[("Severity", "High", "Equals")]],
                wf_id,
            )
        )
        vm = f"{rg_id}/providers/Microsoft.Compute/virtualMachines/vm-{i:05d}"
        for hours, severity, alert_type, display in (
            (2, "High", "VM_SuspiciousCommandLine", "Suspicious command line on a virtual machine"),
            (30, "Low", "VM_AmBroadFilesExclusion", "Unusual file exclusion rule in antimalware"),
        ):
            stamp = (moment - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            resources.append(
                alert_object(
                    sub,
                    rg,
                    location,
                    _guid(prefix, "alert", i, alert_type),
                    alert_type=alert_type,
                    display_name=display,
                    severity=severity,
                    generated=stamp,
                    resource=vm,
                )
            )
        resources.append(
            assessment_object(
                vm,
                "4fb67663-9ab9-475d-b026-8c544cced439",
                "Endpoint protection should be installed on your machines",
                "Unhealthy",
                "High",
            )
        )
        ra = _guid(prefix, "ra", i)
        resources.append(
            {
                "id": f"{sub_scope}/providers/Microsoft.Authorization/roleAssignments/{ra}",
                "name": ra,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"{sub_scope}/providers/Microsoft.Authorization/roleDefinitions/{security_reader}",
                    "principalId": principal,
                    "principalType": "ServicePrincipal",
                    "scope": sub_scope,
                    "condition": None,
                    "conditionVersion": None,
                    "createdOn": "2024-03-01T10:00:00.0000000Z",
                    "updatedOn": "2024-03-01T10:00:00.0000000Z",
                    "createdBy": None,
                    "updatedBy": None,
                    "delegatedManagedIdentityResourceId": None,
                    "description": None,
                },
            }
        )
        if i % 10 == 0:
            pa = f"wfa-alerts-{i:05d}"
            resources.append(
                {
                    "id": f"{sub_scope}/providers/Microsoft.Authorization/policyAssignments/{pa}",
                    "name": pa,
                    "type": "Microsoft.Authorization/policyAssignments",
                    "location": location,
                    "identity": {
                        "type": "SystemAssigned",
                        "principalId": _guid(prefix, "pa-principal", i),
                        "tenantId": tenant_id,
                    },
                    "properties": {
                        "displayName": "Deploy Workflow Automation for Microsoft Defender for Cloud alerts",
                        "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/f1525828-9a90-4fcf-be48-268cdd02361e",
                        "definitionVersion": "1.*.*",
                        "scope": sub_scope,
                        "notScopes": [],
                        "enforcementMode": "Default",
                        "parameters": {
                            "automationName": {"value": f"notify-alerts-{i:05d}"},
                            "resourceGroupName": {"value": rg},
                            "resourceGroupLocation": {"value": location},
                            "alertSeverities": {"value": ["High"]},
                            "logicAppResourceId": {"value": wf_id},
                            "logicAppTrigger": {
                                "value": "When an Azure Security Center Alert is created or triggered"
                            },
                        },
                        "metadata": {
                            "assignedBy": "Security Team",
                            "createdOn": "2024-03-01T10:00:00.0000000Z",
                        },
                        "nonComplianceMessages": [],
                    },
                }
            )
    mgs = [
        management_group_object(
            root,
            "Tenant Root Group",
            tenant_id,
            None,
            [{"id": MG_PREFIX + mg_name, "type": MG_TYPE, "name": mg_name}],
        ),
        management_group_object(mg_name, f"{prefix} subscriptions", tenant_id, root, children),
    ]
    return Dataset(
        tenant_id=tenant_id, subscriptions=subscriptions, management_groups=mgs, resources=resources
    )


# -- object builders (shared with the generator) --------------------------------------------------


def subscription_object(sub: str, display_name: str, tenant_id: str, state: str = "Enabled") -> JSON:
    return {
        "id": f"/subscriptions/{sub}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub,
        "tenantId": tenant_id,
        "displayName": display_name,
        "state": state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "EnterpriseAgreement_2014-09-01",
            "spendingLimit": "Off",
        },
        "tags": {},
    }


def resource_group_object(sub: str, name: str, location: str) -> JSON:
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": {},
        "properties": {"provisioningState": "Succeeded"},
    }


def management_group_object(
    name: str, display_name: str, tenant_id: str, parent: str | None, children: list[JSON]
) -> JSON:
    return {
        "id": f"/providers/Microsoft.Management/managementGroups/{name}",
        "type": "Microsoft.Management/managementGroups",
        "name": name,
        "properties": {
            "tenantId": tenant_id,
            "displayName": display_name,
            "details": {
                "version": 1,
                "updatedTime": "2024-01-15T09:00:00.0000000Z",
                "updatedBy": "a9b8c7d6-0000-4000-8000-00000000abcd",
                "parent": (
                    {"id": f"/providers/Microsoft.Management/managementGroups/{parent}", "name": parent}
                    if parent
                    else None
                ),
            },
            "children": children,
        },
    }


def workflow_object(
    wf_id: str,
    location: str,
    tenant_id: str,
    principal_id: str | None,
    *,
    trigger_name: str,
    trigger_path: str,
    connections: dict[str, tuple[str, str]],
    trigger_connection: str = "ascalert",
    state: str = "Enabled",
) -> JSON:
    name = wf_id.rsplit("/", 1)[-1]
    identity: JSON = (
        {"type": "SystemAssigned", "principalId": principal_id, "tenantId": tenant_id}
        if principal_id
        else {"type": "None"}
    )
    actions: JSON = {}
    if "office365" in connections:
        actions["Send_an_email_(V2)"] = {
            "runAfter": {},
            "type": "ApiConnection",
            "inputs": {
                "host": {"connection": {"name": "@parameters('$connections')['office365']['connectionId']"}},
                "method": "post",
                "path": "/v2/Mail",
                "body": {
                    "To": "secops@contoso.example",
                    "Subject": "Defender for Cloud: @{triggerBody()?['AlertDisplayName']}",
                    "Body": "<p>@{triggerBody()?['Description']}</p>",
                    "Importance": "High",
                },
            },
        }
    return {
        "id": wf_id,
        "name": name,
        "type": "Microsoft.Logic/workflows",
        "location": location,
        "tags": {},
        "identity": identity,
        "properties": {
            "provisioningState": "Succeeded",
            "createdTime": "2024-03-01T10:00:00.0000000Z",
            "changedTime": "2024-05-20T08:30:00.0000000Z",
            "state": state,
            "version": "08584867510531230213",
            "accessEndpoint": f"https://prod-00.{location}.logic.azure.com:443/workflows/{uuid.uuid5(_NS, wf_id).hex}",
            "definition": {
                "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
                "triggers": {
                    trigger_name: {
                        "type": "ApiConnectionWebhook",
                        "inputs": {
                            "host": {
                                "connection": {
                                    "name": f"@parameters('$connections')['{trigger_connection}']['connectionId']"
                                }
                            },
                            "body": {"callback_url": "@{listCallbackUrl()}"},
                            "path": trigger_path,
                        },
                    }
                },
                "actions": actions,
                "outputs": {},
            },
            "parameters": {
                "$connections": {
                    "value": {
                        key: {"connectionId": cid, "connectionName": cid.rsplit("/", 1)[-1], "id": api}
                        for key, (cid, api) in connections.items()
                    }
                }
            },
            "endpointsConfiguration": {
                "workflow": {"outgoingIpAddresses": [], "accessEndpointIpAddresses": []},
                "connector": {"outgoingIpAddresses": []},
            },
        },
    }


def connection_object(conn_id: str, location: str, api_id: str, api_name: str, *, error: str | None) -> JSON:
    status: JSON = {"status": "Connected"}
    if error:
        status = {
            "status": "Error",
            "target": "token",
            "error": {"code": error, "message": "This connection is not authenticated."},
        }
    return {
        "id": conn_id,
        "name": conn_id.rsplit("/", 1)[-1],
        "type": "Microsoft.Web/connections",
        "location": location,
        "kind": "V1",
        "tags": {},
        "properties": {
            "displayName": api_name,
            "authenticatedUser": {},
            "overallStatus": status["status"],
            "statuses": [status],
            "connectionState": "Enabled",
            "createdTime": "2024-03-01T10:00:00.0000000Z",
            "changedTime": "2024-05-20T08:30:00.0000000Z",
            "api": {
                "name": api_name,
                "displayName": API_DISPLAY_NAMES.get(api_name, api_name),
                "description": API_DISPLAY_NAMES.get(api_name, api_name),
                "iconUri": f"https://connectoricons-prod.azureedge.net/releases/v1.0.1680/1.0.1680.3652/{api_name}/icon.png",
                "brandColor": "#0072C6",
                "category": "Standard",
                "id": api_id,
                "type": "Microsoft.Web/locations/managedApis",
            },
            "testLinks": [],
        },
    }


API_DISPLAY_NAMES = {
    "ascalert": "Microsoft Defender for Cloud Alert",
    "ascassessment": "Microsoft Defender for Cloud Recommendation",
    "ascregulatorycomplianceassessment": "Microsoft Defender for Cloud Regulatory Compliance",
    "office365": "Office 365 Outlook",
    "teams": "Microsoft Teams",
}


def automation_object(
    automation_id: str,
    location: str,
    scope_path: str,
    event_source: str,
    rule_sets: Iterable[Iterable[tuple[str, str, str]]],
    logic_app_id: str,
    *,
    enabled: bool = True,
    description: str = "",
) -> JSON:
    """An automation as GET returns it: the action's ``uri`` (a callback URL with a SAS) is never returned."""
    return {
        "id": automation_id,
        "name": automation_id.rsplit("/", 1)[-1],
        "type": "Microsoft.Security/automations",
        "location": location,
        "etag": f'"{uuid.uuid5(_NS, automation_id).hex[:8]}-0000-0d00-0000-65f1a2b30000"',
        "tags": {},
        "properties": {
            "description": description,
            "isEnabled": enabled,
            "scopes": [{"description": f"scope {scope_path}", "scopePath": scope_path}],
            "sources": [
                {
                    "eventSource": event_source,
                    "ruleSets": [
                        {
                            "rules": [
                                {
                                    "propertyJPath": path,
                                    "propertyType": "String",
                                    "expectedValue": value,
                                    "operator": op,
                                }
                                for path, value, op in rules
                            ]
                        }
                        for rules in rule_sets
                    ],
                }
            ],
            "actions": [{"actionType": "LogicApp", "logicAppResourceId": logic_app_id}],
        },
    }


def alert_object(
    sub: str,
    resource_group: str,
    location: str,
    name: str,
    *,
    alert_type: str,
    display_name: str,
    severity: str,
    generated: str,
    resource: str,
    status: str = "Active",
    intent: str = "Execution",
    product: str = "Microsoft Defender for Servers",
) -> JSON:
    """A security alert as Alerts_List (2022-01-01) returns it: stored per location, an AzureResource and a
    LogAnalytics identifier, times as ISO 8601 UTC strings."""
    rid = f"/subscriptions/{sub}/resourceGroups/{resource_group}/providers/Microsoft.Security/locations/{location}/alerts/{name}"
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.Security/Locations/alerts",
        "properties": {
            "version": "2022-01-01",
            "alertType": alert_type,
            "systemAlertId": name,
            "productComponentName": "Servers",
            "alertDisplayName": display_name,
            "description": f"{display_name}: generated by the emulator for scale tests.",
            "severity": severity,
            "intent": intent,
            "startTimeUtc": generated,
            "endTimeUtc": generated,
            "resourceIdentifiers": [{"type": "AzureResource", "azureResourceId": resource}],
            "remediationSteps": ["Review the activity on the affected resource."],
            "vendorName": "Microsoft",
            "status": status,
            "extendedLinks": [],
            "alertUri": f"https://portal.azure.com/#blade/Microsoft_Azure_Security/AlertBlade/alertId/{name}",
            "timeGeneratedUtc": generated,
            "productName": product,
            "processingEndTimeUtc": generated,
            "entities": [{"type": "azure-resource", "resourceId": resource}],
            "isIncident": False,
            "correlationKey": f"corr-{name[-8:]}",
            "extendedProperties": {},
            "compromisedEntity": resource.rsplit("/", 1)[-1],
            "techniques": [],
            "subTechniques": [],
        },
    }


def assessment_object(resource: str, name: str, display_name: str, code: str, severity: str) -> JSON:
    """A security assessment as Assessments_List (2021-06-01) returns it (an extension of ``resource``)."""
    return {
        "id": f"{resource}/providers/Microsoft.Security/assessments/{name}",
        "name": name,
        "type": "Microsoft.Security/assessments",
        "properties": {
            "resourceDetails": {"source": "Azure", "id": resource},
            "displayName": display_name,
            "status": {"code": code, "firstEvaluationDate": "2026-10-02T08:00:00Z"},
            "additionalData": {},
            "metadata": {"displayName": display_name, "severity": severity, "assessmentType": "BuiltIn"},
        },
    }
