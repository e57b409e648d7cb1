"""Typed, lazily loaded access to the bundled domain data (``auditor/data``).

Checks read facts (connector names, trigger paths, legacy trigger names,
event sources, deprecated alert types and recommendations) from here, never
from literals scattered through the code, so updating the data updates every
check. Loading happens on first use: ``auditor --version`` and ``auditor rules``
never pay for it.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from auditor.data import read_text
from auditor.records import record

DEFENDER_CONNECTORS = ("ascalert", "ascassessment", "ascregulatorycomplianceassessment")


def _load(name: str) -> Any:
    return json.loads(read_text(name))


@record()
class DeprecatedItem:
    """A deprecated alert type or recommendation."""

    key: str  # alert type or assessment key (lower-case for lookup)
    display_name: str
    detail: str  # when / replacement, in words


class Catalog:
    """The facts checks need. One instance per process; tests may build their own."""

    @cached_property
    def connectors(self) -> dict[str, Any]:
        """connectors.json as loaded."""
        data: dict[str, Any] = _load("connectors.json")
        return data

    @cached_property
    def subscribe_paths(self) -> dict[str, str]:
        """Managed API name → its current trigger path (``/Microsoft.Security/Alert/subscribe``)."""
        out: dict[str, str] = {}
        for api, spec in self.connectors["connectors"].items():
            for trigger in spec.get("triggers", []):
                out[api] = trigger["path"]
        return out

    @cached_property
    def event_source_for_connector(self) -> dict[str, str]:
        """Managed API name → the automation event source it serves."""
        return {api: spec["automationEventSource"] for api, spec in self.connectors["connectors"].items()}

    @cached_property
    def connector_for_path(self) -> dict[str, str]:
        """Lower-case subscribe path → managed API name."""
        return {path.lower(): api for api, path in self.subscribe_paths.items()}

    @cached_property
    def legacy_trigger_names(self) -> frozenset[str]:
        """Lower-case default names of the legacy 'When a response to … alert is triggered' trigger."""
        legacy = self.connectors["legacyTrigger"]
        return frozenset(n.lower() for n in legacy["defaultTriggerNamesInDefinition"])

    @cached_property
    def legacy_display_names(self) -> tuple[str, ...]:
        """Display names of the legacy trigger, as the designer shows them."""
        return tuple(self.connectors["legacyTrigger"]["displayNames"])

    @cached_property
    def schema(self) -> dict[str, Any]:
        """automations-schema.json as loaded."""
        data: dict[str, Any] = _load("automations-schema.json")
        return data

    def event_sources(self, api_version: str | None) -> tuple[str, ...] | None:
        """Event sources known for an automations API version (None when the version is unknown to us)."""
        versions = self.schema["apiVersions"]
        if api_version is None:
            api_version = "2019-01-01-preview"
        spec = versions.get(api_version)
        if spec is None:
            return None
        return tuple(spec["eventSource"])

    @cached_property
    def all_event_sources(self) -> frozenset[str]:
        """Every event source of every known API version (lower-case)."""
        out: set[str] = set()
        for spec in self.schema["apiVersions"].values():
            out.update(s.lower() for s in spec["eventSource"])
        return frozenset(out)

    @cached_property
    def operators(self) -> dict[str, str]:
        """Lower-case operator → canonical spelling."""
        return {op.lower(): op for op in self.schema["rule"]["operator"]}

    @cached_property
    def decimal_only_operators(self) -> frozenset[str]:
        """Operators that only compare numbers."""
        notes = self.schema["rule"]["operatorNotes"]
        return frozenset(op.lower() for op, note in notes.items() if note == "decimal only")

    @cached_property
    def non_decimal_only_operators(self) -> frozenset[str]:
        """Operators that only compare text."""
        notes = self.schema["rule"]["operatorNotes"]
        return frozenset(op.lower() for op, note in notes.items() if note == "non-decimal only")

    @cached_property
    def property_types(self) -> dict[str, str]:
        """Lower-case property type → canonical spelling."""
        return {t.lower(): t for t in self.schema["rule"]["propertyType"]}

    @cached_property
    def event_source_data(self) -> dict[str, Any]:
        """event-sources.json ``sources``."""
        data: dict[str, Any] = _load("event-sources.json")["sources"]
        return data

    @cached_property
    def deprecations(self) -> dict[str, Any]:
        """deprecations.json as loaded."""
        data: dict[str, Any] = _load("deprecations.json")
        return data

    @cached_property
    def deprecated_alert_types(self) -> dict[str, DeprecatedItem]:
        """Lower-case alert type → deprecation facts."""
        out: dict[str, DeprecatedItem] = {}
        for item in self.deprecations["deprecatedAlerts"]:
            alert_type = item.get("alertType")
            if alert_type:
                out[alert_type.lower()] = DeprecatedItem(
                    alert_type, item.get("displayName", ""), item.get("section", "deprecated")
                )
        for note in self.deprecations["releaseNoteDeprecations"]:
            if note.get("kind") == "Alert" and note.get("state", "").lower().startswith("deprecat"):
                for alert_type in note.get("alertTypesMentioned", []):
                    out.setdefault(
                        alert_type.lower(),
                        DeprecatedItem(alert_type, "", f"deprecated on {note.get('date')}"),
                    )
        return out

    @cached_property
    def deprecated_recommendations(self) -> dict[str, DeprecatedItem]:
        """Lower-case assessment key (GUID) → deprecation facts, with the replacement when there is one."""
        out: dict[str, DeprecatedItem] = {}
        for item in self.deprecations["agentDeprecationRecommendations"]:
            key = item.get("assessmentKey")
            if not key:
                continue
            replacement = item.get("replacement") or "no replacement"
            if item.get("replacementAssessmentKey"):
                replacement += f" ({item['replacementAssessmentKey']})"
            detail = f"deprecated {item.get('deprecationDate', '')} with the {item.get('agent')} agent; {replacement}"
            out[key.lower()] = DeprecatedItem(key, item.get("displayName", ""), detail)
        for item in self.deprecations["deprecatedRecommendations"]:
            for key in item.get("assessmentKeys", []) or []:
                out.setdefault(
                    key.lower(), DeprecatedItem(key, item.get("displayName", ""), item.get("section", ""))
                )
        return out

    def payload_fields(self, event_source: str) -> frozenset[str] | None:
        """Lower-case JPaths known for an event source's payload (None when we have no list)."""
        spec = self.event_source_data.get(event_source)
        if not isinstance(spec, dict):
            return None
        fields: set[str] = set()
        for key, value in spec.items():
            if key.startswith(("payloadTopLevelFields", "payloadPaths", "armAlertModelPaths")) and isinstance(
                value, list
            ):
                fields.update(str(v).lower() for v in value)
        for convention in spec.get("jpathConventions", []):
            fields.add(str(convention.get("propertyJPath", "")).lower())
        return frozenset(fields) if fields else None

    @cached_property
    def export_data_types(self) -> dict[str, str]:
        """Data types as the portal names them (``Security recommendations``) → event source (``Assessments``)."""
        raw: dict[str, Any] = _load("event-sources.json")
        out: dict[str, str] = {}
        for key, value in raw.items():
            if key.startswith("continuousExportDataTypeMap") and isinstance(value, dict):
                out.update({str(k): str(v) for k, v in value.items()})
        return out


_CATALOG: Catalog | None = None


def default_catalog() -> Catalog:
    """The process-wide catalog."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Catalog()
    return _CATALOG
