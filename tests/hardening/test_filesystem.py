"""Issue 9, file system: what a hostile repository can put where auditor reads and writes.

Git stores symbolic links, so a pull request can plant ``x.json -> /proc/self/environ`` (its first bad
token would be echoed in SRC002), ``x.json -> /dev/zero`` (size 0, endless read), or a link at the path a
report is written to. Only regular files inside the scanned roots are read; outputs are written atomically
and never through a link. Where a regression would hang (FIFO, /dev/zero) the CLI runs in a subprocess
with a timeout, so the test fails instead of hanging.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.sources.dispatch import FileScan
from tests.samples import run_cli as cli
from tests.samples import write_template

REPO = Path(__file__).resolve().parents[2]
SECRET = "HUNTER2_CI_SECRET_TOKEN"

needs_posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and symlinks as on Linux/macOS")


def cli_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, killed after 30 s: a regression that blocks fails instead of hanging."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("AUDITOR_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=30
    )


def findings(out: str) -> list[dict[str, object]]:
    return list(json.loads(out)["findings"])


# ---------------------------------------------------------------- reading


@needs_posix
def test_symlink_out_of_the_scanned_folder_is_not_read_nor_echoed(capsys, tmp_path: Path) -> None:
    """Before: the link was followed and SRC002 quoted the outside file's first bad token."""
    outside = tmp_path / "outside" / "environ.json"
    outside.parent.mkdir()
    outside.write_text(f'{{"{SECRET}" "x"}}')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "env.json").symlink_to(outside)
    code, out, err = cli(capsys, "scan", str(repo), "--format", "json")
    (finding,) = findings(out)
    assert code == 1
    assert finding["rule"] == "SRC001" and finding["path"].endswith("env.json")  # type: ignore[union-attr]
    assert "outside the scanned paths" in str(finding["message"])
    assert SECRET not in out + err


