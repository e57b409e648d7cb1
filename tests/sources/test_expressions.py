"""Tests for the ARM expression parser and evaluator (auditor.sources.core.evaluation.expressions).

Most tests are tables: (expression, expected value). ``U("words")`` in the
expected column means "an Unknown whose reason contains these words", so a test
pins both that the evaluator gave up and that it says why.
"""

from __future__ import annotations

import contextlib
import pickle
import random
import uuid
from typing import Any

import pytest

from auditor.sources.core.evaluation.expressions import (
    MAX_DEPTH,
    Call,
    ExpressionError,
    Index,
    Literal,
    Property,
    evaluate,
    is_expression,
    parse,
    unescape,
)
from auditor.unknown import CallbackUrl, Unknown, is_unknown

# --------------------------------------------------------------------------- fake context

SUB = "11111111-2222-3333-4444-555555555555"
LA_ID = f"/subscriptions/{SUB}/resourceGroups/rg-automation/providers/Microsoft.Logic/workflows/la-defender"
NO_VALUE = Unknown("parameter 'logicAppName' has no value")


class FakeContext:
    """EvalContext over plain dicts. Parameter and variable names are case-insensitive, as in ARM."""

    def __init__(
        self,
        parameters: dict[str, Any] | None = None,
        variables: dict[str, Any] | None = None,
        loops: list[tuple[str | None, Any]] | None = None,
        scope: dict[str, Any] | None = None,
        deployment: dict[str, Any] | None = None,
    ) -> None:
        self.parameters = {
            k.lower(): v for k, v in (DEFAULT_PARAMETERS if parameters is None else parameters).items()
        }
        self.variables = {
            k.lower(): v for k, v in (DEFAULT_VARIABLES if variables is None else variables).items()
        }
        self.loops = [("ruleSets", 3)] if loops is None else loops
        self.scope = {"subscriptionId": "sub-1", "resourceGroup": "rg-1"} if scope is None else scope
        self.deployment = DEFAULT_DEPLOYMENT if deployment is None else deployment
        self.deployment_calls: list[tuple[str, list[Any]]] = []

    def parameter(self, name: str) -> Any:
        return self.parameters[name.lower()]

    def variable(self, name: str) -> Any:
        return self.variables[name.lower()]

    def copy_index(self, loop: str | None) -> Any:
        if not self.loops:
            raise KeyError(loop)
        if loop is None:
            return self.loops[-1][1]
        for name, index in reversed(self.loops):
            if name is not None and name.lower() == loop.lower():
                return index
        raise KeyError(loop)

    def deployment_function(self, name: str, args: list[Any]) -> Any:
        self.deployment_calls.append((name, args))
        return self.deployment[name]

    def resource_scope(self) -> dict[str, Any]:
        return self.scope


DEFAULT_PARAMETERS: dict[str, Any] = {
    "logicAppName": "la-defender",
    "subscriptionId": SUB,
    "logicAppResourceGroupName": "rg-automation",
    "logicAppResourceId": LA_ID,
    "logicAppTrigger": "When an alert is created",
    "alertSeverities": ["High", "Medium", "Low"],
    "alertSettings": {
        "alertSeverityMapping": [
            {"severity": "High", "jpath": "properties.severity"},
            {"severity": "Medium", "jpath": "properties.other"},
            {"severity": "Low", "jpath": "properties.low"},
            {"severity": "Info", "jpath": "properties.info"},
        ]
    },
    "a": "MyApp",
    "name": "Contoso",
    "n": 5,
    "flag": True,
    "nothing": None,
    "obj": {"Name": "x", "nested": {"Key": "v", "arr": [1, 2, 3]}, "list": ["a", "b"]},
    "arr": ["one", "two", "three"],
    "unknown": Unknown("parameter 'unknown' has no value"),
    "unknownArr": Unknown("parameter 'unknownArr' has no value"),
    "mixed": ["x", Unknown("parameter 'item' has no value")],
    "dogs": [
        {"name": "Evie", "age": 5},
        {"name": "Casper", "age": 3},
        {"name": "Indy", "age": 2},
        {"name": "Kira", "age": 8},
    ],
}
DEFAULT_VARIABLES: dict[str, Any] = {
    "triggerMap": {
        "When an alert is created": "When_an_Azure_Security_Center_Alert_is_created_or_triggered",
        "When a recommendation is created": "When_an_Azure_Security_Center_Recommendation_is_created_or_triggered",
    },
    "severityMap": {"High": "Sev0", "Medium": "Sev1", "Low": "Sev2"},
    "alertSeveritiesLengthIfEmpty": 2,
    "unknownVar": Unknown("variable 'unknownVar' uses reference()"),
}
DEFAULT_DEPLOYMENT: dict[str, Any] = {
    "subscription": {"id": "/subscriptions/sub-1", "subscriptionId": "sub-1", "tenantId": "tenant-1"},
    "resourcegroup": {
        "id": "/subscriptions/sub-1/resourceGroups/rg-1",
        "name": "rg-1",
        "location": "westeurope",
    },
    "deployment": {"name": "deploy-1", "properties": {"templateLink": {"uri": "https://x/t.json"}}},
    "tenant": {"tenantId": "tenant-1"},
    "environment": Unknown("environment() is not known before deployment"),
    "managementgroup": {"name": "mg-1", "id": "/providers/Microsoft.Management/managementGroups/mg-1"},
}


class U:
    """Expected-value marker: an Unknown whose reason contains ``words`` (case-insensitive)."""

    def __init__(self, words: str = "") -> None:
        self.words = words

    def __repr__(self) -> str:
        return f"U({self.words!r})"


def check(text: str, expected: Any, ctx: FakeContext | None = None) -> Any:
    result = evaluate(text, ctx or FakeContext())
    if isinstance(expected, U):
        assert is_unknown(result), f"{text} gave {result!r}, expected an Unknown"
        assert expected.words.lower() in result.reason.lower(), result.reason
        assert result.expression == text
    else:
        assert not is_unknown(result), f"{text} gave {result!r}"
        assert result == expected
        assert type(result) is type(expected), f"{text}: {type(result).__name__} vs {type(expected).__name__}"
    return result


def table(cases: list[tuple[str, Any]]) -> Any:
    """parametrize over (expression, expected) with the expression as the test id."""
    return pytest.mark.parametrize(("text", "expected"), cases, ids=[c[0] for c in cases])


# --------------------------------------------------------------------------- is_expression / unescape


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[parameters('a')]", True),
        ("[]", True),
        ("[ concat('a') ]", True),
        ("[[parameters('a')]", False),
        ("[[", False),
        ("[test] value", False),
        ("plain", False),
        ("", False),
        ("[", False),
        ("]", False),
        (" [parameters('a')]", False),
        ("[parameters('a')] ", False),
        (42, False),
        (None, False),
    ],
)
def test_is_expression(text: Any, expected: bool) -> None:
    assert is_expression(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[test value]", "[test value]"),
        ("[[parameters('a')]", "[parameters('a')]"),
        ("[[[x]", "[[x]"),
        ("[test] value", "[test] value"),
        ("[[abc", "[[abc"),  # not ending with ']': never an expression, ARM keeps it verbatim
        ("plain", "plain"),
        ("[parameters('a')]", "[parameters('a')]"),
        ("", ""),
    ],
)
def test_unescape(text: str, expected: str) -> None:
    assert unescape(text) == expected


# --------------------------------------------------------------------------- parser


def test_parse_builds_the_ast() -> None:
    node = parse("[listCallbackUrl(variables('m')['k'], '2019-05-01').value]")
    assert isinstance(node, Property) and node.name == "value"
    call = node.target
    assert isinstance(call, Call) and call.name == "listCallbackUrl" and call.key == "listcallbackurl"
    index = call.args[0]
    assert isinstance(index, Index) and index.index == Literal("k")
    assert call.args[1] == Literal("2019-05-01")


def test_parse_is_cached() -> None:
    text = "[concat('cached', parameters('a'))]"
    assert parse(text) is parse(text)


