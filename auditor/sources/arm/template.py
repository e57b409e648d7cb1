"""Evaluate an ARM deployment template statically into the resources it would deploy.

This is what generic scanners do not do: parameters (defaults, a parameters
file, the values a parent deployment or a policy passes), variables (case-
insensitive, with copy), resource/property/variable copy loops, conditions,
child resources, nested inline deployments with ``outer`` and ``inner``
expression scope, symbolic-name (languageVersion 2.0) templates. Anything only
Azure knows becomes an :class:`~auditor.unknown.Unknown`; an expression that
does not even parse becomes a problem reported by SRC004.

The output is a list of :class:`EvaluatedResource`, each an evaluated body
plus a :class:`~auditor.sources.arm.cursor.Cursor` that still knows the lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.sources.arm import expressions
from auditor.sources.arm.cursor import Context, Cursor, SourceFile, child_path
from auditor.sources.arm.jsonpos import PDict, PList
from auditor.unknown import Unknown, is_unknown

MAX_COPY = 800  # ARM's own limit on copy count
MAX_NESTING = 12  # nested deployments deeper than this are not followed

PLACEHOLDER_SUBSCRIPTION = "{subscriptionId}"
PLACEHOLDER_RESOURCE_GROUP = "{resourceGroup}"
PLACEHOLDER_LOCATION = "{location}"
PLACEHOLDER_TENANT = "{tenantId}"


@dataclass
class ExpressionProblem:
    """An expression that is not valid ARM syntax (ARM would reject the deployment).

    Invalid expressions are rare, so instead of tracking a path for every
    string we evaluate, the position is found afterwards by searching the file
    for the expression's JSON text.
    """

    message: str
    expression: str
    src: SourceFile
    fallback: Cursor

    def offset(self) -> int:
        """Offset of the expression in its file, or of the resource around it."""
        import json

        found = self.src.text.find(json.dumps(self.expression)[1:-1])
        return found - 1 if found > 0 else self.fallback.offset


@dataclass
class EvaluatedResource:
    """A resource after evaluation: full type and name, id, and its evaluated body."""

    type: str | Unknown
    name: str | Unknown
    id: str | Unknown
    display: str
    cursor: Cursor  # the evaluated resource object
    scope_subscription: Any
    scope_resource_group: Any
    scope_level: str = "resourceGroup"  # the level of the deployment that declares it (Scope.level)


@dataclass
class Scope:
    """The deployment scope a template runs in (placeholders unless known)."""

    level: str = "resourceGroup"  # resourceGroup | subscription | managementGroup | tenant
    subscription_id: Any = PLACEHOLDER_SUBSCRIPTION
    resource_group: Any = PLACEHOLDER_RESOURCE_GROUP
    location: Any = PLACEHOLDER_LOCATION


def scope_level_from_schema(schema: object) -> str:
    """Infer the deployment level from ``$schema``."""
    if not isinstance(schema, str):
        return "resourceGroup"
    lowered = schema.lower()
    if "subscriptiondeploymenttemplate" in lowered:
        return "subscription"
    if "managementgroupdeploymenttemplate" in lowered:
        return "managementGroup"
    if "tenantdeploymenttemplate" in lowered:
        return "tenant"
    return "resourceGroup"


@dataclass
class _Loop:
    name: str | None
    index: Any  # int, or Unknown when the loop's count is unknown


def _without_nested(body: Any) -> Any:
    """A resource body minus what is evaluated separately: child resources and inline templates."""
    if not isinstance(body, PDict):
        return body
    nested_template = isinstance(body.get("properties"), dict) and "template" in body["properties"]
    if "resources" not in body and not nested_template:
        return body
    out = PDict((k, v) for k, v in body.items() if k != "resources")
    out.start, out.key_pos, out.src = body.start, body.key_pos, body.src
    if nested_template:
        props = body["properties"]
        trimmed = PDict((k, v) for k, v in props.items() if k != "template")
        if isinstance(props, PDict):
            trimmed.start, trimmed.key_pos, trimmed.src = props.start, props.key_pos, props.src
        out["properties"] = trimmed
    return out


class TemplateEvaluator:
    """Evaluates one template (or nested template) in one parameter scope.

    ``supplied`` are parameter values given from outside (parameters file,
    parent deployment, policy); they are already evaluated. ``parent`` is the
    evaluator whose parameters and variables an ``outer``-scoped nested
    template uses.
    """

    def __init__(
        self,
        template: Any,
        cursor: Cursor,
        *,
        supplied: dict[str, Any] | None = None,
        scope: Scope | None = None,
        deployment: str | None = None,
        depth: int = 0,
        problems: list[ExpressionProblem] | None = None,
        missing_parameter_hint: str = "pass a parameters file with --parameters",
        outputs: dict[str, Any] | None = None,
    ) -> None:
        self.template = template if isinstance(template, dict) else PDict()
        self.cursor = cursor
        self.src: SourceFile = cursor.ctx.src
        self.scope = scope or Scope(level=scope_level_from_schema(self.template.get("$schema")))
        self.deployment = deployment
        self.depth = depth
        self.problems: list[ExpressionProblem] = problems if problems is not None else []
        # Evaluated ``outputs`` of the nested deployments met so far, by lower-case deployment name
        # (shared with nested evaluators): what ``reference('<deployment>').outputs.x.value`` reads.
        self.outputs: dict[str, Any] = outputs if outputs is not None else {}
        self.missing_parameter_hint = missing_parameter_hint
        self._supplied = {k.lower(): v for k, v in (supplied or {}).items()}
        self._param_decls = _lower_keys(self.template.get("parameters"))
        self._var_decls = _lower_keys(self.template.get("variables"))
        self._param_values: dict[str, Any] = {}
        self._var_values: dict[str, Any] = {}
        self._evaluating: set[str] = set()
        self._loops: list[_Loop] = []
        self._current: Cursor = cursor  # cursor of the expression being evaluated (for problems)

    # ------------------------------------------------------------ EvalContext

    def parameter(self, name: str) -> Any:
        """Parameter value: supplied, else default, else Unknown."""
        key = name.lower()
        if key in self._param_values:
            return self._param_values[key]
        if key not in self._param_decls:
            raise KeyError(name)
        decl_name, decl = self._param_decls[key]
        if key in self._supplied:
            value = self._supplied[key]
        elif isinstance(decl, dict) and "defaultValue" in decl:
            if key in self._evaluating:
                return Unknown(f"parameter '{decl_name}' refers to itself")
            self._evaluating.add(key)
            try:
                value = self.evaluate_node(decl["defaultValue"])
            finally:
                self._evaluating.discard(key)
        else:
            value = Unknown(f"parameter '{decl_name}' has no value ({self.missing_parameter_hint})")
        self._param_values[key] = value
        return value

    def variable(self, name: str) -> Any:
        """Variable value, evaluated once on first use (names are case-insensitive)."""
        key = name.lower()
        if key in self._var_values:
            return self._var_values[key]
        if key not in self._var_decls:
            copy_value = self._copy_variable(key)
            if copy_value is None:
                raise KeyError(name)
            return copy_value
        decl_name, decl = self._var_decls[key]
        if "v:" + key in self._evaluating:
            return Unknown(f"variable '{decl_name}' refers to itself")
        self._evaluating.add("v:" + key)
        try:
            value = self.evaluate_node(decl)
        finally:
            self._evaluating.discard("v:" + key)
        self._var_values[key] = value
        return value

    def _copy_variable(self, key: str) -> Any:
        """Variables declared through ``variables.copy`` (an array of {name, count, input})."""
        copies = (
            self.template.get("variables", {}).get("copy")
            if isinstance(self.template.get("variables"), dict)
            else None
        )
        if not isinstance(copies, list):
            return None
        for spec in copies:
            if isinstance(spec, dict) and str(spec.get("name", "")).lower() == key:
                value = self._expand_copy(spec, spec.get("name"))
                self._var_values[key] = value
                return value
        return None

    def copy_index(self, loop: str | None) -> Any:
        """Index of the named (or innermost) copy loop."""
        if not self._loops:
            raise KeyError(loop or "copyIndex")
        if loop is None:
            return self._loops[-1].index
        for entry in reversed(self._loops):
            if entry.name is not None and entry.name.lower() == loop.lower():
                return entry.index
        raise KeyError(loop)

    def deployment_function(self, name: str, args: list[Any]) -> Any:
        """Placeholder objects for subscription(), resourceGroup() and friends."""
        sub = self.scope.subscription_id
        rg = self.scope.resource_group
        if name == "subscription":
            sub_text = sub if isinstance(sub, str) else PLACEHOLDER_SUBSCRIPTION
            return {
                "id": f"/subscriptions/{sub_text}",
                "subscriptionId": sub_text,
                "tenantId": PLACEHOLDER_TENANT,
                "displayName": "{subscriptionDisplayName}",
            }
        if name == "resourcegroup":
            sub_text = sub if isinstance(sub, str) else PLACEHOLDER_SUBSCRIPTION
            rg_text = rg if isinstance(rg, str) else PLACEHOLDER_RESOURCE_GROUP
            return {
                "id": f"/subscriptions/{sub_text}/resourceGroups/{rg_text}",
                "name": rg_text,
                "type": "Microsoft.Resources/resourceGroups",
                "location": self.scope.location,
                "properties": {"provisioningState": "Succeeded"},
                "tags": {},
            }
        if name == "deployment":
            return {
                "name": self.deployment or "{deploymentName}",
                "properties": {"templateLink": {"uri": "{templateUri}"}, "template": {}},
                "location": self.scope.location,
            }
        if name == "tenant":
            return {"tenantId": PLACEHOLDER_TENANT, "id": f"/tenants/{PLACEHOLDER_TENANT}"}
        if name == "managementgroup":
            return {
                "id": "/providers/Microsoft.Management/managementGroups/{managementGroup}",
                "name": "{managementGroup}",
                "type": "Microsoft.Management/managementGroups",
            }
        if name == "environment":
            return {
                "name": "AzureCloud",
                "resourceManager": "https://management.azure.com/",
                "authentication": {"loginEndpoint": "https://login.microsoftonline.com/"},
                "suffixes": {"storage": "core.windows.net", "keyvaultDns": ".vault.azure.net"},
            }
        return Unknown(f"{name}() is not known before deployment")

    def resource_scope(self) -> dict[str, Any]:
        """Defaults for resourceId()."""
        return {"subscriptionId": self.scope.subscription_id, "resourceGroup": self.scope.resource_group}

    # ------------------------------------------------------------ evaluation

    def evaluate_string(self, text: str) -> Any:
        """Evaluate one JSON string: an expression, an escaped literal or plain text."""
        if not expressions.is_expression(text):
            return expressions.unescape(text) if text.startswith("[[") and text.endswith("]") else text
        try:
            return expressions.evaluate(text, self)
        except expressions.ExpressionError as exc:
            self.problems.append(ExpressionProblem(str(exc), text, self.src, self._current))
            return Unknown(f"invalid expression: {exc}", text)
        except RecursionError:
            return Unknown("expression nested too deeply", text)

    def evaluate_node(self, node: Any) -> Any:
        """Evaluate a raw JSON value, expanding property copy loops; keeps position tables."""
        if isinstance(node, str):
            return self.evaluate_string(node)
        if isinstance(node, dict):
            out = PDict()
            if isinstance(node, PDict):
                out.start, out.key_pos, out.src = node.start, node.key_pos, node.src
            for key, value in node.items():
                if key == "copy" and isinstance(value, list) and _is_property_copy(value):
                    for spec in value:
                        out[spec["name"]] = self._expand_copy(spec, spec["name"])
                        if isinstance(node, PDict) and spec["name"] not in out.key_pos:
                            out.key_pos = {**out.key_pos, spec["name"]: node.key_pos.get("copy", node.start)}
                    continue
                out[key] = self.evaluate_node(value)
            return out
        if isinstance(node, list):
            items = PList(self.evaluate_node(v) for v in node)
            if isinstance(node, PList):
                items.start, items.item_pos, items.src = node.start, node.item_pos, node.src
            return items
        return node

    def _expand_copy(self, spec: dict[str, Any], name: Any) -> Any:
        count = self.evaluate_node(spec.get("count"))
        if is_unknown(count):
            return Unknown(f"copy '{name}' count is unknown: {count.reason}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return Unknown(f"copy '{name}' count {count!r} is not a non-negative integer")
        count = min(count, MAX_COPY)
        items = PList()
        input_node = spec.get("input")
        if isinstance(input_node, (PDict, PList)):
            items.src = input_node.src
            items.start = input_node.start
            items.item_pos = [input_node.start] * count
        for i in range(count):
            self._loops.append(_Loop(str(name) if name is not None else None, i))
            try:
                items.append(self.evaluate_node(input_node))
            finally:
                self._loops.pop()
        return items

    # ------------------------------------------------------------ resources

    def resources(self) -> Iterator[EvaluatedResource]:
        """Every resource this template would deploy, nested deployments included."""
        cur = self.cursor.get("resources")
        if cur is None:
            return
        if isinstance(cur.value, list):
            for element in cur.elements():
                yield from self._resource(element, parent=None)
        elif isinstance(cur.value, dict):  # languageVersion 2.0: symbolic names
            for _symbol, element in cur.items():
                yield from self._resource(element, parent=None)

    def _resource(self, raw: Cursor, parent: tuple[str, str] | None) -> Iterator[EvaluatedResource]:
        body = raw.value
        if not isinstance(body, dict):
            return
        if body.get("existing") is True:
            return
        copy = body.get("copy")
        if isinstance(copy, dict) and "count" in copy:
            self._current = raw
            count = self.evaluate_node(copy.get("count"))
            if is_unknown(count) or not isinstance(count, int) or isinstance(count, bool):
                # Evaluate one representative instance with an unknown index.
                self._loops.append(_Loop(str(copy.get("name")), Unknown("copy count is unknown")))
                try:
                    yield from self._resource_instance(raw, parent)
                finally:
                    self._loops.pop()
                return
            for i in range(min(max(count, 0), MAX_COPY)):
                self._loops.append(_Loop(str(copy.get("name")), i))
                try:
                    yield from self._resource_instance(raw, parent)
                finally:
                    self._loops.pop()
            return
        yield from self._resource_instance(raw, parent)

    def _resource_instance(self, raw: Cursor, parent: tuple[str, str] | None) -> Iterator[EvaluatedResource]:
        self._current = raw
        body = raw.value
        if "condition" in body:
            condition = self.evaluate_node(body["condition"])
            if condition is False:
                return
        evaluated = self.evaluate_node(_without_nested(body))
        type_ = evaluated.get("type")
        name = evaluated.get("name")
        if parent is not None and isinstance(type_, str) and isinstance(name, str) and "/" not in type_:
            type_ = f"{parent[0]}/{type_}"
            name = f"{parent[1]}/{name}"
        if not isinstance(type_, str):
            return
        resource_id = self._resource_id(type_, name, evaluated)
        display = _display(type_, name, body.get("name"))
        ctx = Context(self.src, resource=display, deployment=self.deployment)
        cursor = Cursor(evaluated, raw.path, raw.offset, ctx)
        yield EvaluatedResource(
            type=type_,
            name=name
            if isinstance(name, str)
            else Unknown("resource name is unknown", str(body.get("name"))),
            id=resource_id,
            display=display,
            cursor=cursor,
            scope_subscription=self.scope.subscription_id,
            scope_resource_group=self.scope.resource_group,
            scope_level=self.scope.level,
        )
        if type_.lower() == "microsoft.resources/deployments" and self.depth < MAX_NESTING:
            yield from self._nested_deployment(raw, cursor)
        children = raw.get("resources")
        if children is not None and isinstance(name, str):
            for child in children.elements():
                yield from self._resource(child, parent=(type_, name))

    def _resource_id(self, type_: str, name: Any, evaluated: dict[str, Any]) -> str | Unknown:
        if not isinstance(name, str):
            return Unknown(f"name of {type_} is unknown")
        return build_resource_id(
            self.scope, type_, name, evaluated.get("subscriptionId"), evaluated.get("resourceGroup")
        )

    def _nested_deployment(self, raw: Cursor, evaluated: Cursor) -> Iterator[EvaluatedResource]:
        """Follow an inline nested deployment (``properties.template``)."""
        template_cur = raw.at("properties", "template")
        if template_cur is None or not isinstance(template_cur.value, dict):
            return
        eval_props = evaluated.value.get("properties")
        options = eval_props.get("expressionEvaluationOptions") if isinstance(eval_props, dict) else None
        inner = isinstance(options, dict) and str(options.get("scope", "")).lower() == "inner"
        name = evaluated.value.get("name")
        label = f"nested deployment '{name if isinstance(name, str) else '?'}'"
        deployment = f"{self.deployment} / {label}" if self.deployment else label
        scope = Scope(
            level=self.scope.level,
            subscription_id=_pick(evaluated.value.get("subscriptionId"), self.scope.subscription_id),
            resource_group=_pick(evaluated.value.get("resourceGroup"), self.scope.resource_group),
            location=self.scope.location,
        )
        if "resourceGroup" in evaluated.value:
            scope.level = "resourceGroup"
        ctx = Context(self.src, deployment=deployment)
        if inner:
            supplied: dict[str, Any] = {}
            params = eval_props.get("parameters") if isinstance(eval_props, dict) else None
            if isinstance(params, dict):
                for key, spec in params.items():
                    if isinstance(spec, dict) and "value" in spec:
                        supplied[key] = spec["value"]
                    elif isinstance(spec, dict) and "reference" in spec:
                        supplied[key] = Unknown(f"parameter '{key}' is a Key Vault reference")
            child = TemplateEvaluator(
                template_cur.value,
                template_cur.with_context(ctx),
                supplied=supplied,
                scope=scope,
                deployment=deployment,
                depth=self.depth + 1,
                problems=self.problems,
                outputs=self.outputs,
            )
            yield from child.resources()
            self._record_outputs(name, template_cur, child)
            return
        # outer scope: the nested template's expressions see this template's parameters and variables
        saved_scope, saved_deployment, saved_cursor = self.scope, self.deployment, self.cursor
        self.scope, self.deployment = scope, deployment
        try:
            self.cursor = template_cur.with_context(ctx)
            self.depth += 1
            yield from self.resources()
            self._record_outputs(name, template_cur, self)
        finally:
            self.depth -= 1
            self.scope, self.deployment, self.cursor = saved_scope, saved_deployment, saved_cursor

    def _record_outputs(self, name: Any, template_cur: Cursor, evaluator: TemplateEvaluator) -> None:
        """Keep a nested deployment's evaluated outputs (only those that stay unknown before deployment
        are of interest, e.g. a Logic App's ``identity.principalId``; problems are not reported twice)."""
        raw = template_cur.value.get("outputs")
        if not isinstance(name, str) or not isinstance(raw, dict):
            return
        problems = len(self.problems)
        values: dict[str, Any] = {}
        for key, spec in raw.items():
            if isinstance(key, str) and isinstance(spec, dict) and "value" in spec:
                values[key.lower()] = evaluator.evaluate_node(spec["value"])
        del self.problems[problems:]  # outputs are read only to follow references; SRC004 is not theirs
        self.outputs[name.lower()] = values


