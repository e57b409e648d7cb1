"""ARM resource ids and scopes: the one place that says how they compare and what their parts are.

Azure Resource Manager compares ids and scopes case-insensitively and ignores a trailing ``/``;
role definitions are named by their trailing GUID whatever scope prefix a tenant wrote; a resource
lives in the scope before its first ``/providers/``. Sources (ARM, Terraform, live), link resolution,
the RBAC evaluator and the checks all need exactly these rules, and a second copy that differs in one
corner (the root ``/``, a trailing slash, surrounding blanks) makes two ids equal in one place and not
in another. Pure string functions, no I/O, nothing imported: any layer may use them.
"""

from __future__ import annotations

MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"


def normalize(resource_id: str) -> str:
    """The comparison key of an id or scope: trimmed, lower-case, without trailing ``/``.

    The tenant root ``/`` stays ``/`` (and an empty string stays empty), so a scope never turns into
    "no scope" by normalising.
    """
    text = resource_id.strip().lower()
    trimmed = text.rstrip("/")
    return trimmed or ("/" if text else "")


def last_segment(resource_id: str) -> str:
    """The id's last path segment as written (a resource's name, a role's GUID), ignoring a trailing ``/``."""
    return resource_id.strip().rstrip("/").rsplit("/", 1)[-1]


def last_segment_key(resource_id: str) -> str:
    """:func:`last_segment`, lower-case: how names and GUIDs at the end of ids compare."""
    return last_segment(resource_id).lower()


def role_guid(role_definition_id: str) -> str:
    """The role definition GUID of any id form (``/subscriptions/x/providers/…/roleDefinitions/<guid>``,
    a tenant-level id, or a bare GUID): definitions are identified by the trailing GUID alone."""
    return last_segment_key(role_definition_id)


def parent_scope(resource_id: str) -> str:
    """A resource id minus its provider part: the resource group (or subscription, …) it lives in.

    An id without ``/providers/`` is a scope already and is returned as is; a tenant-level resource
    (``/providers/…``) lives at the root ``/``.
    """
    idx = resource_id.lower().find("/providers/")
    if idx < 0:
        return resource_id
    return resource_id[:idx] or "/"


def is_scope(scope: str) -> bool:
    """A scope is an absolute ARM path (``/``, ``/subscriptions/…``, ``/providers/…``)."""
    return scope.strip().startswith("/")


def broad_scope_kind(scope: str) -> str | None:
    """'tenant root', 'management group' or 'subscription' for those broad scopes, else None."""
    segments = [s for s in normalize(scope).split("/") if s]
    if not segments:
        return "tenant root"
    if len(segments) == 2 and segments[0] == "subscriptions":
        return "subscription"
    if len(segments) == 4 and segments[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return "management group"
    return None


def _is_placeholder(segment: str) -> bool:
    """``{subscriptionId}``, ``{resourceGroup}``…: what a source writes for a scope only known at deployment."""
    return segment.startswith("{") and segment.endswith("}")


def scopes_may_be_equal(first: str, second: str) -> bool:
    """Whether two resource ids may live in the same scope: no segment before ``/providers/`` that both
    spell out (neither is a placeholder) differs.

    ``/subscriptions/{subscriptionId}/resourceGroups/rg-soc/…`` may be the Logic App a template deploys
    into its own resource group (``{resourceGroup}``), but not one deployed to ``rg-legacy``: link
    resolution uses this to refuse a link the ids themselves contradict.
    """
    a = [s for s in normalize(parent_scope(first)).split("/") if s]
    b = [s for s in normalize(parent_scope(second)).split("/") if s]
    if len(a) != len(b):
        return any(_is_placeholder(s) for s in (*a, *b))  # e.g. a management group vs a subscription
    return all(x == y or _is_placeholder(x) or _is_placeholder(y) for x, y in zip(a, b, strict=True))