@table(
    [
        ("['it''s']", "it's"),
        ("['''']", "'"),
        ("['']", ""),
        ("[42]", 42),
        ("[-7]", -7),
        ("[ concat ( 'a' , 'b' ) ]", "ab"),
        ("[concat(\n'a',\t'b')]", "ab"),
        ("[concat(\r\n    'a',\r\n    'b')]", "ab"),
        ("[CONCAT('a', 'b')]", "ab"),
        ("[ToLower('ABC')]", "abc"),
        ("[PARAMETERS('A')]", "MyApp"),
        ("['[not an expression]']", "[not an expression]"),
        ("['a,b(c)']", "a,b(c)"),
        ("[sub(1,-1)]", 2),
    ]
)
def test_literals_and_whitespace(text: str, expected: Any) -> None:
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("[concat('a',)]", 12),
        ("[concat('a' 'b')]", 12),
        ("[concat('a']", 11),
        ("[concat('a))]", 8),
        ("[parameters('a')", 0),
        ("parameters('a')]", 0),
        ("[]", 1),
        ("[   ]", 4),
        ("[concat]", 7),
        ("[true]", 5),
        ("[1.5]", 3),
        ("[parameters('a').]", 17),
        ("[parameters('a')[0]", 18),
        ("[parameters('a')[]]", 17),
        ("[foo(1) bar]", 8),
        ("[#]", 1),
        ("[concat('a') + 'b']", 13),
        ("[(1)]", 1),
        ("['a'.b.]", 7),
        ("[[escaped]", 1),
    ],
)
def test_syntax_errors(text: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(text, FakeContext())
    error = info.value
    assert error.expression == text
    assert error.position == position, error.message
    assert error.message and error.message in str(error)


def test_expression_error_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError):
        parse("[concat(]")
    try:
        parse("[concat(]")
    except ExpressionError as exc:
        clone = pickle.loads(pickle.dumps(exc))
        assert (clone.message, clone.expression, clone.position) == (
            exc.message,
            exc.expression,
            exc.position,
        )


@pytest.mark.parametrize("value", [None, 42, ["[x]"], {"a": 1}])
def test_evaluate_rejects_non_strings_with_expression_error(value: Any) -> None:
    with pytest.raises(ExpressionError):
        evaluate(value, FakeContext())


def test_true_without_parentheses_gets_a_hint() -> None:
    with pytest.raises(ExpressionError, match=r"true\(\)"):
        parse("[if(true, 'a', 'b')]")


def test_namespaced_user_function_parses_and_is_unknown() -> None:
    check("[contoso.uniqueName('x')]", U("user-defined function 'contoso.uniqueName'"))


# --------------------------------------------------------------------------- deployment and scope


@table(
    [
        ("[parameters('logicAppName')]", "la-defender"),
        ("[parameters('LOGICAPPNAME')]", "la-defender"),
        ("[parameters('obj').name]", "x"),
        ("[parameters('obj').NAME]", "x"),
        ("[parameters('obj')['name']]", "x"),
        ("[parameters('obj').nested.key]", "v"),
        ("[parameters('obj').nested.arr[2]]", 3),
        ("[parameters('obj')['nested']['arr'][0]]", 1),
        ("[parameters('nothing')]", None),
        ("[parameters('flag')]", True),
        ("[parameters('missing')]", U("parameter 'missing' is not declared")),
        ("[parameters('unknown')]", U("parameter 'unknown' has no value")),
        ("[parameters(1)]", U("expects a string")),
        ("[parameters()]", U("parameters() takes exactly 1 argument, got 0")),
        ("[variables('severityMap').High]", "Sev0"),
        ("[variables('SEVERITYMAP').high]", "Sev0"),
        ("[variables('nope')]", U("variable 'nope' is not declared")),
        ("[variables('unknownVar')]", U("uses reference()")),
        ("[copyIndex()]", 3),
        ("[copyIndex(1)]", 4),
        ("[copyIndex('ruleSets')]", 3),
        ("[copyIndex('RULESETS', 10)]", 13),
        ("[copyIndex('other')]", U("copy loop named 'other'")),
        ("[copyIndex(true())]", U("expects an integer")),
        ("[subscription().subscriptionId]", "sub-1"),
        ("[subscription().tenantId]", "tenant-1"),
        ("[resourceGroup().location]", "westeurope"),
        ("[ResourceGroup().Location]", "westeurope"),
        ("[resourceGroup().id]", "/subscriptions/sub-1/resourceGroups/rg-1"),
        ("[deployment().name]", "deploy-1"),
        ("[deployment().properties.templateLink.uri]", "https://x/t.json"),
        ("[tenant().tenantId]", "tenant-1"),
        ("[managementGroup().name]", "mg-1"),
        ("[environment()]", U("environment() is not known")),
        ("[environment().suffixes.storage]", U("environment() is not known")),
        ("[resourceGroup().missing]", U("no property 'missing'")),
        ("[subscription('x')]", U("subscription() takes exactly 0 arguments")),
    ]
)
def test_deployment_functions(text: str, expected: Any) -> None:
    check(text, expected)


def test_copy_index_outside_a_loop() -> None:
    check("[copyIndex()]", U("outside of a copy loop"), FakeContext(loops=[]))


def test_copy_index_innermost_loop() -> None:
    ctx = FakeContext(loops=[("outer", 1), (None, 7)])
    check("[copyIndex()]", 7, ctx)
    check("[copyIndex('outer')]", 1, ctx)


def test_unknown_copy_index() -> None:
    ctx = FakeContext(loops=[("l", Unknown("copy count is unknown"))])
    check("[add(copyIndex('l'), 1)]", U("copy count is unknown"), ctx)


def test_deployment_function_receives_lower_case_name() -> None:
    ctx = FakeContext()
    evaluate("[resourceGroup().id]", ctx)
    evaluate("[managementGroup()]", ctx)
    assert ctx.deployment_calls == [("resourcegroup", []), ("managementgroup", [])]


# --------------------------------------------------------------------------- resource ids


@table(
    [
        (
            "[resourceId('Microsoft.Logic/workflows', 'la')]",
            "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Logic/workflows/la",
        ),
        (
            "[resourceId('Microsoft.Logic/workflows/triggers', 'la', 'manual')]",
            "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Logic/workflows/la/triggers/manual",
        ),
        (
            "[resourceId('otherRg', 'Microsoft.Web/connections', 'ascalert')]",
            "/subscriptions/sub-1/resourceGroups/otherRg/providers/Microsoft.Web/connections/ascalert",
        ),
        (
            "[resourceId('s2', 'g2', 'Microsoft.Logic/workflows/triggers', 'la', 'manual')]",
            "/subscriptions/s2/resourceGroups/g2/providers/Microsoft.Logic/workflows/la/triggers/manual",
        ),
        (
            "[RESOURCEID('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]",
            "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
        ),
        (
            "[resourceId('Microsoft.Compute/virtualMachines', concat('vm', copyIndex()))]",
            "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm3",
        ),
        ("[resourceId('Microsoft.Logic/workflows/triggers', 'la')]", U("needs 2 name(s), got 1")),
        ("[resourceId('Microsoft.Logic/workflows', 'la', 'extra')]", U("needs 1 name(s), got 2")),
        ("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet/sub')]", U("exactly one argument")),
        ("[resourceId('a', 'b')]", U("exactly one argument")),
        ("[resourceId('s', 'g', 'x', 'Microsoft.Logic/workflows', 'la')]", U("at most 2 argument(s)")),
        ("[resourceId('Microsoft.Logic/', 'la')]", U("is not a resource type")),
        ("[resourceId('Microsoft.Logic/workflows')]", U("takes at least 2 arguments")),
        (
            "[resourceId('Microsoft.Logic/workflows', parameters('unknown'))]",
            U("parameter 'unknown' has no value"),
        ),
        ("[resourceId('Microsoft.Logic/workflows', createArray())]", U("expects strings")),
        (
            "[subscriptionResourceId('Microsoft.Security/automations', 'auto')]",
            "/subscriptions/sub-1/providers/Microsoft.Security/automations/auto",
        ),
        (
            "[subscriptionResourceId('s9', 'Microsoft.Authorization/roleDefinitions', 'r')]",
            "/subscriptions/s9/providers/Microsoft.Authorization/roleDefinitions/r",
        ),
        (
            "[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]",
            "/providers/Microsoft.Management/managementGroups/mg",
        ),
        ("[tenantResourceId('x', 'Microsoft.Management/managementGroups', 'mg')]", U("at most 0")),
        (
            "[extensionResourceId(resourceId('Microsoft.Logic/workflows', 'la'), "
            "'Microsoft.Authorization/locks', 'lock')]",
            "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Logic/workflows/la"
            "/providers/Microsoft.Authorization/locks/lock",
        ),
        (
            "[extensionResourceId('/subscriptions/s', 'Microsoft.Authorization/policyAssignments', 'p')]",
            "/subscriptions/s/providers/Microsoft.Authorization/policyAssignments/p",
        ),
        (
            "[managementGroupResourceId('Microsoft.Authorization/policyDefinitions', 'pd')]",
            "/providers/Microsoft.Management/managementGroups/mg-1"
            "/providers/Microsoft.Authorization/policyDefinitions/pd",
        ),
        (
            "[managementGroupResourceId('mg-9', 'Microsoft.Authorization/policyDefinitions', 'pd')]",
            "/providers/Microsoft.Management/managementGroups/mg-9"
            "/providers/Microsoft.Authorization/policyDefinitions/pd",
        ),
    ]
)
def test_resource_ids(text: str, expected: Any) -> None:
    check(text, expected)


