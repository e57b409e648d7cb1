"""What a check receives besides the inventory.

Checks are pure functions ``check(inventory, ctx) -> Iterator[Finding]``. The
context gives them the cross-resource links, the bundled facts, and one way to
say "I needed this value but it is unknown": :meth:`CheckContext.unresolved`.
Those records become SRC003 findings, so a check that stays silent on an
unknown value still leaves a trace instead of passing silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.catalog import Catalog
    from auditor.link import Links
    from auditor.model import Origin
    from auditor.suppressions import SuppressionOutcome


@dataclass(frozen=True)
class Need:
    """A value a check needed that could not be known statically."""

    rule_id: str
    what: str
    reason: str
    origin: Origin


@dataclass
class CheckContext:
    """Links, facts and the unresolved-value log shared by all checks of one run."""

    links: Links
    catalog: Catalog
    needs: list[Need] = field(default_factory=list)
    rule_id: str = ""
    suppression_outcome: SuppressionOutcome | None = None

    def unresolved(self, value: Any, at: Origin, what: str) -> None:
        """Record that the current check skipped ``what`` at ``at`` because ``value`` is unknown."""
        reason = value.reason if isinstance(value, Unknown) else "unknown"
        self.needs.append(Need(self.rule_id, what, reason, at))
