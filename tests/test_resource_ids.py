"""ARM ids and scopes compare one way everywhere (auditor.resource_ids)."""

from __future__ import annotations

import pytest

from auditor.resource_ids import (
    broad_scope_kind,
    last_segment,
    last_segment_key,
    normalize,
    parent_scope,
    resource_type,
    role_guid,
    scope_kind,
    split_resource_id,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    ("given", "key"),
    [
        (f" {SUB}/resourceGroups/RG/ ", f"{SUB}/resourcegroups/rg"),
        (f"{SUB}//", SUB),
        ("/", "/"),
        ("//", "/"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_normalize_keeps_the_root_and_drops_case_blanks_and_trailing_slashes(given: str, key: str) -> None:
    assert normalize(given) == key


def test_last_segment_is_the_name_as_written_and_its_key_lower_case() -> None:
    la = f"{SUB}/resourceGroups/rg/providers/Microsoft.Logic/workflows/Notify-SOC/"
    assert last_segment(la) == "Notify-SOC"
    assert last_segment_key(la) == "notify-soc"
    assert last_segment("plain") == "plain"


@pytest.mark.parametrize(
    "ref",
    [
        "/providers/Microsoft.Authorization/roleDefinitions/FB1C8493-542B-48EB-B624-B4C8FEA62ACD",
        f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/fb1c8493-542b-48eb-b624-b4c8fea62acd/",
        " fb1c8493-542b-48eb-b624-b4c8fea62acd ",
    ],
)
def test_role_guid_of_every_id_form(ref: str) -> None:
    assert role_guid(ref) == "fb1c8493-542b-48eb-b624-b4c8fea62acd"


def test_parent_scope() -> None:
    assert parent_scope(f"{SUB}/resourceGroups/rg/providers/Microsoft.Security/automations/a") == (
        f"{SUB}/resourceGroups/rg"
    )
    assert parent_scope("/providers/Microsoft.Management/managementGroups/mg") == "/"
    assert parent_scope(f"{SUB}/resourceGroups/rg") == f"{SUB}/resourceGroups/rg"


@pytest.mark.parametrize(
    ("scope", "kind"),
    [
        ("/", "tenant root"),
        (SUB.upper() + "/", "subscription"),
        ("/providers/Microsoft.Management/managementGroups/contoso", "management group"),
        (f"{SUB}/resourceGroups/rg", None),
    ],
)
def test_broad_scope_kind(scope: str, kind: str | None) -> None:
    assert broad_scope_kind(scope) == kind


@pytest.mark.parametrize(
    ("resource_id", "split"),
    [
        (
            f"{SUB}/resourceGroups/rg/providers/Microsoft.Logic/workflows/Notify",
            ("Microsoft.Logic/workflows", ("Notify",)),
        ),
        (
            f"{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app/workflows/wf/",
            ("Microsoft.Web/sites/workflows", ("app", "wf")),
        ),
        (
            f"{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app/hostruntime/runtime/webhooks/workflow"
            "/api/management/workflows/wf/triggers/manual",
            (
                "Microsoft.Web/sites/hostruntime/webhooks/api/workflows/triggers",
                ("app", "runtime", "workflow", "management", "wf", "manual"),
            ),
        ),
        (
            f"{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app/providers/Microsoft.Insights/diagnosticSettings/d",
            ("Microsoft.Insights/diagnosticSettings", ("d",)),
        ),
        (
            "/providers/Microsoft.Management/managementGroups/mg",
            ("Microsoft.Management/managementGroups", ("mg",)),
        ),
        (f"{SUB}/resourceGroups/rg", None),
        (f"{SUB}/resourceGroups/rg/providers/Microsoft.Logic/workflows", None),
        (f"{SUB}/resourceGroups/rg/providers/Microsoft.Logic//x", None),
        ("Notify-SOC", None),
    ],
)
def test_split_resource_id_reads_the_type_after_the_last_provider(resource_id: str, split: object) -> None:
    assert split_resource_id(resource_id) == split
    assert resource_type(resource_id) == (split[0] if isinstance(split, tuple) else None)


@pytest.mark.parametrize(
    ("scope", "kind"),
    [
        (SUB, "subscription"),
        (f"{SUB}/", "subscription"),
        (SUB.upper().replace("SUBSCRIPTIONS", "Subscriptions"), "subscription"),
        ("/subscriptions/{subscriptionId}", "subscription"),
        (f"{SUB}/resourceGroups/My.RG(1)", "resource group"),
        ("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}", "resource group"),
        ("/providers/Microsoft.Management/managementGroups/corp", "management group"),
        ("/", "tenant root"),
        ("", "empty"),
        ("  ", "empty"),
        (f"{SUB}/resourceGroups/rg/providers/Microsoft.Logic/workflows/x", "resource"),
        ("/subscription/00000000-0000-0000-0000-000000000001", "malformed"),
        ("/subscriptions/", "malformed"),
        ("/subscriptions/my-subscription", "malformed"),
        ("/subscriptions/{subscription-id}", "malformed"),
        ("subscriptions/00000000-0000-0000-0000-000000000001", "malformed"),
        (f"{SUB}/resourceGroups/", "malformed"),
        (f"{SUB}/resourceGroups//x", "malformed"),
        (f"{SUB}/resourcegroup/rg", "malformed"),
        ("/providers/Microsoft.Management/managementGroups/", "malformed"),
    ],
)
def test_scope_kind(scope: str, kind: str) -> None:
    assert scope_kind(scope) == kind
