"""Issue 9, configuration trust and CLI misuse: nothing a repository (or a parent folder) writes can turn a
failing gate green, and a misuse is one clear line and exit 2, never "internal error" nor a silent pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.samples import run_cli as cli
from tests.samples import template

REPO = Path(__file__).resolve().parents[2]

DEEP = 10_000
PROD = "6b1c3e9a-2f4d-4a8b-9c7e-1d2f3a4b5c6d"  # a subscription of the emulator's bundled data


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("auditor: error: "), err
    assert "internal error" not in err
    return lines[0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree (``.git`` is all discovery looks for) with one failing template in deploy/."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "deploy").mkdir()
    (root / "deploy" / "legacy.json").write_text(json.dumps(template(), indent=2))
    return root


# ---------------------------------------------------------------- discovery stops at the repository root


def test_config_above_the_git_root_is_not_read(capsys, repo: Path) -> None:
    """Before: discovery walked up to / and a parent's ``exclude = ["**"]`` made the gate green."""
    (repo.parent / "auditor.toml").write_text('exclude = ["**"]\nfail-on = "critical"\n')
    code, out, err = cli(capsys, "scan", str(repo / "deploy"), "--format", "json")
    assert code == 1, err
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"LA101"}


def test_config_above_the_git_root_is_not_read_by_auditor_config(capsys, repo: Path) -> None:
    (repo.parent / "auditor.toml").write_text('fail-on = "critical"\n')
    code, out, _ = cli(capsys, "config", str(repo / "deploy"))
    assert code == 0 and json.loads(out)["source"] is None


def test_config_at_the_git_root_is_read(capsys, repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.auditor]\nfail-on = "critical"\n')
    code, _, _ = cli(capsys, "scan", str(repo / "deploy"))
    assert code == 0


def test_outside_git_only_the_scanned_folder_is_searched(capsys, tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text('fail-on = "critical"\n')
    deploy = tmp_path / "project" / "deploy"
    deploy.mkdir(parents=True)
    (deploy / "legacy.json").write_text(json.dumps(template()))
    assert cli(capsys, "scan", str(deploy))[0] == 1
    (deploy / "auditor.toml").write_text('fail-on = "critical"\n')
    assert cli(capsys, "scan", str(deploy))[0] == 0


def test_explicit_config_is_the_way_out(capsys, repo: Path) -> None:
    (repo.parent / "auditor.toml").write_text('fail-on = "critical"\n')
    code, _, _ = cli(capsys, "scan", str(repo / "deploy"), "--config", str(repo.parent / "auditor.toml"))
    assert code == 0


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_discovered_config_linking_out_of_the_repository_is_refused(capsys, repo: Path) -> None:
    (repo.parent / "elsewhere.toml").write_text('exclude = ["**"]\n')
    (repo / "auditor.toml").symlink_to(repo.parent / "elsewhere.toml")
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    assert code == 2 and "outside the repository" in one_error_line(err)


# ---------------------------------------------------------------- paths in configuration


@pytest.mark.parametrize("key", ["baseline", "access"])
def test_configured_file_outside_the_repository_is_a_usage_error(capsys, repo: Path, key: str) -> None:
    """Before: ``baseline = "../accepted.json"`` silently hid findings with a file from outside."""
    (repo.parent / "outside.json").write_text('{"findings": []}' if key == "baseline" else "{}")
    (repo / "auditor.toml").write_text(f'{key} = "../outside.json"\n')
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    line = one_error_line(err)
    assert code == 2 and f"'{key}'" in line and "outside the configuration's repository" in line


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_configured_file_linking_out_of_the_repository_is_a_usage_error(capsys, repo: Path) -> None:
    (repo.parent / "outside.json").write_text('{"findings": []}')
    (repo / "accepted.json").symlink_to(repo.parent / "outside.json")
    (repo / "auditor.toml").write_text('baseline = "accepted.json"\n')
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    assert code == 2 and "'baseline'" in one_error_line(err)


def test_configured_parameters_outside_the_repository_is_a_usage_error(capsys, repo: Path) -> None:
    (repo.parent / "prod.parameters.json").write_text('{"parameters": {}}')
    (repo / "auditor.toml").write_text('[parameters]\n"deploy/legacy.json" = "../prod.parameters.json"\n')
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    assert code == 2 and "'parameters.deploy/legacy.json'" in one_error_line(err)


def test_the_command_line_may_name_a_file_outside(capsys, repo: Path) -> None:
    baseline = repo.parent / "outside.json"
    baseline.write_text('{"findings": []}')
    code, _, err = cli(capsys, "scan", str(repo / "deploy"), "--baseline", str(baseline))
    assert code == 1, err


def test_everything_excluded_by_configuration_exits_2(capsys, repo: Path) -> None:
    """Before: "0 findings in 0 scanned files", exit 0."""
    (repo / "auditor.toml").write_text('exclude = ["**"]\n')
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    line = one_error_line(err)
    assert code == 2 and "nothing was scanned" in line and "auditor.toml" in line


# ---------------------------------------------------------------- hostile configuration files


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("auditor.toml", b'fail-on = "caf\xe9"\n', "not UTF-8"),
        ("pyproject.toml", b"[tool.auditor]\nselect = ['\xff']\n", "not UTF-8"),
        ("auditor.toml", ("select = " + "[" * DEEP + "]" * DEEP + "\n").encode(), "nested too deeply"),
        ("auditor.toml", ("x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n").encode(), "nested too deeply"),
        ("pyproject.toml", b"[tool]\nauditor = 5\n", "[tool.auditor] must be a table"),
        ("pyproject.toml", b'tool = 5\n[project]\nname = "auditor-gate"\n', "[tool] must be a table"),
    ],
)
def test_hostile_configuration_is_a_usage_error_naming_the_file(
    capsys, repo: Path, name: str, content: bytes, expected: str
) -> None:
    """Before: UnicodeDecodeError / RecursionError ended in "internal error"; ``[tool] auditor = 5`` was
    silently ignored."""
    (repo / name).write_bytes(content)
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    line = one_error_line(err)
    assert code == 2 and expected in line and name in line


