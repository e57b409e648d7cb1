"""What a check receives besides the inventory.

Checks are pure functions ``check(inventory, ctx) -> Iterator[Finding]``. The
context gives them the cross-resource links, the bundled facts, and one way to
say "I needed this value but it is unknown": :meth:`CheckContext.unresolved`.
Those records become SRC003 findings, so a check that stays silent on an
unknown value still leaves a trace instead of passing silently.

For the role-prerequisite (RB) checks it also holds the run's settings (the
access snapshot, the declared principals: what the user asked of this run, not
what the scanned files say, so they are not part of the inventory) and one RBAC
:attr:`~CheckContext.evaluator` over the snapshot, built on first use so a
run without RB checks never imports :mod:`auditor.rbac`, and built once so its
caches (group closures, scope chains, role matches) serve every check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from auditor.records import record
from auditor.unknown import AmbiguousLink, Unknown

if TYPE_CHECKING:
    from auditor.catalog import Catalog
    from auditor.link import Links
    from auditor.model import Origin
    from auditor.rbac import Evaluator
    from auditor.suppressions import SuppressionOutcome


@record()
class Need:
    """A value a check needed that could not be known statically."""

    rule_id: str
    what: str
    reason: str
    origin: Origin
    related: tuple[Origin, ...] = ()  # the candidates of an ambiguous link (AmbiguousLink)


@record()
class RunSettings:
    """Who must be able to do what in this run: given on the command line or in the configuration."""

    access: Any = None  # the loaded auditor.rbac.AccessSnapshot, if any
    # declared principals' object ids by role ("deployer", "editors", "responders")
    principals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Role checks were asked for (a snapshot, a principal, or RB rules selected by name or prefix):
    # only then does RB400 say what is missing; a plain scan stays quiet about them.
    roles_requested: bool = False
    # auditor coverage (COV001): the lowest event severity an undelivered alert group is reported at
    # ("info" | "low" | "medium" | "high" | "critical"; --min-severity or coverage-min-severity).
    coverage_min_severity: str = "high"


@record(frozen=False)
class CheckContext:
    """Links, facts and the unresolved-value log shared by all checks of one run."""

    links: Links
    catalog: Catalog
    needs: list[Need] = field(default_factory=list)
    rule_id: str = ""
    suppression_outcome: SuppressionOutcome | None = None
    settings: RunSettings = field(default_factory=RunSettings)
    _evaluator: Evaluator | None = field(default=None, init=False, repr=False)

    @property
    def access(self) -> Any:
        """The run's access snapshot (None without one)."""
        return self.settings.access

    def principals(self, role: str) -> tuple[str, ...]:
        """The declared principals' object ids for ``role`` ("deployer", "editors", "responders")."""
        return tuple(self.settings.principals.get(role, ()))

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
        related = value.candidates if isinstance(value, AmbiguousLink) else ()
        self.needs.append(Need(self.rule_id, what, reason, at, related))
