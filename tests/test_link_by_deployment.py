"""Links are resolved by deployment, not by name alone (auditor.link, issue 12).

The scenarios users hit: a prod and a legacy copy of one playbook in two folders, two teams' templates
that both deploy 'Notify-SOC', an automation in one file and its playbook in another, a policy definition
kept in two places. Each test states the verdict a file gets alone and inside the larger scan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.engine import ScanResult
from conftest import scan_paths
from tests.samples import write_template

ALERT_TRIGGER = "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"


def _playbook(name: str, defender: bool, resource_group: str | None = None) -> dict[str, Any]:
    """A Logic App with the Defender alert trigger (``defender``) or only a Request trigger."""
    trigger: dict[str, Any] = (
        {
            ALERT_TRIGGER: {
                "type": "ApiConnectionWebhook",
                "inputs": {
                    "host": {
                        "connection": {"name": "@parameters('$connections')['ascalert']['connectionId']"}
                    },
                    "path": "/Microsoft.Security/Alert/subscribe",
                    "body": {"callback_url": "@{listCallbackUrl()}"},
                },
            }
        }
        if defender
        else {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}}
    )
    connections = {
        "ascalert": {
            "connectionId": "[resourceId('Microsoft.Web/connections', 'ascalert')]",
            "connectionName": "ascalert",
            "id": "[subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'ascalert')]",
        }
    }
    resource: dict[str, Any] = {
        "type": "Microsoft.Logic/workflows",
        "apiVersion": "2019-05-01",
        "name": name,
        "location": "westeurope",
        "properties": {
            "state": "Enabled",
            "definition": {
                "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {"$connections": {"type": "Object", "defaultValue": {}}},
                "triggers": trigger,
                "actions": {},
            },
            "parameters": {"$connections": {"value": connections if defender else {}}},
        },
    }
    if resource_group is None:
        return resource
    return {  # deployed into a named resource group by a nested deployment
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": f"deploy-{name}",
        "resourceGroup": resource_group,
        "properties": {
            "mode": "Incremental",
            "template": {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "resources": [resource],
            },
        },
    }


def _automation(logic_app_id: str, trigger: str = ALERT_TRIGGER) -> dict[str, Any]:
    return {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": "wa-soc-alerts",
        "location": "westeurope",
        "properties": {
            "isEnabled": True,
            "scopes": [{"description": "subscription", "scopePath": "[subscription().id]"}],
            "sources": [{"eventSource": "Alerts", "ruleSets": []}],
            "actions": [
                {
                    "actionType": "LogicApp",
                    "logicAppResourceId": logic_app_id,
                    "uri": f"[listCallbackUrl(concat({logic_app_id[1:-1]}, '/triggers/{trigger}'), '2019-05-01').value]",
                }
            ],
        },
    }


LOCAL_ID = "[resourceId('Microsoft.Logic/workflows', 'Notify-SOC')]"


def _findings(result: ScanResult, file: Path, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule.id == rule and Path(f.location.file or "") == file]


def test_an_automation_is_checked_against_the_logic_app_of_its_own_template(tmp_path: Path) -> None:
    """Two teams deploy 'Notify-SOC': one correct, one with only a Request trigger. Each template's
    automation is checked against its own playbook, whatever else the scan holds."""
    good = write_template(
        tmp_path / "team-a" / "azuredeploy.json", _playbook("Notify-SOC", True), _automation(LOCAL_ID)
    )
    bad = write_template(
        tmp_path / "team-b" / "azuredeploy.json", _playbook("Notify-SOC", False), _automation(LOCAL_ID)
    )
    together = scan_paths([tmp_path])
    for file, fires in ((good, False), (bad, True)):
        alone = scan_paths([file])
        for result in (alone, together):
            assert bool(_findings(result, file, "AUT201")) is fires
            assert bool(_findings(result, file, "AUT202")) is fires  # 'When_a_…' is not the Request trigger
            assert not _findings(result, file, "SRC003")


def test_a_playbook_in_another_file_is_linked_when_it_is_the_only_candidate(tmp_path: Path) -> None:
    playbook = write_template(tmp_path / "playbook.json", _playbook("Notify-SOC", False))
    automation = write_template(tmp_path / "automation.json", _automation(LOCAL_ID))
    assert not _findings(scan_paths([automation]), automation, "AUT201")  # alone: not in the scan, unknown
    linked = _findings(scan_paths([tmp_path]), automation, "AUT201")
    assert len(linked) == 1
    assert [Path(r.file or "") for r in linked[0].related][:1] == [playbook]  # the link is shown


def test_two_candidates_elsewhere_are_unknown_naming_both_never_a_guess(tmp_path: Path) -> None:
    prod = write_template(tmp_path / "prod" / "playbook.json", _playbook("Notify-SOC", True))
    legacy = write_template(tmp_path / "archived" / "playbook.json", _playbook("Notify-SOC", False))
    automation = write_template(tmp_path / "automation.json", _automation(LOCAL_ID))
    result = scan_paths([tmp_path])
    assert not _findings(result, automation, "AUT201")
    assert not _findings(result, automation, "AUT202")
    ambiguous = [f for f in _findings(result, automation, "SRC003") if "could mean" in f.message]
    # one SRC003 per place and reason: AUT203's need at the action is AUT201's
    assert {f.message.split(" could not check")[0] for f in ambiguous} == {"AUT201", "AUT202"}
    for finding in ambiguous:
        assert "2 Logic Apps named 'Notify-SOC'" in finding.message
        assert {Path(r.file or "") for r in finding.related} == {prod, legacy}


def test_a_reference_into_another_resource_group_does_not_link_to_a_playbook_deployed_elsewhere(
    tmp_path: Path,
) -> None:
    """Both ids spell out their resource group and they differ: nothing to link, whatever the name."""
    write_template(tmp_path / "legacy.json", _playbook("Notify-SOC", False, resource_group="rg-legacy"))
    target = "[resourceId('rg-prod', 'Microsoft.Logic/workflows', 'Notify-SOC')]"
    automation = write_template(tmp_path / "automation.json", _automation(target))
    result = scan_paths([tmp_path])
    assert not _findings(result, automation, "AUT201")
    assert not [f for f in _findings(result, automation, "SRC003") if "could mean" in f.message]


def test_a_compiled_template_scanned_alone_is_judged_on_its_bicep_source(tmp_path: Path) -> None:
    """``bicep build`` output beside its .bicep: the same verdict whether the folder or the JSON is scanned."""
    (tmp_path / "main.bicep").write_text(
        "resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {\n"
        "  name: 'Notify-SOC'\n"
        "  location: 'westeurope'\n"
        "  properties: {\n"
        "    definition: {\n"
        "      triggers: {\n"
        "        When_a_response_to_an_Azure_Security_Center_alert_is_triggered: {\n"
        "          type: 'ApiConnectionWebhook'\n"
        "          inputs: {\n"
        "            host: { connection: { name: '@parameters(\\'$connections\\')[\\'ascalert\\'][\\'connectionId\\']' } }\n"
        "            path: '/subscribe'\n"
        "          }\n"
        "        }\n"
        "      }\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    compiled = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"_generator": {"name": "bicep", "version": "0.30.23.60470"}},
        "resources": [],
    }
    (tmp_path / "main.json").write_text(json.dumps(compiled, indent=2))
    for scanned in (tmp_path, tmp_path / "main.json"):
        result = scan_paths([scanned])
        assert [Path(f.location.file or "").name for f in result.findings if f.rule.id == "LA101"] == [
            "main.bicep"
        ]
        (record,) = [r for r in result.files if r.path.endswith("main.json")]
        assert record.kind == "not-ours" and "compiled from main.bicep" in (record.detail or "")


def _policy(name: str, effect_default: str) -> dict[str, Any]:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"logicAppResourceId": {"type": "string"}},
        "resources": [_automation("[parameters('logicAppResourceId')]", "manual")],
    }
    return {
        "name": name,
        "properties": {
            "displayName": "Deploy workflow automation for Defender alerts",
            "policyType": "Custom",
            "mode": "All",
            "parameters": {
                "effect": {"type": "String", "defaultValue": effect_default},
                "logicAppResourceId": {"type": "String"},
            },
            "policyRule": {
                "if": {"field": "type", "equals": "Microsoft.Resources/subscriptions"},
                "then": {
                    "effect": "[parameters('effect')]",
                    "details": {
                        "type": "Microsoft.Security/automations",
                        "roleDefinitionIds": [
                            "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
                        ],
                        "existenceCondition": {
                            "field": "Microsoft.Security/automations/isEnabled",
                            "equals": True,
                        },
                        "deployment": {
                            "properties": {
                                "mode": "incremental",
                                "template": template,
                                "parameters": {
                                    "logicAppResourceId": {"value": "[parameters('logicAppResourceId')]"}
                                },
                            }
                        },
                    },
                },
            },
        },
    }


def _assignment(definition: str, logic_app_id: str) -> dict[str, Any]:
    return {
        "type": "Microsoft.Authorization/policyAssignments",
        "apiVersion": "2022-06-01",
        "name": "wa-alerts-soc",
        "location": "westeurope",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "policyDefinitionId": f"[subscriptionResourceId('Microsoft.Authorization/policyDefinitions', '{definition}')]",
            "parameters": {"logicAppResourceId": {"value": logic_app_id}},
        },
    }


def test_an_assignment_evaluates_the_definition_of_its_own_deployment_not_a_copy_elsewhere(
    tmp_path: Path,
) -> None:
    """A definition kept in two places (prod, archived): the assignment beside one evaluates that one; an
    assignment with neither beside it evaluates neither (which one Azure holds cannot be told)."""
    la = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-soc/providers/Microsoft.Logic/workflows/Notify-SOC"
    write_template(tmp_path / "playbook.json", _playbook("Notify-SOC", True))
    archived = tmp_path / "archived" / "policy.json"
    archived.parent.mkdir()
    archived.write_text(json.dumps(_policy("deploy-wa-alerts", "DeployIfNotExists"), indent=2))
    prod = tmp_path / "prod" / "policy.json"
    prod.parent.mkdir()
    prod.write_text(json.dumps(_policy("deploy-wa-alerts", "DeployIfNotExists"), indent=2))
    write_template(tmp_path / "assign" / "assignment.json", _assignment("deploy-wa-alerts", la))
    result = scan_paths([tmp_path])
    assert not [f for f in result.findings if f.rule.id == "POL301"]  # ambiguous: neither is evaluated

    beside = tmp_path / "single"
    beside.mkdir()
    (beside / "policy.json").write_text(
        json.dumps(_policy("deploy-wa-alerts", "DeployIfNotExists"), indent=2)
    )
    write_template(tmp_path / "single" / "assignment.json", _assignment("deploy-wa-alerts", la))
    write_template(tmp_path / "single" / "playbook.json", _playbook("Notify-SOC", True))
    alone = scan_paths([beside])
    # the assignment's value decides the trigger: the finding is the assignment's, citing the definition
    (finding,) = [f for f in alone.findings if f.rule.id == "POL301"]
    assert Path(finding.location.file or "").name == "assignment.json"
    assert any(Path(r.file or "").name == "policy.json" for r in finding.related)
