"""The scanning identity: one azure-identity credential per scan, checked before anything is read.

``--auth`` picks the credential (``default`` = ``DefaultAzureCredential``). The Entra authority is
azure-identity's own ``AZURE_AUTHORITY_HOST`` when set, else the ``--cloud``'s login host; when that host
is not a Microsoft one (ADFS on Azure Stack Hub, a test emulator) ``disable_instance_discovery=True`` is
passed, so MSAL never asks ``login.microsoftonline.com`` about it.

``github-oidc`` exchanges the workflow's OIDC token (``ACTIONS_ID_TOKEN_REQUEST_URL`` /
``ACTIONS_ID_TOKEN_REQUEST_TOKEN``, audience ``api://AzureADTokenExchange``) for an Entra token through
``ClientAssertionCredential``; the assertion is fetched again each time MSAL needs a new token, so a
scan longer than the OIDC token's few minutes still works.

Nothing here logs or returns a token; failures become :class:`LiveError` with the sources tried and
how to sign in. What an error carries from azure-identity or the authority (their messages quote Entra's
``error_description``) is passed through :func:`auditor.neutral.terminal`, one line each: the message
is printed on stderr.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from auditor.neutral import terminal
from auditor.sources.live.options import MICROSOFT_AUTHORITY_HOSTS, LiveError, LiveOptions

GITHUB_AUDIENCE = "api://AzureADTokenExchange"

SIGN_IN_HELP = (
    "Sign in with one of: 'az login' (then --auth cli or default); a service principal in AZURE_TENANT_ID, "
    "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH); workload identity "
    "(AZURE_FEDERATED_TOKEN_FILE, --auth workload-identity); a managed identity (--auth managed-identity); "
    "GitHub Actions OIDC (permissions: id-token: write, AZURE_CLIENT_ID, AZURE_TENANT_ID, --auth github-oidc)."
)


def authority_host(options: LiveOptions) -> str:
    """``AZURE_AUTHORITY_HOST`` (as azure-identity reads it) or the ``--cloud``'s login host."""
    env = os.environ.get("AZURE_AUTHORITY_HOST", "").strip()
    return env if env else options.cloud_authority


def _is_microsoft(authority: str) -> bool:
    host = urlsplit(authority if "://" in authority else "https://" + authority).hostname or ""
    return host.lower() in MICROSOFT_AUTHORITY_HOSTS


def credential_kwargs(options: LiveOptions, transport: Any) -> dict[str, Any]:
    """Keyword arguments every azure-identity credential of the scan gets."""
    authority = authority_host(options)
    kwargs: dict[str, Any] = {"authority": authority, "transport": transport}
    if not _is_microsoft(authority):
        kwargs["disable_instance_discovery"] = True
    return kwargs


def github_oidc_assertion(timeout: float = 30.0) -> str:
    """The GitHub Actions job's OIDC token for Entra (called again whenever a new assertion is needed)."""
    url = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL", "").strip()
    bearer = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "").strip()
    if not url or not bearer:
        raise LiveError(
            "--auth github-oidc needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN: run in a "
            "GitHub Actions job with 'permissions: id-token: write'"
        )
    full = f"{url}{'&' if '?' in url else '?'}audience={quote(GITHUB_AUDIENCE, safe='')}"
    request = urllib.request.Request(
        full, headers={"Authorization": f"bearer {bearer}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the runner's own URL
            value = json.loads(response.read().decode("utf-8")).get("value")
    except LiveError:
        raise
    except Exception as exc:
        raise LiveError(f"cannot get the GitHub Actions OIDC token: {type(exc).__name__}") from None
    if not isinstance(value, str) or not value:
        raise LiveError("the GitHub Actions OIDC token endpoint answered without a token")
    return value


def build_credential(options: LiveOptions, transport: Any) -> Any:
    """The credential ``--auth`` asks for (not yet used: see :func:`check_credential`)."""
    try:
        from azure import identity
    except ImportError as exc:  # pragma: no cover - exercised by test_live_missing_sdk
        raise LiveError(f"live scanning needs azure-identity ({exc.name} is missing): {_install()}") from None
    kw = credential_kwargs(options, transport)
    tenant = os.environ.get("AZURE_TENANT_ID", "").strip() or None
    client = os.environ.get("AZURE_CLIENT_ID", "").strip() or None
    mode = options.auth
    if mode == "default":
        return identity.DefaultAzureCredential(**kw)
    if mode == "cli":
        if tenant:
            return identity.AzureCliCredential(tenant_id=tenant, process_timeout=30)
        return identity.AzureCliCredential(process_timeout=30)
    if mode == "managed-identity":
        # the managed identity endpoint is not Entra: no authority or instance discovery
        return identity.ManagedIdentityCredential(client_id=client, transport=transport)
    if mode == "workload-identity":
        try:
            return identity.WorkloadIdentityCredential(**kw)
        except ValueError as exc:
            raise LiveError(f"--auth workload-identity: {_one_line(str(exc))}. {SIGN_IN_HELP}") from None
    if mode == "github-oidc":
        missing = [n for n, v in (("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client)) if not v]
        if missing:
            raise LiveError(
                f"--auth github-oidc needs {' and '.join(missing)} (the app registration or user-assigned "
                "identity with a federated credential for this repository)"
            )
        github_oidc_assertion_check()
        func: Callable[[], str] = github_oidc_assertion
        return identity.ClientAssertionCredential(tenant or "", client or "", func, **kw)
    raise LiveError(f"unknown --auth {mode!r}")  # pragma: no cover - argparse restricts the choices


def github_oidc_assertion_check() -> None:
    """Fail early (before the first request) when the job cannot issue OIDC tokens."""
    if not os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") or not os.environ.get(
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
    ):
        raise LiveError(
            "--auth github-oidc needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN: add "
            "'permissions: id-token: write' to the GitHub Actions job"
        )


def check_credential(credential: Any, options: LiveOptions) -> None:
    """Get one token now, so a scan without a usable identity stops at once with a clear message."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        credential.get_token(options.scope)
    except LiveError:
        raise
    except ClientAuthenticationError as exc:
        raise LiveError(_explain(exc, options)) from None
    except Exception as exc:  # e.g. a network error reaching the authority
        raise LiveError(
            f"cannot get a token for {options.scope} (--auth {options.auth}): {type(exc).__name__}: "
            f"{_one_line(str(exc))}. {SIGN_IN_HELP}"
        ) from None


_ATTEMPT = re.compile(r"^\s*(\w+Credential):\s*(.*)$")


def _explain(exc: Exception, options: LiveOptions) -> str:
    """A ChainedTokenCredential / credential error → which sources were tried and why each failed."""
    text = getattr(exc, "message", None) or str(exc)
    tried: list[str] = []
    for line in str(text).splitlines():
        match = _ATTEMPT.match(line)
        if match:
            tried.append(f"  - {terminal(match.group(1))}: {_one_line(match.group(2))}")
    head = f"no usable Azure credential for {options.scope} (--auth {options.auth})"
    if tried:
        return head + ". Tried:\n" + "\n".join(tried) + "\n" + SIGN_IN_HELP
    return f"{head}: {_one_line(str(text))}\n{SIGN_IN_HELP}"


def _one_line(text: str) -> str:
    """The first line of an error message, shortened and safe to print."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = re.sub(r"\s*Visit https?://\S+.*$", "", first)
    return terminal(first[:300])


def _install() -> str:
    from auditor.sources.live.options import INSTALL_HINT

    return INSTALL_HINT
