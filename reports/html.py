"""HTML report (``--format html``): one self-contained file to open in a review.

Everything is inline (CSS, JavaScript, SVG charts); the page loads nothing, and
its Content-Security-Policy says so (``default-src 'none'``, the one script
allowed by its hash). The findings table is rendered on the server side, so the
report reads the same without JavaScript and in print; the script only sorts,
filters and expands it, reading its data from a ``<script type="application/json">``
block. Untrusted text (names from the scanned templates, messages) reaches the
page through Jinja2 autoescaping, the JSON block through :func:`script_json`,
and the script writes nothing but ``textContent``. The finished page goes through
:func:`auditor.neutral.printable`: a lone surrogate in a name (which no HTML text can
hold) shows as ``\\ud800`` in the page and is a JSON escape in the data block.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

from auditor import __version__
from auditor.neutral import printable
from auditor.reports import coverage_line, event_coverage_line, event_coverage_rows

if TYPE_CHECKING:
    from auditor.chains import Chain
    from auditor.engine import ScanResult
    from auditor.findings import Finding, Location

SEVERITIES = ("critical", "high", "medium", "low", "info")
KIND_LABELS = {
    "automation": "Automation",
    "logic-app": "Logic App",
    "trigger": "Trigger",
    "connection": "Connection",
    "managed-api": "Managed API",
}
CHAIN_KINDS = tuple(KIND_LABELS)
MAX_FILE_BARS = 12
# A page of 24,000 findings was 92 MB and 3 s to write, and slow for any browser to open. The table lists
# the most severe MAX_ROWS findings and the section the first MAX_CHAINS chains (broken first); the counts,
# the cards and the charts cover all of them, and the page says what it left out.
MAX_ROWS = 5000
MAX_CHAINS = 2000

# Bar chart geometry (SVG user units; the SVG scales to its container).
CHART_WIDTH = 640
CHART_LABEL = 300
CHART_ROW = 24
CHART_BAR = 14
CHART_PAD = 8
CHART_COUNT = 44  # room for the count after the longest bar
CHART_CHARS = 41  # label characters that fit in CHART_LABEL at 12px monospace


def script_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left.

    ``</script>`` or ``<!--`` in a value can then never end or change the script element; the escapes
    are ordinary JSON string escapes, so ``JSON.parse`` restores the text unchanged.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def csp_hash(script: object) -> str:
    """The CSP source expression (``'sha256-…'``) that allows exactly this inline script."""
    digest = hashlib.sha256(str(script).encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _safe_url(url: str) -> str | None:
    """Only http(s) links are rendered (AUDITOR_DOCS_URL could hold anything)."""
    return url if url.startswith(("https://", "http://")) else None


def _display_base(paths: list[str]) -> str:
    """Absolute scan roots make long locations: show them relative to the roots' common folder."""
    if not paths or not all(os.path.isabs(p) for p in paths):
        return ""
    try:
        base = os.path.commonpath([os.path.normpath(p) for p in paths])
    except ValueError:  # different drives
        return ""
    if os.path.isfile(base):
        base = os.path.dirname(base)
    return "" if base in ("", "/") else base


def _shorten_path(path: str, base: str) -> str:
    if base and (path == base or path.startswith(base.rstrip("/\\") + os.sep) or path.startswith(base + "/")):
        rel = path[len(base) :].lstrip("/\\")
        return rel or os.path.basename(path)
    return path


def _where(loc: Location, base: str) -> str:
    if loc.file is None:
        return loc.resource or "(live resource)"
    shown = _shorten_path(loc.file, base)
    return f"{shown}:{loc.line}:{loc.column}" if loc.line else shown


def _split_where(where: str) -> tuple[str, str]:
    """``dir/`` and ``file:line:col`` of a location, so the table can show the file name first."""
    head, sep, tail = where.rpartition("/")
    return (head + sep, tail) if sep else ("", where)


def _split_resource(resource: str) -> tuple[str, str]:
    """``Microsoft.Web/connections/`` and ``name``; text without a type stays whole."""
    if resource.count("/") >= 2 and "[" not in resource.split("/", 2)[1]:
        head, kind, name = resource.split("/", 2)
        return (f"{head}/{kind}/", name)
    return ("", resource)


