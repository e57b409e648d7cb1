"""The ARM / Entra ID emulator, proven with the real Azure SDK clients and with raw HTTPS.

Every request goes to 127.0.0.1: SDK clients get ``raw_request_hook=assert_loopback`` (see
helpers.py) and the raw helper below refuses any other host. Each SDK test skips with the reason
when its package is missing (``pip install -e '.[live]'``).
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.live.emulator import Emulator, Faults, make_subscriptions, running_emulator
from tests.live.helpers import REPO, NonLoopbackRequest, assert_loopback, credential_kwargs, sdk_kwargs

SUB_PROD = "6b1c3e9a-2f4d-4a8b-9c7e-1d2f3a4b5c6d"
SUB_DEV = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
SUB_SANDBOX = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
DINE_POLICIES = {
    "f1525828-9a90-4fcf-be48-268cdd02361e",
    "73d6ab6c-2475-4850-afd6-43795f3492ef",
    "509122b9-ddd9-47ba-a5f1-d0dac20be63c",
}
EVIL = "https://evil.example.invalid/subscriptions?api-version=2022-12-01&%24skiptoken=stolen"


# -- raw HTTPS helpers (standard library) ---------------------------------------------------------


def call(
    emu: Emulator,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One request to the emulator; returns (status, lower-cased headers, parsed JSON or text)."""
    url = path if path.startswith("https://") else emu.url + path
    assert urlsplit(url).hostname == "127.0.0.1", url
    headers: dict[str, str] = {"Accept": "application/json"}
    data: bytes | None = None
    if form is not None:
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    context = ssl.create_default_context(cafile=emu.ca_path)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=15) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, _parse(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, _parse(err.read())


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def raw_token(emu: Emulator, scope: str | None = None) -> str:
    status, _, body = call(
        emu,
        "POST",
        f"/{emu.tenant}/oauth2/token",
        form={
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "scope": scope or emu.scope,
        },
    )
    assert status == 200, body
    return str(body["access_token"])


def collect(emu: Emulator, path: str, token: str) -> list[dict[str, Any]]:
    """Follow nextLink to the end (loopback only), as a scanner would."""
    items: list[dict[str, Any]] = []
    url: str | None = path
    for _ in range(1000):
        if url is None:
            return items
        status, _, body = call(emu, "GET", url, token=token)
        assert status == 200, body
        items.extend(body["value"])
        url = body.get("nextLink")
    raise AssertionError("paging did not end")


@pytest.fixture
def token(emulator: Emulator) -> str:
    return raw_token(emulator)


# -- the SDK side ---------------------------------------------------------------------------------


@pytest.fixture
def credential(emulator: Emulator) -> Any:
    identity = pytest.importorskip(
        "azure.identity", reason="azure-identity is not installed (pip install -e '.[live]')"
    )
    return identity.ClientSecretCredential(
        emulator.tenant, emulator.client_id, emulator.client_secret, **credential_kwargs(emulator)
    )


def _sdk(module: str, package: str) -> Any:
    return pytest.importorskip(module, reason=f"{package} is not installed (pip install -e '.[live]')")


# ==================================================================================================
# Entra ID (ADFS-style authority)
# ==================================================================================================


def test_client_secret_credential_gets_a_token_from_the_adfs_authority(
    emulator: Emulator, credential: Any
) -> None:
    access = credential.get_token(emulator.scope)
    assert access.token and access.expires_on > time.time() + 3000
    kinds = [(r.method, r.path.rstrip("/"), r.kind, r.status) for r in emulator.requests]
    assert ("GET", "/adfs/.well-known/openid-configuration", "discovery", 200) in kinds
    assert ("POST", "/adfs/oauth2/token", "token", 200) in kinds
    # no instance discovery: nothing but the two ADFS endpoints was asked for
    assert {r.path.rstrip("/") for r in emulator.requests} == {
        "/adfs/.well-known/openid-configuration",
        "/adfs/oauth2/token",
    }
    token_request = next(r for r in emulator.requests if r.kind == "token")
    assert token_request.scope == emulator.scope
    assert token_request.client_id == emulator.client_id


def test_environment_and_default_credential(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    identity = _sdk("azure.identity", "azure-identity")
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    # restrict DefaultAzureCredential to the environment (no managed-identity probe of 169.254.169.254)
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
    env_cred = identity.EnvironmentCredential(raw_request_hook=assert_loopback)
    assert env_cred.get_token(emulator.scope).token
    default_cred = identity.DefaultAzureCredential(raw_request_hook=assert_loopback)
    assert default_cred.get_token(emulator.scope).token


def test_guid_tenant_works_with_instance_discovery_disabled(emulator: Emulator) -> None:
    identity = _sdk("azure.identity", "azure-identity")
    cred = identity.ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        emulator.client_secret,
        disable_instance_discovery=True,
        **credential_kwargs(emulator),
    )
    assert cred.get_token(emulator.scope).token
    assert f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration" in {
        r.path for r in emulator.requests
    }


