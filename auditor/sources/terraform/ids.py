"""Terraform resource types auditor maps, their JSON-valued attributes, and the synthetic ARM ids of their instances.

Terraform knows a resource's id only after apply; ``synthetic_id`` builds
``/subscriptions/{subscriptionId}/resourceGroups/<rg>/providers/<type>/<name>`` with the ARM
evaluator's placeholders so links within one configuration work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from auditor.sources.core.evaluation.template import (
    PLACEHOLDER_RESOURCE_GROUP,
    PLACEHOLDER_SUBSCRIPTION,
)
from auditor.unknown import Unknown, is_unknown

# ---------------------------------------------------------------- synthetic ids

#: azurerm resource types that are resource-group scoped ARM resources, and their ARM type.
ARM_TYPES: dict[str, str] = {
    "azurerm_logic_app_workflow": "Microsoft.Logic/workflows",
    # A Standard (single-tenant) Logic App is an App Service site of kind workflowapp: its id lets AUT210
    # tell an automation that targets it (it never runs) instead of an Unknown (SRC003).
    "azurerm_logic_app_standard": "Microsoft.Web/sites",
    "azurerm_api_connection": "Microsoft.Web/connections",
    "azurerm_security_center_automation": "Microsoft.Security/automations",
    "azurerm_user_assigned_identity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "azurerm_log_analytics_workspace": "Microsoft.OperationalInsights/workspaces",
    "azurerm_eventhub_namespace": "Microsoft.EventHub/namespaces",
    "azurerm_storage_account": "Microsoft.Storage/storageAccounts",
    "azurerm_key_vault": "Microsoft.KeyVault/vaults",
}

TRIGGER_TYPES = frozenset(
    {
        "azurerm_logic_app_trigger_custom",
        "azurerm_logic_app_trigger_http_request",
        "azurerm_logic_app_trigger_recurrence",
    }
)
ACTION_TYPES = frozenset({"azurerm_logic_app_action_custom", "azurerm_logic_app_action_http"})
POLICY_ASSIGNMENT_TYPES = frozenset(
    {
        "azurerm_policy_assignment",
        "azurerm_subscription_policy_assignment",
        "azurerm_resource_group_policy_assignment",
        "azurerm_management_group_policy_assignment",
        "azurerm_resource_policy_assignment",
    }
)

#: Attributes holding a JSON document (a string in a plan, ``jsonencode()``/heredoc in HCL).
JSON_ATTRIBUTES: dict[str, frozenset[str]] = {
    "azurerm_logic_app_trigger_custom": frozenset({"body"}),
    "azurerm_logic_app_action_custom": frozenset({"body"}),
    "azurerm_policy_definition": frozenset({"policy_rule", "parameters", "metadata"}),
    "azapi_resource": frozenset({"body"}),
    "azapi_resource_action": frozenset({"body"}),
    "azapi_update_resource": frozenset({"body"}),
    **{t: frozenset({"parameters", "metadata"}) for t in POLICY_ASSIGNMENT_TYPES},
}
#: Map attributes whose *values* are JSON documents (all keys, or the keys listed).
JSON_MAP_ATTRIBUTES: dict[str, dict[str, frozenset[str] | None]] = {
    "azurerm_logic_app_workflow": {"workflow_parameters": None, "parameters": frozenset({"$connections"})},
}


def is_json_attribute(type_: str, name: str) -> bool:
    """True when the attribute ``name`` of a ``type_`` resource holds a JSON document."""
    return name in JSON_ATTRIBUTES.get(type_, frozenset())


def json_map_keys(type_: str, name: str) -> frozenset[str] | Literal[False] | None:
    """For a map attribute whose values are JSON: the keys that are (None = all); False: not such a map."""
    return JSON_MAP_ATTRIBUTES.get(type_, {}).get(name, False)


def _rg(value: Any) -> str:
    return value if isinstance(value, str) and value else PLACEHOLDER_RESOURCE_GROUP


def synthetic_id(type_: str, get: Callable[[str], Any], address: str) -> Any:
    """The id a resource gets, from its configured attributes (``get(name)``; None when absent).

    Returns a str, an Unknown when the name (or parent) is not known, or None
    when ``type_`` is not a resource auditor builds ids for.
    """
    arm_type = ARM_TYPES.get(type_)
    if type_ == "azapi_resource":
        return _azapi_id(get, address)
    if arm_type is None and type_ not in (
        "azurerm_resource_group",
        "azurerm_policy_definition",
        "azurerm_eventhub",
        *TRIGGER_TYPES,
        *ACTION_TYPES,
    ):
        return None
    name = get("name")
    if not isinstance(name, str):
        reason = name.reason if is_unknown(name) else "it has no literal name"
        return Unknown(f"the id of {address} depends on its name, which is not known ({reason})")
    if type_ == "azurerm_resource_group":
        return f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{name}"
    if type_ in TRIGGER_TYPES or type_ in ACTION_TYPES:
        parent = get("logic_app_id")
        if not isinstance(parent, str):
            reason = parent.reason if is_unknown(parent) else "logic_app_id is not set"
            return Unknown(f"the id of {address} depends on its logic_app_id, which is not known ({reason})")
        kind = "triggers" if type_ in TRIGGER_TYPES else "actions"
        return f"{parent.rstrip('/')}/{kind}/{name}"
    if type_ == "azurerm_policy_definition":
        group = get("management_group_id")
        if isinstance(group, str) and group:
            return f"{group.rstrip('/')}/providers/Microsoft.Authorization/policyDefinitions/{name}"
        return f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/providers/Microsoft.Authorization/policyDefinitions/{name}"
    rg = _rg(get("resource_group_name"))
    base = f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{rg}/providers"
    if type_ == "azurerm_eventhub":
        namespace = get("namespace_name")
        ns = namespace if isinstance(namespace, str) else "{namespace}"
        return f"{base}/Microsoft.EventHub/namespaces/{ns}/eventhubs/{name}"
    return f"{base}/{arm_type}/{name}"


def _azapi_id(get: Callable[[str], Any], address: str) -> Any:
    type_ = get("type")
    name = get("name")
    if not isinstance(type_, str) or not isinstance(name, str):
        what = "type" if not isinstance(type_, str) else "name"
        value = type_ if what == "type" else name
        reason = value.reason if is_unknown(value) else f"it has no literal {what}"
        return Unknown(f"the id of {address} depends on its {what}, which is not known ({reason})")
    arm_type = type_.split("@", 1)[0]
    parts = arm_type.split("/")
    parent = get("parent_id")
    if not isinstance(parent, str):
        parent = f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{PLACEHOLDER_RESOURCE_GROUP}"
    parent = parent.rstrip("/")
    if len(parts) > 2:  # a child type: the parent is the parent resource
        return f"{parent}/{parts[-1]}/{name}"
    return f"{parent}/providers/{arm_type}/{name}"
