"""HTTPS emulator of Azure Resource Manager and of the Entra ID (ADFS-style) token endpoints.

Standard library only (``http.server.ThreadingHTTPServer`` + ``ssl``) plus ``trustme`` for the
certificate. See ``tests/live/README.md`` for the surface, the faults and how to point the real
Azure SDK at it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import ipaddress
import json
import re
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from . import graph as arg
from .data import (
    Dataset,
    management_group_of,
    norm,
    resource_group_of,
    scope_of,
    subscription_of,
    type_of,
)
from .faults import AnswerRule, FaultConfigError, Faults

JSON = dict[str, Any]

DEFAULT_CLIENT_ID = "8f5c3c1e-7d5a-4b8e-9c1f-2a6d4e0b9f31"
DEFAULT_TENANT = "adfs"
ADMIN_PREFIX = "/_emulator/"
MAX_BODY = 10 * 1024 * 1024
HANDSHAKE_TIMEOUT = 10.0
API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-(preview|privatepreview|alpha|beta))?$", re.IGNORECASE)

# Resource types the emulator lists (an empty list when the data holds none); any other unknown
# type is answered like ARM answers an unregistered type (404 InvalidResourceType).
KNOWN_LIST_TYPES = frozenset(
    {
        "microsoft.security/automations",
        "microsoft.security/assessmentmetadata",
        "microsoft.security/assessments",
        "microsoft.security/alerts",
        "microsoft.security/pricings",
        "microsoft.logic/workflows",
        "microsoft.logic/workflows/triggers",
        "microsoft.web/connections",
        "microsoft.authorization/roleassignments",
        "microsoft.authorization/roledefinitions",
        "microsoft.authorization/denyassignments",
        "microsoft.authorization/policyassignments",
        "microsoft.authorization/policydefinitions",
        "microsoft.authorization/policysetdefinitions",
        "microsoft.authorization/policyexemptions",
        "microsoft.managedidentity/userassignedidentities",
        "microsoft.storage/storageaccounts",
    }
)
# A list type served from items stored under another type: ``GET {sub}/providers/Microsoft.Security/alerts``
# (Alerts_List, 2022-01-01) lists the alerts ARM keeps per location (``.../locations/{loc}/alerts/{name}``,
# type ``Microsoft.Security/Locations/alerts``).
LIST_ALIASES = {"microsoft.security/alerts": "microsoft.security/locations/alerts"}
# Extension resources (they live below another resource): never in the generic ``/resources`` list.
EXTENSION_TYPES = frozenset({"microsoft.security/assessments"})
# Properties never returned by GET (secrets or values the scanner must not receive).
HIDDEN_PROPERTIES = {
    "microsoft.web/connections": (
        "parameterValues",
        "nonSecretParameterValues",
        "customParameterValues",
        "parameterValueSet",
    ),
}


# -- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it. The Authorization header and bodies are never kept."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    status: int
    kind: str  # discovery | token | arm | graph | write | unknown
    bearer: bool  # carried "Authorization: Bearer ..."
    token_valid: bool
    body_size: int
    response_size: int
    duration_ms: float
    api_version: str | None = None
    fault: str | None = (
        None  # latency | throttle | graph_throttle | unavailable | forbidden | foreign_next_link | paging |
        # answer | token
    )
    write_attempt: bool = False  # PUT/PATCH/DELETE, or a POST other than a Resource Graph query
    client_id: str | None = None  # token requests only
    scope: str | None = None  # token requests only
    user_agent: str | None = None

    def to_json(self) -> JSON:
        return asdict(self)


@dataclass
class TokenInfo:
    client_id: str
    audience: str
    expires_at: float


@dataclass
class Response:
    status: int
    body: Any = None  # JSON (any JSON value: an "answer" fault may serve a list or a string), bytes or None
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "arm"
    fault: str | None = None
    stream: AnswerRule | None = None  # an "answer" fault with stream_bytes: sent chunked


@dataclass
class Ctx:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    body: bytes
    headers: dict[str, str]  # lower-case names; Authorization is consumed, never stored
    basic: tuple[str, str] | None = None  # client_secret_basic credentials (token endpoint only)

    def q(self, name: str) -> str | None:
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return Response(
            self.status, {"error": {"code": self.code, "message": self.message}}, dict(self.headers)
        )


# -- state ----------------------------------------------------------------------------------------


class EmulatorState:
    def __init__(
        self,
        dataset: Dataset,
        faults: Faults,
        *,
        page_size: int,
        graph_page_size: int,
        tenant: str,
        client_id: str,
        client_secret: str,
        token_lifetime: int,
        verbose: bool = False,
    ) -> None:
        self.dataset = dataset
        self.faults = faults
        self.page_size = page_size
        self.graph_page_size = graph_page_size
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.verbose = verbose
        self.url = ""
        self.lock = threading.Lock()
        self.log: list[RequestRecord] = []
        self.seq = 0
        self.tokens: dict[str, TokenInfo] = {}

    def accepted_audiences(self) -> set[str]:
        return {
            self.url.rstrip("/").lower(),
            "https://management.azure.com",
            "https://management.core.windows.net",
        }

    def record(self, **fields: Any) -> RequestRecord:
        with self.lock:
            self.seq += 1
            rec = RequestRecord(seq=self.seq, time=time.time(), **fields)
            self.log.append(rec)
            return rec

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()


# -- the handler ----------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arm-emulator/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end after a minute
    # TCP_NODELAY: headers and body are two writes; with Nagle's algorithm the body waits for the client's
    # delayed ACK (~40 ms on Linux), which would add to every request's latency on a keep-alive connection.
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def version_string(self) -> str:
        return self.server_version

    # quiet unless verbose
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.state.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    # -- plumbing ---------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ArmError(413, "RequestEntityTooLarge", "The request body is too large.")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ArmError(413, "RequestEntityTooLarge", "The request body is too large.")
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        started = time.monotonic()
        split = urlsplit(self.path)
        path = unquote(split.path) or "/"
        try:
            body = self._read_body()
        except (ValueError, ArmError) as exc:
            self.close_connection = True
            err = exc if isinstance(exc, ArmError) else ArmError(400, "InvalidRequest", "Malformed body.")
            self._send(method, err.response())
            return
        if path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/"):
            self._send(method, self._admin(method, path, split.query, body))
            return
        auth = self.headers.get("Authorization") or ""
        bearer = auth[:7].lower() == "bearer " and bool(auth[7:].strip())
        token = auth[7:].strip() if bearer else ""
        basic = _basic_credentials(auth)
        del auth
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        ctx = Ctx(
            method, path, parse_qs(split.query, keep_blank_values=True), split.query, body, headers, basic
        )
        fault: str | None = None
        if state.faults.latency_ms > 0:
            time.sleep(state.faults.latency_ms / 1000.0)
            fault = "latency"
        token_valid = False
        extra: JSON = {}
        try:
            router = Router(state, ctx, token)
            resp = router.route()
            token_valid = router.token_valid
            extra = router.token_fields
        except ArmError as exc:
            resp = exc.response()
        except Exception as exc:  # an emulator bug: answer 500 rather than hang the client
            resp = Response(
                500, {"error": {"code": "InternalServerError", "message": f"emulator error: {exc!r}"}}
            )
        status, ctype, payload = self._render(method, resp)
        # recorded before the answer is written: a client that has its response finds it in the log
        state.record(
            method=method,
            path=path,
            query=split.query,
            status=status,
            kind=resp.kind,
            bearer=bearer,
            token_valid=token_valid,
            body_size=len(body),
            response_size=len(payload),
            duration_ms=round((time.monotonic() - started) * 1000.0, 3),
            api_version=ctx.q("api-version"),
            fault=resp.fault or fault,
            write_attempt=resp.kind == "write",
            client_id=extra.get("client_id"),
            scope=extra.get("scope"),
            user_agent=headers.get("user-agent"),
        )
        if resp.stream is not None:
            self._write_stream(status, resp.stream)
            return
        self._write(status, ctype, payload, resp.headers)

    def _write_stream(self, status: int, rule: AnswerRule) -> None:
        """``stream_bytes`` of JSON whitespace, chunked, until done or the client stops reading."""
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in rule.headers.items():
            self.send_header(name, value)
        self.end_headers()
        chunk = b" " * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        left = rule.stream_bytes
        try:
            while left > 0:
                if left < len(chunk):
                    frame = f"{left:x}\r\n".encode() + chunk[:left] + b"\r\n"
                self.wfile.write(frame)
                left -= min(left, len(chunk))
                rule.sent += min(len(chunk), rule.stream_bytes - rule.sent)
            self.wfile.write(b"0\r\n\r\n")
        except (ConnectionError, ssl.SSLError, OSError):
            pass  # the client stopped reading: that is the point

    def _send(self, method: str, resp: Response) -> int:
        status, ctype, payload = self._render(method, resp)
        self._write(status, ctype, payload, resp.headers)
        return len(payload)

    @staticmethod
    def _render(method: str, resp: Response) -> tuple[int, str, bytes]:
        if isinstance(resp.body, bytes):
            payload = resp.body
            ctype = resp.headers.pop("Content-Type", "application/octet-stream")
        elif resp.body is None:
            payload = b""
            ctype = "application/json; charset=utf-8"
        else:
            payload = json.dumps(resp.body, separators=(",", ":")).encode("utf-8")
            ctype = "application/json; charset=utf-8"
        status = resp.status
        if method == "HEAD":
            if status == 200:
                status = 204
            payload = b""
        return status, ctype, payload

    def _write(self, status: int, ctype: str, payload: bytes, extra_headers: dict[str, str]) -> None:
        request_id = str(uuid.uuid4())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Pragma", "no-cache")
        self.send_header("Expires", "-1")
        self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", request_id)
        self.send_header(
            "x-ms-routing-request-id", f"WESTEUROPE:{time.strftime('%Y%m%dT%H%M%SZ')}:{request_id}"
        )
        client_request_id = self.headers.get("x-ms-client-request-id")
        if client_request_id:
            self.send_header("x-ms-client-request-id", client_request_id)
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    # -- admin API --------------------------------------------------------------------------------

    def _admin(self, method: str, path: str, raw_query: str, body: bytes) -> Response:
        state = self.server.state
        sub = path[len(ADMIN_PREFIX) :].strip("/")
        query = parse_qs(raw_query)
        if sub == "health":
            return Response(200, {"status": "ok"}, kind="admin")
        if sub == "config":
            return Response(200, self.server.emulator_info(), kind="admin")
        if sub == "requests":
            if method == "GET":
                since = int((query.get("since") or ["0"])[0])
                with state.lock:
                    items = [r.to_json() for r in state.log if r.seq > since]
                return Response(200, {"count": len(items), "requests": items}, kind="admin")
            if method in ("DELETE", "POST"):
                state.reset_log()
                return Response(200, {"count": 0, "requests": []}, kind="admin")
        if sub == "requests/reset" and method == "POST":
            state.reset_log()
            return Response(200, {"count": 0, "requests": []}, kind="admin")
        if sub == "faults":
            if method == "GET":
                return Response(200, state.faults.to_json(), kind="admin")
            if method in ("PUT", "POST"):
                try:
                    doc = json.loads(body or b"{}")
                    state.faults = Faults.from_json(doc)
                except (ValueError, FaultConfigError) as exc:
                    return Response(
                        400, {"error": {"code": "InvalidFaults", "message": str(exc)}}, kind="admin"
                    )
                return Response(200, state.faults.to_json(), kind="admin")
            if method == "DELETE":
                state.faults = Faults()
                return Response(200, state.faults.to_json(), kind="admin")
        if sub == "tokens/revoke" and method == "POST":
            with state.lock:
                n = len(state.tokens)
                state.tokens.clear()
            return Response(200, {"revoked": n}, kind="admin")
        return Response(
            404,
            {"error": {"code": "NotFound", "message": f"no admin endpoint {method} {path}"}},
            kind="admin",
        )


# -- routing --------------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _aad_error(
    status: int, error: str, code: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return Response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {ts}",
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        headers or {},
        kind="token",
    )


def _encode_skip(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_skip(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not raw.startswith("o:"):
            raise ValueError(raw)
        return max(0, int(raw[2:]))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ArmError(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.") from exc


class Router:
    def __init__(self, state: EmulatorState, ctx: Ctx, token: str) -> None:
        self.state = state
        self.ds = state.dataset
        self.ctx = ctx
        self._token = token
        self.token_valid = False
        self.token_fields: JSON = {}

    # -- entry ------------------------------------------------------------------------------------

    def route(self) -> Response:
        ctx = self.ctx
        segs = [s for s in ctx.path.split("/") if s]
        low = [s.lower() for s in segs]
        identity = self._identity(ctx.method, segs, low)
        if identity is not None:
            return identity
        is_graph = low == ["providers", "microsoft.resourcegraph", "resources"]
        write = ctx.method in ("PUT", "PATCH", "DELETE") or (ctx.method == "POST" and not is_graph)
        kind = "graph" if is_graph else "write" if write else "arm"
        try:
            self._authenticate()
            if write:
                resp = self._refuse_write(segs)
            elif ctx.method not in ("GET", "HEAD", "POST"):
                raise ArmError(405, "MethodNotAllowed", f"The requested method {ctx.method} is not allowed.")
            else:
                self._require_api_version()
                answer = self.state.faults.take_answer(ctx.method, ctx.path)
                fault = self._transient_faults(is_graph) if answer is None else _answer(answer)
                if fault is not None:
                    resp = fault
                elif is_graph:
                    resp = self._graph()
                else:
                    self._forbidden()
                    resp = self._get(segs, low)
        except ArmError as exc:
            resp = exc.response()
            if exc.code == "AuthorizationFailed" and not write:
                resp.fault = "forbidden"
        resp.kind = kind
        return resp

    # -- Entra ID / ADFS --------------------------------------------------------------------------

    def _tenants(self) -> set[str]:
        return {self.state.tenant.lower(), self.ds.tenant_id.lower()}

    def _identity(self, method: str, segs: list[str], low: list[str]) -> Response | None:
        if len(low) < 2 or low[0] in ("subscriptions", "providers"):
            return None
        is_oidc = low[-2:] == [".well-known", "openid-configuration"]
        is_token = low[1] == "oauth2"
        is_keys = low[1] == "discovery"
        if not (is_oidc or is_token or is_keys):
            return None
        if low[0] not in self._tenants():
            description = (
                f"Tenant '{segs[0]}' not found. Check to make sure you have the correct tenant ID and are "
                "signing into the correct cloud."
            )
            if is_token:
                return _aad_error(400, "invalid_tenant", 90002, description)
            return Response(
                400,
                {"error": "invalid_tenant", "error_description": f"AADSTS90002: {description}"},
                kind="discovery",
            )
        tenant = segs[0]
        rest = low[1:]
        base = f"{self.state.url}/{tenant}"
        if method == "GET" and rest in (
            [".well-known", "openid-configuration"],
            ["v2.0", ".well-known", "openid-configuration"],
        ):
            v2 = rest[0] == "v2.0"
            return Response(200, self._openid(base, v2), kind="discovery")
        if method == "GET" and rest in (["discovery", "keys"], ["discovery", "v2.0", "keys"]):
            return Response(200, {"keys": []}, kind="discovery")
        if rest in (["oauth2", "token"], ["oauth2", "v2.0", "token"]):
            if method != "POST":
                return _aad_error(405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
            return self._token_request()
        return Response(
            404,
            {"error": "not_found", "error_description": f"no such endpoint {self.ctx.path}"},
            kind="discovery",
        )

    def _openid(self, base: str, v2: bool) -> JSON:
        if not v2:  # ADFS
            return {
                "issuer": base,
                "authorization_endpoint": f"{base}/oauth2/authorize/",
                "token_endpoint": f"{base}/oauth2/token/",
                "jwks_uri": f"{base}/discovery/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                    "private_key_jwt",
                    "windows_client_authentication",
                ],
                "response_types_supported": [
                    "code",
                    "id_token",
                    "code id_token",
                    "id_token token",
                    "code token",
                    "code id_token token",
                ],
                "response_modes_supported": ["query", "fragment", "form_post"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "client_credentials",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "implicit",
                    "password",
                    "srv_challenge",
                    "urn:ietf:params:oauth:grant-type:device_code",
                    "device_code",
                ],
                "subject_types_supported": ["pairwise"],
                "scopes_supported": [
                    "openid",
                    "profile",
                    "email",
                    "allatclaims",
                    "aza",
                    "vpn",
                    "logon_cert",
                    "user_impersonation",
                ],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "access_token_issuer": f"{self.state.url}/adfs/services/trust",
                "claims_supported": [
                    "aud",
                    "iss",
                    "iat",
                    "exp",
                    "auth_time",
                    "nonce",
                    "at_hash",
                    "c_hash",
                    "sub",
                    "upn",
                    "unique_name",
                    "pwd_url",
                    "pwd_exp",
                    "mfa_auth_time",
                    "sid",
                    "nbf",
                ],
                "microsoft_multi_refresh_token": True,
                "userinfo_endpoint": f"{base}/userinfo",
                "capabilities": [],
                "end_session_endpoint": f"{base}/oauth2/logout",
                "as_access_token_token_binding_supported": True,
                "as_refresh_token_token_binding_supported": True,
                "resource_access_token_token_binding_supported": True,
                "op_id_token_token_binding_supported": True,
                "rp_id_token_token_binding_supported": True,
                "frontchannel_logout_supported": True,
                "frontchannel_logout_session_supported": True,
                "device_authorization_endpoint": f"{base}/oauth2/devicecode",
            }
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.state.url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "at_hash",
                "c_hash",
                "email",
            ],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def _token_request(self) -> Response:
        state = self.state
        try:
            form = parse_qs(self.ctx.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}

        def field_(name: str) -> str:
            return (form.get(name) or [""])[0]

        client_id, secret = field_("client_id"), field_("client_secret")
        if self.ctx.basic is not None and not secret:  # client_secret_basic
            client_id, secret = client_id or self.ctx.basic[0], self.ctx.basic[1]
        scope = field_("scope") or (field_("resource") + "/.default" if field_("resource") else "")
        self.token_fields = {"client_id": client_id or None, "scope": scope or None}
        mode = state.faults.take_token_fault()
        if mode is not None:
            resp = self._token_fault(mode, client_id)
            resp.fault = "token"
            return resp
        grant = field_("grant_type")
        if grant != "client_credentials":
            return _aad_error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'. The emulator issues client_credentials tokens only.",
            )
        if client_id != state.client_id:
            return _aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{state.tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            )
        if not secrets.compare_digest(secret.encode(), state.client_secret.encode()):
            return _aad_error(
                401,
                "invalid_client",
                7000215,
                f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        scopes = scope.split()
        resource_scope = next((s for s in scopes if s.endswith("/.default")), None)
        if resource_scope is None:
            return _aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        audience = resource_scope[: -len("/.default")].rstrip("/").lower()
        token = secrets.token_urlsafe(48)
        with state.lock:
            now = time.time()
            # forget expired tokens so the map stays small in long runs
            for key in [k for k, v in state.tokens.items() if v.expires_at < now]:
                del state.tokens[key]
            state.tokens[token] = TokenInfo(client_id, audience, now + state.token_lifetime)
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": state.token_lifetime,
                "ext_expires_in": state.token_lifetime,
                "access_token": token,
            },
            kind="token",
        )

    def _token_fault(self, mode: str, client_id: str) -> Response:
        if mode == "invalid_client":
            token_fault = self.state.faults.token
            description = token_fault.description if token_fault is not None else None
            return _aad_error(
                401,
                "invalid_client",
                7000215,
                description
                or f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        if mode == "unauthorized_client":
            return _aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{self.state.tenant}'.",
            )
        if mode == "server_error":
            return _aad_error(
                500,
                "server_error",
                50000,
                "There was an error issuing a token or an issue with our sign-in service.",
            )
        if mode == "unavailable":
            return _aad_error(
                503,
                "temporarily_unavailable",
                90033,
                "A transient error has occurred. Please try again.",
                {"Retry-After": "1"},
            )
        # malformed
        return Response(
            200,
            b"<html><body>Service temporarily unavailable</body></html>",
            {"Content-Type": "text/html"},
            kind="token",
        )

    # -- ARM gatekeeping --------------------------------------------------------------------------

    def _challenge(self, error_description: str) -> dict[str, str]:
        return {
            "WWW-Authenticate": (
                f'Bearer authorization_uri="{self.state.url}/{self.state.tenant}", '
                f'error="invalid_token", error_description="{error_description}"'
            )
        }

    def _authenticate(self) -> None:
        token = self._token
        self._token = ""  # not kept beyond this check
        if not token:
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                self._challenge("The authentication failed because of missing 'Authorization' header."),
            )
        with self.state.lock:
            info = self.state.tokens.get(token)
        if info is None:
            raise ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                self._challenge("The access token is invalid."),
            )
        if info.expires_at < time.time():
            raise ArmError(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
                self._challenge("The access token has expired."),
            )
        if info.audience not in self.state.accepted_audiences():
            raise ArmError(
                401,
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource '{info.audience}'. It should exactly match with one of the allowed audiences '{self.state.url}/', 'https://management.azure.com/', 'https://management.core.windows.net/'.",
                self._challenge("The access token has an invalid audience."),
            )
        self.token_valid = True

    def _require_api_version(self) -> None:
        version = self.ctx.q("api-version")
        if version is None or version == "":
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not API_VERSION_RE.match(version):
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions look like 'YYYY-MM-DD[-preview]'.",
            )

    def _transient_faults(self, is_graph: bool) -> Response | None:
        faults = self.state.faults
        if faults.take_unavailable(self.ctx.method, self.ctx.path):
            return Response(
                503,
                {
                    "error": {
                        "code": "ServiceUnavailable",
                        "message": "The server is currently unable to handle the request due to a temporary overloading or maintenance of the server.",
                    }
                },
                fault="unavailable",
            )
        if is_graph and faults.take_graph_throttle():
            stamp = _now_iso()
            return Response(
                429,
                {
                    "error": {
                        "code": "RateLimiting",
                        "message": f"Please provide below info when asking for support: timestamp = {stamp}, correlationId = {uuid.uuid4()}. Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraphlearnmore for help.",
                    }
                },
                {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:01"},
                fault="graph_throttle",
            )
        rule = faults.take_throttle(self.ctx.method, self.ctx.path)
        if rule is not None:
            headers = {"x-ms-ratelimit-remaining-subscription-reads": "0"}
            if rule.retry_after is not None:
                headers["Retry-After"] = str(rule.retry_after)
            return Response(
                429,
                {
                    "error": {
                        "code": "TooManyRequests",
                        "message": "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer - https://aka.ms/armthrottling",
                    }
                },
                headers,
                fault="throttle",
            )
        return None

    def _authorization_failed(self, action: str, scope: str) -> ArmError:
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, self.state.client_id))
        return ArmError(
            403,
            "AuthorizationFailed",
            f"The client '{oid}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
        )

    def _forbidden(self) -> None:
        rule = self.state.faults.forbidden_for(self.ctx.path)
        if rule is None:
            return
        action = f"{rule.type}/read" if rule.type else _action_for(self.ctx.path)
        raise self._authorization_failed(action, self.ctx.path.rstrip("/"))

    def _refuse_write(self, segs: list[str]) -> Response:
        path = "/" + "/".join(segs)
        if self.ctx.method == "POST":
            action = segs[-1] if segs else ""
            err = self._authorization_failed(f"{_action_for(path, include_last=False)}/{action}/action", path)
            return err.response()
        return ArmError(
            405,
            "MethodNotAllowed",
            f"The emulated subscription is read-only: {self.ctx.method} {path} was recorded and refused.",
        ).response()

    # -- GET surface ------------------------------------------------------------------------------

    def _get(self, segs: list[str], low: list[str]) -> Response:
        if self.ctx.method not in ("GET", "HEAD"):
            raise ArmError(405, "MethodNotAllowed", f"The requested method {self.ctx.method} is not allowed.")
        if low == ["subscriptions"]:
            subs = list(self.ds.subscriptions)
            resp = self._page(subs)
            assert isinstance(resp.body, dict)
            resp.body["count"] = {"type": "Total", "value": len(subs)}
            return resp
        if low and low[0] == "subscriptions":
            sub = self.ds.subscription(segs[1])
            if sub is None:
                raise ArmError(
                    404, "SubscriptionNotFound", f"The subscription '{segs[1]}' could not be found."
                )
            if len(low) == 2:
                return Response(200, sub)
            if len(low) == 3 and low[2] == "resourcegroups":
                return self._page(self.ds.resource_groups(segs[1]))
            if len(low) >= 4 and low[2] == "resourcegroups":
                rg = self.ds.resource_group(segs[1], segs[3])
                if rg is None:
                    raise ArmError(
                        404, "ResourceGroupNotFound", f"Resource group '{segs[3]}' could not be found."
                    )
                if len(low) == 4:
                    return Response(200, rg)
                if len(low) == 5 and low[4] == "resources":
                    return self._generic_resources(f"/subscriptions/{segs[1]}/resourceGroups/{segs[3]}")
            if len(low) == 3 and low[2] == "resources":
                return self._generic_resources(f"/subscriptions/{segs[1]}")
        if (
            low[:3] == ["providers", "microsoft.management", "managementgroups"]
            and "providers" not in low[3:]
        ):
            return self._management_groups(segs, low)
        if "providers" in low:
            return self._provider_path(segs, low)
        raise ArmError(
            404, "PathNotFound", f"The requested path '{self.ctx.path}' is not served by the ARM emulator."
        )

    def _check_scope(self, scope: str) -> None:
        if not scope:
            return
        sub = subscription_of(scope)
        if sub is not None:
            if self.ds.subscription(sub) is None:
                raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
            rg = resource_group_of(scope)
            if rg is not None and self.ds.resource_group(sub, rg) is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
            if "/providers/" in scope.lower() and self.ds.get(scope) is None:
                raise self._not_found(scope)
            return
        mg = management_group_of(scope)
        if mg is not None and self.ds.management_group(mg) is None:
            raise ArmError(
                404,
                "NotFound",
                f"'/providers/Microsoft.Management/managementGroups/{mg}' not found",
            )

    def _not_found(self, resource_id: str) -> ArmError:
        rtype = "/".join(_type_segments(resource_id))
        name = resource_id.rstrip("/").rsplit("/", 1)[-1]
        rg = resource_group_of(resource_id)
        where = f" under resource group '{rg}'" if rg else ""
        return ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{rtype}/{name}'{where} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )

    def _provider_path(self, segs: list[str], low: list[str]) -> Response:
        k = len(low) - 1 - low[::-1].index("providers")
        scope = "/" + "/".join(segs[:k]) if k else ""
        rest = segs[k + 1 :]
        if len(rest) < 2:
            raise ArmError(
                404,
                "PathNotFound",
                f"The requested path '{self.ctx.path}' is not served by the ARM emulator.",
            )
        self._check_scope(scope)
        ns, names = rest[0], rest[1:]
        types = names[0::2]
        rtype = "/".join([ns, *types]).lower()
        is_list = len(names) % 2 == 1
        if rtype not in KNOWN_LIST_TYPES and rtype not in self.ds.known_types():
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{'/'.join(types)}' could not be found in the namespace '{ns}' for api version '{self.ctx.q('api-version')}'.",
            )
        if is_list:
            if len(names) == 1:
                items = self.ds.list_at_scope(scope, LIST_ALIASES.get(rtype, rtype))
                items = self._filter(items, scope, rtype)
            else:
                parent_id = "/" + "/".join(segs[:-1])
                parent = self.ds.get(parent_id)
                if parent is None:
                    raise self._not_found(parent_id)
                items = self._children(parent, rtype)
            return self._page([_sanitize(r) for r in items])
        item = self.ds.get_at_scope(self.ctx.path.rstrip("/"))
        if item is None and rtype == "microsoft.logic/workflows/triggers":
            parent = self.ds.get("/" + "/".join(segs[:-2]))
            if parent is not None:
                item = next(
                    (t for t in self._children(parent, rtype) if t["name"].lower() == segs[-1].lower()),
                    None,
                )
        if item is None:
            raise self._not_found(self.ctx.path)
        return Response(200, _sanitize(item))

    def _children(self, parent: JSON, rtype: str) -> list[JSON]:
        if rtype == "microsoft.logic/workflows/triggers":
            return _workflow_triggers(parent)
        prefix = norm(str(parent["id"])) + "/"
        return [
            r
            for r in self.ds.resources_in_subscription(subscription_of(str(parent["id"])) or "")
            if type_of(r) == rtype and norm(str(r["id"])).startswith(prefix)
        ]

    def _generic_resources(self, scope: str) -> Response:
        prefix = norm(scope) + "/"
        sub = subscription_of(scope) or ""
        items = [
            r
            for r in self.ds.resources_in_subscription(sub)
            if norm(str(r["id"])).startswith(prefix)
            and type_of(r).count("/") == 1
            and not type_of(r).startswith("microsoft.authorization/")
            and type_of(r) != "microsoft.security/assessmentmetadata"
            and type_of(r) not in EXTENSION_TYPES
        ]
        items = self._filter(items, scope, "")
        slim = [
            {
                k: v
                for k, v in r.items()
                if k
                in (
                    "id",
                    "name",
                    "type",
                    "location",
                    "kind",
                    "tags",
                    "identity",
                    "sku",
                    "plan",
                    "managedBy",
                    "zones",
                    "extendedLocation",
                )
            }
            for r in items
        ]
        return self._page(slim)

    def _management_groups(self, segs: list[str], low: list[str]) -> Response:
        if len(low) == 3:
            return self._page(
                [
                    {
                        "id": mg["id"],
                        "type": mg["type"],
                        "name": mg["name"],
                        "properties": {
                            "tenantId": mg["properties"].get("tenantId"),
                            "displayName": mg["properties"].get("displayName"),
                        },
                    }
                    for mg in self.ds.management_groups
                ]
            )
        mg = self.ds.management_group(segs[3])
        if mg is None:
            raise ArmError(
                404,
                "NotFound",
                f"'/providers/Microsoft.Management/managementGroups/{segs[3]}' not found",
            )
        if len(low) == 4:
            expand = (self.ctx.q("$expand") or "").lower()
            recurse = (self.ctx.q("$recurse") or self.ctx.q("recurse") or "").lower() == "true"
            return Response(200, self._mg_view(mg, expand == "children", recurse))
        if len(low) == 5 and low[4] == "descendants":
            return self._page(self._descendants(str(mg["name"])))
        raise ArmError(
            404, "PathNotFound", f"The requested path '{self.ctx.path}' is not served by the ARM emulator."
        )

    def _mg_view(self, mg: JSON, children: bool, recurse: bool) -> JSON:
        view = copy.deepcopy(mg)
        if not children:
            view["properties"].pop("children", None)
            return view
        if recurse:
            for child in view["properties"].get("children") or []:
                if str(child.get("type", "")).lower() == "microsoft.management/managementgroups":
                    sub_mg = self.ds.management_group(str(child["name"]))
                    if sub_mg is not None:
                        child["children"] = self._mg_view(sub_mg, True, True)["properties"].get(
                            "children", []
                        )
        return view

    def _descendants(self, mg_name: str) -> list[JSON]:
        out: list[JSON] = []
        mg = self.ds.management_group(mg_name)
        if mg is None:
            return out
        for child in mg["properties"].get("children") or []:
            ctype = str(child.get("type", ""))
            out.append(
                {
                    "id": child["id"],
                    "type": ctype,
                    "name": child["name"],
                    "properties": {
                        "displayName": child.get("displayName", child["name"]),
                        "parent": {"id": mg["id"]},
                    },
                }
            )
            if ctype.lower() == "microsoft.management/managementgroups":
                out.extend(self._descendants(str(child["name"])))
        return out

    # -- $filter ----------------------------------------------------------------------------------

    def _filter(self, items: list[JSON], scope: str, rtype: str) -> list[JSON]:
        text = self.ctx.q("$filter")
        if not text:
            return items
        clauses = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)
        scope_n = norm(scope)
        for clause in clauses:
            c = clause.strip()
            if c.lower() in ("atscope()", "atexactscope()"):
                exact = c.lower() == "atexactscope()"
                allowed = {scope_n} if exact else {scope_n, *self.ds.ancestor_scopes(scope_n)}
                items = [r for r in items if norm(_item_scope(r)) in allowed]
                continue
            m = re.fullmatch(r"assignedTo\('([^']*)'\)", c, re.IGNORECASE)
            if m:
                pid = m.group(1).lower()
                items = [r for r in items if str(_prop(r, "principalId") or "").lower() == pid]
                continue
            m = re.fullmatch(r"(\w+)\s+eq\s+'([^']*)'", c, re.IGNORECASE)
            if m:
                name, value = m.group(1), m.group(2).lower()
                if name.lower() == "resourcetype":
                    items = [r for r in items if type_of(r) == value]
                elif name.lower() == "resourcegroup":
                    items = [r for r in items if (resource_group_of(str(r["id"])) or "").lower() == value]
                else:
                    items = [r for r in items if str(_prop(r, name) or "").lower() == value]
                continue
            raise ArmError(400, "InvalidFilter", f"The $filter '{text}' is not supported (clause '{c}').")
        del rtype
        return items

    # -- paging -----------------------------------------------------------------------------------

    def _page(self, items: list[JSON]) -> Response:
        token = self.ctx.q("$skiptoken")
        offset = _decode_skip(token) if token else 0
        size = self.state.page_size
        page = items[offset : offset + size]
        body: JSON = {"value": page}
        resp = Response(200, body)
        if offset + size < len(items):
            body["nextLink"] = self._next_link(offset + size)
        paging = self.state.faults.take_paging(self.ctx.method, self.ctx.path)
        if paging is not None:
            resp.fault = "paging"
            if paging.mode == "repeat":  # a link to this very page
                query = f"?{self.ctx.raw_query}" if self.ctx.raw_query else ""
                body["nextLink"] = f"{self.state.url}{quote(self.ctx.path)}{query}"
            elif paging.mode == "cycle":  # first page -> B (offset size) -> C (offset 0) -> B ...
                body["nextLink"] = self._next_link(0 if token is not None and offset == size else size)
            else:  # endless: always one more page, empty past the end
                body["nextLink"] = self._next_link(offset + size)
        fnl = self.state.faults.foreign_next_link
        if fnl is not None and offset == 0 and fnl.matches(self.ctx.path):
            body["nextLink"] = fnl.url
            resp.fault = "foreign_next_link"
        return resp

    def _next_link(self, offset: int) -> str:
        params = [(k, v) for k, vals in self.ctx.query.items() for v in vals if k.lower() != "$skiptoken"]
        params.append(("$skiptoken", _encode_skip(offset)))
        return f"{self.state.url}{quote(self.ctx.path)}?{urlencode(params, safe='$')}"

    # -- Resource Graph ---------------------------------------------------------------------------

    def _graph(self) -> Response:
        try:
            body = json.loads(self.ctx.body or b"{}")
        except ValueError as exc:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: {exc}",
            ) from exc
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ArmError(
                400, "InvalidRequestContent", "The request content must be an object with a 'query' string."
            )
        try:
            query = arg.parse(body["query"])
        except arg.QueryError as exc:
            stamp = _now_iso()
            return Response(
                400,
                {
                    "error": {
                        "code": "BadRequest",
                        "message": f"Please provide below info when asking for support: timestamp = {stamp}, correlationId = {uuid.uuid4()}.",
                        "details": [
                            {
                                "code": "InvalidQuery",
                                "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.",
                            },
                            {"code": "ParserFailure", "message": str(exc)},
                        ],
                    }
                },
            )
        subs = body.get("subscriptions")
        mgs = body.get("managementGroups")
        sub_set = {str(s).lower() for s in subs} if isinstance(subs, list) else None
        mg_set = {str(m).lower() for m in mgs} if isinstance(mgs, list) else None
        faults = self.state.faults
        rows = [
            r
            for r in arg.build_rows(self.ds, query.table)
            if arg.in_scope(r, sub_set, mg_set, self.ds)
            and not faults.hides_row(str(r.get("subscriptionId") or ""), str(r.get("type") or ""))
        ]
        result = query.run(rows)
        options = body.get("options") or {}
        top = options.get("$top")
        skip = int(options.get("$skip") or 0)
        token = options.get("$skipToken")
        start = _decode_skip(str(token)) if token else skip
        size = min(int(top) if top else 1000, self.state.graph_page_size)
        page = result[start : start + size]
        out: JSON = {
            "totalRecords": len(result),
            "count": len(page),
            "data": page,
            "facets": [],
            "resultTruncated": "false",
        }
        if start + size < len(result):
            out["$skipToken"] = _encode_skip(start + size)
        paging = faults.take_paging(self.ctx.method, self.ctx.path)
        if paging is not None:
            if paging.mode == "repeat":  # the token it was sent (or one fixed token): no progress
                out["$skipToken"] = str(token) if token else _encode_skip(size)
            elif paging.mode == "cycle":  # T(size) -> T(0) -> T(size) ...
                out["$skipToken"] = _encode_skip(0 if token and start == size else size)
            else:  # endless: always one more page, empty past the end
                out["$skipToken"] = _encode_skip(start + size)
        if str(options.get("resultFormat", "objectArray")).lower() == "table":
            cols = query.project or list(arg.COLUMNS)
            out["data"] = {
                "columns": [{"name": c, "type": _kql_type(page, c)} for c in cols],
                "rows": [[row.get(c) for c in cols] for row in page],
            }
        return Response(200, out)


# -- helpers --------------------------------------------------------------------------------------


def _answer(rule: AnswerRule) -> Response:
    """The answer an ``answer`` fault serves instead of the real one."""
    headers = dict(rule.headers)
    raw = rule.payload()
    if rule.stream_bytes:
        return Response(rule.status, b"", headers, fault="answer", stream=rule)
    if raw is not None:
        headers["Content-Type"] = rule.content_type or "application/json; charset=utf-8"
        return Response(rule.status, raw, headers, fault="answer")
    if rule.body is None:
        return Response(rule.status, b"", headers, fault="answer")
    return Response(rule.status, rule.body, headers, fault="answer")


def _basic_credentials(auth: str) -> tuple[str, str] | None:
    if auth[:6].lower() != "basic ":
        return None
    try:
        raw = base64.b64decode(auth[6:].strip()).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (unquote(user), unquote(password)) if sep else None


def _type_segments(resource_id: str) -> list[str]:
    low = resource_id.lower()
    cut = low.rfind("/providers/")
    if cut < 0:
        return []
    parts = resource_id[cut + len("/providers/") :].strip("/").split("/")
    return [parts[0], *parts[1::2]] if parts else []


def _action_for(path: str, include_last: bool = True) -> str:
    """The RBAC action a read of ``path`` needs, e.g. Microsoft.Logic/workflows/read."""
    segs = _type_segments(path)
    if not include_last:
        low = path.lower()
        cut = low.rfind("/providers/")
        parts = path[cut + len("/providers/") :].strip("/").split("/") if cut >= 0 else []
        # drop the action name; keep namespace and types
        parts = parts[:-1]
        segs = [parts[0], *parts[1::2]] if parts else []
        return "/".join(segs) or "Microsoft.Resources/subscriptions"
    if not segs:
        if resource_group_of(path):
            return "Microsoft.Resources/subscriptions/resourceGroups/read"
        return "Microsoft.Resources/subscriptions/read"
    return "/".join(segs) + "/read"


def _item_scope(item: JSON) -> str:
    scope = (item.get("properties") or {}).get("scope")
    if isinstance(scope, str) and scope:
        return "" if scope == "/" else scope
    return scope_of(str(item["id"]))


def _prop(item: JSON, name: str) -> Any:
    """A $filter field: a property first (roleDefinitions' ``type eq 'CustomRole'``), then a top-level key."""
    for key, value in (item.get("properties") or {}).items():
        if key.lower() == name.lower():
            return value
    for key, value in item.items():
        if key.lower() == name.lower():
            return value
    return None


def _sanitize(item: JSON) -> JSON:
    hidden = HIDDEN_PROPERTIES.get(type_of(item))
    actions = (item.get("properties") or {}).get("actions")
    needs_action_scrub = type_of(item) == "microsoft.security/automations" and isinstance(actions, list)
    if not hidden and not needs_action_scrub:
        return item
    clone = copy.deepcopy(item)
    props = clone.get("properties") or {}
    for key in hidden or ():
        props.pop(key, None)
    if needs_action_scrub:
        for action in props.get("actions") or []:
            if isinstance(action, dict):
                action.pop("uri", None)  # the callback URL carries a SAS signature; ARM never returns it
    return clone


def _workflow_triggers(workflow: JSON) -> list[JSON]:
    props = workflow.get("properties") or {}
    triggers = (props.get("definition") or {}).get("triggers") or {}
    out: list[JSON] = []
    for name, body in triggers.items():
        out.append(
            {
                "id": f"{workflow['id']}/triggers/{name}",
                "name": name,
                "type": "Microsoft.Logic/workflows/triggers",
                "properties": {
                    "provisioningState": "Succeeded",
                    "createdTime": props.get("createdTime"),
                    "changedTime": props.get("changedTime"),
                    "state": props.get("state", "Enabled"),
                    "workflow": {
                        "id": workflow["id"],
                        "name": workflow["name"],
                        "type": "Microsoft.Logic/workflows",
                    },
                    "recurrence": body.get("recurrence") if isinstance(body, dict) else None,
                },
            }
        )
    return out


def _kql_type(rows: list[JSON], col: str) -> str:
    for row in rows:
        v = row.get(col)
        if v is None:
            continue
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int):
            return "integer"
        if isinstance(v, (dict, list)):
            return "object"
        return "string"
    return "string"