def test_wrong_secret_is_rejected_like_entra_id(emulator: Emulator) -> None:
    status, _, body = call(
        emulator,
        "POST",
        "/adfs/oauth2/token/",
        form={
            "grant_type": "client_credentials",
            "client_id": emulator.client_id,
            "client_secret": "not-the-secret",
            "scope": emulator.scope,
        },
    )
    assert status == 401
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_wrong_secret_with_the_sdk(emulator: Emulator) -> None:
    identity = _sdk("azure.identity", "azure-identity")
    from azure.core.exceptions import ClientAuthenticationError

    cred = identity.ClientSecretCredential(
        emulator.tenant, emulator.client_id, "wrong", **credential_kwargs(emulator)
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token(emulator.scope)


def test_token_endpoint_errors(emulator: Emulator) -> None:
    base = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    status, _, body = call(emulator, "POST", "/adfs/oauth2/token", form={**base, "client_id": "someone-else"})
    assert (status, body["error"], body["error_codes"]) == (400, "unauthorized_client", [700016])
    status, _, body = call(emulator, "POST", "/adfs/oauth2/token", form={**base, "scope": "user.read"})
    assert (status, body["error"]) == (400, "invalid_scope")
    status, _, body = call(emulator, "POST", "/adfs/oauth2/token", form={**base, "grant_type": "password"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, _, body = call(emulator, "GET", "/not-a-tenant/v2.0/.well-known/openid-configuration")
    assert (status, body["error"]) == (400, "invalid_tenant")


# ==================================================================================================
# ARM gatekeeping: bearer, api-version, errors
# ==================================================================================================


def test_arm_requires_a_bearer_token(emulator: Emulator) -> None:
    status, headers, body = call(emulator, "GET", "/subscriptions?api-version=2022-12-01")
    assert status == 401
    assert body == {
        "error": {
            "code": "AuthenticationFailed",
            "message": "Authentication failed. The 'Authorization' header is missing.",
        }
    }
    challenge = headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'authorization_uri="{emulator.url}/adfs"' in challenge
    status, headers, body = call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token="forged")
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationToken")
    assert "www-authenticate" in headers
    records = emulator.requests
    assert [(r.bearer, r.token_valid, r.status) for r in records] == [(False, False, 401), (True, False, 401)]


def test_token_for_another_audience_is_refused(emulator: Emulator) -> None:
    graph_token = raw_token(emulator, "https://graph.microsoft.com/.default")
    status, _, body = call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=graph_token)
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationTokenAudience")
    # ARM's own audiences are accepted too (for scanners that keep the default scope)
    arm_token = raw_token(emulator, "https://management.azure.com/.default")
    assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=arm_token)[0] == 200


def test_revoked_tokens_get_401(emulator: Emulator, token: str) -> None:
    assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)[0] == 200
    emulator.revoke_tokens()
    assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)[0] == 401


def test_api_version_is_required(emulator: Emulator, token: str) -> None:
    status, _, body = call(emulator, "GET", "/subscriptions", token=token)
    assert (status, body["error"]["code"]) == (400, "MissingApiVersionParameter")
    status, _, body = call(emulator, "GET", "/subscriptions?api-version=latest", token=token)
    assert (status, body["error"]["code"]) == (400, "InvalidApiVersionParameter")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/nothing/here", "PathNotFound"),
        ("/subscriptions/00000000-0000-0000-0000-000000000000", "SubscriptionNotFound"),
        (f"/subscriptions/{SUB_PROD}/resourceGroups/rg-missing", "ResourceGroupNotFound"),
        (f"/subscriptions/{SUB_PROD}/providers/Microsoft.Nope/things", "InvalidResourceType"),
        (
            f"/subscriptions/{SUB_PROD}/resourceGroups/rg-secops/providers/Microsoft.Logic/workflows/wf-missing",
            "ResourceNotFound",
        ),
    ],
)
def test_unknown_paths_get_404_with_an_arm_error_body(
    emulator: Emulator, token: str, path: str, code: str
) -> None:
    status, _, body = call(emulator, "GET", f"{path}?api-version=2022-12-01", token=token)
    assert status == 404
    assert body["error"]["code"] == code
    assert body["error"]["message"]


# ==================================================================================================
# ARM surface (raw)
# ==================================================================================================


def test_lists_page_with_absolute_next_links(emulator: Emulator, token: str) -> None:
    status, _, first = call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)
    assert status == 200 and len(first["value"]) == 2
    assert first["nextLink"].startswith(emulator.url + "/subscriptions?")
    assert "api-version=2022-12-01" in first["nextLink"]
    subs = collect(emulator, "/subscriptions?api-version=2022-12-01", token)
    assert {s["subscriptionId"] for s in subs} == {SUB_PROD, SUB_DEV, SUB_SANDBOX}


