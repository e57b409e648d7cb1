"""Inline, configured and baseline suppressions end to end through the CLI, with exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from tests.samples import legacy_logic_app, write_template


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def _active(doc: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in doc["findings"] if f["suppression"] is None]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_inline_suppression_hides_the_finding_but_keeps_it_visible(capsys, tmp_path: Path) -> None:
    write_template(
        tmp_path / "t.json",
        legacy_logic_app(metadata={"auditor": {"ignore": ["LA101"], "reason": "decommissioned next sprint"}}),
    )
    code, doc, _ = _scan(capsys, ".")
    assert code == 0
    (finding,) = doc["findings"]
    assert finding["rule"] == "LA101"
    assert finding["suppression"]["kind"] == "inSource"
    assert finding["suppression"]["justification"] == "decommissioned next sprint"


def test_unused_inline_suppression_is_reported(capsys, tmp_path: Path) -> None:
    write_template(
        tmp_path / "t.json",
        legacy_logic_app(metadata={"auditor": {"ignore": ["LA101", "LA106"]}}),
        legacy_logic_app("other", metadata={"auditor": {"ignore": ["LA102"], "reason": "x"}}),
    )
    code, doc, _ = _scan(capsys, ".")
    assert _active(doc) == ["LA101", "SUP001"]  # 'other' still has LA101; its LA102 suppression is unused
    assert code == 1


def _config(tmp_path: Path, body: str) -> None:
    (tmp_path / "auditor.toml").write_text(body)


def test_config_suppression_with_reason_and_path(capsys, tmp_path: Path) -> None:
    (tmp_path / "legacy").mkdir()
    write_template(tmp_path / "legacy" / "t.json", legacy_logic_app())
    _config(
        tmp_path,
        '[[suppressions]]\nrule = "LA101"\npath = "legacy/**"\nreason = "tracked in SEC-42"\nexpires = 2999-01-01\n',
    )
    code, doc, _ = _scan(capsys, ".")
    assert code == 0
    assert doc["findings"][0]["suppression"] == {
        "kind": "external",
        "justification": "tracked in SEC-42",
        "source": "auditor.toml:1",
    }


def test_expired_config_suppression_stops_suppressing_and_is_reported(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "t.json", legacy_logic_app())
    _config(
        tmp_path,
        'fail-on = "medium"\n\n[[suppressions]]\nrule = "LA101"\nreason = "temporary"\nexpires = 2020-01-01\n',
    )
    code, doc, _ = _scan(capsys, ".")
    assert code == 1
    assert sorted(_active(doc)) == ["LA101", "SUP002"]
    sup = next(f for f in doc["findings"] if f["rule"] == "SUP002")
    assert sup["path"] == "auditor.toml" and sup["line"] == 3


def test_suppression_without_reason_is_a_config_error_with_line(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "t.json", legacy_logic_app())
    _config(tmp_path, '[[suppressions]]\nrule = "LA101"\nreason = "  "\n')
    code, _, err = _scan(capsys, ".")
    assert code == 2 and "auditor.toml:3" in err and "reason" in err


def test_unknown_config_key_is_an_error_with_file_and_line(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "t.json", legacy_logic_app())
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.auditor]\nfail-on = "high"\nselects = ["LA"]\n'
    )
    code, _, err = _scan(capsys, ".")
    assert code == 2 and "pyproject.toml:6" in err and "tool.auditor.selects" in err


def test_config_keys_and_cli_overrides(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "t.json", legacy_logic_app())
    _config(tmp_path, 'ignore = ["LA101"]\n')
    assert _scan(capsys, ".")[0] == 0
    assert _scan(capsys, ".", "--select", "LA101")[0] == 1  # the flag's more specific selector wins
    _config(tmp_path, '[severity-overrides]\nLA101 = "low"\n')
    code, doc, _ = _scan(capsys, ".", "--fail-on", "medium")
    assert code == 0 and doc["findings"][0]["severity"] == "low"
    _config(tmp_path, '[per-file-ignores]\n"t.json" = ["LA"]\n')
    code, doc, _ = _scan(capsys, ".")
    assert code == 0 and doc["findings"] == []
    assert _scan(capsys, ".", "--no-config")[0] == 1


def test_config_command_prints_effective_settings(capsys, tmp_path: Path) -> None:
    _config(tmp_path, 'fail-on = "high"\nignore = ["AUT208"]\n')
    assert main(["config", "."]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (
        data["fail-on"] == "high" and data["ignore"] == ["AUT208"] and data["source"].endswith("auditor.toml")
    )


def test_baseline_hides_known_findings_survives_line_moves_and_reports_stale(capsys, tmp_path: Path) -> None:
    template = write_template(tmp_path / "t.json", legacy_logic_app("a"), legacy_logic_app("b"))
    assert main(["baseline", "create", ".", "--output", "base.json"]) == 0
    capsys.readouterr()
    assert len(json.loads((tmp_path / "base.json").read_text())["findings"]) == 2

    write_template(template, legacy_logic_app("a"), legacy_logic_app("b"), lead="\n" * 10)  # lines move
    code, doc, _ = _scan(capsys, ".", "--baseline", "base.json")
    assert code == 0 and _active(doc) == []
    assert all(f["suppression"]["justification"] == "accepted in the baseline" for f in doc["findings"])

    write_template(
        template, legacy_logic_app("a"), legacy_logic_app("b"), legacy_logic_app("c")
    )  # a new problem
    code, doc, _ = _scan(capsys, ".", "--baseline", "base.json")
    assert code == 1 and _active(doc) == ["LA101"]
    assert [f["resource"] for f in doc["findings"] if f["suppression"] is None] == [
        "Microsoft.Logic/workflows/c"
    ]

    write_template(template, legacy_logic_app("a"))  # 'b' was fixed
    code, doc, _ = _scan(capsys, ".", "--baseline", "base.json")
    assert code == 0 and _active(doc) == ["SUP003"]


def test_bad_baseline_file_is_a_usage_error(capsys, tmp_path: Path) -> None:
    write_template(tmp_path / "t.json", legacy_logic_app())
    (tmp_path / "base.json").write_text("{not json")
    code, _, err = _scan(capsys, ".", "--baseline", "base.json")
    assert code == 2 and "base.json:1:2" in err