# -- server ---------------------------------------------------------------------------------------


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], state: EmulatorState, context: ssl.SSLContext, info: JSON
    ) -> None:
        self.state = state
        self.ssl_context = context
        self._info = info
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def emulator_info(self) -> JSON:
        return dict(self._info)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        tls = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls, addr

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        try:
            try:
                request.settimeout(HANDSHAKE_TIMEOUT)
                request.do_handshake()
            except (OSError, ssl.SSLError):
                self.shutdown_request(request)
                return
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients that drop the connection are not errors worth a traceback
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        ip = ipaddress.ip_address(host)
    except ValueError as exc:
        raise ValueError(f"the emulator listens on loopback addresses only, not {host!r}") from exc
    if not ip.is_loopback:
        raise ValueError(f"the emulator listens on loopback addresses only, not {host!r}")


class Emulator:
    """The emulator as an object: ``start()``/``stop()`` or use it as a context manager."""

    def __init__(
        self,
        *,
        dataset: Dataset | None = None,
        data_dir: str | Path | None = None,
        faults: Faults | JSON | None = None,
        page_size: int = 2,
        graph_page_size: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tenant: str = DEFAULT_TENANT,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str | None = None,
        token_lifetime: int = 3599,
        ca_dir: str | Path | None = None,
        verbose: bool = False,
    ) -> None:
        _check_loopback(host)
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        if dataset is None:
            dataset = Dataset.from_dir(data_dir)
        self.host = host
        self._port = port
        self._ca_dir_arg = Path(ca_dir) if ca_dir is not None else None
        self._ca_dir: Path | None = None
        self._own_ca_dir = False
        self.state = EmulatorState(
            dataset,
            _as_faults(faults),
            page_size=page_size,
            graph_page_size=graph_page_size or page_size,
            tenant=tenant,
            client_id=client_id,
            client_secret=client_secret or secrets.token_urlsafe(24),
            token_lifetime=token_lifetime,
            verbose=verbose,
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.ca_path = ""
        self.url = ""

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        import trustme

        ca = trustme.CA(organization_name="ARM emulator test CA")
        cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        if self._ca_dir_arg is not None:
            self._ca_dir_arg.mkdir(parents=True, exist_ok=True)
            self._ca_dir = self._ca_dir_arg
        else:
            self._ca_dir = Path(tempfile.mkdtemp(prefix="arm-emulator-"))
            self._own_ca_dir = True
        ca_file = self._ca_dir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        self.ca_path = str(ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        cert.configure_cert(context)
        family_host = self.host if self.host != "localhost" else "127.0.0.1"
        info: JSON = {}
        server = EmulatorHTTPServer((family_host, self._port), self.state, context, info)
        port = server.server_address[1]
        shown = f"[{family_host}]" if ":" in family_host else family_host
        self.url = f"https://{shown}:{port}"
        self.state.url = self.url
        info.update(self.info())
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="arm-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._own_ca_dir and self._ca_dir is not None:
            shutil.rmtree(self._ca_dir, ignore_errors=True)
            self._own_ca_dir = False

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- facts ------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[-1]) if self.url else 0

    @property
    def tenant(self) -> str:
        return self.state.tenant

    @property
    def tenant_id(self) -> str:
        """The directory's GUID (also accepted as a tenant in the AAD v2 style paths)."""
        return self.state.dataset.tenant_id

    @property
    def client_id(self) -> str:
        return self.state.client_id

    @property
    def client_secret(self) -> str:
        return self.state.client_secret

    @property
    def scope(self) -> str:
        """The scope ARM clients must request: ``credential_scopes=[emu.scope]``."""
        return f"{self.url}/.default"

    @property
    def authority(self) -> str:
        """``authority=`` for azure-identity credentials (== ``AZURE_AUTHORITY_HOST``)."""
        return self.url

    @property
    def dataset(self) -> Dataset:
        return self.state.dataset

    def info(self) -> JSON:
        return {
            "url": self.url,
            "ca": self.ca_path,
            "tenant": self.tenant,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "tenant_id": self.tenant_id,
            "scope": self.scope,
            "admin": f"{self.url}/_emulator/",
        }

    def env(self) -> dict[str, str]:
        """Environment for EnvironmentCredential/DefaultAzureCredential and requests-based clients."""
        return {
            "AZURE_TENANT_ID": self.tenant,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_AUTHORITY_HOST": self.url,
            "REQUESTS_CA_BUNDLE": self.ca_path,
            "SSL_CERT_FILE": self.ca_path,
            # DefaultAzureCredential: only the environment (no managed-identity probe off the machine)
            "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
        }

    # -- requests log -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.log)

    def reset_log(self) -> None:
        self.state.reset_log()

    def writes(self) -> list[RequestRecord]:
        """Requests a read-only scanner must never send (PUT/PATCH/DELETE, POST actions)."""
        return [r for r in self.requests if r.write_attempt]

    # -- faults -----------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def set_faults(self, faults: Faults | JSON | None = None, **kwargs: Any) -> Faults:
        """Replace the faults (counters restart): a Faults, a dict, or keyword arguments."""
        if faults is not None and kwargs:
            raise TypeError("pass either a faults object/dict or keyword arguments")
        self.state.faults = _as_faults(faults if faults is not None else kwargs)
        return self.state.faults

    def clear_faults(self) -> None:
        self.state.faults = Faults()

    def revoke_tokens(self) -> None:
        """Forget every issued token: the next ARM call answers 401 InvalidAuthenticationToken."""
        with self.state.lock:
            self.state.tokens.clear()


def _as_faults(faults: Faults | JSON | None) -> Faults:
    if faults is None:
        return Faults()
    if isinstance(faults, Faults):
        return faults
    return Faults.from_json(faults)


@contextlib.contextmanager
def running_emulator(
    data_dir: str | Path | None = None,
    faults: Faults | JSON | None = None,
    page_size: int = 2,
    **kwargs: Any,
) -> Iterator[Emulator]:
    """``with running_emulator() as emu:`` — a started emulator, stopped on exit."""
    emu = Emulator(data_dir=data_dir, faults=faults, page_size=page_size, **kwargs)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