@pytest.mark.parametrize("option", ["--baseline", "--access"])
@pytest.mark.parametrize("shape", ["array", "object"])
def test_deeply_nested_baseline_and_access_files_are_usage_errors(
    capsys, repo: Path, option: str, shape: str
) -> None:
    """Before: json.loads raised RecursionError: "internal error"."""
    opening, closing = ("[", "]") if shape == "array" else ('{"a":', "}")
    body = opening * 100_000 + ("1" if shape == "object" else "") + closing * 100_000
    path = repo / "deep.json"
    path.write_text(body)
    code, _, err = cli(capsys, "scan", str(repo / "deploy"), option, str(path))
    assert code == 2 and "nested too deeply" in one_error_line(err) and "deep.json" in err


def test_baseline_entry_of_the_wrong_type_is_a_usage_error(capsys, repo: Path) -> None:
    """Before: ``str()`` of a 900-deep ``message`` list overflowed the stack."""
    message = json.loads("[" * 900 + "]" * 900)
    path = repo / "baseline.json"
    path.write_text(json.dumps({"findings": [{"fingerprint": "abc", "message": message}]}))
    code, _, err = cli(capsys, "scan", str(repo / "deploy"), "--baseline", str(path))
    assert code == 2 and "findings[0].message must be a string" in one_error_line(err)


@pytest.mark.skipif(os.name != "posix", reason="FIFOs")
def test_fifo_as_baseline_does_not_block(repo: Path) -> None:
    os.mkfifo(repo / "baseline.json")
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", "deploy", "--baseline", "baseline.json"],
        capture_output=True,
        text=True,
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=30,
    )
    assert proc.returncode == 2 and "FIFO" in proc.stderr


