"""Template evaluation through the real ARM source: parameters, variables, copy loops, nested deployments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.sources.dispatch import FileScan
from auditor.unknown import CallbackUrl, Unknown


def _template(
    resources: list[Any],
    parameters: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    schema: str = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
) -> dict[str, Any]:
    return {
        "$schema": schema,
        "contentVersion": "1.0.0.0",
        "parameters": parameters or {},
        "variables": variables or {},
        "resources": resources,
    }


def _scan(
    tmp_path: Path, doc: dict[str, Any], name: str = "azuredeploy.json", params: dict[str, Any] | None = None
):
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    if params is not None:
        (tmp_path / name.replace(".json", ".parameters.json")).write_text(
            json.dumps(
                {
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                    "contentVersion": "1.0.0.0",
                    "parameters": {k: {"value": v} for k, v in params.items()},
                }
            )
        )
    return FileScan().scan([tmp_path])


def _automation(
    name: str = "auto",
    uri: str = "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', parameters('la'), 'manual'), '2019-05-01').value]",
) -> dict[str, Any]:
    return {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": name,
        "location": "westeurope",
        "properties": {
            "isEnabled": True,
            "scopes": [{"scopePath": "[subscription().id]"}],
            "sources": [{"eventSource": "Alerts"}],
            "actions": [
                {
                    "actionType": "LogicApp",
                    "logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', parameters('la'))]",
                    "uri": uri,
                }
            ],
        },
    }


def test_parameter_default_and_callback_target(tmp_path: Path) -> None:
    inv = _scan(
        tmp_path, _template([_automation()], parameters={"la": {"type": "string", "defaultValue": "my-la"}})
    )
    (auto,) = inv.automations
    action = auto.actions[0]
    assert (
        action.logic_app_id
        == "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Logic/workflows/my-la"
    )
    assert isinstance(action.uri, CallbackUrl)
    assert action.uri.target.endswith("/Microsoft.Logic/workflows/my-la/triggers/manual")
    assert auto.scopes[0].scope_path == "/subscriptions/{subscriptionId}"


def test_parameters_file_beside_template_wins_over_default(tmp_path: Path) -> None:
    doc = _template([_automation()], parameters={"la": {"type": "string", "defaultValue": "my-la"}})
    inv = _scan(tmp_path, doc, params={"la": "from-file"})
    assert inv.automations[0].actions[0].logic_app_id.endswith("/workflows/from-file")


def test_missing_parameter_is_unknown_not_a_guess(tmp_path: Path) -> None:
    inv = _scan(tmp_path, _template([_automation()], parameters={"la": {"type": "string"}}))
    action = inv.automations[0].actions[0]
    assert isinstance(action.logic_app_id, Unknown)
    assert "la" in action.logic_app_id.reason
    assert isinstance(action.uri, CallbackUrl) and isinstance(action.uri.target, Unknown)


def test_variables_are_case_insensitive_and_lazy(tmp_path: Path) -> None:
    auto = _automation(name="[variables('AutoName')]")
    inv = _scan(
        tmp_path,
        _template(
            [auto],
            parameters={"la": {"type": "string", "defaultValue": "x"}},
            variables={"autoname": "[concat('auto-', parameters('LA'))]"},
        ),
    )
    assert inv.automations[0].name == "auto-x"


def test_property_copy_loop_expands_rule_sets(tmp_path: Path) -> None:
    auto = _automation()
    auto["properties"]["sources"] = [
        {
            "eventSource": "Alerts",
            "copy": [
                {
                    "name": "ruleSets",
                    "count": "[length(parameters('severities'))]",
                    "input": {
                        "rules": [
                            {
                                "propertyJPath": "Severity",
                                "propertyType": "String",
                                "operator": "Equals",
                                "expectedValue": "[parameters('severities')[copyIndex('ruleSets')]]",
                            }
                        ]
                    },
                }
            ],
        }
    ]
    params = {
        "la": {"type": "string", "defaultValue": "x"},
        "severities": {"type": "array", "defaultValue": ["High", "Medium"]},
    }
    inv = _scan(tmp_path, _template([auto], parameters=params))
    rule_sets = inv.automations[0].sources[0].rule_sets
    assert [rs.rules[0].expected_value for rs in rule_sets] == ["High", "Medium"]
    assert rule_sets[0].origin.line > 0


def test_resource_copy_and_condition(tmp_path: Path) -> None:
    looped = _automation(name="[concat('auto-', copyIndex())]")
    looped["copy"] = {"name": "autos", "count": 3}
    skipped = _automation(name="never")
    skipped["condition"] = "[equals(parameters('deploy'), 'yes')]"
    params = {
        "la": {"type": "string", "defaultValue": "x"},
        "deploy": {"type": "string", "defaultValue": "no"},
    }
    inv = _scan(tmp_path, _template([looped, skipped], parameters=params))
    assert [a.name for a in inv.automations] == ["auto-0", "auto-1", "auto-2"]


def test_nested_inner_deployment_has_its_own_parameters(tmp_path: Path) -> None:
    inner = _template([_automation()], parameters={"la": {"type": "string"}})
    nested = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2021-04-01",
        "name": "inner",
        "properties": {
            "mode": "Incremental",
            "expressionEvaluationOptions": {"scope": "inner"},
            "parameters": {"la": {"value": "[concat(parameters('prefix'), '-la')]"}},
            "template": inner,
        },
    }
    inv = _scan(
        tmp_path, _template([nested], parameters={"prefix": {"type": "string", "defaultValue": "soc"}})
    )
    (auto,) = inv.automations
    assert auto.actions[0].logic_app_id.endswith("/workflows/soc-la")
    assert auto.origin.deployment == "nested deployment 'inner'"


def _deployment_of(template: Any, name: str = "reuse") -> dict[str, Any]:
    return {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2021-04-01",
        "name": name,
        "properties": {"mode": "Incremental", "template": template},
    }


def test_nested_template_given_by_an_expression_is_unresolved_not_a_wrong_shape(tmp_path: Path) -> None:
    # ARM evaluates the expression to the template object at deployment (Enterprise-Scale reuses a
    # DINE policy's deployment template this way): valid, but what it deploys is unknown.
    ref = (
        "[reference(parameters('def'), '2021-06-01').policyRule.then.details.deployment.properties.template]"
    )
    doc = _template(
        [_deployment_of(ref, "by-reference"), _deployment_of("[variables('inner')]", "by-variable")],
        parameters={"def": {"type": "string"}},
        variables={"inner": _template([_automation()])},
    )
    inv = _scan(tmp_path, doc)
    assert [p.code for p in inv.problems] == ["unresolved", "unresolved"]
    first, second = inv.problems
    assert "only at deployment" in first.message and "nothing inside it is checked" in first.message
    assert "does not follow" in second.message
    assert inv.automations == []  # nothing inside is read, so nothing is invented


def test_nested_template_expression_known_to_be_no_object_is_still_a_wrong_shape(tmp_path: Path) -> None:
    doc = _template(
        [
            _deployment_of("[concat('play', 'book.json')]", "a"),
            _deployment_of("[[escaped]", "b"),
            _deployment_of("[concat('a'", "c"),
        ]
    )
    inv = _scan(tmp_path, doc)
    assert [p.code for p in inv.problems] == ["invalid-template-shape"] * 3
    assert all("is a string, but must be an object" in p.message for p in inv.problems)


def test_nested_template_expression_with_bad_syntax_is_an_invalid_expression(tmp_path: Path) -> None:
    inv = _scan(tmp_path, _template([_deployment_of("[reference('x').properties.template)]")]))
    assert [p.code for p in inv.problems] == ["invalid-expression"]


def test_nested_outer_deployment_sees_parent_parameters(tmp_path: Path) -> None:
    nested = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2021-04-01",
        "name": "outer",
        "resourceGroup": "rg-sec",
        "properties": {"mode": "Incremental", "template": _template([_automation()])},
    }
    inv = _scan(
        tmp_path, _template([nested], parameters={"la": {"type": "string", "defaultValue": "parent-la"}})
    )
    action = inv.automations[0].actions[0]
    assert (
        action.logic_app_id
        == "/subscriptions/{subscriptionId}/resourceGroups/rg-sec/providers/Microsoft.Logic/workflows/parent-la"
    )


def test_logic_app_workflow_language_passes_through(tmp_path: Path) -> None:
    la = {
        "type": "Microsoft.Logic/workflows",
        "apiVersion": "2019-05-01",
        "name": "la",
        "location": "westeurope",
        "properties": {
            "definition": {
                "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}},
                "actions": {
                    "Post": {
                        "type": "ApiConnection",
                        "inputs": {
                            "host": {
                                "connection": {"name": "@parameters('$connections')['teams']['connectionId']"}
                            },
                            "body": "@{triggerBody()?['AlertDisplayName']}",
                            "path": "[[literal]",
                        },
                    }
                },
            },
            "parameters": {
                "$connections": {
                    "value": {"teams": {"connectionId": "[resourceId('Microsoft.Web/connections', 'teams')]"}}
                }
            },
        },
    }
    inv = _scan(tmp_path, _template([la]))
    (app,) = inv.logic_apps
    assert app.actions[0].connection.key == "teams"
    assert app.actions[0].path == "[literal]"
    assert app.bindings[0].connection_id.endswith("/providers/Microsoft.Web/connections/teams")


def test_symbolic_name_template(tmp_path: Path) -> None:
    doc = _template([], parameters={"la": {"type": "string", "defaultValue": "x"}})
    doc["languageVersion"] = "2.0"
    doc["resources"] = {
        "automation": _automation(),
        "existingLa": {
            "type": "Microsoft.Logic/workflows",
            "apiVersion": "2019-05-01",
            "name": "x",
            "existing": True,
        },
    }
    inv = _scan(tmp_path, doc)
    assert len(inv.automations) == 1 and inv.logic_apps == []
    assert inv.automations[0].origin.json_path == "resources.automation"


def test_invalid_expression_is_a_problem_with_a_line(tmp_path: Path) -> None:
    auto = _automation(name="[concat('a', parameters('la')]")
    inv = _scan(tmp_path, _template([auto], parameters={"la": {"type": "string", "defaultValue": "x"}}))
    (problem,) = [p for p in inv.problems if p.code == "invalid-expression"]
    text = (tmp_path / "azuredeploy.json").read_text().splitlines()
    assert "concat('a'" in text[problem.origin.line - 1]
