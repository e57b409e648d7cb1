"""Nullable parameters: one nobody supplies is ``null`` at deployment (a known value), not unknown.

ARM: a parameter declared ``"nullable": true`` without ``defaultValue``. Bicep: ``param x T?``, which
``bicep build`` writes as ``"nullable": true``. The null then flows through ``??``/``coalesce()``,
``.?``/``tryGet()``, ``empty()`` and a copy loop over ``x ?? []`` like any other value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.sources.bicep.syntax import parse
from auditor.sources.bicep.translate import Translator
from auditor.sources.core.cursor import SourceFile
from auditor.sources.dispatch import FileScan
from auditor.unknown import Unknown

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
API = "[subscriptionResourceId('Microsoft.Web/locations/managedApis', resourceGroup().location, 'teams')]"


def _connection(**properties: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.Web/connections",
        "apiVersion": "2016-06-01",
        "name": "[coalesce(parameters('connectionName'), 'teams-soc')]",
        "location": "westeurope",
        "properties": {"displayName": "teams", "api": {"id": API}, **properties},
    }


def _automation(name: str) -> dict[str, Any]:
    return {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": name,
        "location": "westeurope",
        "copy": {"name": "autos", "count": "[length(coalesce(parameters('automations'), createArray()))]"},
        "properties": {"isEnabled": True, "scopes": [], "sources": [], "actions": []},
    }


def _scan(
    tmp_path: Path, resources: list[Any], parameters: dict[str, Any], supplied: dict[str, Any] | None = None
):
    doc = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "parameters": parameters, "resources": resources}
    (tmp_path / "azuredeploy.json").write_text(json.dumps(doc, indent=2))
    if supplied is not None:
        (tmp_path / "azuredeploy.parameters.json").write_text(
            json.dumps(
                {"contentVersion": "1.0.0.0", "parameters": {k: {"value": v} for k, v in supplied.items()}}
            )
        )
    return FileScan().scan([tmp_path])


NULLABLE = {
    "connectionName": {"type": "string", "nullable": True},
    "credentials": {"type": "object", "nullable": True},
    "statuses": {"type": "array", "nullable": True},
}


def test_unsupplied_nullable_parameters_are_null(tmp_path: Path) -> None:
    props = {"parameterValues": "[parameters('credentials')]", "statuses": "[parameters('statuses')]"}
    (conn,) = _scan(tmp_path, [_connection(**props)], NULLABLE).connections
    assert conn.name == "teams-soc"  # coalesce(null, 'teams-soc')
    assert conn.has_credentials is False and conn.credentials_unknown is None
    assert conn.statuses == () and conn.statuses_unknown is None


def test_a_supplied_nullable_parameter_uses_its_value(tmp_path: Path) -> None:
    supplied = {"connectionName": "teams-prod", "credentials": {"token": "not-a-real-one"}}
    props = {"parameterValues": "[parameters('credentials')]"}
    (conn,) = _scan(tmp_path, [_connection(**props)], NULLABLE, supplied).connections
    assert conn.name == "teams-prod"
    assert conn.has_credentials is True


def test_explicit_null_from_a_parameters_file_is_null(tmp_path: Path) -> None:
    params = {"connectionName": {"type": "string"}, "credentials": {"type": "object"}}
    props = {"parameterValues": "[parameters('credentials')]"}
    supplied = {"connectionName": None, "credentials": None}
    (conn,) = _scan(tmp_path, [_connection(**props)], params, supplied).connections
    assert conn.name == "teams-soc"
    assert conn.has_credentials is False and conn.credentials_unknown is None


def test_a_default_wins_over_null(tmp_path: Path) -> None:
    params = {
        **NULLABLE,
        "connectionName": {"type": "string", "nullable": True, "defaultValue": "teams-default"},
    }
    (conn,) = _scan(tmp_path, [_connection()], params).connections
    assert conn.name == "teams-default"


def test_non_nullable_without_value_stays_unknown(tmp_path: Path) -> None:
    params = {"connectionName": {"type": "string"}, "credentials": {"type": "object", "nullable": False}}
    props = {"parameterValues": "[parameters('credentials')]"}
    (conn,) = _scan(tmp_path, [_connection(**props)], params).connections
    assert isinstance(conn.name, Unknown)
    assert conn.credentials_unknown is not None and "has no value" in conn.credentials_unknown.reason


def test_copy_loop_over_a_null_coalesced_to_empty_builds_nothing(tmp_path: Path) -> None:
    params = {"automations": {"type": "array", "nullable": True}}
    auto = _automation("[parameters('automations')[copyIndex()].name]")
    assert _scan(tmp_path, [auto], params).automations == []


def test_copy_loop_over_a_supplied_nullable_array(tmp_path: Path) -> None:
    params = {"automations": {"type": "array", "nullable": True}}
    auto = _automation("[parameters('automations')[copyIndex()].name]")
    inv = _scan(tmp_path, [auto], params, {"automations": [{"name": "a1"}, {"name": "a2"}]})
    assert [a.name for a in inv.automations] == ["a1", "a2"]


def test_property_of_null_is_unknown_not_a_crash(tmp_path: Path) -> None:
    """ARM fails a deployment that reads a property of null; auditor says it could not read it."""
    params = {**NULLABLE, "settings": {"type": "object", "nullable": True}}
    conn = _connection(parameterValues="[parameters('settings').credentials]")
    (found,) = _scan(tmp_path, [conn], params).connections
    assert found.credentials_unknown is not None and "of null" in found.credentials_unknown.reason


# --------------------------------------------------------------------------- Bicep


def _parameters(text: str) -> dict[str, Any]:
    return dict(Translator(parse(text), SourceFile("x.bicep", text)).template()["parameters"])


@pytest.mark.parametrize(
    "declaration",
    [
        "param p object?",
        "param p string?  // an optional name",
        "param p string[]?",
        "param p lockType?",
        "param p lockType[]?",
        "param p resourceInput<'Microsoft.Web/connections@2016-06-01'>.properties.parameterValues?",
        "param p {\n  name: string\n  kind: ('a' | 'b')?\n}?",
        "param p ('Alerts' | 'Assessments')?",
        "param p string? = 'fallback'",
    ],
)
def test_nullable_type_is_written_nullable(declaration: str) -> None:
    assert _parameters(declaration + "\n")["p"].get("nullable") is True


@pytest.mark.parametrize(
    "declaration",
    [
        "param p object",
        "param p string = 'what?'",
        "param p bool = empty('x') ? true : false",
        "param p {\n  name: string?\n}",
        "param p string // really?",
        "param p 'Alerts' | 'Assessments'",
    ],
)
def test_non_nullable_type_is_not(declaration: str) -> None:
    assert "nullable" not in _parameters(declaration + "\n")["p"]
