"""Decide what a JSON document is by its content, not its file name.

People name templates ``azuredeploy.json``, ``template.json``, ``main.json`` or
``WorkflowAutomationForASCAlertsPolicy.json``; the shape is what counts. A
document we do not understand is *not ours*: skipped and counted, never an
error.
"""

from __future__ import annotations

from typing import Any

TEMPLATE_SCHEMAS = (
    "deploymenttemplate.json",
    "subscriptiondeploymenttemplate.json",
    "managementgroupdeploymenttemplate.json",
    "tenantdeploymenttemplate.json",
)


def _schema(doc: dict[str, Any]) -> str:
    schema = doc.get("$schema")
    return schema.lower() if isinstance(schema, str) else ""


def _is_resource_body(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("type"), str)
        and "/" in value["type"]
        and ("properties" in value or "id" in value)
    )


def classify(doc: Any) -> tuple[str, str | None]:
    """Return (kind, detail) for a parsed document; kinds match ``auditor.model.FileKind``."""
    if isinstance(doc, list):
        if doc and all(_is_resource_body(v) for v in doc):
            return "resource", "list of resources"
        return "not-ours", "a JSON array that is not a list of Azure resources"
    if not isinstance(doc, dict):
        return "not-ours", "not a JSON object"
    schema = _schema(doc)
    if any(s in schema for s in TEMPLATE_SCHEMAS) or (
        "resources" in doc and ("contentVersion" in doc or "$schema" in doc)
    ):
        return "template", None
    if "deploymentparameters.json" in schema or (
        isinstance(doc.get("parameters"), dict) and "contentVersion" in doc and "resources" not in doc
    ):
        return "parameters", None
    props: dict[str, Any] = doc["properties"] if isinstance(doc.get("properties"), dict) else {}
    raw_type = doc.get("type")
    doc_type = raw_type.lower() if isinstance(raw_type, str) else ""  # str() of a deep value would recurse
    if (
        "policyRule" in props
        or "policyRule" in doc
        or doc_type == "microsoft.authorization/policydefinitions"
    ):
        return "policy-definition", None
    if "policyDefinitions" in props or doc_type == "microsoft.authorization/policysetdefinitions":
        return "policy-set", None
    if "policyDefinitionId" in props or doc_type == "microsoft.authorization/policyassignments":
        return "policy-assignment", None
    definition = doc.get("definition")
    if isinstance(definition, dict) and ("triggers" in definition or "actions" in definition):
        return "resource", "Logic App code view (definition + parameters)"
    if _is_resource_body(doc):
        return "resource", "exported resource"
    value = doc.get("value")
    if isinstance(value, list) and value and all(_is_resource_body(v) for v in value):
        return "resource", "REST list response"
    if isinstance(doc.get("responses"), dict) and "parameters" in doc:
        return "resource", "REST API example"
    if ("AssignableScopes" in doc or "assignableScopes" in doc) and (
        "Actions" in doc or "actions" in doc or "permissions" in doc
    ):
        return "role-definition", None
    return "not-ours", "no Azure template, policy or resource shape recognised"
