"""Facts about the shipped built-in roles, proven from ``auditor/data/builtin-roles.compact.json``.

These are the role facts the RB checks rely on. Each test states what the data
says; where the data is narrower than folklore (Owner has no data actions, Logic
App Operator cannot even read ``Microsoft.Web/connections`` under strict
wildcard semantics) the test asserts the data.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest

from auditor.rbac import BuiltinRoles, Evaluator, RoleDefinition, builtin_roles
from auditor.rbac.builtin import DATA_FILE, compact

SHARED_DOMAIN = Path(__file__).resolve().parents[3] / "shared" / "domain"
UPSTREAM_SHA256 = "d4d27632646c90a0097776768bc0a50ac60840eb95c0cc0076bbf59cef3cf2b7"  # PROVENANCE-roles.md

IDS = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Security Admin": "fb1c8493-542b-48eb-b624-b4c8fea62acd",
    "Security Reader": "39bc4728-0917-49c7-9d2c-d95423bc2eb4",
    "Security Manager (Legacy)": "e3d13bf0-dd5a-482e-ba6b-9b8433878d10",
    "Logic App Contributor": "87a39d53-fc1b-424a-814c-f7e04687dc9e",
    "Logic App Operator": "515c2055-d9d4-4321-b1b9-bd0c9a0f79fe",
}

AUTOMATION_WRITE = "Microsoft.Security/automations/write"
AUTOMATION_READ = "Microsoft.Security/automations/read"
LIST_CALLBACK = "Microsoft.Logic/workflows/triggers/listCallbackUrl/action"
TRIGGER_RUN = "Microsoft.Logic/workflows/triggers/run/action"
WORKFLOW_WRITE = "Microsoft.Logic/workflows/write"
WORKFLOW_READ = "Microsoft.Logic/workflows/read"
# The control-plane operations workflow automation needs (shared/domain/roles-workflow-automation.json).
WORKFLOW_AUTOMATION_ACTIONS = (
    AUTOMATION_READ,
    AUTOMATION_WRITE,
    "Microsoft.Security/automations/delete",
    "Microsoft.Security/automations/validate/action",
    "Microsoft.Resources/deployments/write",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    WORKFLOW_READ,
    WORKFLOW_WRITE,
    "Microsoft.Logic/workflows/delete",
    "Microsoft.Logic/workflows/triggers/read",
    LIST_CALLBACK,
    TRIGGER_RUN,
    "Microsoft.Logic/workflows/run/action",
    "Microsoft.Logic/workflows/enable/action",
    "Microsoft.Logic/workflows/disable/action",
    "Microsoft.Web/connections/read",
    "Microsoft.Web/connections/write",
    "Microsoft.Web/connections/join/action",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/policyAssignments/write",
    "Microsoft.PolicyInsights/remediations/write",
    "Microsoft.EventHub/namespaces/authorizationRules/listkeys/action",
)


@pytest.fixture(scope="module")
def roles() -> BuiltinRoles:
    return builtin_roles()


def role(roles: BuiltinRoles, name: str) -> RoleDefinition:
    found = roles.named(name)
    assert found is not None, name
    assert found.id == IDS[name]
    assert (
        roles.get(f"/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/{IDS[name].upper()}")
        is found
    )
    return found


def patterns(r: RoleDefinition) -> list[str]:
    return [a for p in r.permissions for a in p.actions + p.data_actions]


# ------------------------------------------------------------------ the shipped file


def test_shipped_file_is_the_documented_upstream(roles: BuiltinRoles) -> None:
    assert len(roles) == 928
    assert roles.source["sha256"] == UPSTREAM_SHA256
    assert roles.source["roles"] == 928
    assert all(r.origin == "builtin" for r in roles)


def test_shipped_file_regenerates_byte_for_byte() -> None:
    upstream = SHARED_DOMAIN / "builtin-roles.json"
    if not upstream.is_file():
        pytest.skip(f"upstream copy not found at {upstream}")
    raw = upstream.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == UPSTREAM_SHA256
    shipped = resources.files("auditor.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    assert compact(json.loads(raw), raw, "builtin-roles.json") == shipped, (
        "run: python -m auditor.rbac.builtin --compact ../shared/domain/builtin-roles.json "
        "--output auditor/data/builtin-roles.compact.json"
    )


def test_compaction_keeps_every_permission(roles: BuiltinRoles) -> None:
    upstream = SHARED_DOMAIN / "builtin-roles.json"
    if not upstream.is_file():
        pytest.skip(f"upstream copy not found at {upstream}")
    for raw in json.loads(upstream.read_bytes()):
        r = roles.get(raw["name"])
        assert r is not None and r.role_name == raw["roleName"] and r.description == raw["description"]
        assert len(r.permissions) == len(raw["permissions"])
        for block, p in zip(raw["permissions"], r.permissions, strict=True):
            assert list(p.actions) == block["actions"] and list(p.not_actions) == block["notActions"]
            assert list(p.data_actions) == block["dataActions"]
            assert list(p.not_data_actions) == block["notDataActions"]
            assert p.condition == block["condition"] and p.condition_version == block["conditionVersion"]


# ------------------------------------------------------------------ the eight roles of the brief


def test_owner_passes_every_control_plane_action_but_no_data_action(roles: BuiltinRoles) -> None:
    owner = role(roles, "Owner")
    (block,) = owner.permissions
    assert block.actions == ("*",) and block.not_actions == ()
    for action in (
        *WORKFLOW_AUTOMATION_ACTIONS,
        "Microsoft.Authorization/elevateAccess/Action",
        "Any.Provider/x/y",
    ):
        assert owner.allows(action), action
    # The data says: Owner has no dataActions, so data-plane operations are NOT granted.
    assert block.data_actions == ()
    assert not owner.allows(
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", data_action=True
    )


def test_contributor(roles: BuiltinRoles) -> None:
    contributor = role(roles, "Contributor")
    assert contributor.allows(AUTOMATION_WRITE)
    assert contributor.allows(WORKFLOW_WRITE) and contributor.allows(LIST_CALLBACK)
    # notActions: no role assignments, no policy assignments (Microsoft.Authorization/*/Write)
    assert not contributor.allows("Microsoft.Authorization/roleAssignments/write")
    assert not contributor.allows("Microsoft.Authorization/policyAssignments/write")
    assert [m.excluded_by for m in contributor.match("Microsoft.Authorization/roleAssignments/write")] == [
        "Microsoft.Authorization/*/Write"
    ]


def test_reader_has_only_reads(roles: BuiltinRoles) -> None:
    reader = role(roles, "Reader")
    assert patterns(reader) == ["*/read"]
    assert all(not p.not_actions and not p.data_actions for p in reader.permissions)
    assert reader.allows(AUTOMATION_READ) and reader.allows(WORKFLOW_READ)
    for action in WORKFLOW_AUTOMATION_ACTIONS:
        assert reader.allows(action) is action.endswith("/read"), action


def test_security_admin_writes_automations_but_nothing_under_microsoft_logic(roles: BuiltinRoles) -> None:
    admin = role(roles, "Security Admin")
    assert admin.allows(AUTOMATION_WRITE)
    assert [m.pattern for m in admin.match(AUTOMATION_WRITE)] == ["Microsoft.Security/*"]
    # nothing under Microsoft.Logic/*: no entry names that provider, and no entry starts with a wildcard
    for entry in patterns(admin):
        assert not entry.lower().startswith("microsoft.logic"), entry
        assert not entry.startswith("*"), entry
    for action in (
        LIST_CALLBACK,
        TRIGGER_RUN,
        WORKFLOW_READ,
        WORKFLOW_WRITE,
        "Microsoft.Logic/workflows/triggers/read",
    ):
        assert not admin.allows(action), action


def test_security_reader(roles: BuiltinRoles) -> None:
    sec_reader = role(roles, "Security Reader")
    assert sec_reader.allows(AUTOMATION_READ)
    assert not sec_reader.allows(AUTOMATION_WRITE)
    assert not any(sec_reader.allows(a) for a in (LIST_CALLBACK, WORKFLOW_READ))


def test_security_manager_legacy(roles: BuiltinRoles) -> None:
    legacy = role(roles, "Security Manager (Legacy)")
    assert legacy.allows(AUTOMATION_WRITE)
    assert not legacy.allows(LIST_CALLBACK)
    assert "legacy role" in legacy.description.lower()
    # never suggested even where it is the smallest: Security Admin is
    suggestion = roles.smallest_granting(AUTOMATION_WRITE)
    assert suggestion is not None and suggestion.role_name == "Security Admin"
    assert roles.breadth(legacy) < roles.breadth(role(roles, "Security Admin"))


def test_logic_app_contributor(roles: BuiltinRoles) -> None:
    lac = role(roles, "Logic App Contributor")
    assert lac.allows(WORKFLOW_WRITE)
    assert lac.allows(LIST_CALLBACK) and lac.allows(TRIGGER_RUN)  # through 'Microsoft.Logic/*'
    assert not lac.allows(AUTOMATION_WRITE)


LOGIC_APP_OPERATOR_ACTIONS = [
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*/read",
    "Microsoft.Insights/metricAlerts/*/read",
    "Microsoft.Insights/diagnosticSettings/*/read",
    "Microsoft.Insights/metricDefinitions/*/read",
    "Microsoft.Logic/*/read",
    "Microsoft.Logic/workflows/disable/action",
    "Microsoft.Logic/workflows/enable/action",
    "Microsoft.Logic/workflows/validate/action",
    "Microsoft.Resources/deployments/operations/read",
    "Microsoft.Resources/subscriptions/operationresults/read",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.Web/connectionGateways/*/read",
    "Microsoft.Web/connections/*/read",
    "Microsoft.Web/customApis/*/read",
    "Microsoft.Web/serverFarms/read",
]


def test_logic_app_operator_exactly(roles: BuiltinRoles) -> None:
    """Precisely what Logic App Operator has: reads under Microsoft.Logic, enable/disable/validate, no more."""
    lao = role(roles, "Logic App Operator")
    (block,) = lao.permissions
    assert list(block.actions) == LOGIC_APP_OPERATOR_ACTIONS
    assert block.not_actions == block.data_actions == block.not_data_actions == ()
    assert block.condition is None
    # neither calling the trigger nor reading its callback URL
    assert not lao.allows(TRIGGER_RUN)
    assert not lao.allows(LIST_CALLBACK)
    assert not lao.allows("Microsoft.Logic/workflows/run/action")
    assert not lao.allows(WORKFLOW_WRITE)
    # what it does have
    for action in (
        WORKFLOW_READ,
        "Microsoft.Logic/workflows/triggers/read",
        "Microsoft.Logic/workflows/runs/read",
        "Microsoft.Logic/workflows/enable/action",
        "Microsoft.Logic/workflows/disable/action",
        "Microsoft.Logic/workflows/validate/action",
    ):
        assert lao.allows(action), action
    # 'Microsoft.Web/connections/*/read' needs a segment between 'connections/' and '/read':
    # under strict wildcard matching it does not grant 'Microsoft.Web/connections/read' itself.
    assert not lao.allows("Microsoft.Web/connections/read")
    assert lao.allows("Microsoft.Web/connections/extensions/read")


# ------------------------------------------------------------------ agreement with the shared matrix


def test_agrees_with_the_shared_strict_matrix(roles: BuiltinRoles) -> None:
    path = SHARED_DOMAIN / "roles-workflow-automation.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    data = json.loads(path.read_text(encoding="utf-8"))
    checked = 0
    for name, row in data["matrix"].items():
        r = roles.named(name)
        assert r is not None, name
        for key, expected in row.items():
            assert r.allows(data["requiredActions"][key]) is expected, (name, key)
            checked += 1
    assert checked >= 18 * 26


def test_smallest_role_suggestions(roles: BuiltinRoles) -> None:
    for action, expected in (
        (AUTOMATION_WRITE, "Security Admin"),
        (WORKFLOW_WRITE, "Logic App Contributor"),
        (TRIGGER_RUN, "Logic App Contributor"),
        ("Microsoft.Authorization/roleAssignments/write", "Role Based Access Control Administrator"),
    ):
        s = roles.smallest_granting(action)
        assert s is not None and s.role_name == expected, (action, s)
        assert roles.named(expected) is not None and roles.named(expected).allows(action)  # type: ignore[union-attr]
    assert roles.smallest_granting("Nothing.Grants/this/action/at/all") is not None  # Owner's '*' does
    assert roles.smallest_granting("No.Such/data/action", data_action=True) is None
    owner, contributor = role(roles, "Owner"), role(roles, "Contributor")
    assert roles.breadth(owner) > roles.breadth(contributor) > roles.breadth(role(roles, "Reader"))


def test_evaluator_uses_shipped_roles_for_assignments() -> None:
    from auditor.rbac import AccessSnapshot, RoleAssignment

    ra = RoleAssignment("ra", "p", IDS["Security Admin"], "/subscriptions/s", "/subscriptions/s")
    d = Evaluator(AccessSnapshot(role_assignments=[ra])).check("p", "/subscriptions/s", LIST_CALLBACK)
    assert d.decision == "denied" and d.grants == ()
    assert d.suggestion is not None and d.suggestion.role_name != "Security Admin"