def _stack(
    counts: Mapping[str, Any], keys: Sequence[str], scale: float, name: str
) -> tuple[list[dict[str, Any]], float]:
    """One stacked bar's segments (``name`` = the key, its x, width and count), left to right in ``keys``
    order from the label column, and where the bar ends."""
    x = float(CHART_LABEL)
    segments = []
    for key in keys:
        if counts[key]:
            w = counts[key] * scale
            segments.append({name: key, "x": round(x, 2), "w": round(w, 2), "n": counts[key]})
            x += w
    return segments, x


def _clip(text: str, *, keep_end: bool, width: int = CHART_CHARS) -> str:
    """Shorten a chart label: a path keeps its end (the file name), a rule label its start (the id)."""
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1) :] if keep_end else text[: width - 1] + "…"


def _finding_row(i: int, f: Finding, base: str) -> dict[str, Any]:
    loc = f.location
    sup = f.suppressed_by
    where = _where(loc, base)
    loc_dir, loc_file = _split_where(where) if loc.file else ("", where)
    res_type, res_name = _split_resource(loc.resource or "")
    return {
        "i": i,
        "anchor": f"f{i}",
        "sev": f.effective_severity.label,
        "rank": int(f.effective_severity),
        "rule": f.rule.id,
        "name": f.rule.name,
        "title": f.rule.title,
        "help": _safe_url(f.rule.help_url),
        "rationale": f.rule.rationale,
        "remediation": f.rule.remediation,
        "message": f.message,
        "file": loc.file or "",
        "line": loc.line,
        "col": loc.column,
        "where": where,
        "loc_dir": loc_dir,
        "loc_file": loc_file,
        "res_type": res_type,
        "res_type_parts": res_type.split("/"),
        "res_name": res_name,
        "where_full": f"{loc.file}:{loc.line}:{loc.column}" if loc.file else (loc.resource or ""),
        "resource": loc.resource or "",
        "json_path": loc.json_path,
        "note": loc.note or "",
        "related": [
            {"where": _where(r, base), "resource": r.resource or "", "note": r.note or ""} for r in f.related
        ],
        "suppressed": sup is not None,
        "supp_kind": {"inSource": "inline", "external": "configuration"}.get(sup.kind, sup.kind)
        if sup
        else "",
        "supp_just": sup.justification if sup else "",
        "supp_source": sup.source if sup else "",
        "fingerprint": f.fingerprint,
    }


