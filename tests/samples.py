"""Documents the CLI-level tests share: one Logic App on the legacy Defender alert trigger (LA101), the
smallest template that fails the gate, the DeployIfNotExists rule policies embed, and the one-call CLI
runner.

Kept here, not in conftest.py, because the tests use them as values (to write, modify or embed), not as
fixtures; import as ``from tests.samples import ...`` (pytest runs from the repository root).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
LEGACY_TRIGGER = "When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered"


def legacy_logic_app(
    name: str = "legacy", metadata: dict[str, Any] | None = None, connection_id: str = "x"
) -> dict[str, Any]:
    """A ``Microsoft.Logic/workflows`` resource triggered by the legacy alert trigger (fires LA101)."""
    resource: dict[str, Any] = {
        "type": "Microsoft.Logic/workflows",
        "apiVersion": "2019-05-01",
        "name": name,
        "location": "westeurope",
        "properties": {
            "definition": {
                "triggers": {
                    LEGACY_TRIGGER: {
                        "type": "ApiConnectionWebhook",
                        "inputs": {
                            "host": {
                                "connection": {
                                    "name": "@parameters('$connections')['ascalert']['connectionId']"
                                }
                            },
                            "path": "/subscribe",
                        },
                    }
                }
            },
            "parameters": {
                "$connections": {
                    "value": {
                        "ascalert": {
                            "connectionId": connection_id,
                            "id": "/subscriptions/s/providers/Microsoft.Web/locations/l/managedApis/ascalert",
                        }
                    }
                }
            },
        },
    }
    if metadata is not None:
        resource["metadata"] = metadata
    return resource


def template(*resources: dict[str, Any]) -> dict[str, Any]:
    """A deployment template holding ``resources`` (the legacy Logic App when none are given)."""
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": list(resources) or [legacy_logic_app()],
    }


def write_template(path: Path, *resources: dict[str, Any], lead: str = "") -> Path:
    """Write ``template(*resources)`` (indented, so findings have distinct lines) after ``lead``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lead + json.dumps(template(*resources), indent=2))
    return path


def dine_rule(
    deployment_template: dict[str, Any],
    role_definition_ids: list[str],
    deployment_parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A DeployIfNotExists ``policyRule`` that deploys ``deployment_template`` once per subscription.

    The shape the built-in workflow-automation policies use (``if`` the subscription, ``then`` deploy a
    ``Microsoft.Security/automations``), shared so tests that embed a policy differ only in what they test.
    """
    deployment: dict[str, Any] = {"mode": "incremental", "template": deployment_template}
    if deployment_parameters is not None:
        deployment["parameters"] = deployment_parameters
    return {
        "if": {"field": "type", "equals": "Microsoft.Resources/subscriptions"},
        "then": {
            "effect": "deployIfNotExists",
            "details": {
                "type": "Microsoft.Security/automations",
                "roleDefinitionIds": role_definition_ids,
                "deployment": {"properties": deployment},
            },
        },
    }


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``auditor ARGS`` in-process: exit code, stdout, stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