# ---------------------------------------------------------------- --parameters


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"parameters": {"a": {"value": 1}}', "parameters.json:1:"),  # invalid JSON: file and line
        ("[1, 2]", "must be a JSON object, not an array"),
        ('{"parameters": [1]}', "'parameters' is an array"),
        ('{"parameters": {"a": "x"}}', "parameter 'a' is a string"),
    ],
)
def test_unusable_parameters_file_is_a_usage_error(capsys, repo: Path, content: str, expected: str) -> None:
    """Before: exit 1 (or 0) with no word about the parameters file, whose values were silently dropped."""
    params = repo / "prod.parameters.json"
    params.write_text(content)
    for value in (str(params), f"{repo / 'deploy' / 'legacy.json'}={params}"):
        code, _, err = cli(capsys, "scan", str(repo / "deploy"), "--parameters", value)
        line = one_error_line(err)
        assert code == 2 and expected in line and "prod.parameters.json" in line


# ---------------------------------------------------------------- selection


@pytest.mark.parametrize(
    "selection",
    [
        ["--select", ","],
        ["--select", ""],
        ["--select", "LA", "--ignore", "LA"],
        ["--select", "LA101", "--ignore", "LA101"],
    ],
)
def test_empty_selection_is_a_usage_error(capsys, repo: Path, selection: list[str]) -> None:
    """Before: zero rules ran and the gate passed (exit 0)."""
    code, _, err = cli(capsys, "scan", str(repo / "deploy"), *selection)
    assert code == 2 and "check nothing" in one_error_line(err)


def test_empty_selection_from_configuration_is_a_usage_error(capsys, repo: Path) -> None:
    (repo / "auditor.toml").write_text("select = []\n")
    code, _, err = cli(capsys, "scan", str(repo / "deploy"))
    assert code == 2 and "auditor.toml" in one_error_line(err)


# ---------------------------------------------------------------- a file that could not be parsed


@pytest.mark.parametrize(
    ("config", "extra"),
    [
        ('ignore = ["SRC002"]\n', []),
        ('ignore = ["SRC"]\n', []),
        ('select = ["LA101"]\n', []),
        ('[per-file-ignores]\n"**" = ["ALL"]\n', []),
        ('[severity-overrides]\nSRC002 = "info"\n', []),
        ('fail-on = "critical"\n', []),
        ("", ["--ignore", "SRC002"]),
        ("", ["--select", "AUT208"]),
    ],
)
def test_an_unparsable_file_cannot_be_silenced(capsys, repo: Path, config: str, extra: list[str]) -> None:
    """Before: a pull request breaking a template's JSON and adding ``ignore = ["SRC002"]`` passed (exit 0,
    the file unchecked). A read failure is always reported and always fails the gate; excluding the file
    is the way to stop scanning it."""
    (repo / "deploy" / "legacy.json").write_text('{"resources": [', encoding="utf-8")
    (repo / "auditor.toml").write_text(config, encoding="utf-8")
    code, out, _ = cli(capsys, "scan", str(repo / "deploy"), "--format", "json", *extra)
    active = [f for f in json.loads(out)["findings"] if f["suppression"] is None]
    assert code == 1 and [f["rule"] for f in active] == ["SRC002"], active


def test_a_baseline_cannot_accept_an_unparsable_file(capsys, repo: Path) -> None:
    (repo / "deploy" / "legacy.json").write_text('{"resources": [', encoding="utf-8")
    baseline = repo / "baseline.json"
    assert cli(capsys, "baseline", "create", str(repo / "deploy"), "--output", str(baseline))[0] == 0
    assert "SRC002" in baseline.read_text(encoding="utf-8")
    code, out, _ = cli(capsys, "scan", str(repo / "deploy"), "--baseline", str(baseline), "--format", "json")
    assert code == 1 and any(
        f["rule"] == "SRC002" and f["suppression"] is None for f in json.loads(out)["findings"]
    )


