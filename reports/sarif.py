"""SARIF 2.1.0 output for GitHub code scanning (``--format sarif``) and any other SARIF viewer.

The log is built with the ``sarif-om`` object model (imported only here, when
this format is rendered) and written by a small serializer of our own:
``jschema_to_python`` drops every property equal to its schema default, which
loses an explicit ``level: "warning"`` (a consumer would then take the rule's
level instead), so :func:`to_data` keeps ``level`` and turns attribute names
into SARIF's camelCase names from the object model's metadata.

What GitHub gets:

* ``tool.driver.rules``: every rule that ran (not only those that fired), with
  the same texts as ``auditor rule ID``, ``help.markdown`` from the check's
  docstring, ``helpUri``, tags and a numeric-string ``security-severity``;
* one result per finding: level from the effective severity, one physical
  location relative to the repository root (``uriBaseId`` ``%SRCROOT%``; the
  root is ``root=`` or ``git rev-parse --show-toplevel`` or the current
  directory), the resource as a logical location, ``relatedLocations``,
  ``suppressions`` and ``partialFingerprints["auditorFingerprint/v1"]``
  (rule + repository-relative path + resource + JSON path, never the line);
* ``invocations[0]``: ``executionSuccessful`` (false when a check crashed or a
  file could not be read or parsed) and ``toolExecutionNotifications`` for
  SRC001/SRC002/SRC004/SRC005 findings, crashed checks and results left out;
* GitHub's limits (25,000 results per run, 10 MB gzipped): over them the most
  severe results are kept, a notification says how many were dropped and a
  warning goes to stderr.

Messages come from the checks, which already redact secrets; nothing here adds
property values. They quote template text, so every ``message.text`` goes through
:func:`auditor.neutral.sarif_text` (``[``/``]`` escaped: no embedded link from a
resource name), and the whole log through :func:`auditor.neutral.printable` (a lone
surrogate in a name is written as its JSON escape instead of failing the write).
Output is deterministic: sorted keys, results in engine order.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from auditor import __version__
from auditor.findings import DOCS_BASE, Severity
from auditor.jsontext import pretty
from auditor.neutral import printable, sarif_text
from auditor.reports import coverage_dicts, coverage_line, event_coverage_dict

if TYPE_CHECKING:
    from auditor.engine import ScanResult
    from auditor.findings import Finding, Location, Rule

SARIF_VERSION = "2.1.0"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = DOCS_BASE.split("/blob/", 1)[0]  # the project's repository
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "auditorFingerprint/v1"

# GitHub code scanning rejects a run with more results, or an upload larger than this once gzipped.
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024

# GitHub wants a number in a string, 0.0–10.0 (CVSS bands: 9.0+ critical, 7.0+ high, 4.0+ medium).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
FAMILY = {
    "SRC": "source",
    "SUP": "suppression",
    "LA": "logic-app",
    "AUT": "automation",
    "POL": "policy",
    "RB": "rbac",
    "SEC": "secrets",
    "LIV": "live",
}
BASE_TAGS = ("security", "azure", "defender-for-cloud")
MAX_TAGS = 10  # GitHub shows 10 and rejects more than 20

# Findings that are problems of the scan itself (a file not read, not parsed, an expression not parsed):
# reported as results *and* as tool execution notifications. The first two make the run unsuccessful.
TOOL_PROBLEM_RULES = ("SRC001", "SRC002", "SRC004", "SRC005")
EXECUTION_FAILURE_RULES = ("SRC001", "SRC002")

# Findings about resources read live from Azure have no file: SARIF (and GitHub) need a physical location,
# so they are anchored here, at the repository root, line 1, with the resource's ARM id as the logical
# location. A fixed name keeps GitHub's alert tracking stable from run to run (the fingerprint does not use
# it); commit a file of that name (e.g. a note on the scheduled live scan) to give the alerts a page.
LIVE_ANCHOR = ".auditor-live"

# Properties the serializer writes even when they equal the object model's default.
_ALWAYS_WRITTEN = frozenset({"level"})


# ---------------------------------------------------------------- serializer


def to_data(obj: Any) -> Any:
    """A ``sarif_om`` object (or plain data holding some) → JSON-ready data with SARIF's property names.

    Properties that are None are left out, and so are those equal to the object
    model's default (``rank: -1``, ``kind: "fail"``…), except ``level``.
    """
    plan = _plan(type(obj))
    if plan is not None:
        out: dict[str, Any] = {}
        for attribute, written, default in plan:
            value = getattr(obj, attribute)
            if value is None or (default is not _NO_DEFAULT_MARK and value == default):
                continue
            out[written] = to_data(value)
        return out
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    return obj


_NO_DEFAULT_MARK = object()  # "write the value whatever it is"
_Plan = tuple[tuple[str, str, Any], ...]
_PLANS: dict[type, _Plan | None] = {}


def _plan(cls: type) -> _Plan | None:
    """(attribute, SARIF name, default to leave out) per field of an attrs class, worked out once per
    class: a log of 25,000 results serialises about a million objects."""
    try:
        return _PLANS[cls]
    except KeyError:
        pass
    import attr

    plan: _Plan | None = None
    if attr.has(cls):
        fields = []
        for field in attr.fields(cls):
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if field.name in _ALWAYS_WRITTEN or default is attr.NOTHING:
                default = _NO_DEFAULT_MARK
            fields.append((field.name, field.metadata.get("schema_property_name", field.name), default))
        plan = tuple(fields)
    _PLANS[cls] = plan
    return plan


def dumps(log: dict[str, Any]) -> str:
    """The SARIF text: sorted keys, two-space indent, UTF-8 characters kept (lone surrogates as escapes)."""
    return printable(pretty(log, sort_keys=True)) + "\n"


# ---------------------------------------------------------------- paths


def repository_root(root: str | os.PathLike[str] | None = None) -> Path:
    """``root`` if given, else the git top level of the current directory, else the current directory."""
    if root:
        return Path(os.path.abspath(root))
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        top = proc.stdout.strip()
        if proc.returncode == 0 and top:
            return Path(os.path.abspath(top))
    except (OSError, subprocess.SubprocessError):
        pass
    return Path.cwd()


def _quote(path: str) -> str:
    """Percent-encode a ``/`` path (RFC 3986) from its file-system bytes.

    A file name that is not valid UTF-8 reaches Python with surrogate escapes (``\\udcff``); its URI
    holds the original bytes (``%FF``). A surrogate no file system produced is encoded as is.
    """
    try:
        return quote(path, safe="/", errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, safe="/", errors="surrogatepass")


def _file_uri(path: Path) -> str:
    """``path.as_uri()``, also for a path with surrogates in it."""
    try:
        return path.as_uri()
    except (UnicodeEncodeError, ValueError):
        return "file://" + _quote(path.as_posix())


def _relative(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` as a ``/`` path, trying the literal and the symlink-free forms."""
    for p in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
        for r in (Path(os.path.abspath(root)), Path(os.path.realpath(root))):
            try:
                rel = p.relative_to(r)
            except ValueError:
                continue
            text = rel.as_posix()
            return "" if text == "." else text
    return None