def test_per_subscription_surface(emulator: Emulator, token: str) -> None:
    def items(path: str, version: str) -> list[dict[str, Any]]:
        return collect(emulator, f"/subscriptions/{SUB_PROD}{path}?api-version={version}", token)

    automations = items("/providers/Microsoft.Security/automations", "2019-01-01-preview")
    assert {a["name"] for a in automations} == {
        "notify-secops-alerts",
        "notify-endpoint-protection",
        "wfa-policy-alerts",
    }
    assert all("uri" not in act for a in automations for act in a["properties"]["actions"])
    workflows = items("/providers/Microsoft.Logic/workflows", "2019-05-01")
    by_name = {w["name"]: w for w in workflows}
    assert by_name["wf-notify-alerts"]["identity"]["type"] == "SystemAssigned"
    assert (
        "When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered"
        in (by_name["wf-legacy-alert-response"]["properties"]["definition"]["triggers"])
    )
    connections = {c["name"]: c for c in items("/providers/Microsoft.Web/connections", "2016-06-01")}
    assert connections["ascalert"]["properties"]["statuses"] == [{"status": "Connected"}]
    office = connections["office365"]["properties"]
    assert office["statuses"][0]["status"] == "Error"
    assert office["statuses"][0]["error"]["code"] == "Unauthenticated"
    assert office["api"]["id"].endswith("/managedApis/office365")
    assert not any(
        "ParameterValue" in key or key == "parameterValues"
        for c in connections.values()
        for key in c["properties"]
    )
    assignments = items("/providers/Microsoft.Authorization/roleAssignments", "2022-04-01")
    scopes = {a["properties"]["scope"] for a in assignments}
    assert (
        "/" in scopes and "/providers/Microsoft.Management/managementGroups/mg-contoso" in scopes
    )  # inherited
    definitions = items("/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01")
    assert any(d["properties"]["type"] == "CustomRole" for d in definitions)
    assert all(d["id"].startswith(f"/subscriptions/{SUB_PROD}/") for d in definitions)
    deny = items("/providers/Microsoft.Authorization/denyAssignments", "2022-04-01")
    assert len(deny) == 1 and deny[0]["properties"]["isSystemProtected"] is True
    policies = items("/providers/Microsoft.Authorization/policyAssignments", "2023-04-01")
    assert {p["properties"]["policyDefinitionId"].rsplit("/", 1)[-1] for p in policies} <= DINE_POLICIES
    assert all(p["identity"]["type"] == "SystemAssigned" for p in policies)
    custom_meta = items("/providers/Microsoft.Security/assessmentMetadata", "2021-06-01")
    assert any(m["properties"]["assessmentType"] == "CustomerManaged" for m in custom_meta)
    status, _, automation = call(
        emulator,
        "GET",
        f"/subscriptions/{SUB_PROD}/resourceGroups/rg-secops/providers/Microsoft.Security/automations/notify-secops-alerts?api-version=2019-01-01-preview",
        token=token,
    )
    assert status == 200 and automation["properties"]["sources"][0]["eventSource"] == "Alerts"


def test_tenant_and_management_group_surface(emulator: Emulator, token: str) -> None:
    metadata = collect(
        emulator, "/providers/Microsoft.Security/assessmentMetadata?api-version=2021-06-01", token
    )
    assert any(m["properties"].get("plannedDeprecationDate") for m in metadata)
    status, _, mg = call(
        emulator,
        "GET",
        "/providers/Microsoft.Management/managementGroups/mg-contoso?api-version=2023-04-01&$expand=children",
        token=token,
    )
    assert status == 200 and {c["name"] for c in mg["properties"]["children"]} == {SUB_PROD, SUB_DEV}
    root = emulator.tenant_id
    desc = collect(
        emulator,
        f"/providers/Microsoft.Management/managementGroups/{root}/descendants?api-version=2023-04-01",
        token,
    )
    assert {d["name"] for d in desc} == {"mg-contoso", SUB_PROD, SUB_DEV, SUB_SANDBOX}
    mg_policies = collect(
        emulator,
        "/providers/Microsoft.Management/managementGroups/mg-contoso/providers/Microsoft.Authorization/policyAssignments?api-version=2023-04-01",
        token,
    )
    assert [p["name"] for p in mg_policies] == ["wfa-recommendations"]


def test_all_three_dine_policies_are_in_the_data(emulator: Emulator, token: str) -> None:
    found: set[str] = set()
    for sub in (SUB_PROD, SUB_DEV, SUB_SANDBOX):
        for p in collect(
            emulator,
            f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments?api-version=2023-04-01",
            token,
        ):
            found.add(p["properties"]["policyDefinitionId"].rsplit("/", 1)[-1])
    assert found == DINE_POLICIES


