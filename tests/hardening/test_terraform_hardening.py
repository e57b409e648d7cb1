"""Terraform under hostile input: file reads confined, budgets charged, every bomb an SRC005 finding.

A ``.tf`` file in a pull request is a program too. Before issue 9:

* ``file()`` / ``templatefile()`` read any path: ``file("/proc/self/environ")``, ``file("../../x")``
  or a link out of the repository put what the file holds into a finding's message and from there
  into every report (SARIF uploads, step summaries);
* ``format("%999999999d", 1)`` built a gigabyte string and passed silently; a triple-nested ``for``
  over ``range(0, 1000)`` ran for minutes; doubling a string through locals grew without bound; a
  budget exceeded inside an expression became an unknown with no finding at all;
* a regex ``replace()`` ran on Python's backtracking engine (``(a+)+$`` never returns).

Each test runs the real Terraform source (and, where the output is the point, the real CLI writing
all seven formats) and asserts the result: the refused read is unknown and its content appears in no
output; the bomb ends quickly in an SRC005 finding naming the limit and the file:line.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.budget import Budget, Limits, use
from auditor.cli import main
from auditor.reports import FORMATS
from auditor.sources.terraform import TerraformResult, functions, scan_terraform_file
from auditor.sources.terraform.config import MAX_HCL_BYTES
from auditor.sources.terraform.hcl import clear_cache
from auditor.unknown import Unknown

OUTSIDE = "OUTSIDE-MARKER-7f3c"  # what the file outside the repository holds
INSIDE = "INSIDE-MARKER-19ad"  # what a file inside the module holds (the control: it is read)
LA_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Logic/workflows/la"


def automation(name: str, *, extra: str = "") -> str:
    """A disabled automation named ``name`` (an HCL expression): AUT208 quotes the name it evaluates to."""
    return f"""
