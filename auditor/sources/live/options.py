"""What a live scan is asked to do, validated before anything is imported or sent.

Standard library only: ``auditor scan --help`` and option errors never load the Azure SDK (the limits
below are defined here for that reason; :mod:`.http` enforces them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from auditor.neutral import terminal

INSTALL_HINT = "pip install 'mdc-auditor[live]'"

# --cloud: the ARM endpoint and the Entra authority host of each Azure cloud (`az cloud list`).
CLOUDS: dict[str, tuple[str, str]] = {
    "AzureCloud": ("https://management.azure.com", "login.microsoftonline.com"),
    "AzureUSGovernment": ("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}
# Entra hosts that answer MSAL's instance discovery; any other authority (ADFS on Azure Stack Hub, a
# test emulator) gets disable_instance_discovery=True so MSAL never asks login.microsoftonline.com.
MICROSOFT_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.microsoftonline.de",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    }
)
AUTH_MODES = ("default", "cli", "managed-identity", "workload-identity", "github-oidc")

# The built-in DeployIfNotExists policies that deploy workflow automations.
WORKFLOW_AUTOMATION_POLICIES = {
    "f1525828-9a90-4fcf-be48-268cdd02361e": "Deploy Workflow Automation for Microsoft Defender for Cloud alerts",
    "73d6ab6c-2475-4850-afd6-43795f3492ef": (
        "Deploy Workflow Automation for Microsoft Defender for Cloud recommendations"
    ),
    "509122b9-ddd9-47ba-a5f1-d0dac20be63c": (
        "Deploy Workflow Automation for Microsoft Defender for Cloud regulatory compliance"
    ),
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_MG_NAME = re.compile(r"^[A-Za-z0-9_().-]{1,90}\Z")

# What one read may cost (enforced by auditor.sources.live.http; a read over a limit is recorded as
# failed, so LIV001 fires and the gate fails: a truncated answer is an incomplete scan).
#: Pages of one list or Resource Graph query (10,000 pages is 10 million Resource Graph rows).
MAX_PAGES = 10_000
#: Bytes of one answer, decoded, counted while it is read (a Resource Graph page of 1,000 workflows with
#: their definitions is a few megabytes).
MAX_ANSWER_BYTES = 32 * 1024 * 1024
#: Bytes of all pages of one read together (what one list may cost in memory before it is parsed).
MAX_READ_BYTES = 256 * 1024 * 1024


def is_guid(value: Any) -> bool:
    """A subscription id (or any GUID): the only thing a discovered subscription may put in a path."""
    return isinstance(value, str) and bool(_GUID.match(value))


def is_management_group_name(value: Any) -> bool:
    """A management group's name (its id) as ARM allows it: letters, digits, ``-_().``, up to 90."""
    return isinstance(value, str) and bool(_MG_NAME.match(value)) and value.strip(".") != ""


def _shown(value: str) -> str:
    return terminal(repr(value))


class LiveError(Exception):
    """A live scan that cannot start or run (no SDK, no credential, bad endpoint): exit code 2."""


@dataclass(frozen=True)
class LiveOptions:
    """Everything ``auditor scan --live`` / ``auditor access export --live`` needs."""

    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None
    auth: str = "default"
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    concurrency: int = 16
    request_timeout: float = 30.0
    scan_timeout: float = 3600.0
    graph_threshold: int = 50
    allow_partial: bool = False
    verbose: bool = False
    progress: bool | None = None  # None: a rich display when stderr is a terminal
    max_retry_after: float = 60.0  # a Retry-After longer than this is waited for this long only
    retries: int = 6
    max_pages: int = MAX_PAGES  # a list or query with more pages is recorded as failed (LIV001)
    max_answer_bytes: int = MAX_ANSWER_BYTES  # a larger answer is not read: its read fails
    max_read_bytes: int = MAX_READ_BYTES  # all pages of one read together

    @property
    def endpoint(self) -> str:
        """The ARM endpoint every request goes to (no trailing ``/``)."""
        return (self.arm_endpoint or CLOUDS[self.cloud][0]).rstrip("/")

    @property
    def scope(self) -> str:
        """The token scope: the endpoint's ``/.default``."""
        return self.endpoint + "/.default"

    @property
    def cloud_authority(self) -> str:
        """The Entra authority host of ``--cloud`` (``AZURE_AUTHORITY_HOST`` overrides it)."""
        return CLOUDS[self.cloud][1]


def _number(args: Any, name: str, default: float, *, minimum: float, integer: bool = False) -> Any:
    value = getattr(args, name, None)
    if value is None:
        return default
    if value < minimum:
        flag = "--" + name.replace("_", "-")
        raise ValueError(f"{flag} must be at least {minimum:g}, got {value:g}")
    return int(value) if integer else float(value)


def options_from_args(args: Any, subscriptions: list[str] | None = None) -> LiveOptions:
    """``argparse`` values → LiveOptions; raises ValueError with a message for the user."""
    subs: list[str] = []
    for value in subscriptions if subscriptions is not None else getattr(args, "subscription", None) or []:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not _GUID.match(part):
                raise ValueError(f"--subscription expects a subscription id (a GUID), got {_shown(part)}")
            if part.lower() not in (s.lower() for s in subs):
                subs.append(part)
    mg = getattr(args, "management_group", None)
    if mg is not None:
        mg = mg.strip()
        if not _MG_NAME.match(mg):
            raise ValueError(f"--management-group expects a management group name (its id), got {_shown(mg)}")
        if subs:
            raise ValueError("use either --subscription or --management-group, not both")
    endpoint = getattr(args, "arm_endpoint", None)
    if endpoint is not None:
        parts = urlsplit(endpoint.strip())
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                f"--arm-endpoint expects an https:// URL such as https://management.local.azurestack.external, "
                f"got {_shown(endpoint)}"
            )
        if parts.path.strip("/"):
            raise ValueError(
                f"--arm-endpoint expects the endpoint's root URL without a path, got {_shown(endpoint)}"
            )
        endpoint = f"https://{parts.netloc}"
    cloud = getattr(args, "cloud", None) or "AzureCloud"
    if cloud not in CLOUDS:
        raise ValueError(f"--cloud must be one of {', '.join(CLOUDS)}, got {_shown(cloud)}")
    auth = getattr(args, "auth", None) or "default"
    if auth not in AUTH_MODES:
        raise ValueError(f"--auth must be one of {', '.join(AUTH_MODES)}, got {_shown(auth)}")
    return LiveOptions(
        subscriptions=tuple(subs),
        management_group=mg,
        auth=auth,
        cloud=cloud,
        arm_endpoint=endpoint,
        concurrency=_number(args, "concurrency", 16, minimum=1, integer=True),
        request_timeout=_number(args, "request_timeout", 30.0, minimum=1),
        scan_timeout=_number(args, "scan_timeout", 3600.0, minimum=1),
        graph_threshold=_number(args, "graph_threshold", 50, minimum=0, integer=True),
        allow_partial=bool(getattr(args, "allow_partial", False)),
        verbose=bool(getattr(args, "verbose", False)),
    )
