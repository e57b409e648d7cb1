"""Role prerequisites (issue 5): the plumbing around the RB rules.

The rules themselves are covered by their fixtures (tests/checks/fixtures/RB4*); this covers what
feeds them: ``reference()`` links from role assignments to managed identities, effective scopes,
the deployment target filling template placeholders, the CLI flags and configuration keys, the
access snapshot loaded once per run, and decisions the snapshot cannot settle.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.checking import CheckContext
from auditor.cli import main
from auditor.link import Links
from auditor.model import Inventory
from auditor.sources.core.evaluation.expressions import evaluate
from auditor.sources.dispatch import FileScan
from auditor.unknown import ResourceReference, Unknown
from conftest import scan_paths

FIXTURES = Path(__file__).parent / "checks" / "fixtures"
PLAYBOOK = FIXTURES / "RB401" / "positive_reader_only" / "azuredeploy.json"
SUB = "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
RG = "rg-soc-automation"
DEPLOYER = "5d0b7c1e-2a3f-4b6d-9e8f-1a2b3c4d5e6f"
SECURITY_ADMIN = "fb1c8493-542b-48eb-b624-b4c8fea62acd"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _findings(out: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(out)["findings"]
    return findings


def _assignment(principal: str, role: str, scope: str, ptype: str = "ServicePrincipal") -> dict[str, Any]:
    name = f"{abs(hash((principal, role, scope))) % 10**8:08d}-0000-4000-8000-000000000000"
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "principalId": principal,
        "principalType": ptype,
        "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "scope": scope,
    }


def _workspace(tmp_path: Path, snapshot: dict[str, Any] | None = None) -> Path:
    shutil.copy(PLAYBOOK, tmp_path / "azuredeploy.json")
    if snapshot is not None:
        (tmp_path / "access.json").write_text(json.dumps(snapshot))
    return tmp_path


def _template(resources: list[dict[str, Any]], schema: str = "deploymentTemplate") -> dict[str, Any]:
    return {
        "$schema": f"https://schema.management.azure.com/schemas/2019-04-01/{schema}.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }


def _role_assignment(principal: str, scope: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "Microsoft.Authorization/roleAssignments",
        "apiVersion": "2022-04-01",
        "name": "[guid('x')]",
        "properties": {
            "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
            "principalId": principal,
        },
    }
    if scope is not None:
        body["scope"] = scope
    return body


def _inventory(tmp_path: Path, doc: dict[str, Any], **kwargs: Any) -> Inventory:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    return FileScan(**kwargs).scan([path])


# --------------------------------------------------------------------------- reference()


class _Ctx:
    def parameter(self, name: str) -> Any:
        raise KeyError(name)

    def variable(self, name: str) -> Any:
        raise KeyError(name)

    def copy_index(self, loop: str | None) -> Any:
        raise KeyError(loop)

    def deployment_function(self, name: str, args: list[Any]) -> Any:
        return {"id": "/subscriptions/s", "subscriptionId": "s", "name": "g"}

    def resource_scope(self) -> dict[str, Any]:
        return {"subscriptionId": "s", "resourceGroup": "g"}


@pytest.mark.parametrize(
    ("text", "target", "path", "full"),
    [
        (
            "[reference(resourceId('Microsoft.Logic/workflows', 'la'), '2019-05-01', 'Full').identity.principalId]",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Logic/workflows/la",
            ("identity", "principalId"),
            True,
        ),
        ("[reference('la')['identity']['principalId']]", "la", ("identity", "principalId"), False),
        ("[reference('uai').principalId]", "uai", ("principalId",), False),
        ("[reference('dep').outputs.id.value]", "dep", ("outputs", "id", "value"), False),
    ],
)
def test_reference_keeps_its_target_and_the_path_read(
    text: str, target: str, path: tuple[str, ...], full: bool
) -> None:
    value = evaluate(text, _Ctx())  # type: ignore[arg-type]
    assert isinstance(value, ResourceReference)
    assert (value.target, value.path, value.full) == (target, path, full)
    assert "reference()" in value.reason and value.expression == text


@pytest.mark.parametrize(
    "text",
    [
        "[concat(reference('la').identity.principalId, 'x')]",
        "[reference('la').values[0]]",
        "[toLower(reference('la').a)]",
    ],
)
def test_values_computed_from_a_reference_are_plain_unknowns(text: str) -> None:
    assert type(evaluate(text, _Ctx())) is Unknown  # type: ignore[arg-type]


def test_reference_with_an_unknown_target_keeps_the_unknown() -> None:
    value = evaluate("[reference(utcNow()).identity.principalId]", _Ctx())  # type: ignore[arg-type]
    assert isinstance(value, ResourceReference) and isinstance(value.target, Unknown)


# --------------------------------------------------------------------------- role assignment links and scopes


LA = {
    "type": "Microsoft.Logic/workflows",
    "apiVersion": "2019-05-01",
    "name": "la",
    "location": "westeurope",
    "identity": {"type": "SystemAssigned"},
    "properties": {"definition": {"triggers": {}}},
}


@pytest.mark.parametrize(
    ("principal", "owner"),
    [
        (
            "[reference(resourceId('Microsoft.Logic/workflows', 'la'), '2019-05-01', 'full').identity.principalId]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Logic/workflows/la",
        ),
        (
            "[reference(concat('Microsoft.Logic/workflows/', 'la'), '2017-07-01', 'Full').identity.principalId]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Logic/workflows/la",
        ),
        ("[reference('la', '2019-05-01', 'full').identity.principalId]", "la"),
        (
            "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'uai')).principalId]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai",
        ),
        ("[reference(resourceId('Microsoft.Logic/workflows', 'la')).properties]", None),
        ("11111111-2222-4333-8444-555555555555", None),
    ],
)
def test_role_assignment_principal_is_linked_to_the_identity_it_reads(
    tmp_path: Path, principal: str, owner: str | None
) -> None:
    inventory = _inventory(tmp_path, _template([LA, _role_assignment(principal)]))
    (ra,) = inventory.role_assignments
    assert ra.principal_of == owner
    assert ra.scope == "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}"


def test_principal_read_from_a_nested_deployment_output_is_linked(tmp_path: Path) -> None:
    nested = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2021-04-01",
        "name": "playbook",
        "resourceGroup": "rg-soc",
        "properties": {
            "mode": "Incremental",
            "template": {
                **_template([LA]),
                "outputs": {
                    "pid": {
                        "type": "string",
                        "value": "[reference(resourceId('Microsoft.Logic/workflows', 'la'), '2019-05-01', 'full').identity.principalId]",
                    }
                },
            },
        },
    }
    doc = _template(
        [nested, _role_assignment("[reference('playbook').outputs.pid.value]")],
        "subscriptionDeploymentTemplate",
    )
    (ra,) = _inventory(tmp_path, doc).role_assignments
    assert (
        ra.principal_of
        == "/subscriptions/{subscriptionId}/resourceGroups/rg-soc/providers/Microsoft.Logic/workflows/la"
    )
    assert ra.scope == "/subscriptions/{subscriptionId}"


@pytest.mark.parametrize(
    ("schema", "scope", "expected"),
    [
        ("subscriptionDeploymentTemplate", None, "/subscriptions/{subscriptionId}"),
        (
            "managementGroupDeploymentTemplate",
            None,
            "/providers/Microsoft.Management/managementGroups/{managementGroup}",
        ),
        ("tenantDeploymentTemplate", None, "/"),
        (
            "deploymentTemplate",
            "[format('Microsoft.Logic/workflows/{0}', 'la')]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Logic/workflows/la",
        ),
        ("subscriptionDeploymentTemplate", "[subscription().id]", "/subscriptions/{subscriptionId}"),
    ],
)
def test_role_assignment_scope_is_the_effective_scope(
    tmp_path: Path, schema: str, scope: str | None, expected: str
) -> None:
    doc = _template([_role_assignment("11111111-2222-4333-8444-555555555555", scope)], schema)
    (ra,) = _inventory(tmp_path, doc).role_assignments
    assert ra.scope == expected


def test_deployment_target_fills_the_placeholders(tmp_path: Path) -> None:
    inventory = FileScan(subscription=SUB, resource_group=RG).scan([PLAYBOOK])
    (automation,) = inventory.automations
    assert (
        automation.id
        == f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Security/automations/route-high-alerts-to-soc"
    )
    assert all(la.id.startswith(f"/subscriptions/{SUB}/resourceGroups/{RG}/") for la in inventory.logic_apps)  # type: ignore[union-attr]


def test_unknown_identity_block_is_not_a_missing_one(tmp_path: Path) -> None:
    assignment = {
        "type": "Microsoft.Authorization/policyAssignments",
        "apiVersion": "2022-06-01",
        "name": "wa",
        "identity": "[parameters('identity')]",
        "properties": {
            "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/f1525828-9a90-4fcf-be48-268cdd02361e"
        },
    }
    doc = {
        **_template([assignment], "subscriptionDeploymentTemplate"),
        "parameters": {"identity": {"type": "object"}},
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    result = scan_paths([path], ["RB406", "SRC003"])
    assert [f.rule.id for f in result.findings] == ["SRC003"]
    assert result.findings[0].location.json_path == "resources[0].identity"


# --------------------------------------------------------------------------- the run


def test_evaluator_is_built_once_and_only_with_a_snapshot() -> None:
    from auditor.catalog import default_catalog
    from auditor.checking import RunSettings
    from auditor.rbac import AccessSnapshot, Evaluator

    inventory = Inventory()
    ctx = CheckContext(links=Links(inventory), catalog=default_catalog())
    assert ctx.evaluator is None
    ctx = CheckContext(
        links=Links(inventory), catalog=default_catalog(), settings=RunSettings(access=AccessSnapshot())
    )
    assert isinstance(ctx.evaluator, Evaluator) and ctx.evaluator is ctx.evaluator


def test_plain_scan_says_nothing_about_roles(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "scan", str(PLAYBOOK), "--format", "json", "--no-config")
    assert not [f for f in _findings(out) if f["rule"].startswith("RB")]
    _, out, _ = run_cli(capsys, "scan", str(PLAYBOOK), "--format", "json", "--no-config", "--select", "RB")
    assert [f["rule"] for f in _findings(out)] == ["RB400"]


def test_flags_check_the_deployer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snapshot = {"roleAssignments": [_assignment(DEPLOYER, SECURITY_ADMIN, f"/subscriptions/{SUB}")]}
    work = _workspace(tmp_path, snapshot)
    args = ["scan", str(work / "azuredeploy.json"), "--format", "json", "--select", "RB", "--no-config"]
    args += ["--access", str(work / "access.json"), "--deployer", DEPLOYER.upper()]
    code, out, _ = run_cli(capsys, *args, "--subscription", SUB, "--resource-group", RG)
    rules = [f["rule"] for f in _findings(out)]
    assert rules == ["RB400", "RB402"], (
        out
    )  # Security Admin writes the automation but cannot list the callback
    assert "no editors" in _findings(out)[0]["message"] and code == 1
    # without the deployment target every scope holds placeholders: nothing is decided, RB400 says why
    code, out, _ = run_cli(capsys, *args)
    assert [f["rule"] for f in _findings(out)] == ["RB400"]
    assert "no deployment target" in _findings(out)[0]["message"]


def test_configuration_keys_are_relative_to_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    snapshot = {"roleAssignments": [_assignment(DEPLOYER, SECURITY_ADMIN, f"/subscriptions/{SUB}")]}
    work = tmp_path / "deploy"
    work.mkdir()
    _workspace(work, snapshot)
    (work / "roles").mkdir()
    shutil.move(str(work / "access.json"), work / "roles" / "access.json")
    (work / "auditor.toml").write_text(
        f'access = "roles/access.json"\nsubscription = "{SUB}"\nresource-group = "{RG}"\n'
        f'[principals]\ndeployer = "{DEPLOYER}"\neditors = "{DEPLOYER}"\n'
    )
    code, out, _ = run_cli(capsys, "scan", str(work), "--format", "json", "--select", "RB401,RB402,RB403")
    assert code == 1 and [f["rule"] for f in _findings(out)] == ["RB403", "RB402"]
    _, out, _ = run_cli(capsys, "config", str(work))
    data = json.loads(out)
    assert data["access"] == "roles/access.json" and data["resource-group"] == RG
    assert data["principals"] == {"deployer": DEPLOYER, "editors": [DEPLOYER], "responders": []}
    # a flag replaces the configured principals of its kind
    _, out, _ = run_cli(
        capsys, "scan", str(work), "--format", "json", "--select", "RB403", "--editor", SECURITY_ADMIN
    )
    assert SECURITY_ADMIN in _findings(out)[0]["message"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--deployer", "sp-deploy"], "deployer: expected an Entra object id (a GUID), got 'sp-deploy'"),
        (["--editor", DEPLOYER, "--editor", "x"], "editors: expected an Entra object id"),
        (["--subscription", "prod"], "subscription must be a subscription id"),
        (["--resource-group", "a/b"], "resource group must be a resource group name"),
        (["--access", "missing.json"], "cannot read access snapshot missing.json"),
    ],
)
def test_bad_role_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, "scan", str(PLAYBOOK), "--no-config", *extra)
    assert code == 2 and message in err


def test_malformed_snapshot_is_a_usage_error_with_its_json_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "access.json"
    bad.write_text(json.dumps({"roleAssignments": [{"principalId": DEPLOYER, "scope": "subscriptions/x"}]}))
    code, _, err = run_cli(capsys, "scan", str(PLAYBOOK), "--no-config", "--access", str(bad))
    assert code == 2 and "roleAssignments[0]" in err
    code, _, err = run_cli(capsys, "baseline", "create", str(PLAYBOOK), "--no-config", "--access", str(bad))
    assert code == 2 and "roleAssignments[0]" in err


def test_baseline_create_takes_the_role_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    work = _workspace(tmp_path, {"roleAssignments": []})
    baseline = tmp_path / "baseline.json"
    code, _, err = run_cli(
        capsys,
        "baseline",
        "create",
        str(work / "azuredeploy.json"),
        "--no-config",
        "--select",
        "RB401",
        "--access",
        str(work / "access.json"),
        "--deployer",
        DEPLOYER,
        "--subscription",
        SUB,
        "--resource-group",
        RG,
        "--output",
        str(baseline),
    )
    assert code == 0, err
    assert [e["rule"] for e in json.loads(baseline.read_text())["findings"]] == ["RB401"]


def test_undecidable_decisions_go_to_src003(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    group = "6c5b4a39-2817-4f6e-9d8c-7b6a5f4e3d2c"
    snapshot = {"roleAssignments": [_assignment(group, SECURITY_ADMIN, f"/subscriptions/{SUB}", "Group")]}
    work = _workspace(tmp_path, snapshot)
    _, out, _ = run_cli(
        capsys,
        "scan",
        str(work / "azuredeploy.json"),
        "--format",
        "json",
        "--no-config",
        "--select",
        "RB401,SRC003",
        "--access",
        str(work / "access.json"),
        "--deployer",
        DEPLOYER,
        "--subscription",
        SUB,
        "--resource-group",
        RG,
    )
    findings = _findings(out)
    assert [f["rule"] for f in findings] == ["SRC003"]
    assert (
        "RB401 could not check" in findings[0]["message"]
        and "membership is not in the snapshot" in findings[0]["message"]
    )


def test_deny_assignment_is_named_and_no_role_is_suggested(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deny = {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/denyAssignments/d1",
        "name": "d1",
        "properties": {
            "denyAssignmentName": "Deny writes outside the landing zone pipeline",
            "scope": f"/subscriptions/{SUB}",
            "permissions": [{"actions": ["*/write"], "notActions": []}],
            "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
            "excludePrincipals": [],
        },
    }
    snapshot = {
        "roleAssignments": [_assignment(DEPLOYER, SECURITY_ADMIN, f"/subscriptions/{SUB}")],
        "denyAssignments": [deny],
    }
    work = _workspace(tmp_path, snapshot)
    _, out, _ = run_cli(
        capsys,
        "scan",
        str(work / "azuredeploy.json"),
        "--format",
        "json",
        "--no-config",
        "--select",
        "RB401",
        "--access",
        str(work / "access.json"),
        "--deployer",
        DEPLOYER,
        "--subscription",
        SUB,
        "--resource-group",
        RG,
    )
    (finding,) = _findings(out)
    assert "deny assignment 'Deny writes outside the landing zone pipeline'" in finding["message"]
    assert "smallest built-in role" not in finding["message"]
