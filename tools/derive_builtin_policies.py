"""Derive ``auditor/data/builtin-policies.json`` from the upstream Azure/azure-policy built-in definitions.

auditor checks an assignment of a built-in DeployIfNotExists policy that deploys
``Microsoft.Security/automations`` without the definition file in the scan. It needs a few facts of
each definition, not the whole file: its id, display name and version, the effect (and the parameter it
is read from), ``details.type``, the existence condition, ``roleDefinitionIds``, the parameters'
declarations, and for the workflow-automation ones how the embedded template names the trigger whose
callback URL it lists (``triggerMap`` and the two parameters it reads). This script extracts exactly
those, and refuses (exit 1) when a definition is not shaped the way the derived facts assume (a
``listCallbackUrl()`` of another form, a deployment parameter that is not passed through unchanged), so
a future upstream version cannot silently change what the data means.

Usage (``ROOT`` is a checkout of github.com/Azure/azure-policy; the project's copy is
``../shared/corpus/azure-policy``)::

    python tools/derive_builtin_policies.py ROOT --commit f4a50bacae07ddb096943c597669bcae494a6e29 \
        --output auditor/data/builtin-policies.json

``tests/sources/test_builtin_policies.py`` runs it again and fails when the shipped file differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

FOLDER = "built-in-policies/policyDefinitions/Security Center"
FILES = (
    "ASC_WorkflowAutomationAzureSecurityCenterAlerts_DINE.json",
    "ASC_WorkflowAutomationASCRecommendations_DINE.json",
    "ASC_WorkflowAutomationASCRegulatoryCompliance_DINE.json",
    "ASC_ExportToLogAnalyticsWorkspace_DINE.json",
    "ASC_ExportToEventHubASCAlertsAndRecommendations_DINE.json",
)
# The only callback form the derived ``callback`` facts describe (the three workflow-automation built-ins).
CALLBACK = re.compile(
    r"^\[listCallbackUrl\(concat\(parameters\('(?P<app>\w+)'\), '/triggers/', "
    r"variables\('(?P<map>\w+)'\)\[parameters\('(?P<trigger>\w+)'\)\]\),\s*'[\d-]+'\)\.value\]$"
)
PARAMETER = re.compile(r"^\[parameters\('(?P<name>\w+)'\)\]$")
KEPT_PARAMETER_KEYS = ("type", "defaultValue", "allowedValues")


class ShapeError(Exception):
    """The upstream definition is not shaped the way the derived facts assume."""


def blob_id(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object`` prints), recorded as provenance."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's object id, not a security use


def derive(path: Path, upstream_path: str) -> dict[str, Any]:
    """The facts auditor needs of one built-in definition file."""
    raw = path.read_bytes()
    doc = json.loads(raw.decode("utf-8-sig"))
    props = doc["properties"]
    then = props["policyRule"]["then"]
    details = then["details"]
    effect = then["effect"]
    effect_param = PARAMETER.match(effect)
    declared = props.get("parameters", {})
    return {
        "id": doc["name"],
        "displayName": props["displayName"],
        "version": props.get("metadata", {}).get("version"),
        "upstream": {"path": upstream_path, "blob": blob_id(raw)},
        "effect": None if effect_param else effect,
        "effectParameter": effect_param.group("name") if effect_param else None,
        "detailsType": details["type"],
        "existenceCondition": details.get("existenceCondition"),
        "roleDefinitionIds": details.get("roleDefinitionIds", []),
        "parameters": {
            name: {k: spec[k] for k in KEPT_PARAMETER_KEYS if k in spec} for name, spec in declared.items()
        },
        "callback": _callback(details["deployment"]["properties"], declared),
    }


def _callback(deployment: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any] | None:
    """How the embedded template names the trigger it lists the callback URL of (None: no Logic App action)."""
    text = json.dumps(deployment["template"])
    uris = re.findall(r'"uri": "(\[listCallbackUrl[^"]*)"', text)
    if not uris:
        if "listCallbackUrl" in text:
            raise ShapeError("listCallbackUrl() outside an action's uri")
        return None
    if len(set(uris)) != 1:
        raise ShapeError(f"several callback expressions: {sorted(set(uris))}")
    match = CALLBACK.match(uris[0])
    if match is None:
        raise ShapeError(f"callback expression of another form: {uris[0]}")
    passed = deployment.get("parameters", {})
    for role in ("app", "trigger"):
        name = match.group(role)
        spec = passed.get(name, {})
        inner = PARAMETER.match(str(spec.get("value", "")))
        if inner is None or inner.group("name") != name or name not in declared:
            raise ShapeError(f"deployment parameter '{name}' is not the policy parameter passed through")
    trigger_map = deployment["template"].get("variables", {}).get(match.group("map"))
    if not isinstance(trigger_map, dict) or not all(isinstance(v, str) for v in trigger_map.values()):
        raise ShapeError(f"variable '{match.group('map')}' is not an object of trigger names")
    allowed = declared[match.group("trigger")].get("allowedValues")
    if allowed is not None and sorted(allowed) != sorted(trigger_map):
        raise ShapeError("the trigger parameter's allowedValues are not the trigger map's keys")
    return {
        "logicAppParameter": match.group("app"),
        "triggerParameter": match.group("trigger"),
        "triggerMap": trigger_map,
    }


def build(root: Path, commit: str) -> dict[str, Any]:
    """The whole data file."""
    policies = {}
    for name in FILES:
        upstream = f"{FOLDER}/{name}"
        facts = derive(root / upstream, upstream)
        policies[facts["id"]] = facts
    return {
        "_comment": (
            "Derived by tools/derive_builtin_policies.py from Azure/azure-policy (MIT) at the commit below; "
            "each entry names its upstream file and git blob id. See auditor/data/PROVENANCE.md."
        ),
        "repository": "https://github.com/Azure/azure-policy",
        "commit": commit,
        "policies": policies,
    }


def render(data: dict[str, Any]) -> str:
    """The file's text (stable: the test compares it byte for byte)."""
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a checkout of Azure/azure-policy")
    parser.add_argument("--commit", required=True, help="the commit ROOT is at (recorded as provenance)")
    parser.add_argument("--output", type=Path, help="where to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        text = render(build(args.root, args.commit))
    except (ShapeError, KeyError, OSError, ValueError) as exc:
        print(f"derive_builtin_policies: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
