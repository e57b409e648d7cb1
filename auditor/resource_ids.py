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


def split_resource_id(resource_id: str) -> tuple[str, tuple[str, ...]] | None:
    """The ARM type and the names of a resource id, as written, or None when it names no resource.

    ``…/providers/Microsoft.Web/sites/app/workflows/wf`` → ``("Microsoft.Web/sites/workflows", ("app", "wf"))``:
    the type is the namespace and every other segment after the *last* ``/providers/`` (an extension
    resource is of its own type, not of the resource it extends), which is how ``resourceId()`` builds
    ids. An id without a provider part (a scope), with an empty segment, or whose last type has no
    name is None: there is no type to tell.
    """
    text = resource_id.strip().rstrip("/")
    idx = text.lower().rfind("/providers/")
    if idx < 0:
        return None
    segments = text[idx + len("/providers/") :].split("/")
    namespace, rest = segments[0], segments[1:]
    if not namespace or not rest or len(rest) % 2 or not all(rest):
        return None
    return "/".join([namespace, *rest[0::2]]), tuple(rest[1::2])


def resource_type(resource_id: str) -> str | None:
    """The ARM type an id names (``Microsoft.Logic/workflows``), as written; None for a scope or a malformed id."""
    split = split_resource_id(resource_id)
    return split[0] if split is not None else None


_GUID_CHARS = frozenset("0123456789abcdef")


def _is_guid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(set(p) <= _GUID_CHARS for p in parts)


def _is_placeholder(text: str) -> bool:
    """``{subscriptionId}``, ``{resourceGroup}``: what sources write for a deployment's own scope."""
    return len(text) > 2 and text[0] == "{" and text[-1] == "}" and text[1:-1].isalnum()


def scope_kind(scope: str) -> str:
    """What an absolute scope is: 'subscription', 'resource group', 'management group', 'tenant root',
    'resource' (an id below a provider), 'empty' or 'malformed'.

    Compared like :func:`normalize` (case-insensitive, surrounding blanks and a trailing ``/``
    ignored). A subscription segment must be a GUID, as Azure's subscription ids are, or a
    placeholder such as ``{subscriptionId}``, which the ARM evaluator writes for ``subscription().id``
    when the deployment target is not given; a resource group segment must not be empty.
    """
    key = normalize(scope)
    if not key:
        return "empty"
    if key == "/":
        return "tenant root"
    if not key.startswith("/"):
        return "malformed"
    segments = key[1:].split("/")
    if segments[:3] == ["providers", "microsoft.management", "managementgroups"] and len(segments) == 4:
        return "management group" if segments[3] else "malformed"
    if len(segments) < 2 or segments[0] != "subscriptions":
        return "malformed"
    if not (_is_guid(segments[1]) or _is_placeholder(segments[1])):
        return "malformed"
    if len(segments) == 2:
        return "subscription"
    if len(segments) == 4 and segments[2] == "resourcegroups" and segments[3]:
        return "resource group"
    return "resource" if resource_type(key) is not None else "malformed"
