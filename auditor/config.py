"""Configuration: ``[tool.auditor]`` in ``pyproject.toml`` or a top-level ``auditor.toml``.

Found by walking up from the first scanned path (the nearest file wins; an
``auditor.toml`` beats a ``pyproject.toml`` in the same folder), but never above
the repository root: the git top level (the nearest folder with a ``.git``
folder or file), or the scanned path's own folder outside git. A file above
the repository belongs to someone else (a CI runner's home, a parent checkout)
and could turn a failing gate green; ``--config`` is the explicit way to use
one. A discovered file must itself lie inside the repository once links are
resolved. Keys mirror the CLI; CLI flags override the file. Unknown keys,
wrong types, suppressions without a reason, text that is not UTF-8 or TOML
nested too deeply are errors that name the file (and line), because a silently
ignored typo in a security gate's configuration is a hole.

```toml
[tool.auditor]
select = ["LA", "AUT"]
extend-select = ["SEC"]
ignore = ["AUT208"]
fail-on = "medium"
exclude = ["archive/**"]
baseline = "auditor-baseline.json"

[tool.auditor.per-file-ignores]
"legacy/**" = ["LA101"]

[tool.auditor.severity-overrides]
LA106 = "medium"

[tool.auditor.parameters]
"deploy/azuredeploy.json" = "deploy/prod.parameters.json"

[[tool.auditor.suppressions]]
rule = "LA106"
path = "playbooks/notify/**"
resource = "Microsoft.Web/connections/office365-*"
reason = "Connections are authorised by the SOC on day one (runbook SEC-12)."
expires = 2027-03-31

# Role prerequisites (RB checks): an access snapshot and who must be able to do what.
access = "access.json"                  # like --access
subscription = "00000000-0000-0000-0000-000000000000"   # like --subscription (deployment target)
resource-group = "rg-security-automation"               # like --resource-group
coverage-min-severity = "medium"       # auditor coverage: like --min-severity (default "high")

[tool.auditor.principals]
deployer = "11111111-1111-1111-1111-111111111111"       # object ids
editors = ["22222222-2222-2222-2222-222222222222"]
responders = ["33333333-3333-3333-3333-333333333333"]
```
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, field, replace
from pathlib import Path
from typing import Any

from auditor.records import record

SEVERITY_NAMES = ("info", "low", "medium", "high", "critical")
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # far above any real pyproject.toml

# Validation is written out here rather than done by pydantic: a one-file scan with a configuration (what
# most users run) must start in a few Python start-ups, and importing pydantic alone costs more than that
# (issue 14, benchmarks/startup.py). The messages are pydantic's, so a configuration error reads as before.
_NOT_STR = "Input should be a valid string"
_NOT_LIST = "Input should be a valid list"
_NOT_DICT = "Input should be a valid dictionary"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names file and line."""


@record()
class _Error:
    """One validation error: where (keys and indices from the table down), its kind and its message."""

    loc: tuple[str | int, ...]
    type: str
    msg: str


