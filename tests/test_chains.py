"""Dependency chains (automation → Logic App → trigger → connection → managed API) built by the engine.

The instances of a copy loop share one place in the file (``resources[2]``); a chain must show only the
findings of its own instance. Before issue 9 automation ``a0``'s chain listed the findings of every
copy beside it, so the HTML report of 800 copies grew quadratically (356 MB).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.engine import ScanResult

REPO = Path(__file__).resolve().parents[1]
CLEAN = REPO / "examples" / "clean" / "azuredeploy.json"


def copied_automations(tmp_path: Path, count: int, disabled: int) -> Path:
    """The clean example with its automation in a copy loop of ``count``; copy ``disabled`` is off (AUT208)."""
    doc: dict[str, Any] = json.loads(CLEAN.read_text(encoding="utf-8"))
    (automation,) = (r for r in doc["resources"] if r["type"] == "Microsoft.Security/automations")
    automation["copy"] = {"name": "automations", "count": count}
    automation["name"] = "[concat(parameters('automationName'), '-', copyIndex())]"
    automation["properties"]["isEnabled"] = f"[not(equals(copyIndex(), {disabled}))]"
    path = tmp_path / "copies.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_each_copy_has_its_own_chain_with_only_its_own_findings(
    scan: Callable[..., ScanResult], tmp_path: Path
) -> None:
    result = scan([copied_automations(tmp_path, count=4, disabled=2)])
    (disabled,) = [f for f in result.findings if f.rule.id == "AUT208"]
    assert disabled.location.resource is not None and disabled.location.resource.endswith("-2")
    chains = {chain.automation: chain for chain in result.chains}
    assert sorted(chains) == [f"soc-high-alerts-{i}" for i in range(4)]
    for name, chain in chains.items():
        head = chain.links[0]
        assert head.kind == "automation"
        if name.endswith("-2"):
            assert head.findings == (disabled.fingerprint,) and head.status == "broken"
        else:
            assert head.findings == () and head.status == "ok", (name, head)
            assert not chain.broken


def test_a_value_unresolved_at_the_shared_place_marks_every_instance_unknown(
    scan: Callable[..., ScanResult], tmp_path: Path
) -> None:
    """SRC003 is reported once per place (naming the first instance); every instance there is unknown,
    none is shown as fine."""
    path = copied_automations(tmp_path, count=3, disabled=-1)
    doc = json.loads(path.read_text(encoding="utf-8"))
    (automation,) = (r for r in doc["resources"] if r["type"] == "Microsoft.Security/automations")
    automation["properties"]["isEnabled"] = "[parameters('nowhere')]"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    result = scan([path])
    (unresolved,) = [f for f in result.findings if f.rule.id == "SRC003"]
    assert len(result.chains) == 3
    for chain in result.chains:
        head = chain.links[0]
        assert head.status == "unknown" and head.findings == (unresolved.fingerprint,), (
            chain.automation,
            head,
        )


def test_chains_of_a_large_copy_loop_stay_linear(scan: Callable[..., ScanResult], tmp_path: Path) -> None:
    """800 copies, one disabled: the 800 chains hold that one finding once (before: in all 800)."""
    result = scan([copied_automations(tmp_path, count=800, disabled=7)])
    assert len(result.chains) == 800
    held = [fp for chain in result.chains for link in chain.links for fp in link.findings]
    (disabled,) = [f for f in result.findings if f.rule.id == "AUT208"]
    assert held == [disabled.fingerprint]