def test_resource_id_at_subscription_scope() -> None:
    ctx = FakeContext(scope={"subscriptionId": "sub-1", "resourceGroup": None})
    check(
        "[resourceId('Microsoft.Resources/resourceGroups', 'rg')]",
        "/subscriptions/sub-1/providers/Microsoft.Resources/resourceGroups/rg",
        ctx,
    )
    check(
        "[resourceId('sub-2', 'Microsoft.Resources/resourceGroups', 'rg')]",
        "/subscriptions/sub-2/providers/Microsoft.Resources/resourceGroups/rg",
        ctx,
    )


def test_resource_id_with_unknown_scope() -> None:
    ctx = FakeContext(scope={"subscriptionId": Unknown("subscription is not known"), "resourceGroup": "rg"})
    check("[resourceId('Microsoft.Logic/workflows', 'la')]", U("subscription is not known"), ctx)
    # explicit subscription and group do not need the scope
    check(
        "[resourceId('s', 'g', 'Microsoft.Logic/workflows', 'la')]",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Logic/workflows/la",
        ctx,
    )


# --------------------------------------------------------------------------- deploy-time values


@table(
    [
        ("[reference('la').outputs]", U("reference()")),
        (
            "[reference(resourceId('Microsoft.Logic/workflows', 'la'), '2019-05-01', 'Full').identity]",
            U("runtime state"),
        ),
        (
            "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2021-01-01').keys[0].value]",
            U("listKeys()"),
        ),
        ("[listSecrets('x', '2019-01-01')]", U("listSecrets()")),
        ("[listConnectionKeys('c', '2016-06-01').connectionString]", U("listConnectionKeys()")),
        ("[LISTKEYS('a', 'b')]", U("LISTKEYS()")),
        ("[utcNow()]", U("utcNow()")),
        ("[utcNow('u')]", U("utcNow()")),
        ("[newGuid()]", U("newGuid()")),
        ("[pickZones('Microsoft.Compute', 'virtualMachines', 'westus2')]", U("pickZones()")),
        ("[foo()]", U("function 'foo' is not supported by auditor's evaluator")),
        ("[dateTimeAdd(utcNow(), 'P1D')]", U("function 'dateTimeAdd' is not supported")),
        ("[field('type')]", U("field()")),
        ("[concat('x', utcNow())]", U("utcNow()")),
        ("[toLower(reference('x').name)]", U("reference()")),
    ]
)
def test_deploy_time_values_are_unknown(text: str, expected: Any) -> None:
    check(text, expected)


# --------------------------------------------------------------------------- listCallbackUrl


def test_list_callback_url_keeps_its_target() -> None:
    text = "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'la', 'manual'), '2019-05-01')]"
    result = evaluate(text, FakeContext())
    assert isinstance(result, CallbackUrl)
    assert (
        result.target
        == "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Logic/workflows/la/triggers/manual"
    )
    assert result.api_version == "2019-05-01"
    assert result.reason == "listCallbackUrl() is resolved by Azure at deployment"
    assert result.expression == text


@pytest.mark.parametrize(
    "suffix",
    [".value", ".basePath", ".queries", ".queries.sig", "['value']", ".VALUE", ".value.anything"],
)
def test_property_of_callback_url_is_the_callback_url(suffix: str) -> None:
    text = f"[listCallbackURL(concat(parameters('logicAppResourceId'), '/triggers/manual'), '2016-06-01'){suffix}]"
    result = evaluate(text, FakeContext())
    assert isinstance(result, CallbackUrl)
    assert result.target == f"{LA_ID}/triggers/manual"
    assert result.expression == text


def test_callback_url_with_unknown_api_version_keeps_target() -> None:
    result = evaluate("[listCallbackUrl('/x/triggers/t', parameters('unknown')).value]", FakeContext())
    assert isinstance(result, CallbackUrl)
    assert result.target == "/x/triggers/t"
    assert is_unknown(result.api_version)


def test_callback_url_with_unknown_or_broken_target() -> None:
    result = evaluate(
        "[listCallbackUrl(concat(parameters('unknown'), '/triggers/t'), '2019-05-01').value]", FakeContext()
    )
    assert isinstance(result, CallbackUrl)
    assert is_unknown(result.target) and "parameter 'unknown' has no value" in result.target.reason
    result = evaluate(
        "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', 'la'), '1').value]", FakeContext()
    )
    assert isinstance(result, CallbackUrl)
    assert is_unknown(result.target) and "needs 2 name(s)" in result.target.reason


def test_callback_url_through_variables_and_if() -> None:
    cb = CallbackUrl(
        "listCallbackUrl() is resolved by Azure at deployment", "[other]", target="/t", api_version="1"
    )
    ctx = FakeContext(variables={"cb": cb})
    result = evaluate("[variables('cb').value]", ctx)
    assert isinstance(result, CallbackUrl) and result.target == "/t"
    assert result.expression == "[variables('cb').value]"
    result = evaluate("[if(true(), variables('cb'), 'none').value]", ctx)
    assert isinstance(result, CallbackUrl) and result.target == "/t"
    result = evaluate("[coalesce(null(), variables('cb'))]", ctx)
    assert isinstance(result, CallbackUrl)


def test_values_computed_from_a_callback_url_are_plain_unknowns() -> None:
    ctx = FakeContext()
    for text in (
        "[concat(listCallbackUrl('/t', '1').value, '&x=1')]",
        "[toLower(listCallbackUrl('/t', '1').value)]",
        "[listCallbackUrl('/t', '1').value[0]]",
    ):
        result = evaluate(text, ctx)
        assert type(result) is Unknown, text
        assert "listCallbackUrl()" in result.reason


# --------------------------------------------------------------------------- strings


