"""The Terraform source: .tf modules and ``terraform show -json`` plans → the same inventory as ARM.

Fixtures under ``terraform_fixtures/``: ``playbook`` (azurerm automation → Logic App with a custom
ascalert webhook trigger → API connection), ``variables`` (variables, terraform.tfvars,
*.auto.tfvars, locals, for_each/count, dynamic blocks, heredoc JSON with interpolations),
``azapi`` (ARM bodies through azapi_resource, listCallbackUrl through azapi_resource_action),
``policy`` (a DINE policy in a heredoc and its assignment), ``plan/tfplan.json`` (a plan as
``terraform show -json tfplan | jq .`` prints it), and ``checks/<RULE>/`` (one Terraform positive
and negative per check, laid out like ``tests/checks/fixtures``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditor import model as m
from auditor.engine import ScanResult, run
from auditor.findings import Finding
from auditor.sources.core.cursor import SourceFile
from auditor.sources.core.jsonpos import decode, loads
from auditor.sources.terraform import (
    TerraformResult,
    is_terraform_plan,
    scan_terraform_file,
    scan_terraform_plan,
)
from auditor.sources.terraform.hcl import clear_cache
from auditor.unknown import CallbackUrl, Unknown
from conftest import CORPUS, all_checks, with_fixture_events

FIXTURES = Path(__file__).parent / "terraform_fixtures"
CHECK_FIXTURES = FIXTURES / "checks"
MOVED_CHECK_FIXTURES = Path(__file__).parents[1] / "checks" / "fixtures"
SUB = "/subscriptions/{subscriptionId}"


def scan(path: Path, **kwargs: object) -> TerraformResult:
    return scan_terraform_file(path, path.as_posix(), **kwargs)  # type: ignore[arg-type]


def plan(path: Path) -> TerraformResult:
    text = decode(path.read_bytes())
    src = SourceFile(path.as_posix(), text)
    doc = loads(text, src=src)
    assert is_terraform_plan(doc)
    return scan_terraform_plan(doc, src)


def inventory(paths: list[Path]) -> m.Inventory:
    """What the loader builds from Terraform files and plans (problems mapped onto the model's codes)."""
    parts: dict[str, list[object]] = {
        k: []
        for k in (
            "automations",
            "logic_apps",
            "connections",
            "role_assignments",
            "policy_definitions",
            "policy_assignments",
            "template_parameters",
            "problems",
        )
    }
    for root in paths:
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.suffix in (".tf", ".tfvars"):
                result = scan(path)
            elif path.suffix == ".json" and is_terraform_plan(json.loads(path.read_text())):
                result = plan(path)
            else:
                continue
            for key in parts:
                if key != "problems":
                    parts[key].extend(getattr(result, key))
            for code, found in (
                ("invalid-json", result.problems),
                ("invalid-expression", result.expression_problems),
            ):
                for message, line, column in found:
                    origin = m.Origin(file=path.as_posix(), line=line, column=column)
                    parts["problems"].append(m.Problem(code=code, message=message, origin=origin))  # type: ignore[arg-type]
    return m.Inventory(**parts)  # type: ignore[arg-type]


def run_rule(paths: list[Path], rule: str) -> ScanResult:
    return run(with_fixture_events(inventory(paths), paths), [c for c in all_checks() if c.rule.id == rule])


def origin(element: object) -> tuple[int, str, str | None]:
    o = element.origin  # type: ignore[attr-defined]
    return o.line, o.json_path, o.resource


# ---------------------------------------------------------------- playbook: automation → Logic App → trigger → connection


def test_playbook_automation() -> None:
    main = FIXTURES / "playbook" / "main.tf"
    result = scan(main)
    assert (result.kind, result.problems, result.expression_problems) == ("terraform", [], [])
    [automation] = result.automations
    rg = f"{SUB}/resourceGroups/rg-soc-automation/providers"
    assert automation.id == f"{rg}/Microsoft.Security/automations/wa-notify-soc"
    assert automation.name == "wa-notify-soc"
    assert automation.is_enabled is True  # the provider's default
    assert origin(automation) == (
        80,
        "resource.azurerm_security_center_automation.alerts",
        "azurerm_security_center_automation.alerts",
    )
    assert automation.origin.file == main.as_posix()
    [action] = automation.actions
    assert action.action_type == "LogicApp"
    assert action.logic_app_id == f"{rg}/Microsoft.Logic/workflows/la-notify-soc"
    assert isinstance(action.uri, CallbackUrl)
    assert action.uri.target == (
        f"{rg}/Microsoft.Logic/workflows/la-notify-soc/triggers/When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
    )
    assert (action.origin.line, action.origin.json_path) == (
        85,
        "resource.azurerm_security_center_automation.alerts.action[0]",
    )
    assert action.uri_origin is not None and action.uri_origin.line == 88
    [source] = automation.sources
    assert source.event_source == "Alerts"
    [rule] = source.rule_sets[0].rules
    assert (rule.jpath, rule.operator, rule.expected_value, rule.property_type) == (
        "properties.metadata.severity",
        "Equals",
        "High",
        "String",
    )
    assert (rule.origin.line, rule.origin.json_path) == (
        94,
        "resource.azurerm_security_center_automation.alerts.source[0].rule_set[0].rule[0]",
    )
    [scope] = automation.scopes
    # data.azurerm_client_config.current.subscription_id is the deployment's own subscription: the
    # placeholder subscription().id gives in ARM, a valid scope whose GUID Terraform fills in
    assert scope.scope_path == SUB


def test_own_subscription_data_sources_are_the_subscription_placeholder(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
data "azurerm_client_config" "current" {}
data "azurerm_subscription" "current" {}
data "azurerm_subscription" "shared" {
  subscription_id = "5f1c9a2e-3b7d-4e8a-9c61-0d2b4a6e8f13"
}
variable "other" {}
data "azurerm_subscription" "other" {
  subscription_id = var.other
}

resource "azurerm_security_center_automation" "export" {
  name                = "ExportToWorkspace"
  location            = "westeurope"
  resource_group_name = "rg-soc"
  action {
    type        = "loganalytics"
    resource_id = "/subscriptions/5f1c9a2e-3b7d-4e8a-9c61-0d2b4a6e8f13/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law"
  }
  source {
    event_source = "Alerts"
  }
  scopes = [
    "/subscriptions/${data.azurerm_client_config.current.subscription_id}",
    data.azurerm_subscription.current.id,
    "/subscriptions/${data.azurerm_subscription.current.subscription_id}/resourceGroups/rg-soc",
    data.azurerm_subscription.shared.id,
    data.azurerm_subscription.other.id,
    data.azurerm_client_config.current.tenant_id,
  ]
}
"""
    )
    [automation] = scan(tmp_path / "main.tf").automations
    paths = [scope.scope_path for scope in automation.scopes]
    assert paths[:4] == [
        SUB,
        SUB,
        f"{SUB}/resourceGroups/rg-soc",
        "/subscriptions/5f1c9a2e-3b7d-4e8a-9c61-0d2b4a6e8f13",
    ]
    # another subscription named by an unknown variable, and the tenant: still read from Azure
    assert isinstance(paths[4], Unknown) and isinstance(paths[5], Unknown)
    assert "data.azurerm_client_config.current" in paths[5].reason


def test_playbook_logic_app_and_connection() -> None:
    result = scan(FIXTURES / "playbook" / "main.tf")
    [la] = result.logic_apps
    assert la.name == "la-notify-soc" and la.state == "Enabled"
    assert origin(la) == (
        37,
        "resource.azurerm_logic_app_workflow.notify",
        "azurerm_logic_app_workflow.notify",
    )
    [trigger] = la.triggers
    assert trigger.name == "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
    assert (trigger.type, trigger.path, trigger.problems) == (
        "ApiConnectionWebhook",
        "/Microsoft.Security/Alert/subscribe",
        (),
    )
    assert trigger.connection is not None and trigger.connection.key == "ascalert"
    assert origin(trigger) == (
        64,
        "resource.azurerm_logic_app_trigger_custom.alert.body",
        "azurerm_logic_app_trigger_custom.alert",
    )
    [binding] = la.bindings
    assert binding.key == "ascalert"
    assert (
        binding.connection_id
        == f"{SUB}/resourceGroups/rg-soc-automation/providers/Microsoft.Web/connections/ascalert-notify-soc"
    )
    assert binding.api_id == f"{SUB}/providers/Microsoft.Web/locations/westeurope/managedApis/ascalert"
    assert (binding.origin.line, binding.origin.json_path) == (
        51,
        "resource.azurerm_logic_app_workflow.notify.parameters.$connections.ascalert",
    )
    [param] = la.definition_parameters
    assert (param.name, param.type, param.has_default) == ("$connections", "Object", True)
    [conn] = result.connections
    assert (conn.name, conn.managed_api, conn.has_credentials) == ("ascalert-notify-soc", "ascalert", False)
    assert conn.api_origin is not None and conn.api_origin.line == 33


def test_playbook_is_clean() -> None:
    """A healthy configuration: no check fires (links work through the synthetic ids)."""
    result = run(inventory([FIXTURES / "playbook"]), all_checks())
    assert [(f.rule.id, f.message) for f in result.findings] == []


# ---------------------------------------------------------------- variables, tfvars, locals, for_each, count, heredocs


def test_variables_tfvars_and_auto_tfvars() -> None:
    result = scan(FIXTURES / "variables" / "main.tf")
    assert result.problems == []
    [automation] = result.automations
    # prefix: terraform.tfvars beats the default; severities: prod.auto.tfvars beats the default
    assert automation.name == "wa-fabrikam-recommendations"
    [source] = automation.sources
    assert [rs.rules[0].expected_value for rs in source.rule_sets] == ["High", "Medium"]
    # dynamic "rule_set": each expansion points at the dynamic block, its rules at the content
    assert [rs.origin.line for rs in source.rule_sets] == [117, 117]
    assert [rs.rules[0].origin.json_path for rs in source.rule_sets] == [
        "resource.azurerm_security_center_automation.recommendations.source[0].rule_set[0].rule[0]",
        "resource.azurerm_security_center_automation.recommendations.source[0].rule_set[1].rule[0]",
    ]
    # no default, no tfvars: Unknown, never a guess
    assert automation.scopes == [] and isinstance(automation.scopes_unknown, Unknown)
    assert "variable 'subscription_ids' has no default" in automation.scopes_unknown.reason


def test_var_files_override(tmp_path: Path) -> None:
    override = tmp_path / "prod.tfvars"
    override.write_text('prefix = "woodgrove"\nseverities = ["Low"]\n')
    result = scan(FIXTURES / "variables" / "main.tf", var_files=[override])
    [automation] = result.automations
    assert automation.name == "wa-woodgrove-recommendations"
    assert [rs.rules[0].expected_value for rs in automation.sources[0].rule_sets] == ["Low"]


def test_heredoc_json_keeps_its_lines() -> None:
    result = scan(FIXTURES / "variables" / "main.tf")
    [la] = result.logic_apps
    # $connections is a heredoc with ${} interpolations (longer once substituted): lines are still exact
    assert [(b.key, b.origin.line, b.origin.column) for b in la.bindings] == [
        ("ascassessment", 43, 9),
        ("office365", 48, 9),
    ]
    rg = f"{SUB}/resourceGroups/rg-fabrikam-secops/providers"
    assert la.bindings[0].connection_id == f"{rg}/Microsoft.Web/connections/ascassessment-fabrikam"
    assert la.bindings[1].connection_name == "office365-fabrikam"
    [trigger] = la.triggers  # a heredoc body
    assert (trigger.name, trigger.type, trigger.path) == (
        "When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered",
        "ApiConnectionWebhook",
        "/Microsoft.Security/Assessment/subscribe",
    )
    [action] = la.actions
    assert (
        action.name == "Send_an_email_(V2)"
        and action.connection is not None
        and action.connection.key == "office365"
    )
    assert la.identity is not None and la.identity.type == "SystemAssigned"


def test_for_each_and_count_instances() -> None:
    result = scan(FIXTURES / "variables" / "main.tf")
    by_name = {c.name: c for c in result.connections}
    assert set(by_name) == {"ascassessment-fabrikam", "office365-fabrikam"}
    mail = by_name["office365-fabrikam"]
    assert mail.origin.resource == 'azurerm_api_connection.connector["mail"]'
    assert mail.origin.json_path == "resource.azurerm_api_connection.connector['mail']"
    assert mail.managed_api == "office365"  # data.azurerm_managed_api.connector[each.key].id
    # count = length(var.subscription_ids) is unknown: one representative instance, Unknown where it matters
    [assignment] = result.role_assignments
    assert assignment.origin.resource == "azurerm_role_assignment.remediate"
    for value in (assignment.scope, assignment.role_definition_id, assignment.principal_id, assignment.id):
        assert isinstance(value, Unknown)
    assert "identity[0].principal_id is only known after apply" in assignment.principal_id.reason


def test_variable_and_tfvars_files_contribute_no_elements() -> None:
    for name in ("variables.tf", "terraform.tfvars", "prod.auto.tfvars"):
        result = scan(FIXTURES / "variables" / name)
        assert result.kind == "terraform" and result.problems == []
        assert result.automations == result.logic_apps == result.connections == []


# ---------------------------------------------------------------- azapi and policies


def test_azapi_bodies_go_through_the_arm_extractors() -> None:
    result = scan(FIXTURES / "azapi" / "main.tf")
    assert result.problems == []
    [automation] = result.automations
    assert automation.api_version == "2023-12-01-preview"
    assert automation.origin.line == 79
    [action] = automation.actions
    assert action.origin.line == 100  # inside jsonencode({...}): positions of the HCL object
    assert isinstance(action.uri, CallbackUrl)  # jsondecode(data.azapi_resource_action.callback.output).value
    rg = f"{SUB}/resourceGroups/rg-soc-azapi"
    assert action.uri.target == (
        f"{rg}/providers/Microsoft.Logic/workflows/la-remediate-storage/triggers/"
        "When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered"
    )
    [la] = result.logic_apps
    assert la.id == f"{rg}/providers/Microsoft.Logic/workflows/la-remediate-storage"
    [trigger] = la.triggers
    assert trigger.origin.line == 44
    assert trigger.origin.json_path.startswith(
        "resource.azapi_resource.playbook.body.properties.definition.triggers."
    )
    [binding] = la.bindings
    assert binding.connection_id == f"{rg}/providers/Microsoft.Web/connections/ascassessment"
    assert isinstance(binding.api_id, Unknown)  # var.subscription_id has no value
    assert la.identity is not None and la.identity.type == "SystemAssigned"
    [conn] = result.connections
    assert isinstance(conn.managed_api, Unknown)


def test_policy_definition_and_dine_template() -> None:
    result = scan(FIXTURES / "policy" / "main.tf")
    assert result.problems == result.expression_problems == []
    [policy] = result.policy_definitions
    assert (policy.name, policy.effect, policy.deploys_automation, policy.has_existence_condition) == (
        "deploy-wa-recommendations",
        "DeployIfNotExists",
        True,
        False,
    )
    assert policy.effect_origin is not None
    assert (policy.effect_origin.line, policy.effect_origin.json_path) == (
        25,
        "resource.azurerm_policy_definition.workflow_automation.policy_rule.then.effect",
    )
    [assignment] = result.policy_assignments
    assert (
        assignment.policy_definition_id
        == f"{SUB}/providers/Microsoft.Authorization/policyDefinitions/deploy-wa-recommendations"
    )
    assert assignment.identity is not None and assignment.identity.type == "SystemAssigned"
    # the deployment template: once with the policy's defaults, once with the assignment's values
    defaults, assigned = result.automations
    assert defaults.from_policy == assigned.from_policy == "deploy-wa-recommendations"
    assert isinstance(defaults.actions[0].uri, CallbackUrl) and isinstance(
        defaults.actions[0].uri.target, Unknown
    )
    assert assigned.actions[0].uri.target == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-soc/providers/Microsoft.Logic/workflows/la-remediate/triggers/manual"
    )
    assert assigned.origin.line == 46 and assigned.origin.deployment == (
        "policy 'deploy-wa-recommendations' as assigned by 'deploy-wa-recommendations'"
    )
    [la] = result.logic_apps
    assert [(t.name, t.type, t.kind) for t in la.triggers] == [("manual", "Request", "Http")]


# ---------------------------------------------------------------- plans


def test_plan_resources_unknowns_and_references() -> None:
    path = FIXTURES / "plan" / "tfplan.json"
    result = plan(path)
    assert (result.kind, result.problems) == ("terraform", [])
    automation = next(a for a in result.automations if a.from_policy is None)
    assert origin(automation) == (
        84,
        "azurerm_security_center_automation.alerts",
        "azurerm_security_center_automation.alerts",
    )
    assert automation.origin.file == path.as_posix()
    # id: unknown in the plan → synthetic; resource_id: known (the Logic App exists)
    assert (
        automation.id
        == f"{SUB}/resourceGroups/rg-soc-automation/providers/Microsoft.Security/automations/wa-notify-soc"
    )
    [action] = automation.actions
    real = "/subscriptions/6f1c2a55-8d7e-4b1a-9c3e-2f4d5a6b7c8d/resourceGroups/rg-soc-automation/providers"
    assert action.logic_app_id == f"{real}/Microsoft.Logic/workflows/la-notify-soc"
    # trigger_url: after_unknown, and the configuration says it is the trigger's callback_url
    assert isinstance(action.uri, CallbackUrl)
    assert action.uri.target == (
        f"{real}/Microsoft.Logic/workflows/la-notify-soc/triggers/When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
    )
    assert automation.scopes[0].scope_path == "/subscriptions/6f1c2a55-8d7e-4b1a-9c3e-2f4d5a6b7c8d"
    assert automation.scopes[0].origin.line == 105
    [la] = result.logic_apps
    assert la.origin.line == 43
    [binding] = la.bindings  # decoded from the JSON string; position: the attribute's
    assert (binding.key, binding.origin.line) == ("ascalert", 63)
    assert [t.origin.line for t in la.triggers] == [36]
    [conn] = result.connections
    assert (conn.managed_api, conn.origin.line) == ("ascalert", 7)


def test_plan_child_modules_and_policy_assignment() -> None:
    result = plan(FIXTURES / "plan" / "tfplan.json")
    [policy] = result.policy_definitions
    assert policy.origin.resource == "module.policy.azurerm_policy_definition.workflow_automation"
    assert (policy.effect, policy.has_existence_condition) == ("DeployIfNotExists", True)
    [assignment] = result.policy_assignments
    # policy_definition_id is unknown in the plan; the configuration references the module's definition
    assert (
        assignment.policy_definition_id
        == f"{SUB}/providers/Microsoft.Authorization/policyDefinitions/deploy-wa-alerts"
    )
    assigned = [a for a in result.automations if a.origin.deployment and "assigned by" in a.origin.deployment]
    assert len(assigned) == 1
    assert str(assigned[0].actions[0].uri.target).endswith(
        "/workflows/la-notify-soc/triggers/When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
    )


def test_plan_detection() -> None:
    assert not is_terraform_plan(
        {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}
    )
    assert not is_terraform_plan({"format_version": "1.0"})
    assert is_terraform_plan(
        {"format_version": "1.0", "terraform_version": "1.9.5", "values": {"root_module": {}}}
    )


def test_plan_unknown_without_reference(tmp_path: Path) -> None:
    doc = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "azurerm_security_center_automation.a",
                        "mode": "managed",
                        "type": "azurerm_security_center_automation",
                        "name": "a",
                        "values": {
                            "name": "wa",
                            "resource_group_name": "rg",
                            "action": [{"type": "logicapp"}],
                        },
                    }
                ]
            }
        },
        "resource_changes": [
            {
                "address": "azurerm_security_center_automation.a",
                "change": {
                    "actions": ["create"],
                    "after_unknown": {"id": True, "action": [{"resource_id": True, "trigger_url": True}]},
                },
            }
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, indent=2))
    [automation] = plan(path).automations
    [action] = automation.actions
    assert isinstance(action.logic_app_id, Unknown) and not isinstance(action.uri, CallbackUrl)
    assert isinstance(action.uri, Unknown)
    assert "only known after apply" in action.uri.reason


# ---------------------------------------------------------------- problems, child modules, the evaluator


def test_invalid_hcl_is_a_problem_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text('resource "azurerm_resource_group" "rg" {\n  name = "rg"\n  location = \n}\n')
    result = scan(path)
    assert result.kind == "invalid"
    [(message, line, column)] = result.problems
    # where the value is missing, as Terraform reports it
    assert (message, line, column) == ("invalid HCL: unexpected end of line (expected a value)", 3, 14)


def test_invalid_json_in_a_heredoc_is_a_problem_and_unknown(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(
        'resource "azurerm_logic_app_workflow" "la" {\n'
        '  name                = "la"\n'
        '  resource_group_name = "rg"\n'
        "}\n\n"
        'resource "azurerm_logic_app_trigger_custom" "t" {\n'
        '  name         = "t"\n'
        "  logic_app_id = azurerm_logic_app_workflow.la.id\n"
        "  body         = <<BODY\n"
        "{\n"
        '  "type": "ApiConnectionWebhook",\n'
        '  "inputs": { "path": "/x", }\n'
        "}\n"
        "BODY\n"
        "}\n"
    )
    result = scan(path)
    assert result.kind == "terraform"
    [(message, line, _column)] = result.problems
    assert "'body' of azurerm_logic_app_trigger_custom.t is not valid JSON" in message and line == 12
    [trigger] = result.logic_apps[0].triggers
    assert isinstance(trigger.type, Unknown)  # checks stay silent on it


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_bytes(b'name = "caf\xe9"\n')
    result = scan(path)
    assert result.kind == "unreadable" and result.unreadable is not None and "decode" in result.unreadable


def test_child_module_variables_are_set_by_the_caller(tmp_path: Path) -> None:
    module = tmp_path / "modules" / "automation"
    module.mkdir(parents=True)
    (module / "variables.tf").write_text('variable "name" {\n  default = "placeholder"\n}\n')
    (module / "main.tf").write_text(
        'resource "azurerm_security_center_automation" "a" {\n'
        "  name                = var.name\n"
        '  resource_group_name = "rg"\n'
        "  enabled             = false\n"
        "}\n"
    )
    result = scan_terraform_file(module / "main.tf", "modules/automation/main.tf")
    assert result.detail is not None and "child module" in result.detail
    [automation] = result.automations
    assert isinstance(automation.name, Unknown) and "set by the caller" in automation.name.reason
    assert automation.is_enabled is False  # literals are still literals


def test_expressions(tmp_path: Path) -> None:
    clear_cache()
    (tmp_path / "main.tf").write_text(
        """
locals {
  env      = "prod"
  names    = ["a", "b"]
  tags     = merge({ team = "soc" }, { env = local.env })
  severity = local.env == "prod" ? "High" : "Low"
  path     = format("%s.%s", "properties", lookup({ s = "metadata" }, "s", "x"))
  joined   = join("-", [for n in local.names : upper(n) if n != "b"])
  first    = try(local.tags.missing, "fallback")
  escaped  = "$${not interpolated}"
  number   = 2 * 3 + 1
}

resource "azurerm_security_center_automation" "a" {
  name                = "${local.joined}-${local.first}-${local.number}-${length(local.names)}"
  resource_group_name = local.tags["team"]
  source {
    event_source = "Alerts"
    rule_set {
      rule {
        property_path  = local.path
        operator       = "Equals"
        expected_value = local.severity
        property_type  = "String"
      }
      rule {
        property_path  = "properties.x"
        operator       = "Equals"
        expected_value = local.escaped
        property_type  = "String"
      }
      rule {
        property_path  = "properties.y"
        operator       = "Equals"
        expected_value = timestamp()
        property_type  = "String"
      }
    }
  }
}
"""
    )
    [automation] = scan(tmp_path / "main.tf").automations
    assert automation.name == "A-fallback-7-2"
    assert (
        automation.id == f"{SUB}/resourceGroups/soc/providers/Microsoft.Security/automations/A-fallback-7-2"
    )
    first, second, third = automation.sources[0].rule_sets[0].rules
    assert (first.jpath, first.expected_value) == ("properties.metadata", "High")
    assert second.expected_value == "${not interpolated}"
    assert isinstance(third.expected_value, Unknown) and "timestamp()" in third.expected_value.reason


def test_logic_app_shell_with_definition_put_by_azapi(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
resource "azurerm_logic_app_workflow" "shell" {
  name                = "la-shell"
  resource_group_name = "rg"
}

resource "azapi_resource_action" "definition" {
  type        = "Microsoft.Logic/workflows@2019-05-01"
  resource_id = azurerm_logic_app_workflow.shell.id
  method      = "PUT"
  body = jsonencode({
    properties = {
      definition = {
        triggers = {
          manual = { type = "Request", kind = "Http" }
        }
      }
    }
  })
}
"""
    )
    [la] = scan(tmp_path / "main.tf").logic_apps
    assert [(t.name, t.type, t.origin.line) for t in la.triggers] == [("manual", "Request", 15)]


def test_module_spans_files_and_count_instances(tmp_path: Path) -> None:
    module = tmp_path / "soc"
    module.mkdir()
    (module / "main.tf").write_text(
        'resource "azurerm_logic_app_workflow" "la" {\n'
        "  count               = 2\n"
        '  name                = "la-${count.index}"\n'
        '  resource_group_name = "rg"\n'
        "}\n"
    )
    (module / "triggers.tf").write_text(
        'resource "azurerm_logic_app_trigger_http_request" "manual" {\n'
        '  name         = "manual"\n'
        "  logic_app_id = azurerm_logic_app_workflow.la[1].id\n"
        "  schema       = jsonencode({})\n"
        "}\n"
    )
    result = scan_terraform_file(module / "main.tf", "soc/main.tf")
    assert [(la.name, la.origin.resource, la.origin.json_path) for la in result.logic_apps] == [
        ("la-0", "azurerm_logic_app_workflow.la[0]", "resource.azurerm_logic_app_workflow.la[0]"),
        ("la-1", "azurerm_logic_app_workflow.la[1]", "resource.azurerm_logic_app_workflow.la[1]"),
    ]
    first, second = result.logic_apps
    assert first.triggers == []
    [trigger] = second.triggers  # declared in triggers.tf, attached to la[1]
    assert (trigger.origin.file, trigger.origin.line) == ("soc/triggers.tf", 1)
    # triggers.tf itself contributes nothing of its own
    assert scan_terraform_file(module / "triggers.tf", "soc/triggers.tf").logic_apps == []


# ---------------------------------------------------------------- the corpus and the check fixtures


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".tf", ".tfvars") and p.is_file())


