"""RBAC evaluator, table-driven through ``auditor access explain --format json``.

Every case runs the real command (``auditor.cli.main``) against a snapshot file in
this folder and checks the decision, the exit code and the evidence (granting
roles and patterns, denies, eligible and conditional assignments, suggestion).

Fixtures:
* ``snapshot-az.json``: az CLI shapes, with deny assignments and one PIM eligibility
  instance in ARM REST shape; full ``groups``, ``managementGroups``, ``subscriptions``.
* ``snapshot-rest.json``: ARM REST ``{"value": [...]}`` pages and no ``groups``.
* ``snapshot-override.json``: a snapshot definition reusing a built-in role's GUID.

Tenant shape (az fixture): root MG ``TENANT`` → ``mg-corp`` → ``mg-security`` ⊃ SUB1;
``TENANT`` → ``mg-platform`` ⊃ SUB2; SUB3 is in no management group we know.
Groups: secops ⊃ analysts ⊃ dave; cyc-a ⊃ cyc-b ⊃ {cyc-a, erin} (a cycle);
breakglass ⊃ frank; the "ghost" group is assigned roles but its members are not exported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

HERE = Path(__file__).resolve().parent

P = {
    "alice": "a11ce000-0000-4000-8000-000000000001",  # Contributor at SUB1/rg1
    "bob": "b0b00000-0000-4000-8000-000000000002",  # Reader at MG mg-corp
    "carol": "ca201000-0000-4000-8000-000000000003",  # Logic App Operator at rg1, custom callback role at rg10
    "dave": "da7e0000-0000-4000-8000-000000000004",  # in analysts ⊂ secops (Security Admin at SUB1)
    "erin": "e2140000-0000-4000-8000-000000000005",  # in cyc-b ⊂ cyc-a (Logic App Contributor at SUB2)
    "frank": "f2a4c000-0000-4000-8000-000000000006",  # Owner at SUB1, in breakglass
    "gina": "9144a000-0000-4000-8000-000000000007",  # eligible Contributor at SUB1
    "hank": "4a4c0000-0000-4000-8000-000000000008",  # RBAC Administrator at SUB1 with a delegation condition
    "ivan": "1fa40000-0000-4000-8000-000000000009",  # Storage Blob Data Contributor at st1; eligible LAC at rg1
    "judy": "10d70000-0000-4000-8000-00000000000a",  # Contributor at SUB1
    "ken": "ce400000-0000-4000-8000-00000000000b",  # Contributor + User Access Administrator at SUB1
    "lena": "1e4a0000-0000-4000-8000-00000000000c",  # no assignments, in no known group
    "mike": "3c4e0000-0000-4000-8000-00000000000d",  # RBAC Administrator at SUB2, ForAllOfAnyValues condition
    "nora": "40a40000-0000-4000-8000-00000000000e",  # Reader at SUB2 with an unsupported condition
    "oscar": "05ca2000-0000-4000-8000-00000000000f",  # Owner at SUB1
    "pia": "91a00000-0000-4000-8000-000000000010",  # assignment of a role that exists nowhere
    "tina": "714a0000-0000-4000-8000-000000000011",  # Reader at the tenant root management group
    "uma": "03a00000-0000-4000-8000-000000000012",  # User Access Administrator at "/"
    "olga": "019a0000-0000-4000-8000-000000000013",  # custom role whose permission block has a condition
    "nina": "4144a000-0000-4000-8000-000000000014",  # custom role with two permission blocks
}
R = {
    "owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "lao": "515c2055-d9d4-4321-b1b9-bd0c9a0f79fe",
}
SUB1 = "11111111-1111-4111-8111-111111111111"
SUB2 = "22222222-2222-4222-8222-222222222222"
SUB3 = "33333333-3333-4333-8333-333333333333"
S1, S2, S3 = f"/subscriptions/{SUB1}", f"/subscriptions/{SUB2}", f"/subscriptions/{SUB3}"
RG1 = f"{S1}/resourceGroups/rg1"
RG10 = f"{S1}/resourceGroups/rg10"
WF1 = f"{RG1}/providers/Microsoft.Logic/workflows/wf1"
WF10 = f"{RG10}/providers/Microsoft.Logic/workflows/wf10"
LOCKED = f"{S1}/resourceGroups/rg-locked/providers/Microsoft.Logic/workflows/wf"
ST1 = f"{RG1}/providers/Microsoft.Storage/storageAccounts/st1"
CONTAINER = f"{ST1}/blobServices/default/containers/logs"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
BLOB_DELETE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"
RA_WRITE = "Microsoft.Authorization/roleAssignments/write"
RA_ROLE = "Microsoft.Authorization/roleAssignments:RoleDefinitionId"
RA_TYPE = "Microsoft.Authorization/roleAssignments:PrincipalType"
AUTOMATION = f"{S1}/resourceGroups/rg1/providers/Microsoft.Security/automations/a1"


@dataclass(frozen=True)
class Case:
    id: str
    who: str
    scope: str
    action: str
    expect: str  # allowed | denied | conditional | unknown
    fixture: str = "az"
    data: bool = False
    attrs: tuple[str, ...] = ()
    grants: tuple[str, ...] | None = None  # role names of the grants, in order (None: not checked)
    pattern: str | None = None  # pattern of the first grant
    via: tuple[str, ...] | None = None  # groups (names) of the first grant
    denies: tuple[str, ...] | None = None  # names of the deny assignments reported
    eligible: tuple[str, ...] | None = None
    conditional: tuple[str, ...] | None = None
    suggestion: str | None = None  # role name; "" = must be null
    mentions: str | None = None  # text that must appear in unknown / notes / reasons


NAMES = {v: k for k, v in P.items()} | {
    "5ec0b500-0000-4000-8000-0000000000f1": "secops",
    "a4a15500-0000-4000-8000-0000000000f2": "analysts",
    "c1c1a000-0000-4000-8000-0000000000f3": "cyc-a",
    "c1c1b000-0000-4000-8000-0000000000f4": "cyc-b",
}

# fmt: off
CASES = [
    # --- scope inheritance: nested management groups, root MG, "/" -----------------------------
    Case("mg-nested-read", "bob", WF1, "Microsoft.Logic/workflows/read", "allowed", grants=("Reader",), pattern="*/read"),
    Case("mg-nested-no-write", "bob", WF1, "Microsoft.Logic/workflows/write", "denied", grants=(), suggestion="Logic App Contributor"),
    Case("mg-other-branch", "bob", f"{S2}/resourceGroups/x", "Microsoft.Resources/subscriptions/resourceGroups/read", "denied"),
    Case("mg-on-mg-scope", "bob", "/providers/Microsoft.Management/managementGroups/mg-security", "Microsoft.Management/managementGroups/read", "allowed", grants=("Reader",)),
    Case("mg-unplaced-subscription", "bob", f"{S3}/resourceGroups/x", "Microsoft.Resources/subscriptions/resourceGroups/read", "unknown", mentions="not placed in a management group"),
    Case("root-mg-covers-unplaced-subscription", "tina", f"{S3}/resourceGroups/x", "Microsoft.Resources/subscriptions/resourceGroups/read", "allowed", grants=("Reader",)),
    Case("tenant-root-slash", "uma", f"{S3}/resourceGroups/x", RA_WRITE, "allowed", grants=("User Access Administrator",), pattern="Microsoft.Authorization/*"),
    # --- scope containment: rg1 vs rg10, case, trailing slash ------------------------------------
    Case("rg1-grants-rg1", "alice", AUTOMATION, "Microsoft.Security/automations/write", "allowed", grants=("Contributor",), pattern="*"),
    Case("rg1-does-not-contain-rg10", "alice", f"{RG10}/providers/Microsoft.Security/automations/a1", "Microsoft.Security/automations/write", "denied", grants=(), suggestion="Security Admin"),
    Case("case-and-trailing-slash", "alice", AUTOMATION.upper() + "/", "MICROSOFT.SECURITY/AUTOMATIONS/WRITE", "allowed", grants=("Contributor",)),
    Case("assignment-scope-trailing-slash-and-role-id-prefix", "carol", WF10, "Microsoft.Logic/workflows/triggers/listCallbackUrl/action", "allowed", grants=("Workflow Callback Reader",)),
    Case("custom-role-only-at-rg10", "carol", WF1, "Microsoft.Logic/workflows/triggers/listCallbackUrl/action", "denied", grants=()),
    # --- wildcards ---------------------------------------------------------------------------------
    Case("star-in-the-middle", "carol", WF1, "Microsoft.Logic/workflows/triggers/read", "allowed", grants=("Logic App Operator",), pattern="Microsoft.Logic/*/read"),
    Case("star-spans-segments", "carol", WF1, "Microsoft.Logic/workflows/runs/actions/repetitions/read", "allowed", pattern="Microsoft.Logic/*/read"),
    Case("star-needs-its-separators", "carol", RG1, "Microsoft.Web/connections/read", "denied"),
    Case("star-does-not-match-action-suffix", "carol", WF1, "Microsoft.Logic/workflows/triggers/run/action", "denied"),
    # --- notActions are not denies -------------------------------------------------------------------
    Case("notactions-remove-from-block", "judy", S1, RA_WRITE, "denied", grants=(), mentions="Microsoft.Authorization/*/Write", suggestion="Role Based Access Control Administrator"),
    Case("notactions-vs-another-role", "ken", S1, RA_WRITE, "allowed", grants=("User Access Administrator",)),
    Case("notactions-only-within-their-block", "nina", f"{S2}/resourceGroups/x", "Microsoft.Logic/workflows/delete", "allowed", grants=("Two Block Logic Role",), pattern="Microsoft.Logic/workflows/delete", mentions="notActions 'Microsoft.Logic/workflows/delete'"),
    # --- groups: nested, cycles ---------------------------------------------------------------------------
    Case("nested-groups", "dave", S1, "Microsoft.Security/automations/write", "allowed", grants=("Security Admin",), via=("analysts", "secops")),
    Case("group-cycle-terminates", "erin", f"{S2}/resourceGroups/x", "Microsoft.Logic/workflows/write", "allowed", grants=("Logic App Contributor",), via=("cyc-b", "cyc-a")),
    Case("group-not-member", "lena", S1, "Microsoft.Security/automations/write", "denied"),
    # --- deny assignments ------------------------------------------------------------------------------
    Case("everyone-deny-beats-owner", "oscar", LOCKED, "Microsoft.Logic/workflows/write", "denied", grants=("Owner",), denies=("Locked workflows",), suggestion=""),
    Case("deny-covers-only-its-actions", "oscar", LOCKED, "Microsoft.Logic/workflows/read", "allowed", denies=()),
    Case("deny-exclusion-direct", "ken", LOCKED, "Microsoft.Logic/workflows/write", "allowed", denies=()),
    Case("deny-exclusion-through-group", "frank", LOCKED, "Microsoft.Logic/workflows/delete", "allowed", grants=("Owner",), denies=()),
    Case("deny-to-nested-group", "dave", S1, "Microsoft.Security/automations/delete", "denied", denies=("SecOps may not delete automations",)),
    Case("deny-no-children-at-its-scope", "oscar", f"{S1}/resourceGroups/rg2", "Microsoft.Resources/subscriptions/resourceGroups/delete", "denied", denies=("No delete of rg2 itself",)),
    Case("deny-no-children-child-scope", "oscar", f"{S1}/resourceGroups/rg2/providers/Microsoft.Logic/workflows/wf", "Microsoft.Logic/workflows/delete", "allowed", denies=()),
    Case("audit-deny-reported-not-enforced", "oscar", f"{S1}/resourceGroups/rg3/providers/Microsoft.Logic/workflows/wf", "Microsoft.Logic/workflows/write", "allowed", denies=("Audit Logic changes",)),
    Case("deny-notactions-carve-out", "oscar", f"{S1}/resourceGroups/rg4", "Microsoft.Logic/workflows/read", "allowed", denies=()),
    Case("deny-star", "oscar", f"{S1}/resourceGroups/rg4/providers/Microsoft.Logic/workflows/wf", "Microsoft.Logic/workflows/write", "denied", denies=("Read-only rg4",)),
    Case("deny-to-group-with-unknown-members", "erin", f"{S2}/resourceGroups/rg-ud", "Microsoft.Logic/workflows/write", "unknown", grants=("Logic App Contributor",), mentions="membership of group"),
    # --- data actions vs actions ----------------------------------------------------------------------
    Case("data-action-granted", "ivan", CONTAINER, BLOB_READ, "allowed", data=True, grants=("Storage Blob Data Contributor",)),
    Case("data-action-name-as-action", "ivan", CONTAINER, BLOB_READ, "denied", grants=()),
    Case("owner-has-no-data-actions", "oscar", CONTAINER, BLOB_READ, "denied", data=True, grants=(), suggestion="Storage Blob Data Reader"),
    Case("data-deny", "ivan", CONTAINER, BLOB_DELETE, "denied", data=True, denies=("No blob deletes",)),
    Case("data-deny-not-a-control-plane-deny", "oscar", CONTAINER, BLOB_DELETE, "allowed", denies=()),
    # --- PIM eligibility ----------------------------------------------------------------------------------
    Case("eligible-flag-grants-nothing", "gina", S1, "Microsoft.Security/automations/write", "denied", grants=(), eligible=("Contributor",), suggestion="Security Admin"),
    Case("eligible-instance-grants-nothing", "ivan", WF1, "Microsoft.Logic/workflows/write", "denied", eligible=("Logic App Contributor",)),
    # --- ABAC conditions ------------------------------------------------------------------------------------
    Case("condition-needs-attribute", "hank", S1, RA_WRITE, "conditional", conditional=("Role Based Access Control Administrator",), mentions=RA_ROLE),
    Case("condition-attribute-allowed", "hank", S1, RA_WRITE, "allowed", attrs=(f"{RA_ROLE}={R['lao']}",), grants=("Role Based Access Control Administrator",)),
    Case("condition-guid-any-form", "hank", S1, RA_WRITE, "allowed", attrs=(f"{RA_ROLE}=/subscriptions/{SUB1}/providers/Microsoft.Authorization/roleDefinitions/{R['reader'].upper()}",)),
    Case("condition-source-prefix", "hank", S1, RA_WRITE, "allowed", attrs=(f"@Request[{RA_ROLE}]={R['lao']}",)),
    Case("condition-false", "hank", S1, RA_WRITE, "denied", attrs=(f"{RA_ROLE}={R['owner']}",), grants=(), mentions="condition is false"),
    Case("condition-any-of-any-values", "hank", S1, RA_WRITE, "allowed", attrs=(f"{RA_ROLE}={R['owner']}", f"{RA_ROLE}={R['reader']}")),
    Case("condition-other-action-unaffected", "hank", S1, "Microsoft.Resources/subscriptions/resourceGroups/read", "allowed"),
    Case("condition-for-all-of-any-values", "mike", S2, RA_WRITE, "allowed", attrs=(f"{RA_ROLE}={R['lao']}", f"{RA_ROLE}={R['reader']}", f"{RA_TYPE}=serviceprincipal")),
    Case("condition-for-all-of-any-values-fails", "mike", S2, RA_WRITE, "denied", attrs=(f"{RA_ROLE}={R['lao']}", f"{RA_ROLE}={R['owner']}", f"{RA_TYPE}=ServicePrincipal")),
    Case("condition-and-with-missing-attribute", "mike", S2, RA_WRITE, "conditional", attrs=(f"{RA_ROLE}={R['lao']}",), mentions=RA_TYPE),
    Case("condition-false-and-missing-is-false", "mike", S2, RA_WRITE, "denied", attrs=(f"{RA_ROLE}={R['owner']}",)),
    Case("condition-string-equals-ignore-case", "mike", S2, RA_WRITE, "denied", attrs=(f"{RA_ROLE}={R['lao']}", f"{RA_TYPE}=User")),
    Case("condition-unsupported-syntax", "nora", S2, "Microsoft.Logic/workflows/read", "conditional", conditional=("Reader",), mentions="unsupported condition syntax"),
    Case("role-block-condition-true", "olga", CONTAINER, BLOB_READ, "allowed", data=True, attrs=("@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]=logs",), grants=("Logs Container Reader",)),
    Case("role-block-condition-missing", "olga", CONTAINER, BLOB_READ, "conditional", data=True, mentions="containers:name"),
    Case("role-block-condition-false", "olga", CONTAINER, BLOB_READ, "denied", data=True, attrs=("Microsoft.Storage/storageAccounts/blobServices/containers:name=other",)),
    # --- unknown ----------------------------------------------------------------------------------------
    Case("unknown-group-membership", "lena", f"{S2}/resourceGroups/rg-shared/providers/Microsoft.Logic/workflows/w", "Microsoft.Logic/workflows/write", "unknown", grants=(), mentions="0404f000"),
    Case("unknown-group-irrelevant-action", "lena", f"{S2}/resourceGroups/rg-shared", "Microsoft.Security/automations/write", "denied"),
    Case("unknown-role-definition", "pia", S2, "Microsoft.Logic/workflows/read", "unknown", mentions="deadbeef-0000-4000-8000-00000000dead"),
    # --- REST-format snapshot (no 'groups') -------------------------------------------------------------
    Case("rest-direct-grant", "alice", AUTOMATION, "Microsoft.Security/automations/write", "allowed", fixture="rest", grants=("Contributor",)),
    Case("rest-custom-role", "carol", WF10, "Microsoft.Logic/workflows/triggers/listCallbackUrl/action", "allowed", fixture="rest", grants=("Workflow Callback Reader",)),
    Case("rest-group-members-missing", "dave", S1, "Microsoft.Security/automations/write", "unknown", fixture="rest", mentions="5ec0b500"),
    Case("rest-unknown-group-with-eligible", "gina", S1, "Microsoft.Security/automations/write", "unknown", fixture="rest", eligible=("Contributor",)),
    Case("rest-deny-exclusion-unknown", "oscar", LOCKED, "Microsoft.Logic/workflows/write", "unknown", fixture="rest", grants=("Owner",), mentions="excluded group"),
    Case("rest-deny-not-matching-action", "oscar", LOCKED, "Microsoft.Logic/workflows/read", "allowed", fixture="rest"),
    # --- a snapshot definition overrides the shipped built-in with the same GUID ------------------------
    Case("builtin-without-override", "carol", WF1, "Microsoft.Logic/workflows/triggers/run/action", "denied", suggestion="Logic App Contributor"),
    Case("snapshot-overrides-builtin", "carol", WF1, "Microsoft.Logic/workflows/triggers/run/action", "allowed", fixture="override", grants=("Logic App Operator (snapshot copy)",)),
]
# fmt: on

FIXTURES = {"az": "snapshot-az.json", "rest": "snapshot-rest.json", "override": "snapshot-override.json"}


def explain_json(capsys: pytest.CaptureFixture[str], case: Case) -> tuple[int, dict[str, Any]]:
    argv = ["access", "explain", str(HERE / FIXTURES[case.fixture]), "--principal", P[case.who]]
    argv += ["--scope", case.scope, "--action", case.action, "--format", "json"]
    if case.data:
        argv.append("--data-action")
    for attr in case.attrs:
        argv += ["--request-attribute", attr]
    code = main(argv)
    captured = capsys.readouterr()
    assert captured.err == "", captured.err
    return code, json.loads(captured.out)


def test_enough_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_decision(capsys: pytest.CaptureFixture[str], case: Case) -> None:
    code, doc = explain_json(capsys, case)
    evidence = json.dumps(doc, indent=1)
    assert doc["decision"] == case.expect, evidence
    assert code == (0 if case.expect == "allowed" else 1)
    assert doc["principal"] == P[case.who] and doc["scope"] == case.scope and doc["action"] == case.action
    if case.grants is not None:
        assert [g["roleName"] for g in doc["grants"]] == list(case.grants), evidence
    if case.pattern is not None:
        assert doc["grants"] and doc["grants"][0]["pattern"] == case.pattern, evidence
    if case.via is not None:
        assert [NAMES[g] for g in doc["grants"][0]["viaGroups"]] == list(case.via), evidence
    if case.denies is not None:
        assert [d["name"] for d in doc["denies"]] == list(case.denies), evidence
    if case.eligible is not None:
        assert [g["roleName"] for g in doc["eligible"]] == list(case.eligible), evidence
        assert all(g["eligible"] for g in doc["eligible"])
    if case.conditional is not None:
        assert [g["roleName"] for g in doc["conditional"]] == list(case.conditional), evidence
    if case.suggestion is not None:
        if case.suggestion == "":
            assert doc["suggestion"] is None, evidence
        else:
            assert doc["suggestion"] and doc["suggestion"]["roleName"] == case.suggestion, evidence
    if case.mentions is not None:
        assert case.mentions in evidence, evidence
    if case.expect == "denied" and not any(
        d["effect"] == "enforced" and d["applies"] == "yes" for d in doc["denies"]
    ):
        assert doc["suggestion"] is not None, "a denied decision without a deny suggests a built-in role"
    if case.expect == "conditional":
        assert doc["conditional"] or any(d["applies"] == "conditional" for d in doc["denies"])
    if case.expect == "unknown":
        assert doc["unknown"] or any(d["applies"] == "unknown" for d in doc["denies"])


def test_audit_deny_is_reported_as_audit(capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c.id == "audit-deny-reported-not-enforced")
    _, doc = explain_json(capsys, case)
    assert [(d["effect"], d["applies"], d["pattern"]) for d in doc["denies"]] == [
        ("audit", "yes", "Microsoft.Logic/*")
    ]


def test_blocking_deny_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c.id == "everyone-deny-beats-owner")
    _, doc = explain_json(capsys, case)
    (deny,) = doc["denies"]
    assert deny["effect"] == "enforced" and deny["applies"] == "yes"
    assert deny["pattern"] == "Microsoft.Logic/workflows/write"
    assert deny["scope"].endswith("/resourceGroups/rg-locked")
    assert deny["denyAssignmentId"].endswith("d0000000-0000-4000-8000-000000000001")


def test_grant_evidence_names_assignment_and_block(capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c.id == "notactions-only-within-their-block")
    _, doc = explain_json(capsys, case)
    (grant,) = doc["grants"]
    assert grant["permissionBlock"] == 1
    assert grant["roleId"] == "c0ffee00-0000-4000-8000-000000000c02"
    assert grant["scope"] == S2
    assert grant["assignmentId"].startswith(f"{S2}/providers/Microsoft.Authorization/roleAssignments/")
    assert grant["principalId"] == P["nina"] and grant["viaGroups"] == []


# ------------------------------------------------------------------ text output and usage errors


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["access", "explain", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_output_denied_with_eligible_and_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, str(HERE / "snapshot-az.json"), "--principal", P["gina"], "--scope", S1,
        "--action", "Microsoft.Security/automations/write",
    )  # fmt: skip
    assert code == 1
    assert out.startswith("DENIED: ")
    assert "Eligible through PIM" in out and "'Contributor'" in out
    assert "Smallest built-in role that grants it: 'Security Admin'" in out


def test_text_output_allowed_names_role_scope_and_groups(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, str(HERE / "snapshot-az.json"), "--principal", P["dave"], "--scope", S1,
        "--action", "Microsoft.Security/automations/write", "--format", "text",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("ALLOWED: ")
    assert f"'Security Admin' (fb1c8493-542b-48eb-b624-b4c8fea62acd) at {S1} via group" in out


def test_text_output_blocking_deny(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, str(HERE / "snapshot-az.json"), "--principal", P["oscar"], "--scope", LOCKED,
        "--action", "Microsoft.Logic/workflows/write",
    )  # fmt: skip
    assert code == 1
    assert "Blocked by deny assignment" in out and "'Locked workflows'" in out
    assert "Assigning a role cannot help" in out


def _write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


BASE_ARGS = ("--principal", "p", "--scope", "/subscriptions/s", "--action", "Microsoft.Logic/workflows/read")
GOOD_RA = {"principalId": "p", "roleDefinitionId": R["reader"], "scope": "/subscriptions/s"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"roleAssignments": [GOOD_RA, GOOD_RA, GOOD_RA, {**GOOD_RA, "scope": 3}]}, "roleAssignments[3].scope: expected a string"),
        ({"roleAssignments": [{**GOOD_RA, "scope": "subscriptions/s"}]}, "roleAssignments[0].scope: expected a scope starting with '/'"),
        ({"roleAssignments": [{"properties": {**GOOD_RA, "principalId": None}}]}, "roleAssignments[0].properties.principalId: missing"),
        ({"roleAssignments": {"value": [{"properties": {**GOOD_RA, "scope": ["/"]}}]}}, "roleAssignments.value[0].properties.scope: expected a string"),
        ({"roleAssignments": {"value": [], "nextLink": "https://management.azure.com/next"}}, "roleAssignments.nextLink"),
        ({"roleAssignments": "x"}, "roleAssignments: expected a list"),
        ({"roleAssignments": [{**GOOD_RA, "id": "a"}, {**GOOD_RA, "id": "a", "scope": "/"}]}, "roleAssignments[1]: assignment id a is listed twice"),
        ({"roleAssigments": []}, "roleAssigments: unknown key"),
        ({"roleDefinitions": [{"roleName": "x", "permissions": []}]}, "roleDefinitions[0]: missing 'name' and 'id'"),
        ({"roleDefinitions": [{"name": "g", "permissions": [{"actions": "*"}]}]}, "roleDefinitions[0].permissions[0].actions: expected a list of strings"),
        ({"roleDefinitions": [{"name": "g", "permissions": [{"actions": ["*", 1]}]}]}, "roleDefinitions[0].permissions[0].actions[1]: expected a string"),
        ({"denyAssignments": [{"properties": {"scope": "/", "principals": [{"id": 5}]}}]}, "denyAssignments[0].properties.principals[0].id: expected a string"),
        ({"denyAssignments": [{"properties": {"scope": "/", "principals": []}}]}, "denyAssignments[0].properties.principals: a deny assignment needs at least one principal"),
        ({"denyAssignments": [{"scope": "/", "principals": [{"id": "x"}], "denyAssignmentEffect": "warn"}]}, "denyAssignments[0].denyAssignmentEffect: expected 'enforced' or 'audit'"),
        ({"denyAssignments": [{"scope": "/", "principals": [{"id": "x"}], "doNotApplyToChildScopes": "yes"}]}, "denyAssignments[0].doNotApplyToChildScopes: expected true or false"),
        ({"managementGroups": {"a": "b", "b": "a"}}, "managementGroups: cycle in the management-group tree"),
        ({"managementGroups": {"a": 1}}, "managementGroups.a: expected a management group name or null"),
        ({"subscriptions": {"s": None}}, "subscriptions.s: expected a management group name"),
        ({"groups": {"g": "member"}}, "groups.g: expected a list of strings"),
        ({"roleAssignments": [{**GOOD_RA, "eligible": "true"}]}, "roleAssignments[0].eligible: expected true or false"),
        ([GOOD_RA], "$: expected a JSON object"),
        ("{not json", "not valid JSON"),
    ],
)  # fmt: skip
def test_malformed_snapshot_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: Any, message: str
) -> None:
    code, out, err = run_cli(capsys, _write(tmp_path, data), *BASE_ARGS)
    assert code == 2
    assert out == ""
    assert err.startswith("auditor: error: ") and message in err, err


def test_missing_snapshot_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, str(tmp_path / "nope.json"), *BASE_ARGS)
    assert code == 2 and "cannot read" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [(("--request-attribute", "novalue"), "NAME=VALUE"), (("--scope", "subscriptions/s"), "--scope must be")],
)
def test_bad_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    code, _, err = run_cli(capsys, _write(tmp_path, {}), *BASE_ARGS, *extra)
    assert code == 2 and message in err


def test_missing_required_option_is_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["access", "explain", _write(tmp_path, {}), "--principal", "p"])
    assert exc.value.code == 2
    capsys.readouterr()


def test_empty_snapshot_denies_with_suggestion(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, _write(tmp_path, {}), *BASE_ARGS, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["decision"] == "denied" and doc["suggestion"] is not None


# ------------------------------------------------------------------ the Python API the RB checks use


def test_api_from_objects_without_a_file() -> None:
    from auditor.rbac import AccessSnapshot, Evaluator, RoleAssignment
    from auditor.resource_ids import normalize

    ra = RoleAssignment(
        id="ra-template",
        principal_id="mi-1",
        role_definition_id=R["lao"],
        scope=RG1,
        scope_key=normalize(RG1),
        principal_type="ServicePrincipal",
    )
    ev = Evaluator(AccessSnapshot(role_assignments=[ra]))
    assert ev.check("MI-1", WF1, "Microsoft.Logic/workflows/enable/action").allowed
    d = ev.check("mi-1", WF1, "Microsoft.Logic/workflows/triggers/listCallbackUrl/action")
    assert d.decision == "denied" and d.suggestion is not None
    assert not ev.allows("mi-1", WF10, "Microsoft.Logic/workflows/read")


def test_evaluator_reuse_is_consistent() -> None:
    from auditor.rbac import Evaluator, load_snapshot

    ev = Evaluator(load_snapshot(HERE / "snapshot-az.json"))
    first = [
        ev.check(P[c.who], c.scope, c.action, data_action=c.data).decision
        for c in CASES
        if c.fixture == "az" and not c.attrs
    ]
    again = [
        ev.check(P[c.who], c.scope, c.action, data_action=c.data).decision
        for c in CASES
        if c.fixture == "az" and not c.attrs
    ]
    assert first == again
    keys, gap = ev.chain(WF1)
    assert gap is None
    assert keys[-4:] == (
        "/providers/microsoft.management/managementgroups/mg-security",
        "/providers/microsoft.management/managementgroups/mg-corp",
        "/providers/microsoft.management/managementgroups/7e4a47e0-0000-4000-8000-0000000000aa",
        "/",
    )
    assert keys[0] == WF1.lower()


def test_scope_containment_is_by_segment() -> None:
    from auditor.rbac import Evaluator

    keys, gap = Evaluator().chain("/subscriptions/S/resourceGroups/RG10/")
    assert keys == (
        "/subscriptions/s/resourcegroups/rg10",
        "/subscriptions/s/resourcegroups",
        "/subscriptions/s",
        "/subscriptions",
        "/",
    )
    assert "/subscriptions/s/resourcegroups/rg1" not in keys
    assert gap is not None  # no management-group data for s


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("Microsoft.Logic/*/read", "Microsoft.Logic/workflows/triggers/read", True),
        ("Microsoft.Logic/*/read", "microsoft.logic/workflows/READ", True),
        ("Microsoft.Logic/*/read", "Microsoft.Logic/read", False),
        ("Microsoft.Logic/*", "Microsoft.LogicApps/workflows/read", False),
        ("*", "anything/at/all", True),
        ("*/read", "Microsoft.Web/connections/read", True),
        ("*/read", "Microsoft.Web/connections/readers/write", False),
        ("Microsoft.Web/connections/*/read", "Microsoft.Web/connections/read", False),
        ("microsoft.web/sites/hostruntime/*", "Microsoft.Web/sites/hostruntime/host/action", True),
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read/x", False),
    ],
)  # fmt: skip
def test_pattern_matching(pattern: str, action: str, expected: bool) -> None:
    from auditor.rbac import pattern_matches

    assert pattern_matches(pattern, action) is expected


def test_every_builtin_condition_parses() -> None:
    """The ABAC parser covers every condition the shipped built-in roles use (none is 'unsupported')."""
    from auditor.rbac import builtin_roles
    from auditor.rbac.conditions import parse_condition

    conditions = {p.condition for r in builtin_roles() for p in r.permissions if p.condition}
    assert len(conditions) >= 20
    for text in conditions:
        parse_condition(text)


@pytest.mark.parametrize(
    ("condition", "attrs", "expected"),
    [
        ("@Resource[HasObotoken] boolequals true && (@Request[x] ForAnyOfAnyValues:GuidEquals {a-b, c})", {"HasObotoken": "true", "x": "AB"}, True),
        ("@Resource[HasObotoken] boolequals true && (@Request[x] ForAnyOfAnyValues:GuidEquals {a-b, c})", {"HasObotoken": "false"}, False),
        ("@Request[x] ForAllOfAllValues:StringNotEquals {'a', 'b'}", {"x": ["c", "d"]}, True),
        ("@Request[x] ForAnyOfAllValues:StringEquals {'a'}", {"x": ["b", "a"]}, True),
        ("@Request[x] StringStartsWithIgnoreCase 'ab'", {"x": "ABC"}, True),
        ("@Request[x] GuidNotEquals 8e3af657-a8ff-443c-a75c-2fe8c4bcb635", {"x": "8E3AF657A8FF443CA75C2FE8C4BCB635"}, False),
        ("NOT (@Request[x] StringEquals 'it''s')", {"x": "it's"}, False),
        ("SubOperationMatches{'Blob.List'}", {}, False),
        ("!(SubOperationMatches{'Blob.List'}) || @Request[y] StringEquals 'z'", {}, True),
        ("@Request[x] StringEquals 'a'", {}, None),
        ("@Request[x] StringEquals 'a'", {"x": ["a", "b"]}, None),
        ("@Request[x] NumericLessThan 3", {"x": "1"}, None),
        ("@Request[x] StringEquals", {"x": "a"}, None),
        ("(ActionMatches{'a/b'}", {}, None),
    ],
)  # fmt: skip
def test_condition_language(condition: str, attrs: dict[str, Any], expected: bool | None) -> None:
    from auditor.rbac import evaluate_condition

    value, reasons = evaluate_condition(
        condition, "2.0", "Microsoft.Authorization/roleAssignments/write", attrs
    )
    assert value is expected
    assert bool(reasons) is (expected is None)


def test_condition_version_1_is_not_guessed() -> None:
    from auditor.rbac import evaluate_condition

    value, reasons = evaluate_condition("@Request[x] StringEquals 'a'", "1.0", "a/b", {"x": "a"})
    assert value is None and "conditionVersion" in reasons[0]


@pytest.mark.parametrize("fixture", sorted(FIXTURES.values()))
def test_fast_and_validating_assignment_parsers_agree(fixture: str) -> None:
    from auditor.rbac.loader import _role_assignment, _role_assignment_checked

    data = json.loads((HERE / fixture).read_text(encoding="utf-8"))
    for key, eligible in (("roleAssignments", False), ("roleEligibilityScheduleInstances", True)):
        section = data.get(key) or []
        items = section["value"] if isinstance(section, dict) else section
        for i, raw in enumerate(items):
            path = f"{key}[{i}]"
            assert _role_assignment(raw, path, eligible) == _role_assignment_checked(raw, path, eligible)


def test_identical_duplicate_assignments_collapse(tmp_path: Path) -> None:
    from auditor.rbac import load_snapshot

    snap = load_snapshot(
        _write(tmp_path, {"roleAssignments": [{**GOOD_RA, "id": "a"}, {**GOOD_RA, "id": "A"}]})
    )
    assert len(snap.role_assignments) == 1
