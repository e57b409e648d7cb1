"""Typed edges: whatever JSON a document holds, extraction and the checks neither crash nor guess.

Every class comes from the issue-9 fuzz campaign and goes through the real pipeline (ARM source →
inventory → every check):

* nesting thousands of levels deep (resource properties, Logic App ``Scope``/``If``/``Switch``/
  ``Foreach`` actions, code-view exports, live bodies) is cut at the walk-depth limit and reported
  as SRC005 with file and line;
* a value of the wrong JSON type (a ``name`` that is a list, ``properties`` that is a number, a REST
  list item whose ``type`` is a number) is an ``invalid-template-shape`` problem at its line (SRC006)
  and is read as unknown;
* an Unknown reaches no truth test: every node of a rich template replaced, one at a time, by an unset
  parameter, never makes a check crash or fire (SRC003 and the run-level RB400 notice aside);
* lone surrogates flow through extraction and every check.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import auditor.checks.src006_invalid_template_shape as src006  # registered by the lead as src006_…
from auditor import budget, engine
from auditor import model as m
from auditor.catalog import default_catalog
from auditor.checking import CheckContext
from auditor.engine import run
from auditor.link import Links
from auditor.registry import LoadedCheck
from auditor.sources.core import extract
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.jsonpos import loads
from auditor.sources.dispatch import FileScan
from auditor.unknown import Unknown, contains_unknown
from conftest import REPO, all_checks
from tests.samples import dine_rule

DEEP = 3000  # far beyond Python's recursion limit (1000), well beyond the walk-depth limit (256)
SUB = "/subscriptions/0b7d5e3c-9a1f-4c2e-8d6c-5f4a3e2d1c0b/resourceGroups/rg"
LA_ID = f"{SUB}/providers/Microsoft.Logic/workflows/la"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
UNSET = "[parameters('unset')]"
PRINCIPAL = "9b1e4d7a-3c2f-4a5e-8d6c-1f0e2b3a4c5d"
ACCESS = REPO / "tests/checks/fixtures/RB405/positive_snapshot_owner_at_subscription/access.json"


def _checks() -> list[LoadedCheck]:
    """Every built-in check, and SRC006 until it is registered in checks/__init__.py."""
    loaded = list(all_checks())
    if not any(c.rule.id == "SRC006" for c in loaded):
        loaded.append(LoadedCheck(src006.RULE, src006))
    return loaded


def scan(paths: list[Path], roles: bool = False) -> engine.ScanResult:
    """The real pipeline with every check; with ``roles``, an access snapshot and all three principals."""
    inventory = FileScan().scan(paths)
    if not roles:
        return run(inventory, _checks())
    from auditor.checking import RunSettings
    from auditor.rbac import load_snapshot

    principals = {"deployer": (PRINCIPAL,), "editors": (PRINCIPAL,), "responders": (PRINCIPAL,)}
    settings = RunSettings(access=load_snapshot(ACCESS), principals=principals, roles_requested=True)
    return run(inventory, _checks(), settings=settings)


def rules(result: engine.ScanResult) -> set[str]:
    return {f.rule.id for f in result.findings}


def only(result: engine.ScanResult, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule.id == rule]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def nested(inner: str, opening: str, closing: str, depth: int = DEEP) -> str:
    """JSON text of ``inner`` wrapped ``depth`` times (json.dumps itself would recurse)."""
    return opening * depth + inner + closing * depth


def template(*resources: Any, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": parameters if parameters is not None else {"unset": {"type": "string"}},
        "resources": list(resources),
    }


# ---------------------------------------------------------------- deep nesting

API_ACTION = (
    '{"type": "ApiConnection", "inputs": {"host": {"connection": '
    '{"name": "@parameters(\'$connections\')[\'nowhere\'][\'connectionId\']"}}, "path": "/x"}}'
)
DEEP_VALUE = nested('"x"', '{"k": ', "}")


def _workflow(actions: str) -> str:
    return (
        '{"type": "Microsoft.Logic/workflows", "name": "la", "id": "' + LA_ID + '", '
        '"properties": {"definition": {"triggers": {}, "actions": ' + actions + "}}}"
    )


@pytest.mark.parametrize("container", ["Scope", "If", "Foreach", "Until", "Switch"])
def test_deeply_nested_logic_app_actions_are_an_src005_finding(tmp_path: Path, container: str) -> None:
    if container == "Switch":
        opening, closing = '{"s": {"type": "Switch", "cases": {"c": {"actions": ', "}}}}"
    elif container == "If":
        opening, closing = '{"s": {"type": "If", "else": {"actions": ', "}}}"
    else:
        opening, closing = '{"s": {"type": "' + container + '", "actions": ', "}}"
    path = write(tmp_path / "la.json", _workflow(nested('{"a": ' + API_ACTION + "}", opening, closing)))
    result = scan([path])
    limit = only(result, "SRC005")
    assert len(limit) == 1 and limit[0].location.file == str(path) and limit[0].location.line == 1
    assert "nested more than 256 levels deep" in limit[0].message
    assert result.errors == ()


def test_deep_scope_in_a_code_view_export_is_an_src005_finding(tmp_path: Path) -> None:
    actions = nested('{"a": ' + API_ACTION + "}", '{"s": {"type": "Scope", "actions": ', "}}")
    path = write(tmp_path / "codeview.json", '{"definition": {"triggers": {}, "actions": ' + actions + "}}")
    assert rules(scan([path])) == {"SRC005"}


def test_deep_values_in_read_properties_are_cut_and_reported(tmp_path: Path) -> None:
    body = (
        '{"value": ['
        '{"type": "Microsoft.Security/automations", "name": "a", "id": "' + SUB + "/providers/"
        'Microsoft.Security/automations/a", "properties": {"isEnabled": true, "scopes": [{"scopePath": "'
        + SUB
        + '"}], "sources": [{"eventSource": "Alerts", "ruleSets": [{"rules": [{"propertyJPath": '
        '"Severity", "propertyType": "Integer", "operator": "Equals", "expectedValue": '
        + DEEP_VALUE
        + "}]}]}],"
        ' "actions": [{"actionType": "LogicApp", "logicAppResourceId": ' + DEEP_VALUE + "}]}},"
        '{"type": "Microsoft.Web/connections", "name": "c", "id": "' + SUB + "/providers/Microsoft.Web/"
        'connections/c", "properties": {"parameterValues": ' + DEEP_VALUE + "}},"
        '{"type": "Microsoft.Logic/workflows", "name": "la", "id": "' + LA_ID + '", "properties": '
        '{"definition": {"triggers": {"t": {"type": "Request", "kind": "Http", "inputs": {"schema": '
        + DEEP_VALUE
        + '}}}, "actions": {"h": {"type": "Http", "inputs": {"body": '
        + DEEP_VALUE
        + '}}}, "parameters": {"apiKey": {"type": "String", "defaultValue": '
        + DEEP_VALUE
        + '}}}, "parameters": {"$connections": {"value": {"x": {"connectionId": '
        + DEEP_VALUE
        + "}}}}}}"
        "]}"
    )
    result = scan([write(tmp_path / "list.json", body)])
    assert result.errors == ()
    assert len(only(result, "SRC005")) == 3  # one per resource body, at the first place cut
    assert all(
        f.location.line == 1 and f.location.json_path.startswith("value[") for f in only(result, "SRC005")
    )


def test_a_deep_live_body_is_reported_without_a_file() -> None:
    builder = InventoryBuilder()
    deep = loads(nested('"x"', '{"k": ', "}"), src=None)
    builder.add_live_body(
        {"type": "Microsoft.Web/connections", "name": "c", "id": f"{SUB}/c", "properties": deep}
    )
    inventory = builder.finish()
    assert [(p.code, p.origin.file) for p in inventory.problems] == [("evaluation-limit", None)]
    assert len(inventory.connections) == 1


def test_the_action_walk_is_bounded_by_the_walk_depth_limit() -> None:
    """The Terraform source calls the action walk directly, on bodies bound_depth never saw."""
    src = SourceFile("main.tf", "")
    actions: Any = {"leaf": json.loads(API_ACTION)}
    for _ in range(40):
        actions = {"s": {"type": "Scope", "actions": actions}}
    out: list[m.WorkflowAction] = []
    with budget.use(budget.Budget(budget.Limits(max_walk_depth=10))):
        extract._walk_actions(Cursor(actions, "actions", -1, Context(src)), out)
    assert out == []
    assert [p.code for p in src.problems] == ["evaluation-limit"]
    assert "nested more than 10 levels deep" in src.problems[0].message


def test_contains_unknown_is_iterative() -> None:
    value: Any = Unknown("at the bottom")
    for _ in range(100_000):
        value = [value]
    assert contains_unknown(value)
    assert not contains_unknown(loads(nested("1", "[", "]", 100_000), src=None))


# ---------------------------------------------------------------- wrong JSON types

READ_TYPES = (
    "Microsoft.Security/automations",
    "Microsoft.Logic/workflows",
    "Microsoft.Web/connections",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.Authorization/roleDefinitions",
    "Microsoft.Authorization/policyAssignments",
    "Microsoft.Authorization/policyDefinitions",
)
BAD_VALUES = (5, [1], {"a": 1}, True)


@pytest.mark.parametrize("type_", READ_TYPES)
@pytest.mark.parametrize("key", ["name", "apiVersion", "location", "kind"])
def test_a_top_level_key_of_the_wrong_type_is_src006_at_its_line(
    tmp_path: Path, type_: str, key: str
) -> None:
    for i, bad in enumerate(BAD_VALUES):
        resource: dict[str, Any] = {"type": type_, "apiVersion": "2019-01-01", "name": "n", "properties": {}}
        resource[key] = bad
        text = json.dumps(template(resource), indent=2)
        path = write(tmp_path / f"t{i}.json", text)
        result = scan([path])
        shape = only(result, "SRC006")
        line = next(n for n, row in enumerate(text.splitlines(), 1) if f'"{key}":' in row)
        assert [(f.location.line, f"'{key}'" in f.message) for f in shape] == [(line, True)], (bad, shape)
        assert result.errors == ()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"type": "Microsoft.Security/automations", "name": [1], "properties": {}}, "name"),
        ({"type": "Microsoft.Logic/workflows", "name": "la", "id": 5, "properties": {}}, "id"),
        ({"type": "Microsoft.Web/connections", "name": "c", "properties": [1]}, "properties"),
        (
            {"type": "Microsoft.Web/connections", "name": "c", "properties": {"statuses": {"a": 1}}},
            "statuses",
        ),
        ({"type": "Microsoft.Security/automations", "name": "a", "properties": {"scopes": "x"}}, "scopes"),
        (
            {"type": "Microsoft.Security/automations", "name": "a", "properties": {"actions": [5]}},
            "actions[0]",
        ),
        (
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "name": "r",
                "properties": {"principalId": 5},
            },
            "principalId",
        ),
        ({"type": "Microsoft.Logic/workflows", "name": "la", "properties": {"definition": 5}}, "definition"),
    ],
)
def test_exported_values_of_the_wrong_type_are_src006(
    tmp_path: Path, body: dict[str, Any], where: str
) -> None:
    result = scan(
        [write(tmp_path / "exported.json", json.dumps({"value": [body | {"id": body.get("id", "/x")}]}))]
    )
    assert [f.location.json_path.endswith(where) for f in only(result, "SRC006")] == [True]
    assert result.errors == ()


def test_a_rest_example_item_whose_type_is_a_number_is_src006(tmp_path: Path) -> None:
    doc = {"parameters": {}, "responses": {"200": {"body": {"value": [{"type": 5, "name": "x"}]}}}}
    result = scan([write(tmp_path / "example.json", json.dumps(doc))])
    assert [f.location.json_path for f in only(result, "SRC006")] == ["responses['200'].body.value[0].type"]


def test_policy_files_with_names_of_the_wrong_type(tmp_path: Path) -> None:
    definition = {
        "properties": {
            "displayName": [1],
            "policyRule": {"if": {}, "then": {"effect": "deployIfNotExists", "details": {"type": "x/y"}}},
        }
    }
    assignment = {"name": [1], "properties": {"policyDefinitionId": "/providers/x/policyDefinitions/p"}}
    result = scan(
        [
            write(tmp_path / "p.json", json.dumps(definition)),
            write(tmp_path / "a.json", json.dumps(assignment)),
        ]
    )
    # Both are the wrong JSON type, and Azure rejects both: each is reported where it is, and neither
    # becomes a name or a display name that a check could read.
    found = sorted((Path(f.location.file or "").name, f.location.json_path) for f in only(result, "SRC006"))
    assert found == [("a.json", "name"), ("p.json", "properties.displayName")]
    assert result.errors == ()


# ---------------------------------------------------------------- unknowns and truth tests

RICH_RESOURCES: list[dict[str, Any]] = [
    {
        "type": "Microsoft.Web/connections",
        "apiVersion": "2016-06-01",
        "name": "ascalert",
        "properties": {
            "api": {
                "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'ascalert')]"
            },
            "statuses": [{"status": "Error"}],
        },
    },
    {
        "type": "Microsoft.Web/connections",
        "apiVersion": "2016-06-01",
        "name": "office365",
        "properties": {
            "api": {
                "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'office365')]"
            },
            "parameterValues": {"token": "x"},
            "parameterValueType": "Default",
            "statuses": [{"status": "Error"}],
        },
    },
    {
        "type": "Microsoft.Web/connections",
        "apiVersion": "2016-06-01",
        "name": "teams",
        "properties": {
            "api": {
                "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'teams')]"
            },
            "parameterValueSet": {},
            "parameterValueType": "Default",
        },
    },
    {
        "type": "Microsoft.Logic/workflows",
        "apiVersion": "2019-05-01",
        "name": "la",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "state": "Disabled",
            "definition": {
                "parameters": {
                    "$connections": {"type": "Object", "defaultValue": {}},
                    "apiKey": {"type": "String", "defaultValue": "s3cr3t"},
                },
                "triggers": {
                    "When_an_alert_is_created": {
                        "type": "ApiConnectionWebhook",
                        "inputs": {
                            "host": {
                                "connection": {
                                    "name": "@parameters('$connections')['ascalert']['connectionId']"
                                }
                            },
                            "path": "/Microsoft.Security/Alert/subscribe",
                            "method": "post",
                        },
                    }
                },
                "actions": {
                    "Scope": {
                        "type": "Scope",
                        "actions": {
                            "If": {
                                "type": "If",
                                "actions": {"Send": json.loads(API_ACTION.replace("nowhere", "office365"))},
                                "else": {"actions": {"Missing": json.loads(API_ACTION)}},
                            },
                            "Switch": {
                                "type": "Switch",
                                "cases": {
                                    "c1": {
                                        "actions": {
                                            "S2": json.loads(API_ACTION.replace("nowhere", "office365"))
                                        }
                                    }
                                },
                                "default": {"actions": {"S3": json.loads(API_ACTION)}},
                            },
                        },
                    },
                    "Post": {
                        "type": "Http",
                        "inputs": {"uri": "https://example.com/api?sig=abcdef0123456789"},
                    },
                },
            },
            "parameters": {
                "$connections": {
                    "value": {
                        "ascalert": {
                            "connectionId": "[resourceId('Microsoft.Web/connections', 'ascalert')]",
                            "connectionName": "ascalert",
                            "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'ascalert')]",
                        },
                        "office365": {
                            "connectionId": "[resourceId('Microsoft.Web/connections', 'office365')]",
                            "connectionName": "office365",
                            "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'office365')]",
                        },
                    }
                }
            },
        },
    },
    {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": "auto",
        "properties": {
            "isEnabled": False,
            "scopes": [{"scopePath": "[subscription().id]"}],
            "sources": [
                {
                    "eventSource": "Assessments",
                    "ruleSets": [
                        {
                            "rules": [
                                {
                                    "propertyJPath": "Severity",
                                    "propertyType": "Integer",
                                    "expectedValue": "high",
                                    "operator": "GreaterThan",
                                },
                                {
                                    "propertyJPath": "properties.status.code",
                                    "propertyType": "String",
                                    "expectedValue": "x",
                                    "operator": "Nope",
                                },
                            ]
                        }
                    ],
                },
                {"eventSource": "Nonsense", "ruleSets": []},
            ],
            "actions": [
                {
                    "actionType": "LogicApp",
                    "logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', 'la')]",
                    "uri": "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'la', 'manual'), '2019-05-01').value]",
                },
                {
                    "actionType": "LogicApp",
                    "logicAppResourceId": "[resourceId('Microsoft.Logic/workflows', 'la')]",
                    "uri": "https://prod.logic.azure.com/workflows/1/triggers/manual/run?sig=abc",
                },
                {
                    "actionType": "EventHub",
                    "eventHubResourceId": "[resourceId('Microsoft.EventHub/namespaces/eventhubs', 'n', 'h')]",
                },
            ],
        },
    },
    {
        "type": "Microsoft.Authorization/roleAssignments",
        "apiVersion": "2022-04-01",
        "name": "[guid('ra')]",
        "properties": {
            "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635')]",
            "principalId": "[reference(resourceId('Microsoft.Logic/workflows', 'la'), '2019-05-01', 'full').identity.principalId]",
            "principalType": "ServicePrincipal",
            "scope": "[subscription().id]",
        },
    },
    {
        "type": "Microsoft.Authorization/roleDefinitions",
        "apiVersion": "2022-04-01",
        "name": "[guid('rd')]",
        "properties": {
            "roleName": "custom",
            "permissions": [{"actions": ["Microsoft.Logic/*"], "notActions": []}],
            "assignableScopes": ["[subscription().id]"],
        },
    },
    {
        "type": "Microsoft.Authorization/policyAssignments",
        "apiVersion": "2022-06-01",
        "name": "pa",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "policyDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/policyDefinitions', 'dine')]",
            "parameters": {"logicAppResourceId": {"value": LA_ID}, "logicAppTrigger": {"value": "manual"}},
        },
    },
    {
        "type": "Microsoft.Authorization/policyDefinitions",
        "apiVersion": "2021-06-01",
        "name": "dine",
        "properties": {
            "displayName": "dine",
            "parameters": {
                "logicAppResourceId": {"type": "String"},
                "logicAppTrigger": {"type": "String", "defaultValue": "manual"},
            },
            "policyRule": dine_rule(
                template(
                    {
                        "type": "Microsoft.Security/automations",
                        "apiVersion": "2019-01-01-preview",
                        "name": "wa",
                        "properties": {
                            "isEnabled": True,
                            "scopes": [{"scopePath": "[subscription().id]"}],
                            "sources": [{"eventSource": "Alerts", "ruleSets": []}],
                            "actions": [
                                {
                                    "actionType": "LogicApp",
                                    "logicAppResourceId": "[parameters('logicAppResourceId')]",
                                    "uri": "[listCallbackUrl(concat(parameters('logicAppResourceId'), '/triggers/', parameters('logicAppTrigger')), '2019-05-01').value]",
                                }
                            ],
                        },
                    },
                    parameters={
                        "logicAppResourceId": {"type": "string"},
                        "logicAppTrigger": {"type": "string"},
                    },
                ),
                ["/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"],
                {
                    "logicAppResourceId": {"value": "[parameters('logicAppResourceId')]"},
                    "logicAppTrigger": {"value": "[parameters('logicAppTrigger')]"},
                },
            ),
        },
    },
    {
        "type": "Microsoft.Security/assessmentMetadata",
        "apiVersion": "2021-06-01",
        "name": "0a1b2c3d-0000-4000-8000-000000000000",
        "properties": {"displayName": "old", "plannedDeprecationDate": "01/2020", "preview": False},
    },
]


def _node_paths(node: Any, prefix: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _node_paths(child, (*prefix, key))


def _replaced(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


# Every node of every resource except each resource's own "type" (which decides what the resource is).
RICH_PATHS = [p for p in list(_node_paths(RICH_RESOURCES, ()))[1:] if not (len(p) == 2 and p[1] == "type")]


def _findings(result: engine.ScanResult) -> set[tuple[str, str]]:
    return {(f.rule.id, f.location.json_path) for f in result.findings}


def test_no_model_field_from_an_unset_parameter_crashes_or_decides_a_check(tmp_path: Path) -> None:
    """Every node of the rich template, one at a time, becomes ``[parameters('unset')]``: what every
    model field is when a template leaves it to deployment. No check may crash on it, nor find
    anything it did not find with the value known (SRC003 says what was unknown; RB400 is a
    once-per-run notice placed at the first element). A whole resource replaced by an expression is
    the one exception: Azure rejects a resource that is not an object, and SRC006 says so."""
    path = tmp_path / "rich.json"
    write(path, json.dumps(template(*RICH_RESOURCES)))
    baseline = _findings(scan([path], roles=True))
    assert {r for r, _ in baseline} >= {"AUT206", "LA103", "LA106", "SEC501", "SEC502", "RB405"}
    wrong: list[Any] = []
    for node in RICH_PATHS:
        write(path, json.dumps(template(*_replaced(RICH_RESOURCES, node, UNSET))))
        new = {f for f in _findings(scan([path], roles=True)) - baseline if f[0] not in ("SRC003", "RB400")}
        if len(node) == 1:  # a resource slot: Azure takes no expression there, only an object
            new.discard(("SRC006", f"resources[{node[0]}]"))
        # SEC503 judges the sweep's own declaration, not a value: 'unset' is a non-secure parameter,
        # and placed as a credential it is one that deployment history would show in plain text.
        new.discard(("SEC503", "parameters.unset"))
        if new:
            wrong.append((node, sorted(new)))
    assert wrong == []


@pytest.mark.parametrize("bad", [5, [1], {"a": 1}, None, True], ids=repr)
def test_no_value_of_any_json_type_crashes_extraction_or_a_check(tmp_path: Path, bad: Any) -> None:
    """The same sweep with literal values of every JSON type, in a template and as exported bodies."""
    exported = [r | {"id": f"{SUB}/providers/{r['type']}/{i}"} for i, r in enumerate(RICH_RESOURCES)]
    for name, doc, paths in (
        ("t.json", template(*RICH_RESOURCES), [("resources", *p) for p in RICH_PATHS]),
        ("x.json", {"value": exported}, [("value", *p) for p in RICH_PATHS]),
    ):
        for node in paths:
            result = scan([write(tmp_path / name, json.dumps(_replaced(doc, node, bad)))], roles=True)
            assert result.errors == (), node


def test_unknown_connection_statuses_and_parameter_values_leave_la106_silent(tmp_path: Path) -> None:
    office = copy.deepcopy(RICH_RESOURCES[1])
    office["properties"] = {
        "api": office["properties"]["api"],
        "parameterValues": UNSET,
        "statuses": [{"status": UNSET}],
    }
    teams = copy.deepcopy(RICH_RESOURCES[2])
    teams["properties"]["parameterValueType"] = UNSET
    path = write(tmp_path / "c.json", json.dumps(template(office, teams)))
    assert "LA106" not in rules(scan([path]))
    assert {n.what for n in _needs(path) if n.rule_id == "LA106"} == {
        "the connection's statuses",
        "the connection's parameter values",
    }


def _needs(path: Path) -> list[Any]:
    """What the checks recorded as unknown (the records SRC003 reports)."""
    inventory = FileScan().scan([path])
    ctx = CheckContext(links=Links(inventory), catalog=default_catalog())
    for loaded in _checks():
        ctx.rule_id = loaded.rule.id
        list(loaded.module.check(inventory, ctx))
    return ctx.needs


# ---------------------------------------------------------------- lone surrogates


def test_lone_surrogates_flow_through_extraction_and_every_check(tmp_path: Path) -> None:
    text = json.dumps(template(*RICH_RESOURCES))  # json.dumps writes "\ud800" as the escape it is
    for name in ('"la"', '"auto"', '"ascalert"', '"office365"', '"apiKey"', '"Send"', '"dine"'):
        text = text.replace(name, name[:-1] + '\\ud800"')
    text = text.replace('"Severity"', '"\\ud800"')
    inventory = FileScan().scan([write(tmp_path / "s.json", text)])
    assert any(isinstance(la.name, str) and "\ud800" in la.name for la in inventory.logic_apps)
    ctx = CheckContext(links=Links(inventory), catalog=default_catalog())
    produced = []
    for loaded in _checks():  # the checks themselves (fingerprints and renderers are tested elsewhere)
        ctx.rule_id = loaded.rule.id
        produced.extend(loaded.module.check(inventory, ctx))
    assert any("\ud800" in f.message for f in produced)


# ---------------------------------------------------------------- the engine's catch-all


class _Broken:
    RULE = src006.RULE

    @staticmethod
    def check(inventory: m.Inventory, ctx: CheckContext) -> Iterator[Any]:
        raise KeyError("boom")


def test_a_crashing_check_reraises_in_the_test_suite_and_is_a_check_error_for_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = [LoadedCheck(src006.RULE, _Broken)]  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        run(m.Inventory(), broken)
    monkeypatch.setattr(engine, "reraise_bugs", lambda: False)
    result = run(m.Inventory(), broken)
    assert [(e.rule_id, e.message) for e in result.errors] == [("SRC006", "KeyError: 'boom'")]
