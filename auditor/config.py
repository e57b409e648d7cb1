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
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SEVERITY_NAMES = ("info", "low", "medium", "high", "critical")
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # far above any real pyproject.toml


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names file and line."""


class SuppressionConfig(BaseModel):
    """One suppression declared in configuration (SARIF kind ``external``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    rule: str
    path: str = "**"
    resource: str | None = None
    reason: str = Field(min_length=1)
    expires: dt.date | None = None

    @field_validator("reason")
    @classmethod
    def _reason_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a suppression needs a non-empty reason")
        return value


class PrincipalsConfig(BaseModel):
    """``[tool.auditor.principals]``: object ids of who deploys, edits and runs the workflows."""

    model_config = ConfigDict(extra="forbid")

    deployer: str | None = None
    editors: list[str] = Field(default_factory=list)
    responders: list[str] = Field(default_factory=list)

    @field_validator("editors", "responders", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Settings(BaseModel):
    """The effective configuration."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    ignore: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")
    severity_overrides: dict[str, str] = Field(default_factory=dict, alias="severity-overrides")
    fail_on: str = Field(default="low", alias="fail-on")
    parameters: dict[str, str] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    baseline: str | None = None
    suppressions: list[SuppressionConfig] = Field(default_factory=list)
    access: str | None = None  # access snapshot file (RB checks), relative to this file
    subscription: str | None = None  # deployment target: fills {subscriptionId} in templates
    resource_group: str | None = Field(default=None, alias="resource-group")  # fills {resourceGroup}
    principals: PrincipalsConfig = Field(default_factory=PrincipalsConfig)
    # auditor coverage (COV001): the lowest alert severity whose undelivered alerts are a finding
    coverage_min_severity: str = Field(default="high", alias="coverage-min-severity")
    source: str | None = Field(default=None, exclude=True)  # the file it came from

    @field_validator("fail_on", "coverage_min_severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value.lower() not in SEVERITY_NAMES:
            raise ValueError(f"must be one of {', '.join(SEVERITY_NAMES)}")
        return value.lower()

    @field_validator("severity_overrides")
    @classmethod
    def _override_severities(cls, value: dict[str, str]) -> dict[str, str]:
        for rule, severity in value.items():
            if severity.lower() not in SEVERITY_NAMES:
                raise ValueError(f"{rule}: must be one of {', '.join(SEVERITY_NAMES)}")
        return {k.upper(): v.lower() for k, v in value.items()}

    def base_dir(self) -> Path:
        """Folder that relative paths in the file are relative to."""
        return Path(self.source).parent if self.source else Path.cwd()


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
    if b"auditor" not in data:
        return False
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
        settings = Settings.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(_explain(path, text, prefix, exc)) from None
    except RecursionError:
        raise ConfigError(f"{path}: values nested too deeply") from None
    return settings.model_copy(update={"source": str(path)})


def _explain(path: Path, text: str, prefix: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        key = loc[0] if loc else ""
        line = _line_of(text, loc)
        where = f"{path}:{line}" if line else str(path)
        dotted = prefix + ".".join(loc)
        if error["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown key '{dotted}' (see 'auditor config --help' for the keys)")
        else:
            lines.append(f"{where}: '{dotted}': {error['msg']}")
        del key
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
    data = settings.model_dump(by_alias=True, mode="json")
    data["source"] = settings.source
    return data
