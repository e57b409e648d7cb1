"""Start-up of a one-file scan (issue 14): what a cold process imports, not how long it takes.

The timing lives in benchmarks/startup.py (it depends on the machine's load); what makes it fast is
tested here: a one-file scan, with or without a ``[tool.auditor]`` configuration, imports none of the
heavy modules, and the check-pack discovery that avoids ``importlib.metadata`` still says "maybe" whenever
a pack could be installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from auditor import registry

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "examples" / "clean" / "azuredeploy.json"
# Modules a one-file scan with text output does not need: the old inventory/config validation, entry-point
# metadata (and the email parser it pulls), the renderers' and the live scan's libraries, the Bicep and
# Terraform parsers, the worker processes of --jobs.
HEAVY = (
    "pydantic",
    "pydantic_core",
    "importlib.metadata",
    "email",
    "jinja2",
    "rich",
    "sarif_om",
    "hcl2",
    "lark",
    "tree_sitter",
    "azure",
    # --jobs: worker processes only when a scan has files enough to pay for them (issue 14)
    "multiprocessing",
    "concurrent",
    "auditor.sources.parallel",
)
PROBE = """\
import json, sys
from auditor.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
CONFIG = """\
[project]
name = "gate"

[tool.auditor]
select = ["LA", "AUT", "SRC"]
ignore = ["AUT208"]
fail-on = "medium"

[tool.auditor.severity-overrides]
LA106 = "medium"

[[tool.auditor.suppressions]]
rule = "LA106"
path = "legacy/**"
reason = "Authorised by the SOC on day one."
expires = 2099-12-31
"""


def _imported(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["code"], result["modules"]


# What dataclasses' ``import inspect`` would load: the CLI defers inspect (auditor.cli._defer_inspect) and
# the check discovery lists modules without pkgutil's inspect.getmodulename (~5 ms, issue 14); and shutil,
# which argparse imports for the terminal width (cli._terminal_columns reads it itself, ~2 ms).
INSPECT = ("ast", "dis", "tokenize", "shutil")


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m in HEAVY or m in INSPECT or m.startswith(tuple(h + "." for h in HEAVY))]


def test_a_one_file_scan_without_configuration_imports_nothing_heavy() -> None:
    code, modules = _imported(["scan", str(TEMPLATE), "--no-config"], REPO)
    assert code == 0
    assert _heavy(modules) == []
    assert "auditor.sources.arm.loader" in modules  # the probe did scan


def test_a_one_file_scan_with_tool_auditor_imports_nothing_heavy(tmp_path: Path) -> None:
    """Most users have a configuration: validating it must not bring pydantic back."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "azuredeploy.json").write_bytes(TEMPLATE.read_bytes())
    code, modules = _imported(["scan", "azuredeploy.json"], tmp_path)
    assert code == 0
    assert _heavy(modules) == []
    assert "tomllib" in modules or "tomli" in modules  # the configuration was read


@pytest.mark.parametrize("command", [["--version"], ["rules"]])
def test_version_and_rules_import_nothing_heavy(command: list[str]) -> None:
    _, modules = _imported(command, REPO)
    assert _heavy(modules) == []
    assert not [m for m in modules if m.startswith(("auditor.sources", "auditor.model", "auditor.engine"))]


def test_no_pack_is_assumed_when_only_the_builtin_entry_point_is_installed() -> None:
    assert registry._packs_may_be_installed() is False  # this venv: mdc-auditor's own entry point only


def test_a_distribution_declaring_a_pack_sends_discovery_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "acme_checks-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(
        "[console_scripts]\nacme = acme:main\n\n[auditor.checks]\nacme = acme_checks\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registry._packs_may_be_installed() is True


def test_the_builtin_value_in_another_group_or_a_comment_is_no_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "tool-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(
        "[auditor.checks]\n# other = auditor.checks.extra\nbuiltin = auditor.checks\n\n"
        "[console_scripts]\nx = auditor.checks:main\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registry._packs_may_be_installed() is False


def test_what_the_quick_look_cannot_read_is_a_maybe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip on sys.path (importlib.metadata reads distributions inside it) cannot be ruled out."""
    archive = tmp_path / "packs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("acme-1.0.dist-info/entry_points.txt", "[auditor.checks]\nacme = acme\n")
    monkeypatch.syspath_prepend(str(archive))
    assert registry._packs_may_be_installed() is True


def test_the_deferred_inspect_is_the_real_module_once_used() -> None:
    """A name read from the deferred module runs it: the same object, now the real inspect."""
    probe = (
        "import sys\nfrom auditor.cli import _defer_inspect\n_defer_inspect()\nimport inspect, dataclasses\n"
        "held = sys.modules['inspect']\nassert 'ast' not in sys.modules\n"
        "@dataclasses.dataclass\nclass X:\n    a: int\n"  # no docstring: dataclasses asks inspect
        "assert X.__doc__ == 'X(a: int)' and held is sys.modules['inspect'] is inspect\n"
        "assert type(inspect).__name__ == 'module' and callable(inspect.getsource) and 'ast' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_lazy_patterns_behave_as_compiled_ones() -> None:
    import re

    from auditor import lazyre

    lazy = lazyre.compile(r"(a+)(b)?", re.IGNORECASE)
    real = re.compile(r"(a+)(b)?", re.IGNORECASE)
    assert lazy.pattern == real.pattern and lazy.flags == real.flags and lazy.groups == real.groups
    m = lazy.match("AAb")
    assert m is not None and m.groups() == ("AA", "b")
    assert lazy.sub("x", "caab") == real.sub("x", "caab")
    assert lazy.findall("a ab") == real.findall("a ab")


def test_check_modules_are_listed_as_pkgutil_lists_them(tmp_path: Path) -> None:
    """registry._submodules is pkgutil.iter_modules without inspect: same names for a folder."""
    import pkgutil

    (tmp_path / "a.py").write_text("", encoding="utf-8")
    (tmp_path / "b.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "not_a_pkg").mkdir()
    (tmp_path / "dotted.name.py").write_text("", encoding="utf-8")
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    paths = [str(tmp_path), str(REPO / "checks")]
    assert sorted(registry._submodules(paths)) == sorted(m.name for m in pkgutil.iter_modules(paths))


@pytest.mark.parametrize("columns", [None, "40", "200", "0", "-3", "wide"])
def test_the_help_width_is_the_one_shutil_gives(columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from auditor.cli import _terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _terminal_columns() == shutil.get_terminal_size().columns