class _Uris:
    """Maps finding paths (relative to the current directory, or absolute) to SARIF artifact locations."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cwd = Path.cwd()
        self._cache: dict[str, tuple[str, str | None]] = {}
        self._relative_cache: dict[str, str] = {}
        self.outside: set[str] = set()  # files outside the root (absolute URIs, which GitHub cannot place)

    def root_uri(self) -> str:
        uri = _file_uri(self.root)
        return uri if uri.endswith("/") else uri + "/"

    def of(self, file: str) -> tuple[str, str | None]:
        """(uri, uriBaseId): repository-relative and percent-encoded (RFC 3986), or an absolute file URI."""
        cached = self._cache.get(file)
        if cached is None:
            path = Path(file)
            if not path.is_absolute():
                path = self.cwd / path
            rel = _relative(path, self.root)
            if rel:
                cached = (_quote(rel), SRCROOT)
            else:  # outside the repository: GitHub cannot show it, but the log stays truthful
                cached = (_file_uri(Path(os.path.abspath(path))), None)
                self.outside.add(file)
            self._cache[file] = cached
        return cached

    def relative_path(self, file: str | None) -> str:
        """The unencoded repository-relative path used in fingerprints (the path as given when outside)."""
        if not file:
            return ""
        cached = self._relative_cache.get(file)
        if cached is None:
            path = Path(file)
            if not path.is_absolute():
                path = self.cwd / path
            cached = self._relative_cache[file] = _relative(path, self.root) or file.replace("\\", "/")
        return cached


# ---------------------------------------------------------------- texts


def rule_name(rule: Rule) -> str:
    """PascalCase form of the kebab name (``legacy-defender-trigger`` → ``LegacyDefenderTrigger``)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule.name) if part)