@table(
    [
        ("[concat('a', 'b', 'c')]", "abc"),
        ("[concat('vm', copyIndex())]", "vm3"),
        ("[concat('x', 1, true())]", "x1True"),
        ("[concat('a')]", "a"),
        ("[concat('a', null())]", "a"),
        ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
        ("[concat(parameters('arr'), createArray('four'))]", ["one", "two", "three", "four"]),
        ("[concat(createArray(1), 'a')]", U("cannot mix arrays")),
        ("[concat('a', createObject('k', 1))]", U("cannot concatenate an object")),
        ("[concat()]", U("takes at least 1 argument, got 0")),
        ("[toLower('MiXeD')]", "mixed"),
        ("[toUpper('MiXeD')]", "MIXED"),
        ("[toLower(1)]", U("toLower() expects a string")),
        ("[replace('123-123-1234', '-', '')]", "1231231234"),
        ("[replace('aaa', 'a', 'bb')]", "bbbbbb"),
        ("[replace('Abc', 'a', 'x')]", "Abc"),
        ("[replace('abc', '', 'x')]", U("cannot be empty")),
        ("[split('one,two,three', ',')]", ["one", "two", "three"]),
        ("[split('one;two,three', createArray(',', ';'))]", ["one", "two", "three"]),
        ("[split('abc', '')]", ["abc"]),
        ("[split('', ',')]", [""]),
        ("[split('a,,b', ',')]", ["a", "", "b"]),
        ("[split(parameters('logicAppResourceId'), '/')[8]]", "la-defender"),
        ("[last(split(parameters('logicAppResourceId'), '/'))]", "la-defender"),
        ("[split('a', 1)]", U("expects an array")),
        ("[join(createArray('a', 'b', 'c'), ',')]", "a,b,c"),
        ("[join(createArray(), ',')]", ""),
        ("[join(createArray(1, 'b'), '-')]", "1-b"),
        ("[join('ab', ',')]", U("expects an array")),
        ("[substring('one two three', 4, 3)]", "two"),
        ("[substring('abc', 1)]", "bc"),
        ("[substring('abc', 0, 0)]", ""),
        ("[substring('abc', 3)]", ""),
        ("[substring('1234567890', 0, 11)]", U("must refer to a location within the string")),
        ("[substring('abc', -1, 1)]", U("within the string")),
        ("[substring('abc', 4)]", U("within the string")),
        ("[indexOf('test', 't')]", 0),
        ("[indexOf('abcdef', 'CD')]", 2),
        ("[indexOf('abcdef', 'z')]", -1),
        ("[lastIndexOf('test', 't')]", 3),
        ("[lastIndexOf('abcdef', 'AB')]", 0),
        ("[lastIndexOf('abc', 'z')]", -1),
        ("[startsWith('abcdef', 'ab')]", True),
        ("[startsWith('abcdef', 'AB')]", True),
        ("[startsWith('abcdef', 'e')]", False),
        ("[endsWith('abcdef', 'EF')]", True),
        ("[endsWith('abcdef', 'e')]", False),
        ("[trim('  one two  ')]", "one two"),
        ("[trim('\tx\n')]", "x"),
        ("[padLeft('123', 10, '0')]", "0000000123"),
        ("[padLeft(7, 3, '0')]", "007"),
        ("[padLeft('abc', 2, '0')]", "abc"),
        ("[padLeft('a', 3)]", "  a"),
        ("[padLeft('a', 3, 'xy')]", U("single padding character")),
        ("[padLeft('a', 99999999)]", U("out of range")),
        (
            "[string(createObject('valueA', 10, 'valueB', 'Example Text'))]",
            '{"valueA":10,"valueB":"Example Text"}',
        ),
        ("[string(createArray('a', 'b', 'c'))]", '["a","b","c"]'),
        ("[string(5)]", "5"),
        ("[string(true())]", "True"),
        ("[string(false())]", "False"),
        ("[string('s')]", "s"),
        ("[string(null())]", ""),
        ("[string(json('1.5'))]", "1.5"),
        ("[string(createArray(true(), null()))]", "[true,null]"),
        ("[uri('http://contoso.org/firstpath', 'myscript.sh')]", "http://contoso.org/myscript.sh"),
        ("[uri('http://contoso.org/firstpath/', 'myscript.sh')]", "http://contoso.org/firstpath/myscript.sh"),
        ("[uri('http://contoso.org/a/', 'https://other/x')]", "https://other/x"),
        ("[uri('relative/path', 'x')]", U("not an absolute URI")),
        (
            "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
            "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json",
        ),
        ("[uriComponent('a b~-_.')]", "a%20b~-_."),
        ("[uriComponentToString('http%3A%2F%2Fcontoso.com')]", "http://contoso.com"),
        ("[base64('one, two, three')]", "b25lLCB0d28sIHRocmVl"),
        ("[base64ToString('b25lLCB0d28sIHRocmVl')]", "one, two, three"),
        ("[base64ToString('not base64!')]", U("not valid base64")),
        ('[base64ToJson(base64(\'{"one": "a", "two": "b"}\'))]', {"one": "a", "two": "b"}),
        ("[base64ToJson(base64('{''one'': ''a''}'))]", {"one": "a"}),
        ("[dataUri('Hello')]", "data:text/plain;charset=utf8;base64,SGVsbG8="),
        ("[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]", "Hello, World!"),
        ("[dataUriToString(dataUri('round trip'))]", "round trip"),
        ("[dataUriToString('nope')]", U("not a data URI")),
        ("[contains('OneTwoThree', 'e')]", True),
        ("[contains('OneTwoThree', 'z')]", False),
        ("[contains('OneTwoThree', 'one')]", False),
        ("[contains('abc1', 1)]", True),
        ("[empty('')]", True),
        ("[empty('a')]", False),
        ("[empty(null())]", True),
        ("[empty(1)]", U("empty() expects")),
        ("[first('One Two')]", "O"),
        ("[first('')]", ""),
        ("[last('One Two Three')]", "e"),
        ("[length('One Two Three')]", 13),
        ("[length('')]", 0),
        ("[skip('one two three', 4)]", "two three"),
        ("[skip('abc', -1)]", "abc"),
        ("[skip('abc', 10)]", ""),
        ("[take('one two', 2)]", "on"),
        ("[take('abc', 0)]", ""),
        ("[take('abc', 99)]", "abc"),
        ("[take('abc', 'x')]", U("expects an integer")),
    ]
)
def test_string_functions(text: str, expected: Any) -> None:
    check(text, expected)


@table(
    [
        ("[format('{0}-{1}', 'a', 'b')]", "a-b"),
        (
            "[format('Hello, {0}. Formatted number: {1:N0}', 'User', 8175133)]",
            "Hello, User. Formatted number: 8,175,133",
        ),
        ("[format('{1}{0}{1}', 'a', 'b')]", "bab"),
        ("[format('{{0}} is {0}', 'x')]", "{0} is x"),
        ("[format('}}{{')]", "}{"),
        ("[format('no items')]", "no items"),
        ("[format('{0:D3}', 7)]", "007"),
        ("[format('{0:D3}', -7)]", "-007"),
        ("[format('{0:X}', 255)]", "FF"),
        ("[format('{0:x4}', 255)]", "00ff"),
        ("[format('{0:N2}', 1234)]", "1,234.00"),
        ("[format('{0:F1}', 3)]", "3.0"),
        ("[format('{0:yyyy-MM-dd}', 'not a date')]", "not a date"),
        ("[format('{0:000}', 5)]", "5"),
        ("[format('{0:D}', 'text')]", "text"),
        ("[format('{0,5}|', 'ab')]", "   ab|"),
        ("[format('{0,-5}|', 'ab')]", "ab   |"),
        ("[format('{ 0 }', 'sp')]", "sp"),
        ("[format('{0} {1}', true(), 2)]", "True 2"),
        ("[format('{0}', null())]", ""),
        ("[format('{0}', createArray(1, 2))]", "[1,2]"),
        ("[format('{0}-{1}', toLower(parameters('a')), 'x')]", "myapp-x"),
        ("[format('{1}', 'only one')]", U("refers to argument 1, but only 1 were given")),
        ("[format('{0', 'a')]", U("unclosed '{'")),
        ("[format('a}b')]", U("unmatched '}'")),
        ("[format('{x}', 'a')]", U("not a valid format item")),
        ("[format(1)]", U("expects a string as the format string")),
        ("[format('{0}', parameters('unknown'))]", U("parameter 'unknown' has no value")),
    ]
)
def test_format(text: str, expected: Any) -> None:
    check(text, expected)


def test_guid_is_deterministic_and_guid_shaped() -> None:
    ctx = FakeContext()
    first = evaluate("[guid(resourceGroup().id, 'role')]", ctx)
    assert first == evaluate("[GUID(resourceGroup().id, 'role')]", ctx)
    assert first != evaluate("[guid(resourceGroup().id, 'other')]", ctx)
    assert str(uuid.UUID(first)) == first and len(first) == 36


@pytest.mark.parametrize("name", ["", "a", "/subscriptions/x-role", "ünïcødé \ufffd", "x" * 1000])
def test_uuid5_is_the_standard_librarys(name: str) -> None:
    from auditor.sources.core.evaluation.functions.strings import _GUID_NAMESPACE, uuid5

    assert uuid5(_GUID_NAMESPACE, name) == str(uuid.uuid5(uuid.UUID(_GUID_NAMESPACE), name))


