"""Regression over the shared corpus of real public templates: findings per file are pinned.

A change in behaviour shows up as a diff of ``snapshots/corpus_findings.json`` in review.
Regenerate after an intended change with ``AUDITOR_UPDATE_SNAPSHOTS=1 pytest tests/corpus``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import scan_paths

SNAPSHOT = Path(__file__).parent / "snapshots" / "corpus_findings.json"


def _relative(path: str, corpus: Path) -> str:
    return Path(os.path.realpath(path)).relative_to(Path(os.path.realpath(corpus))).as_posix()


def _findings_by_file(corpus: Path) -> dict[str, list[str]]:
    result = scan_paths([corpus])
    out: dict[str, list[str]] = {}
    for f in result.findings:
        loc = f.location
        key = _relative(loc.file or "", corpus)
        out.setdefault(key, []).append(f"{f.rule.id} {loc.line}:{loc.column} {loc.json_path} | {f.message}")
    return dict(sorted(out.items()))


def test_corpus_is_read_completely(corpus: Path) -> None:
    result = scan_paths([corpus])
    assert result.errors == ()
    total = sum(1 for p in corpus.rglob("*") if p.is_file())
    assert len(result.files) == total
    assert result.summary.failed == 0
    assert not [f for f in result.findings if f.rule.id in ("SRC001", "SRC002", "SRC004")]


def test_open_jira_ticket_misspelled_connector_is_found(corpus: Path) -> None:
    path = corpus / "Microsoft-Defender-for-Cloud/Workflow automation/Open-JIRA-Ticket/azuredeploy.json"
    result = scan_paths([path], ["LA102"])
    assert [f.location.line for f in result.findings] == [37, 130]
    assert all("ascassement" in f.message for f in result.findings)


def test_findings_per_file_match_snapshot(corpus: Path) -> None:
    got = _findings_by_file(corpus)
    if not SNAPSHOT.exists() and os.environ.get("CI"):  # CI compares, it never writes the expectation
        raise AssertionError(
            f"{SNAPSHOT} is missing; generate it with AUDITOR_UPDATE_SNAPSHOTS=1 and commit it"
        )
    if os.environ.get("AUDITOR_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    want = json.loads(SNAPSHOT.read_text())
    assert got == want
