"""Read Defender for Cloud events live: recent security alerts and unhealthy assessments (issue 13).

``auditor coverage --live`` asks "which of last month's alerts reached no automation?". This module reads
the events through the scanner's machinery, unchanged: the same sign-in, subscription discovery,
read-only pipeline (GET only; a ``list*`` action is refused before it is sent), concurrency, timeouts,
retries of 429/5xx, paging limits and one :class:`~auditor.model.CoverageRecord` per subscription × read,
so LIV001 reports every subscription whose events could not be read. It adds two reads per subscription:

* ``GET /subscriptions/{s}/providers/Microsoft.Security/alerts?api-version=2022-01-01`` (Alerts_List).
  That API version takes no ``$filter`` (the 2015/2019 versions did; azure-rest-api-specs, security
  ``stable/2022-01-01/alerts.json``), so ``--since`` is applied here, to the alert's
  ``timeGeneratedUtc`` (when Defender generated it; ``startTimeUtc`` when that is absent). An alert with
  no readable time is kept: nothing shows it is older.
* ``GET /subscriptions/{s}/providers/Microsoft.Security/assessments?api-version=2021-06-01``
  (Assessments_List, no ``$filter`` either): the *current* state of every assessment, of which the
  ``Unhealthy`` ones (``properties.status.code``) are kept. ``--since`` does not apply: an assessment is a
  state, not an occurrence.

Above ``--graph-threshold`` subscriptions the scanner reads through Resource Graph; these reads then query
``securityresources`` (alerts have the type ``microsoft.security/locations/alerts`` there).

Every answer is hostile until checked: an item goes through :func:`~auditor.sources.live.http.item_problem`
(in :mod:`.http`), then its ``properties`` and the members read here are type-checked; an item of the
alerts list without a string ``alertType`` (or of the assessments list without ``status``) is left out and
the read recorded as failed with the reason. At most :data:`MAX_EVENTS_PER_READ` events are kept per
subscription and read (more is a failed read: the rest was not read). Kept bodies go through
:func:`~auditor.sources.live.sanitizing.sanitize` like every body of a live scan.

The bodies are returned raw; :func:`auditor.events.events_from_bodies` turns them into events, with the
same per-object logic as an event file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor import model as m
from auditor.sources.live.catalogue import READS, Read
from auditor.sources.live.http import untrusted
from auditor.sources.live.sanitizing import as_object, as_text, sanitize
from auditor.sources.live.scanner import LiveScanner

if TYPE_CHECKING:
    from auditor.events import Event
    from auditor.sources.live.options import LiveOptions
    from auditor.sources.live.progress import Progress
    from auditor.sources.live.results import LiveResult

ALERTS_TYPE = "Microsoft.Security/alerts"
ALERTS_API = "2022-01-01"
ASSESSMENTS_TYPE = "Microsoft.Security/assessments"
ASSESSMENTS_API = "2021-06-01"
EVENT_TYPES = frozenset({ALERTS_TYPE.lower(), ASSESSMENTS_TYPE.lower()})
DEFAULT_SINCE = "30d"
#: Events kept of one subscription × read; a subscription with more is recorded as failed (LIV001).
MAX_EVENTS_PER_READ = 100_000
#: Longest --since accepted as a duration (Defender keeps alerts for 90 days; a year is generous).
MAX_SINCE_DAYS = 3660

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([dhm])\s*\Z", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


# ---------------------------------------------------------------- --since


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``30d``, ``12h``, ``90m``, an ISO date (``2026-11-01``, midnight UTC) or an ISO date-time (UTC unless it
    says otherwise) → an aware UTC datetime; ValueError with a message for the user."""
    moment = now or datetime.now(timezone.utc)
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        delta = timedelta(**{_UNITS[unit]: amount})
        if delta > timedelta(days=MAX_SINCE_DAYS):
            raise ValueError(f"--since {text.strip()} reaches back more than {MAX_SINCE_DAYS} days")
        return moment - delta
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "zZ" else value)
    except ValueError:
        raise ValueError(
            f"--since expects a duration such as 30d, 12h or 90m, or an ISO date such as 2026-11-01, got {value!r}"
        ) from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _timestamp(value: Any) -> datetime | None:
    """An ISO 8601 time from an answer (``2026-11-28T09:14:27.1234567Z``), or None when it is not one."""
    text = as_text(value)
    if text is None or not 10 <= len(text) <= 40:
        return None
    text = text.strip()
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    head, dot, rest = text.partition(".")
    if dot:  # .NET writes 7 fractional digits; fromisoformat (3.10) takes at most 6
        digits = re.match(r"\d*", rest)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{frac[:6].ljust(6, '0')}{rest[len(frac) :]}" if frac else head + rest
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def alert_time(body: dict[str, Any]) -> datetime | None:
    """When Defender generated the alert (``timeGeneratedUtc``, else ``startTimeUtc``)."""
    props = as_object(body.get("properties"))
    for key in ("timeGeneratedUtc", "startTimeUtc"):
        found = _timestamp(props.get(key))
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------- shapes


def alert_problem(body: dict[str, Any]) -> str | None:
    """Why an item of the alerts list is not an alert auditor can evaluate (None when it is)."""
    props = body.get("properties")
    if not isinstance(props, dict):
        return "has no properties object"
    if not isinstance(props.get("alertType"), str):
        return "has no alertType string"
    severity = props.get("severity")
    if severity is not None and not isinstance(severity, str):
        return "has a severity that is not a string"
    return None


def assessment_problem(body: dict[str, Any]) -> str | None:
    """Why an item of the assessments list is not an assessment auditor can evaluate (None when it is)."""
    if not str(body.get("type", "")).lower().endswith("/assessments"):
        return "is not of type Microsoft.Security/assessments"
    props = body.get("properties")
    if not isinstance(props, dict):
        return "has no properties object"
    status = props.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("code"), str):
        return "has no status.code string"
    return None


