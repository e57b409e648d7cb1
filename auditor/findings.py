"""Rules, locations and findings: the vocabulary shared by checks, engine and renderers.

A :class:`Rule` is the single source of a check's metadata; findings are built
*from* the rule (``RULE.finding(...)``) so a finding can never carry a wrong id,
title, severity or help URL. Locations are symbolic (file + JSON path +
resource) and concrete (line/column): the fingerprint uses only the symbolic
part so it survives lines moving.
"""

from __future__ import annotations

import enum
import os
from dataclasses import field, replace
from typing import TYPE_CHECKING

from auditor.records import record

if TYPE_CHECKING:
    from auditor.model import Origin

# help_url anchors point into the generated docs/rules.md (auditor/docs.py); the base can be
# overridden for forks and mirrors with the AUDITOR_DOCS_URL environment variable.
DOCS_BASE = "https://github.com/mdc-auditor/auditor/blob/main/docs/rules.md"


class Severity(enum.IntEnum):
    """Ordered severities; ``--fail-on`` compares with ``>=``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name case-insensitively (raises ValueError with the choices)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        """Lower-case name used in every output."""
        return self.name.lower()


@record(slots=True)
class Location:
    """Where a finding points. ``file`` is None for live resources without a file."""

    file: str | None
    line: int = 0
    column: int = 0
    json_path: str = ""
    resource: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, origin: Origin, note: str | None = None) -> Location:
        """The location of an inventory element's origin."""
        return cls(
            file=origin.file,
            line=origin.line,
            column=origin.column,
            json_path=origin.json_path,
            resource=origin.resource,
            note=note,
        )


@record(slots=True)
class Suppression:
    """Why a finding is not counted: SARIF's ``suppressions`` kinds.

    ``kind`` is ``inSource`` (resource metadata) or ``external`` (configuration
    file or baseline); ``source`` names where it was declared.
    """

    kind: str
    justification: str
    source: str


@record(slots=True)
class Finding:
    """One problem, as the engine and every renderer see it."""

    rule: Rule
    message: str
    location: Location
    related: tuple[Location, ...] = ()
    severity: Severity | None = None  # None = the rule's default; config may override
    suppressed_by: Suppression | None = None
    key: str = ""  # tells apart findings of one rule at one place (e.g. which field), part of the fingerprint

    @property
    def effective_severity(self) -> Severity:
        """The severity after any override."""
        return self.severity if self.severity is not None else self.rule.severity

    @property
    def fingerprint(self) -> str:
        """Stable identity: rule + file + resource + logical path + message subject, never the line.

        ``surrogatepass``: a lone surrogate in a name (valid JSON, and how Python reads a file name
        that is not UTF-8) hashes as its own code point instead of failing the run; other text gives
        the same bytes as plain UTF-8, so existing fingerprints do not change.
        """
        loc = self.location
        parts = [self.rule.id, (loc.file or "").replace("\\", "/"), loc.resource or "", loc.json_path]
        if self.key:
            parts.append(self.key)
        from auditor.digests import sha256  # here: a clean scan has no finding to fingerprint (issue 14)

        return sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def with_severity(self, severity: Severity) -> Finding:
        """A copy with an overridden severity."""
        return replace(self, severity=severity)


class Phase(enum.IntEnum):
    """When a check runs, for checks that report on the other checks' results.

    Declared by the rule, so the engine holds no rule ids and a third-party pack can write such a
    check too. Within a phase, checks run in catalog order.
    """

    INVENTORY = 0  # reads the inventory (almost every check)
    AFTER_CHECKS = 1  # reads what the INVENTORY checks recorded in the context (SRC003: values they needed)
    AFTER_SUPPRESSIONS = 2  # reads the suppression outcome (SUP001-SUP003: unused, expired, stale)


@record(slots=True)
class Rule:
    """A check's metadata. The long-form documentation is the check module's docstring."""

    id: str
    name: str
    severity: Severity
    title: str
    rationale: str
    remediation: str
    # One line for tables (the README, `auditor rules`): the condition that makes the rule fire.
    fires_when: str = ""
    tags: tuple[str, ...] = ()
    phase: Phase = Phase.INVENTORY
    doc: str = field(default="", compare=False)

    @property
    def help_url(self) -> str:
        """Derived from the id, so every rule has one and they never drift."""
        base = os.environ.get("AUDITOR_DOCS_URL", DOCS_BASE)
        return f"{base}#{self.id.lower()}-{self.name}"

    def finding(
        self,
        message: str,
        at: Origin | Location,
        related: tuple[Origin | Location, ...] = (),
        key: str = "",
    ) -> Finding:
        """Build a finding of this rule at ``at`` (an inventory origin or a location).

        ``key`` distinguishes several findings of this rule at the same place (which field is wrong);
        it enters the fingerprint, so suppressing one of them does not suppress the others.
        """
        return Finding(
            rule=self,
            message=message,
            location=_as_location(at),
            related=tuple(_as_location(r) for r in related),
            key=key,
        )


def _as_location(value: Origin | Location) -> Location:
    if isinstance(value, Location):
        return value
    return Location.of(value)
