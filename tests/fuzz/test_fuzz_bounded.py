"""The bounded fuzz run of the normal test suite (issue 9, scope item 9).

Generated ARM templates, ARM expressions and Terraform modules (hypothesis
strategies over :mod:`tests.fuzz.generators`), a fixed slice of the campaign's
corpus mutations, every bomb family, every file-system trap, every hostile
configuration file and every hostile string go through the real pipeline
(:class:`tests.fuzz.pipeline.Pipeline`: configuration → sources → every check →
every output format, as ``auditor scan`` runs it). Each must end without a
crash (the catch-all guards re-raise under pytest), without running out of its
budget's clock, with every bomb reported (SRC005/SRC003), with no canary file
or environment content in any output, and with no line of text output or
stderr that starts a CI workflow command. The verdict itself is
:meth:`Pipeline._verdict`; these tests only feed it and say what broke.

Small :class:`~auditor.budget.Limits` keep every example fast; with them a hang
is an SRC005 "evaluation time" finding after 2 s, not a timed assertion. The
pipeline's own 10 s alarm is only a backstop that turns a real hang into a
failing "slow" outcome instead of a stuck suite.

The full campaign is ``benchmarks/fuzz.py`` (``python -m tests.fuzz``).
"""

from __future__ import annotations

import json
import random
import re
import resource
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from auditor.budget import Limits, reraise_bugs

from . import generators as g
from . import mutators as mu
from . import strategies as fs
from .case import Case
from .pipeline import Outcome, Pipeline

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"

#: Far below the defaults, far above what the generated inputs need: a bomb hits them in milliseconds.
SMALL = Limits(
    max_value_size=100_000,
    max_steps=300_000,
    max_copy_iterations=5_000,
    max_nesting=12,
    max_walk_depth=128,
    max_seconds=2.0,
)

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


#: Address space the module may add to what the test process already maps (a memory bomb that escapes
#: its budget is then a MemoryError, i.e. a failing "crash" outcome, instead of the OOM killer ending
#: the whole test session).
HEADROOM = 2 << 30


def _mapped_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """One pipeline (one scratch folder with the canary beside the case folder) for the module."""
    saved = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _mapped_bytes()
    if mapped is not None:
        cap = mapped + HEADROOM
        hard = saved[1]
        resource.setrlimit(
            resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
        )
    try:
        yield Pipeline(tmp_path_factory.mktemp("fuzz"), timeout=10.0, limits=SMALL)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, saved)


@pytest.fixture(scope="module")
def corpus() -> list[mu.CorpusFile]:
    files = mu.load_corpus(CORPUS)
    if not files:
        pytest.skip(f"no corpus at {CORPUS} (../shared/corpus): corpus-seeded fuzz cases need it")
    return files


def check(pipeline: Pipeline, case: Case) -> Outcome:
    """Run ``case`` and fail with the verdict's own words when it crashed, hung or broke a promise."""
    assert reraise_bugs(), "the guards must re-raise in the test suite, or a bug would pass as an unknown"
    outcome = pipeline.run(case)
    assert not outcome.failed, (
        f"{outcome.kind} on {case.label} ({case.origin}): {outcome.signature}\n{outcome.detail[:4000]}"
    )
    if case.expect == "bomb":
        assert {"SRC005", "SRC003"} & set(outcome.rules), f"bomb {case.label} not reported: {outcome}"
    return outcome


def _family(label: str) -> str:
    return re.sub(r"-?[0-9]+", "", label)


def _first_of_each(make: Callable[[random.Random], Case], tries: int = 400) -> dict[str, Case]:
    """The first case of each label family that ``make`` produces over seeds 0, 1, … (deterministic)."""
    found: dict[str, Case] = {}
    for seed in range(tries):
        case = make(random.Random(f"bounded:{seed}"))
        found.setdefault(_family(case.label), case)
    return found


# --------------------------------------------------------------------------- hypothesis: generated input


@settings(FUZZ, max_examples=120)
@given(case=fs.arm_cases())
def test_generated_arm_templates(pipeline: Pipeline, case: Case) -> None:
    check(pipeline, case)


@settings(FUZZ, max_examples=120)
@given(case=fs.expression_cases())
def test_generated_expressions(pipeline: Pipeline, case: Case) -> None:
    check(pipeline, case)


@settings(FUZZ, max_examples=80)
@given(case=fs.terraform_cases())
def test_generated_terraform_modules(pipeline: Pipeline, case: Case) -> None:
    check(pipeline, case)


# --------------------------------------------------------------------------- the campaign's own inputs


def test_campaign_slice_over_the_corpus(pipeline: Pipeline, corpus: list[mu.CorpusFile]) -> None:
    """The first inputs of the campaign (seed 0), as ``benchmarks/fuzz.py`` makes them; large ones skipped.

    Every input runs; the failures are listed together (one broken family does not hide the others).
    """
    failures: list[str] = []
    tried = 0
    for index in range(200):
        case = mu.make_case(random.Random(f"0:{index}"), corpus)
        if case.label.startswith("large:"):
            continue  # megabytes each: the campaign covers them, the suite keeps its minute
        case.origin = f"{case.origin} seed=0 input={index}".strip()
        tried += 1
        try:
            check(pipeline, case)
        except AssertionError as exc:
            failures.append(f"input #{index}: {str(exc).splitlines()[0]}")
    assert tried > 150
    assert not failures, "\n".join(failures)


