"""Fault injection: what the emulator does wrong on purpose, and the counters that say when.

A :class:`Faults` is built from a plain dict (the JSON of ``--faults FILE`` or of
``PUT /_emulator/faults``); every key is optional::

    {
      "latency_ms": 50,
      "throttle":    [{"path": "/providers/Microsoft.Logic/workflows", "count": 2, "retry_after": 1}],
      "graph_throttle": {"count": 1},
      "unavailable": [{"path": "/providers/Microsoft.Security/automations", "count": 1}],
      "forbidden":   [{"subscription": "<id>"}, {"subscription": "<id>", "type": "Microsoft.Web/connections"}],
      "foreign_next_link": {"path": "^/subscriptions$", "url": "https://evil.example.invalid/subscriptions?api-version=2022-12-01"},
      "paging":      [{"path": "/providers/Microsoft.Logic/workflows$", "mode": "repeat"}],
      "answer":      [{"path": "/providers/Microsoft.Web/connections$", "status": 302, "body": {"value": []},
                       "headers": {"Location": "https://evil.example.invalid/"}}],
      "token": {"mode": "invalid_client", "count": null, "description": "..."}
    }

``path`` values are regular expressions searched (case-insensitively) in the request path, without
the query string; ``method`` (optional) restricts a rule to one HTTP method. ``count`` is how many
matching requests the rule hits before it stops; ``null`` means every request. Counters restart
whenever faults are set.

``paging`` (default ``count: null``) breaks the paging of matching lists (``nextLink``) or Resource
Graph queries (``$skipToken``, path ``/providers/Microsoft.ResourceGraph/``): ``repeat`` answers every
page with a link to itself (Resource Graph: the token it was sent, or one fixed token), ``cycle`` sends
page links A → B → A, ``endless`` always sends a new link, past the last item (empty pages forever).

``answer`` replaces the whole answer of the first ``count`` matching ARM or Resource Graph requests
(after the bearer token and ``api-version`` checks): ``status``, and a body from ``body`` (any JSON) or
``raw`` (a string sent as UTF-8, ``repeat`` times), ``headers``, ``content_type``; or ``stream_bytes``:
that many bytes of JSON whitespace sent chunked (no Content-Length), 64 KiB at a time, until the client
stops reading (``sent`` counts what was written). ``token.description`` replaces the
``error_description`` of an ``invalid_client`` token fault.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

TOKEN_MODES = ("invalid_client", "unauthorized_client", "server_error", "unavailable", "malformed", "slow")
PAGING_MODES = ("repeat", "cycle", "endless")


class FaultConfigError(ValueError):
    """A faults document that cannot be understood."""


@dataclass
class CountedRule:
    """A rule that hits the first ``count`` matching requests (all of them when count is None)."""

    path: str = ""
    method: str | None = None
    count: int | None = 1
    retry_after: int | None = None  # throttle rules only: seconds in Retry-After (None = header omitted)
    hits: int = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self._regex = re.compile(self.path, re.IGNORECASE)
        except re.error as exc:
            raise FaultConfigError(f"bad path pattern {self.path!r}: {exc}") from exc

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return bool(self._regex.search(path))

    def take(self) -> bool:
        """Consume one hit if any is left."""
        if self.count is not None and self.hits >= self.count:
            return False
        self.hits += 1
        return True

    def to_json(self) -> JSON:
        out: JSON = {"path": self.path, "count": self.count, "hits": self.hits}
        if self.method:
            out["method"] = self.method
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out


@dataclass
class ForbiddenRule:
    subscription: str
    type: str | None = None  # e.g. "Microsoft.Web/connections"; None = every path of the subscription

    def matches(self, path: str) -> bool:
        low = path.lower()
        prefix = f"/subscriptions/{self.subscription.lower()}"
        if not (low == prefix or low.startswith(prefix + "/")):
            return False
        if self.type is None:
            return True
        return f"/providers/{self.type.lower()}" in low

    def covers_row(self, subscription_id: str, rtype: str) -> bool:
        """For Resource Graph rows: is this row hidden by the rule?"""
        if subscription_id.lower() != self.subscription.lower():
            return False
        return self.type is None or self.type.lower() == rtype.lower()

    def to_json(self) -> JSON:
        return {"subscription": self.subscription, "type": self.type}


@dataclass
class ForeignNextLink:
    path: str
    url: str
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path, re.IGNORECASE)

    def matches(self, path: str) -> bool:
        return bool(self._regex.search(path))

    def to_json(self) -> JSON:
        return {"path": self.path, "url": self.url}


@dataclass
class PagingRule(CountedRule):
    """Paging that never ends by itself (see the module docstring)."""

    mode: str = "repeat"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in PAGING_MODES:
            raise FaultConfigError(f"paging mode must be one of {', '.join(PAGING_MODES)}; got {self.mode!r}")

    def to_json(self) -> JSON:
        return {**super().to_json(), "mode": self.mode}


@dataclass
class AnswerRule(CountedRule):
    """A whole answer served instead of the real one (see the module docstring)."""

    status: int = 200
    body: Any = None
    raw: str | None = None
    repeat: int = 1
    stream_bytes: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    sent: int = 0  # bytes of a stream_bytes answer actually written

    def payload(self) -> bytes | None:
        """The body bytes (None: ``body`` is JSON for the server to encode, or nothing)."""
        if self.raw is not None:
            return self.raw.encode("utf-8", "surrogatepass") * max(1, self.repeat)
        return None

    def to_json(self) -> JSON:
        out = {**super().to_json(), "status": self.status, "sent": self.sent}
        if self.stream_bytes:
            out["stream_bytes"] = self.stream_bytes
        return out


@dataclass
class TokenFault:
    mode: str
    count: int | None = None
    hits: int = 0
    description: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in TOKEN_MODES:
            raise FaultConfigError(
                f"token fault mode must be one of {', '.join(TOKEN_MODES)}; got {self.mode!r}"
            )

    def take(self) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        self.hits += 1
        return True

    def to_json(self) -> JSON:
        return {"mode": self.mode, "count": self.count, "hits": self.hits}


@dataclass
class Faults:
    latency_ms: int = 0
    throttle: list[CountedRule] = field(default_factory=list)
    graph_throttle: CountedRule | None = None
    unavailable: list[CountedRule] = field(default_factory=list)
    forbidden: list[ForbiddenRule] = field(default_factory=list)
    foreign_next_link: ForeignNextLink | None = None
    paging: list[PagingRule] = field(default_factory=list)
    answer: list[AnswerRule] = field(default_factory=list)
    token: TokenFault | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def from_json(cls, doc: JSON | None) -> Faults:
        doc = dict(doc or {})
        known = {
            "latency_ms",
            "throttle",
            "graph_throttle",
            "unavailable",
            "forbidden",
            "foreign_next_link",
            "paging",
            "answer",
            "token",
            "_comment",
        }
        unknown = set(doc) - known
        if unknown:
            raise FaultConfigError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        try:
            faults = cls(latency_ms=int(doc.get("latency_ms") or 0))
            for item in doc.get("throttle") or []:
                retry_after = item.get("retry_after", 1)
                faults.throttle.append(
                    CountedRule(
                        path=str(item.get("path", "")),
                        method=item.get("method"),
                        count=_count(item),
                        retry_after=None if retry_after is None else int(retry_after),
                    )
                )
            graph = doc.get("graph_throttle")
            if graph is not None:
                if isinstance(graph, int):
                    graph = {"count": graph}
                faults.graph_throttle = CountedRule(
                    path="/providers/Microsoft.ResourceGraph/", count=_count(graph)
                )
            for item in doc.get("unavailable") or []:
                faults.unavailable.append(
                    CountedRule(path=str(item.get("path", "")), method=item.get("method"), count=_count(item))
                )
            for item in doc.get("forbidden") or []:
                faults.forbidden.append(
                    ForbiddenRule(subscription=str(item["subscription"]), type=item.get("type"))
                )
            fnl = doc.get("foreign_next_link")
            if fnl:
                faults.foreign_next_link = ForeignNextLink(path=str(fnl.get("path", "")), url=str(fnl["url"]))
            for item in doc.get("paging") or []:
                faults.paging.append(
                    PagingRule(
                        path=str(item.get("path", "")),
                        method=item.get("method"),
                        count=item.get("count"),  # default: every page of every matching list
                        mode=str(item.get("mode", "repeat")),
                    )
                )
            for item in doc.get("answer") or []:
                raw = item.get("raw")
                faults.answer.append(
                    AnswerRule(
                        path=str(item.get("path", "")),
                        method=item.get("method"),
                        count=_count(item),
                        status=int(item.get("status", 200)),
                        body=item.get("body"),
                        raw=None if raw is None else str(raw),
                        repeat=int(item.get("repeat", 1)),
                        stream_bytes=int(item.get("stream_bytes", 0)),
                        headers={str(k): str(v) for k, v in (item.get("headers") or {}).items()},
                        content_type=item.get("content_type"),
                    )
                )
            tok = doc.get("token")
            if tok:
                if isinstance(tok, str):
                    tok = {"mode": tok}
                faults.token = TokenFault(
                    mode=str(tok["mode"]), count=tok.get("count"), description=tok.get("description")
                )
        except (KeyError, TypeError, ValueError, re.error) as exc:
            if isinstance(exc, FaultConfigError):
                raise
            raise FaultConfigError(f"bad faults document: {exc!r}") from exc
        return faults

    def to_json(self) -> JSON:
        with self.lock:
            return {
                "latency_ms": self.latency_ms,
                "throttle": [r.to_json() for r in self.throttle],
                "graph_throttle": self.graph_throttle.to_json() if self.graph_throttle else None,
                "unavailable": [r.to_json() for r in self.unavailable],
                "forbidden": [r.to_json() for r in self.forbidden],
                "foreign_next_link": self.foreign_next_link.to_json() if self.foreign_next_link else None,
                "paging": [r.to_json() for r in self.paging],
                "answer": [r.to_json() for r in self.answer],
                "token": self.token.to_json() if self.token else None,
            }

    # -- decisions (thread-safe; each consumes a hit when it fires) --------------------------------

    def take_throttle(self, method: str, path: str) -> CountedRule | None:
        with self.lock:
            for rule in self.throttle:
                if rule.matches(method, path) and rule.take():
                    return rule
        return None

    def take_graph_throttle(self) -> bool:
        with self.lock:
            return self.graph_throttle is not None and self.graph_throttle.take()

    def take_unavailable(self, method: str, path: str) -> bool:
        with self.lock:
            return any(rule.matches(method, path) and rule.take() for rule in self.unavailable)

    def forbidden_for(self, path: str) -> ForbiddenRule | None:
        for rule in self.forbidden:
            if rule.matches(path):
                return rule
        return None

    def hides_row(self, subscription_id: str, rtype: str) -> bool:
        return any(rule.covers_row(subscription_id, rtype) for rule in self.forbidden)

    def take_paging(self, method: str, path: str) -> PagingRule | None:
        with self.lock:
            for rule in self.paging:
                if rule.matches(method, path) and rule.take():
                    return rule
        return None

    def take_answer(self, method: str, path: str) -> AnswerRule | None:
        with self.lock:
            for rule in self.answer:
                if rule.matches(method, path) and rule.take():
                    return rule
        return None

    def take_token_fault(self) -> str | None:
        with self.lock:
            if self.token is not None and self.token.take():
                return self.token.mode
        return None


def _count(item: JSON) -> int | None:
    if "count" not in item:
        return 1
    value = item["count"]
    return None if value is None else int(value)
