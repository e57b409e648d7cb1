"""The built-in DeployIfNotExists policies that deploy ``Microsoft.Security/automations``, as data.

An assignment of a built-in policy names it by id (``/providers/Microsoft.Authorization/policyDefinitions/<guid>``)
and is usually scanned without the definition file. The three "Deploy Workflow Automation for Microsoft
Defender for Cloud …" policies and the two continuous-export ones ("Deploy export to Log Analytics
workspace / Event Hub …") are shipped in ``auditor/data/builtin-policies.json``, a derived, minimal
form of the upstream files (``tools/derive_builtin_policies.py``; provenance in
``auditor/data/PROVENANCE.md``), so the source can evaluate such an assignment with its parameters.

Loaded on first use only: ``auditor --version`` and ``auditor rules`` never read the file. Pure data
and the standard library: any layer may import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from auditor.data import read_text

DATA_FILE = "builtin-policies.json"
BUILTIN_PREFIX = "/providers/microsoft.authorization/policydefinitions/"


@dataclass(frozen=True)
class Callback:
    """How a workflow-automation built-in names the trigger whose callback URL its deployment lists:
    ``<logic_app_parameter>/triggers/<trigger_map[trigger_parameter]>``."""

    logic_app_parameter: str
    trigger_parameter: str
    trigger_map: dict[str, str] = field(default_factory=dict)

    def trigger_name(self, choice: str) -> str | None:
        """The trigger name ``choice`` maps to; ARM reads object properties case-insensitively.
        None for a value outside the map (Azure rejects it: it is not one of the parameter's allowedValues)."""
        lowered = choice.lower()
        return next((v for k, v in self.trigger_map.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class BuiltinPolicy:
    """The facts of one built-in definition the POL and RB checks need."""

    id: str  # the definition's GUID, lower-case
    display_name: str
    version: str | None
    upstream_path: str
    effect: str | None  # a literal effect; None when it is read from ``effect_parameter``
    effect_parameter: str | None
    details_type: str
    existence_condition: Any
    role_definition_ids: tuple[str, ...]
    parameters: dict[str, dict[str, Any]]
    callback: Callback | None

    @property
    def deploys_automation(self) -> bool:
        return self.details_type.lower() == "microsoft.security/automations"

    def default(self, parameter: str) -> tuple[bool, Any]:
        """(True, defaultValue) when ``parameter`` is declared with a default (names compare
        case-insensitively, as ARM does), else (False, None)."""
        for name, spec in self.parameters.items():
            if name.lower() == parameter.lower() and "defaultValue" in spec:
                return True, spec["defaultValue"]
        return False, None


def _policy(raw: dict[str, Any]) -> BuiltinPolicy:
    cb = raw.get("callback")
    return BuiltinPolicy(
        id=str(raw["id"]).lower(),
        display_name=raw["displayName"],
        version=raw.get("version"),
        upstream_path=raw["upstream"]["path"],
        effect=raw.get("effect"),
        effect_parameter=raw.get("effectParameter"),
        details_type=raw["detailsType"],
        existence_condition=raw.get("existenceCondition"),
        role_definition_ids=tuple(raw.get("roleDefinitionIds", ())),
        parameters=dict(raw.get("parameters", {})),
        callback=Callback(cb["logicAppParameter"], cb["triggerParameter"], dict(cb["triggerMap"]))
        if cb
        else None,
    )


@lru_cache(maxsize=1)
def builtin_policies() -> dict[str, BuiltinPolicy]:
    """GUID → built-in policy, read from the bundled data on first call."""
    text = read_text(DATA_FILE)
    data = json.loads(text)
    return {key.lower(): _policy(raw) for key, raw in data["policies"].items()}


def builtin_policy(policy_definition_id: str) -> BuiltinPolicy | None:
    """The bundled built-in that ``policy_definition_id`` names, when it has the built-in id form
    (``/providers/Microsoft.Authorization/policyDefinitions/<guid>``: no subscription or management-group
    prefix, which would make it a custom definition of that name)."""
    key = policy_definition_id.strip().lower().rstrip("/")
    if not key.startswith(BUILTIN_PREFIX):
        return None
    guid = key[len(BUILTIN_PREFIX) :]
    if "/" in guid:
        return None
    return builtin_policies().get(guid)
