"""Generators of ARM templates, ARM expressions and Terraform configurations.

Each generator takes a :class:`Chooser` and returns plain data (a template as a
dict, an expression or ``.tf`` text as a string). Two choosers exist: one over
``random.Random`` for the campaign runner (fast: no hypothesis machinery per
input) and one over a hypothesis ``draw`` (:mod:`.strategies`), which makes the
same generators shrinkable. Choices are arranged so that 0 is the simplest
answer (``chance`` is false at 0), which is what hypothesis shrinks towards.

The shapes follow what auditor reads: Defender for Cloud automations, Logic Apps
with nested ``Scope``/``If``/``Foreach``/``Until``/``Switch`` actions, API
connections, role assignments, nested deployments, copy loops, parameters and
variables; and in Terraform ``azurerm_security_center_automation``,
``azurerm_logic_app_workflow`` and friends with variables, locals, modules,
``count``/``for_each`` and function calls. Hostile strings (surrogates, control
characters, workflow commands, bidi overrides) are part of every string pool.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# --------------------------------------------------------------------------- choosers


class Chooser(Protocol):
    """The three questions every generator asks."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (the first is the simplest)."""
        ...

    def chance(self, percent: int) -> bool:
        """True with about ``percent`` % probability."""
        ...


class RandomChooser:
    """A :class:`Chooser` over a seeded ``random.Random`` (the runner's)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent


# --------------------------------------------------------------------------- string pools

#: Strings an attacker puts into names, display names and messages.
HOSTILE_STRINGS: tuple[str, ...] = (
    "\ud800",
    "a\udfffb",
    "x\r\n::error file=a.json,line=1::pwned",
    "\n::warning::injected",
    "::set-output name=x::y",
    "##vso[task.setvariable variable=secret]leaked",
    "\r\n##[error]fake",
    "\x00nul",
    "\x1b[31mred\x1b[0m",
    "\u202egnp.exe",
    "\u2028line\u2029sep",
    "`code` [link](https://evil.example/) ![img](https://evil.example/i.png) @octocat",
    "<script>alert(1)</script>",
    "]]>&amp;\"'",
    "\ufeffbom",
    "é\u0301 ☃ 😀",
    "${var.x}%{ if true }y%{ endif }",
    "[concat('a')]",
    "[[escaped",
    "@{triggerBody()}",
    "A" * 5000,
)

NAMES: tuple[str, ...] = (
    "a",
    "automation",
    "playbook",
    "conn",
    "office365",
    "ascalert",
    "my-logic-app",
    "x_1",
    "Name With Spaces",
    "ü",
)


def plain_string(c: Chooser) -> str:
    """A string for a value: usually a name, sometimes hostile."""
    if c.chance(15):
        return c.choice(HOSTILE_STRINGS)
    return c.choice(NAMES) + ("" if not c.chance(30) else str(c.integer(0, 99)))


def number(c: Chooser) -> int | float:
    """An integer or float, now and then a huge or odd one."""
    k = c.integer(0, 9)
    if k < 6:
        return c.integer(0, 10)
    return c.choice([-1, 2**31, 2**63, 10**30, 1e308, -0.0, 0.5, 123456789012345678901234567890])


def json_value(c: Chooser, depth: int = 2) -> Any:
    """Any JSON value, shallow."""
    k = c.integer(0, 6 if depth > 0 else 4)
    if k == 0:
        return plain_string(c)
    if k == 1:
        return number(c)
    if k == 2:
        return c.choice([True, False])
    if k == 3:
        return None
    if k == 4:
        return plain_string(c)
    if k == 5:
        return [json_value(c, depth - 1) for _ in range(c.integer(0, 3))]
    return {plain_string(c)[:20]: json_value(c, depth - 1) for _ in range(c.integer(0, 3))}


# --------------------------------------------------------------------------- ARM expressions


def _function_table() -> list[tuple[str, int, int | None]]:
    """(name, min args, max args) of every function auditor's ARM evaluator implements."""
    try:
        from auditor.sources.core.evaluation.functions import FUNCTIONS
    except ImportError:  # the table moved: fall back to a few well-known functions
        return [("concat", 1, None), ("format", 1, None), ("string", 1, 1), ("length", 1, 1)]
    return sorted((s.name, s.min_args, s.max_args) for s in FUNCTIONS.values())