def test_writes_and_actions_are_recorded_and_refused(emulator: Emulator, token: str) -> None:
    wf = f"/subscriptions/{SUB_PROD}/resourceGroups/rg-secops/providers/Microsoft.Logic/workflows/wf-notify-alerts"
    conn = f"/subscriptions/{SUB_PROD}/resourceGroups/rg-secops/providers/Microsoft.Web/connections/office365"
    q = "?api-version=2019-05-01"
    assert call(emulator, "PUT", wf + q, token=token, body={"location": "westeurope"})[0] == 405
    assert call(emulator, "PATCH", wf + q, token=token, body={"tags": {}})[0] == 405
    assert call(emulator, "DELETE", wf + q, token=token)[0] == 405
    status, _, body = call(
        emulator, "POST", f"{wf}/triggers/manual/listCallbackUrl{q}", token=token, body=b""
    )
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")
    assert "Microsoft.Logic/workflows/triggers/listCallbackUrl/action" in body["error"]["message"]
    assert (
        call(emulator, "POST", f"{conn}/listConnectionKeys?api-version=2016-06-01", token=token, body=b"")[0]
        == 403
    )
    assert call(emulator, "POST", f"{wf}/listSecrets{q}", body=b"")[0] == 401  # recorded even without a token
    writes = emulator.writes()
    assert [w.method for w in writes] == ["PUT", "PATCH", "DELETE", "POST", "POST", "POST"]
    assert all(w.kind == "write" for w in writes)
    # reads are not writes
    call(emulator, "GET", wf + q, token=token)
    assert len(emulator.writes()) == 6


# ==================================================================================================
# Resource Graph
# ==================================================================================================


def graph(
    emu: Emulator, token: str, body: dict[str, Any], version: str = "2021-03-01"
) -> tuple[int, dict[str, str], Any]:
    return call(
        emu,
        "POST",
        f"/providers/Microsoft.ResourceGraph/resources?api-version={version}",
        token=token,
        body=body,
    )


def test_graph_queries_tables_filters_and_pages(emulator: Emulator, token: str) -> None:
    status, _, first = graph(
        emulator,
        token,
        {
            "subscriptions": [SUB_PROD, SUB_DEV, SUB_SANDBOX],
            "query": "resources | where type =~ 'Microsoft.Logic/workflows'",
        },
    )
    assert status == 200
    assert first["totalRecords"] == 6 and first["count"] == 2 and first["$skipToken"]
    assert first["data"][0]["type"] == "microsoft.logic/workflows"
    rows = list(first["data"])
    skip = first["$skipToken"]
    while skip:
        status, _, page = graph(
            emulator,
            token,
            {
                "subscriptions": [SUB_PROD, SUB_DEV, SUB_SANDBOX],
                "query": "resources | where type =~ 'Microsoft.Logic/workflows'",
                "options": {"$skipToken": skip},
            },
        )
        rows.extend(page["data"])
        skip = page.get("$skipToken")
    assert len({r["id"] for r in rows}) == 6

    status, _, both = graph(
        emulator,
        token,
        {
            "subscriptions": [SUB_PROD],
            "query": "resources | where type in~ ('microsoft.web/connections', 'Microsoft.Security/automations') | project id, name, type | order by name asc",
            "options": {"$top": 100},
        },
    )
    assert both["totalRecords"] == 6
    assert set(both["data"][0]) == {"id", "name", "type"}

    status, _, auth = graph(
        emulator,
        token,
        {"query": "authorizationresources | where type =~ 'microsoft.authorization/roleassignments'"},
    )
    assert status == 200 and auth["totalRecords"] >= 10
    status, _, containers = graph(
        emulator,
        token,
        {
            "query": "resourcecontainers | where type == 'microsoft.resources/subscriptions' | project subscriptionId, properties"
        },
    )
    assert containers["totalRecords"] == 3
    status, _, pol = graph(
        emulator,
        token,
        {
            "query": "policyresources | where type =~ 'Microsoft.Authorization/policyAssignments'",
            "managementGroups": ["mg-contoso"],
        },
    )
    assert pol["totalRecords"] == 3  # two in subscriptions under mg-contoso and one on the group itself


@pytest.mark.parametrize(
    "query",
    [
        "resources | summarize count() by type",
        "nosuchtable | where type =~ 'x'",
        "resources | where type matches regex 'x'",
        "resources | join kind=inner (resourcecontainers) on subscriptionId",
        "",
    ],
)
def test_graph_rejects_unknown_query_shapes(emulator: Emulator, token: str, query: str) -> None:
    status, _, body = graph(emulator, token, {"query": query})
    assert status == 400
    assert body["error"]["code"] == "BadRequest"
    assert {d["code"] for d in body["error"]["details"]} == {"InvalidQuery", "ParserFailure"}


