"""Rule selectors, ruff's way: the one matcher for ``--select`` / ``--ignore``, ``per-file-ignores``
and suppressions (inline and configured).

A selector is an id (``LA101``), a family prefix (``LA``) or any longer
prefix (``LA1``); ``ALL`` selects everything; case and surrounding blanks do
not matter. For the selection of rules, the most specific matching selector
decides; on a tie ``ignore`` wins. So ``--select LA101 --ignore LA`` keeps LA101
and drops every other LA rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def specificity(selector: str, rule_id: str) -> int:
    """How specifically ``selector`` names ``rule_id``: 0 when it does not match, 1 for ``ALL``."""
    sel = selector.strip().upper()
    if sel == "ALL":
        return 1
    return len(sel) + 1 if rule_id.upper().startswith(sel) else 0


def matches(selector: str, rule_id: str) -> bool:
    """Whether ``selector`` names ``rule_id`` (an id, a prefix of it, or ``ALL``)."""
    return specificity(selector, rule_id) > 0


def matches_any(selectors: Iterable[str], rule_id: str) -> bool:
    """Whether any of ``selectors`` names ``rule_id``."""
    return any(specificity(s, rule_id) for s in selectors)


def validate(selectors: Iterable[str], known_ids: Sequence[str]) -> list[str]:
    """Selectors that match no known rule (reported as usage errors)."""
    return [s for s in selectors if not any(specificity(s, rid) for rid in known_ids)]


def is_selected(rule_id: str, select: Sequence[str] | None, ignore: Sequence[str]) -> bool:
    """Whether a rule runs; ``select=None`` means the default (all rules)."""
    best_select = max(
        (specificity(s, rule_id) for s in (select if select is not None else ["ALL"])), default=0
    )
    best_ignore = max((specificity(s, rule_id) for s in ignore), default=0)
    if best_select == 0:
        return False
    return best_select > best_ignore
