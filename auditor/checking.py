"""What a check receives besides the inventory.

Checks are pure functions ``check(inventory, ctx) -> Iterator[Finding]``. The
context gives them the cross-resource links, the bundled facts, and one way to
say "I needed this value but it is unknown": :meth:`CheckContext.unresolved`.
Those records become SRC003 findings, so a check that stays silent on an
unknown value still leaves a trace instead of passing silently.

For the role-prerequisite (RB) checks it also holds the run's access snapshot
and one RBAC :attr:`~CheckContext.evaluator` over it, built on first use so a
run without RB checks never imports :mod:`auditor.rbac`, and built once so its
caches (group closures, scope chains, role matches) serve every check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.catalog import Catalog
    from auditor.link import Links
    from auditor.model import Origin
    from auditor.rbac import Evaluator
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
    access: Any = None  # the run's auditor.rbac.AccessSnapshot (Inventory.access), if any
    _evaluator: Evaluator | None = field(default=None, init=False, repr=False)

    @property
    def evaluator(self) -> Evaluator | None:
        """The RBAC evaluator over :attr:`access` (None without a snapshot), created once per run."""
        if self.access is None:
            return None
        if self._evaluator is None:
            from auditor.rbac import Evaluator

            self._evaluator = Evaluator(self.access)
        return self._evaluator

    def unresolved(self, value: Any, at: Origin, what: str) -> None:
        """Record that the current check skipped ``what`` at ``at`` because ``value`` is unknown."""
        reason = value.reason if isinstance(value, Unknown) else "unknown"
        self.needs.append(Need(self.rule_id, what, reason, at))