def build_resource_id(scope: Scope, type_: str, name: str, sub: Any = None, rg: Any = None) -> str:
    """The ARM id a resource of ``type_``/``name`` gets in ``scope``."""
    parts = type_.split("/")
    names = name.split("/")
    namespace, types = parts[0], parts[1:]
    segments = [namespace]
    for i, t in enumerate(types):
        segments.append(t)
        segments.append(names[i] if i < len(names) else "{name}")
    provider = "/providers/" + "/".join(segments)
    sub_text = sub if isinstance(sub, str) else scope.subscription_id
    sub_text = sub_text if isinstance(sub_text, str) else PLACEHOLDER_SUBSCRIPTION
    if scope.level == "tenant" or scope.level == "managementGroup":
        return provider
    if scope.level == "subscription" and not isinstance(rg, str):
        return f"/subscriptions/{sub_text}{provider}"
    rg_text = rg if isinstance(rg, str) else scope.resource_group
    rg_text = rg_text if isinstance(rg_text, str) else PLACEHOLDER_RESOURCE_GROUP
    return f"/subscriptions/{sub_text}/resourceGroups/{rg_text}{provider}"


def _display(type_: str, name: Any, raw_name: Any) -> str:
    if isinstance(name, str):
        return f"{type_}/{name}"
    return f"{type_}/{raw_name}" if isinstance(raw_name, str) else type_


def _pick(value: Any, default: Any) -> Any:
    return value if value is not None else default


def _is_property_copy(value: list[Any]) -> bool:
    return all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and "input" in s for s in value
    ) and bool(value)


def _lower_keys(node: Any) -> dict[str, tuple[str, Any]]:
    if not isinstance(node, dict):
        return {}
    return {k.lower(): (k, v) for k, v in node.items() if isinstance(k, str) and k != "copy"}


@dataclass
class LiteralEvaluator:
    """For exported resources and REST bodies: nothing is an expression there."""

    problems: list[ExpressionProblem] = field(default_factory=list)

    def evaluate_node(self, node: Any) -> Any:
        """Identity: exported JSON holds values, not expressions."""
        return node


Evaluate = Callable[[Any], Any]
__all__ = [
    "EvaluatedResource",
    "ExpressionProblem",
    "LiteralEvaluator",
    "Scope",
    "TemplateEvaluator",
    "build_resource_id",
    "child_path",
]