def _arm_bomb_case(rng: random.Random) -> Case:
    doc = g.arm_template(g.RandomChooser(rng), 1)
    if not isinstance(doc.get("resources"), list) or not isinstance(doc.get("$schema"), str):
        doc["resources"], doc["$schema"] = [], g.SCHEMAS[0]
    doc, name, reported = mu.arm_bomb(rng, doc)
    return Case(
        "bomb:" + name, {"azuredeploy.json": json.dumps(doc).encode()}, expect="bomb" if reported else None
    )


ARM_BOMBS = _first_of_each(_arm_bomb_case)


@pytest.mark.parametrize("family", sorted(ARM_BOMBS))
def test_arm_bombs_are_reported(pipeline: Pipeline, family: str) -> None:
    """Doubling variables, bomb expressions, nested copies (800³), big variable copies: finished and reported."""
    check(pipeline, ARM_BOMBS[family])


@pytest.mark.parametrize(
    ("expression", "bomb"),
    [*((e, True) for e in g.BOMB_EXPRESSIONS), *((e, False) for e in g.REFUSED_EXPRESSIONS)],
)
def test_each_bomb_expression_is_reported(pipeline: Pipeline, expression: str, bomb: bool) -> None:
    """format/padLeft widths, nested map over ranges, replace blow-up: SRC005; ARM-refused ranges: no crash."""
    doc = {"$schema": g.SCHEMAS[0], "contentVersion": "1.0.0.0", "resources": []}
    mu._add_bomb_resource(doc, expression)
    files = {"azuredeploy.json": json.dumps(doc).encode()}
    case = Case("bomb:expression", files, expect="bomb" if bomb else None, origin=expression)
    check(pipeline, case)


def _tf_bomb_case(rng: random.Random) -> Case:
    text, name, reported = mu.tf_bomb(rng, "")
    return Case("bomb:" + name, {"main.tf": text.encode()}, expect="bomb" if reported else None)


TF_BOMBS = _first_of_each(_tf_bomb_case)


# Needs the Terraform slice of issue 9 (format width bounded, nested `for` charged to the budget,
# string doubling through locals charged): before it, tf-format-width passes silently after
# allocating ~1 GB and tf-nested-for runs past any clock.
@pytest.mark.parametrize("family", sorted(TF_BOMBS))
def test_terraform_bombs_are_reported(pipeline: Pipeline, family: str) -> None:
    check(pipeline, TF_BOMBS[family])


# Needs the Terraform slice of issue 9 (file() and friends confined to the module's folder tree):
# before it, file("../secret.txt") put the canary file's content into every output format.
@pytest.mark.parametrize("call", g.FILE_FUNCTION_ARGS)
def test_terraform_file_functions_leak_nothing(pipeline: Pipeline, call: str) -> None:
    text = mu._TF_AUTOMATION.format(name=call) + f'output "o" {{\n  value = {call}\n}}\n'
    check(pipeline, Case("hcl:file-function", {"main.tf": text.encode()}, origin=call))


# --------------------------------------------------------------------------- file system, configuration, strings


def _filesystem(rng: random.Random) -> Case:
    return mu._filesystem_case(rng, [])


FS_TRAPS = _first_of_each(_filesystem)


@pytest.mark.parametrize("family", sorted(FS_TRAPS))
def test_filesystem_traps(pipeline: Pipeline, family: str) -> None:
    """Symlinks out of the folder and to devices, FIFOs, long names, /dev/null: reported, nothing read or leaked."""
    check(pipeline, FS_TRAPS[family])


@pytest.mark.parametrize("index", range(len(mu._CONFIGS)))
@pytest.mark.parametrize("name", ["auditor.toml", "pyproject.toml"])
def test_hostile_configuration_files(pipeline: Pipeline, name: str, index: int) -> None:
    """Deep, non-UTF-8, wrongly typed, path-escaping and gate-greening configuration: never a crash or a leak."""
    body = mu._CONFIGS[index]
    text = b"[tool.auditor]\n" + body if name == "pyproject.toml" else body
    files = {name: text, "t.json": b'{"$schema": "' + g.SCHEMAS[0].encode() + b'", "resources": []}'}
    check(pipeline, Case(f"config:{name}", files, config=name))


@pytest.mark.parametrize("hostile", g.HOSTILE_STRINGS, ids=lambda s: repr(s)[:30])
def test_hostile_strings_in_names(pipeline: Pipeline, hostile: str) -> None:
    """The string as an automation's, a Logic App's and a Terraform resource's name and display name."""
    doc = {"$schema": g.SCHEMAS[0], "contentVersion": "1.0.0.0", "resources": []}
    mu._add_bomb_resource(doc, hostile)
    doc["resources"].append(
        {
            "type": "Microsoft.Logic/workflows",
            "apiVersion": "2019-05-01",
            "name": hostile,
            "location": "westeurope",
            "properties": {
                "definition": {"actions": {hostile: {"type": "Http", "inputs": {"uri": hostile}}}}
            },
        }
    )
    arm = json.dumps(doc, ensure_ascii=True).encode()
    tf = mu._TF_AUTOMATION.format(name=g.hcl_string(hostile)).encode("utf-8", "surrogatepass")
    check(
        pipeline, Case("hostile-string", {"azuredeploy.json": arm, "main.tf": tf}, origin=repr(hostile)[:60])
    )
