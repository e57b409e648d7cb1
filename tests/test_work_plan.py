"""The work plan of ``--jobs``: which process reads which file, and when workers are not worth starting."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.sources import work_plan
from auditor.sources.work_plan import plan


def _files(root: Path, layout: dict[str, int]) -> list[Path]:
    """Files of the given sizes (bytes), in the order given (as discovery finds them)."""
    out = []
    for name, size in layout.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b" " * size)
        out.append(path)
    return out


def test_one_process_or_one_file_is_never_shared(tmp_path: Path) -> None:
    paths = _files(tmp_path, {"a/t.json": 5_000_000, "b/t.json": 5_000_000})
    assert plan(paths, 1) is None
    assert plan(paths[:1], 4) is None


def test_a_few_small_templates_are_read_in_process(tmp_path: Path) -> None:
    """Twelve templates of 20 KB: a worker's start costs more than it would save."""
    paths = _files(tmp_path, {f"d{i}/azuredeploy.json": 20_000 for i in range(12)})
    assert plan(paths, 2) is None


def test_without_fork_every_file_is_read_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _files(tmp_path, {f"d{i}/azuredeploy.json": 2_000_000 for i in range(8)})
    assert plan(paths, 2) is not None
    monkeypatch.setattr(work_plan.sys, "platform", "win32")
    assert plan(paths, 2) is None


def test_large_json_is_shared_evenly_and_every_file_is_planned_once(tmp_path: Path) -> None:
    paths = _files(tmp_path, {f"d{i}/azuredeploy.json": 1_000_000 + i for i in range(20)})
    shared = plan(paths, 2)
    assert shared is not None and len(shared.workers) == 1
    remote = [i for share in shared.workers for i in share]
    assert sorted([*shared.local, *remote]) == list(range(20))
    assert abs(len(shared.local) - len(remote)) <= 2
    assert shared.parallel_seconds < shared.serial_seconds


def test_terraform_gathers_in_one_process_and_the_other_reads_json(tmp_path: Path) -> None:
    """A process pays for the HCL grammar before its first Terraform file: a little Terraform is read by
    one process, and templates fill the other one."""
    layout = {f"tf{i}/main.tf": 8_000 for i in range(6)}
    layout |= {f"arm{i}/azuredeploy.json": 300_000 for i in range(20)}
    paths = _files(tmp_path, layout)
    shared = plan(paths, 2)
    assert shared is not None
    terraform = {i for i, p in enumerate(paths) if p.suffix == ".tf"}
    remote = {i for share in shared.workers for i in share}
    assert terraform <= shared.local or terraform <= remote
    assert remote - terraform or shared.local - terraform  # the other process reads templates


def test_the_files_of_one_folder_are_read_by_one_process(tmp_path: Path) -> None:
    """A Terraform module (a folder) is parsed once per process that reads any of its files."""
    layout = {f"mod{i}/{name}.tf": 20_000 for i in range(4) for name in ("main", "variables", "outputs")}
    layout |= {f"arm{i}/azuredeploy.json": 2_000_000 for i in range(4)}
    paths = _files(tmp_path, layout)
    shared = plan(paths, 3)
    assert shared is not None
    owner = {i: "here" for i in shared.local} | {i: n for n, t in enumerate(shared.workers) for i in t}
    by_folder: dict[Path, set[object]] = {}
    for i, path in enumerate(paths):
        by_folder.setdefault(path.parent, set()).add(owner[i])
    assert all(len(owners) == 1 for owners in by_folder.values())


def test_what_this_process_does_anyway_shifts_files_to_the_workers(tmp_path: Path) -> None:
    paths = _files(tmp_path, {f"d{i}/azuredeploy.json": 1_000_000 for i in range(20)})
    idle, busy = plan(paths, 2), plan(paths, 2, local_seconds=0.3)
    assert idle is not None and busy is not None
    assert len(busy.local) < len(idle.local)


def test_a_file_that_cannot_be_sized_costs_nothing_and_is_still_planned(tmp_path: Path) -> None:
    paths = _files(tmp_path, {f"d{i}/azuredeploy.json": 2_000_000 for i in range(10)})
    paths.insert(3, tmp_path / "gone" / "missing.json")
    shared = plan(paths, 2)
    assert shared is not None
    assert sorted([*shared.local, *(i for t in shared.workers for i in t)]) == list(range(11))
    assert work_plan.size_of(paths[3]) == 0
