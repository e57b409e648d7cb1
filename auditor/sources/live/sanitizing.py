"""What no report may show, removed before a body reaches the inventory, and typed access to Azure's answers.

Callback ``uri``s and any ``sig=`` value, connection parameter values and workflow parameter values are
redacted; lone surrogates are escaped. ``as_object``/``as_array``/``as_text`` read a value below the top
level only when it has the type the code expects (Azure's answers are input like any other).
"""

from __future__ import annotations

import re
from typing import Any

from auditor.neutral import printable

# ---------------------------------------------------------------- sanitizing

_SIG = re.compile(r"(sig=)[^&\s\"'<>]+", re.IGNORECASE)
_CONNECTION_SECRETS = ("parameterValues", "nonSecretParameterValues", "customParameterValues")
REDACTED = "<redacted>"


def _scrub_text(text: str) -> str:
    text = printable(text)  # a lone surrogate ("\ud800" is valid JSON) would kill the first .encode()
    return _SIG.sub(r"\1***", text) if "sig=" in text.lower() else text


def _scrub(value: Any) -> Any:
    """Every string with a ``sig=`` value gets ``sig=***``, lone surrogates escaped (deep copy of
    containers; :mod:`.http` has bounded the depth)."""
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict):
        return {_scrub_text(k) if isinstance(k, str) else k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def as_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (Azure's answers are not trusted)."""
    return value if isinstance(value, dict) else {}


def as_array(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str | None:
    """``value`` when it is a string, else None."""
    return value if isinstance(value, str) else None


def sanitize(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of a REST body without what no report may show.

    * automations: each action's ``uri`` (the Logic App callback URL with its SAS ``sig``), which ARM
      does not return anyway and which would otherwise look like a literal URL (SEC502);
    * connections: the values of ``parameterValues``, ``nonSecretParameterValues``,
      ``customParameterValues`` and ``parameterValueSet.values`` (the names stay: they say credentials
      were given);
    * workflows: the values of ``properties.parameters`` except ``$connections``;
    * everywhere: any ``sig=`` value.
    """
    clean: dict[str, Any] = _scrub(body)
    props = clean.get("properties")
    if not isinstance(props, dict):
        return clean
    kind = str(clean.get("type", "")).lower()
    if kind == "microsoft.security/automations":
        for action in as_array(props.get("actions")):
            if isinstance(action, dict):
                action.pop("uri", None)
    elif kind == "microsoft.web/connections":
        for key in _CONNECTION_SECRETS:
            block = props.get(key)
            if isinstance(block, dict):
                props[key] = dict.fromkeys(block, REDACTED)
        value_set = props.get("parameterValueSet")
        if isinstance(value_set, dict):
            values = value_set.get("values")
            props["parameterValueSet"] = {
                "name": value_set.get("name"),
                "values": dict.fromkeys(values, REDACTED) if isinstance(values, dict) else {},
            }
    elif kind == "microsoft.logic/workflows":
        params = props.get("parameters")
        if isinstance(params, dict):
            for name, spec in params.items():
                if name != "$connections" and isinstance(spec, dict) and "value" in spec:
                    spec["value"] = REDACTED
    return clean
