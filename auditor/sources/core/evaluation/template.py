"""Evaluate an ARM deployment template statically into the resources it would deploy.

This is what generic scanners do not do: parameters (defaults, a parameters
file, the values a parent deployment or a policy passes), variables (case-
insensitive, with copy), resource/property/variable copy loops, conditions,
child resources, nested inline deployments with ``outer`` and ``inner``
expression scope, symbolic-name (languageVersion 2.0) templates. Anything only
Azure knows becomes an :class:`~auditor.unknown.Unknown`; an expression that
does not even parse becomes a problem reported by SRC004.

The output is a list of :class:`EvaluatedResource`, each an evaluated body
plus a :class:`~auditor.sources.core.cursor.Cursor` that still knows the lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import field
from typing import Any, Literal

from auditor.budget import LIMITS, Budget, BudgetExceeded, current
from auditor.model import TemplateParameter
from auditor.records import record
from auditor.sources.core.cursor import Context, Cursor, SourceFile, child_path, in_own_file
from auditor.sources.core.evaluation import expressions
from auditor.sources.core.evaluation.values import weigh
from auditor.sources.core.extract import json_kind, wrong_type
from auditor.sources.core.jsonpos import PDict, PList, new_dict, new_list
from auditor.sources.core.outputs import through_outputs
from auditor.unknown import ResourceReference, Unknown, is_unknown

MAX_COPY = 800  # ARM's own limit on copy count
_SELF_EVALUATING = frozenset({int, float, bool})  # JSON values an evaluation returns as they are
#: Nested deployments deeper than this are not followed (SRC005); the file's budget says how deep.
MAX_NESTING = LIMITS.max_nesting
#: Longest expression text an SRC005 message quotes.
_SHOWN = 120

PLACEHOLDER_SUBSCRIPTION = "{subscriptionId}"
PLACEHOLDER_RESOURCE_GROUP = "{resourceGroup}"
PLACEHOLDER_LOCATION = "{location}"
PLACEHOLDER_TENANT = "{tenantId}"


@record(frozen=False)
class ExpressionProblem:
    """A problem met while evaluating: by ``code``, an expression that is not valid ARM syntax
    (``invalid-expression``, SRC004: ARM would reject the deployment) or a budget the file
    exceeded (``evaluation-limit``, SRC005: ``message`` is then the whole text, see
    :func:`limit_message`).

    Such problems are rare, so instead of tracking a path for every string we
    evaluate, the position is found afterwards by searching the file for the
    expression's JSON text, unless ``at`` gives the offset.
    """

    message: str
    expression: str
    src: SourceFile
    fallback: Cursor
    code: str = "invalid-expression"
    at: int | None = None

    def offset(self) -> int:
        """Offset of the expression in its file, or of the resource around it."""
        import json

        if self.at is not None:
            return self.at
        written = self.src.written_at.get(self.expression) if self.expression else None
        if written is not None:  # a translated source (Bicep) recorded where it wrote this expression
            return written
        if self.expression:
            found = self.src.text.find(json.dumps(self.expression)[1:-1])
            if found > 0:
                return found - 1
        return self.fallback.offset

    def text(self) -> str:
        """The message a finding shows."""
        if self.code == "invalid-expression":
            return f"invalid ARM expression {self.expression!r}: {self.message}"
        return self.message


def limit_message(exc: BudgetExceeded, where: str) -> str:
    """``evaluation limit: value size limit exceeded in '[concat(…)]': concat() would have …``."""
    return f"evaluation limit: {exc.limit} limit exceeded{where}: {exc.detail}"


def quoted(expression: str) -> str:
    """`` in '<expression>'``, cut to a readable length."""
    shown = expression if len(expression) <= _SHOWN else expression[: _SHOWN - 1] + "…"
    return f" in '{shown}'"


@record(frozen=False)
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
    # The resource as written (before evaluation) and the parameters of the template that declares it, by
    # lower-case name: how a value written as ``[parameters('x')]`` is traced to its declaration
    # (:class:`auditor.sources.core.extract.Provenance`). None for exported and live bodies.
    raw: Any = None
    parameters: dict[str, TemplateParameter] | None = None


@record(frozen=False)
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


@record(frozen=False)
class _Loop:
    name: str | None
    index: Any  # int, or Unknown when the loop's count is unknown


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and expressions.is_expression(value)


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

    ``budget`` is the file's (:mod:`auditor.budget`; the current one when not
    given): every expression, value, copy iteration and nested deployment of
    this template and of the templates nested in it is paid from it. What
    exceeds it becomes an Unknown and one ``evaluation-limit`` problem per place.
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
        budget: Budget | None = None,
        enclosing: int = 1,
    ) -> None:
        self.budget = budget if budget is not None else current()
        # How many times the copy loops around the point being evaluated will still run it (the
        # product of their remaining iterations, through nested deployments): a loop met there costs
        # its count that many times. ``_base`` is the value where this template itself is deployed,
        # the one its parameters and variables (evaluated once, then cached) are evaluated at.
        self._base = enclosing
        self._enclosing = enclosing
        self._step = self.budget.step  # the hot path: one bound method, looked up once
        self._max_depth = self.budget.limits.max_walk_depth
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
        self._declarations: dict[str, TemplateParameter] | None = None
        self._root = cursor  # the template itself (self.cursor moves into outer-scoped nested templates)

    def declarations(self) -> dict[str, TemplateParameter]:
        """The template's parameter declarations (by lower-case name), read once, at their lines.

        A declaration that is not an object was reported by :meth:`_check_shape` and is left out.
        """
        if self._declarations is not None:
            return self._declarations
        out: dict[str, TemplateParameter] = {}
        params = self._root.get("parameters")
        language: Literal["arm", "bicep"] = (
            "bicep" if self._root.ctx.src.path.lower().endswith(".bicep") else "arm"
        )
        if params is not None and isinstance(params.value, dict):
            for name, decl in params.items():
                if not isinstance(name, str) or not isinstance(decl.value, dict):
                    continue
                type_ = decl.value.get("type")
                secure: Any = (
                    type_.strip().lower() in ("securestring", "secureobject")
                    if isinstance(type_, str)
                    else Unknown(f"the type of parameter '{_clip(name)}' is not a string")
                )
                out[name.lower()] = TemplateParameter(
                    name=name,
                    type=type_ if isinstance(type_, str) else None,
                    secure=secure,
                    has_default="defaultValue" in decl.value,
                    language=language,
                    origin=decl.origin(),
                )
        self._declarations = out
        return out

    # ------------------------------------------------------------ EvalContext

    def parameter(self, name: str) -> Any:
        """Parameter value: supplied, else default, else null when declared ``"nullable": true``, else Unknown.

        A nullable parameter nobody supplies is ``null`` at deployment, a known value (what ``bicep build``
        writes for ``param x T?``; Azure/bicep#13838 and the nullable-types PR Azure/bicep#9454 show
        ``param test string?`` compiled to ``"nullable": true`` and ``test ?? 'default'`` giving the
        default), so ``x ?? []`` is ``[]``, not unknown.
        """
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
            saved, self._enclosing = self._enclosing, self._base  # evaluated once, whatever loop asks
            try:
                value = self.evaluate_node(decl["defaultValue"])
            finally:
                self._evaluating.discard(key)
                self._enclosing = saved
        elif isinstance(decl, dict) and decl.get("nullable") is True:
            value = None
        else:
            value = Unknown(f"parameter '{decl_name}' has no value ({self.missing_parameter_hint})")
        self._param_values[key] = value
        return value

    def variable(self, name: str) -> Any:
        """Variable value, evaluated once on first use (names are case-insensitive)."""
        key = name.lower()
        if key in self._var_values:
            return self._var_values[key]
        saved, self._enclosing = self._enclosing, self._base  # evaluated once, whatever loop asks
        try:
            return self._variable(key, name)
        finally:
            self._enclosing = saved

    def _variable(self, key: str, name: str) -> Any:
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
            if isinstance(spec, dict) and isinstance(spec.get("name"), str) and spec["name"].lower() == key:
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

    # ------------------------------------------------------------ problems

    def limit_exceeded(self, exc: BudgetExceeded, expression: str = "", at: int | None = None) -> None:
        """Record an exceeded budget (SRC005) once per place; a spent (sticky) budget once per file.

        ``expression`` is the text that asked (located by search), or ``at`` the offset of
        the value or loop when there is no expression.
        """
        sticky = exc is self.budget.spent
        site = self.src.path if sticky else f"{self.src.path}\0{expression if at is None else at}"
        if not self.budget.first_report(exc.limit, site):
            return
        where = quoted(expression) if expression else ""
        self.problems.append(
            ExpressionProblem(
                limit_message(exc, where), expression, self.src, self._current, "evaluation-limit", at
            )
        )

    def _on_limit(self, exc: BudgetExceeded, expression: str) -> None:
        """The handler :func:`expressions.evaluate` calls."""
        self.limit_exceeded(exc, expression)

    def _wrong_shape(self, cur: Cursor, what: str, expected: str) -> Unknown:
        """Report a value of the wrong JSON type (``invalid-template-shape``), once per place
        (a resource copied 800 times, a policy evaluated once per assignment: one problem)."""
        if self.budget.first_report("template shape", f"{self.src.path}\0{cur.offset}\0{what}"):
            return wrong_type(cur, what, expected)
        return Unknown(f"{what} is {json_kind(cur.value)}, not {expected}")

    def _offset(self, node: Any) -> int | None:
        """Where a raw value of this file starts (None for values from elsewhere)."""
        if isinstance(node, (PDict, PList)) and node.src is self.src:
            return node.start
        return None

    # ------------------------------------------------------------ evaluation

    def evaluate_string(self, text: str) -> Any:
        """Evaluate one JSON string: an expression, an escaped literal or plain text."""
        if not expressions.is_expression(text):
            return expressions.unescape(text) if text.startswith("[[") and text.endswith("]") else text
        try:
            value = expressions.evaluate(text, self, self.budget, self._on_limit)
        except expressions.ExpressionError as exc:
            self.problems.append(ExpressionProblem(str(exc), text, self.src, self._current))
            return Unknown(f"invalid expression: {exc}", text)
        if isinstance(value, ResourceReference) and self.outputs:
            # reference('<nested deployment>').outputs.x.value of a deployment evaluated before this
            # point (a Bicep module's m.outputs.x): its recorded value
            recorded = through_outputs(value, self.outputs)
            if recorded is not None:
                value = recorded
        if isinstance(value, (list, dict)):
            # Placing a value in the document costs its size: a variable that holds one large
            # part many times, used in every property of an 800-copy loop, would otherwise hand
            # every later walk (checks, comparisons, output) billions of elements.
            _size, walked = weigh(value, self.budget.limits.max_value_size)
            try:
                self.budget.step(walked)
            except BudgetExceeded as exc:
                self.limit_exceeded(exc, text)
                return Unknown(exc.reason, text)
        return value

    def evaluate_node(self, node: Any) -> Any:
        """Evaluate a raw JSON value, expanding property copy loops; keeps position tables.

        Never raises for what the document asks: a value nested deeper than the walk-depth
        limit, or than Python's stack allows, becomes Unknown (SRC005).
        """
        try:
            return self._node(node, 0)
        except RecursionError:
            exceeded = BudgetExceeded("walk depth", "the template's values nest too deeply for auditor")
            self.limit_exceeded(exceeded, at=self._offset(node))
            return Unknown(exceeded.reason)

    def _node(self, node: Any, depth: int) -> Any:
        if isinstance(node, str):
            return self.evaluate_string(node)
        if not isinstance(node, (dict, list)):
            return node
        if depth > self._max_depth:
            exceeded = BudgetExceeded(
                "walk depth", f"a value is nested more than {self._max_depth} levels deep"
            )
            self.limit_exceeded(exceeded, at=self._offset(node))
            return Unknown(exceeded.reason)
        try:
            self._step(len(node) + 1)
        except BudgetExceeded as exc:
            # Once the budget is spent the walk still goes on (its expressions are unknown at
            # once, and every copy loop stops), so the resources stay in the inventory.
            self.limit_exceeded(exc, at=self._offset(node))
        depth += 1
        # Values that evaluate to themselves (text that is no expression, numbers, booleans, null: most
        # of a template) are placed without a call; the containers are made without running __init__.
        if isinstance(node, dict):
            out = new_dict(PDict)
            if isinstance(node, PDict):
                out.start, out.key_pos, out.src = node.start, node.key_pos, node.src
            else:
                out.start, out.key_pos, out.src = -1, {}, None
            for key, value in node.items():
                if type(value) is str:
                    out[key] = value if not value.startswith("[") else self.evaluate_string(value)
                    continue
                if value is None or type(value) in _SELF_EVALUATING:
                    out[key] = value
                    continue
                if key == "copy" and isinstance(value, list) and _is_property_copy(value):
                    for spec in value:
                        out[spec["name"]] = self._expand_copy(spec, spec["name"], depth)
                        if isinstance(node, PDict) and spec["name"] not in out.key_pos:
                            out.key_pos = {**out.key_pos, spec["name"]: node.key_pos.get("copy", node.start)}
                    continue
                out[key] = self._node(value, depth)
            return out
        items = new_list(PList)
        if isinstance(node, PList):
            items.start, items.item_pos, items.src = node.start, node.item_pos, node.src
        else:
            items.start, items.item_pos, items.src = -1, [], None
        append = items.append
        for v in node:
            if type(v) is str:
                append(v if not v.startswith("[") else self.evaluate_string(v))
            elif v is None or type(v) in _SELF_EVALUATING:
                append(v)
            else:
                append(self._node(v, depth))
        return items

    def _copy_count(self, copy: dict[str, Any], name: Any) -> Any:
        """A copy loop's ``count``: a non-negative int up to ARM's 800, or an Unknown (a count of
        the wrong type or out of range is reported as ``invalid-template-shape``)."""
        count = self.evaluate_node(copy.get("count"))
        if is_unknown(count):
            return Unknown(f"copy '{name}' count is unknown: {count.reason}")
        at = self._cursor_at(copy, "count")
        if not isinstance(count, int) or isinstance(count, bool):
            if "count" not in copy:
                return Unknown(f"copy '{name}' has no count")
            return self._wrong_shape(
                Cursor(count, at.path, at.offset, at.ctx), f"the count of copy '{name}'", "an integer"
            )
        if count < 0 or count > MAX_COPY:
            if self.budget.first_report("template shape", f"{self.src.path}\0{at.offset}\0count"):
                read = "no copies" if count < 0 else f"only the first {MAX_COPY}"
                at.report(
                    "invalid-template-shape",
                    f"the count of copy '{name}' is {count:,}, but must be between 0 and {MAX_COPY}: "
                    f"Azure rejects this, and auditor reads {read}",
                )
            count = min(max(count, 0), MAX_COPY)
        return count

    def _cursor_at(self, holder: dict[str, Any], key: str) -> Cursor:
        """A cursor on ``holder[key]`` (at its key when ``holder`` is a raw object of this file,
        else at the resource being evaluated)."""
        base = self._current
        offset = base.offset
        if isinstance(holder, PDict) and holder.src is self.src:
            offset = holder.key_pos.get(key, holder.start)
        return Cursor(holder.get(key), child_path(base.path, key), offset, base.ctx)

    def _expand_copy(self, spec: dict[str, Any], name: Any, depth: int = 0) -> Any:
        count = self._copy_count(spec, name)
        if is_unknown(count):
            return count
        try:
            self._pay_copies(count, f"copy '{name}'")
        except BudgetExceeded as exc:
            self.limit_exceeded(exc, at=self._offset(spec))
            return Unknown(exc.reason)
        items = PList()
        input_node = spec.get("input")
        if isinstance(input_node, (PDict, PList)):
            items.src = input_node.src
            items.start = input_node.start
            items.item_pos = [input_node.start] * count
        loop = name if isinstance(name, str) else None
        enclosing = self._enclosing
        for i in range(count):
            self._loops.append(_Loop(loop, i))
            self._enclosing = enclosing * (count - i)
            try:
                items.append(self._node(input_node, depth))
            finally:
                self._loops.pop()
                self._enclosing = enclosing
        return items

    def _pay_copies(self, count: int, what: str) -> None:
        """Charge a copy loop of ``count`` to the file's budget, as often as the loops around it run it.

        Only the loop's own ``count`` is spent now (the loops around pay again for each of their
        iterations), but when the loops around will still run it more times than the budget has left,
        the budget is spent at once: three nested loops of 800 (through nested deployments) stop at
        the second, after a few resources, instead of evaluating 100,000 of them first.
        """
        times = self._enclosing
        if times > 1 and self.budget.copies + count * times > self.budget.limits.max_copy_iterations:
            self.budget.copy(
                count * times, f"{what} of {count:,}, run {times:,} times by the copy loops around it,"
            )
        self.budget.copy(count, what)

    # ------------------------------------------------------------ resources

    def resources(self) -> Iterator[EvaluatedResource]:
        """Every resource this template would deploy, nested deployments included."""
        self._check_shape()
        cur = self.cursor.get("resources")
        if cur is None:
            return
        if isinstance(cur.value, list):
            for element in cur.elements():
                yield from self._resource(element, parent=None)
        elif isinstance(cur.value, dict):  # languageVersion 2.0: symbolic names
            for _symbol, element in cur.items():
                yield from self._resource(element, parent=None)
        elif not is_unknown(cur.value):
            self._wrong_shape(cur, "the template's 'resources'", "an array (or an object of symbolic names)")

    def _check_shape(self) -> None:
        """Report the template's top-level values of the wrong JSON type (``invalid-template-shape``):
        Azure rejects such a template, and auditor would otherwise read them as absent."""
        cur = self.cursor
        for key, expected, kind in _TEMPLATE_KEYS:
            at = cur.get(key)
            if at is None or at.value is None or is_unknown(at.value):
                continue  # absent, or (in a policy's deployment) left to the policy's parameters
            if not isinstance(at.value, kind):
                self._wrong_shape(at, f"the template's '{key}'", expected)
        params = cur.get("parameters")
        if params is not None and isinstance(params.value, dict):
            for name, decl in params.items():
                if not isinstance(decl.value, dict) and not is_unknown(decl.value):
                    self._wrong_shape(decl, f"the declaration of parameter '{_clip(name)}'", "an object")

    def _resource(self, raw: Cursor, parent: tuple[str, str] | None) -> Iterator[EvaluatedResource]:
        body = raw.value
        if not isinstance(body, dict):
            if not is_unknown(body):
                self._wrong_shape(raw, "a resource", "an object")
            return
        if body.get("existing") is True:
            return
        copy = body.get("copy")
        if copy is not None and not isinstance(copy, dict):
            self._wrong_shape(raw.get("copy") or raw, "a resource's 'copy'", "an object")
        if isinstance(copy, dict) and "count" in copy:
            self._current = raw
            name = copy.get("name")
            loop = name if isinstance(name, str) else None
            count = self._copy_count(copy, loop or "?")
            if not is_unknown(count):
                try:
                    self._pay_copies(count, f"copy '{loop or '?'}'")
                except BudgetExceeded as exc:
                    self.limit_exceeded(exc, at=raw.offset)
                    count = Unknown(exc.reason)
            if is_unknown(count):
                # Evaluate one representative instance with an unknown index.
                self._loops.append(_Loop(loop, Unknown("copy count is unknown")))
                try:
                    yield from self._resource_instance(raw, parent)
                finally:
                    self._loops.pop()
                return
            enclosing = self._enclosing
            for i in range(count):
                if i and self.budget.spent is not None:
                    break  # the file's budget is spent: the instances so far stand for the rest
                self._loops.append(_Loop(loop, i))
                self._enclosing = enclosing * (count - i)
                try:
                    yield from self._resource_instance(raw, parent)
                finally:
                    self._loops.pop()
                    self._enclosing = enclosing
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
        if not isinstance(evaluated, dict):
            return  # cut by a budget, already reported
        type_ = evaluated.get("type")
        if not isinstance(type_, str):
            if type_ is None:
                self._missing_type(raw)
            elif not is_unknown(type_):
                self._wrong_shape(_key(raw, "type", type_), "the resource's 'type'", "a string")
            return
        for key in ("name", "apiVersion"):
            value = evaluated.get(key)
            if value is not None and not isinstance(value, (str, Unknown)):
                evaluated[key] = self._wrong_shape(
                    _key(raw, key, value), f"the resource's '{key}'", "a string"
                )
        name = evaluated.get("name")
        if parent is not None and isinstance(name, str) and "/" not in type_:
            type_ = f"{parent[0]}/{type_}"
            name = f"{parent[1]}/{name}"
        resource_id = self._resource_id(type_, name, evaluated)
        display = _display(type_, name, body.get("name"))
        ctx = Context(self.src, resource=display, deployment=self.deployment)
        cursor = Cursor(evaluated, raw.path, raw.offset, ctx)
        raw_name = body.get("name")
        yield EvaluatedResource(
            type=type_,
            name=name
            if isinstance(name, str)
            else Unknown("resource name is unknown", raw_name if isinstance(raw_name, str) else None),
            id=resource_id,
            display=display,
            cursor=cursor,
            scope_subscription=self.scope.subscription_id,
            scope_resource_group=self.scope.resource_group,
            scope_level=self.scope.level,
            raw=body,
            parameters=self.declarations(),
        )
        if type_.lower() == "microsoft.resources/deployments":
            yield from self._nested_deployment(raw, cursor)
        children = raw.get("resources")
        if children is not None and not isinstance(children.value, list):
            if children.value is not None and not is_unknown(children.value):
                self._wrong_shape(children, "a resource's child 'resources'", "an array")
        elif children is not None and isinstance(name, str):
            for child in children.elements():
                yield from self._resource(child, parent=(type_, name))

    def _missing_type(self, raw: Cursor) -> None:
        """A resource without ``type``: Azure rejects it, and auditor cannot tell what it is."""
        if self.budget.first_report("template shape", f"{self.src.path}\0{raw.offset}\0type"):
            raw.report(
                "invalid-template-shape",
                "the resource has no 'type': Azure rejects this, and auditor checks nothing about it",
            )

    def _resource_id(self, type_: str, name: Any, evaluated: dict[str, Any]) -> str | Unknown:
        if not isinstance(name, str):
            return Unknown(f"name of {type_} is unknown")
        return build_resource_id(
            self.scope, type_, name, evaluated.get("subscriptionId"), evaluated.get("resourceGroup")
        )

    def _nested_deployment(self, raw: Cursor, evaluated: Cursor) -> Iterator[EvaluatedResource]:
        """Follow an inline nested deployment (``properties.template``), within the file's nesting budget."""
        template_cur = raw.at("properties", "template")
        if template_cur is not None and _is_expression(template_cur.value):
            self._template_from_expression(template_cur)
            return
        if template_cur is None or not isinstance(template_cur.value, dict):
            if (
                template_cur is not None
                and template_cur.value is not None
                and not is_unknown(template_cur.value)
            ):
                self._wrong_shape(template_cur, "a nested deployment's 'template'", "an object")
            return
        name = evaluated.value.get("name")
        label = f"nested deployment '{name if isinstance(name, str) else '?'}'"
        try:
            self.budget.depth(self.depth + 1, label)
        except BudgetExceeded as exc:
            self.limit_exceeded(exc, at=raw.offset)
            return
        eval_props = evaluated.value.get("properties")
        options = eval_props.get("expressionEvaluationOptions") if isinstance(eval_props, dict) else None
        inner = isinstance(options, dict) and str(options.get("scope", "")).lower() == "inner"
        deployment = f"{self.deployment} / {label}" if self.deployment else label
        scope = Scope(
            level=self.scope.level,
            subscription_id=_pick(evaluated.value.get("subscriptionId"), self.scope.subscription_id),
            resource_group=_pick(evaluated.value.get("resourceGroup"), self.scope.resource_group),
            location=self.scope.location,
        )
        if "resourceGroup" in evaluated.value:
            scope.level = "resourceGroup"
        elif inner and isinstance(template_cur.value, dict):
            # an inner template written for a wider scope (its $schema: a Bicep module with
            # targetScope = 'subscription' deployed with scope: subscription()) deploys at that scope
            declared = scope_level_from_schema(template_cur.value.get("$schema"))
            if declared != "resourceGroup":
                scope.level = declared
        template_cur = in_own_file(template_cur, deployment)  # a Bicep module: on the module's lines
        ctx = template_cur.ctx
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
                budget=self.budget,
                enclosing=self._enclosing,
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

    def _template_from_expression(self, template_cur: Cursor) -> None:
        """A nested deployment whose ``template`` is an expression (e.g. ``[reference(<policy
        definition>).policyRule.then.details.deployment.properties.template]``): ARM evaluates it to the
        template object at deployment, so it is valid, but what it deploys is unknown.

        The expression is evaluated for its own sake (a syntax error is still SRC004; a value known to be
        a string or a number is still the wrong shape, SRC006). Anything else is one ``unresolved``
        problem (SRC003) at the expression: nothing inside the nested template is checked. An object an
        expression builds (``[variables('inner')]``) is not followed either: its expressions would have
        been evaluated in this template's scope, which is wrong for an ``inner``-scoped deployment.
        """
        expression = template_cur.value
        reported = len(self.problems)
        value = self.evaluate_string(expression)
        if len(self.problems) > reported:
            return  # not valid ARM syntax (SRC004) or over a budget (SRC005): already said
        if value is None or isinstance(value, (str, int, float, bool, list)):
            self._wrong_shape(
                Cursor(value, template_cur.path, template_cur.offset, template_cur.ctx),
                "a nested deployment's 'template'",
                "an object",
            )
            return
        if not self.budget.first_report("template expression", f"{self.src.path}\0{template_cur.offset}"):
            return
        shown = expression if len(expression) <= _SHOWN else expression[: _SHOWN - 1] + "…"
        when = (
            "which ARM evaluates to the template only at deployment"
            if is_unknown(value)
            else "which builds an object auditor does not follow as a template"
        )
        template_cur.report(
            "unresolved",
            f"what this nested deployment deploys: its template is the expression '{shown}', {when}; "
            "nothing inside it is checked",
        )

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
        # Outputs are read only to follow references; SRC004 is not theirs (an exceeded budget
        # is: it was reported once for the place, and only here).
        self.problems[problems:] = [p for p in self.problems[problems:] if p.code != "invalid-expression"]
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


#: Top-level template keys and the JSON type each must have: (key, in words, Python types).
_TEMPLATE_KEYS: tuple[tuple[str, str, type | tuple[type, ...]], ...] = (
    ("$schema", "a string", str),
    ("contentVersion", "a string", str),
    ("languageVersion", "a string", str),
    ("parameters", "an object", dict),
    ("variables", "an object", dict),
    ("functions", "an array", list),
    ("outputs", "an object", dict),
)


def _clip(text: str, keep: int = 80) -> str:
    """A name from the document, cut for a message."""
    return text if len(text) <= keep else text[:keep] + "…"


def _key(raw: Cursor, key: str, value: Any) -> Cursor:
    """A cursor on the evaluated ``value`` at the raw position of ``key`` (the resource when absent)."""
    at = raw.get(key) or raw
    return Cursor(value, at.path, at.offset, at.ctx)


def _lower_keys(node: Any) -> dict[str, tuple[str, Any]]:
    if not isinstance(node, dict):
        return {}
    return {k.lower(): (k, v) for k, v in node.items() if isinstance(k, str) and k != "copy"}


@record(frozen=False)
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
