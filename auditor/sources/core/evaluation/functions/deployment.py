"""Deployment, scope and resource-id functions, and the deploy-time ones that only Azure can answer.

``parameters``/``variables``/``copyIndex``, ``subscription()``/``resourceGroup()``/``deployment()``,
``resourceId`` and its scope variants, and ``reference``/``listCallbackUrl``/policy functions,
which return Unknowns (values nobody knows before deployment) rather than errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from auditor.sources.core.evaluation.functions.registry import LAZY, template_function
from auditor.sources.core.evaluation.values import (
    EvalError,
    derived_unknown,
    get_property,
    id_segment,
    want_int,
    want_str,
)
from auditor.unknown import CallbackUrl, ResourceReference, Unknown

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator, Node


# --------------------------------------------------------------------------- deployment and scope


@template_function("parameters", 1, 1)
def _parameters(ev: Evaluator, args: list[Any]) -> Any:
    """parameters(name): the context's value; an undeclared name is a template error."""
    name = want_str("parameters", args[0], "the parameter name")
    try:
        return ev.ctx.parameter(name)
    except KeyError:
        raise EvalError(f"parameter '{name}' is not declared in the template") from None


@template_function("variables", 1, 1)
def _variables(ev: Evaluator, args: list[Any]) -> Any:
    """variables(name): the context's value; an undeclared name is a template error."""
    name = want_str("variables", args[0], "the variable name")
    try:
        return ev.ctx.variable(name)
    except KeyError:
        raise EvalError(f"variable '{name}' is not declared in the template") from None


@template_function("copyIndex", 0, 2)
def _copy_index(ev: Evaluator, args: list[Any]) -> Any:
    """copyIndex(), copyIndex(offset), copyIndex('loop'), copyIndex('loop', offset)."""
    loop: str | None = None
    offset = 0
    if len(args) == 2:
        loop = want_str("copyIndex", args[0], "the loop name")
        offset = want_int("copyIndex", args[1], "the offset")
    elif len(args) == 1:
        if isinstance(args[0], str):
            loop = args[0]
        else:
            offset = want_int("copyIndex", args[0], "the loop name or offset")
    try:
        index = ev.ctx.copy_index(loop)
    except KeyError:
        where = f"a copy loop named '{loop}'" if loop is not None else "a copy loop"
        raise EvalError(f"copyIndex() is used outside of {where}") from None
    if isinstance(index, Unknown):
        return index
    return want_int("copyIndex", index, "the loop index") + offset


def _deployment_function(key: str, display: str) -> Callable[[Evaluator, list[Any]], Any]:
    """Implementation of one scope function, delegated to the context (which knows the scope)."""

    def impl(ev: Evaluator, args: list[Any]) -> Any:
        try:
            return ev.ctx.deployment_function(key, list(args))
        except KeyError:
            raise EvalError(f"{display}() is not available in this deployment's scope") from None

    impl.__doc__ = f"{display}(): the object the context returns for '{key}'."
    return impl


for _display, _max_args in (
    ("subscription", 0),
    ("resourceGroup", 0),
    ("deployment", 0),
    ("tenant", 0),
    ("environment", 0),
    ("managementGroup", 1),
):
    template_function(_display, 0, _max_args)(_deployment_function(_display.lower(), _display))


# --------------------------------------------------------------------------- resource ids


def _type_position(fn: str, segments: list[str], max_leading: int) -> int:
    """Index of the resource type: ARM requires exactly one argument with '/' in it."""
    positions = [i for i, s in enumerate(segments) if "/" in s]
    if len(positions) != 1:
        found = "none" if not positions else ", ".join(repr(segments[i]) for i in positions)
        raise EvalError(
            f"{fn}() needs exactly one argument that is a resource type such as 'Microsoft.Logic/workflows' "
            f"(arguments with '/': {found})"
        )
    position = positions[0]
    if position > max_leading:
        raise EvalError(f"{fn}() accepts at most {max_leading} argument(s) before the resource type")
    return position


