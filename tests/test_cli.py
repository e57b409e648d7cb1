"""The CLI as users meet it: exit codes, selection, bad input, output contracts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import main
from tests.samples import run_cli, template

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(template(), indent=2))
    return path


def test_findings_exit_1_and_text_has_path_line_col_id(capsys, legacy: Path) -> None:
    code, out, _ = run_cli(capsys, "scan", str(legacy))
    assert code == 1
    line = next(row for row in out.splitlines() if "LA101" in row)
    assert f"{legacy.name}:" in line and ":" in line.split()[0]
    assert "1 finding" in out


def test_fail_on_above_the_findings_exits_0(capsys, legacy: Path) -> None:
    code, _, _ = run_cli(capsys, "scan", str(legacy), "--fail-on", "critical")
    assert code == 0


def test_ignore_by_prefix_and_select_wins_when_more_specific(capsys, legacy: Path) -> None:
    assert run_cli(capsys, "scan", str(legacy), "--ignore", "LA")[0] == 0
    assert run_cli(capsys, "scan", str(legacy), "--ignore", "LA", "--select", "LA101")[0] == 1
    assert run_cli(capsys, "scan", str(legacy), "--select", "LA1", "--ignore", "LA101")[0] == 0


def test_unknown_selector_is_a_usage_error(capsys, legacy: Path) -> None:
    code, _, err = run_cli(capsys, "scan", str(legacy), "--select", "XYZ9")
    assert code == 2 and "XYZ9" in err


def test_missing_path_is_a_usage_error(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "scan", str(tmp_path / "nope"))
    assert code == 2 and "no such file" in err


def test_bad_option_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scan", "--no-such-flag", "."])
    assert exc.value.code == 2


def test_json_contract(capsys, legacy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out_file = tmp_path / "out.json"
    code, _, _ = run_cli(capsys, "scan", ".", "--format", "json", "--output", str(out_file))
    assert code == 1
    doc = json.loads(out_file.read_text())
    assert doc["tool"]["name"] == "auditor"
    assert doc["files"] == {"scanned": 1, "skipped": 0, "failed": 0}
    (finding,) = doc["findings"]
    assert set(finding) >= {
        "rule",
        "name",
        "severity",
        "title",
        "message",
        "path",
        "line",
        "column",
        "resource",
        "fingerprint",
    }
    assert finding["path"] == "legacy.json"
    assert finding["rule"] == "LA101" and finding["severity"] == "high" and finding["line"] > 0
    assert finding["resource"] == "Microsoft.Logic/workflows/legacy"


def test_malformed_json_is_src002_with_line_and_column(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "resources": [\n    {"type": "x" "name": "y"}\n  ]\n}\n')
    code, out, _ = run_cli(capsys, "scan", str(bad), "--format", "json")
    doc = json.loads(out)
    (finding,) = doc["findings"]
    assert code == 1
    assert finding["rule"] == "SRC002" and (finding["line"], finding["column"]) == (3, 18)
    assert doc["files"]["failed"] == 1


def test_utf16_and_bom_and_comments_are_read(capsys, tmp_path: Path) -> None:
    text = "// exported by hand\n" + json.dumps(template(), indent=2)
    (tmp_path / "a.json").write_bytes(text.encode("utf-16"))
    (tmp_path / "b.json").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    code, out, _ = run_cli(capsys, "scan", str(tmp_path), "--format", "json")
    doc = json.loads(out)
    assert code == 1
    lines = sorted((f["path"].rsplit("/", 1)[-1], f["rule"], f["line"]) for f in doc["findings"])
    assert lines[0][1:] == lines[1][1:] == ("LA101", 14)


def test_undecodable_file_is_src001(capsys, tmp_path: Path) -> None:
    (tmp_path / "latin1.json").write_bytes('{"name": "caf\xe9"}'.encode("latin-1"))
    code, out, _ = run_cli(capsys, "scan", str(tmp_path), "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["rule"] == "SRC001" and "UTF-8" in finding["message"]


def test_unreadable_file_is_src001(capsys, tmp_path: Path) -> None:
    """A dangling link stands in for any file that cannot be opened (tests may run as root)."""
    (tmp_path / "gone.json").symlink_to(tmp_path / "deleted-target.json")
    code, out, _ = run_cli(capsys, "scan", str(tmp_path), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["findings"][0]["rule"] == "SRC001" and doc["files"]["failed"] == 1
    assert doc["findings"][0]["path"].endswith("gone.json")


def test_non_json_files_are_skipped_and_counted(capsys, tmp_path: Path) -> None:
    (tmp_path / "deploy.sh").write_text("az deployment group create -f main.bicep\n")
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    code, out, _ = run_cli(capsys, "scan", str(tmp_path), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == []
    assert doc["files"] == {"scanned": 0, "skipped": 2, "failed": 0}


def test_explicit_parameters_file(capsys, tmp_path: Path) -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"api": {"type": "string"}},
        "resources": [
            {
                "type": "Microsoft.Web/connections",
                "apiVersion": "2016-06-01",
                "name": "c",
                "location": "x",
                "properties": {
                    "api": {
                        "id": "[concat(subscription().id, '/providers/Microsoft.Web/locations/x/managedApis/', parameters('api'))]"
                    }
                },
            }
        ],
    }
    (tmp_path / "t.json").write_text(json.dumps(template))
    (tmp_path / "prod.json").write_text(
        json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {"api": {"value": "ascalrt"}},
            }
        )
    )
    code, out, _ = run_cli(capsys, "scan", str(tmp_path / "t.json"), "--format", "json")
    assert code == 0 and [f["rule"] for f in json.loads(out)["findings"]] == ["SRC003"]
    code, out, _ = run_cli(
        capsys,
        "scan",
        str(tmp_path / "t.json"),
        "--parameters",
        str(tmp_path / "prod.json"),
        "--format",
        "json",
    )
    assert code == 1 and [f["rule"] for f in json.loads(out)["findings"]] == ["LA102"]
    code, _, err = run_cli(
        capsys, "scan", str(tmp_path / "t.json"), "--parameters", str(tmp_path / "missing.json")
    )
    assert code == 2 and "missing.json" in err


def test_rules_and_rule_docs(capsys) -> None:
    code, out, _ = run_cli(capsys, "rules")
    assert code == 0 and "LA101" in out and "legacy-defender-trigger" in out
    code, out, _ = run_cli(capsys, "rule", "la101")
    assert code == 0 and "## Why it matters" in out and "remediation:" in out and "help:" in out
    assert run_cli(capsys, "rule", "NOPE1")[0] == 2


def test_examples_broken_fails_and_clean_twin_passes(capsys) -> None:
    code, out, _ = run_cli(capsys, "scan", str(EXAMPLES), "--format", "json")
    assert code == 1
    planted = {f["rule"] for f in json.loads(out)["findings"] if "broken" in f["path"]}
    assert {"LA101", "LA102", "LA103"} <= planted
    code, out, _ = run_cli(capsys, "scan", str(EXAMPLES / "clean"), "--format", "json")
    assert code == 0, out


def test_version_is_fast_to_import() -> None:
    """`auditor --version` must not import pydantic, the sources or the renderers."""
    probe = "import sys; from auditor.cli import main\ntry:\n main(['--version'])\nexcept SystemExit: pass\nprint(sorted(m for m in sys.modules if m.startswith(('pydantic', 'auditor.sources', 'auditor.model'))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def test_rules_command_does_not_import_pydantic() -> None:
    probe = "import sys\nfrom auditor.cli import main\nmain(['rules'])\nprint('MODULES', sorted(m for m in sys.modules if m.startswith(('pydantic', 'auditor.sources'))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "MODULES []" in out


def test_internal_error_is_reported_without_traceback(
    capsys, monkeypatch: pytest.MonkeyPatch, legacy: Path
) -> None:
    from auditor.sources import dispatch

    def boom(self, paths):
        raise RuntimeError("simulated")

    monkeypatch.setattr(dispatch.FileScan, "scan", boom)
    monkeypatch.delenv("AUDITOR_DEBUG", raising=False)
    code, _, err = run_cli(capsys, "scan", str(legacy))
    assert code == 2 and "internal error" in err and "Traceback" not in err


def _console(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    """``python -m auditor`` as the console script runs it (cli.entry: main, then os._exit)."""
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, timeout=60, **kw
    )  # type: ignore[call-overload]


def test_console_exit_keeps_the_exit_code_and_every_byte_written(legacy: Path, tmp_path: Path) -> None:
    """The console script leaves with os._exit: the exit code, stdout and the report files are whole."""
    report = tmp_path / "out.json"
    run = _console("scan", str(legacy), "--output", f"json:{report}")
    assert run.returncode == 1
    assert "1 finding" in run.stdout and run.stdout.endswith("\n")
    assert json.loads(report.read_text())["findings"][0]["rule"] == "LA101"
    clean = _console("scan", str(EXAMPLES / "clean"))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    rules = _console("rules")
    in_process = subprocess.run(
        [sys.executable, "-c", "from auditor.cli import main; main(['rules'])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rules.stdout == in_process.stdout and len(rules.stdout) > 4000  # nothing lost in the buffer


def test_console_exit_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """`auditor rules | head -1`: the reader leaves early; no traceback, no 'Exception ignored'."""
    run = subprocess.run(
        f"{sys.executable} -m auditor rules | head -c 20",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert len(run.stdout) == 20
    assert run.stderr == ""


def test_console_usage_errors_still_exit_2() -> None:
    run = _console("scan", "--no-such-option")
    assert run.returncode == 2 and "usage:" in run.stderr
