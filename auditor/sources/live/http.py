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

No ``RedirectPolicy`` (a redirect is never followed; the transport sends with ``allow_redirects=False``),
no ``ARMAutoResourceProviderRegistrationPolicy`` (``ARMPipelineClient`` and every azure-mgmt client add it
unless ``policies=`` is passed; it would ``POST …/register`` on a 409 ``MissingSubscriptionRegistration``),
no ``HttpLoggingPolicy`` / ``NetworkTraceLoggingPolicy``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from auditor import __version__

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


class RequestRefused(Exception):
    """The read-only policy stopped a request before it was sent."""


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


def _error_code(body: Any) -> tuple[str, str]:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return "", ""


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
                        urlsplit(http.url).path,
                        status if status is not None else "error",
                        (time.monotonic() - started) * 1000,
                        " (retry)" if retry else "",
                    )

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
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        parts = urlsplit(self.endpoint)
        self.origin = (parts.scheme.lower(), parts.netloc.lower())
        self.pipeline = pipeline
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.stop = stop
        self.graph_retries = graph_retries

    # ------------------------------------------------------------ one request

    def _remaining(self) -> float:
        if self.stop.is_set():
            raise ReadError("timed-out", "the scan was stopped (--scan-timeout)")
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ReadError("timed-out", "--scan-timeout reached before this read")
        return remaining

    def _send(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
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
                timeout=remaining,  # the retry policy's budget for all attempts of this request
                connection_timeout=min(10.0, self.request_timeout, remaining),
                read_timeout=min(self.request_timeout, remaining),
            )
        except RequestRefused as exc:
            raise ReadError("failed", str(exc)) from None
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
        return response.http_response

    def _json(self, response: Any) -> Any:
        try:
            return json.loads(response.text() or "null")
        except ValueError:
            raise ReadError(
                "failed", f"{response.status_code}: the answer is not JSON", response.status_code
            ) from None

    def _raise_for(self, response: Any, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = json.loads(response.text() or "null")
        except ValueError:
            body = None
        code, message = _error_code(body)
        label = f"{status} {code}".strip()
        if status == 403:
            match = _ACTION_IN_MESSAGE.search(message)
            action = match.group(1) if match else f"{what}/read"
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

    def get(self, path: str, params: dict[str, str], what: str) -> Any:
        """One GET of ``path`` (relative to the endpoint); the decoded body."""
        url = f"{self.endpoint}{path}?{urlencode(params, safe='$')}"
        response = self._send("GET", url)
        self._raise_for(response, what)
        return self._json(response)

    def pages(self, path: str, params: dict[str, str], what: str) -> Iterator[list[Any]]:
        """The ``value`` of each page of a list, following ``nextLink`` on the endpoint's host only."""
        url: str | None = f"{self.endpoint}{path}?{urlencode(params, safe='$')}"
        seen: set[str] = set()
        while url:
            seen.add(url)
            response = self._send("GET", url)
            if response.status_code in (404, 409):
                body = self._json(response)
                code, _ = _error_code(body)
                if code in (
                    "InvalidResourceType",
                    "MissingSubscriptionRegistration",
                    "NoRegisteredProviderFound",
                ):
                    return  # the resource provider is not registered: nothing of this type can exist
            self._raise_for(response, what)
            body = self._json(response)
            if not isinstance(body, dict):
                raise ReadError("failed", f"{response.status_code}: the answer is not a list")
            values = body.get("value")
            yield [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []
            next_link = body.get("nextLink")
            if not next_link:
                return
            if not isinstance(next_link, str) or not _same_origin(next_link, self.origin):
                host = urlsplit(str(next_link)).hostname or "?"
                raise ReadError(
                    "failed",
                    f"refused a nextLink to another host ({host}): the rest of the list was not read and no "
                    "token was sent there",
                )
            if next_link in seen:
                raise ReadError("failed", "the list's nextLink points back at a page already read")
            url = next_link

    # ------------------------------------------------------------ Resource Graph

    def graph(
        self,
        query: str,
        *,
        subscriptions: list[str] | None = None,
        management_groups: list[str] | None = None,
        what: str,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a Resource Graph query (``$skipToken`` paging; 429 without Retry-After retried here)."""
        url = f"{self.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API_VERSION}"
        options: dict[str, Any] = {"$top": 1000, "resultFormat": "objectArray"}
        body: dict[str, Any] = {"query": query, "options": options}
        if subscriptions is not None:
            body["subscriptions"] = subscriptions
        if management_groups is not None:
            body["managementGroups"] = management_groups
        while True:
            response = self._graph_post(url, body)
            self._raise_for(response, what)
            data = self._json(response)
            rows = data.get("data") if isinstance(data, dict) else None
            yield [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
            token = data.get("$skipToken") if isinstance(data, dict) else None
            if not token:
                return
            options["$skipToken"] = token

    def _graph_post(self, url: str, body: dict[str, Any]) -> Any:
        """azure-core does not retry a POST answered 429 without Retry-After: Resource Graph's quota
        headers (``x-ms-user-quota-resets-after: hh:mm:ss``) say how long to wait, else back off."""
        delay = 1.0
        for attempt in range(self.graph_retries + 1):
            response = self._send("POST", url, body)
            if response.status_code != 429 or attempt == self.graph_retries:
                return response
            wait = _quota_reset(response.headers.get("x-ms-user-quota-resets-after")) or delay
            wait = min(wait, 30.0, max(0.0, self.deadline - time.monotonic()))
            LOG.info("Resource Graph throttled (429): waiting %.1f s", wait)
            if self.stop.wait(wait):
                raise ReadError("timed-out", "the scan was stopped (--scan-timeout)")
            delay = min(delay * 2, 30.0)
        return response  # pragma: no cover - the loop always returns


def _quota_reset(value: str | None) -> float | None:
    if not value:
        return None
    parts = value.strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return max(seconds, 0.5)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
