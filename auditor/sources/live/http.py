"""The one HTTP pipeline of a live scan: read-only, one host, bounded retries, no secrets in logs.

Every request of a scan goes through :class:`ArmHttp`: one azure-core ``Pipeline`` over one
``RequestsTransport`` (one ``requests.Session`` sized for ``--concurrency``), shared by every thread and
by the credential. Its policies, in order:

1. :class:`ReadOnlyPolicy` refuses, before anything is sent (and before a token is attached), any
   request that is not a ``GET`` (the Resource Graph query ``POST`` is the single exception), any
   ``list*`` action (``listCallbackUrl``, ``listKeys``, ``listSecrets``…) and any URL on another
   scheme/host/port than the ARM endpoint: a bearer token never leaves for another host.
2. ``RequestIdPolicy``, ``HeadersPolicy``, ``UserAgentPolicy``.
3. :class:`CappedRetryPolicy`: azure-core's retries (408/429/5xx, connection errors) with exponential
   backoff; ``Retry-After`` is honoured but capped (``LiveOptions.max_retry_after``).
4. ``ARMChallengeAuthenticationPolicy`` (the bearer token, CAE challenges).
5. :class:`StatsPolicy`: counts requests, retries and throttling for the progress display and logs
   ``METHOD path status duration`` with ``--verbose`` (never headers, never the query string, never
   bodies).
6. :class:`BoundedBodyPolicy`: reads each answer's body as it arrives (the pipeline runs with
   ``stream=True``), at most ``max_answer_bytes`` of it (decoded) and within ``--request-timeout``,
   then closes the response, so a hostile or broken endpoint cannot make one answer use unbounded
   memory or time. The bytes reach :class:`ArmHttp` through the pipeline context.

An answer is data only when its status is 200 and its body is the JSON shape that read expects: any
other status (a redirect with or without ``Location``, 1xx, 204, 4xx with a list-like body, 5xx after
the retries) is an error for that read, as is a body that is not JSON, nests deeper than
:data:`MAX_ANSWER_DEPTH`, or has a ``value`` / ``data`` that is not a list. An item of a list that is not
an ARM object (not a JSON object, or ``id``/``name``/``type``/... of the wrong type) is skipped, and the
read is recorded as failed with the reason, so LIV001 shows it. Paging (``nextLink``, Resource Graph's
``$skipToken``) stops with an error on a link or token already seen (a repeat or a cycle), after
:data:`MAX_PAGES` pages, or once the pages of one read add up to :data:`MAX_READ_BYTES`: a truncated
list is an incomplete scan, never a silent one.

Every piece of an Azure answer that goes into an error detail (error codes, the action named in a 403,
a redirect's host, exception text) is passed through :func:`auditor.neutral.terminal` and shortened,
since those details end up on stderr and in every report.

No ``RedirectPolicy`` (a redirect is never followed; the transport sends with ``allow_redirects=False``),
no ``ARMAutoResourceProviderRegistrationPolicy`` (``ARMPipelineClient`` and every azure-mgmt client add it
unless ``policies=`` is passed; it would ``POST …/register`` on a 409 ``MissingSubscriptionRegistration``),
no ``HttpLoggingPolicy`` / ``NetworkTraceLoggingPolicy``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from auditor import __version__
from auditor.neutral import terminal
from auditor.sources.core.extract import json_kind
from auditor.sources.live.options import MAX_ANSWER_BYTES, MAX_PAGES, MAX_READ_BYTES

LOG = logging.getLogger("auditor.live")

GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
GRAPH_API_VERSION = "2021-03-01"
# Actions that return secrets (ARM serves them as POST, refused anyway; refused here even as a GET).
_SECRET_ACTIONS = frozenset(
    {
        "listcallbackurl",
        "listswaggercallbackurl",
        "listcontentcallbackurl",
        "listkeys",
        "listsecrets",
        "listconnectionkeys",
        "listconsentlinks",
        "listaccountsas",
        "listservicesas",
        "regenerateaccesskey",
    }
)
_ACTION_IN_MESSAGE = re.compile(r"perform action '([^']+)'")

#: JSON nesting of one answer item (Logic Apps allow 8 levels of nested actions: a real definition is a
#: few dozen levels deep).
MAX_ANSWER_DEPTH = 128
#: Characters of one nextLink or $skipToken.
MAX_LINK = 64 * 1024
#: Top-level members of an ARM object that must be strings (when present) ...
_STRING_MEMBERS = ("id", "name", "type", "location", "kind", "subscriptionId", "tenantId", "displayName")
#: ... and those that must be objects.
_OBJECT_MEMBERS = ("properties", "identity", "sku", "tags")
_BODY_KEY = "auditor_body"
_DEADLINE_KEY = "auditor_answer_timeout"


class RequestRefused(Exception):
    """The read-only policy stopped a request before it was sent."""


class AnswerRefused(Exception):
    """The body policy stopped reading an answer (too large, or too slow to arrive)."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status  # failed | timed-out
        self.detail = detail