def test_unique_string_is_deterministic_13_lower_case_characters() -> None:
    ctx = FakeContext()
    value = evaluate("[uniqueString(resourceGroup().id)]", ctx)
    assert isinstance(value, str) and len(value) == 13
    assert value == value.lower() and value.isalnum()
    assert value == evaluate("[uniqueString('/subscriptions/sub-1/resourceGroups/rg-1')]", ctx)
    assert value != evaluate("[uniqueString(resourceGroup().id, 'x')]", ctx)
    check("[uniqueString(parameters('unknown'))]", U("has no value"))
    check("[uniqueString()]", U("takes at least 1 argument"))


# --------------------------------------------------------------------------- logic and comparison


@table(
    [
        ("[equals(1, 1)]", True),
        ("[equals('a', 'a')]", True),
        ("[equals('a', 'A')]", False),
        ("[equals(createArray('a', 'b'), createArray('a', 'b'))]", True),
        ("[equals(createArray('a', 'b'), createArray('b', 'a'))]", False),
        ("[equals(createObject('a', 'b'), createObject('a', 'b'))]", True),
        ('[equals(json(\'{"a":1,"b":2}\'), json(\'{"b":2,"a":1}\'))]', True),
        ('[equals(json(\'{"a":{"x":[1]}}\'), json(\'{"a":{"x":[2]}}\'))]', False),
        ("[equals(1, '1')]", False),
        ("[equals(true(), 1)]", False),
        ("[equals(null(), null())]", True),
        ("[equals(json('1.0'), 1)]", True),
        ("[equals(parameters('unknown'), 'x')]", U("parameter 'unknown' has no value")),
        ("[equals(parameters('mixed'), createArray('x', 'y'))]", U("parameter 'item' has no value")),
        ("[not(true())]", False),
        ("[not(equals(1, 2))]", True),
        ("[not('true')]", U("expects a bool")),
        ("[and(true(), true())]", True),
        ("[and(true(), false())]", False),
        ("[and(true(), true(), false())]", False),
        ("[and(false(), div(1, 0))]", False),
        ("[and(false(), parameters('unknown'))]", False),
        ("[and(parameters('unknown'), false())]", False),
        ("[and(parameters('unknown'), true())]", U("has no value")),
        ("[and(true(), 'x')]", U("and() expects a bool")),
        ("[and(true())]", U("takes at least 2 arguments, got 1")),
        ("[or(false(), true())]", True),
        ("[or(false(), false())]", False),
        ("[or(true(), div(1, 0))]", True),
        ("[or(parameters('unknown'), true())]", True),
        ("[or(parameters('unknown'), false())]", U("has no value")),
        ("[if(true(), 'a', 'b')]", "a"),
        ("[if(false(), 'a', 'b')]", "b"),
        ("[IF(equals(parameters('n'), 5), 'five', 'other')]", "five"),
        ("[if(true(), 'yes', parameters('unknown'))]", "yes"),
        ("[if(false(), parameters('unknown'), 'no')]", "no"),
        ("[if(true(), 'ok', div(1, 0))]", "ok"),
        ("[if(false(), parameters('missing'), 'ok')]", "ok"),
        ("[if(true(), createObject('k', 'v'), null()).k]", "v"),
        ("[if(parameters('unknown'), 'a', 'b')]", U("has no value")),
        ("[if('true', 'a', 'b')]", U("expects a bool as the condition")),
        ("[if(true(), 'a')]", U("takes exactly 3 arguments, got 2")),
        ("[bool('true')]", True),
        ("[bool('FALSE')]", False),
        ("[bool(1)]", True),
        ("[bool(0)]", False),
        ("[bool(true())]", True),
        ("[bool('yes')]", U("cannot convert")),
        ("[greater(10, 5)]", True),
        ("[greater(1, 2)]", False),
        ("[greater('A', 'a')]", True),
        ("[greater('b', 'A')]", True),
        ("[greaterOrEquals(1, 1)]", True),
        ("[greaterOrEquals('A', 'a')]", True),
        ("[less(1, 2)]", True),
        ("[less('A', 'a')]", False),
        ("[lessOrEquals(2, 2)]", True),
        ("[lessOrEquals('A', 'a')]", False),
        ("[greater(1, 'a')]", U("compares two integers or two strings")),
        ("[greater(json('1.5'), 1)]", True),
        ("[coalesce(null(), 'x')]", "x"),
        ("[coalesce(null(), null(), 1)]", 1),
        ("[coalesce(null(), null())]", None),
        ("[coalesce('', 'x')]", ""),
        ("[coalesce('first', parameters('unknown'))]", "first"),
        ("[coalesce('first', div(1, 0))]", "first"),
        ("[coalesce(parameters('unknown'), 'x')]", U("has no value")),
        ("[coalesce(parameters('obj').nested, 'x').key]", "v"),
        ("[true()]", True),
        ("[false()]", False),
        ("[null()]", None),
        ("[TRUE()]", True),
        ("[true(1)]", U("takes exactly 0 arguments")),
    ]
)
def test_logic_and_comparison(text: str, expected: Any) -> None:
    check(text, expected)


# --------------------------------------------------------------------------- numbers


@table(
    [
        ("[int('4')]", 4),
        ("[int(' -12 ')]", -12),
        ("[int(7)]", 7),
        ("[int(json('2.5'))]", 2),
        ("[int('4.5')]", U("cannot convert")),
        ("[int('1_000')]", U("cannot convert")),
        ("[int('99999999999999999999')]", U("64-bit")),
        ("[float('1.5')]", 1.5),
        ("[float(2)]", 2.0),
        ("[float('abc')]", U("cannot convert")),
        ("[float('nan')]", U("cannot convert")),
        ("[add(5, 3)]", 8),
        ("[add(-5, 3)]", -2),
        ("[add('5', 3)]", U("add() expects an integer as argument 1")),
        ("[add(true(), 1)]", U("expects an integer")),
        ("[add(9223372036854775807, 1)]", U("64-bit")),
        ("[sub(7, 3)]", 4),
        ("[mul(5, 3)]", 15),
        ("[mul(-5, 3)]", -15),
        ("[div(8, 3)]", 2),
        ("[div(-8, 3)]", -2),
        ("[div(8, -3)]", -2),
        ("[div(-8, -3)]", 2),
        ("[div(1, 0)]", U("division by zero")),
        ("[mod(7, 3)]", 1),
        ("[mod(-7, 3)]", -1),
        ("[mod(7, -3)]", 1),
        ("[mod(1, 0)]", U("division by zero")),
        ("[min(3, 1, 2)]", 1),
        ("[min(createArray(0, 3, 2, 5, 4))]", 0),
        ("[max(3, 1, 2)]", 3),
        ("[max(createArray(0, 3, 2, 5, 4))]", 5),
        ("[max(createArray())]", U("at least one value")),
        ("[max('a', 'b')]", U("expects a number")),
        ("[range(1, 3)]", [1, 2, 3]),
        ("[range(5, 0)]", []),
        ("[range(-2, 3)]", [-2, -1, 0]),
        ("[range(0, 10001)]", U("between 0 and 10000")),
        ("[range(0, -1)]", U("between 0 and 10000")),
        ("[range(2147483647, 1)]", U("must not exceed")),
        ("[length(range(0, 100))]", 100),
    ]
)
def test_numbers(text: str, expected: Any) -> None:
    check(text, expected)


# --------------------------------------------------------------------------- arrays and objects


