"""The bundled examples and their twins: ARM (examples/broken, examples/clean), Bicep (examples/bicep/…) and
Terraform (examples/terraform/…) describe the same deployments, so auditor must report the same problems on
the same resources for each of them, and nothing on the clean twins.

A finding's ``resource`` is the ARM ``type/name`` for ARM and Bicep, but the Terraform resource address for
Terraform (``azurerm_api_connection.alert``; auditor's convention, see tests/sources/test_terraform.py), and a
problem in a Logic App's trigger is reported on the ``azurerm_logic_app_trigger_custom`` resource that holds
it, where ARM reports it on the workflow. ``TERRAFORM_RESOURCES`` is that correspondence for the broken twin,
written out so a changed address is a visible failure, not a silent re-mapping.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.samples import run_cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

BROKEN_TWINS = {
    "arm": EXAMPLES / "broken",
    "bicep": EXAMPLES / "bicep" / "broken",
    "terraform": EXAMPLES / "terraform" / "broken",
}
CLEAN_TWINS = {
    "arm": EXAMPLES / "clean",
    "bicep": EXAMPLES / "bicep" / "clean",
    "terraform": EXAMPLES / "terraform" / "clean",
}

#: The problems planted in every broken twin (azuredeploy.parameters.json / main.bicepparam /
#: terraform.tfvars name the playbook Notify-Owner-Prod).
PLANTED = sorted(
    [
        ("AUT202", "Microsoft.Security/automations/notify-owner-alerts"),
        ("AUT203", "Microsoft.Security/automations/notify-owner-endpoint-protection"),
        ("AUT204", "Microsoft.Security/automations/notify-owner-alerts"),
        ("AUT205", "Microsoft.Security/automations/notify-owner-endpoint-protection"),
        ("LA101", "Microsoft.Logic/workflows/Isolate-VM-Legacy"),
        ("LA102", "Microsoft.Logic/workflows/Notify-Owner-Prod"),
        ("LA102", "Microsoft.Web/connections/ascalert-Notify-Owner-Prod"),
        ("LA103", "Microsoft.Logic/workflows/Notify-Owner-Prod"),
        ("LA106", "Microsoft.Web/connections/office365-Notify-Owner-Prod"),
    ]
)

#: Terraform address in examples/terraform/broken → the ARM resource of the same element.
TERRAFORM_RESOURCES = {
    "azurerm_api_connection.alert": "Microsoft.Web/connections/ascalert-Notify-Owner-Prod",
    "azurerm_api_connection.mail": "Microsoft.Web/connections/office365-Notify-Owner-Prod",
    "azurerm_logic_app_workflow.playbook": "Microsoft.Logic/workflows/Notify-Owner-Prod",
    # A trigger is a resource of its own in azurerm; in ARM it is part of the workflow's definition.
    "azurerm_logic_app_trigger_custom.alert": "Microsoft.Logic/workflows/Notify-Owner-Prod",
    "azurerm_logic_app_trigger_custom.legacy_alert": "Microsoft.Logic/workflows/Isolate-VM-Legacy",
    "azurerm_security_center_automation.alerts": "Microsoft.Security/automations/notify-owner-alerts",
    "azurerm_security_center_automation.endpoint_protection": (
        "Microsoft.Security/automations/notify-owner-endpoint-protection"
    ),
}


def scan_json(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict]:
    code, out, err = run_cli(capsys, "scan", str(path), "--no-config", "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def pairs(doc: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["resource"]) for f in doc["findings"])


def test_broken_arm_and_bicep_twins_give_the_planted_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    for kind in ("arm", "bicep"):
        code, doc = scan_json(capsys, BROKEN_TWINS[kind])
        assert code == 1, kind
        assert pairs(doc) == PLANTED, kind


def test_broken_terraform_twin_gives_the_planted_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = scan_json(capsys, BROKEN_TWINS["terraform"])
    assert code == 1
    found = pairs(doc)
    # Terraform findings name the Terraform address; every one must be a resource of the twin ...
    assert {resource for _rule, resource in found} <= set(TERRAFORM_RESOURCES), found
    # ... and, read as the ARM resource it deploys, the pairs are exactly the ARM and Bicep twins'.
    assert sorted((rule, TERRAFORM_RESOURCES[resource]) for rule, resource in found) == PLANTED


def test_broken_twins_give_the_same_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    """The three twins side by side, the Terraform addresses read as ARM resources."""
    seen = {}
    for kind, path in BROKEN_TWINS.items():
        _code, doc = scan_json(capsys, path)
        found = pairs(doc)
        if kind == "terraform":
            found = sorted((rule, TERRAFORM_RESOURCES.get(res, res)) for rule, res in found)
        seen[kind] = found
    assert seen["arm"] == seen["bicep"] == seen["terraform"], seen


@pytest.mark.parametrize("kind", sorted(CLEAN_TWINS))
def test_clean_twin_has_no_findings(capsys: pytest.CaptureFixture[str], kind: str) -> None:
    code, doc = scan_json(capsys, CLEAN_TWINS[kind])
    assert code == 0 and doc["findings"] == [], doc["findings"]
    assert doc["files"]["failed"] == 0


# ---------------------------------------------------------------- a known gap

_LEGACY_MODULE = """
variable "name" {
  type = string
}

variable "location" {
  type = string
}

variable "resource_group_name" {
  type = string
}

resource "azurerm_logic_app_workflow" "legacy" {
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
}

resource "azurerm_logic_app_trigger_custom" "legacy_alert" {
  name         = "When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered"
  logic_app_id = azurerm_logic_app_workflow.legacy.id

  body = jsonencode({
    type = "ApiConnectionWebhook"
    inputs = {
      host = {
        connection = {
          name = "@parameters('$connections')['ascalert']['connectionId']"
        }
      }
      path = "/subscribe"
    }
  })
}
"""

_LEGACY_ROOT = """
module "legacy" {
  source              = "./modules/legacy-playbook"
  name                = "Isolate-VM-Legacy"
  location            = "westeurope"
  resource_group_name = "rg-soc-automation"
}
"""


@pytest.mark.xfail(
    strict=True,
    reason=(
        "auditor gap: a legacy trigger (literal name and path) whose Logic App is named by a variable of a "
        "child module is not reported (no LA101, and no SRC003 either): the mapper drops a trigger whose "
        "logic_app_id is unknown instead of attaching it to the workflow block it references; the Bicep "
        "twin keeps the legacy playbook in a module and reports LA101"
    ),
)
def test_legacy_trigger_in_a_child_module_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    module = tmp_path / "modules" / "legacy-playbook"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(_LEGACY_MODULE)
    (tmp_path / "main.tf").write_text(_LEGACY_ROOT)
    _code, doc = scan_json(capsys, tmp_path)
    assert "LA101" in {f["rule"] for f in doc["findings"]}, doc["findings"]