def test_graph_throttle_has_no_retry_after(emulator: Emulator, token: str) -> None:
    emulator.set_faults(graph_throttle={"count": 1})
    status, headers, body = graph(emulator, token, {"query": "resources"})
    assert status == 429 and "retry-after" not in headers
    assert headers["x-ms-user-quota-remaining"] == "0"
    assert body["error"]["code"] == "RateLimiting"
    assert graph(emulator, token, {"query": "resources"})[0] == 200


# ==================================================================================================
# Real SDK clients
# ==================================================================================================


def test_subscription_client_lists_across_pages(emulator: Emulator, credential: Any) -> None:
    subs_mod = _sdk("azure.mgmt.resource.subscriptions", "azure-mgmt-resource-subscriptions")
    client = subs_mod.SubscriptionClient(credential, **sdk_kwargs(emulator))
    subs = list(client.subscriptions.list())
    assert {s.subscription_id for s in subs} == {SUB_PROD, SUB_DEV, SUB_SANDBOX}
    pages = [r for r in emulator.requests if r.kind == "arm" and r.path == "/subscriptions"]
    assert len(pages) == 2 and all(r.token_valid for r in pages)
    assert "skiptoken" in pages[1].query.lower()


def test_security_center_lists_automations(emulator: Emulator, credential: Any) -> None:
    security = _sdk("azure.mgmt.security", "azure-mgmt-security")
    client = security.SecurityCenter(credential, SUB_PROD, **sdk_kwargs(emulator))
    automations = list(client.automations.list())
    assert {a.name for a in automations} == {
        "notify-secops-alerts",
        "notify-endpoint-protection",
        "wfa-policy-alerts",
    }
    alerts = client.automations.get("rg-secops", "notify-secops-alerts")
    assert alerts.sources[0].event_source == "Alerts"
    assert alerts.actions[0].logic_app_resource_id.endswith("/workflows/wf-notify-alerts")
    assert alerts.actions[0].uri is None
    metadata = list(client.assessments_metadata.list())
    assert any(m.planned_deprecation_date for m in metadata)
    assert any(r.path.endswith("/providers/Microsoft.Security/automations") for r in emulator.requests)


def test_logic_client_lists_workflows(emulator: Emulator, credential: Any) -> None:
    logic = _sdk("azure.mgmt.logic", "azure-mgmt-logic")
    client = logic.LogicManagementClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    workflows = {w.name: w for w in client.workflows.list_by_subscription()}
    assert set(workflows) == {"wf-notify-alerts", "wf-notify-recommendations", "wf-legacy-alert-response"}
    alerts = workflows["wf-notify-alerts"]
    assert alerts.identity.type == "SystemAssigned"
    trigger = alerts.definition["triggers"][
        "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
    ]
    assert trigger["inputs"]["path"] == "/Microsoft.Security/Alert/subscribe"
    assert alerts.parameters["$connections"].value["ascalert"]["id"].endswith("/managedApis/ascalert")
    assert workflows["wf-notify-recommendations"].identity.type == "UserAssigned"
    triggers = [t.name for t in client.workflow_triggers.list("rg-secops", "wf-notify-alerts")]
    assert triggers == ["When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"]


def test_logic_client_list_callback_url_is_refused_and_recorded(emulator: Emulator, credential: Any) -> None:
    logic = _sdk("azure.mgmt.logic", "azure-mgmt-logic")
    from azure.core.exceptions import HttpResponseError

    client = logic.LogicManagementClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    with pytest.raises(HttpResponseError) as info:
        client.workflow_triggers.list_callback_url("rg-secops", "wf-notify-alerts", "manual")
    assert info.value.status_code == 403
    assert [w.path.rsplit("/", 1)[-1] for w in emulator.writes()] == ["listCallbackUrl"]


def test_authorization_policy_and_resource_clients(emulator: Emulator, credential: Any) -> None:
    authorization = _sdk("azure.mgmt.authorization", "azure-mgmt-authorization")
    policy = _sdk("azure.mgmt.resource.policy", "azure-mgmt-resource-policy")
    resources = _sdk("azure.mgmt.resource.resources", "azure-mgmt-resource")
    auth = authorization.AuthorizationManagementClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    assignments = list(auth.role_assignments.list_for_subscription())
    assert any(a.scope == "/" for a in assignments)
    assert [d.deny_assignment_name for d in auth.deny_assignments.list()]
    definitions = list(
        auth.role_definitions.list(f"/subscriptions/{SUB_PROD}", filter="type eq 'CustomRole'")
    )
    assert [d.role_name for d in definitions] == ["SecOps Playbook Operator"]
    pol = policy.PolicyClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    dine = {p.policy_definition_id.rsplit("/", 1)[-1]: p for p in pol.policy_assignments.list()}
    assert set(dine) == {"f1525828-9a90-4fcf-be48-268cdd02361e", "73d6ab6c-2475-4850-afd6-43795f3492ef"}
    assert all(p.identity.principal_id for p in dine.values())
    rm = resources.ResourceManagementClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    conns = list(rm.resources.list(filter="resourceType eq 'Microsoft.Web/connections'"))
    assert {c.name for c in conns} == {"ascalert", "ascassessment", "office365"}
    assert rm.resource_groups.check_existence("rg-secops") is True
    assert rm.resource_groups.check_existence("rg-nope") is False