def _provider_path(fn: str, resource_type: str, names: list[str]) -> str:
    """``providers/NS/t1/n1/t2/n2``: the type's segments interleaved with the names."""
    namespace, _, rest = resource_type.partition("/")
    types = rest.split("/")
    if not namespace or not all(types):
        raise EvalError(
            f"{fn}(): '{resource_type}' is not a resource type (expected 'Namespace/type[/child]')"
        )
    if len(names) != len(types):
        raise EvalError(
            f"{fn}(): resource type '{resource_type}' needs {len(types)} name(s), got {len(names)}"
        )
    parts = [namespace]
    for type_segment, name in zip(types, names, strict=True):
        parts.append(type_segment)
        parts.append(name)
    return "providers/" + "/".join(parts)


def _scope_value(ev: Evaluator, key: str) -> Any:
    """Default subscription or resource group from the context, for ids built without them."""
    scope = ev.ctx.resource_scope()
    return scope.get(key) if isinstance(scope, dict) else None


@template_function("resourceId", 2, None)
def _resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """resourceId([subscriptionId], [resourceGroupName], type, names...).

    The leading optionals are told apart as ARM does: the one argument containing '/' is the
    type, so 0, 1 (resource group) or 2 (subscription, group) arguments come before it.
    """
    segments = [id_segment("resourceId", a, i) for i, a in enumerate(args)]
    t = _type_position("resourceId", segments, 2)
    path = _provider_path("resourceId", segments[t], segments[t + 1 :])
    subscription: Any
    group: Any
    if t == 2:
        subscription, group = segments[0], segments[1]
    else:
        subscription = _scope_value(ev, "subscriptionId")
        group = _scope_value(ev, "resourceGroup")
        if t == 1:
            # One leading argument is the resource group; at subscription scope
            # (no resource group) it is the subscription, as in ARM.
            if group is None:
                subscription, group = segments[0], None
            else:
                group = segments[0]
    for value in (subscription, group):
        if isinstance(value, Unknown):
            return derived_unknown(value)
    if subscription is None:
        if group is not None:
            raise EvalError(
                "resourceId() names a resource group, but the deployment scope has no subscription"
            )
        return f"/{path}"
    if group is None:
        return f"/subscriptions/{subscription}/{path}"
    return f"/subscriptions/{subscription}/resourceGroups/{group}/{path}"


@template_function("subscriptionResourceId", 2, None)
def _subscription_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """subscriptionResourceId([subscriptionId], type, names...): an id without a resource group."""
    segments = [id_segment("subscriptionResourceId", a, i) for i, a in enumerate(args)]
    t = _type_position("subscriptionResourceId", segments, 1)
    path = _provider_path("subscriptionResourceId", segments[t], segments[t + 1 :])
    subscription = segments[0] if t == 1 else _scope_value(ev, "subscriptionId")
    if isinstance(subscription, Unknown):
        return derived_unknown(subscription)
    if subscription is None:
        raise EvalError("subscriptionResourceId() needs a subscription, and this deployment has none")
    return f"/subscriptions/{subscription}/{path}"


@template_function("tenantResourceId", 2, None)
def _tenant_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """tenantResourceId(type, names...): ``/providers/...``."""
    segments = [id_segment("tenantResourceId", a, i) for i, a in enumerate(args)]
    t = _type_position("tenantResourceId", segments, 0)
    return "/" + _provider_path("tenantResourceId", segments[t], segments[t + 1 :])


@template_function("extensionResourceId", 3, None)
def _extension_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """extensionResourceId(resourceId, type, names...): an extension resource under another id."""
    base = want_str("extensionResourceId", args[0], "the resource id")
    segments = [id_segment("extensionResourceId", a, i + 1) for i, a in enumerate(args[1:])]
    t = _type_position("extensionResourceId", segments, 0)
    path = _provider_path("extensionResourceId", segments[t], segments[t + 1 :])
    return f"{base.rstrip('/')}/{path}"


