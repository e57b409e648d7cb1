"""The Bicep source: ``.bicep``/``.bicepparam`` → the same inventory as ARM, findings on the Bicep lines.

Each test writes its own small Bicep (or uses ``examples/bicep``) and asserts what a user sees: the rule,
the file, the line and column, the exit code.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from samples import run_cli

from auditor.sources.bicep.normalize import normalize
from auditor.sources.bicep.syntax import first_error, parse

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "bicep"

PLAYBOOK = """\
param playbookName string = 'Notify-SOC'
param location string = resourceGroup().location

resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {
  name: playbookName
  location: location
  properties: {
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      triggers: {
        TRIGGER_NAME: {
          type: 'ApiConnectionWebhook'
          inputs: {
            host: {
              connection: {
                name: '@parameters(\\'$connections\\')[\\'ascalert\\'][\\'connectionId\\']'
              }
            }
            body: {
              callback_url: '@{listCallbackUrl()}'
            }
            path: 'TRIGGER_PATH'
          }
        }
      }
      actions: {}
    }
    parameters: {
      '$connections': {
        value: {
          ascalert: {
            connectionId: resourceId('Microsoft.Web/connections', 'ascalert')
            connectionName: 'ascalert'
            id: subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'ascalert')
          }
        }
      }
    }
  }
}
"""
CURRENT = (
    "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered",
    "/Microsoft.Security/Alert/subscribe",
)
LEGACY = ("When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered", "/subscribe")


def playbook(trigger: tuple[str, str] = CURRENT) -> str:
    return PLAYBOOK.replace("TRIGGER_NAME", trigger[0]).replace("TRIGGER_PATH", trigger[1])


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, out, _ = run_cli(capsys, "scan", *args, "--format", "json", "--no-config")
    return code, json.loads(out)


def rules_at(doc: dict) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], Path(f["path"]).name, f["line"]) for f in doc["findings"])


def test_clean_bicep_example_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = scan_json(capsys, str(EXAMPLES / "clean"))
    assert code == 0 and doc["findings"] == [] and doc["files"]["scanned"] == 1


def test_syntax_error_is_src002_with_line_and_column(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param a string\n\nresource r 'Microsoft.Logic/workflows@2019-05-01' = {\n  name: 'x'\n  location: = 3\n}\n"
    )
    code, out, _ = run_cli(capsys, "scan", str(tmp_path), "--no-config")
    assert code == 1
    assert "main.bicep:5:" in out and "SRC002" in out and "invalid Bicep" in out


def test_legacy_trigger_fires_on_the_bicep_line(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(playbook(LEGACY))
    code, doc = scan_json(capsys, str(tmp_path))
    assert code == 1
    la101 = [f for f in doc["findings"] if f["rule"] == "LA101"]
    assert [(f["line"], f["column"]) for f in la101] == [(12, 9)]
    assert la101[0]["json_path"] == f"resources.playbook.properties.definition.triggers.{LEGACY[0]}"


def test_current_trigger_is_clean(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(playbook())
    code, doc = scan_json(capsys, str(tmp_path))
    assert code == 0, doc["findings"]


def test_broken_example_reports_each_planted_problem(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = scan_json(capsys, str(EXAMPLES / "broken"))
    assert code == 1
    assert rules_at(doc) == [
        ("AUT202", "main.bicep", 161),
        ("AUT203", "main.bicep", 180),
        ("AUT204", "main.bicep", 145),
        ("AUT205", "main.bicep", 185),
        ("LA101", "legacy-playbook.bicep", 24),
        ("LA102", "main.bicep", 23),
        ("LA102", "main.bicep", 94),
        ("LA103", "main.bicep", 54),
        ("LA106", "main.bicep", 28),
    ]
    # main.bicepparam beside main.bicep was applied: the production names are in the findings
    assert any("Notify-Owner-Prod" in f["message"] for f in doc["findings"])


def test_module_alone_is_still_checked(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = scan_json(capsys, str(EXAMPLES / "broken" / "modules"))
    assert code == 1 and rules_at(doc) == [("LA101", "legacy-playbook.bicep", 24)]


def test_explicit_bicepparam_applies_to_the_template_it_names(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param triggerName string\n"
        + playbook().replace(f"        {CURRENT[0]}: {{", "        '${triggerName}': {")
    )
    (tmp_path / "prod.bicepparam").write_text(f"using './main.bicep'\n\nparam triggerName = '{LEGACY[0]}'\n")
    (tmp_path / "dev.bicepparam").write_text(f"using './main.bicep'\n\nparam triggerName = '{CURRENT[0]}'\n")
    # two .bicepparam files use main.bicep: neither is guessed, so the trigger's name is unknown
    code, doc = scan_json(capsys, str(tmp_path / "main.bicep"))
    assert code == 0 and all(f["rule"] == "SRC003" for f in doc["findings"])
    code, doc = scan_json(
        capsys, str(tmp_path / "main.bicep"), "--parameters", str(tmp_path / "prod.bicepparam")
    )
    assert code == 1 and [f["rule"] for f in doc["findings"]] == ["LA101"]


def test_registry_module_is_src003_naming_it(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "module la 'br/public:avm/res/logic/workflow:0.4.0' = {\n  name: 'la'\n  params: {\n    name: 'x'\n  }\n}\n"
    )
    code, doc = scan_json(capsys, str(tmp_path))
    src003 = [f for f in doc["findings"] if f["rule"] == "SRC003"]
    assert code == 0 and len(src003) == 1 and src003[0]["line"] == 1
    assert "br/public:avm/res/logic/workflow:0.4.0" in src003[0]["message"]
    assert "registry" in src003[0]["message"]


def test_compiled_json_beside_bicep_reports_once(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(playbook(LEGACY))
    compiled = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"_generator": {"name": "bicep", "version": "0.30.23.60470"}},
        "resources": [],
    }
    (tmp_path / "main.json").write_text(json.dumps(compiled))
    _, doc = scan_json(capsys, str(tmp_path))
    assert [f["rule"] for f in doc["findings"]] == ["LA101"]
    assert doc["files"] == {"scanned": 1, "skipped": 1, "failed": 0}


def test_inline_suppression_comment(capsys, tmp_path: Path) -> None:
    source = playbook(LEGACY).replace(
        "resource playbook", "// auditor: ignore LA101 retired next sprint (JIRA-42)\nresource playbook"
    )
    (tmp_path / "main.bicep").write_text(source)
    code, doc = scan_json(capsys, str(tmp_path))
    assert code == 0
    [finding] = doc["findings"]
    assert finding["rule"] == "LA101" and finding["suppression"]["kind"] == "inSource"
    assert finding["suppression"]["justification"] == "retired next sprint (JIRA-42)"
    assert finding["suppression"]["source"].endswith("main.bicep:4")


@pytest.mark.parametrize(
    ("bicep", "why"),
    [
        ("var x = {\n  path: '/*'\n}\n/* a comment */\nvar y = 1\n", "'/*' in a string is not a comment"),
        ("var x = '//not a comment'\nvar y = 1\n", "'//' in a string is not a comment"),
        (
            "param tags resourceInput<'Microsoft.Resources/resourceGroups@2025-04-01'>.tags = {}\n",
            "resourceInput",
        ),
        (
            "import { lockType } from 'br/public:avm/utl/types/avm-common-types:0.6.1'\nparam lock lockType?\n",
            "nullable",
        ),
        ("import {\n  a\n  b\n} from 'types.bicep'\nparam x string\n", "multi-line import"),
        ("var enabled bool = false\n", "typed variable"),
        ("param p object?\nvar x = p!.name\n", "non-null assertion"),
        ("var b = { a: 1 }\nvar x = {\n  ...b\n  c: 2\n}\nvar y = [\n  ...[1]\n  2\n]\n", "spreads"),
        ("param a bool\nvar x = a\n  ? 'yes' // why\n  : 'no'\n", "ternary over lines"),
        ("type t = {\n  a: string?\n  @description('d')\n  b: int\n}\nparam p t\n", "type declaration"),
        ("extension microsoftGraphV1\n", "extension"),
    ],
)
def test_valid_current_bicep_is_not_a_syntax_error(bicep: str, why: str) -> None:
    assert first_error(parse(bicep)) is None, why
    assert len(normalize(bicep.encode())) == len(bicep.encode())


def test_spreads_are_evaluated(capsys, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        playbook(LEGACY)
        .replace("      actions: {}", "      actions: {}\n      ...extra")
        .replace("param location", "var extra = { outputs: {} }\nparam location")
    )
    _, doc = scan_json(capsys, str(tmp_path))
    assert [f["rule"] for f in doc["findings"]] == ["LA101"]


def test_load_json_content_reads_beside_the_file(capsys, tmp_path: Path) -> None:
    definition = {
        "triggers": {
            LEGACY[0]: {
                "type": "ApiConnectionWebhook",
                "inputs": {
                    "path": "/subscribe",
                    "host": {
                        "connection": {"name": "@parameters('$connections')['ascalert']['connectionId']"}
                    },
                },
            }
        },
        "actions": {},
    }
    (tmp_path / "definition.json").write_text(json.dumps(definition, indent=2))
    (tmp_path / "main.bicep").write_text(
        textwrap.dedent(
            """\
            resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {
              name: 'pb'
              location: 'westeurope'
              properties: {
                definition: loadJsonContent('definition.json')
                parameters: {
                  '$connections': {
                    value: {
                      ascalert: {
                        connectionId: resourceId('Microsoft.Web/connections', 'ascalert')
                        id: subscriptionResourceId('Microsoft.Web/locations/managedApis', 'westeurope', 'ascalert')
                      }
                    }
                  }
                }
              }
            }
            """
        )
    )
    _, doc = scan_json(capsys, str(tmp_path))
    assert [f["rule"] for f in doc["findings"]] == ["LA101"]


def test_load_json_content_outside_the_roots_is_not_read(tmp_path: Path) -> None:
    inner = tmp_path / "repo"
    inner.mkdir()
    (tmp_path / "secret.json").write_text('{"a": 1}')
    (inner / "main.bicep").write_text(
        "resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {\n  name: 'pb'\n  location: 'x'\n"
        "  properties: {\n    definition: loadJsonContent('../secret.json')\n  }\n}\n"
    )
    from auditor.sources.dispatch import FileScan

    [logic_app] = FileScan().scan([inner]).logic_apps
    assert logic_app.triggers_unknown is not None
    assert "outside the scanned folders" in logic_app.triggers_unknown.reason


def test_a_call_as_an_array_item_is_one_item() -> None:
    """tree-sitter-bicep reads ``[f(x) 'y']`` as ``f``, ``(x)``, ``'y'``: the translation joins them."""
    from auditor.sources.bicep.translate import Translator
    from auditor.sources.core.cursor import SourceFile

    text = "param severities array = [\n  toLower('HIGH')\n  toLower('MEDIUM')\n]\nvar d = [resourceId('A/b', 'c'), 'b']\n"
    template = Translator(parse(text), SourceFile("x.bicep", text)).template()
    assert (
        template["parameters"]["severities"]["defaultValue"]
        == "[createArray(toLower('HIGH'), toLower('MEDIUM'))]"
    )
    assert template["variables"]["d"] == "[createArray(resourceId('A/b', 'c'), 'b')]"