@pytest.mark.parametrize(
    "path", _corpus_files() or [None], ids=lambda p: str(p.relative_to(CORPUS)) if p else "absent"
)
def test_corpus_terraform_reads_without_problems(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"no Terraform files in the shared corpus at {CORPUS}")
    result = scan(path)
    assert result.kind == "terraform", result
    assert result.problems == [] and result.expression_problems == []


def _check_cases(prefix: str) -> list[tuple[str, Path]]:
    """Terraform check fixtures: staged here, or already moved into tests/checks/fixtures (same layout)."""
    found: dict[tuple[str, str], Path] = {}
    for root in (CHECK_FIXTURES, MOVED_CHECK_FIXTURES):
        if not root.is_dir():
            continue
        for rule_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for case in sorted(rule_dir.iterdir()):
                if case.is_dir() and case.name.startswith(prefix + "tf_"):
                    found.setdefault((rule_dir.name, case.name), case)
    return [(rule, case) for (rule, _name), case in sorted(found.items())]


@pytest.mark.parametrize(
    ("rule", "case"), _check_cases("positive_"), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_check_fixture_positive(rule: str, case: Path) -> None:
    expected = json.loads((case.parent / "expected.json").read_text())[case.name]
    found = [f for f in run_rule([case], rule).findings if f.rule.id == rule]
    assert [(f.location.line, f.location.json_path) for f in found] == [
        (e["line"], e["json_path"]) for e in expected
    ]
    for f, e in zip(found, expected, strict=True):
        assert e["message_contains"] in f.message
        where = Path(e.get("file", "main.tf"))  # COV001: the alert's line in the fixture's events.json
        assert Path(f.location.file or "").resolve() == (case / where).resolve()


@pytest.mark.parametrize(
    ("rule", "case"), _check_cases("negative_"), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_check_fixture_negative(rule: str, case: Path) -> None:
    assert [f.message for f in run_rule([case], rule).findings if f.rule.id == rule] == []


def test_every_check_fixture_rule_has_both() -> None:
    positives = {rule for rule, _case in _check_cases("positive_")}
    negatives = {rule for rule, _case in _check_cases("negative_")}
    assert positives == negatives and len(positives) >= 19


# ---------------------------------------------------------------- no finding rests on an Unknown

# When a finding points at a block, the attribute inside it that decides the finding.
_DECIDING_ATTRIBUTE = {
    "AUT201": "resource_id",
    "AUT203": "event_source",
    "AUT204": "expected_value",
    "AUT205": "expected_value",
    "AUT206": "operator",
    "AUT207": "event_source",
    "AUT208": "enabled",
    "AUT210": "resource_id",  # the target: unknown, it is not known to be a Standard Logic App
    "AUT211": "resource_id",  # the target: unknown, it is not known to be the disabled Logic App
    "LA106": "managed_api_id",
}
_DECIDED_BY_A_MISSING_BLOCK = {"AUT209"}
# Findings located in the fixture's events.json (COV001: an observed alert no automation delivered): the
# automation attribute the verdict rests on. Unknown, the alert is "unknown offline", never a finding.
_DECIDING_AUTOMATION_ATTRIBUTE = {"COV001": "scopes"}
_STEP = re.compile(r"\.?([A-Za-z_$][A-Za-z0-9_$-]*)(?:\[(\d+)\])?")


def _attribute_to_unknown(case: Path, rule: str, found: Finding, into: Path) -> bool:
    """Copy ``case`` to ``into`` with the attribute the finding rests on replaced by an unknown variable."""
    from auditor.sources.terraform.config import load_file
    from auditor.sources.terraform.syntax import node_end, node_start

    if found.location.json_path.startswith("variable."):
        return False  # a variable's `type` and `sensitive` are constants in Terraform: never unknown
    main = case / "main.tf"
    parsed = load_file(main, "main.tf")
    attr = None
    if rule in _DECIDING_AUTOMATION_ATTRIBUTE:
        block = next(b for b in parsed.blocks if b.labels[:1] == ("azurerm_security_center_automation",))
        attr = block.attrs[_DECIDING_AUTOMATION_ATTRIBUTE[rule]]
        into.mkdir(parents=True, exist_ok=True)
        (into / "events.json").write_bytes((case / "events.json").read_bytes())
        rest = ""
    else:
        address = re.match(r"resource\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)", found.location.json_path)
        assert address is not None, found.location.json_path
        type_, name = address.groups()
        block = next(b for b in parsed.blocks if b.type == "resource" and b.labels == (type_, name))
        rest = found.location.json_path[len(address.group(0)) :]
    for step in _STEP.finditer(rest):
        key, index = step.group(1), step.group(2)
        if key in block.attrs:  # an attribute, or an element of a list attribute (scopes[1]): the attribute
            attr = block.attrs[key]
            break
        block = [b for b in block.blocks if b.type == key][int(index or 0)]
    if attr is None:
        if rule in _DECIDED_BY_A_MISSING_BLOCK:
            return False
        attr = block.attrs[_DECIDING_ATTRIBUTE[rule]]
    text = parsed.src.text
    start, end = node_start(attr.expr), node_end(attr.expr)
    into.mkdir(parents=True, exist_ok=True)
    changed = text[:start] + "var.auditor_unknown" + text[end:]
    (into / "main.tf").write_text(changed + '\nvariable "auditor_unknown" {}\n')
    return True


@pytest.mark.parametrize(
    ("rule", "case"), _check_cases("positive_"), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_check_fixture_is_silent_when_the_flagged_value_is_unknown(
    rule: str, case: Path, tmp_path: Path
) -> None:
    findings = [f for f in run_rule([case], rule).findings if f.rule.id == rule]
    assert findings
    exercised = 0
    for i, found in enumerate(findings):
        copy = tmp_path / f"finding{i}"
        if not _attribute_to_unknown(case, rule, found, copy):
            continue
        exercised += 1
        again = [f for f in run_rule([copy], rule).findings if f.rule.id == rule]
        assert (found.location.line, found.location.json_path) not in [
            (f.location.line, f.location.json_path) for f in again
        ], [f.message for f in again]
    if not exercised:
        pytest.skip(
            f"{rule}: the finding is decided by a block that is missing or a declaration, not by a value"
        )