class _Invalid(Exception):
    """Raised by the validators with every error found in the table (all are reported, not the first)."""

    def __init__(self, errors: list[_Error]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


@record(kw_only=True)
class SuppressionConfig:
    """One suppression declared in configuration (SARIF kind ``external``)."""

    rule: str
    path: str = "**"
    resource: str | None = None
    reason: str
    expires: dt.date | None = None


@record()
class PrincipalsConfig:
    """``[tool.auditor.principals]``: object ids of who deploys, edits and runs the workflows."""

    deployer: str | None = None
    editors: list[str] = field(default_factory=list)
    responders: list[str] = field(default_factory=list)


@record()
class Settings:
    """The effective configuration (``Settings()``: none)."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    fail_on: str = "low"
    parameters: dict[str, str] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    baseline: str | None = None
    suppressions: list[SuppressionConfig] = field(default_factory=list)
    access: str | None = None  # access snapshot file (RB checks), relative to this file
    subscription: str | None = None  # deployment target: fills {subscriptionId} in templates
    resource_group: str | None = None  # fills {resourceGroup}
    principals: PrincipalsConfig = field(default_factory=PrincipalsConfig)
    # auditor coverage (COV001): the lowest alert severity whose undelivered alerts are a finding
    coverage_min_severity: str = "high"
    source: str | None = None  # the file it came from (not printed among the keys)

    def base_dir(self) -> Path:
        """Folder that relative paths in the file are relative to."""
        return Path(self.source).parent if self.source else Path.cwd()


# ---------------------------------------------------------------- validation of the table

Loc = tuple[str | int, ...]


def _string(value: Any, loc: Loc, errors: list[_Error]) -> str | None:
    if isinstance(value, str):
        return value
    errors.append(_Error(loc, "string_type", _NOT_STR))
    return None


def _optional_string(value: Any, loc: Loc, errors: list[_Error]) -> str | None:
    return None if value is None else _string(value, loc, errors)


def _strings(value: Any, loc: Loc, errors: list[_Error]) -> list[str]:
    if not isinstance(value, list | tuple):
        errors.append(_Error(loc, "list_type", _NOT_LIST))
        return []
    return [s for i, item in enumerate(value) if (s := _string(item, (*loc, i), errors)) is not None]


def _optional_strings(value: Any, loc: Loc, errors: list[_Error]) -> list[str] | None:
    return None if value is None else _strings(value, loc, errors)


def _table(value: Any, loc: Loc, errors: list[_Error], item: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        errors.append(_Error(loc, "dict_type", _NOT_DICT))
        return {}
    return {str(k): item(v, (*loc, str(k)), errors) for k, v in value.items()}


def _severity(value: Any, loc: Loc, errors: list[_Error], prefix: str = "") -> str:
    text = _string(value, loc, errors)
    if text is None:
        return "low"
    if text.lower() not in SEVERITY_NAMES:
        errors.append(
            _Error(loc, "value_error", f"Value error, {prefix}must be one of {', '.join(SEVERITY_NAMES)}")
        )
    return text.lower()


def _severity_overrides(value: Any, loc: Loc, errors: list[_Error]) -> dict[str, str]:
    table = _table(value, loc, errors, _string)
    if any(v is None for v in table.values()):
        return {}
    for rule, severity in table.items():
        if severity.lower() not in SEVERITY_NAMES:
            message = f"Value error, {rule}: must be one of {', '.join(SEVERITY_NAMES)}"
            errors.append(_Error(loc, "value_error", message))
            return {}
    return {k.upper(): v.lower() for k, v in table.items()}


def _date(value: Any, loc: Loc, errors: list[_Error]) -> dt.date | None:
    """A date as pydantic's lax mode takes it: a TOML date, a datetime at midnight, an ISO 'YYYY-MM-DD'."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.utcoffset() in (None, dt.timedelta(0)):
            return value.date()
        errors.append(
            _Error(
                loc,
                "date_from_datetime_inexact",
                "Datetimes provided to dates should have zero time - e.g. be exact dates",
            )
        )
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        why = "input is too short" if len(value) < 10 else "invalid date separator"
        errors.append(
            _Error(loc, "date_from_datetime_parsing", f"Input should be a valid date or datetime, {why}")
        )
        return None
    errors.append(_Error(loc, "date_type", "Input should be a valid date"))
    return None


# A table's spec maps each key as written to (field name, validator). Both spellings are accepted
# (``extend-select`` and ``extend_select``), as pydantic's populate_by_name did.
_Validator = Callable[[Any, Loc, list[_Error]], Any]


def _fields(
    value: Any,
    loc: Loc,
    errors: list[_Error],
    spec: dict[str, tuple[str, _Validator]],
    required: tuple[str, ...],
) -> dict[str, Any] | None:
    """Validate a table against ``spec`` (key as written → field name, validator); None when it is no table."""
    if not isinstance(value, dict):
        return None
    by_name = {name: key for key, (name, _) in spec.items()}
    written = {(key if key in spec else by_name[key]): key for key in value if key in spec or key in by_name}
    out: dict[str, Any] = {}
    for key, (name, validate) in spec.items():  # errors in declaration order, then unknown keys (pydantic's)
        if key in written:
            out[name] = validate(value[written[key]], (*loc, written[key]), errors)
        elif name in required:
            errors.append(_Error((*loc, name), "missing", "Field required"))
    for key in value:
        if key not in spec and key not in by_name:
            errors.append(_Error((*loc, key), "extra_forbidden", "Extra inputs are not permitted"))
    return out


def _reason(value: Any, loc: Loc, errors: list[_Error]) -> str | None:
    text = _string(value, loc, errors)
    if text is None:
        return None
    if not text:
        errors.append(_Error(loc, "string_too_short", "String should have at least 1 character"))
    elif not text.strip():
        errors.append(_Error(loc, "value_error", "Value error, a suppression needs a non-empty reason"))
    return text


_SUPPRESSION: dict[str, tuple[str, _Validator]] = {
    "rule": ("rule", _string),
    "path": ("path", _string),
    "resource": ("resource", _optional_string),
    "reason": ("reason", _reason),
    "expires": ("expires", _date),
}


def _suppressions(value: Any, loc: Loc, errors: list[_Error]) -> list[SuppressionConfig]:
    if not isinstance(value, list | tuple):
        errors.append(_Error(loc, "list_type", _NOT_LIST))
        return []
    out = []
    for i, item in enumerate(value):
        before = len(errors)
        fields = _fields(item, (*loc, i), errors, _SUPPRESSION, ("rule", "reason"))
        if fields is None:
            errors.append(
                _Error(
                    (*loc, i),
                    "model_type",
                    "Input should be a valid dictionary or instance of SuppressionConfig",
                )
            )
        elif len(errors) == before:
            out.append(SuppressionConfig(**fields))
    return out


def _one_or_many(value: Any, loc: Loc, errors: list[_Error]) -> list[str]:
    return _strings([value] if isinstance(value, str) else value, loc, errors)


_PRINCIPALS: dict[str, tuple[str, _Validator]] = {
    "deployer": ("deployer", _optional_string),
    "editors": ("editors", _one_or_many),
    "responders": ("responders", _one_or_many),
}


def _principals(value: Any, loc: Loc, errors: list[_Error]) -> PrincipalsConfig:
    fields = _fields(value, loc, errors, _PRINCIPALS, ())
    if fields is None:
        errors.append(
            _Error(loc, "model_type", "Input should be a valid dictionary or instance of PrincipalsConfig")
        )
        return PrincipalsConfig()
    return PrincipalsConfig(**fields)


_SETTINGS: dict[str, tuple[str, _Validator]] = {
    "select": ("select", _optional_strings),
    "extend-select": ("extend_select", _strings),
    "ignore": ("ignore", _strings),
    "per-file-ignores": ("per_file_ignores", lambda v, loc, e: _table(v, loc, e, _strings)),
    "severity-overrides": ("severity_overrides", _severity_overrides),
    "fail-on": ("fail_on", _severity),
    "parameters": ("parameters", lambda v, loc, e: _table(v, loc, e, _string)),
    "exclude": ("exclude", _strings),
    "baseline": ("baseline", _optional_string),
    "suppressions": ("suppressions", _suppressions),
    "access": ("access", _optional_string),
    "subscription": ("subscription", _optional_string),
    "resource-group": ("resource_group", _optional_string),
    "principals": ("principals", _principals),
    "coverage-min-severity": ("coverage_min_severity", _severity),
    "source": ("source", _optional_string),
}


def validate(table: dict[str, Any]) -> Settings:
    """``[tool.auditor]`` (or an auditor.toml) as :class:`Settings`; :class:`_Invalid` with every error."""
    errors: list[_Error] = []
    fields = _fields(table, (), errors, _SETTINGS, ())
    if errors:
        raise _Invalid(errors)
    return Settings(**(fields or {}))


def _folder(start: Path) -> Path:
    """``start`` resolved if it is a folder, else its folder (also for a name the file system refuses)."""
    folder = start.resolve()
    try:
        return folder if folder.is_dir() else folder.parent
    except OSError:  # e.g. ENAMETOOLONG: reported when the path is read
        return folder.parent


def repository_root(start: Path) -> Path | None:
    """The git top level above ``start`` (the nearest folder holding ``.git``, a folder or a worktree's
    file), found without running git; None outside a repository."""
    folder = _folder(start)
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def boundary(start: Path) -> Path:
    """The folder configuration discovery and configured paths may not leave: the repository root, or
    outside git the folder of ``start`` itself (``start`` when it is a folder)."""
    top = repository_root(start)
    return top if top is not None else _folder(start)


def find_config(start: Path) -> Path | None:
    """The nearest auditor.toml or pyproject.toml with a ``tool.auditor`` entry, from ``start`` upwards to
    :func:`boundary` (never above it)."""
    folder = _folder(start)
    top = boundary(start)
    for candidate_dir in (folder, *folder.parents):
        own = candidate_dir / "auditor.toml"
        if os.path.lexists(own):
            return own
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and _has_tool_auditor(pyproject, top):
            return pyproject
        if candidate_dir == top or not candidate_dir.is_relative_to(top):
            break
    return None


# What a pyproject.toml must hold to have a ``tool.auditor`` entry, in every way TOML can write one, matched
# on the bytes before paying for the TOML parser (issue 14). A false match only costs the parse; a key
# spelled with escapes (``"audit\u006fr"``) is not matched, so a file holding ``\u`` is parsed anyway.
_TOOL = rb"""["']?tool["']?"""  # a key, bare or quoted
_AUDITOR = rb"""["']?auditor["']?"""
_TOOL_AUDITOR_SHAPES = (
    rb"(?m)^[ \t]*\[\[?[ \t]*"
    + _TOOL
    + rb"[ \t]*\.[ \t]*"
    + _AUDITOR,  # [tool.auditor], [[tool."auditor".x]]
    rb"(?m)^[ \t]*" + _TOOL + rb"[ \t]*\.[ \t]*" + _AUDITOR,  # tool.auditor.fail-on = "high"
    rb"(?m)^[ \t]*" + _TOOL + rb"[ \t]*=",  # tool = { auditor = { ... } }
)
_TOOL_TABLE = rb"(?m)^[ \t]*\[[ \t]*" + _TOOL + rb"[ \t]*\]"
_AUDITOR_KEY_LINE = rb"(?m)^[ \t]*" + _AUDITOR + rb"[ \t]*[.=]"


def _may_configure_auditor(data: bytes) -> bool:
    """Whether a pyproject.toml's bytes may hold a ``tool.auditor`` entry (see _TOOL_AUDITOR_SHAPES); an
    ``auditor`` key line anywhere after a ``[tool]`` header counts, whatever lies between."""
    if b"\\u" in data or b"\\U" in data:
        return True
    if b"auditor" not in data:
        return False
    if any(re.search(shape, data) for shape in _TOOL_AUDITOR_SHAPES):
        return True
    table = re.search(_TOOL_TABLE, data)
    return table is not None and re.search(_AUDITOR_KEY_LINE, data[table.end() :]) is not None


def _has_tool_auditor(path: Path, within: Path) -> bool:
    """Whether a pyproject.toml configures auditor: a ``tool.auditor`` entry of any type (``[tool]
    auditor = 5`` included, so that it is reported rather than ignored). A file that is not UTF-8 or not
    TOML counts when it mentions auditor at all, so that ``load`` reports what is wrong with it; one that
    cannot be read (or is a link out of the repository) is not ours to judge."""
    from auditor.files import read_regular

    try:
        data = read_regular(path, max_bytes=MAX_CONFIG_BYTES, roots=(within,))
    except OSError:
        return False
    if not _may_configure_auditor(data):
        return False  # "auditor" only in values or other tables (a project named mdc-auditor): no parse
    try:
        doc = _parse(path, data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ConfigError):
        return True
    tool = doc.get("tool")
    return tool is not None and (not isinstance(tool, dict) or "auditor" in tool)


def _read_text(path: Path, within: Path | None) -> str:
    """The file's text: a regular file (inside ``within`` when given), UTF-8, bounded."""
    from auditor.files import read_regular

    try:
        data = read_regular(path, max_bytes=MAX_CONFIG_BYTES, roots=(within,) if within else None)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if within is not None and "outside the scanned paths" in reason:
            reason = f"a link to a file outside the repository ({within}): not read; use --config to name it"
        raise ConfigError(f"{path}: cannot read: {reason}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    # Imported here: a scan without configuration (most pre-commit runs in a folder without one) must not
    # pay the ~7 ms tomllib costs (issue 14).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib parses arrays and inline tables recursively
        raise ConfigError(f"{path}: invalid TOML: arrays or inline tables nested too deeply") from None


def load(path: Path, within: Path | None = None) -> Settings:
    """Read and validate a configuration file; ``within``: a discovered file must lie inside this folder
    (the repository) once links are resolved."""
    text = _read_text(path, within)
    doc = _parse(path, text)
    table: Any = doc
    prefix = ""
    if path.name == "pyproject.toml":
        tool = doc.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}:{_line_of(text, ['tool'])}: [tool] must be a table")
        table = tool.get("auditor", {})
        prefix = "tool.auditor."
    if not isinstance(table, dict):
        line = _line_of(text, ["auditor"])
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: [{prefix.rstrip('.')}] must be a table")
    try:
        settings = validate(table)
    except _Invalid as exc:
        raise ConfigError(_explain(path, text, prefix, exc.errors)) from None
    except RecursionError:
        raise ConfigError(f"{path}: values nested too deeply") from None
    return replace(settings, source=str(path))


def _explain(path: Path, text: str, prefix: str, errors: list[_Error]) -> str:
    lines = []
    for error in errors:
        loc = [str(p) for p in error.loc]
        line = _line_of(text, loc)
        where = f"{path}:{line}" if line else str(path)
        dotted = prefix + ".".join(loc)
        if error.type == "extra_forbidden":
            lines.append(f"{where}: unknown key '{dotted}' (see 'auditor config --help' for the keys)")
        else:
            lines.append(f"{where}: '{dotted}': {error.msg}")
    return "\n".join(lines)


def _line_of(text: str, loc: list[str]) -> int:
    """Best-effort line of the innermost named key (TOML parsers give no positions)."""
    names = [p for p in loc if not p.isdigit()]
    for name in reversed(names):
        pattern = re.compile(
            rf"^[ \t]*(\"{re.escape(name)}\"|'{re.escape(name)}'|{re.escape(name)})\s*=", re.M
        )
        match = pattern.search(text)
        if match:
            return text.count("\n", 0, match.start()) + 1
        table = re.compile(rf"^[ \t]*\[\[?[^\]]*\b{re.escape(name)}\]\]?", re.M).search(text)
        if table:
            return text.count("\n", 0, table.start()) + 1
    return 0


def effective_dict(settings: Settings) -> dict[str, Any]:
    """The configuration as printed by ``auditor config``."""
    keys = {name: key for key, (name, _) in _SETTINGS.items()}
    data = {keys[name]: value for name, value in asdict(settings).items() if name != "source"}
    for suppression in data["suppressions"]:
        expires = suppression["expires"]
        suppression["expires"] = expires.isoformat() if expires is not None else None
    data["source"] = settings.source
    return data