@table(
    [
        ("[array('a')]", ["a"]),
        ("[array(1)]", [1]),
        ("[array(createArray(1, 2))]", [1, 2]),
        ("[array(createObject('a', 1))]", [{"a": 1}]),
        ("[createArray(1, 'a', true(), null())]", [1, "a", True, None]),
        ("[createArray()]", []),
        ("[createArray(createArray(1), createObject())]", [[1], {}]),
        ("[createObject('a', 1, 'b', createArray(2))]", {"a": 1, "b": [2]}),
        ("[createObject()]", {}),
        ("[createObject('a')]", U("odd number of arguments")),
        ("[createObject(1, 'v')]", U("expects a string as key 1")),
        ("[createObject(parameters('unknown'), 'v')]", U("has no value")),
        ("[union(createObject('a', 1, 'b', 2), createObject('b', 3, 'c', 4))]", {"a": 1, "b": 3, "c": 4}),
        (
            '[union(json(\'{"p":{"one":"a","three":"c1"},"arr":[1,2]}\'), '
            'json(\'{"p":{"three":"c2","four":"d"},"arr":[3,4]}\'))]',
            {"p": {"one": "a", "three": "c2", "four": "d"}, "arr": [3, 4]},
        ),
        ("[union(createObject('Key', 1), createObject('key', 2))]", {"Key": 2}),
        (
            "[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]",
            ["one", "two", "three", "four"],
        ),
        ("[union(createArray(1, 1, 2), createArray(2, 3))]", [1, 2, 3]),
        (
            "[union(createArray(createArray('one', 'two')), createArray(createArray('one', 'two'), 1))]",
            [["one", "two"], 1],
        ),
        ("[union(createObject('a', 1))]", {"a": 1}),
        ("[union(createArray(1), createObject('a', 1))]", U("all arrays or all objects")),
        ("[union(createArray(1), parameters('unknown'))]", U("has no value")),
        (
            "[intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), "
            "createObject('one', 'a', 'two', 'z', 'three', 'c'))]",
            {"one": "a", "three": "c"},
        ),
        ("[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]", ["two", "three"]),
        ("[intersection(createArray(1, 1, 2), createArray(1, 2), createArray(2, 1))]", [1, 2]),
        ("[intersection(createArray(1), 'a')]", U("all arrays or all objects")),
        ('[json(\'{"a": "b"}\')]', {"a": "b"}),
        ('[json(\'{"a": "b"}\').a]', "b"),
        ("[json('[1, 2, 3]')]", [1, 2, 3]),
        ("[json('null')]", None),
        ("[json('true')]", True),
        ("[json('\"test\"')]", "test"),
        ("[json('3')]", 3),
        ("[json('{''a'': ''it\\''s''}')]", {"a": "it's"}),
        ("[json('{a: 1, /* note */ \"b\": [2]}')]", {"a": 1, "b": [2]}),
        ("[json(concat('{\"a\": \"', parameters('name'), '\"}'))]", {"a": "Contoso"}),
        ("[json('{not json')]", U("not valid JSON")),
        ("[json(1)]", U("expects a string")),
        (
            '[items(json(\'{"item002": {"n": 2}, "item001": {"n": 1}}\'))]',
            [{"key": "item001", "value": {"n": 1}}, {"key": "item002", "value": {"n": 2}}],
        ),
        ("[items(createObject())]", []),
        ("[items(createArray())]", U("expects an object")),
        ("[objectKeys(createObject('b', 1, 'a', 2))]", ["b", "a"]),
        ("[tryGet(parameters('obj'), 'name')]", "x"),
        ("[tryGet(parameters('obj'), 'missing')]", None),
        ("[tryGet(parameters('obj'), 'nested', 'arr', 1)]", 2),
        ("[tryGet(parameters('obj'), 'nested', 'arr', 9)]", None),
        ("[tryGet(parameters('obj'), 'missing', 'deeper')]", None),
        ("[tryGet(parameters('arr'), 0)]", "one"),
        ("[tryGet('s', 0)]", U("expects an object or array")),
        ("[contains(createObject('One', 1), 'one')]", True),
        ("[contains(createObject('One', 1), 'two')]", False),
        ("[contains(createArray('one', 'two'), 'two')]", True),
        ("[contains(createArray('one', 'two'), 'TWO')]", False),
        ("[contains(createArray(1, 2), 2)]", True),
        ("[contains(createArray(createArray(1)), createArray(1))]", True),
        ("[contains(parameters('mixed'), 'x')]", True),
        ("[contains(parameters('mixed'), 'y')]", U("parameter 'item' has no value")),
        ("[contains(1, 1)]", U("expects an array, object or string")),
        ("[empty(createArray())]", True),
        ("[empty(createObject())]", True),
        ("[empty(createArray(parameters('unknown')))]", False),
        ("[first(createArray('one', 'two'))]", "one"),
        ("[first(createArray())]", None),
        ("[last(createArray('one', 'two', 'three'))]", "three"),
        ("[first(parameters('mixed'))]", "x"),
        ("[first(1)]", U("expects an array or string")),
        ("[length(createArray('a', 'b', 'c'))]", 3),
        ("[length(createObject('a', 1, 'b', 2))]", 2),
        ("[length(parameters('mixed'))]", 2),
        ("[length(1)]", U("expects an array, object or string")),
        ("[length(null())]", U("expects an array, object or string")),
        ("[skip(createArray('one', 'two', 'three'), 2)]", ["three"]),
        ("[take(createArray('one', 'two', 'three'), 2)]", ["one", "two"]),
        ("[take(parameters('mixed'), 1)]", ["x"]),
        ("[indexOf(createArray('a', 'b', 'a'), 'a')]", 0),
        ("[lastIndexOf(createArray('a', 'b', 'a'), 'a')]", 2),
        ("[indexOf(createArray(1, 2), 3)]", -1),
        ("[indexOf(createArray('A'), 'a')]", -1),
        ("[flatten(createArray(createArray(1, 2), createArray(3)))]", [1, 2, 3]),
        ("[flatten(createArray(1))]", U("expects an array as an array item")),
        ("[shallowMerge(createArray(createObject('a', 1), createObject('b', 2, 'a', 3)))]", {"a": 3, "b": 2}),
        ("[createArray(1, 2, 3)[1]]", 2),
        ("[createArray(1, 2, 3)[3]]", U("index 3 is out of range")),
        ("[createArray(1, 2, 3)[-1]]", U("out of range")),
        ("[createArray(1)['a']]", U("array index must be an integer")),
        ("[createObject('a', 1)[0]]", U("only be indexed by a property name")),
        ("[createObject('a', 1).b]", U("no property 'b' (it has: a)")),
        ("['abc'.length]", U("cannot read property 'length' of string")),
        ("[parameters('nothing').x]", U("cannot read property 'x' of null")),
        ("['abc'[0]]", U("cannot index string")),
        ("[parameters('arr')[parameters('unknown')]]", U("has no value")),
        ("[parameters('unknown').property]", U("has no value")),
        ("[parameters('unknown')[0].x['y']]", U("has no value")),
    ]
)
def test_arrays_and_objects(text: str, expected: Any) -> None:
    check(text, expected)


def test_create_array_and_object_hold_unknown_items() -> None:
    result = evaluate("[createArray('a', parameters('unknown'))]", FakeContext())
    assert isinstance(result, list) and result[0] == "a" and is_unknown(result[1])
    result = evaluate("[createObject('k', parameters('unknown'), 'j', 1)]", FakeContext())
    assert isinstance(result, dict) and is_unknown(result["k"]) and result["j"] == 1
    result = evaluate(
        "[union(createObject('a', parameters('unknown')), createObject('b', 2))]", FakeContext()
    )
    assert isinstance(result, dict) and is_unknown(result["a"]) and result["b"] == 2
    result = evaluate("[union(parameters('mixed'), createArray('x', 'z'))]", FakeContext())
    assert isinstance(result, list) and result[0] == "x" and is_unknown(result[1]) and result[2] == "z"
    result = evaluate("[concat(parameters('mixed'), createArray('z'))]", FakeContext())
    assert isinstance(result, list) and len(result) == 3 and is_unknown(result[1])


def test_results_do_not_alias_context_values_that_functions_change() -> None:
    ctx = FakeContext()
    merged = evaluate("[union(parameters('obj'), createObject('extra', 1))]", ctx)
    assert "extra" in merged and "extra" not in ctx.parameters["obj"]
    evaluate(
        "[sort(parameters('arr'), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]", ctx
    )
    assert ctx.parameters["arr"] == ["one", "two", "three"]


# --------------------------------------------------------------------------- lambdas