@template_function("managementGroupResourceId", 2, None)
def _management_group_resource_id(ev: Evaluator, args: list[Any]) -> Any:
    """managementGroupResourceId([groupName], type, names...); the default group comes from
    managementGroup().name of the context."""
    fn = "managementGroupResourceId"
    segments = [id_segment(fn, a, i) for i, a in enumerate(args)]
    t = _type_position(fn, segments, 1)
    path = _provider_path(fn, segments[t], segments[t + 1 :])
    group: Any
    if t == 1:
        group = segments[0]
    else:
        try:
            current = ev.ctx.deployment_function("managementgroup", [])
        except KeyError:
            raise EvalError(f"{fn}() needs a management group, and this deployment has none") from None
        if isinstance(current, Unknown):
            return derived_unknown(current)
        group = get_property(current, "name") if isinstance(current, dict) else None
        if isinstance(group, Unknown):
            return derived_unknown(group)
        if not isinstance(group, str):
            raise EvalError(f"{fn}() needs a management group name, and the deployment does not give one")
    return f"/providers/Microsoft.Management/managementGroups/{group}/{path}"


# --------------------------------------------------------------------------- deploy-time only


def _deploy_time(name: str, reason: str) -> None:
    """Register ``name`` as a function whose value only exists at deployment: always ``reason``."""

    def impl(ev: Evaluator, nodes: Sequence[Node]) -> Unknown:
        return Unknown(reason, ev.text)

    impl.__doc__ = reason
    template_function(name, 0, None, LAZY)(impl)


_REFERENCE_REASON = "reference() reads a resource's runtime state, which only Azure knows at deployment"


@template_function("reference", 1, 3, LAZY)
def _reference(ev: Evaluator, nodes: Sequence[Node]) -> ResourceReference:
    """Always a ResourceReference: the state is unknown, but the resource it reads (and, through
    get_property, the path read from it) links ``….identity.principalId`` to that resource."""
    values: list[Any] = []
    for node in nodes:
        try:
            values.append(ev.eval(node))
        except EvalError as exc:
            values.append(Unknown(exc.reason, ev.text))
    option = values[2] if len(values) > 2 else None
    return ResourceReference(
        reason=_REFERENCE_REASON,
        expression=ev.text,
        target=values[0],
        api_version=values[1] if len(values) > 1 else None,
        full=isinstance(option, str) and option.strip().lower() == "full",
    )


_deploy_time("utcNow", "utcNow() is the time of the deployment")
_deploy_time("newGuid", "newGuid() returns a new random GUID at each deployment")
_deploy_time("pickZones", "pickZones() depends on the availability zones Azure offers at deployment")
_deploy_time("deployer", "deployer() is the identity that runs the deployment")
# Azure Policy rule functions: they read the resource under evaluation, which a
# policy definition on disk does not have.
_deploy_time("field", "field() reads the resource Azure Policy is evaluating")
_deploy_time("current", "current() reads the array member Azure Policy is evaluating in a count loop")
_deploy_time("requestContext", "requestContext() describes the request Azure Policy is evaluating")
_deploy_time("policy", "policy() describes the policy assignment being evaluated")


@template_function("listCallbackUrl", 1, 3, LAZY)
def _list_callback_url(ev: Evaluator, nodes: Sequence[Node]) -> CallbackUrl:
    """Always a CallbackUrl: the URL is a deploy-time secret, but the trigger it names (the
    target) is what the checks compare, so a failing or unknown argument must not lose it."""
    values: list[Any] = []
    for node in nodes[:2]:
        try:
            values.append(ev.eval(node))
        except EvalError as exc:
            values.append(Unknown(exc.reason, ev.text))
    return CallbackUrl(
        reason="listCallbackUrl() is resolved by Azure at deployment",
        expression=ev.text,
        target=values[0],
        api_version=values[1] if len(values) > 1 else None,
    )