def rule_tags(rule: Rule) -> list[str]:
    """``security``, ``azure``, ``defender-for-cloud``, the family, then the rule's own tags (at most 10)."""
    prefix = rule.id.rstrip("0123456789")
    tags: list[str] = []
    for tag in (*BASE_TAGS, FAMILY.get(prefix, prefix.lower()), *rule.tags):
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _doc_body(rule: Rule) -> str:
    """The check's docstring without its first (summary) line: Markdown with ``##`` headings."""
    return rule.doc.split("\n", 1)[1].strip() if "\n" in rule.doc else ""


def _sentence(text: str) -> str:
    """A SARIF plain-text message (:func:`auditor.neutral.sarif_text`), as a sentence: ends with a period."""
    text = sarif_text(text.strip())
    return text if not text or text[-1] in ".!?" else text + "."


def automation_id(rules: Sequence[Rule], fail_on: str | None) -> str:
    """``auditor/<hash>/``: one GitHub category per configuration (rules selected + gate)."""
    key = ",".join(sorted(r.id for r in rules)) + "|" + (fail_on or "")
    return f"auditor/{hashlib.sha256(key.encode()).hexdigest()[:12]}/"


# ---------------------------------------------------------------- builder


class _Builder:
    """Turns a ScanResult into sarif_om objects; results are converted once and reused."""

    def __init__(self, result: ScanResult, options: dict[str, Any]) -> None:
        import sarif_om as om

        self.om = om
        self.result = result
        self.options = options
        self.uris = _Uris(repository_root(options.get("root")))
        rules: list[Rule] = list(result.rules)
        known = {r.id for r in rules}
        for f in result.findings:  # a finding of a rule not listed (hand-built results) still gets one
            if f.rule.id not in known:
                known.add(f.rule.id)
                rules.append(f.rule)
        self.rules = rules
        self.rule_index = {r.id: i for i, r in enumerate(rules)}
        self.fallback_file = self._fallback_file()

    def _fallback_file(self) -> str:
        """Where a finding without a file is anchored (GitHub needs a physical location)."""
        for p in self.options.get("paths") or ():
            if Path(p).is_file():
                return str(p)
        for record in self.result.files:
            if record.path:
                return record.path
        return "."

    # -- pieces

    def descriptor(self, rule: Rule) -> Any:
        om = self.om
        body = _doc_body(rule)
        text = f"{rule.remediation}\n\n{body}".strip()
        markdown = "\n\n".join(
            part
            for part in (
                f"**Why:** {rule.rationale}",
                f"**Fix:** {rule.remediation}",
                body,
                f"[{rule.id} {rule.name} in the auditor rule reference]({rule.help_url})",
            )
            if part
        )
        return om.ReportingDescriptor(
            id=rule.id,
            name=rule_name(rule),
            short_description=om.MultiformatMessageString(text=rule.title),
            full_description=om.MultiformatMessageString(text=rule.rationale),
            help=om.MultiformatMessageString(text=text, markdown=markdown),
            help_uri=rule.help_url,
            default_configuration=om.ReportingConfiguration(level=LEVEL[rule.severity]),
            properties={"tags": rule_tags(rule), "security-severity": SECURITY_SEVERITY[rule.severity]},
        )

    def physical(self, loc: Location) -> Any:
        om = self.om
        base: str | None
        if loc.file is None and (loc.resource or "").startswith("/"):
            uri, base = LIVE_ANCHOR, SRCROOT  # a live resource: see LIVE_ANCHOR
        else:
            uri, base = self.uris.of(loc.file or self.fallback_file)
        line = loc.line if loc.line > 0 else 1
        column = loc.column if loc.line > 0 and loc.column > 0 else 1
        return om.PhysicalLocation(
            artifact_location=om.ArtifactLocation(uri=uri, uri_base_id=base),
            region=om.Region(start_line=line, start_column=column),
        )

    def location(self, loc: Location, *, ident: int | None = None, message: str | None = None) -> Any:
        om = self.om
        logical = (
            [om.LogicalLocation(fully_qualified_name=loc.resource, kind="resource")] if loc.resource else None
        )
        return om.Location(
            id=ident if ident is not None else -1,
            physical_location=self.physical(loc),
            logical_locations=logical,
            message=om.Message(text=_sentence(message)) if message else None,
        )

    def fingerprint(self, finding: Finding) -> str:
        """``Finding.fingerprint`` over the repository-relative path, so it is the same from any directory."""
        from dataclasses import replace

        rel = self.uris.relative_path(finding.location.file)
        return replace(finding, location=replace(finding.location, file=rel)).fingerprint

    def result_of(self, finding: Finding) -> dict[str, Any]:
        om = self.om
        loc = finding.location
        related = [
            self.location(
                r, ident=i, message=r.note or (f"Related: {r.resource}" if r.resource else "Related location")
            )
            for i, r in enumerate(finding.related, start=1)
        ]
        suppression = finding.suppressed_by
        suppressions = (
            [
                om.Suppression(
                    kind=suppression.kind,
                    justification=suppression.justification,
                    properties={"source": suppression.source} if suppression.source else None,
                )
            ]
            if suppression is not None
            else None
        )
        properties: dict[str, Any] = {"severity": finding.effective_severity.label}
        if loc.json_path:
            properties["jsonPath"] = loc.json_path
        result = om.Result(
            message=om.Message(text=_sentence(finding.message)),
            rule_id=finding.rule.id,
            rule_index=self.rule_index[finding.rule.id],
            level=LEVEL[finding.effective_severity],
            locations=[self.location(loc, message=loc.note)],
            related_locations=related or None,
            partial_fingerprints={FINGERPRINT_KEY: self.fingerprint(finding)},
            suppressions=suppressions,
            properties=properties,
        )
        data: dict[str, Any] = to_data(result)
        return data

    def notifications(self, dropped: int, total: int) -> list[Any]:
        om = self.om
        out: list[Any] = []
        for f in self.result.findings:
            if f.rule.id in TOOL_PROBLEM_RULES:
                out.append(
                    om.Notification(
                        message=om.Message(text=_sentence(f"{f.rule.id} {f.rule.name}: {f.message}")),
                        level="error",
                        locations=[self.location(f.location)],
                        associated_rule=om.ReportingDescriptorReference(
                            id=f.rule.id, index=self.rule_index[f.rule.id]
                        ),
                    )
                )
        for e in self.result.errors:
            index = self.rule_index.get(e.rule_id, -1)
            out.append(
                om.Notification(
                    message=om.Message(text=_sentence(f"check {e.rule_id} crashed: {e.message}")),
                    level="error",
                    associated_rule=om.ReportingDescriptorReference(id=e.rule_id, index=index),
                )
            )
        if dropped:
            out.append(
                om.Notification(
                    message=om.Message(text=dropped_message(dropped, total)),
                    level="warning",
                )
            )
        return out

    def run_properties(self) -> dict[str, Any] | None:
        """A live scan's coverage record (``auditor scan --live``) and ``auditor coverage``'s report, None
        for a scan of files only."""
        props: dict[str, Any] = {}
        coverage = coverage_dicts(self.result)
        if coverage:
            props = {"coverage": coverage, "coverageSummary": coverage_line(self.result, limit=20)}
        events = event_coverage_dict(self.result)
        if events is not None:  # auditor coverage: per alert type and severity, who delivered them
            props["eventCoverage"] = events
        return props or None

    def log(self, results: list[dict[str, Any]], dropped: int) -> dict[str, Any]:
        om = self.om
        result = self.result
        failed = bool(result.errors) or any(f.rule.id in EXECUTION_FAILURE_RULES for f in result.findings)
        notifications = self.notifications(dropped, len(result.findings))
        run = om.Run(
            tool=om.Tool(
                driver=om.ToolComponent(
                    name="auditor",
                    full_name=f"auditor {__version__}",
                    version=__version__,
                    semantic_version=__version__,
                    information_uri=INFORMATION_URI,
                    rules=[self.descriptor(r) for r in self.rules],
                )
            ),
            automation_details=om.RunAutomationDetails(
                id=automation_id(result.rules, self.options.get("fail_on"))
            ),
            invocations=[
                om.Invocation(
                    execution_successful=not failed,
                    tool_execution_notifications=notifications or None,
                )
            ],
            column_kind="unicodeCodePoints",
            original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=self.uris.root_uri())},
            properties=self.run_properties(),
        )
        data: dict[str, Any] = to_data(om.SarifLog(version=SARIF_VERSION, schema_uri=SCHEMA_URI, runs=[run]))
        data["runs"][0]["results"] = (
            results  # already data (result_of): walking them again cost 1 s per 25,000
        )
        return data


