"""A verdict on a file must not change with what else is scanned (the metamorphic test of issue 12).

Every file of the shared corpus and of the rule fixtures is scanned on its own and as part of its whole
tree: the corpus, or all fixtures of all rules together (dozens of Logic Apps named 'Notify-SOC' or
'la-notify-soc', two teams' copies of one playbook, a prod and a legacy definition of one policy). Its
findings must be the same both ways, except findings that cite another file in ``related``: a link
across files (:mod:`auditor.link` makes one only when the scan holds a single candidate) or an ambiguity
(SRC003 naming the candidates). Each such cross-file finding of the whole scan must come back when just
the file and the files it cites are scanned: it is explained by those files, not by the rest of the tree
(the same rule at the same place; its message may differ, e.g. an ambiguity counts what the scan holds).

Put as one property: apart from those cross-file findings, the whole scan is the union of the scans of
its files one by one. The union, because a file may be read by another one's scan (a parameters file, a
JSON policy loaded by a Bicep template); Bicep modules are only judged where they are called (README
"Bicep"), through their callers' scans, since a module scanned standalone has none of its caller's values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from auditor.engine import ScanResult
from auditor.findings import Finding
from conftest import CORPUS, scan_paths

FIXTURES = Path(__file__).parent / "checks" / "fixtures"

Key = tuple[str, int, int, str, str]


def _real(path: str | None) -> str:
    return os.path.realpath(path or "")


def _key(finding: Finding) -> Key:
    loc = finding.location
    return (finding.rule.id, loc.line, loc.column, loc.json_path, finding.message)


def _cross_file(finding: Finding) -> bool:
    """Whether the finding cites a location in another file than its own."""
    own = _real(finding.location.file)
    return any(r.file and _real(r.file) != own for r in finding.related)


def _by_file(result: ScanResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in result.findings:
        out.setdefault(_real(finding.location.file), []).append(finding)
    return out


def _local(findings: Iterable[Finding]) -> set[Key]:
    return {_key(f) for f in findings if not _cross_file(f)}


def _modules(result: ScanResult) -> set[str]:
    return {
        _real(r.path) for r in result.files if (r.detail or "").startswith("Bicep module, evaluated where")
    }


def _differences(root: Path) -> list[str]:
    whole_result = scan_paths([root])
    whole = _by_file(whole_result)
    modules = _modules(whole_result)
    problems: list[str] = []
    alone: dict[str, set[Key]] = {}  # file → what the scans of single files put in it
    explained: dict[frozenset[str], dict[str, set[tuple[str, int, int, str]]]] = {}
    for record in whole_result.files:
        path = _real(record.path)
        if path in modules:
            continue  # evaluated standalone, a module has no caller's values: judged where called
        for other, findings in _by_file(scan_paths([Path(record.path)])).items():
            alone.setdefault(other, set()).update(_local(findings))
        for finding in whole.get(path, []):
            if not _cross_file(finding):
                continue
            files = frozenset({path, *(_real(r.file) for r in finding.related if r.file)})
            if files not in explained:
                explained[files] = {
                    p: {_key(f)[:4] for f in fs}
                    for p, fs in _by_file(scan_paths([Path(p) for p in files])).items()
                }
            if _key(finding)[:4] not in explained[files].get(path, set()):
                problems.append(
                    f"{os.path.relpath(path, root)}: {finding.rule.id} at line {finding.location.line} is not "
                    f"given by this file and the {len(files) - 1} it cites: {finding.message[:200]}"
                )
    for path in sorted(set(alone) | set(whole)):
        got, want = alone.get(path, set()), _local(whole.get(path, []))
        if got != want:
            problems.append(_diff(path, root, got, want))
    return problems


def _diff(path: str, root: Path, alone: set[Key], whole: set[Key], label: str = "alone") -> str:
    lines = [f"{os.path.relpath(_real(path), _real(str(root)))}:"]
    lines += [f"  only {label}: {k[0]} line {k[1]}: {k[4][:200]}" for k in sorted(alone - whole)]
    lines += [f"  only in the whole scan: {k[0]} line {k[1]}: {k[4][:200]}" for k in sorted(whole - alone)]
    return "\n".join(lines)


def test_every_fixture_file_gets_the_same_verdict_alone_and_among_all_fixtures() -> None:
    problems = _differences(FIXTURES)
    assert not problems, "\n".join(problems)


def test_every_corpus_file_gets_the_same_verdict_alone_and_in_the_whole_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(
            f"shared corpus not found at {CORPUS} (clone the steering repo's shared/ beside this repo)"
        )
    problems = _differences(CORPUS)
    assert not problems, "\n".join(problems)


def test_every_example_file_gets_the_same_verdict_alone_and_among_all_examples() -> None:
    """The bundled examples hold ARM, Bicep and Terraform twins that deploy the same Logic App names."""
    problems = _differences(Path(__file__).resolve().parents[1] / "examples")
    assert not problems, "\n".join(problems)
