"""Role definitions' permissions are parsed by the source into typed blocks (checks never re-read JSON)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor import model as m
from auditor.sources.core import extract
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.jsonpos import loads
from auditor.unknown import Unknown


def read(body: dict[str, Any]) -> tuple[m.RoleDefinition, SourceFile]:
    """``body`` as a role definition read from a positioned JSON file, with the problems it raised."""
    text = json.dumps(body, indent=2)
    src = SourceFile("role.json", text)
    doc = loads(text, src=src)
    return extract.role_definition(body.get("id"), Cursor(doc, "", 0, Context(src))), src


def test_blocks_keep_every_list_and_the_condition() -> None:
    role, src = read(
        {
            "properties": {
                "roleName": "Playbook runner",
                "permissions": [
                    {
                        "actions": ["Microsoft.Logic/workflows/read", "Microsoft.Logic/*/run/action"],
                        "notActions": ["Microsoft.Logic/workflows/delete"],
                        "dataActions": [],
                        "condition": "@Resource[x] StringEquals 'y'",
                        "conditionVersion": "2.0",
                    },
                    {"actions": ["*/read"]},
                ],
            }
        }
    )
    assert src.problems == []
    assert role.permissions == (
        m.RolePermission(
            actions=("Microsoft.Logic/workflows/read", "Microsoft.Logic/*/run/action"),
            not_actions=("Microsoft.Logic/workflows/delete",),
            condition="@Resource[x] StringEquals 'y'",
            condition_version="2.0",
        ),
        m.RolePermission(actions=("*/read",)),
    )


def test_an_az_file_with_flat_actions_is_one_block() -> None:
    role, src = read({"Name": "Runner", "Actions": ["Microsoft.Logic/workflows/read"]})
    assert src.problems == []
    assert role.permissions == (m.RolePermission(actions=("Microsoft.Logic/workflows/read",)),)


def test_no_permissions_is_none_not_an_empty_role() -> None:
    role, src = read({"properties": {"roleName": "Empty"}})
    assert role.permissions is None
    assert src.problems == []


@pytest.mark.parametrize(
    ("permissions", "where"),
    [
        ([{"actions": "Microsoft.Logic/*"}], "permissions[0].actions"),
        ([{"actions": ["Microsoft.Logic/*", 5]}], "permissions[0].actions[1]"),
        ([["Microsoft.Logic/*"]], "permissions[0]"),
        ({"actions": ["*"]}, "permissions"),
    ],
)
def test_a_wrongly_typed_value_is_reported_where_it_is_and_hides_the_whole_set(
    permissions: Any, where: str
) -> None:
    role, src = read({"properties": {"roleName": "Broken", "permissions": permissions}})
    assert isinstance(role.permissions, Unknown)
    assert [(p.code, p.origin.json_path) for p in src.problems] == [
        ("invalid-template-shape", f"properties.{where}")
    ]


def test_an_unknown_action_makes_the_blocks_unknown_without_a_problem() -> None:
    unknown = Unknown("parameters('extra') is not known")
    src = SourceFile("role.json", "{}")
    body = {"properties": {"roleName": "R", "permissions": [{"actions": ["a/read", unknown]}]}}
    role = extract.role_definition(None, Cursor(body, "", -1, Context(src)))
    assert role.permissions is unknown
    assert src.problems == []