@table(
    [
        (
            "[filter(parameters('dogs'), lambda('dog', greaterOrEquals(lambdaVariables('dog').age, 5)))]",
            [{"name": "Evie", "age": 5}, {"name": "Kira", "age": 8}],
        ),
        ("[filter(range(0, 10), lambda('i', equals(0, mod(lambdaVariables('i'), 2))))]", [0, 2, 4, 6, 8]),
        (
            "[filter(createArray('a', 'b', 'c'), lambda('x', 'i', greater(lambdaVariables('i'), 0)))]",
            ["b", "c"],
        ),
        (
            "[map(parameters('dogs'), lambda('dog', lambdaVariables('dog').name))]",
            ["Evie", "Casper", "Indy", "Kira"],
        ),
        (
            "[map(parameters('dogs'), lambda('dog', format('Hello {0}!', lambdaVariables('DOG').name)))[0]]",
            "Hello Evie!",
        ),
        (
            "[map(createArray('a', 'b'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]",
            ["a0", "b1"],
        ),
        (
            "[map(range(0, 2), lambda('i', map(range(0, 2), lambda('j', add(lambdaVariables('i'), lambdaVariables('j'))))))]",
            [[0, 1], [1, 2]],
        ),
        (
            "[reduce(map(parameters('dogs'), lambda('d', lambdaVariables('d').age)), 0, "
            "lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]",
            18,
        ),
        (
            "[reduce(createArray(createObject('foo', 123), createObject('bar', 456)), createObject(), "
            "lambda('cur', 'next', union(lambdaVariables('cur'), lambdaVariables('next'))))]",
            {"foo": 123, "bar": 456},
        ),
        (
            "[map(sort(parameters('dogs'), lambda('a', 'b', less(lambdaVariables('a').age, lambdaVariables('b').age))), "
            "lambda('d', lambdaVariables('d').name))]",
            ["Indy", "Casper", "Evie", "Kira"],
        ),
        ("[toObject(parameters('dogs'), lambda('entry', lambdaVariables('entry').name)).Indy.age]", 2),
        (
            "[toObject(parameters('dogs'), lambda('e', lambdaVariables('e').name), lambda('e', lambdaVariables('e').age))]",
            {"Evie": 5, "Casper": 3, "Indy": 2, "Kira": 8},
        ),
        (
            "[mapValues(createObject('a', 1, 'b', 2), lambda('v', mul(lambdaVariables('v'), 10)))]",
            {"a": 10, "b": 20},
        ),
        (
            "[groupBy(createArray('apple', 'avocado', 'banana'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]",
            {"a": ["apple", "avocado"], "b": ["banana"]},
        ),
        ("[filter(parameters('unknownArr'), lambda('x', true()))]", U("has no value")),
        (
            "[filter(parameters('mixed'), lambda('x', equals(lambdaVariables('x'), 'x')))]",
            U("parameter 'item'"),
        ),
        (
            "[sort(parameters('mixed'), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]",
            U("parameter 'item'"),
        ),
        ("[filter(createArray(1), lambda('x', 'yes'))]", U("expects a bool as the lambda result")),
        ("[filter(createArray(1), 'notALambda')]", U("expects lambda(...) as argument 2")),
        (
            "[filter(createArray(1), lambda('a', 'b', 'c', true()))]",
            U("lambda with 1 to 2 parameter(s), got 3"),
        ),
        ("[lambda('x', lambdaVariables('x'))]", U("can only be used directly as an argument")),
        ("[createArray(lambda('x', 1))]", U("can only be used directly as an argument")),
        ("[lambdaVariables('x')]", U("not a parameter of an enclosing lambda")),
        ("[map(createArray(1), lambda('x', lambdaVariables('y')))]", U("lambdaVariables('y')")),
        ("[filter('abc', lambda('x', true()))]", U("expects an array as argument 1")),
        ("[toObject(createArray(1), lambda('x', lambdaVariables('x')))]", U("expects a string as the key")),
        ("[map(createArray(1, 2), lambda('x', parameters('unknown')))[1]]", U("has no value")),
    ]
)
def test_lambdas(text: str, expected: Any) -> None:
    check(text, expected)


def test_map_keeps_unknown_items() -> None:
    result = evaluate(
        "[map(createArray(1, 2), lambda('x', if(equals(lambdaVariables('x'), 1), 'one', "
        "parameters('unknown'))))]",
        FakeContext(),
    )
    assert isinstance(result, list) and result[0] == "one" and is_unknown(result[1])


# --------------------------------------------------------------------------- Unknown propagation


@table(
    [
        ("[concat('la-', parameters('unknown'))]", U("parameter 'unknown' has no value")),
        ("[toLower(concat('la-', parameters('unknown')))]", U("parameter 'unknown' has no value")),
        (
            "[format('{0}', toUpper(substring(concat(parameters('unknown'), 'x'), 0, 1)))]",
            U("parameter 'unknown' has no value"),
        ),
        (
            "[resourceId('Microsoft.Logic/workflows', concat(parameters('unknown'), '-la'))]",
            U("parameter 'unknown' has no value"),
        ),
        ("[length(parameters('unknown'))]", U("parameter 'unknown' has no value")),
        ("[string(parameters('mixed'))]", U("parameter 'item' has no value")),
        ("[join(parameters('mixed'), ',')]", U("parameter 'item' has no value")),
        ("[variables('severityMap')[parameters('unknown')]]", U("parameter 'unknown' has no value")),
        ("[parameters('mixed')[1]]", U("parameter 'item' has no value")),
        ("[parameters('mixed')[0]]", "x"),
        (
            "[concat(variables('unknownVar'), parameters('unknown'))]",
            U("variable 'unknownVar' uses reference()"),
        ),
        ("[add(copyIndex(), reference('x').count)]", U("reference()")),
        ("[if(equals(parameters('unknown'), 'a'), 'x', 'y')]", U("has no value")),
    ]
)
def test_unknown_propagation(text: str, expected: Any) -> None:
    check(text, expected)


def test_unknown_keeps_reason_and_gets_this_expression() -> None:
    ctx = FakeContext(parameters={"logicAppName": NO_VALUE})
    text = "[resourceId('Microsoft.Logic/workflows', parameters('logicAppName'))]"
    result = evaluate(text, ctx)
    assert type(result) is Unknown
    assert result.reason == "parameter 'logicAppName' has no value"
    assert result.expression == text


# ---------------------------------------------------------------- real expressions from Microsoft templates


def test_real_callback_url_with_resource_id() -> None:
    text = (
        "[listCallbackURL(resourceId(parameters('subscriptionId'), parameters('logicAppResourceGroupName'), "
        "'Microsoft.Logic/workflows/triggers', parameters('logicAppName'), 'manual'), '2019-05-01').value]"
    )
    result = evaluate(text, FakeContext())
    assert isinstance(result, CallbackUrl)
    assert result.target == (
        f"/subscriptions/{SUB}/resourceGroups/rg-automation/providers/Microsoft.Logic/workflows/la-defender"
        "/triggers/manual"
    )
    assert result.api_version == "2019-05-01"


def test_real_callback_url_with_trigger_map() -> None:
    text = (
        "[listCallbackUrl(concat(parameters('logicAppResourceId'), '/triggers/', "
        "variables('triggerMap')[parameters('logicAppTrigger')]),'2016-06-01').value]"
    )
    result = evaluate(text, FakeContext())
    assert isinstance(result, CallbackUrl)
    assert result.target == f"{LA_ID}/triggers/When_an_Azure_Security_Center_Alert_is_created_or_triggered"
    assert result.api_version == "2016-06-01"


def test_real_callback_url_when_the_logic_app_parameter_has_no_value() -> None:
    ctx = FakeContext(parameters={**DEFAULT_PARAMETERS, "logicAppName": NO_VALUE})
    text = (
        "[listCallbackURL(resourceId(parameters('subscriptionId'), parameters('logicAppResourceGroupName'), "
        "'Microsoft.Logic/workflows/triggers', parameters('logicAppName'), 'manual'), '2019-05-01').value]"
    )
    result = evaluate(text, ctx)
    assert isinstance(result, CallbackUrl)
    assert is_unknown(result.target) and result.target.reason == "parameter 'logicAppName' has no value"


def test_real_severity_map_in_copy_loop() -> None:
    text = (
        "[variables('severityMap')[parameters('alertSeverities')[mod(copyIndex('ruleSets'), "
        "variables('alertSeveritiesLengthIfEmpty'))]]]"
    )
    # ruleSets index 3 → mod(3, 2) = 1 → 'Medium' → 'Sev1'
    check(text, "Sev1")
    check(text, "Sev0", FakeContext(loops=[("ruleSets", 0)]))


def test_real_managed_api_id() -> None:
    text = (
        "[concat('/subscriptions/', subscription().subscriptionId, '/providers/Microsoft.Web/locations/', "
        "resourceGroup().location, '/managedApis/ascassement')]"
    )
    check(text, "/subscriptions/sub-1/providers/Microsoft.Web/locations/westeurope/managedApis/ascassement")