@dataclass
class Stats:
    """Counters shared by every thread (read by the progress display and the benchmark)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, retry: bool, status: int | None) -> None:
        with self.lock:
            self.requests += 1
            if retry:
                self.retries += 1
            if status == 429:
                self.throttled += 1
            if status is None or status >= 400:
                self.errors += 1


class ReadError(Exception):
    """A read that did not succeed, already classified for the coverage record."""

    def __init__(self, status: str, detail: str, http_status: int | None = None) -> None:
        super().__init__(detail)
        self.status = status  # forbidden | failed | throttled-out | timed-out
        self.detail = detail
        self.http_status = http_status


def role_hint(action: str) -> str:
    """Which built-in role grants a read ``action`` the scanning identity lacks."""
    low = action.lower()
    if low.startswith("microsoft.security/"):
        return "Security Reader (or Reader) on the subscription or a management group above it grants it"
    if low.startswith("microsoft.management/"):
        return "Reader (or Management Group Reader) on the management group grants it"
    return "Reader on the subscription (or a management group above it) grants it"


def untrusted(text: Any, limit: int = 200) -> str:
    """A piece of an Azure answer as it may appear in an error detail: one safe line, at most ``limit``
    characters of the original."""
    value = text if isinstance(text, str) else str(text)
    return terminal(value[:limit]) + ("…" if len(value) > limit else "")


def _error_code(body: Any) -> tuple[str, str]:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return (
            code if isinstance(code, str) else "",
            message if isinstance(message, str) else "",
        )
    return "", ""


def _too_deep(value: Any, limit: int) -> bool:
    """Does ``value`` nest containers more than ``limit`` levels deep? (Iterative: no recursion.)"""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return False


def item_problem(item: Any, depth_limit: int = MAX_ANSWER_DEPTH) -> str | None:
    """Why ``item`` (one element of a list answer, or one GET body) is not an ARM object; None if it is."""
    if not isinstance(item, dict):
        return f"an item is {json_kind(item)}, not a JSON object"
    ident = item.get("id")
    label = f"item '{untrusted(ident, 120)}'" if isinstance(ident, str) else "an item"
    for key in _STRING_MEMBERS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            return f"{label} has a '{key}' that is {json_kind(value)}, not a string"
    for key in _OBJECT_MEMBERS:
        value = item.get(key)
        if value is not None and not isinstance(value, dict):
            return f"{label} has a '{key}' that is {json_kind(value)}, not an object"
    if _too_deep(item, depth_limit):
        return f"{label} nests deeper than {depth_limit} levels"
    return None


class _Skipped:
    """Items of a list answer that were not ARM objects: left out, counted, and reported at the end."""

    def __init__(self, depth_limit: int) -> None:
        self.depth_limit = depth_limit
        self.count = 0
        self.first = ""

    def keep(self, items: list[Any]) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = []
        for item in items:
            problem = item_problem(item, self.depth_limit)
            if problem is None:
                kept.append(item)
                continue
            self.count += 1
            self.first = self.first or problem
        return kept

    def raise_if_any(self) -> None:
        if self.count:
            were = "were" if self.count != 1 else "was"
            raise ReadError(
                "failed",
                f"{self.count} item{'s' if self.count != 1 else ''} of the answer could not be read and {were} "
                f"left out ({self.first})",
            )


def _link_key(url: str) -> str:
    """A nextLink as compared for repeats: scheme, host, decoded path and sorted query (a digest)."""
    parts = urlsplit(url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    key = json.dumps([parts.scheme.lower(), parts.netloc.lower(), unquote(parts.path).lower(), query])
    return hashlib.sha256(key.encode("utf-8", "backslashreplace")).hexdigest()


def _same_origin(url: str, origin: tuple[str, str]) -> bool:
    parts = urlsplit(url)
    return (parts.scheme.lower(), parts.netloc.lower()) == origin


def build_pipeline(
    endpoint: str,
    credential: Any,
    scope: str,
    transport: Any,
    stats: Stats,
    *,
    retries: int,
    max_retry_after: float,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
    answer_timeout: float = 30.0,
) -> Any:
    """The azure-core pipeline described in the module docstring."""
    from azure.core.pipeline import Pipeline
    from azure.core.pipeline.policies import (
        HeadersPolicy,
        HTTPPolicy,
        RequestIdPolicy,
        RetryPolicy,
        SansIOHTTPPolicy,
        UserAgentPolicy,
    )
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    origin = (urlsplit(endpoint).scheme.lower(), urlsplit(endpoint).netloc.lower())

    class ReadOnlyPolicy(SansIOHTTPPolicy):
        """Refuse writes, secret-returning actions and other hosts before anything is sent."""

        def on_request(self, request: Any) -> None:
            http = request.http_request
            method = http.method.upper()
            parts = urlsplit(http.url)
            if (parts.scheme.lower(), parts.netloc.lower()) != origin:
                raise RequestRefused(
                    f"refused a request to {parts.scheme}://{parts.hostname}: a live scan talks to its ARM "
                    "endpoint only"
                )
            path = parts.path.rstrip("/").lower()
            if method == "POST" and path == GRAPH_PATH:
                return
            if method != "GET":
                raise RequestRefused(f"refused {method} {parts.path}: a live scan only reads (GET)")
            if path.rsplit("/", 1)[-1] in _SECRET_ACTIONS:
                raise RequestRefused(f"refused {parts.path}: a live scan never calls list*/secret actions")

    class CappedRetryPolicy(RetryPolicy):
        """azure-core's retries with ``Retry-After`` honoured up to a cap."""

        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(float(value), max_retry_after)

    class StatsPolicy(HTTPPolicy):
        """Counts every attempt (retries included) and logs it without headers or query."""

        def send(self, request: Any) -> Any:
            context = request.context
            retry = bool(context.get("auditor_attempted"))
            context["auditor_attempted"] = True
            http = request.http_request
            started = time.monotonic()
            status: int | None = None
            try:
                response = self.next.send(request)
                status = response.http_response.status_code
                return response
            finally:
                stats.add(retry=retry, status=status)
                if LOG.isEnabledFor(logging.INFO):
                    LOG.info(
                        "%s %s %s %.0f ms%s",
                        http.method,
                        untrusted(urlsplit(http.url).path, 300),  # a nextLink's path is Azure's text
                        status if status is not None else "error",
                        (time.monotonic() - started) * 1000,
                        " (retry)" if retry else "",
                    )

    class BoundedBodyPolicy(HTTPPolicy):
        """Read each answer's body now, bounded in size and time, and release the connection."""

        def send(self, request: Any) -> Any:
            context = request.context
            timeout = context.options.pop(_DEADLINE_KEY, None)
            if timeout is not None:  # popped on the first attempt, kept for the retries
                context[_DEADLINE_KEY] = timeout
            timeout = float(context.get(_DEADLINE_KEY, answer_timeout))
            context[_BODY_KEY] = b""
            response = self.next.send(request)
            http = response.http_response
            try:
                declared = str(http.headers.get("Content-Length") or "").strip()
                if declared.isdigit() and int(declared) > max_answer_bytes:
                    raise AnswerRefused(
                        "failed",
                        f"{http.status_code}: the answer announces {int(declared):,} bytes, more than the "
                        f"{max_answer_bytes:,} a live scan reads of one answer: not read",
                    )
                ends = time.monotonic() + timeout
                chunks: list[bytes] = []
                size = 0
                for chunk in http.iter_bytes():
                    size += len(chunk)
                    if size > max_answer_bytes:
                        raise AnswerRefused(
                            "failed",
                            f"{http.status_code}: the answer is larger than the {max_answer_bytes:,} bytes a "
                            "live scan reads of one answer: reading stopped there",
                        )
                    if time.monotonic() > ends:
                        raise AnswerRefused(
                            "timed-out",
                            f"{http.status_code}: the answer did not arrive within --request-timeout "
                            f"({timeout:g} s): reading stopped there",
                        )
                    chunks.append(chunk)
                context[_BODY_KEY] = b"".join(chunks)
            finally:
                with contextlib.suppress(Exception):  # closing must never hide the answer or its error
                    http.close()
            return response

    policies = [
        ReadOnlyPolicy(),
        RequestIdPolicy(),
        HeadersPolicy({"Accept": "application/json"}),
        UserAgentPolicy(base_user_agent=f"auditor/{__version__}"),
        CappedRetryPolicy(
            retry_total=retries,
            retry_backoff_factor=0.5,
            retry_backoff_max=max(1.0, min(30.0, max_retry_after)),
        ),
        ARMChallengeAuthenticationPolicy(credential, scope),
        StatsPolicy(),
        BoundedBodyPolicy(),
    ]
    return Pipeline(transport=transport, policies=policies)  # type: ignore[arg-type]


