"""``auditor scan --jobs N``: files read in worker processes give the report ``--jobs 1`` gives, byte for byte.

Workers start only when :func:`auditor.sources.work_plan.plan` estimates that they save time; these tests
make every plan with a second process pay (``MIN_SAVING`` below zero, workers free to start), so the files are shared between the
scanning process and a worker. The workers are forked from the test process and inherit the patched
threshold and budgets.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import auditor.sources.parallel as parallel
from auditor import budget
from auditor.cli import main
from auditor.sources import dispatch, work_plan
from conftest import CORPUS

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "checks" / "fixtures"
EXAMPLES = REPO / "examples"


def _report(paths: list[Path], jobs: int, out: Path) -> tuple[int, bytes]:
    code = main(
        [
            "scan",
            *map(str, paths),
            "--no-config",
            "--format",
            "json",
            "--output",
            str(out),
            "--jobs",
            str(jobs),
        ]
    )
    return code, out.read_bytes()


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every scan with --jobs > 1 reads its files in workers; the list counts the scans that did."""
    calls: list[int] = []
    real = parallel.fragments_in_workers

    def counted(task: Any, paths: Any, plan: work_plan.Plan) -> Any:
        assert plan.local and plan.workers  # both processes read files
        calls.append(len(plan.workers) + 1)
        return real(task, paths, plan)

    monkeypatch.setattr(work_plan, "MIN_SAVING", -1e9)
    monkeypatch.setattr(work_plan, "WORKER_START_SECONDS", 0.0)
    monkeypatch.setattr(parallel, "fragments_in_workers", counted)
    return calls


def test_the_corpus_fixtures_and_examples_give_the_same_report_with_one_and_two_jobs(
    tmp_path: Path, workers: list[int]
) -> None:
    paths = [FIXTURES, EXAMPLES] + ([CORPUS] if CORPUS.is_dir() else [])
    one = _report(paths, 1, tmp_path / "one.json")
    two = _report(paths, 2, tmp_path / "two.json")
    assert workers == [2]
    assert one[0] == two[0] == 1
    assert one[1] == two[1]
    findings = json.loads(two[1])["findings"]
    assert len(findings) > 500  # every rule's positives, the corpus's findings: a real comparison


def test_a_file_over_its_budget_in_a_worker_is_src005_as_in_process(
    tmp_path: Path, workers: list[int]
) -> None:
    # each variable doubles the one before: 2**12 x 1,000 characters, beyond the 1,000,000 of a value
    variables: dict[str, str] = {"v0": "x" * 1000}
    for i in range(1, 13):
        variables[f"v{i}"] = f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "variables": variables,
        "resources": [
            {
                "type": "Microsoft.Logic/workflows",
                "apiVersion": "2019-05-01",
                "name": "[variables('v12')]",
                "location": "westeurope",
                "properties": {"definition": {"triggers": {}, "actions": {}}},
            }
        ],
    }
    scanned = tmp_path / "repo"
    for folder in ("a", "b"):  # two folders: one read here, one by the worker
        (scanned / folder).mkdir(parents=True)
        (scanned / folder / "bomb.json").write_text(json.dumps(template, indent=2), encoding="utf-8")
    one = _report([scanned], 1, tmp_path / "one.json")
    two = _report([scanned], 2, tmp_path / "two.json")
    assert workers == [2]
    assert one == two
    bombs = {f["path"] for f in json.loads(two[1])["findings"] if f["rule"] == "SRC005"}
    assert len(bombs) == 2
    assert budget.LIMITS.max_value_size == 1_000_000


def _in_workers(monkeypatch: pytest.MonkeyPatch, act: Any) -> None:
    """Every file a worker (not the scanning process) reads first goes through ``act(path)``."""
    real = dispatch.FileTask.one
    scanner = os.getpid()

    def one(self: dispatch.FileTask, path: Path) -> dispatch.Fragment:
        if os.getpid() != scanner:
            act(path)
        return real(self, path)

    monkeypatch.setattr(dispatch.FileTask, "one", one)