def _chart(
    groups: dict[str, Counter[str]],
    labels: dict[str, str],
    titles: dict[str, str],
    *,
    keep_end: bool,
    limit: int | None = None,
) -> dict[str, Any]:
    """Stacked horizontal bars (one segment per severity), geometry computed here for the template."""
    ordered = sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    hidden = ordered[limit:] if limit else []
    ordered = ordered[:limit] if limit else ordered
    top = max((sum(c.values()) for _, c in ordered), default=0)
    scale = (CHART_WIDTH - CHART_LABEL - CHART_COUNT) / top if top else 0.0
    bars = []
    for n, (key, counts) in enumerate(ordered):
        y = CHART_PAD + n * CHART_ROW
        segments, x = _stack(counts, SEVERITIES, scale, "sev")
        total = sum(counts.values())
        breakdown = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
        bars.append(
            {
                "key": key,
                "label": _clip(labels[key], keep_end=keep_end),
                "title": f"{titles[key]}: {total} ({breakdown})",
                "y": y,
                "bar_y": y + (CHART_ROW - CHART_BAR) / 2,
                "text_y": y + CHART_ROW / 2,
                "end": round(x + 6, 2),
                "total": total,
                "segments": segments,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_PAD * 2 + max(len(bars), 1) * CHART_ROW,
        "label_x": CHART_LABEL - 10,
        "bar_h": CHART_BAR,
        "hidden": len(hidden),
        "hidden_total": sum(sum(c.values()) for _, c in hidden),
    }


def _chains(chains: tuple[Chain, ...], rows: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    by_print: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if not row["suppressed"]:
            by_print[row["fingerprint"]].append(row)
    out: list[dict[str, Any]] = []
    for chain in chains:
        cells: list[dict[str, Any] | None] = []
        for kind in CHAIN_KINDS:
            link = next((lk for lk in chain.links if lk.kind == kind), None)
            if link is None:
                cells.append(None)
                continue
            findings = [r for fp in dict.fromkeys(link.findings) for r in by_print.get(fp, ())]
            cells.append(
                {
                    "kind": kind,
                    "kind_label": KIND_LABELS[kind],
                    "label": link.label,
                    "status": link.status,
                    "note": link.note,
                    "where": _where(link.location, base) if link.location else "",
                    "findings": findings,
                }
            )
        first = chain.links[0] if chain.links else None
        statuses = {lk.status for lk in chain.links}
        state = "broken" if chain.broken else ("unknown" if "unknown" in statuses else "ok")
        out.append(
            {
                "automation": chain.automation,
                "where": _where(first.location, base) if first and first.location else "",
                "state": state,
                "cells": cells,
            }
        )
    order = {"broken": 0, "unknown": 1, "ok": 2}
    out.sort(key=lambda c: order[c["state"]])
    return out


def build_context(
    result: ScanResult, *, fail_on: str = "low", paths: list[str] | None = None
) -> dict[str, Any]:
    """Everything the template shows, as plain data."""
    from auditor.findings import Severity

    paths = [str(p) for p in (paths or [])]
    base = _display_base(paths)
    rows = [_finding_row(i, f, base) for i, f in enumerate(result.findings)]
    # Most severe first; the engine's order (file, line, rule) breaks ties.
    rows.sort(key=lambda r: (-r["rank"], r["i"]))
    active = [r for r in rows if not r["suppressed"]]
    threshold = Severity.parse(fail_on)
    failing = result.at_or_above(threshold)
    if result.errors:
        verdict = {"state": "error", "text": "Scan error", "detail": f"{len(result.errors)} check(s) crashed"}
    elif failing:
        n = len(failing)
        verdict = {
            "state": "failed",
            "text": "Gate failed",
            "detail": f"{n} finding{'s' if n != 1 else ''} at or above {threshold.label}",
        }
    else:
        verdict = {
            "state": "passed",
            "text": "Gate passed",
            "detail": f"nothing at or above {threshold.label}",
        }

    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    file_labels: dict[str, str] = {}
    for r in active:
        by_rule[r["rule"]][r["sev"]] += 1
        key = r["file"] or r["resource"] or "(no file)"
        by_file[key][r["sev"]] += 1
        file_labels[key] = _shorten_path(key, base) if r["file"] else key
    rule_meta = {rule.id: rule for rule in result.rules}
    for f in result.findings:  # a finding of a rule that is not in result.rules still needs a label
        rule_meta.setdefault(f.rule.id, f.rule)
    rule_labels = {rid: f"{rid} {rule_meta[rid].name}" for rid in by_rule}
    rule_titles = {rid: f"{rid} {rule_meta[rid].title}" for rid in by_rule}

    counts = Counter(r["sev"] for r in active)
    per_rule_active = Counter(r["rule"] for r in active)
    per_rule_suppressed = Counter(r["rule"] for r in rows if r["suppressed"])
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "sev": rule.severity.label,
            "title": rule.title,
            "rationale": rule.rationale,
            "help": _safe_url(rule.help_url),
            "active": per_rule_active[rule.id],
            "suppressed": per_rule_suppressed[rule.id],
        }
        for rule in result.rules
    ]
    all_rows = rows
    rows = rows[:MAX_ROWS]  # most severe first: what is left out is the least severe
    chains = _chains(result.chains, rows, base)
    js_rows = [
        {
            "i": r["i"],
            "sev": r["sev"],
            "rank": r["rank"],
            "rule": r["rule"],
            "title": r["title"],
            "message": r["message"],
            "file": r["file"],
            "line": r["line"],
            "col": r["col"],
            "resource": r["resource"],
            "suppressed": r["suppressed"],
            "text": " ".join(
                [
                    r["rule"],
                    r["name"],
                    r["title"],
                    r["message"],
                    r["where_full"],
                    r["resource"],
                    r["supp_just"],
                ]
            ).lower(),
        }
        for r in rows
    ]
    now = datetime.now(timezone.utc)
    s = result.summary
    return {
        "tool": "auditor",
        "version": __version__,
        "paths": paths,
        "base": base,
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "generated_iso": now.isoformat(timespec="seconds"),
        "files": {"scanned": s.scanned, "skipped": s.skipped, "failed": s.failed},
        "failed_files": [
            {"path": _shorten_path(f.path, base), "kind": f.kind, "detail": f.detail or ""}
            for f in result.files
            if f.kind in ("unreadable", "invalid")
        ],
        "fail_on": threshold.label,
        "coverage": coverage_line(result, limit=20) or "",
        "verdict": verdict,
        "severities": SEVERITIES,
        "rows_by_severity": Counter(r["sev"] for r in rows),
        "counts": {sev: counts[sev] for sev in SEVERITIES},
        "total_active": len(active),
        "total_suppressed": len(all_rows) - len(active),
        "rows": rows,
        "rows_total": len(all_rows),
        "rows_hidden": len(all_rows) - len(rows),
        "rule_options": sorted({(r["rule"], r["title"]) for r in rows}),  # the rules with findings
        "chart_rules": _chart(by_rule, rule_labels, rule_titles, keep_end=False),
        "chart_files": _chart(
            by_file, file_labels, {k: k for k in by_file}, keep_end=True, limit=MAX_FILE_BARS
        ),
        "chains": chains[:MAX_CHAINS],
        "chains_total": len(chains),
        "chains_hidden": max(0, len(chains) - MAX_CHAINS),
        "chains_broken": sum(1 for c in chains if c["state"] == "broken"),
        "chains_unknown": sum(1 for c in chains if c["state"] == "unknown"),
        "chain_kinds": [KIND_LABELS[k] for k in CHAIN_KINDS],
        "rules": rules,
        "errors": [{"rule": e.rule_id, "message": e.message} for e in result.errors],
        "data_json": script_json({"rows": js_rows}),
        "event_coverage": _event_coverage(result),
    }