FUNCTION_TABLE: list[tuple[str, int, int | None]] = _function_table()
_LAMBDA_TAKERS = ("map", "filter", "sort", "reduce", "toObject", "mapValues", "groupBy")
_ZERO_ARG = (
    "resourceGroup()",
    "subscription()",
    "deployment()",
    "tenant()",
    "environment()",
    "utcNow()",
    "newGuid()",
    "true()",
    "false()",
    "null()",
    "managementGroup()",
)


@dataclass
class ExprScope:
    """Names an expression may refer to."""

    parameters: list[str] = field(default_factory=lambda: ["p"])
    variables: list[str] = field(default_factory=lambda: ["v"])
    lambdas: list[str] = field(default_factory=list)
    copy_names: list[str] = field(default_factory=list)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def expression(c: Chooser, scope: ExprScope | None = None, depth: int = 3) -> str:
    """One ARM expression (without the brackets)."""
    scope = scope or ExprScope()
    k = c.integer(0, 12 if depth > 0 else 4)
    if k == 0:
        return _quote(plain_string(c) if c.chance(70) else c.choice(["{0}{0}", "{0:D5}", "{0,10}", "", "'"]))
    if k == 1:
        return str(c.choice([0, 1, 2, -1, 7, 2147483647, 9223372036854775807, 99999999999999999999]))
    if k == 2:
        return f"parameters({_quote(c.choice(scope.parameters))})" if scope.parameters else "null()"
    if k == 3:
        return f"variables({_quote(c.choice(scope.variables))})" if scope.variables else "true()"
    if k == 4:
        if scope.lambdas and c.chance(60):
            return f"lambdaVariables({_quote(c.choice(scope.lambdas))})"
        if scope.copy_names and c.chance(50):
            return f"copyIndex({_quote(c.choice(scope.copy_names))})"
        return c.choice(_ZERO_ARG)
    if k in (5, 6, 7, 8):
        return _call(c, scope, depth)
    if k == 9:  # property or index access
        base = _call(c, scope, depth - 1) if c.chance(50) else c.choice(_ZERO_ARG)
        accessor = c.choice([".name", ".location", ".id", "[0]", "['k']", ".properties.x", "[-1]", "[99999]"])
        return base + accessor
    if k == 10:  # lambda
        fn = c.choice(_LAMBDA_TAKERS)
        var = c.choice(["x", "item", "acc"])
        inner = ExprScope(scope.parameters, scope.variables, [*scope.lambdas, var], scope.copy_names)
        body = expression(c, inner, depth - 1)
        source = (
            f"range(0, {c.choice([3, 10, 1000, 100000])})"
            if c.chance(60)
            else expression(c, scope, depth - 1)
        )
        if fn == "reduce":
            return f"reduce({source}, 0, lambda('acc', {_quote(var)}, {body}))"
        if fn == "toObject":
            return f"toObject({source}, lambda({_quote(var)}, string(lambdaVariables({_quote(var)}))))"
        return f"{fn}({source}, lambda({_quote(var)}, {body}))"
    if k == 11:
        return f"if({expression(c, scope, depth - 1)}, {expression(c, scope, depth - 1)}, {expression(c, scope, depth - 1)})"
    return f"createObject({_quote(c.choice(NAMES))}, {expression(c, scope, depth - 1)})"


def _call(c: Chooser, scope: ExprScope, depth: int) -> str:
    name, lo, hi = c.choice(FUNCTION_TABLE)
    top = lo + 2 if hi is None else hi
    count = c.integer(lo, top) if c.chance(92) else c.integer(0, top + 1)  # sometimes the wrong arity
    args = [expression(c, scope, depth - 1) for _ in range(count)]
    if name == "format" and args and c.chance(50):
        args[0] = _quote(c.choice(["{0}", "{0}{0}{0}", "{0:D3}", "{0,5}", "{1}", "{0:x}", "{", "}{0"]))
    return f"{name}({', '.join(args)})"


