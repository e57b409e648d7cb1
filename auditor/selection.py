"""Which rules run: ``--select`` / ``--ignore`` by id or prefix, ruff's way.

A selector is an id (``LA101``), a family prefix (``LA``) or any longer
prefix (``LA1``); ``ALL`` selects everything. For each rule the most specific
matching selector decides; on a tie ``ignore`` wins. So ``--select LA101
--ignore LA`` keeps LA101 and drops every other LA rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def _matches(selector: str, rule_id: str) -> int:
    """Specificity of ``selector`` for ``rule_id`` (0 = no match)."""
    sel = selector.strip().upper()
    if sel == "ALL":
        return 1
    return len(sel) + 1 if rule_id.upper().startswith(sel) else 0


def validate(selectors: Iterable[str], known_ids: Sequence[str]) -> list[str]:
    """Selectors that match no known rule (reported as usage errors)."""
    return [s for s in selectors if not any(_matches(s, rid) for rid in known_ids)]


def is_selected(rule_id: str, select: Sequence[str] | None, ignore: Sequence[str]) -> bool:
    """Whether a rule runs; ``select=None`` means the default (all rules)."""
    best_select = max((_matches(s, rule_id) for s in (select if select is not None else ["ALL"])), default=0)
    best_ignore = max((_matches(s, rule_id) for s in ignore), default=0)
    if best_select == 0:
        return False
    return best_select > best_ignore