MAX_COVERAGE_BARS = 40
_OUTCOMES = ("delivered", "unknown", "undelivered")


def _event_coverage(result: ScanResult) -> dict[str, Any] | None:
    """``auditor coverage``: per (kind, type, severity) a stacked bar (delivered, unknown, undelivered)
    and the table rows; geometry computed here, the text escaped by the template. None in a scan."""
    rows = event_coverage_rows(result)
    if not rows:
        return None
    shown = rows[:MAX_COVERAGE_BARS]
    top = max(r["events"] for r in shown)
    scale = (CHART_WIDTH - CHART_LABEL - CHART_COUNT) / top if top else 0.0
    bars = []
    for n, row in enumerate(shown):
        y = CHART_PAD + n * CHART_ROW
        segments, x = _stack(row, _OUTCOMES, scale, "outcome")
        label = f"{row['severity']} {row['type']}"
        bars.append(
            {
                "label": _clip(label, keep_end=False),
                "title": (
                    f"{row['kind']} {row['type']} ({row['severity']}): {row['events']} events, "
                    f"{row['delivered']} delivered, {row['unknown']} unknown, {row['undelivered']} undelivered"
                ),
                "y": y,
                "bar_y": y + (CHART_ROW - CHART_BAR) / 2,
                "text_y": y + CHART_ROW / 2,
                "end": round(x + 6, 2),
                "total": row["events"],
                "segments": segments,
            }
        )
    return {
        "summary": event_coverage_line(result) or "",
        "rows": rows,
        "chart": {
            "bars": bars,
            "width": CHART_WIDTH,
            "height": CHART_PAD * 2 + max(len(bars), 1) * CHART_ROW,
            "label_x": CHART_LABEL - 10,
            "bar_h": CHART_BAR,
        },
        "hidden": len(rows) - len(shown),
        "outcomes": _OUTCOMES,
    }


@functools.cache
def _environment_class() -> Any:
    """The Jinja environment class, made on first use (importing jinja2 is not free: ``auditor rules`` and
    ``--version`` never do)."""
    import jinja2

    class DataEnvironment(jinja2.Environment):
        """``r.sev`` on the plain dicts of :func:`build_context` is a key lookup first: Jinja's default
        tries the attribute and raises inside, about 1 µs per access, a million of them per 25,000 rows."""

        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return DataEnvironment


def render(result: ScanResult, out: TextIO, *, fail_on: str = "low", paths: Any = None, **_: Any) -> None:
    """Write the HTML report."""
    import jinja2
    from markupsafe import Markup

    env = _environment_class()(
        loader=jinja2.PackageLoader("auditor.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["csp_hash"] = csp_hash
    context = build_context(result, fail_on=fail_on, paths=list(paths or []))
    context["data_json"] = Markup(context["data_json"])  # already safe for a script element
    context["wbr_slash"] = Markup("/<wbr>")  # between the parts of a resource type, which may then wrap
    out.write(printable(env.get_template("report.html.j2").render(**context)))