def dropped_message(dropped: int, total: int) -> str:
    """The notification text for results left out to stay within GitHub's limits."""
    return (
        f"{dropped} of {total} results were left out of this SARIF log to stay within GitHub code scanning's "
        f"limits ({MAX_RESULTS:,} results per run, {MAX_GZIP_BYTES // (1024 * 1024)} MB gzipped); the most "
        "severe results were kept."
    )


def _priority(finding: Finding) -> tuple[Any, ...]:
    """Most important first: active before suppressed, then severity, then location."""
    loc = finding.location
    return (
        finding.suppressed_by is not None,
        -int(finding.effective_severity),
        loc.file or "",
        loc.line,
        loc.column,
        finding.rule.id,
    )


def _gzip_size(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6))


def build(result: ScanResult, **options: Any) -> tuple[dict[str, Any], str, int]:
    """(log, text, dropped): the SARIF log as data and as text, and how many results were left out."""
    builder = _Builder(result, options)
    findings = result.findings
    order = sorted(range(len(findings)), key=lambda i: _priority(findings[i]))
    converted: dict[int, dict[str, Any]] = {}
    keep = min(len(findings), MAX_RESULTS)
    while True:
        kept = sorted(order[:keep])  # back to the engine's order (file, line, rule)
        for i in kept:
            if i not in converted:
                converted[i] = builder.result_of(findings[i])
        log = builder.log([converted[i] for i in kept], dropped=len(findings) - keep)
        text = dumps(log)
        size = len(text.encode("utf-8"))
        if size > MAX_GZIP_BYTES:
            size = _gzip_size(text)
        if size <= MAX_GZIP_BYTES or keep == 0:
            break
        keep = max(0, min(keep - 1, int(keep * MAX_GZIP_BYTES / size * 0.9)))
    dropped = len(findings) - keep
    if dropped:
        print(f"auditor: warning: SARIF: {dropped_message(dropped, len(findings))}", file=sys.stderr)
    if builder.uris.outside:
        count = len(builder.uris.outside)
        files = "1 file lies" if count == 1 else f"{count} files lie"
        print(
            f"auditor: warning: SARIF: {files} outside the repository root {builder.uris.root}: their results "
            "have absolute file: URIs, which GitHub cannot place (set --root to the repository's top folder)",
            file=sys.stderr,
        )
    return log, text, dropped


def to_sarif(result: ScanResult, **options: Any) -> dict[str, Any]:
    """The SARIF log as plain data (GitHub's limits applied)."""
    return build(result, **options)[0]


def render(result: ScanResult, out: TextIO, **options: Any) -> None:
    """Write the SARIF log. Options: ``root`` (repository root), ``fail_on`` (part of the category)."""
    out.write(build(result, **options)[1])
