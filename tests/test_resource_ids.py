"""ARM ids and scopes compare one way everywhere (auditor.resource_ids)."""

from __future__ import annotations

import pytest

from auditor.resource_ids import (
    broad_scope_kind,
    last_segment,
    last_segment_key,
    normalize,
    parent_scope,
    role_guid,
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