def test_a_worker_that_dies_is_an_error_naming_the_way_out(
    tmp_path: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # what the out-of-memory killer or a crash in C leaves behind
    _in_workers(monkeypatch, lambda path: os.kill(os.getpid(), 9))
    code = main(["scan", str(EXAMPLES), "--no-config", "--jobs", "2"])
    assert code == 2
    assert workers == [2]
    err = capsys.readouterr().err
    assert "a worker process reading files died (it was killed by signal 9)" in err and "--jobs 1" in err


def test_a_worker_that_fails_is_an_error_with_its_traceback(
    tmp_path: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(path: Path) -> None:
        raise RuntimeError(f"cannot read {path.name}")

    _in_workers(monkeypatch, fails)
    code = main(["scan", str(EXAMPLES), "--no-config", "--jobs", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "a worker process reading files failed" in err and "RuntimeError: cannot read" in err


def test_jobs_below_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(EXAMPLES), "--no-config", "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def test_a_small_scan_reads_its_files_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When workers would not pay no worker starts, whatever --jobs says (their start-up would cost more)."""

    def refuse(*_: Any) -> Any:
        raise AssertionError("workers started for a small scan")

    monkeypatch.setattr(parallel, "fragments_in_workers", refuse)
    code, report = _report([EXAMPLES], 8, tmp_path / "r.json")
    assert code == 1 and json.loads(report)["findings"]


def test_a_file_named_twice_is_read_twice_in_the_same_order_with_workers(
    tmp_path: Path, workers: list[int]
) -> None:
    twice = [EXAMPLES, EXAMPLES / "clean" / "azuredeploy.json", EXAMPLES]
    one = _report(twice, 1, tmp_path / "one.json")
    two = _report(twice, 2, tmp_path / "two.json")
    assert workers == [2]
    assert one == two


def test_bicep_files_are_translated_while_the_workers_read(
    tmp_path: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers are forked before the scanning process translates the Bicep files, and those come
    before its own share of JSON: nothing waits for them after the workers are done."""
    from auditor.sources.bicep.source import BicepSource

    events: list[str] = []
    scanner = os.getpid()
    real_start, real_translate, real_one = (
        parallel._Worker.start,
        BicepSource.translate,
        dispatch.FileTask.one,
    )

    def start(task: Any, paths: Any, share: Any) -> Any:
        events.append("fork")
        return real_start(task, paths, share)

    def translate(self: BicepSource, path: Path, display: str) -> None:
        events.append("bicep")
        real_translate(self, path, display)

    def one(self: dispatch.FileTask, path: Path) -> dispatch.Fragment:
        if os.getpid() == scanner:
            events.append("json")
        return real_one(self, path)

    monkeypatch.setattr(parallel._Worker, "start", staticmethod(start))
    monkeypatch.setattr(BicepSource, "translate", translate)
    monkeypatch.setattr(dispatch.FileTask, "one", one)
    one_job = _report([EXAMPLES], 1, tmp_path / "one.json")
    events.clear()
    two_jobs = _report([EXAMPLES], 2, tmp_path / "two.json")
    assert workers == [2]
    assert one_job == two_jobs
    first_bicep = events.index("bicep")
    assert events[:first_bicep] == ["json", "fork"]  # the warm-up template, then the worker
    assert "fork" not in events[first_bicep:] and events[first_bicep:].count("json") >= 1
    assert events[first_bicep:].index("json") == events.count("bicep")  # all Bicep before the local share


def test_workers_are_reaped_when_the_scan_fails_before_reading_a_fragment(
    workers: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error while translating the Bicep files (workers already reading) leaves no child behind."""
    from auditor.sources.bicep.source import BicepSource

    pids: list[int] = []
    real_start = parallel._Worker.start

    def start(task: Any, paths: Any, share: Any) -> Any:
        worker = real_start(task, paths, share)
        pids.append(worker.pid)
        return worker

    def broken(self: BicepSource, path: Path, display: str) -> None:
        raise RuntimeError("translation bug")

    monkeypatch.setattr(parallel._Worker, "start", staticmethod(start))
    monkeypatch.setattr(BicepSource, "translate", broken)
    monkeypatch.setenv("AUDITOR_DEBUG", "1")
    with pytest.raises(RuntimeError, match="translation bug"):
        main(["scan", str(EXAMPLES), "--no-config", "--jobs", "2"])
    assert pids
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped by the scan on its way out