resource "azurerm_security_center_automation" "a" {{
  name                = {name}
  location            = "westeurope"
  resource_group_name = "rg"
  enabled             = false
  scopes              = ["/subscriptions/00000000-0000-0000-0000-000000000000"]
  action {{
    type        = "logicapp"
    resource_id = "{LA_ID}"
    trigger_url = "https://example.invalid/x"
  }}
  source {{
    event_source = "Alerts"
  }}
}}
{extra}"""


@pytest.fixture(autouse=True)
def _fresh_modules() -> Iterator[None]:
    clear_cache()  # modules are cached by folder and mtime; each test writes its own
    yield
    clear_cache()


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """``outside/secret.txt`` beside ``repo/`` (the scan root, a git top level) and ``repo/mod/``."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(OUTSIDE, encoding="utf-8")
    (outside / "secret.tpl").write_text(OUTSIDE + " ${x}", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    module = repo / "mod"
    module.mkdir()
    (module / "inside.txt").write_text(INSIDE, encoding="utf-8")
    return {"outside": outside, "repo": repo, "module": module}


def scan_module(
    module: Path, roots: list[Path] | None = None, limits: Limits | None = None
) -> TerraformResult:
    """The Terraform source on ``module/main.tf`` (with ``limits`` as the module's budget)."""
    path = module / "main.tf"
    if limits is None:
        return scan_terraform_file(path, "mod/main.tf", roots=roots or [module])
    with use(Budget(limits)):
        return scan_terraform_file(path, "mod/main.tf", roots=roots or [module])


def run_every_format(repo: Path, out: Path) -> tuple[int, dict[str, str]]:
    """``auditor scan repo -o FORMAT:FILE`` for all seven formats; the code and each file's text."""
    files = {fmt: out / f"report.{fmt}" for fmt in FORMATS}
    args = ["scan", str(repo), "--no-config"]
    for fmt, path in files.items():
        args += ["-o", f"{fmt}:{path}"]
    code = main(args)
    return code, {fmt: path.read_text(encoding="utf-8") for fmt, path in files.items()}


class Deadline:
    """Fails the test (instead of hanging the suite) when a read blocks, e.g. on a FIFO."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        def expired(signum: int, frame: object) -> None:
            raise AssertionError(f"still running after {self.seconds} s: the read blocked")

        self.previous = signal.signal(signal.SIGALRM, expired)
        signal.alarm(self.seconds)

    def __exit__(self, *exc: object) -> None:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


# ---------------------------------------------------------------- file() and templatefile() confined


def test_a_file_inside_the_module_is_read_and_reaches_the_outputs(
    layout: dict[str, Path], tmp_path: Path
) -> None:
    """The control: the channel the leak tests watch really carries a file's content when it is read."""
    (layout["module"] / "main.tf").write_text(automation('file("inside.txt")'), encoding="utf-8")
    code, outputs = run_every_format(layout["repo"], tmp_path)
    assert code == 0  # AUT208 is info
    assert all(INSIDE in text for text in outputs.values()), [
        f for f, t in outputs.items() if INSIDE not in t
    ]


def _hostile_calls(layout: dict[str, Path]) -> dict[str, str]:
    secret = layout["outside"] / "secret.txt"
    module = layout["module"]
    (module / "link.txt").symlink_to(secret)
    (module / "linked-dir").symlink_to(layout["outside"], target_is_directory=True)
    (module / "inner.tpl").write_text('${file("../../outside/secret.txt")}', encoding="utf-8")
    return {
        "absolute path": f'file("{secret}")',
        "dot-dot out of the repository": 'file("../../outside/secret.txt")',
        "path.module dot-dot": 'file("${path.module}/../../outside/secret.txt")',
        "symlink to a file outside": 'file("link.txt")',
        "symlinked folder": 'file("linked-dir/secret.txt")',
        "templatefile outside": 'templatefile("../../outside/secret.tpl", { x = "y" })',
        "template reading outside": 'templatefile("inner.tpl", {})',
        "etc passwd": 'file("/etc/passwd")',
        "proc environ": 'file("/proc/self/environ")',
    }


@pytest.mark.parametrize(
    "label",
    [
        "absolute path",
        "dot-dot out of the repository",
        "path.module dot-dot",
        "symlink to a file outside",
        "symlinked folder",
        "templatefile outside",
        "template reading outside",
        "etc passwd",
        "proc environ",
    ],
)
def test_a_file_outside_the_scan_is_never_read_into_any_output(
    layout: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, label: str
) -> None:
    call = _hostile_calls(layout)[label]
    (layout["module"] / "main.tf").write_text(automation(call), encoding="utf-8")
    monkeypatch.setenv("AUDITOR_TEST_SECRET", OUTSIDE)  # what /proc/self/environ would hand out
    code, outputs = run_every_format(layout["repo"], tmp_path)
    assert code in (0, 1), f"exit {code}"
    leaked = [fmt for fmt, text in outputs.items() if OUTSIDE in text]
    assert not leaked, f"{call} put the file's content into {leaked}"
    passwd = Path("/etc/passwd")
    if passwd.is_file():
        first = passwd.read_text(encoding="utf-8", errors="replace").splitlines()[0]
        assert not [fmt for fmt, text in outputs.items() if first in text]


def test_the_refused_value_is_unknown_and_says_why_without_the_content(layout: dict[str, Path]) -> None:
    (layout["module"] / "main.tf").write_text(
        automation('file("../../outside/secret.txt")'), encoding="utf-8"
    )
    result = scan_module(layout["module"], roots=[layout["repo"]])
    (found,) = result.automations
    assert isinstance(found.name, Unknown)
    assert "outside the scanned folders" in found.name.reason
    assert OUTSIDE not in repr(found.name)


def test_whether_a_file_outside_exists_is_not_told(layout: dict[str, Path]) -> None:
    """A missing file outside and a present one give the same answer (no existence oracle)."""
    reasons = []
    for target in ("../../outside/secret.txt", "../../outside/absent.txt"):
        clear_cache()
        (layout["module"] / "main.tf").write_text(automation(f'file("{target}")'), encoding="utf-8")
        (found,) = scan_module(layout["module"], roots=[layout["repo"]]).automations
        assert isinstance(found.name, Unknown)
        reasons.append(found.name.reason.replace(target, "PATH"))
    assert reasons[0] == reasons[1]


def test_a_file_elsewhere_in_the_scanned_folders_is_read(layout: dict[str, Path]) -> None:
    """``../shared/x`` inside the scanned repository is a real Terraform pattern and stays readable."""
    shared = layout["repo"] / "shared"
    shared.mkdir()
    (shared / "name.txt").write_text("from-shared", encoding="utf-8")
    (layout["module"] / "main.tf").write_text(automation('file("${path.module}/../shared/name.txt")'))
    (found,) = scan_module(layout["module"], roots=[layout["repo"]]).automations
    assert found.name == "from-shared"
    clear_cache()  # scanned with only the module as root, the same read is outside the scan
    (found,) = scan_module(layout["module"], roots=[layout["module"]]).automations
    assert isinstance(found.name, Unknown)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link", "directory", "dev-null"])
def test_a_file_that_is_not_a_regular_file_is_refused_at_once(layout: dict[str, Path], kind: str) -> None:
    module = layout["module"]
    if kind == "fifo":
        os.mkfifo(module / "pipe")
        call = 'file("pipe")'
    elif kind == "dev-zero-link":
        (module / "zero").symlink_to("/dev/zero")
        call = 'file("zero")'
    elif kind == "directory":
        (module / "folder").mkdir()
        call = 'file("folder")'
    else:
        call = 'file("/dev/null")'
    (module / "main.tf").write_text(automation(call), encoding="utf-8")
    with Deadline(20):
        (found,) = scan_module(module).automations
    assert isinstance(found.name, Unknown), found.name


def test_a_file_over_the_size_limit_is_refused(layout: dict[str, Path]) -> None:
    module = layout["module"]
    (module / "big.txt").write_bytes(b"a" * (MAX_HCL_BYTES + 1))
    (module / "main.tf").write_text(automation('file("big.txt")'), encoding="utf-8")
    (found,) = scan_module(module).automations
    assert isinstance(found.name, Unknown)
    assert "larger than" in found.name.reason


def test_a_template_that_includes_itself_is_an_error_not_a_recursion(layout: dict[str, Path]) -> None:
    module = layout["module"]
    (module / "self.tpl").write_text('x${templatefile("self.tpl", {})}', encoding="utf-8")
    (module / "main.tf").write_text(automation('templatefile("self.tpl", {})'), encoding="utf-8")
    (found,) = scan_module(module).automations
    assert isinstance(found.name, Unknown)
    assert "includes itself" in found.name.reason


def test_unevaluated_file_functions_stay_unknown(layout: dict[str, Path]) -> None:
    """filebase64, fileexists, fileset, filemd5 …: not evaluated, so nothing is read."""
    module = layout["module"]
    for call in ('filebase64("../../outside/secret.txt")', 'fileexists("/etc/shadow")', 'fileset("/", "*")'):
        clear_cache()
        (module / "main.tf").write_text(automation(call), encoding="utf-8")
        (found,) = scan_module(module).automations
        assert isinstance(found.name, Unknown), call


# ---------------------------------------------------------------- budgets: every bomb is an SRC005 finding

SMALL = Limits(max_value_size=100_000, max_steps=200_000, max_copy_iterations=5_000, max_seconds=5.0)


def limit_messages(result: TerraformResult) -> list[str]:
    return [p.message for code, p in result.coded_problems if code == "evaluation-limit"]


def bomb(module: Path, name: str, extra: str = "", limits: Limits | None = None) -> tuple[list[str], float]:
    (module / "main.tf").write_text(automation(name, extra=extra), encoding="utf-8")
    started = time.monotonic()
    result = scan_module(module, limits=limits)
    elapsed = time.monotonic() - started
    (found,) = result.automations
    assert isinstance(found.name, Unknown), found.name if not isinstance(found.name, str) else found.name[:80]
    return limit_messages(result), elapsed


def test_format_width_is_charged_before_the_string_is_built(layout: dict[str, Path]) -> None:
    messages, elapsed = bomb(layout["module"], 'format("%999999999d", 1)')
    assert elapsed < 5
    assert any("value size" in m and "format()" in m for m in messages), messages


def test_a_huge_range_is_refused(layout: dict[str, Path]) -> None:
    messages, _ = bomb(layout["module"], "length(range(0, 100000000))")
    assert any("range()" in m for m in messages), messages


def test_nested_for_expressions_run_out_of_steps(layout: dict[str, Path]) -> None:
    name = "length([for a in range(0, 1000) : [for b in range(0, 1000) : [for c in range(0, 1000) : c]]])"
    messages, elapsed = bomb(layout["module"], name, limits=SMALL)
    assert any("evaluation steps" in m for m in messages), messages
    assert elapsed < 5


def test_nested_for_expressions_stop_at_the_default_limits(layout: dict[str, Path]) -> None:
    name = "length([for a in range(0, 1000) : [for b in range(0, 1000) : [for c in range(0, 1000) : c]]])"
    messages, elapsed = bomb(layout["module"], name)
    assert messages and elapsed < 30


def test_string_doubling_through_locals_stops_at_the_value_size(layout: dict[str, Path]) -> None:
    locals_ = ['  l0 = "0123456789abcdef"'] + [
        f'  l{i} = "${{local.l{i - 1}}}${{local.l{i - 1}}}"' for i in range(1, 40)
    ]
    extra = "locals {\n" + "\n".join(locals_) + "\n}\n"
    messages, elapsed = bomb(layout["module"], "local.l39", extra=extra)
    assert any("value size" in m and "interpolated string" in m for m in messages), messages
    assert elapsed < 5


def test_list_doubling_through_locals_is_reported(layout: dict[str, Path]) -> None:
    locals_ = ['  l0 = ["x"]'] + [f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})" for i in range(1, 40)]
    extra = "locals {\n" + "\n".join(locals_) + "\n}\n"
    messages, elapsed = bomb(layout["module"], 'join(",", local.l39)', extra=extra)
    assert any("concat()" in m for m in messages), messages
    assert elapsed < 5


