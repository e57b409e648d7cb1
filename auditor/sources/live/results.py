"""The result of a live scan and of each read: coverage, counts and bodies, computed on worker threads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor import model as m
from auditor.budget import reraise_bugs
from auditor.sources.live.http import LOG, ReadError, Stats, untrusted

if TYPE_CHECKING:
    from auditor.sources.live.catalogue import Read


# ---------------------------------------------------------------- results


@dataclass
class LiveResult:
    """What a live scan read."""

    inventory: m.Inventory
    coverage: list[m.CoverageRecord]
    access_data: dict[str, Any]
    subscriptions: list[tuple[str, str | None]]
    stats: Stats
    mode: str  # "per-subscription" or "resource-graph"
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Every read succeeded."""
        return all(r.status == "ok" for r in self.coverage)

    def access_snapshot(self) -> Any:
        """The access data as an indexed :class:`auditor.rbac.AccessSnapshot` (None when it is unusable)."""
        from auditor.rbac import SnapshotError, snapshot_from_data

        try:
            return snapshot_from_data(self.access_data, source="live")
        except SnapshotError as exc:
            LOG.warning("the live access data cannot be used for the RB checks: %s", exc)
            return None


Task = tuple[tuple[int, ...], "Read | None", "str | None", Callable[[], Iterable[list[dict[str, Any]]]]]


@dataclass
class Outcome:
    """One finished read (computed on a worker thread, absorbed on the main thread)."""

    order: tuple[int, ...]
    read: Read | None
    subscription: str | None
    bodies: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"
    detail: str = ""
    items: int = 0
    per_subscription: dict[str, int] | None = None  # Resource Graph: rows per subscription
    subscriptions: list[str] | None = None  # Resource Graph: the batch


def run_read(
    order: tuple[int, ...],
    read: Read | None,
    sub: str | None,
    fn: Callable[[], Iterable[list[dict[str, Any]]]],
) -> Outcome:
    out = Outcome(order, read, sub)
    try:
        for page in fn():
            out.items += len(page)
            out.bodies.extend(page)
    except ReadError as exc:
        out.status, out.detail = exc.status, exc.detail
    except Exception as exc:  # a bug: recorded, never fatal for the other reads (re-raised in the tests)
        if reraise_bugs():
            raise
        out.status, out.detail = "failed", f"{type(exc).__name__}: {untrusted(str(exc))}"
    return out
