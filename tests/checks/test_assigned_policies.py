"""POL301/POL302 with an assignment's parameter values, and the built-in DINE policies shipped as data.

The fixtures (tests/checks/fixtures/POL30x) pin where findings go; these tests pin what the fixture
harness cannot see: the SRC003 an unknown assignment value gives (SRC003 of a check is only reported
when that check runs), that a definition scanned alone keeps its verdict, that the bundled data is
what tools/derive_builtin_policies.py derives from upstream, and that nothing loads it before a scan.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import scan_paths

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
AZURE_POLICY = REPO.parent / "shared" / "corpus" / "azure-policy"
AZURE_POLICY_COMMIT = "f4a50bacae07ddb096943c597669bcae494a6e29"


def _where(case: Path, rules: list[str]) -> list[tuple[str, int, str]]:
    result = scan_paths([case], rules)
    return [(f.rule.id, f.location.line, f.location.json_path) for f in result.findings]


def test_unknown_assigned_effect_is_src003_at_the_parameter() -> None:
    case = FIXTURES / "POL302" / "negative_assignment_effect_without_value"
    assert _where(case, ["POL302", "SRC003"]) == [
        ("SRC003", 102, "resources[1].properties.parameters.effect.value")
    ]


def test_unknown_trigger_choice_of_a_builtin_is_src003_at_the_parameter() -> None:
    case = FIXTURES / "POL301" / "negative_builtin_assignment_trigger_unknown.json"
    assert _where(case, ["POL301", "SRC003"]) == [
        ("SRC003", 117, "resources[1].properties.parameters.logicAppTrigger.value")
    ]


def test_definition_alone_keeps_its_verdict() -> None:
    """The assignment makes POL302 fire on its own file; the definition scanned alone has nothing."""
    folder = FIXTURES / "POL302" / "positive_exported_assignment_sets_deploy_effect"
    assert _where(folder / "definition.json", ["POL302", "SRC003"]) == []
    together = scan_paths([folder], ["POL302"]).findings
    assert [Path(str(f.location.file)).name for f in together] == ["assignment.json"]
    assert [Path(str(r.file)).name for r in together[0].related] == ["definition.json"]


def test_definition_whose_default_is_deploy_reports_once_on_the_definition() -> None:
    """An assignment of a definition that is DINE by default adds nothing: the definition's finding says it."""
    case = FIXTURES / "POL302" / "positive_tf_no_existence_condition"
    assert _where(case, ["POL302"]) == [
        ("POL302", 86, "resource.azurerm_policy_definition.workflow_automation.policy_rule.then.effect")
    ]


def test_builtin_assignment_without_a_scanned_logic_app_is_silent() -> None:
    """Only the assignment is scanned: the Logic App it names is not there, so there is nothing to compare."""
    from auditor.builtin_policies import builtin_policies

    assert set(builtin_policies()) == {
        "f1525828-9a90-4fcf-be48-268cdd02361e",
        "73d6ab6c-2475-4850-afd6-43795f3492ef",
        "509122b9-ddd9-47ba-a5f1-d0dac20be63c",
        "ffb6f416-7bd2-4488-8828-56585fef2be9",
        "cdfcce10-4578-4ecd-9703-530938e4abcb",
    }
    case = FIXTURES / "RB406" / "positive_assignment_without_identity.json"
    assert [r for r, *_ in _where(case, ["POL301", "POL302"])] == []


def test_builtin_id_forms() -> None:
    """A built-in is named without scope prefix; a custom definition of the same GUID name is not it."""
    from auditor.builtin_policies import builtin_policy

    guid = "f1525828-9a90-4fcf-be48-268cdd02361e"
    assert builtin_policy(f"/providers/Microsoft.Authorization/policyDefinitions/{guid.upper()}/") is not None
    assert (
        builtin_policy(f"/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/{guid}") is None
    )
    policy = builtin_policy(f"/providers/Microsoft.Authorization/policyDefinitions/{guid}")
    assert policy is not None and policy.callback is not None
    assert policy.callback.trigger_name("manual (incoming http request)") == "manual"
    assert policy.callback.trigger_name("Something else") is None


def test_shipped_data_is_what_the_script_derives() -> None:
    if not AZURE_POLICY.is_dir():
        pytest.skip(f"Azure/azure-policy copy not found at {AZURE_POLICY}")
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import derive_builtin_policies as derive
    finally:
        sys.path.pop(0)
    shipped = (REPO / "auditor" / "data" / "builtin-policies.json").read_text(encoding="utf-8")
    assert derive.render(derive.build(AZURE_POLICY, AZURE_POLICY_COMMIT)) == shipped


def test_version_and_rules_do_not_load_the_builtin_policies() -> None:
    probe = (
        "import sys\nfrom auditor.cli import main\n"
        "for argv in (['--version'], ['rules']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print('LOADED', 'auditor.builtin_policies' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "LOADED False" in out
