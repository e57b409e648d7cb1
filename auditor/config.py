"""Configuration: ``[tool.auditor]`` in ``pyproject.toml`` or a top-level ``auditor.toml``.

Found by walking up from the first scanned path (the nearest file wins; an
``auditor.toml`` beats a ``pyproject.toml`` in the same folder). Keys mirror
the CLI; CLI flags override the file. Unknown keys, wrong types and
suppressions without a reason are errors that name the file and line, because
a silently ignored typo in a security gate's configuration is a hole.

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

[tool.auditor.principals]
deployer = "11111111-1111-1111-1111-111111111111"       # object ids
editors = ["22222222-2222-2222-2222-222222222222"]
responders = ["33333333-3333-3333-3333-333333333333"]
```
"""

from __future__ import annotations

import datetime as dt
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
    source: str | None = Field(default=None, exclude=True)  # the file it came from

    @field_validator("fail_on")
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


def find_config(start: Path) -> Path | None:
    """The nearest auditor.toml or pyproject.toml with [tool.auditor], from ``start`` upwards."""
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate_dir in (folder, *folder.parents):
        own = candidate_dir / "auditor.toml"
        if own.is_file():
            return own
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and _has_tool_auditor(pyproject):
            return pyproject
    return None


def _has_tool_auditor(path: Path) -> bool:
    try:
        return (
            re.search(r"^[ \t]*\[\[?\s*tool\.auditor[\].]", path.read_text(encoding="utf-8"), re.M)
            is not None
        )
    except OSError:
        return False


def load(path: Path) -> Settings:
    """Read and validate a configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table: Any = doc
    prefix = ""
    if path.name == "pyproject.toml":
        table = doc.get("tool", {}).get("auditor", {})
        prefix = "tool.auditor."
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{prefix.rstrip('.')}] must be a table")
    try:
        settings = Settings.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(_explain(path, text, prefix, exc)) from None
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