def test_join_and_replace_that_would_blow_up_are_refused(layout: dict[str, Path]) -> None:
    messages, _ = bomb(
        layout["module"], 'join(",", [for i in range(0, 200000) : "${i}xxxxxxxxxxxxxxxxxxxxx"])'
    )
    # One finding: the name is evaluated once (its list takes ~3 s here), not again for the id, which
    # used to run into the 5 s time limit as well (and, on a slower machine, before join() refused).
    assert len(messages) == 1 and "join()" in messages[0], messages
    clear_cache()
    grown = 'replace(format("%0900000d", 0), "0", format("%0900000d", 0))'
    messages, elapsed = bomb(layout["module"], grown)
    assert any("replace()" in m for m in messages), messages
    assert elapsed < 5


def test_an_instance_attribute_is_evaluated_once_for_its_value_and_its_id(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id of an automation is built from its name and resource group: the values the resource's
    body already evaluated, not a second evaluation of the same expressions."""
    calls: list[str] = []
    upper = functions.FUNCTIONS["upper"]
    monkeypatch.setitem(functions.FUNCTIONS, "upper", lambda s: calls.append(s) or upper(s))
    (layout["module"] / "main.tf").write_text(automation('upper("wf")'), encoding="utf-8")
    (found,) = scan_module(layout["module"]).automations
    assert found.name == "WF" and found.id.endswith("/automations/WF")
    assert calls == ["wf"]


def test_a_backtracking_regex_runs_in_linear_time(layout: dict[str, Path]) -> None:
    """RE2, as in Terraform: ``(a+)+$`` on 45 characters would not return on Python's ``re``."""
    module = layout["module"]
    call = 'replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "/(a+)+$/", "x")'
    (module / "main.tf").write_text(automation(call), encoding="utf-8")
    with Deadline(20):
        (found,) = scan_module(module).automations
    assert found.name == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"  # no match: unchanged


def test_regex_replace_keeps_terraform_semantics(layout: dict[str, Path]) -> None:
    module = layout["module"]
    (module / "main.tf").write_text(
        automation('replace("wf-prod-01", "/-(\\\\w+)-/", "_$1_")'), encoding="utf-8"
    )
    (found,) = scan_module(module).automations
    assert found.name == "wf_prod_01"


def test_an_invalid_regex_is_an_unknown_and_nothing_is_printed(
    layout: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    module = layout["module"]
    (module / "main.tf").write_text(automation('replace("x", "/(?P<n>a)(?P=n)\\n::error x/", "y")'))
    (found,) = scan_module(module).automations
    assert isinstance(found.name, Unknown)
    captured = capfd.readouterr()
    assert "::error" not in captured.err and "::error" not in captured.out


def test_a_budget_exceeded_in_an_expression_is_a_finding_with_its_line(
    layout: dict[str, Path], tmp_path: Path
) -> None:
    """Through the CLI: SRC005 at the expression's file:line, the gate fails (before: silent, exit 0)."""
    (layout["module"] / "main.tf").write_text(automation('format("%999999999d", 1)'), encoding="utf-8")
    code, outputs = run_every_format(layout["repo"], tmp_path)
    assert code == 1
    assert "mod/main.tf:3:25 SRC005" in outputs["text"], outputs["text"]


# ---------------------------------------------------------------- structure: cycles, depth, size, plans


def test_a_reference_cycle_is_src002(layout: dict[str, Path]) -> None:
    extra = "locals {\n  a = local.b\n  b = local.a\n}\n"
    (layout["module"] / "main.tf").write_text(automation("local.a", extra=extra), encoding="utf-8")
    result = scan_module(layout["module"])
    assert any("cycle" in p.message for p in result.problems), result.problems


def test_a_thousand_nested_blocks_are_src005(layout: dict[str, Path]) -> None:
    nested = "dynamic_x {\n" * 1000 + "}\n" * 1000
    extra = 'resource "azurerm_logic_app_workflow" "deep" {\n' + nested + "}\n"
    (layout["module"] / "main.tf").write_text(automation('"wf"', extra=extra), encoding="utf-8")
    messages = limit_messages(scan_module(layout["module"]))
    assert any("walk depth" in m for m in messages), messages


def test_a_deeply_nested_expression_is_src005(layout: dict[str, Path]) -> None:
    deep = "[" * 3000 + "1" + "]" * 3000
    (layout["module"] / "main.tf").write_text(automation(f"length({deep})"), encoding="utf-8")
    result = scan_module(layout["module"])
    (found,) = result.automations
    assert isinstance(found.name, Unknown)
    assert limit_messages(result), found.name.reason


def test_a_tf_file_over_two_mebibytes_is_src001(layout: dict[str, Path], tmp_path: Path) -> None:
    body = automation('"wf"') + "# " + "x" * 80 + "\n"
    (layout["module"] / "main.tf").write_text(body * (MAX_HCL_BYTES // len(body) + 2), encoding="utf-8")
    code, outputs = run_every_format(layout["repo"], tmp_path)
    assert code == 1
    assert "SRC001" in outputs["text"] and "too large" in outputs["text"], outputs["text"]


def test_a_malformed_plan_is_a_finding(layout: dict[str, Path], tmp_path: Path) -> None:
    plan = (
        '{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"type": 5, "values": [}'
    )
    (layout["repo"] / "plan.json").write_text(plan, encoding="utf-8")
    code, outputs = run_every_format(layout["repo"], tmp_path)
    assert code == 1
    assert "plan.json" in outputs["text"] and "SRC002" in outputs["text"], outputs["text"]


@pytest.mark.parametrize(
    "name",
    [
        'substr("abc", 0, 1e999999)',  # a count that is no integer (OverflowError converting it)
        "substr(1e999999, 0, 1e999999)",
        'format("%d", 1e999999)',
        'element(["a"], 1e999999)',
    ],
)
def test_a_number_too_large_for_an_integer_is_unknown_not_a_crash(layout: dict[str, Path], name: str) -> None:
    module = layout["module"]
    (module / "main.tf").write_text(automation(name), encoding="utf-8")
    result = scan_module(module)
    (found,) = result.automations
    assert isinstance(found.name, Unknown), found.name