def test_resource_graph_client_pages(emulator: Emulator, credential: Any) -> None:
    rg_mod = _sdk("azure.mgmt.resourcegraph", "azure-mgmt-resourcegraph")
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    client = rg_mod.ResourceGraphClient(credential, **sdk_kwargs(emulator))
    query = "resources | where type =~ 'microsoft.security/automations' | project id, name, subscriptionId"
    rows: list[dict[str, Any]] = []
    skip: str | None = None
    for _ in range(20):
        result = client.resources(
            QueryRequest(
                subscriptions=[SUB_PROD, SUB_DEV],
                query=query,
                options=QueryRequestOptions(top=1000, skip_token=skip),
            )
        )
        rows.extend(result.data)
        skip = result.skip_token
        if not skip:
            break
    assert result.total_records == 5
    assert len({r["id"] for r in rows}) == 5


# ==================================================================================================
# Faults through the SDK
# ==================================================================================================


def test_429_with_retry_after_is_retried_by_azure_core(emulator: Emulator, credential: Any) -> None:
    logic = _sdk("azure.mgmt.logic", "azure-mgmt-logic")
    emulator.set_faults(
        throttle=[{"path": "/providers/Microsoft.Logic/workflows$", "count": 2, "retry_after": 1}]
    )
    client = logic.LogicManagementClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    started = time.monotonic()
    assert len(list(client.workflows.list_by_subscription())) == 3
    assert time.monotonic() - started >= 1.8  # two Retry-After: 1 waits
    statuses = [(r.status, r.fault) for r in emulator.requests if r.path.endswith("/workflows")]
    assert statuses[:3] == [(429, "throttle"), (429, "throttle"), (200, None)]


def test_graph_429_without_retry_after_is_left_to_the_caller(emulator: Emulator, credential: Any) -> None:
    """azure-core retries a POST only on 500/503/504 or when Retry-After is present, so a Resource
    Graph 429 (which carries x-ms-user-quota-* headers instead) reaches the scanner, which must wait
    and retry itself."""
    rg_mod = _sdk("azure.mgmt.resourcegraph", "azure-mgmt-resourcegraph")
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.resourcegraph.models import QueryRequest

    emulator.set_faults(graph_throttle={"count": 1})
    client = rg_mod.ResourceGraphClient(credential, **sdk_kwargs(emulator))
    request = QueryRequest(
        subscriptions=[SUB_SANDBOX], query="resources | where type =~ 'microsoft.logic/workflows'"
    )
    with pytest.raises(HttpResponseError) as info:
        client.resources(request)
    assert info.value.status_code == 429
    response: Any = info.value.response
    headers = response.headers
    assert "Retry-After" not in headers and headers["x-ms-user-quota-resets-after"] == "00:00:01"
    assert client.resources(request).total_records == 1  # the caller's own retry
    assert [r.status for r in emulator.requests if r.kind == "graph"] == [429, 200]


def test_503_is_retried(emulator: Emulator, credential: Any) -> None:
    security = _sdk("azure.mgmt.security", "azure-mgmt-security")
    emulator.set_faults(unavailable=[{"path": "/Microsoft.Security/automations", "count": 2}])
    client = security.SecurityCenter(credential, SUB_PROD, **sdk_kwargs(emulator))
    assert len(list(client.automations.list())) == 3
    assert [r.status for r in emulator.requests if r.path.endswith("/automations")][:3] == [503, 503, 200]


def test_403_for_one_subscription_is_an_http_response_error(emulator: Emulator, credential: Any) -> None:
    logic = _sdk("azure.mgmt.logic", "azure-mgmt-logic")
    from azure.core.exceptions import HttpResponseError

    emulator.set_faults(forbidden=[{"subscription": SUB_SANDBOX}])
    client = logic.LogicManagementClient(credential, SUB_SANDBOX, **sdk_kwargs(emulator))
    with pytest.raises(HttpResponseError) as info:
        list(client.workflows.list_by_subscription())
    assert info.value.status_code == 403
    assert info.value.error is not None and info.value.error.code == "AuthorizationFailed"
    # the other subscriptions are untouched
    other = logic.LogicManagementClient(credential, SUB_PROD, **sdk_kwargs(emulator))
    assert len(list(other.workflows.list_by_subscription())) == 3


