"""Which ``.json`` files that do not parse are SRC002 (a broken Azure document) and which are other tools' files."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.sources.core.reading import not_azure_reason
from auditor.sources.dispatch import FileScan


@pytest.mark.parametrize(
    ("display", "text"),
    [
        (
            "docs/layouts/search.json",
            '{{ $idx := slice }}\n[{{ range .Pages }}{"t": {{ .Title }}},{{ end }}]',
        ),
        (
            "aws/bucket.json",
            '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": "AWS::S3::Bucket",}}}',
        ),
        ("ci/linkcheck.json", '{"ignorePatterns": [{"pattern": "^https://portal.azure.com"},]}'),
        ("package.json", '{"name": "x", "scripts": {"build": "tsc",},}'),
    ],
)
def test_broken_json_without_any_trace_of_azure_is_not_ours(display: str, text: str) -> None:
    assert not_azure_reason(display, text) == "not valid JSON and not an Azure document"


@pytest.mark.parametrize(
    "display",
    [
        ".vscode/settings.json",
        "app/.vscode/launch.json",
        ".devcontainer/devcontainer.json",
        "devcontainer.json",
        ".devcontainer.json",
        "tsconfig.json",
        "web/tsconfig.build.json",
        "jsconfig.json",
    ],
)
def test_jsonc_locations_are_not_ours_even_when_they_name_the_arm_schema(display: str) -> None:
    text = '{"json.schemas": [{"url": "https://schema.management.azure.com/schemas/x.json"},],}'
    reason = not_azure_reason(display, text)
    assert reason is not None and reason.startswith("not valid JSON and not an Azure document")


@pytest.mark.parametrize(
    "text",
    [
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",',
        '{"contentVersion": "1.0.0.0", "resources": [',
        '{"resources": [{"name": "a",}]}',
        '{"parameters": {"a": {"value": 1}}',
        '{"properties": {"policyRule": {"if": {}, "then": {}},}}',
        '{"definition": {"triggers": {},}}',
        '[{"type": "Microsoft.Security/automations", "name": "a",}]',
        '{"value": [{"id": "/subscriptions/1/providers/Microsoft.Logic/workflows/la"',
        '{"format_version": "1.2", "terraform_version": "1.7.0", "planned_values": {',
        '{"Name": "Reader", "AssignableScopes": ["/"],}',
        "",
        "  \n",
    ],
)
def test_broken_json_with_a_trace_of_an_azure_document_stays_invalid(text: str) -> None:
    assert not_azure_reason("deploy/azuredeploy.json", text) is None


def test_not_ours_file_is_recorded_with_its_reason_and_no_problem(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "settings.json").write_text('{"a": 1,}')
    (tmp_path / "hugo.json").write_text("{{ .Content | jsonify }}")
    (tmp_path / "broken.json").write_text('{"resources": [')
    inv = FileScan().scan([tmp_path])
    kinds = {Path(f.path).name: (f.kind, f.detail) for f in inv.files}
    assert kinds["settings.json"][0] == "not-ours" and "editor or tool" in str(kinds["settings.json"][1])
    assert kinds["hugo.json"] == ("not-ours", "not valid JSON and not an Azure document")
    assert kinds["broken.json"][0] == "invalid"
    assert [(p.code, Path(p.origin.file or "").name) for p in inv.problems] == [
        ("invalid-json", "broken.json")
    ]