def template_string(c: Chooser, scope: ExprScope | None = None) -> str:
    """A template string value: an expression in brackets, rarely a broken or escaped one."""
    text = "[" + expression(c, scope) + "]"
    k = c.integer(0, 19)
    if k == 0:
        return text[:-1]  # unbalanced
    if k == 1:
        return "[" + text  # '[[' escape: a literal
    if k == 2:
        return text[: max(1, len(text) // 2)] + "]"
    return text


# --------------------------------------------------------------------------- bombs


def doubling_variables(c: Chooser, levels: int, prefix: str = "d") -> tuple[dict[str, Any], str]:
    """Variables that double at each level; returns them and the name of the last one."""
    kind = c.choice(["concat", "createArray", "union", "format", "base64", "createObject", "string"])
    out: dict[str, Any] = {f"{prefix}0": "ab" if kind not in ("createArray", "union") else ["ab"]}
    if kind == "createObject":
        out[f"{prefix}0"] = {"k": "ab"}
    for i in range(1, levels + 1):
        prev = f"variables('{prefix}{i - 1}')"
        expr = {
            "concat": f"concat({prev}, {prev})",
            "createArray": f"concat({prev}, {prev})" if i % 2 else f"createArray({prev}, {prev})",
            "union": f"concat({prev}, {prev})",
            "format": f"format('{{0}}{{0}}', {prev})",
            "base64": f"base64(concat({prev}, {prev}))",
            "createObject": f"createObject('a', {prev}, 'b', {prev})",
            "string": f"string(createArray({prev}, {prev}))",
        }[kind]
        out[f"{prefix}{i}"] = f"[{expr}]"
    return out, f"{prefix}{levels}"


BOMB_EXPRESSIONS: tuple[str, ...] = (
    "[format('{0:D999999999}', 1)]",
    "[format('{0,999999999}', 'x')]",
    "[padLeft('a', 999999999, 'b')]",
    "[length(map(range(0, 10000), lambda('x', map(range(0, 10000), lambda('y', 1)))))]",
    "[length(string(map(range(0, 10000), lambda('x', range(0, 10000)))))]",
    "[replace(padLeft('', 900000, 'a'), 'a', padLeft('', 900000, 'b'))]",
)
#: Expressions ARM itself refuses cheaply (``range`` counts above 10,000): not bombs, the value is
#: unknown (an invalid template, not a budget); they must not crash or hang, a finding is not required.
REFUSED_EXPRESSIONS: tuple[str, ...] = (
    "[length(map(range(0, 100000), lambda('x', map(range(0, 100000), lambda('y', 1)))))]",
    "[string(range(0, 2147483647))]",
    "[length(range(0, 2147483647))]",
)


# --------------------------------------------------------------------------- ARM templates

SCHEMAS = (
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
    "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
)
EVENT_SOURCES = ("Alerts", "Assessments", "SecureScores", "RegulatoryComplianceAssessment", "AttackPaths")
ACTION_TYPES = ("If", "Scope", "Foreach", "Until", "Switch", "Http", "ApiConnection", "Compose", "Response")


def _value(c: Chooser, scope: ExprScope) -> Any:
    """A property value: a literal, or an expression string."""
    return template_string(c, scope) if c.chance(40) else json_value(c, 1)


def _automation(c: Chooser, scope: ExprScope, logic_app: str | None) -> dict[str, Any]:
    actions: list[dict[str, Any]] = []
    for _ in range(c.integer(0, 2)):
        kind = c.choice(["LogicApp", "EventHub", "Workspace", "Other"])
        action: dict[str, Any] = {"actionType": kind}
        if kind == "LogicApp":
            target = logic_app or c.choice(NAMES)
            action["logicAppResourceId"] = (
                f"[resourceId('Microsoft.Logic/workflows', {_quote(target)})]"
                if c.chance(80)
                else _value(c, scope)
            )
            action["uri"] = (
                f"[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', {_quote(target)}, 'manual'), '2019-05-01').value]"
                if c.chance(70)
                else _value(c, scope)
            )
        elif kind == "EventHub":
            action.update(eventHubResourceId=_value(c, scope), connectionString=_value(c, scope))
        elif kind == "Workspace":
            action["workspaceResourceId"] = _value(c, scope)
        actions.append(action)
    rules = [
        {
            "propertyJPath": c.choice(["Severity", "type", "properties.status.code", plain_string(c)]),
            "propertyType": c.choice(["String", "Integer", "Number", "Boolean", "x"]),
            "expectedValue": _value(c, scope),
            "operator": c.choice(["Equals", "Contains", "GreaterThan", "NotEquals", "Nope"]),
        }
        for _ in range(c.integer(0, 2))
    ]
    sources = [
        {"eventSource": c.choice(EVENT_SOURCES), "ruleSets": [{"rules": rules}] if rules else []}
        for _ in range(c.integer(0, 2))
    ]
    return {
        "description": _value(c, scope),
        "isEnabled": c.choice([True, False, "[parameters('p')]", "true", 1]),
        "scopes": [
            {"description": "s", "scopePath": "[subscription().id]" if c.chance(70) else _value(c, scope)}
        ],
        "sources": sources,
        "actions": actions,
    }


def logic_app_actions(c: Chooser, depth: int, scope: ExprScope) -> dict[str, Any]:
    """Logic App actions, with nested Scope/If/Foreach/Until/Switch containers."""
    out: dict[str, Any] = {}
    for i in range(c.integer(0, 3)):
        kind = c.choice(ACTION_TYPES) if depth > 0 else c.choice(("Http", "ApiConnection", "Compose"))
        action: dict[str, Any] = {"type": kind, "runAfter": {}}
        if kind in ("Scope", "Foreach", "Until"):
            action["actions"] = logic_app_actions(c, depth - 1, scope)
            if kind == "Foreach":
                action["foreach"] = "@triggerBody()?['value']"
        elif kind == "If":
            action["expression"] = {"and": [{"equals": ["@triggerBody()?['x']", plain_string(c)]}]}
            action["actions"] = logic_app_actions(c, depth - 1, scope)
            action["else"] = {"actions": logic_app_actions(c, depth - 1, scope)}
        elif kind == "Switch":
            action["cases"] = {"c1": {"case": "a", "actions": logic_app_actions(c, depth - 1, scope)}}
            action["default"] = {"actions": logic_app_actions(c, depth - 1, scope)}
        elif kind == "Http":
            action["inputs"] = {
                "method": c.choice(["GET", "POST", 5]),
                "uri": c.choice(["https://example.org/hook", "http://plain.example/", plain_string(c)]),
                "authentication": c.choice(
                    [{"type": "ManagedServiceIdentity"}, {"type": "Raw", "value": "k"}, None]
                ),
            }
        elif kind == "ApiConnection":
            action["inputs"] = {
                "host": {"connection": {"name": "@parameters('$connections')['office365']['connectionId']"}},
                "method": "post",
                "path": c.choice(["/v2/Mail", "/Microsoft.Security/Alert/subscribe", plain_string(c)]),
                "body": {"To": "@triggerBody()?['x']", "Subject": plain_string(c)},
            }
        else:
            action["inputs"] = json_value(c, 1)
        out[f"{kind}_{i}" if not c.chance(5) else plain_string(c)[:40]] = action
    return out


def _workflow(c: Chooser, scope: ExprScope, connections: list[str]) -> dict[str, Any]:
    trigger_kind = c.choice(["Request", "ApiConnectionWebhook", "Recurrence"])
    trigger: dict[str, Any] = {"type": trigger_kind}
    if trigger_kind == "Request":
        trigger.update(kind="Http", inputs={"schema": {}})
    elif trigger_kind == "ApiConnectionWebhook":
        trigger["inputs"] = {
            "body": {"callback_url": "@{listCallbackUrl()}"},
            "host": {"connection": {"name": "@parameters('$connections')['ascalert']['connectionId']"}},
            "path": "/Microsoft.Security/Alert/subscribe",
        }
    definition = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
        "triggers": {"manual" if c.chance(60) else plain_string(c)[:30]: trigger},
        "actions": logic_app_actions(c, c.integer(0, 4), scope),
    }
    values = {
        name: {
            "connectionId": f"[resourceId('Microsoft.Web/connections', {_quote(name)})]",
            "connectionName": name,
            "id": f"[concat(subscription().id, '/providers/Microsoft.Web/locations/', resourceGroup().location, '/managedApis/{name}')]",
        }
        for name in connections
    }
    return {
        "state": c.choice(["Enabled", "Disabled", _value(c, scope)]),
        "definition": definition,
        "parameters": {"$connections": {"value": values}},
    }


def _resource(
    c: Chooser, scope: ExprScope, depth: int, names: dict[str, str], connections: list[str]
) -> dict[str, Any]:
    kind = c.integer(0, 9 if depth > 0 else 8)
    res: dict[str, Any]
    if kind <= 2:
        res = {
            "type": "Microsoft.Security/automations",
            "apiVersion": c.choice(["2019-01-01-preview", "2023-12-01-preview"]),
            "name": names["automation"],
            "location": "[resourceGroup().location]",
            "properties": _automation(c, scope, names["logic_app"]),
        }
    elif kind <= 4:
        res = {
            "type": "Microsoft.Logic/workflows",
            "apiVersion": "2019-05-01",
            "name": names["logic_app"],
            "location": "[resourceGroup().location]",
            "identity": c.choice([{"type": "SystemAssigned"}, {"type": "UserAssigned"}, {}]),
            "properties": _workflow(c, scope, connections),
        }
    elif kind <= 6:
        conn = c.choice(connections) if connections else "office365"
        res = {
            "type": "Microsoft.Web/connections",
            "apiVersion": "2016-06-01",
            "name": conn,
            "location": "[resourceGroup().location]",
            "properties": {
                "displayName": _value(c, scope),
                "api": {
                    "id": f"[subscriptionResourceId('Microsoft.Web/locations/managedApis', resourceGroup().location, {_quote(conn)})]"
                },
                "parameterValues": {"username": _value(c, scope), "password": "[parameters('p')]"},
                "statuses": c.choice([[{"status": "Connected"}], "[parameters('p')]", None, 5]),
            },
        }
    elif kind == 7:
        res = {
            "type": "Microsoft.Authorization/roleAssignments",
            "apiVersion": "2022-04-01",
            "name": "[guid(resourceGroup().id, 'fuzz')]",
            "properties": {
                "roleDefinitionId": c.choice(
                    [
                        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')]",
                        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635')]",
                        _value(c, scope),
                    ]
                ),
                "principalId": f"[reference(resourceId('Microsoft.Logic/workflows', {_quote(names['logic_app'])}), '2019-05-01', 'full').identity.principalId]",
                "principalType": "ServicePrincipal",
            },
        }
    elif kind == 8:
        res = {
            "type": c.choice(
                ["Microsoft.Storage/storageAccounts", "Microsoft.EventHub/namespaces", plain_string(c)]
            ),
            "apiVersion": c.choice(["2023-01-01", 5, None]),
            "name": _value(c, scope),
            "properties": json_value(c, 2),
        }
    else:  # nested deployment
        res = {
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": f"nested{depth}",
            "properties": {
                "mode": "Incremental",
                "expressionEvaluationOptions": {"scope": c.choice(["inner", "outer"])},
                "parameters": {"p": {"value": _value(c, scope)}},
                "template": arm_template(c, depth - 1),
            },
        }
    if c.chance(15):  # resource copy loop
        loop = c.choice(["loop", "copy"])
        res["copy"] = {
            "name": loop,
            "count": c.choice(
                [0, 1, 3, 800, "[parameters('n')]", "[length(variables('v'))]", -1, "x", 100000]
            ),
        }
        res["name"] = f"[concat({_quote(plain_string(c)[:20])}, copyIndex())]"
    if c.chance(10):  # property copy loop
        res.setdefault("properties", {})
        if isinstance(res["properties"], dict):
            res["properties"]["copy"] = [
                {
                    "name": "items",
                    "count": c.choice([2, 800, "[parameters('n')]"]),
                    "input": {"i": "[copyIndex('items')]", "v": _value(c, scope)},
                }
            ]
    if c.chance(10):
        res["condition"] = _value(c, scope)
    if c.chance(10):
        res["dependsOn"] = [_value(c, scope)]
    if c.chance(4):  # a typed edge: a field of the wrong type
        field_name = c.choice(["name", "apiVersion", "type", "properties", "location"])
        res[field_name] = c.choice([5, None, [], {"a": 1}, True, 1.5])
    return res


def arm_template(c: Chooser, depth: int = 2) -> dict[str, Any]:
    """A whole ARM template (nested deployments go ``depth`` deep)."""
    params: dict[str, Any] = {}
    for name in ("p", "n", *(c.choice(NAMES) for _ in range(c.integer(0, 2)))):
        ptype = c.choice(["string", "int", "bool", "object", "array", "securestring", "String"])
        spec: dict[str, Any] = {"type": ptype}
        if c.chance(70):
            spec["defaultValue"] = (
                {"string": "x", "int": 3, "bool": True, "object": {}, "array": [1, 2]}.get(ptype, "v")
                if c.chance(70)
                else _value(c, ExprScope(parameters=[], variables=[]))
            )
        if c.chance(10):
            spec["allowedValues"] = [json_value(c, 0)]
        params[name] = spec
    scope = ExprScope(parameters=list(params), variables=["v"])
    variables: dict[str, Any] = {"v": _value(c, ExprScope(parameters=list(params), variables=[]))}
    for _ in range(c.integer(0, 2)):
        name = c.choice(NAMES)
        variables[name] = _value(c, scope)
        scope.variables.append(name)
    if c.chance(5):  # a variable cycle
        variables["cyc1"], variables["cyc2"] = "[variables('cyc2')]", "[variables('cyc1')]"
        scope.variables += ["cyc1", "cyc2"]
    if c.chance(5):
        variables["copy"] = [
            {"name": "vloop", "count": c.choice([3, 800, 100000]), "input": "[copyIndex('vloop')]"}
        ]
    names = {
        "automation": c.choice(["auto", "[parameters('p')]", plain_string(c)]),
        "logic_app": c.choice(["playbook", "[variables('v')]", plain_string(c)]),
    }
    connections = [c.choice(["office365", "ascalert", "teams"]) for _ in range(c.integer(0, 2))]
    resources = [_resource(c, scope, depth, names, connections) for _ in range(c.integer(1, 4))]
    doc: dict[str, Any] = {
        "$schema": c.choice(SCHEMAS) if c.chance(95) else c.choice([5, None, "x", ["a"]]),
        "contentVersion": "1.0.0.0",
        "parameters": params,
        "variables": variables,
        "resources": resources,
    }
    if c.chance(5):  # symbolic names (languageVersion 2.0)
        doc["languageVersion"] = "2.0"
        doc["resources"] = {f"r{i}": r for i, r in enumerate(resources)}
    if c.chance(5):
        doc["resources"] = c.choice(["x", 5, None, {"a": 1}])
    if c.chance(20):
        doc["outputs"] = {"o": {"type": "string", "value": _value(c, scope)}}
    return doc


def parameters_file(c: Chooser, template: dict[str, Any]) -> Any:
    """A parameters file for ``template`` (sometimes a wrong shape)."""
    k = c.integer(0, 9)
    if k == 0:
        return [1, 2]
    if k == 1:
        return {"parameters": "x"}
    params = template.get("parameters") if isinstance(template.get("parameters"), dict) else {}
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {name: {"value": json_value(c, 1)} for name in params or {"p": 1}},
    }