def test_403_for_one_type_in_one_subscription(emulator: Emulator, credential: Any, token: str) -> None:
    emulator.set_faults(forbidden=[{"subscription": SUB_PROD, "type": "Microsoft.Web/connections"}])
    base = f"/subscriptions/{SUB_PROD}/providers"
    status, _, body = call(
        emulator, "GET", f"{base}/Microsoft.Web/connections?api-version=2016-06-01", token=token
    )
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")
    assert "Microsoft.Web/connections/read" in body["error"]["message"]
    assert (
        call(emulator, "GET", f"{base}/Microsoft.Logic/workflows?api-version=2019-05-01", token=token)[0]
        == 200
    )
    # Resource Graph hides the forbidden rows instead of failing
    status, _, rows = graph(
        emulator,
        token,
        {"subscriptions": [SUB_PROD], "query": "resources | where type =~ 'microsoft.web/connections'"},
    )
    assert status == 200 and rows["totalRecords"] == 0


def test_foreign_next_link_is_served_as_given(emulator: Emulator, credential: Any) -> None:
    subs_mod = _sdk("azure.mgmt.resource.subscriptions", "azure-mgmt-resource-subscriptions")
    emulator.set_faults(foreign_next_link={"path": "^/subscriptions$", "url": EVIL})
    client = subs_mod.SubscriptionClient(credential, **sdk_kwargs(emulator))
    pages = client.subscriptions.list().by_page()
    first = list(next(pages))
    assert len(first) == 2
    assert pages.continuation_token == EVIL  # the SDK would follow it: a scanner must check the host
    with pytest.raises(NonLoopbackRequest):  # the test hook stops it before any connection
        next(pages)
    assert all(r.path == "/subscriptions" or r.kind != "arm" for r in emulator.requests)


def test_token_endpoint_failure_modes(emulator: Emulator) -> None:
    identity = _sdk("azure.identity", "azure-identity")
    from azure.core.exceptions import ClientAuthenticationError

    emulator.set_faults(token={"mode": "invalid_client"})
    cred = identity.ClientSecretCredential(
        emulator.tenant, emulator.client_id, emulator.client_secret, **credential_kwargs(emulator)
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token(emulator.scope)
    emulator.set_faults(token={"mode": "server_error", "count": 1})  # one 500, then tokens again
    cred = identity.ClientSecretCredential(
        emulator.tenant, emulator.client_id, emulator.client_secret, **credential_kwargs(emulator)
    )
    assert cred.get_token(emulator.scope).token
    statuses = [r.status for r in emulator.requests if r.kind == "token"]
    assert statuses[-2:] == [500, 200]
    for mode, status in (("unavailable", 503), ("malformed", 200), ("unauthorized_client", 400)):
        emulator.set_faults(token={"mode": mode, "count": 1})
        got, _, _ = call(
            emulator,
            "POST",
            "/adfs/oauth2/token",
            form={
                "grant_type": "client_credentials",
                "client_id": emulator.client_id,
                "client_secret": emulator.client_secret,
                "scope": emulator.scope,
            },
        )
        assert got == status, mode


def test_latency_fault(emulator: Emulator, token: str) -> None:
    emulator.set_faults(latency_ms=300)
    started = time.monotonic()
    assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)[0] == 200
    assert time.monotonic() - started >= 0.3
    assert emulator.requests[-1].fault == "latency"


# ==================================================================================================
# Log, admin API, concurrency, scale, CLI
# ==================================================================================================


def test_log_never_holds_the_token_or_the_secret(emulator: Emulator, credential: Any) -> None:
    subs_mod = _sdk("azure.mgmt.resource.subscriptions", "azure-mgmt-resource-subscriptions")
    client = subs_mod.SubscriptionClient(credential, **sdk_kwargs(emulator))
    list(client.subscriptions.list())
    access = credential.get_token(emulator.scope).token
    status, _, admin_log = call(emulator, "GET", "/_emulator/requests")
    assert status == 200 and admin_log["count"] == len(emulator.requests) >= 4
    dumped = json.dumps([r.to_json() for r in emulator.requests]) + json.dumps(admin_log)
    assert access not in dumped
    assert emulator.client_secret not in dumped
    assert "authorization" not in dumped.lower().replace("microsoft.authorization", "")
    methods_paths = {(r["method"], r["path"]) for r in admin_log["requests"]}
    assert ("GET", "/subscriptions") in methods_paths
    assert all(not r["path"].startswith("/_emulator") for r in admin_log["requests"])


