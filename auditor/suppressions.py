"""Suppressions and the baseline: which findings are known and accepted, and which acceptances rot.

Three sources, applied by the engine after the checks ran:

* **inline** (SARIF kind ``inSource``): ``"metadata": {"auditor": {"ignore": ["LA106"], "reason": "…"}}``
  on a resource covers findings of those rules at or below that resource;
* **configuration** (``external``): ``[[tool.auditor.suppressions]]`` with rule, path glob, optional
  resource glob, a mandatory reason and an optional ``expires`` date; an expired entry stops
  suppressing and is reported;
* **baseline** (``external``): a file of fingerprints written by ``auditor baseline create``; it
  survives line moves and is specific to file + resource + rule + JSON path.

Suppressed findings stay in the result (marked), so JSON, SARIF and HTML can show them. What is not
used any more (an inline or configured suppression that matched nothing, a baseline entry whose
finding is gone) is reported, like ruff's RUF100, by the SUP rules.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.findings import Finding, Location, Suppression
from auditor.model import InlineSuppression
from auditor.records import record
from auditor.selection import matches, matches_any

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used."""


@record()
class ConfiguredSuppression:
    """A configuration suppression with where it was declared."""

    rule: str
    path: str
    resource: str | None
    reason: str
    expires: dt.date | None
    location: Location  # the config file and line, for SUP findings


@record()
class BaselineEntry:
    """One accepted finding."""

    fingerprint: str
    rule: str
    path: str | None
    resource: str | None
    message: str
    location: Location


@record(frozen=False)
class SuppressionOutcome:
    """What the SUP rules report."""

    unused: list[tuple[Location, str]] = field(default_factory=list)
    expired: list[tuple[Location, str]] = field(default_factory=list)
    stale: list[tuple[Location, str]] = field(default_factory=list)


def _covers(path_prefix: str, json_path: str) -> bool:
    return (
        json_path == path_prefix
        or json_path.startswith(path_prefix + ".")
        or json_path.startswith(path_prefix + "[")
    )


MAX_BASELINE_BYTES = 256 * 1024 * 1024


def load_baseline(path: Path, within: Path | None = None) -> list[BaselineEntry]:
    """Read a baseline file (clear errors for missing, malformed or hostile files).

    ``within``: the file must lie inside this folder once links are resolved (a baseline named by
    configuration stays in the configuration's repository). Only a regular file is read, at most
    :data:`MAX_BASELINE_BYTES`; JSON nested too deeply and entries of the wrong type are errors.
    """
    from auditor.files import read_regular

    try:
        data = read_regular(path, max_bytes=MAX_BASELINE_BYTES, roots=(within,) if within else None)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BaselineError(f"{path}: baseline is not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{path}:{exc.lineno}:{exc.colno}: baseline is not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise BaselineError(f"{path}: baseline is not valid JSON: nested too deeply") from None
    entries = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise BaselineError(
            f"{path}: not an auditor baseline (no 'findings' list); create one with 'auditor baseline create'"
        )
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: findings[{i}] has no 'fingerprint'")
        for key in ("rule", "path", "resource", "message"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise BaselineError(f"{path}: findings[{i}].{key} must be a string")
        line = _line_of(text, entry["fingerprint"])
        out.append(
            BaselineEntry(
                fingerprint=entry["fingerprint"],
                rule=entry.get("rule") or "",
                path=entry.get("path"),
                resource=entry.get("resource"),
                message=entry.get("message") or "",
                location=Location(file=str(path), line=line, column=1, json_path=f"findings[{i}]"),
            )
        )
    return out


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def baseline_document(findings: Sequence[Finding]) -> dict[str, Any]:
    """The baseline file for ``findings`` (active ones only; sorted so diffs stay small)."""
    entries = [
        {
            "fingerprint": f.fingerprint,
            "rule": f.rule.id,
            "path": f.location.file,
            "resource": f.location.resource,
            "message": f.message,
        }
        for f in findings
        if f.suppressed_by is None
    ]
    entries.sort(key=lambda e: (e["path"] or "", e["rule"], e["fingerprint"]))
    return {
        "version": BASELINE_VERSION,
        "tool": {"name": "auditor", "version": __version__},
        "findings": entries,
    }


def apply(
    findings: Sequence[Finding],
    *,
    inline: Sequence[InlineSuppression] = (),
    configured: Sequence[ConfiguredSuppression] = (),
    baseline: Sequence[BaselineEntry] = (),
    ran: frozenset[str] = frozenset(),
    today: dt.date | None = None,
) -> tuple[list[Finding], SuppressionOutcome]:
    """Mark suppressed findings and report unused, expired and stale suppressions."""
    today = today or dt.date.today()
    outcome = SuppressionOutcome()
    used_inline: set[int] = set()
    used_config: set[int] = set()
    by_print = {entry.fingerprint: entry for entry in baseline}
    used_prints: set[str] = set()
    active_config = []
    for i, sup in enumerate(configured):
        if sup.expires is not None and sup.expires < today:
            outcome.expired.append(
                (
                    sup.location,
                    f"suppression of {sup.rule} for '{sup.path}' expired on {sup.expires}; it no longer applies",
                )
            )
        else:
            active_config.append((i, sup))
    out: list[Finding] = []
    for finding in findings:
        marked = _match_inline(finding, inline, used_inline) or _match_config(
            finding, active_config, used_config
        )
        if marked is None and finding.fingerprint in by_print:
            used_prints.add(finding.fingerprint)
            entry = by_print[finding.fingerprint]
            marked = Suppression("external", "accepted in the baseline", entry.location.file or "baseline")
        out.append(replace(finding, suppressed_by=marked) if marked else finding)
    for i, inline_sup in enumerate(inline):
        relevant = [r for r in inline_sup.rules if any(matches(r, rid) for rid in ran)]
        if i not in used_inline and relevant:
            rules = ", ".join(inline_sup.rules)
            message = f"inline suppression of {rules} matches no finding; remove it"
            outcome.unused.append((Location.of(inline_sup.origin), message))
    for i, sup in active_config:
        if i not in used_config and any(matches(sup.rule, rid) for rid in ran):
            outcome.unused.append(
                (sup.location, f"configured suppression of {sup.rule} for '{sup.path}' matches no finding")
            )
    for entry in baseline:
        if entry.fingerprint not in used_prints and (not entry.rule or entry.rule in ran):
            outcome.stale.append(
                (
                    entry.location,
                    f"baseline entry {entry.rule} in {entry.path or '?'} no longer matches a finding (fixed?)",
                )
            )
    return out, outcome


def _match_inline(
    finding: Finding, inline: Sequence[InlineSuppression], used: set[int]
) -> Suppression | None:
    loc = finding.location
    for i, sup in enumerate(inline):
        if sup.origin.file != loc.file or not _covers(sup.origin.json_path, loc.json_path):
            continue
        if matches_any(sup.rules, finding.rule.id):
            used.add(i)
            return Suppression(
                "inSource",
                sup.reason or "suppressed in the resource's metadata",
                f"{loc.file}:{sup.origin.line}",
            )
    return None


def _match_config(
    finding: Finding, configured: Sequence[tuple[int, ConfiguredSuppression]], used: set[int]
) -> Suppression | None:
    loc = finding.location
    for i, sup in configured:
        if not matches(sup.rule, finding.rule.id):
            continue
        if not fnmatch.fnmatch(loc.file or "", sup.path):
            continue
        if sup.resource is not None and not fnmatch.fnmatch(loc.resource or "", sup.resource):
            continue
        used.add(i)
        return Suppression("external", sup.reason, f"{sup.location.file}:{sup.location.line}")
    return None