def test_excluding_the_file_is_the_way_to_stop_scanning_it(capsys, repo: Path) -> None:
    (repo / "deploy" / "broken.json").write_text('{"resources": [', encoding="utf-8")
    (repo / "auditor.toml").write_text('exclude = ["deploy/broken.json"]\nignore = ["LA101"]\n')
    code, out, _ = cli(capsys, "scan", str(repo / "deploy"), "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


# ---------------------------------------------------------------- untrusted text on stderr


def test_file_names_in_errors_cannot_start_a_workflow_command(capsys, repo: Path) -> None:
    """Before: a name carrying a newline + ``::error`` printed a line GitHub runs as a command."""
    hostile = "x\n::error::pwned\n##vso[build.addbuildtag]pwned"  # no '=': all of it is the file name
    code, _, err = cli(capsys, "scan", str(repo / "deploy"), "--parameters", hostile)
    assert code == 2
    for line in err.splitlines():
        assert not line.lstrip().startswith("::") and "##vso[" not in line


# ---------------------------------------------------------------- an incomplete live scan


@pytest.fixture(scope="module")
def emulator() -> Iterator[object]:
    pytest.importorskip("azure.identity", reason="the 'live' extra is not installed")
    pytest.importorskip("trustme", reason="trustme is not installed")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.live.emulator import running_emulator

    with running_emulator(page_size=50) as emu:
        yield emu


def live_scan(emu: object, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``auditor scan --live`` as a user runs it, against the emulator (see tests/live/test_live_scan.py)."""
    home = cwd / "home"
    home.mkdir(exist_ok=True)
    env = {
        "AZURE_TENANT_ID": emu.tenant,  # type: ignore[attr-defined]
        "AZURE_CLIENT_ID": emu.client_id,  # type: ignore[attr-defined]
        "AZURE_CLIENT_SECRET": emu.client_secret,  # type: ignore[attr-defined]
        "AZURE_AUTHORITY_HOST": emu.url,  # type: ignore[attr-defined]
        "REQUESTS_CA_BUNDLE": emu.ca_path,  # type: ignore[attr-defined]
        "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
        "HOME": str(home),
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "auditor", "scan", "--live", "--arm-endpoint", emu.url]  # type: ignore[attr-defined]
    return subprocess.run(
        [*command, "--format", "json", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


SILENCING_CONFIG = """\
ignore = ["LIV001"]
fail-on = "critical"

[per-file-ignores]
"**" = ["LIV"]

[severity-overrides]
LIV001 = "info"

[[suppressions]]
rule = "LIV001"
reason = "we do not care"
"""


def test_configuration_cannot_make_an_incomplete_live_scan_pass(emulator: object, repo: Path) -> None:
    """Before: each of these silenced LIV001 and the incomplete scan passed (exit 0)."""
    emulator.set_faults(forbidden=[{"subscription": PROD, "type": "Microsoft.Web/connections"}])  # type: ignore[attr-defined]
    (repo / "auditor.toml").write_text(SILENCING_CONFIG)
    proc = live_scan(emulator, repo)
    assert proc.returncode == 1, proc.stderr
    liv = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "LIV001"]
    assert liv and {f["severity"] for f in liv} == {"critical"}  # raised to the gate: it fails it
    assert "only --allow-partial" in proc.stderr

    accepted = live_scan(emulator, repo, "--allow-partial")
    assert accepted.returncode == 0, accepted.stderr
    liv = [f for f in json.loads(accepted.stdout)["findings"] if f["rule"] == "LIV001"]
    assert liv and {f["severity"] for f in liv} == {"info"}  # accepted, still reported


def test_baseline_cannot_accept_an_incomplete_live_scan(emulator: object, repo: Path) -> None:
    emulator.set_faults(forbidden=[{"subscription": PROD, "type": "Microsoft.Web/connections"}])  # type: ignore[attr-defined]
    baseline = repo / "baseline.json"
    liv = live_scan(emulator, repo, "--select", "LIV001")
    fingerprints = [f["fingerprint"] for f in json.loads(liv.stdout)["findings"] if f["rule"] == "LIV001"]
    assert fingerprints
    baseline.write_text(
        json.dumps({"findings": [{"fingerprint": fp, "rule": "LIV001"} for fp in fingerprints]})
    )
    proc = live_scan(emulator, repo, "--select", "LA", "--baseline", str(baseline))
    assert proc.returncode == 1, proc.stderr
    active = [
        f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "LIV001" and not f.get("suppressed")
    ]
    assert len(active) == len(fingerprints)
