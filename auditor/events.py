"""Defender for Cloud events as ``auditor simulate`` and ``auditor coverage`` read them.

Events (:func:`events_from`, :func:`read_events`). Three kinds, named by the ``eventSource`` Defender uses
(automations REST spec enum): ``Alerts``, ``Assessments``, ``RegulatoryComplianceAssessment``.

- An alert as the ``ascalert`` trigger receives it (``SecurityAlert.schema.json``: ``AlertType``,
  ``Severity``, ``ResourceIdentifiers[].AzureResourceId``, …), or the ARM ``Microsoft.Security/alerts``
  body (``properties.alertType``, …; also ``az security alert list``'s flattened form). Rules are written
  against the trigger's document (the built-in policy f1525828 reads ``Severity``), so an ARM body is
  turned into it: top-level and resource-identifier names in PascalCase, ``timeGeneratedUtc`` →
  ``TimeGenerated``, ``processingEndTimeUtc`` → ``ProcessingEndTime``, nested entity names kept. The
  resource is the first ``AzureResourceId``, else the alert's subscription.
- A recommendation/assessment: the ``ascassessment`` trigger delivers the ARM
  ``Microsoft.Security/assessments`` document plus ``AssessmentEventDataEnrichment``
  (``Recommendation.schema.json``), and rules read it whole (built-in policy 73d6ab6c:
  ``properties.status.code``, ``properties.metadata.severity``, ``name``, ``type``), so the body is the
  document. The resource is the *assessed* resource: ``properties.resourceDetails.id`` (or ``ResourceId``,
  any case), else the part of the assessment id before ``/providers/Microsoft.Security/assessments/``.
- A regulatory-compliance assessment: the ARM ``…/regulatoryComplianceStandards/{s}/
  regulatoryComplianceControls/{c}/regulatoryComplianceAssessments/{a}`` document, which is also what the
  ``ascregulatorycomplianceassessment`` trigger and continuous export deliver (plus
  ``securityEventDataEnrichment``; built-in policy 509122b9 reads ``id`` and ``properties.state``). It is
  about a subscription: the resource is ``/subscriptions/{id}`` of its id.

Everything read is untrusted: the file through the safe reader (size-capped, no links out of the
scanned roots), an item that is not one of the three kinds an :class:`EventError` naming ``file#index``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class EventError(Exception):
    """An event file that cannot be read or understood (exit 2); the message names file and line."""


class _Unsupported(Exception):
    """An event of a source simulate does not read (the message says which)."""


@dataclass(frozen=True)
class Event:
    """One event: where it came from, its kind, the resource it is about and the body rules read."""

    label: str  # "<file>#<index>"
    kind: str  # Alerts | Assessments | RegulatoryComplianceAssessment
    resource: str | None  # ARM id (or subscription scope) of the resource the event is about
    body: dict[str, Any]
    shape: str = "trigger"  # what was read: "trigger" (as the Logic App trigger gets it) or "arm" (REST body)
    # Top-level fields the trigger's document has but the body read does not tell (an ARM alert's
    # ``version`` is the API schema, not the trigger's ``Version``): a rule on one is an assumption.
    uncertain: frozenset[str] = frozenset()


_ARM_ALERT_RENAMES = {"timeGeneratedUtc": "TimeGenerated", "processingEndTimeUtc": "ProcessingEndTime"}
# ARM alert fields whose trigger-side value the ARM body does not give: ``version`` is the REST schema
# version (2022-01-01.0), while Microsoft's built-in policy f1525828 matches the trigger's ``Version``
# with ``Contains '3.'``; how the two relate is undocumented.
_ARM_ALERT_UNTOLD = frozenset({"version"})
_NOT_AN_EVENT = (
    "not a Defender for Cloud event: expected a security alert (AlertType/SystemAlertId, or a "
    "Microsoft.Security/alerts body), an assessment (a Microsoft.Security/assessments body) or a "
    "regulatory-compliance assessment (a …/regulatoryComplianceAssessments body)"
)


def _kind_of_arm(raw: dict[str, Any]) -> str | None:
    """The event kind an ARM-shaped body is, from its ``type`` or else its ``id``; None when neither says."""
    rtype, rid = raw.get("type"), raw.get("id")
    if (isinstance(rtype, str) and rtype.strip().lower().endswith("/subassessments")) or (
        isinstance(rid, str) and "/subassessments/" in rid.lower()
    ):
        raise _Unsupported(
            "a sub-assessment (security finding): only Alerts, Assessments and "
            "RegulatoryComplianceAssessment events are read"
        )
    if isinstance(rtype, str):
        t = rtype.strip().lower()
        if t.endswith("/regulatorycomplianceassessments"):
            return "RegulatoryComplianceAssessment"
        if t == "microsoft.security/assessments":
            return "Assessments"
        if t.startswith("microsoft.security/") and t.endswith("/alerts"):
            return "Alerts"
    if isinstance(rid, str):
        low = rid.lower()
        if "/regulatorycomplianceassessments/" in low:
            return "RegulatoryComplianceAssessment"
        if "/providers/microsoft.security/assessments/" in low:
            return "Assessments"
        if "/providers/microsoft.security/locations/" in low and "/alerts/" in low:
            return "Alerts"
    props = raw.get("properties")
    if isinstance(props, dict):  # a body without type and id: what its properties are
        if "alertType" in props or "systemAlertId" in props:
            return "Alerts"
        if isinstance(props.get("status"), dict) and "resourceDetails" in props:
            return "Assessments"
    return None


def _nested(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The ARM document with its ``properties`` object: as given, or rebuilt from az CLI's flattened form."""
    if isinstance(raw.get("properties"), dict):
        return raw, "arm"
    top = ("id", "name", "type")
    props = {k: v for k, v in raw.items() if k not in top}
    return {**{k: raw[k] for k in top if k in raw}, "properties": props}, "arm"