def test_admin_api_sets_faults_and_resets_the_log(emulator: Emulator, token: str) -> None:
    emulator.reset_log()
    status, _, faults = call(
        emulator, "PUT", "/_emulator/faults", body={"unavailable": [{"path": "^/subscriptions$", "count": 1}]}
    )
    assert status == 200 and faults["unavailable"][0]["count"] == 1
    assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)[0] == 503
    assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)[0] == 200
    assert call(emulator, "PUT", "/_emulator/faults", body={"no_such_fault": 1})[0] == 400
    assert call(emulator, "GET", "/_emulator/requests")[2]["count"] == 2
    assert call(emulator, "DELETE", "/_emulator/requests")[0] == 200
    assert emulator.requests == []
    assert call(emulator, "GET", "/_emulator/config")[2]["url"] == emulator.url
    assert call(emulator, "GET", "/_emulator/health")[2] == {"status": "ok"}


def test_faults_from_a_document() -> None:
    faults = Faults.from_json(
        {
            "latency_ms": 5,
            "throttle": [{"path": "workflows", "count": 2, "retry_after": 3}],
            "graph_throttle": 1,
            "unavailable": [{"path": "x", "count": None}],
            "forbidden": [{"subscription": SUB_PROD}],
            "foreign_next_link": {"path": "^/subscriptions$", "url": EVIL},
            "token": {"mode": "server_error", "count": 1},
        }
    )
    assert faults.take_throttle("GET", "/a/workflows") is not None
    assert faults.take_throttle("GET", "/a/workflows") is not None
    assert faults.take_throttle("GET", "/a/workflows") is None
    assert all(faults.take_unavailable("GET", "/x") for _ in range(5))  # count null = always
    assert faults.forbidden_for(f"/subscriptions/{SUB_PROD}/resourceGroups") is not None
    assert faults.forbidden_for(f"/subscriptions/{SUB_DEV}") is None
    assert faults.take_token_fault() == "server_error" and faults.take_token_fault() is None


def test_concurrent_clients(emulator: Emulator) -> None:
    token = raw_token(emulator)
    emulator.set_faults(latency_ms=100)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(3):
                assert call(emulator, "GET", "/subscriptions?api-version=2022-12-01", token=token)[0] == 200
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and not any(t.is_alive() for t in threads)
    assert time.monotonic() - started < 2.0  # 24 requests of 100 ms each: serially >= 2.4 s
    assert len([r for r in emulator.requests if r.path == "/subscriptions"]) == 24


def test_generated_thousand_subscriptions() -> None:
    pytest.importorskip("trustme", reason="trustme is not installed")
    dataset = make_subscriptions(1000)
    assert len(dataset.subscriptions) == 1000
    with running_emulator(dataset=dataset, page_size=250) as emu:
        token = raw_token(emu)
        subs = collect(emu, "/subscriptions?api-version=2022-12-01", token)
        assert len(subs) == 1000 and len(emu.requests) == 1 + 4
        sub = subs[500]["subscriptionId"]
        wfs = collect(
            emu, f"/subscriptions/{sub}/providers/Microsoft.Logic/workflows?api-version=2019-05-01", token
        )
        assert len(wfs) == 1
        status, _, rows = graph(
            emu, token, {"query": "resources | where type =~ 'microsoft.security/automations' | project id"}
        )
        assert status == 200 and rows["totalRecords"] == 1000 and rows["count"] == 250
        status, _, pol = graph(
            emu,
            token,
            {"query": "policyresources | where type =~ 'microsoft.authorization/policyassignments'"},
        )
        assert pol["totalRecords"] == 100


@pytest.fixture
def cli_process() -> Iterator[subprocess.Popen[str]]:
    pytest.importorskip("trustme", reason="trustme is not installed")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.live.emulator", "--port", "0", "--page-size", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_cli_prints_one_json_line_and_stops_on_sigterm(cli_process: subprocess.Popen[str]) -> None:
    assert cli_process.stdout is not None
    line_holder: list[str] = []
    reader = threading.Thread(target=lambda: line_holder.append(cli_process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=30)
    assert line_holder and line_holder[0], "the emulator printed nothing"
    info = json.loads(line_holder[0])
    assert {"url", "ca", "tenant", "client_id", "client_secret"} <= set(info)
    assert info["url"].startswith("https://127.0.0.1:") and info["tenant"] == "adfs"
    context = ssl.create_default_context(cafile=info["ca"])
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(info["url"] + "/adfs/.well-known/openid-configuration", timeout=10) as resp:
        assert json.loads(resp.read())["token_endpoint"] == info["url"] + "/adfs/oauth2/token/"
    cli_process.send_signal(signal.SIGTERM)
    assert cli_process.wait(timeout=15) == 0
    assert not os.path.exists(info["ca"])  # its temporary CA directory is removed on exit