@needs_posix
def test_a_link_named_on_the_command_line_does_not_open_the_folder_it_points_into(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``git ls-files | xargs auditor scan`` names a committed link to ``/proc/self/status``: the link is
    followed, but the files beside its target (``environ``) stay out of reach of ``loadTextContent``."""
    outside = tmp_path / "proc"
    outside.mkdir()
    (outside / "status").write_text('{"resources": []}')
    (outside / "environ").write_text(SECRET)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "status.json").symlink_to(outside / "status")
    (repo / "main.bicep").write_text(
        "var s = loadTextContent('../proc/environ')\n"
        "resource a 'Microsoft.Security/automations@2019-01-01-preview' = {\n"
        "  name: s\n  location: 'westeurope'\n  properties: { isEnabled: false }\n}\n"
    )
    monkeypatch.chdir(repo)
    _, out, err = cli(capsys, "scan", "status.json", "main.bicep", "--no-config", "--format", "json")
    assert SECRET not in out + err
    names = {str(f["resource"]) for f in findings(out)}
    assert names == {"Microsoft.Security/automations/[variables('s')]"}, out  # the name stayed unresolved


@needs_posix
def test_symlink_inside_the_scanned_folder_is_read(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "real" / "legacy.json")
    (tmp_path / "alias.json").symlink_to(tmp_path / "real" / "legacy.json")
    code, out, _ = cli(capsys, "scan", str(tmp_path), "--format", "json")
    assert code == 1
    assert {f["rule"] for f in findings(out)} == {"LA101"}


@needs_posix
def test_symlinked_folder_out_of_the_roots_is_reported(capsys, tmp_path: Path) -> None:
    """os.walk does not follow folder links: one pointing out of the roots is said, not silently skipped."""
    write_template(tmp_path / "elsewhere" / "legacy.json")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "modules").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    code, out, _ = cli(capsys, "scan", str(repo), "--format", "json")
    (finding,) = findings(out)
    assert (
        code == 1 and finding["rule"] == "SRC001" and "outside the scanned paths" in str(finding["message"])
    )


@needs_posix
def test_symlink_to_dev_zero_is_refused_not_read_forever(tmp_path: Path) -> None:
    """Before: st_size is 0, so the size check passed and the read never ended (memory ran out)."""
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    for target in (".", "zero.json"):  # found in a walk, and named on the command line (the link is followed)
        proc = cli_process("scan", target, "--format", "json", cwd=tmp_path)
        (finding,) = findings(proc.stdout)
        assert proc.returncode == 1, proc.stderr
        assert finding["rule"] == "SRC001"
        if target == ".":
            assert "outside the scanned paths" in str(finding["message"])
        else:
            assert "character device" in str(finding["message"])


@needs_posix
def test_fifo_in_a_scanned_folder_does_not_block(tmp_path: Path) -> None:
    """Before: open() on a FIFO named x.json blocked forever."""
    os.mkfifo(tmp_path / "pipe.json")
    write_template(tmp_path / "legacy.json")
    proc = cli_process("scan", ".", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    by_rule = {f["rule"]: f for f in findings(proc.stdout)}
    assert set(by_rule) == {"SRC001", "LA101"}
    assert by_rule["SRC001"]["path"] == "pipe.json" and "FIFO" in str(by_rule["SRC001"]["message"])


@needs_posix
def test_fifo_given_as_a_path_is_src001_not_zero_scanned(tmp_path: Path) -> None:
    """Before: a FIFO given as PATH was walked as a folder: "0 scanned", exit 0."""
    os.mkfifo(tmp_path / "pipe")
    proc = cli_process("scan", "pipe", "--format", "json", cwd=tmp_path)
    (finding,) = findings(proc.stdout)
    assert proc.returncode == 1 and finding["rule"] == "SRC001" and "FIFO" in str(finding["message"])


@needs_posix
def test_dev_null_as_a_path_is_src001(capsys) -> None:
    """Before: /dev/null was "not ours": 0 scanned, exit 0, a gate that checked nothing passed."""
    code, out, _ = cli(capsys, "scan", "/dev/null", "--format", "json")
    (finding,) = findings(out)
    assert code == 1 and finding["rule"] == "SRC001" and "character device" in str(finding["message"])


def test_size_limit_holds_for_the_bytes_read(tmp_path: Path) -> None:
    from auditor.files import FileRefused, read_regular

    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 11)
    assert read_regular(path, max_bytes=11) == b"x" * 11
    with pytest.raises(FileRefused, match="larger than the 10 byte limit"):
        read_regular(path, max_bytes=10)


def test_long_template_name_is_scanned_not_an_internal_error(capsys, tmp_path: Path) -> None:
    """Before: looking for '<name>.parameters.json' beside it raised ENAMETOOLONG: "internal error"."""
    name = "t" * 250 + ".json"  # fits; the name of its parameters file (+11 characters) does not
    write_template(tmp_path / name)
    code, out, err = cli(capsys, "scan", str(tmp_path / name), "--format", "json")
    assert code == 1, err
    assert {f["rule"] for f in findings(out)} == {"LA101"}
    assert "internal error" not in err


def test_too_long_path_given_is_a_finding(capsys, tmp_path: Path) -> None:
    code, out, err = cli(capsys, "scan", str(tmp_path / ("n" * 300 + ".json")), "--format", "json")
    (finding,) = findings(out)
    assert code == 1 and finding["rule"] == "SRC001" and "internal error" not in err


# ---------------------------------------------------------------- the parameters file beside a template


@needs_posix
def test_parameters_file_beside_a_template_linking_out_is_not_read(capsys, tmp_path: Path) -> None:
    """Before: the link was followed and its values used (and any error in it silently dropped)."""
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"parameters": {"name": {"value": SECRET}}}))
    repo = tmp_path / "repo"
    write_template(repo / "legacy.json")
    (repo / "legacy.parameters.json").symlink_to(outside)
    code, out, err = cli(capsys, "scan", str(repo / "legacy.json"), "--format", "json")
    by_rule = {f["rule"]: f for f in findings(out)}
    assert code == 1 and set(by_rule) == {"LA101", "SRC001"}
    assert str(by_rule["SRC001"]["path"]).endswith("legacy.parameters.json")
    assert "outside the scanned paths" in str(by_rule["SRC001"]["message"])
    assert SECRET not in out + err


def test_invalid_parameters_file_beside_a_template_is_reported_once(capsys, tmp_path: Path) -> None:
    """Before: a template scanned on its own silently ignored its broken parameters file."""
    write_template(tmp_path / "legacy.json")
    (tmp_path / "legacy.parameters.json").write_text('{"parameters": {"a": {"value": 1}}')
    for target in (tmp_path / "legacy.json", tmp_path):  # alone; and with the parameters file scanned too
        code, out, _ = cli(capsys, "scan", str(target), "--format", "json")
        src = [f for f in findings(out) if f["rule"] == "SRC002"]
        assert code == 1 and len(src) == 1, target
        assert str(src[0]["path"]).endswith("legacy.parameters.json") and src[0]["line"] == 1


def test_parameters_file_of_the_wrong_shape_is_a_problem(tmp_path: Path) -> None:
    """Before: a list, or ``parameters`` that is not an object, was silently not used."""
    template = write_template(tmp_path / "legacy.json")
    for doc, expected in (
        ([1, 2], "must be a JSON object, not an array"),
        ({"parameters": [1]}, "'parameters' is an array"),
        ({"parameters": {"a": 5}}, "parameter 'a' is a number"),
    ):
        (tmp_path / "legacy.parameters.json").write_text(json.dumps(doc))
        inventory = FileScan().scan([template])
        (problem,) = [p for p in inventory.problems if p.code == "invalid-template-shape"]
        assert expected in problem.message and problem.origin.file.endswith("legacy.parameters.json")
        assert problem.origin.line == 1


# ---------------------------------------------------------------- writing


@needs_posix
def test_planted_symlink_at_the_output_path_is_refused(capsys, tmp_path: Path) -> None:
    """Before: --output followed the link and overwrote its target."""
    write_template(tmp_path / "legacy.json")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "results.sarif").symlink_to(victim)
    code, _, err = cli(
        capsys, "scan", str(tmp_path / "legacy.json"), "-o", f"sarif:{tmp_path / 'results.sarif'}"
    )
    assert code == 2 and "symbolic link" in err and len(err.strip().splitlines()) == 1
    assert victim.read_text() == "keep me" and (tmp_path / "results.sarif").is_symlink()


@needs_posix
def test_planted_symlink_at_the_baseline_path_is_refused(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "legacy.json")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "auditor-baseline.json").symlink_to(victim)
    code, _, err = cli(
        capsys,
        "baseline",
        "create",
        str(tmp_path / "legacy.json"),
        "-o",
        str(tmp_path / "auditor-baseline.json"),
    )
    assert code == 2 and "symbolic link" in err
    assert victim.read_text() == "keep me"


def test_output_is_replaced_atomically_and_keeps_its_mode(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "legacy.json")
    out = tmp_path / "report.json"
    out.write_text("old")
    out.chmod(0o640)
    code, _, _ = cli(capsys, "scan", str(tmp_path / "legacy.json"), "-o", f"json:{out}")
    assert code == 1 and json.loads(out.read_text())["findings"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy.json", "report.json"]  # no temporary left


def test_failed_write_leaves_the_old_file_and_exits_2(capsys, tmp_path: Path, monkeypatch) -> None:
    """Before: the file was truncated first, and ENOSPC ended in "internal error"."""
    import auditor.reports

    def full_disk(fmt: str, result: object, out, **_: object) -> None:
        out.write("{ half a report")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    write_template(tmp_path / "legacy.json")
    out = tmp_path / "report.json"
    out.write_text("previous report")
    monkeypatch.setattr(auditor.reports, "render", full_disk)
    code, _, err = cli(capsys, "scan", str(tmp_path / "legacy.json"), "-o", f"json:{out}", "-q")
    assert code == 2 and "No space left on device" in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy.json", "report.json"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_writing_to_a_full_disk_is_one_line_and_exit_2(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "legacy.json")
    code, _, err = cli(capsys, "scan", str(tmp_path / "legacy.json"), "-q", "-o", "json:/dev/full")
    assert code == 2 and err.strip() == "auditor: error: cannot write /dev/full: No space left on device"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_on_a_full_disk_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Before: the error surfaced at interpreter exit ("Exception ignored …", exit 120)."""
    write_template(tmp_path / "legacy.json")
    with open("/dev/full", "w") as full:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-m", "auditor", "scan", "legacy.json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=30,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "auditor: error: cannot write to stdout: No space left on device"


def test_writing_to_dev_null_still_works(capsys, tmp_path: Path) -> None:
    if not os.path.exists("/dev/null") or os.name != "posix":
        pytest.skip("needs /dev/null")
    write_template(tmp_path / "legacy.json")
    code, _, err = cli(capsys, "scan", str(tmp_path / "legacy.json"), "-q", "-o", "json:/dev/null")
    assert code == 1 and err == ""


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        (["-o", "json:"], "names no file"),  # before: wrote a file named 'json:'
        (["-o", "json:{d}/a", "-o", "sarif:{d}/a"], "two outputs to the same file"),
        (["-o", "{d}/a", "-o", "sarif:{d}/./a"], "two outputs to the same file"),
        (["--format", "json", "-o", "sarif:-"], "two outputs to stdout"),
        (["-o", ""], "needs a file name"),
    ],
)
def test_output_misuse_is_a_usage_error(capsys, tmp_path: Path, monkeypatch, outputs, expected) -> None:
    monkeypatch.chdir(tmp_path)
    write_template(tmp_path / "legacy.json")
    args = [a.replace("{d}", str(tmp_path)) for a in outputs]
    code, out, err = cli(capsys, "scan", "legacy.json", *args)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy.json"]