def _subscription_of(rid: Any) -> str | None:
    if isinstance(rid, str):
        parts = [p for p in rid.split("/") if p]
        if len(parts) >= 2 and parts[0].lower() == "subscriptions" and parts[1]:
            return f"/subscriptions/{parts[1]}"
    return None


def _get_any_case(obj: Any, *names: str) -> Any:
    if not isinstance(obj, dict):
        return None
    for name in names:
        if name in obj:
            return obj[name]
    lowered = {n.lower() for n in names}
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() in lowered:
            return value
    return None


def _assessed_resource(doc: dict[str, Any]) -> str | None:
    details = _get_any_case(doc.get("properties"), "resourceDetails")
    for key in ("id", "resourceId"):
        value = _get_any_case(details, key)
        if isinstance(value, str) and value.lower().startswith("/subscriptions/"):
            return value
    rid = doc.get("id")
    if isinstance(rid, str):
        cut = rid.lower().find("/providers/microsoft.security/assessments/")
        if cut > 0 and rid.lower().startswith("/subscriptions/"):
            return rid[:cut]
    return None


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def _alert_from_arm(raw: dict[str, Any], label: str) -> Event:
    """An ARM alert body as the ``ascalert`` trigger's document (see the module docstring)."""
    doc, shape = _nested(raw)
    props = doc["properties"]
    body: dict[str, Any] = {}
    for key, value in props.items():
        if key in _ARM_ALERT_UNTOLD:
            continue
        name = _ARM_ALERT_RENAMES.get(key, _pascal(key)) if isinstance(key, str) else key
        if name == "ResourceIdentifiers" and isinstance(value, list):
            value = [
                {_pascal(k) if isinstance(k, str) else k: v for k, v in ident.items()}
                if isinstance(ident, dict)
                else ident
                for ident in value
            ]
        body.setdefault(name, value)
    resource = _trigger_alert_resource(body)
    sub = _subscription_of(doc.get("id"))
    if sub is not None:
        body.setdefault("AzureResourceSubscriptionId", sub.split("/")[2])
    if resource is None:
        resource = sub  # the alert's own id only tells its subscription
    untold = frozenset(_pascal(k) for k in _ARM_ALERT_UNTOLD)
    return Event(label, "Alerts", resource, body, shape, untold)


def _trigger_alert_resource(raw: dict[str, Any]) -> str | None:
    if isinstance(raw.get("AzureResourceId"), str):
        return str(raw["AzureResourceId"])
    for ident in raw.get("ResourceIdentifiers") or []:
        if isinstance(ident, dict) and isinstance(ident.get("AzureResourceId"), str):
            return str(ident["AzureResourceId"])
    sub = raw.get("AzureResourceSubscriptionId")
    return f"/subscriptions/{sub}" if isinstance(sub, str) and sub else None


def _event_from(raw: Any, label: str) -> Event:
    """One JSON value as an event; EventError naming ``label`` and why when it is not one."""
    if not isinstance(raw, dict):
        raise EventError(f"{label}: an event is a JSON object, got {type(raw).__name__}")
    try:
        kind = _kind_of_arm(raw)
    except _Unsupported as exc:
        raise EventError(f"{label}: {exc}") from None
    if kind == "Alerts":
        return _alert_from_arm(raw, label)
    if kind is not None:
        doc, shape = _nested(raw)
        if "AssessmentEventDataEnrichment" in raw or "securityEventDataEnrichment" in raw:
            shape = "trigger"
        resource = _assessed_resource(doc) if kind == "Assessments" else _subscription_of(doc.get("id"))
        if resource is None:
            raise EventError(
                f"{label}: an event of kind {kind} that names no resource (no properties.resourceDetails.id "
                "and no /subscriptions/… id), so no scope can be matched"
            )
        return Event(label, kind, resource, doc, shape)
    if "AlertType" in raw or "SystemAlertId" in raw:
        return Event(label, "Alerts", _trigger_alert_resource(raw), raw, "trigger")
    raise EventError(f"{label}: {_NOT_AN_EVENT}")


def events_from(raw: Any, source_label: str) -> list[Event]:
    """The events of one parsed JSON value (an event, a list, or a REST ``{"value": [...]}`` page),
    labelled ``<source_label>#<index>``; EventError naming the item and why when one is not an event."""
    if isinstance(raw, dict) and isinstance(raw.get("value"), list) and "properties" not in raw:
        raw = raw["value"]
    items = raw if isinstance(raw, list) else [raw]
    return [_event_from(item, f"{source_label}#{i}") for i, item in enumerate(items)]


def events_from_bodies(
    bodies: list[Any], label_prefix: str, *, labels: list[str] | None = None
) -> list[Event]:
    """Events from already-parsed JSON values (the bodies a live read returned), labelled
    ``<label_prefix>#<index>`` or ``labels[index]`` (e.g. each live alert's ARM id); EventError when one is
    not an event."""
    return [
        _event_from(item, labels[i] if labels is not None else f"{label_prefix}#{i}")
        for i, item in enumerate(bodies)
    ]