def encode_json(c: Chooser, doc: Any) -> bytes:
    """``doc`` as bytes: indentation, escapes and encoding vary."""
    indent = c.choice([2, None, 4, 0])
    ascii_only = c.chance(70)
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    encoding = c.choice(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16"])
    return text.encode(encoding, "surrogatepass")


# --------------------------------------------------------------------------- Terraform

_TF_FUNCTIONS: tuple[tuple[str, int], ...] = (
    ("concat", 2),
    ("format", 2),
    ("join", 2),
    ("merge", 2),
    ("lookup", 3),
    ("try", 2),
    ("coalesce", 2),
    ("jsonencode", 1),
    ("jsondecode", 1),
    ("replace", 3),
    ("lower", 1),
    ("upper", 1),
    ("length", 1),
    ("element", 2),
    ("flatten", 1),
    ("toset", 1),
    ("tolist", 1),
    ("range", 2),
    ("base64encode", 1),
    ("split", 2),
    ("substr", 3),
    ("zipmap", 2),
    ("keys", 1),
    ("values", 1),
    ("contains", 2),
    ("tostring", 1),
    ("can", 1),
    ("distinct", 1),
    ("compact", 1),
    ("strrev", 1),
    ("title", 1),
    ("trimspace", 1),
    ("abs", 1),
    ("max", 2),
    ("formatlist", 2),
    ("sha256", 1),
    ("uuid", 0),
    ("timestamp", 0),
)
FILE_FUNCTION_ARGS: tuple[str, ...] = (
    'file("/etc/passwd")',
    'file("../secret.txt")',
    'file("../../secret.txt")',
    'file("${path.module}/../secret.txt")',
    'file("/proc/self/environ")',
    'file("/dev/zero")',
    'templatefile("/etc/hostname", {})',
    'filebase64("../secret.txt")',
    'fileexists("/etc/shadow")',
    'fileset("/", "*")',
    'file("${path.module}/main.tf")',
)


def hcl_string(text: str) -> str:
    """``text`` as an HCL quoted string (escapes; hostile characters stay hostile)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + out.replace("${", "$${").replace("%{", "%%{") + '"'


@dataclass
class HclScope:
    """Names an HCL expression may refer to."""

    variables: list[str] = field(default_factory=lambda: ["name"])
    locals: list[str] = field(default_factory=list)


def hcl_expression(c: Chooser, scope: HclScope, depth: int = 3) -> str:
    """One HCL expression."""
    k = c.integer(0, 11 if depth > 0 else 4)
    if k == 0:
        return hcl_string(plain_string(c))
    if k == 1:
        return (
            str(number(c))
            if c.chance(90)
            else c.choice(["1e999999", "-0", "0x10", "99999999999999999999999"])
        )
    if k == 2:
        return f"var.{c.choice(scope.variables)}" if scope.variables else "null"
    if k == 3:
        return f"local.{c.choice(scope.locals)}" if scope.locals else c.choice(["true", "null", "false"])
    if k == 4:
        return c.choice(
            ["path.module", "terraform.workspace", "data.azurerm_client_config.current.subscription_id"]
        )
    if k in (5, 6):
        name, arity = c.choice(_TF_FUNCTIONS)
        return f"{name}({', '.join(hcl_expression(c, scope, depth - 1) for _ in range(arity))})"
    if k == 7:
        return (
            f"[for x in {hcl_expression(c, scope, depth - 1)} : {hcl_expression(c, scope, depth - 1)}]"
            if c.chance(50)
            else f"{{for k, v in {hcl_expression(c, scope, depth - 1)} : k => v}}"
        )
    if k == 8:
        return f"{hcl_expression(c, scope, depth - 1)} ? {hcl_expression(c, scope, depth - 1)} : {hcl_expression(c, scope, depth - 1)}"
    if k == 9:
        return '"${' + hcl_expression(c, scope, depth - 1) + '}-%{ if true }x%{ endif }"'
    if k == 10:
        return "[" + ", ".join(hcl_expression(c, scope, depth - 1) for _ in range(c.integer(0, 3))) + "]"
    if c.chance(10):
        return c.choice(FILE_FUNCTION_ARGS)
    return (
        "{ "
        + " ".join(f"k{i} = {hcl_expression(c, scope, depth - 1)}" for i in range(c.integer(0, 3)))
        + " }"
    )


def _tf_automation(c: Chooser, scope: HclScope, e: Callable[[], str]) -> str:
    actions = []
    for _ in range(c.integer(0, 2)):
        kind = c.choice(['"logicapp"', '"LogicApp"', '"eventhub"', e()])
        target = c.choice(["azurerm_logic_app_workflow.la.id", e()])
        url = c.choice(["azurerm_logic_app_trigger_http_request.t.callback_url", e()])
        actions.append(
            f"  action {{\n    type = {kind}\n    resource_id = {target}\n    trigger_url = {url}\n  }}"
        )
    event_source = c.choice(['"Alerts"', '"Assessments"', e()])
    source = (
        f"  source {{\n    event_source = {event_source}\n    rule_set {{\n      rule {{\n"
        '        property_path = "properties.metadata.severity"\n        operator = "Equals"\n'
        f'        expected_value = {e()}\n        property_type = "String"\n'
        "      }\n    }\n  }"
    )
    dynamic = ""
    if c.chance(20):
        for_each = c.choice(["var.actions", 'toset(["a", "b"])', e()])
        dynamic = (
            f'  dynamic "action" {{\n    for_each = {for_each}\n'
            "    content {\n      type = action.value\n      resource_id = action.key\n    }\n  }\n"
        )
    enabled = c.choice(["true", "false", e()])
    return (
        'resource "azurerm_security_center_automation" "auto" {\n'
        f'  name = {e()}\n  location = "westeurope"\n  resource_group_name = "rg"\n'
        '  scopes = ["/subscriptions/${data.azurerm_client_config.current.subscription_id}"]\n'
        f"  enabled = {enabled}\n" + "\n".join(actions) + f"\n{source}\n{dynamic}}}\n"
    )


def _tf_logic_app(c: Chooser, e: Callable[[], str]) -> str:
    count = ""
    if c.chance(15):
        count = f"  count = {c.choice(['2', '0', '100000', 'length(var.list)', e()])}\n"
    elif c.chance(10):
        choice = c.choice(['toset(["a", "b"])', "var.map", e()])
        count = f"  for_each = {choice}\n"
    return (
        'resource "azurerm_logic_app_workflow" "la" {\n'
        f'{count}  name = {e()}\n  location = "westeurope"\n  resource_group_name = "rg"\n'
        f'  workflow_parameters = {{ "$connections" = jsonencode({{ defaultValue = {{}}, type = "Object" }}) }}\n'
        f'  parameters = {{ "$connections" = jsonencode({{ office365 = {{ connectionId = {e()} }} }}) }}\n'
        '  identity {\n    type = "SystemAssigned"\n  }\n}\n'
        'resource "azurerm_logic_app_trigger_http_request" "t" {\n'
        '  name = "manual"\n  logic_app_id = azurerm_logic_app_workflow.la.id\n  schema = "{}"\n}\n'
        'resource "azurerm_logic_app_action_custom" "a" {\n'
        '  name = "send"\n  logic_app_id = azurerm_logic_app_workflow.la.id\n'
        f'  body = jsonencode({{ type = "Http", inputs = {{ method = "POST", uri = {e()} }} }})\n}}\n'
    )


def terraform_module(c: Chooser, depth: int = 1) -> dict[str, str]:
    """A Terraform module as ``{relative path: text}`` (``main.tf``, maybe variables, tfvars, a child module)."""
    scope = HclScope(variables=["name", "list", "map", "actions"], locals=[])
    parts: list[str] = ['data "azurerm_client_config" "current" {}\n']

    def e() -> str:
        return hcl_expression(c, scope, 2)

    variables = (
        'variable "name" {\n  type = string\n  default = ' + hcl_string(plain_string(c)) + "\n}\n"
        'variable "list" {\n  default = ["a", "b"]\n}\n'
        'variable "map" {\n  type = map(string)\n  default = { a = "x" }\n}\n'
        'variable "actions" {\n  default = {}\n}\n'
    )
    local_lines = []
    for i in range(c.integer(0, 3)):
        local_lines.append(f"  l{i} = {hcl_expression(c, scope, 2)}")
        scope.locals.append(f"l{i}")
    if c.chance(5):
        local_lines += ["  cyc_a = local.cyc_b", "  cyc_b = local.cyc_a"]
    if local_lines:
        parts.append("locals {\n" + "\n".join(local_lines) + "\n}\n")
    for _ in range(c.integer(1, 3)):
        k = c.integer(0, 5)
        if k <= 1:
            parts.append(_tf_automation(c, scope, e))
        elif k <= 3:
            parts.append(_tf_logic_app(c, e))
        elif k == 4:
            role = c.choice(['"Contributor"', '"Owner"', e()])
            parts.append(
                'resource "azurerm_api_connection" "c" {\n  name = "office365"\n  resource_group_name = "rg"\n'
                '  managed_api_id = "/subscriptions/x/providers/Microsoft.Web/locations/westeurope/managedApis/office365"\n'
                f"  display_name = {e()}\n}}\n"
                'resource "azurerm_role_assignment" "r" {\n  scope = "/subscriptions/x"\n'
                f"  role_definition_name = {role}\n"
                "  principal_id = azurerm_logic_app_workflow.la.identity[0].principal_id\n}\n"
            )
        else:
            parts.append(f'output "o" {{\n  value = {e()}\n}}\n')
    files: dict[str, str] = {}
    if depth > 0 and c.chance(25):
        parts.append(f'module "child" {{\n  source = "./child"\n  name = {e()}\n}}\n')
        for path, text in terraform_module(c, depth - 1).items():
            files[f"child/{path}"] = text
    if c.chance(5):
        parts.append('module "self" {\n  source = "./"\n}\n')
    if c.chance(50):
        files["variables.tf"] = variables
    else:
        parts.insert(0, variables)
    if c.chance(15):
        files["terraform.tfvars"] = f"name = {hcl_string(plain_string(c))}\nlist = [{e()}]\n"
    files["main.tf"] = "".join(parts)
    return files