def test_real_alert_severity_mapping() -> None:
    text = (
        "[parameters('alertSettings').alertSeverityMapping[range(0, "
        "length(parameters('alertSettings').alertSeverityMapping))[copyIndex('ruleSets')]].jpath]"
    )
    check(text, "properties.info")
    check(text, "properties.other", FakeContext(loops=[("ruleSets", 1)]))
    check(text, U("index 7 is out of range"), FakeContext(loops=[("ruleSets", 7)]))


def test_real_format_with_unique_string() -> None:
    text = "[format('{0}-{1}', toLower(parameters('a')), uniqueString(resourceGroup().id))]"
    result = check(text, "myapp-" + evaluate("[uniqueString(resourceGroup().id)]", FakeContext()))
    assert len(result) == len("myapp-") + 13


# --------------------------------------------------------------------------- robustness

ODD_EXPRESSIONS = [
    "[concat(]",
    "[concat)]",
    "[(]",
    "[)]",
    "[,]",
    "[.]",
    "[[]",
    "[]]",
    "[']",
    "['']]",
    "[''''']",
    "[concat('a'",
    "[concat('a'))]",
    "[parameters('a')..b]",
    "[parameters('a')[[0]]]",
    "[1 2]",
    "[-]",
    "[--1]",
    "[1-]",
    "[a.b.c]",
    "[a.(]",
    "[a.b(1)(2)]",
    "[foo(1)(2)]",
    "[\u00e9t\u00e9()]",
    "[\x00]",
    "[concat('\x00')]",
    "[ \n ]",
    "[parameters(]",
    "[if(]",
    "[if(true(),]",
    "[99999999999999999999999999999999999999]",
    "[add(99999999999999999999, 1)]",
    "[mul(9223372036854775807, 9223372036854775807)]",
    "[int('" + "9" * 5000 + "')]",
    "[json('" + "[" * 5000 + "')]",
    "[json('" + "[" * 50 + "]" * 50 + "')]",
    "[string(json('" + "[" * 800 + "]" * 800 + "'))]",
    "[padLeft('', 1000000, 'x')]",
    "[split('', createArray())]",
    "[replace('a', 'a', createArray())]",
    "[substring('', 0, 0)]",
    "[base64ToString('====')]",
    "[uri('http://[::1', 'x')]",
    "[uriComponentToString('%ZZ')]",
    "[uriComponentToString('%C3%28')]",
    "[format('{999999999999999999999}', 1)]",
    "[format('{0,999999}', 1)]",
    "[range(0, 10000)]",
    "[union()]",
    "[intersection()]",
    "[createObject(createArray(), 1)]",
    "[tryGet(null(), 'a')]",
    "[tryGet(createObject(), 1)]",
    "[copyIndex('a', 'b')]",
    "[sort(range(0, 50), lambda('a', 'b', 'x'))]",
    "[reduce(createArray(1), 0, lambda('a', lambdaVariables('a')))]",
    "[map(createArray(1), lambda(1, 2))]",
    "[map(createArray(1), lambda())]",
    "[groupBy(createArray(1), 1)]",
    "[mapValues(createArray(1), lambda('x', 1))]",
    "[toObject(createArray(1), lambda('x', 'k'), 3)]",
    "[environment().name]",
    "[managementGroupResourceId('Microsoft.X/y', 'n')]",
    "[extensionResourceId(1, 'Microsoft.X/y', 'n')]",
    "[resourceId(null(), 'Microsoft.X/y', 'n')]",
    "[dataUriToString('data:text/plain;base64,%%%')]",
    "[greater(createArray(), createArray())]",
    "[min(createArray(createArray()))]",
    "[first(null())]",
    "[items(null())]",
    "[objectKeys(1)]",
]


@pytest.mark.parametrize("text", ODD_EXPRESSIONS)
def test_odd_expressions_never_raise_anything_but_expression_error(text: str) -> None:
    try:
        result = evaluate(text, FakeContext())
    except ExpressionError as exc:
        assert exc.expression == text
        assert 0 <= exc.position < max(len(text), 1)
        return
    if is_unknown(result):
        assert result.reason and result.expression == text


_FRAGMENTS = [
    "concat(",
    "parameters('a')",
    "variables('severityMap')",
    "'x'",
    "''",
    "1",
    "-3",
    ")",
    "(",
    ",",
    ".",
    "[",
    "]",
    " ",
    "if(",
    "true()",
    "null()",
    "createArray(",
    "createObject(",
    "lambda('x',",
    "lambdaVariables('x')",
    "map(",
    "filter(",
    "copyIndex()",
    "resourceId(",
    "'Microsoft.Logic/workflows'",
    "listCallbackUrl(",
    ".value",
    "format('{0}{1}'",
    "json('{\"a\":1}')",
    "div(",
    "mod(",
    "range(0,",
    "'",
    "name",
    "[0]",
    "length(",
    "union(",
    "sort(",
    "reduce(",
    "\u00e9",
    "\n",
    "#",
    "$",
    "!",
    "{",
    "}",
    '"',
]


def test_random_garbage_never_crashes() -> None:
    rng = random.Random(20240611)
    ctx = FakeContext()
    outcomes = {"error": 0, "value": 0}
    for _ in range(3000):
        body = "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 14)))
        text = f"[{body}]" if rng.random() < 0.9 else body
        try:
            evaluate(text, ctx)
        except ExpressionError:
            outcomes["error"] += 1
        else:
            outcomes["value"] += 1
    for _ in range(500):
        text = "[" + "".join(chr(rng.randint(1, 0x2FF)) for _ in range(rng.randint(0, 30))) + "]"
        with contextlib.suppress(ExpressionError):
            evaluate(text, ctx)
    assert outcomes["error"] and outcomes["value"]


class ExplodingContext(FakeContext):
    """A context with bugs of its own: the evaluator must still answer with an Unknown."""

    def parameter(self, name: str) -> Any:
        if name == "boom":
            raise RuntimeError("template layer bug")
        if name == "broken":
            raise ExpressionError("unexpected ')'", "[concat(')]", 9)
        return super().parameter(name)


@table(
    [
        ("[parameters('boom')]", U("RuntimeError: template layer bug")),
        ("[concat('a', parameters('broken'))]", U("does not parse: unexpected ')'")),
        ("[if(true(), 'ok', parameters('boom'))]", "ok"),
    ]
)
def test_context_failures_become_unknown(text: str, expected: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # As in a user's scan: under pytest (and AUDITOR_DEBUG) the guard re-raises a bug instead.
    monkeypatch.setattr("auditor.sources.core.evaluation.expressions.reraise_bugs", lambda: False)
    check(text, expected, ExplodingContext())


def _nested(function: str, levels: int, inner: str, tail: str = "") -> str:
    return "[" + f"{function}(" * levels + inner + f"{tail})" * levels + "]"


def test_two_hundred_nested_calls_evaluate() -> None:
    check(_nested("concat", 200, "'a'"), "a")
    check(_nested("toLower", 200, "'ABC'"), "abc")
    check("[" + "if(true(), " * 200 + "'deep'" + ", 'other')" * 200 + "]", "deep")
    check("[" + "coalesce(null(), " * 200 + "'c'" + ")" * 200 + "]", "c")
    check(_nested("concat", 200, "parameters('unknown')"), U("parameter 'unknown' has no value"))
    deep_index = "[" + "createArray(" * 150 + "1" + ")" * 150 + "[0]" * 100 + "]"
    result = evaluate(deep_index, FakeContext())
    depth = 0
    while isinstance(result, list):
        result, depth = result[0], depth + 1
    assert result == 1 and depth == 50


def test_too_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    for text in (
        _nested("concat", 5000, "'a'"),
        _nested("concat", MAX_DEPTH + 5, "'a'"),
        "[parameters('obj')" + ".a" * (MAX_DEPTH + 5) + "]",
        "[" + "(" * 10000 + "]",
        "[" + "[" * 3 + "0" + "]" * 3 + "]",
    ):
        with pytest.raises(ExpressionError):
            evaluate(text, FakeContext())


def test_max_depth_nesting_evaluates() -> None:
    check(_nested("concat", MAX_DEPTH - 1, "'a'"), "a")
