"""Check packs: an installed distribution's entry point adds rules, as a module or as ``module:attr``."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.registry import RegistryError, load_checks

CHECK = '''\
"""{id}: a pack's rule.

## What it checks
Nothing real: it proves the pack was loaded.

## Why it matters
Packs extend the catalog.
"""

from auditor.findings import Rule, Severity

RULE = Rule(
    id="{id}",
    name="{name}",
    severity=Severity.LOW,
    title="A rule from a third-party pack",
    rationale="Shows that the entry point was followed.",
    remediation="None needed; this is a test pack.",
    fires_when="every automation in the inventory",
)


def check(inventory, ctx):
    for automation in inventory.automations:
        yield RULE.finding("seen by the pack", at=automation.origin)
'''


def _install(root: Path, dist: str, entry_points: str, files: dict[str, str]) -> None:
    """A distribution as pip would leave it: the code and a ``*.dist-info`` with ``entry_points.txt``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site-packages folder on ``sys.path`` for this test only (its modules are forgotten after)."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        if name.startswith(("acme", "widget", "broken")):
            del sys.modules[name]
    importlib.invalidate_caches()


def test_module_and_module_attr_entry_points_add_their_rules(site: Path) -> None:
    _install(
        site,
        "acme_checks",
        "[auditor.checks]\nacme = acme_checks\n",
        {
            "acme_checks/__init__.py": '"""A pack found by its submodules."""\n',
            "acme_checks/acm901_first.py": CHECK.format(id="ACM901", name="first"),
            "acme_checks/_shared.py": "HELPER = 1\n",
        },
    )
    _install(
        site,
        "widget_rules",
        "[auditor.checks]\nwidget = widget_rules.registry:CHECKS\n",
        {  # the names in a module:attr list are relative to the module (here a package)
            "widget_rules/__init__.py": "",
            "widget_rules/registry/__init__.py": 'CHECKS = ("wid901_second",)\n',
            "widget_rules/registry/wid901_second.py": CHECK.format(id="WID901", name="second"),
        },
    )
    importlib.invalidate_caches()

    ids = [c.rule.id for c in load_checks()]
    assert "ACM901" in ids and "WID901" in ids
    assert ids[-2:] == ["ACM901", "WID901"], "packs' own families sort after the built-in ones, by id"
    assert ids.index("LIV001") < ids.index("ACM901")
    loaded = {c.rule.id: c for c in load_checks()}
    assert loaded["ACM901"].rule.doc.startswith("ACM901: a pack's rule.")
    assert loaded["WID901"].module.__name__ == "widget_rules.registry.wid901_second"


def test_a_pack_rule_runs_in_a_scan_and_is_documented(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(
        site,
        "acme_one",
        "[auditor.checks]\none = acme_one.acm902_single\n",
        {"acme_one/__init__.py": "", "acme_one/acm902_single.py": CHECK.format(id="ACM902", name="single")},
    )
    importlib.invalidate_caches()
    assert main(["rule", "ACM902"]) == 0
    out = capsys.readouterr().out
    assert "fires when:  every automation in the inventory" in out

    template = tmp_path / "t.json"
    template.write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
        '"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Security/automations",'
        '"apiVersion": "2019-01-01-preview", "name": "a", "location": "westeurope", "properties": {}}]}',
        encoding="utf-8",
    )
    main(["scan", str(template), "--select", "ACM902", "--no-config"])
    assert "ACM902" in capsys.readouterr().out


def test_a_pack_that_cannot_be_imported_stops_the_run_naming_it(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(
        site,
        "broken_pack",
        "[auditor.checks]\nbroken = broken_pack\n",
        {"broken_pack/__init__.py": "raise ImportError('needs a module that is not installed')\n"},
    )
    importlib.invalidate_caches()
    with pytest.raises(RegistryError, match=r"broken = broken_pack.*broken_pack 1\.0.*not installed"):
        load_checks()
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert "check pack entry point broken = broken_pack" in err and "internal error" not in err


def test_a_pack_attribute_that_is_not_a_check_list_is_refused(site: Path) -> None:
    _install(
        site,
        "broken_attr",
        "[auditor.checks]\nbad = broken_attr:VERSION\n",
        {"broken_attr/__init__.py": "VERSION = 3\n"},
    )
    importlib.invalidate_caches()
    with pytest.raises(RegistryError, match="expected a module or a sequence of check modules, got int"):
        load_checks()


def test_phases_order_checks_whatever_order_they_are_given_in() -> None:
    """A rule's phase, not its id, decides that it runs after the others (a pack can declare it too)."""
    from types import SimpleNamespace

    from auditor.engine import run
    from auditor.findings import Phase, Rule, Severity
    from auditor.model import Inventory, Origin
    from auditor.registry import LoadedCheck
    from auditor.unknown import Unknown

    seen: list[str] = []
    origin = Origin(file="t.json", line=3)

    def rule(rule_id: str, phase: Phase) -> Rule:
        return Rule(rule_id, rule_id.lower(), Severity.INFO, "t", "r" * 11, "f" * 11, "w" * 11, phase=phase)

    def recorder(inventory: Inventory, ctx: Any) -> Iterator[Any]:
        seen.append("recorder")
        ctx.unresolved(Unknown("a parameter"), origin, "the name")
        return iter(())

    def reporter(inventory: Inventory, ctx: Any) -> Iterator[Any]:
        seen.append(f"reporter saw {len(ctx.needs)} need(s)")
        return iter(())

    def auditor_of_suppressions(inventory: Inventory, ctx: Any) -> Iterator[Any]:
        seen.append(f"after suppressions: outcome {'set' if ctx.suppression_outcome else 'missing'}")
        return iter(())

    checks = [
        LoadedCheck(rule("ZZZ003", Phase.AFTER_SUPPRESSIONS), SimpleNamespace(check=auditor_of_suppressions)),
        LoadedCheck(rule("ZZZ002", Phase.AFTER_CHECKS), SimpleNamespace(check=reporter)),
        LoadedCheck(rule("ZZZ001", Phase.INVENTORY), SimpleNamespace(check=recorder)),
    ]
    run(Inventory(), checks)  # type: ignore[arg-type]
    assert seen == ["recorder", "reporter saw 1 need(s)", "after suppressions: outcome set"]