def make_transport(concurrency: int, request_timeout: float) -> tuple[Any, Any]:
    """One requests session (pool sized for the threads) and the azure-core transport over it."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.trust_env = True  # REQUESTS_CA_BUNDLE, proxies
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=concurrency + 4,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    transport = RequestsTransport(
        session=session,
        session_owner=False,
        connection_timeout=min(10.0, request_timeout),
        read_timeout=request_timeout,
        connection_data_block_size=64 * 1024,  # the chunks BoundedBodyPolicy counts
    )
    return session, transport


class ArmHttp:
    """GET (with paging) and Resource Graph queries over the shared pipeline, errors classified."""

    def __init__(
        self,
        endpoint: str,
        pipeline: Any,
        *,
        request_timeout: float,
        deadline: float,
        stop: threading.Event,
        graph_retries: int = 6,
        max_pages: int = MAX_PAGES,
        max_read_bytes: int = MAX_READ_BYTES,
        max_depth: int = MAX_ANSWER_DEPTH,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        parts = urlsplit(self.endpoint)
        self.origin = (parts.scheme.lower(), parts.netloc.lower())
        self.pipeline = pipeline
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.stop = stop
        self.graph_retries = graph_retries
        self.max_pages = max_pages
        self.max_read_bytes = max_read_bytes
        self.max_depth = max_depth

    # ------------------------------------------------------------ one request

    def _remaining(self) -> float:
        if self.stop.is_set():
            raise ReadError("timed-out", "the scan was stopped (--scan-timeout)")
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ReadError("timed-out", "--scan-timeout reached before this read")
        return remaining

    def _send(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[Any, bytes]:
        """One request (with the pipeline's retries); the final answer and its body (bounded)."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            ServiceRequestTimeoutError,
            ServiceResponseTimeoutError,
        )
        from azure.core.rest import HttpRequest

        remaining = self._remaining()
        request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
        try:
            response = self.pipeline.run(
                request,
                stream=True,  # BoundedBodyPolicy reads the body, counting
                timeout=remaining,  # the retry policy's budget for all attempts of this request
                connection_timeout=min(10.0, self.request_timeout, remaining),
                read_timeout=min(self.request_timeout, remaining),
                **{_DEADLINE_KEY: min(self.request_timeout, remaining)},
            )
        except RequestRefused as exc:
            raise ReadError("failed", str(exc)) from None
        except AnswerRefused as exc:
            raise ReadError(exc.status, exc.detail) from None
        except (ServiceRequestTimeoutError, ServiceResponseTimeoutError, TimeoutError):
            raise ReadError(
                "timed-out", f"no answer within --request-timeout ({self.request_timeout:g} s)"
            ) from None
        except ClientAuthenticationError as exc:
            raise ReadError("failed", f"authentication failed: {_first_line(exc)}") from None
        except Exception as exc:  # connection errors after the retries, TLS problems...
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                raise ReadError(
                    "timed-out", f"no answer within --request-timeout ({self.request_timeout:g} s)"
                ) from None
            raise ReadError("failed", f"{type(exc).__name__}: {_first_line(exc)}") from None
        data = response.context.get(_BODY_KEY, b"")
        return response.http_response, data if isinstance(data, bytes) else b""

    def _decode(self, status: int, data: bytes) -> Any:
        """The JSON of a 200 answer (an empty body, non-JSON or a 1,000-deep nesting is an error)."""
        if not data.strip():
            raise ReadError("failed", f"{status}: the answer is empty", status)
        try:
            return json.loads(data)
        except RecursionError:
            raise ReadError(
                "failed", f"{status}: the answer nests too deeply to be read as JSON", status
            ) from None
        except ValueError:  # also UnicodeDecodeError: not UTF-8/16/32
            raise ReadError("failed", f"{status}: the answer is not JSON", status) from None

    def _check(self, response: Any, data: bytes, what: str) -> None:
        """Raise the classified error for any answer that is not a 200: only a 200 carries data."""
        status = response.status_code
        if status == 200:
            return
        if status < 200 or 200 < status < 300:
            raise ReadError(
                "failed",
                f"{status}: not the 200 answer a read gets; a live scan takes no data from it",
                status,
            )
        if status < 400:
            location = response.headers.get("Location") or ""
            host = urlsplit(location).hostname if location else None
            where = (
                f" to {untrusted(host, 100)}" if host else (" (without a Location)" if not location else "")
            )
            raise ReadError(
                "failed",
                f"{status}: ARM answered with a redirect{where}; a live scan follows no redirect and takes no "
                "data from it",
                status,
            )
        try:
            body = json.loads(data) if data.strip() else None
        except (ValueError, RecursionError):
            body = None
        code, message = _error_code(body)
        label = f"{status} {untrusted(code, 100)}".strip()
        if status == 403:
            match = _ACTION_IN_MESSAGE.search(message)
            action = untrusted(match.group(1), 200) if match else f"{what}/read"
            raise ReadError(
                "forbidden", f"{label}: the identity lacks '{action}'; {role_hint(action)}", status
            )
        if status == 429:
            raise ReadError("throttled-out", f"{label}: still throttled after the retries", status)
        if status == 401:
            raise ReadError("failed", f"{label}: ARM refused the token", status)
        if status >= 500:
            raise ReadError("failed", f"{label}: still failing after the retries", status)
        raise ReadError("failed", label, status)

    def get(self, path: str, params: dict[str, str], what: str) -> dict[str, Any]:
        """One GET of ``path`` (relative to the endpoint); the decoded body, an ARM object."""
        url = f"{self.endpoint}{path}?{urlencode(params, safe='$')}"
        response, data = self._send("GET", url)
        self._check(response, data, what)
        body = self._decode(response.status_code, data)
        problem = item_problem(body, self.max_depth)
        if problem is not None:
            raise ReadError("failed", f"{response.status_code}: the answer is not an ARM object ({problem})")
        result: dict[str, Any] = body
        return result

    def _page_cap(self, number: int, noun: str) -> None:
        """Before page ``number`` is asked for: not more than ``max_pages`` of them."""
        if number > self.max_pages:
            raise ReadError(
                "failed",
                f"the {noun} went on for more than {self.max_pages:,} pages: stopped there; the rest was not read",
            )

    def _byte_budget(self, number: int, spent: int, noun: str) -> None:
        """After page ``number``: the pages so far add up to at most ``max_read_bytes``."""
        if spent > self.max_read_bytes:
            raise ReadError(
                "failed",
                f"the {noun}'s pages add up to more than the {self.max_read_bytes:,} bytes a live scan reads for "
                f"one read: stopped after {number} page{'s' if number != 1 else ''}; the rest was not read",
            )

    def pages(self, path: str, params: dict[str, str], what: str) -> Iterator[list[dict[str, Any]]]:
        """The ``value`` of each page of a list, following ``nextLink`` on the endpoint's host only.

        Stops with a :class:`ReadError` on a nextLink already followed (a repeat or a cycle), after
        ``max_pages`` pages or ``max_read_bytes`` bytes; items that are not ARM objects are left out and
        reported once the list has been read.
        """
        url = f"{self.endpoint}{path}?{urlencode(params, safe='$')}"
        seen: set[str] = set()
        skipped = _Skipped(self.max_depth)
        spent = 0
        number = 0
        while True:
            number += 1
            self._page_cap(number, "list")
            seen.add(_link_key(url))
            response, data = self._send("GET", url)
            spent += len(data)
            self._byte_budget(number, spent, "list")
            if response.status_code in (404, 409):
                try:
                    code, _ = _error_code(json.loads(data) if data.strip() else None)
                except (ValueError, RecursionError):
                    code = ""
                if code in (
                    "InvalidResourceType",
                    "MissingSubscriptionRegistration",
                    "NoRegisteredProviderFound",
                ):
                    return  # the resource provider is not registered: nothing of this type can exist
            self._check(response, data, what)
            body = self._decode(response.status_code, data)
            if not isinstance(body, dict):
                raise ReadError(
                    "failed", f"200: the answer is {json_kind(body)}, not a list (an object with 'value')"
                )
            values = body.get("value")
            if not isinstance(values, list):
                raise ReadError("failed", f"200: the answer's 'value' is {json_kind(values)}, not a list")
            yield skipped.keep(values)
            next_link = body.get("nextLink")
            if next_link is None or next_link == "":
                break
            if not isinstance(next_link, str) or len(next_link) > MAX_LINK:
                raise ReadError(
                    "failed",
                    f"the answer's nextLink is {json_kind(next_link)}{' too long' if isinstance(next_link, str) else ''}, "
                    "not a link to the next page: the rest of the list was not read",
                )
            if not _same_origin(next_link, self.origin):
                host = urlsplit(next_link).hostname or "?"
                raise ReadError(
                    "failed",
                    f"refused a nextLink to another host ({untrusted(host, 100)}): the rest of the list was not "
                    "read and no token was sent there",
                )
            if _link_key(next_link) in seen:
                raise ReadError(
                    "failed",
                    f"the list's nextLink points back at a page already read (after {number} "
                    f"page{'s' if number != 1 else ''}): paging stopped; the rest of the list was not read",
                )
            url = next_link
        skipped.raise_if_any()

    # ------------------------------------------------------------ Resource Graph

    def graph(
        self,
        query: str,
        *,
        subscriptions: list[str] | None = None,
        management_groups: list[str] | None = None,
        what: str,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a Resource Graph query (``$skipToken`` paging; 429 without Retry-After retried here).

        Stops with a :class:`ReadError` on a ``$skipToken`` already sent (a repeat or a cycle), after
        ``max_pages`` pages or ``max_read_bytes`` bytes, and on ``resultTruncated`` without a token.
        """
        url = f"{self.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API_VERSION}"
        options: dict[str, Any] = {"$top": 1000, "resultFormat": "objectArray"}
        body: dict[str, Any] = {"query": query, "options": options}
        if subscriptions is not None:
            body["subscriptions"] = subscriptions
        if management_groups is not None:
            body["managementGroups"] = management_groups
        seen: set[str] = set()
        skipped = _Skipped(self.max_depth)
        spent = 0
        number = 0
        while True:
            number += 1
            self._page_cap(number, "Resource Graph query")
            response, data = self._graph_post(url, body)
            spent += len(data)
            self._byte_budget(number, spent, "Resource Graph query")
            self._check(response, data, what)
            doc = self._decode(response.status_code, data)
            if not isinstance(doc, dict):
                raise ReadError("failed", f"200: the answer is {json_kind(doc)}, not a Resource Graph result")
            rows = doc.get("data")
            if not isinstance(rows, list):
                raise ReadError(
                    "failed", f"200: the answer's 'data' is {json_kind(rows)}, not a list of rows"
                )
            yield skipped.keep(rows)
            token = doc.get("$skipToken")
            if token is None or token == "":
                if str(doc.get("resultTruncated", "")).lower() == "true":
                    raise ReadError(
                        "failed",
                        "Resource Graph truncated the result (resultTruncated) without a $skipToken: the rest was "
                        "not read",
                    )
                break
            if not isinstance(token, str) or len(token) > MAX_LINK:
                raise ReadError(
                    "failed",
                    f"the answer's $skipToken is {json_kind(token)}{' too long' if isinstance(token, str) else ''}, "
                    "not a paging token: the rest of the result was not read",
                )
            digest = hashlib.sha256(token.encode("utf-8", "backslashreplace")).hexdigest()
            if digest in seen:
                raise ReadError(
                    "failed",
                    f"Resource Graph sent a $skipToken it had already sent (after {number} "
                    f"page{'s' if number != 1 else ''}): paging stopped; the rest of the result was not read",
                )
            seen.add(digest)
            options["$skipToken"] = token
        skipped.raise_if_any()

    def _graph_post(self, url: str, body: dict[str, Any]) -> tuple[Any, bytes]:
        """azure-core does not retry a POST answered 429 without Retry-After: Resource Graph's quota
        headers (``x-ms-user-quota-resets-after: hh:mm:ss``) say how long to wait, else back off."""
        delay = 1.0
        for attempt in range(self.graph_retries + 1):
            response, data = self._send("POST", url, body)
            if response.status_code != 429 or attempt == self.graph_retries:
                return response, data
            wait = _quota_reset(response.headers.get("x-ms-user-quota-resets-after")) or delay
            wait = min(wait, 30.0, max(0.0, self.deadline - time.monotonic()))
            LOG.info("Resource Graph throttled (429): waiting %.1f s", wait)
            if self.stop.wait(wait):
                raise ReadError("timed-out", "the scan was stopped (--scan-timeout)")
            delay = min(delay * 2, 30.0)
        return response, data  # pragma: no cover - the loop always returns


def _quota_reset(value: str | None) -> float | None:
    if not value:
        return None
    parts = value.strip().split(":")[:3]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    if not math.isfinite(seconds):  # "nan", "inf", "1e999": not a time to wait
        return None
    return max(seconds, 0.5)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return untrusted(text[0], 300) if text else type(exc).__name__