def unhealthy(body: dict[str, Any]) -> bool:
    code = as_object(as_object(body.get("properties")).get("status")).get("code")
    return isinstance(code, str) and code.casefold() == "unhealthy"


def _keep_alert(since: datetime) -> Callable[[dict[str, Any]], bool]:
    def keep(body: dict[str, Any]) -> bool:
        if alert_problem(body) is not None:
            return True  # reported by the reader, not silently dropped
        when = alert_time(body)
        return when is None or when >= since

    return keep


def _keep_assessment(body: dict[str, Any]) -> bool:
    return assessment_problem(body) is not None or unhealthy(body)


def event_reads(since: datetime) -> tuple[Read, Read]:
    """The two reads of Defender events, as the scanner runs them (REST per subscription, or Resource Graph)."""
    return (
        Read(
            ALERTS_TYPE,
            ALERTS_API,
            "securityresources",
            "type =~ 'microsoft.security/locations/alerts'",
            inventory=False,
            keep=_keep_alert(since),
        ),
        Read(
            ASSESSMENTS_TYPE,
            ASSESSMENTS_API,
            "securityresources",
            "type =~ 'microsoft.security/assessments' and properties.status.code =~ 'Unhealthy'",
            inventory=False,
            keep=_keep_assessment,
        ),
    )


# ---------------------------------------------------------------- the reader


@dataclass
class LiveEvents:
    """What a live read of events returned: the scan's result (inventory, coverage) and the event bodies."""

    result: LiveResult
    bodies: list[dict[str, Any]] = field(default_factory=list)
    since: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.result.complete


class LiveEventScanner(LiveScanner):
    """A live scan that also reads alerts (since ``since``) and unhealthy assessments per subscription.

    With ``inventory=False`` only the events (and the subscriptions) are read.
    """

    def __init__(
        self,
        options: LiveOptions,
        since: datetime,
        progress: Progress | None = None,
        *,
        inventory: bool = True,
    ) -> None:
        super().__init__(options, progress)
        self.since = since
        events = event_reads(since)
        self.reads = (*READS, *events) if inventory else events
        self.event_parts: list[tuple[tuple[int, ...], list[dict[str, Any]]]] = []

    def _absorb_bodies(
        self, order: tuple[int, ...], bodies: list[dict[str, Any]], read: Read | None = None
    ) -> str | None:
        if read is None or read.resource_type.lower() not in EVENT_TYPES:
            return super()._absorb_bodies(order, bodies, read)
        check = alert_problem if read.resource_type.lower() == ALERTS_TYPE.lower() else assessment_problem
        noun = "alert" if check is alert_problem else "assessment"
        seen = self.seen.setdefault(read.resource_type.lower(), set())
        kept: list[dict[str, Any]] = []
        odd: list[tuple[dict[str, Any], str]] = []
        for body in bodies:
            problem = check(body)
            if problem is not None:
                odd.append((body, problem))
                continue
            ident = str(body.get("id", "")).lower()
            if ident and ident in seen:
                continue
            seen.add(ident)
            kept.append(body)
        over = len(kept) > MAX_EVENTS_PER_READ
        kept = kept[:MAX_EVENTS_PER_READ]
        self.event_parts.append((order, [sanitize(b) for b in kept]))
        if odd:
            body, problem = odd[0]
            return (
                f"{len(odd)} item{'s' if len(odd) != 1 else ''} of the {noun} list could not be read and "
                f"{'were' if len(odd) != 1 else 'was'} left out (item '{untrusted(body.get('id', '?'), 120)}' "
                f"{problem})"
            )
        if over:
            return f"more than {MAX_EVENTS_PER_READ:,} {noun}s: the first {MAX_EVENTS_PER_READ:,} were kept, the rest left out"
        return None

    def read(self) -> LiveEvents:
        """Run the scan; the result and the event bodies in a fixed order (subscription, then read)."""
        result = self.run()
        bodies = [b for _, part in sorted(self.event_parts, key=lambda x: x[0]) for b in part]
        self.event_parts = []
        return LiveEvents(result=result, bodies=bodies, since=self.since)


def read_events(
    options: LiveOptions, since: datetime, progress: Progress | None = None, *, inventory: bool = True
) -> LiveEvents:
    """Read the deployed automations (unless ``inventory=False``) and the recent events of ``options``'
    subscriptions."""
    return LiveEventScanner(options, since, progress, inventory=inventory).read()


class LiveCollection(NamedTuple):
    """``collect_live``'s answer: unpacks as ``(inventory, events, coverage)``."""

    inventory: m.Inventory
    events: list[Event]
    coverage: list[m.CoverageRecord]


def collect_live(
    options: LiveOptions, since: datetime | str = DEFAULT_SINCE, progress: Progress | None = None
) -> LiveCollection:
    """The deployed inventory, the recent events as :class:`auditor.events.Event` (labelled with their ARM
    id) and the coverage record,
    for ``auditor coverage --live`` (the engine then evaluates the events against the inventory's
    automations exactly as offline). A body that is not an event auditor understands is left out and its
    read's coverage record says so."""
    from auditor.events import events_from_bodies

    moment = parse_since(since) if isinstance(since, str) else since
    found = read_events(options, moment, progress)
    # labelled with the event's ARM id (what a report can point at); the position when it has none
    labels = [str(b.get("id") or f"live#{i}") for i, b in enumerate(found.bodies)]
    events = events_from_bodies(found.bodies, "live", labels=labels)
    return LiveCollection(found.result.inventory, events, list(found.result.coverage))
