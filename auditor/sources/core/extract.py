"""Turn evaluated resources into inventory elements.

Shared by every ARM-shaped input (templates, nested and policy-embedded
templates, exported resources, REST bodies): they differ in how values were
evaluated, not in the shape of a ``Microsoft.Security/automations`` or a
``Microsoft.Logic/workflows`` body. Structural problems of a workflow
definition (a trigger without ``type``, nested ``triggers``) are recorded on
the element for LA105, never raised.

Every value is checked for its JSON type before it reaches a model or a truth
test: whoever wrote the document may have put a number where a name belongs or
a string where an array belongs. Such a value is reported (problem
``invalid-template-shape`` at its file and line, via :meth:`Cursor.report`) and
read as :class:`~auditor.unknown.Unknown`, so checks stay silent on it instead
of crashing or deciding from it. Bodies nested deeper than the walk-depth
limit are cut there (``evaluation-limit``), and every walk below is bounded by
that, so no document can exhaust Python's recursion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from auditor import budget, lazyre
from auditor import model as m
from auditor.sources.core import fastjson
from auditor.sources.core.cursor import Cursor
from auditor.sources.core.jsonpos import PDict, PList
from auditor.sources.core.secrets import (
    Provenance,
    action_connection_string,
    connection_secrets,
    workflow_secrets,
)
from auditor.unknown import ResourceReference, Unknown, is_unknown

_CONNECTION_KEY = lazyre.compile(r"\$connections'\s*\)?\s*\[\s*'([^']+)'\s*\]", re.IGNORECASE)
_CONNECTION_KEY_DQ = lazyre.compile(r'\$connections"\s*\)?\s*\[\s*"([^"]+)"\s*\]', re.IGNORECASE)


def _unknown_or_none(value: Any) -> Unknown | None:
    return value if isinstance(value, Unknown) else None


def _either(first: Any, second: Any) -> Any:
    """``first`` unless it is None (``or`` would ask an Unknown for its truth value, which it has not)."""
    return first if first is not None else second


# ---------------------------------------------------------------- typed reads

_EXPECTED = {dict: "an object", list: "an array", str: "a string", bool: "true or false"}


def json_kind(value: Any) -> str:
    """``value``'s JSON type in words, for messages ("a number", "an array", …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def wrong_type(cur: Cursor, what: str, expected: str) -> Unknown:
    """Report ``cur``'s value as the wrong JSON type for ``what`` and give the Unknown it is read as."""
    kind = json_kind(cur.value)
    cur.report(
        "invalid-template-shape",
        f"{what} is {kind}, but must be {expected}: Azure rejects this, and auditor checks nothing that "
        "depends on it",
    )
    return Unknown(f"{what} is {kind}, not {expected}")


def typed(cur: Cursor | None, what: str, expected: type) -> Cursor | None:
    """``cur`` when its value is of the ``expected`` JSON type or Unknown; None when absent (or null).

    A value of another type is reported and comes back as a cursor on an Unknown at the same place,
    so callers treat it exactly like a value only known at deployment.
    """
    if cur is None or cur.value is None:
        return None
    value = cur.value
    if isinstance(value, (Unknown, expected)):
        return cur
    return Cursor(wrong_type(cur, what, _EXPECTED[expected]), cur.path, cur.offset, cur.ctx)


def text(cur: Cursor | None, key: str, what: str | None = None) -> Any:
    """The string (or Unknown) at ``cur[key]``; None when absent; another type is reported → Unknown."""
    if cur is None:
        return None
    if is_unknown(cur.value):
        return cur.value  # the object holding it is unknown, so is the value
    found = typed(cur.get(key), what or f"'{key}'", str)
    return None if found is None else found.value


def checked_text(value: Any, at: Cursor | None, what: str) -> Any:
    """``value`` (a name, id or apiVersion handed in by the caller) when it is text or Unknown.

    Another type is reported at ``at`` (the key it was read from) and read as Unknown.
    """
    if value is None or isinstance(value, str | Unknown):
        return value
    if at is None:
        return Unknown(f"{what} is {json_kind(value)}, not a string")
    return wrong_type(Cursor(value, at.path, at.offset, at.ctx), what, "a string")


def _name(name: Any, cur: Cursor) -> Any:
    """A resource name handed in by the caller; never None (the model requires one)."""
    checked = checked_text(name, cur.get("name") or cur, "the resource's 'name'")
    return Unknown("the resource has no name") if checked is None else checked


def _id(res_id: Any, cur: Cursor) -> Any:
    return checked_text(res_id, cur.get("id") or cur, "the resource's 'id'")


# ---------------------------------------------------------------- depth


def walk_depth_limit() -> int:
    """How deep a resource body and the walks over it may go (:attr:`auditor.budget.Limits.max_walk_depth`)."""
    return budget.current().limits.max_walk_depth


def bound_depth(cur: Cursor) -> Cursor:
    """``cur`` with every object or array nested deeper than the walk-depth limit made Unknown.

    Checks and helpers may walk an element's values (``repr``, comparisons, ``contains_unknown``);
    bounding the body once here keeps all of them far from Python's recursion limit. The cut is
    reported once per body (``evaluation-limit`` at the first place cut). Within the limit the
    body is returned as it is, without a copy.
    """
    limit = walk_depth_limit()
    if not _deeper_than(cur.value, limit, len(cur.ctx.src.text)):
        return cur
    exceeded = budget.BudgetExceeded("walk depth", f"a resource body is nested more than {limit} levels deep")
    unknown = Unknown(exceeded.reason)
    copy, first, cuts = _cut(cur.value, limit, unknown)
    at = cur
    for key in first:
        step = at.child(key)
        if step is None:
            break
        at = step
    where = _short(at.path)
    more = f" (and {cuts - 1:,} more places)" if cuts > 1 else ""
    at.report(
        "evaluation-limit",
        f"{where} is nested more than {limit} levels deep inside its resource{more}: auditor's walk depth "
        "limit was exceeded, and what is below is not checked",
    )
    return Cursor(copy, cur.path, cur.offset, cur.ctx)


def _short(path: str, keep: int = 60) -> str:
    return path if len(path) <= 2 * keep + 1 else f"{path[:keep]}…{path[-keep:]}"


def _deeper_than(value: Any, limit: int, file_chars: int = 0) -> bool:
    """Whether a container in ``value`` sits more than ``limit`` levels below it. With the default
    limit (256) orjson answers for nearly every body of a large file: writing it succeeds only when
    nothing is nested more than 254 deep (see :mod:`auditor.sources.core.fastjson`)."""
    if (
        limit >= fastjson.MAX_DEPTH
        and isinstance(value, dict | list)
        and fastjson.worth_it(file_chars)
        and fastjson.dumped(value) is not None
    ):
        return False
    return _walked_deeper_than(value, limit)


def _walked_deeper_than(value: Any, limit: int) -> bool:
    """:func:`_deeper_than` by walking every container (iteratively: any depth)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _shell(node: Any) -> Any:
    """An empty container of ``node``'s kind that keeps its positions."""
    if isinstance(node, PDict):
        out: Any = PDict()
        out.start, out.key_pos, out.src = node.start, node.key_pos, node.src
        return out
    if isinstance(node, PList):
        out = PList()
        out.start, out.item_pos, out.src = node.start, node.item_pos, node.src
        return out
    return {} if isinstance(node, dict) else []


def _cut(value: Any, limit: int, unknown: Unknown) -> tuple[Any, list[str | int], int]:
    """A copy of ``value`` with containers below ``limit`` replaced by ``unknown``.

    Returns the copy, the key path of the first place cut and how many places were cut. Iterative:
    the input is the over-deep document itself.
    """
    root = _shell(value)
    # (original, its copy, depth, trail) where trail is a linked (parent trail, key) pair
    stack: list[tuple[Any, Any, int, Any]] = [(value, root, 0, None)]
    first: Any = None
    cuts = 0
    while stack:
        node, copy, depth, trail = stack.pop()
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in pairs:
            new = child
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    cuts += 1
                    if first is None:
                        first = (trail, key)
                    new = unknown
                else:
                    new = _shell(child)
                    stack.append((child, new, depth + 1, (trail, key)))
            if isinstance(copy, dict):
                copy[key] = new
            else:
                copy.append(new)
    keys: list[str | int] = []
    while first is not None:
        first, key = first
        keys.append(key)
    keys.reverse()
    return root, keys, cuts


# ---------------------------------------------------------------- automations


def automation(
    res_id: Any,
    name: Any,
    api_version: Any,
    cur: Cursor,
    from_policy: str | None = None,
    from_assignment: m.Origin | None = None,
    prov: Provenance | None = None,
) -> m.Automation:
    """A Microsoft.Security/automations body → Automation (``prov``: the resource as written, for a template)."""
    cur = bound_depth(cur)
    props = typed(cur.get("properties"), "the automation's 'properties'", dict)
    props_unknown = _unknown_or_none(props.value) if props is not None else None
    scopes: list[m.AutomationScope] = []
    sources: list[m.AutomationSource] = []
    actions: list[m.AutomationAction] = []
    scopes_cur = typed(props.get("scopes"), "'scopes'", list) if props else None
    sources_cur = typed(props.get("sources"), "'sources'", list) if props else None
    actions_cur = typed(props.get("actions"), "'actions'", list) if props else None
    if scopes_cur is not None:
        for sc in _objects(scopes_cur, "a scope"):
            scopes.append(m.AutomationScope(scope_path=text(sc, "scopePath"), origin=sc.origin()))
    if sources_cur is not None:
        for src in _objects(sources_cur, "a source"):
            sources.append(_automation_source(src))
    if actions_cur is not None:
        for index, act in enumerate(_objects(actions_cur, "an action")):
            uri_cur = act.get("uri")
            target = text(act, "eventHubResourceId")
            actions.append(
                m.AutomationAction(
                    action_type=text(act, "actionType"),
                    logic_app_id=text(act, "logicAppResourceId"),
                    uri=text(act, "uri"),
                    target_id=text(act, "workspaceResourceId") if target is None else target,
                    origin=act.origin(),
                    uri_origin=uri_cur.origin() if uri_cur else None,
                    connection_string=action_connection_string(act, index, prov)
                    if isinstance(act.value, dict)
                    else None,
                )
            )
    enabled = props.get("isEnabled") if props is not None else None
    if enabled is not None and not isinstance(enabled.value, str):  # "true"/"false" as text is left to AUT208
        enabled = typed(enabled, "'isEnabled'", bool)
    return m.Automation(
        id=_id(res_id, cur),
        name=_name(name, cur),
        api_version=checked_text(api_version, cur.get("apiVersion"), "the resource's 'apiVersion'"),
        is_enabled=_either(props_unknown, enabled.value if enabled is not None else None),
        scopes=scopes,
        scopes_unknown=_either(props_unknown, _unknown_or_none(scopes_cur.value if scopes_cur else None)),
        sources=sources,
        sources_unknown=_either(props_unknown, _unknown_or_none(sources_cur.value if sources_cur else None)),
        actions=actions,
        actions_unknown=_either(props_unknown, _unknown_or_none(actions_cur.value if actions_cur else None)),
        origin=cur.origin(),
        from_policy=from_policy,
        from_assignment=from_assignment,
    )


def _objects(array: Cursor, what: str) -> Iterator[Cursor]:
    """The elements of an array that must hold objects (an Unknown one comes through as it is)."""
    for element in array.elements():
        if element.value is None:  # null inside an array is no absent value: Azure rejects it too
            yield Cursor(wrong_type(element, what, "an object"), element.path, element.offset, element.ctx)
            continue
        checked = typed(element, what, dict)
        if checked is not None:
            yield checked


def _automation_source(src: Cursor) -> m.AutomationSource:
    if is_unknown(src.value):
        return m.AutomationSource(event_source=src.value, rule_sets_unknown=src.value, origin=src.origin())
    rule_sets: list[m.RuleSet] = []
    rs_cur = typed(src.get("ruleSets"), "'ruleSets'", list)
    if rs_cur is not None:
        for rs in _objects(rs_cur, "a rule set"):
            rules_cur = typed(rs.get("rules"), "'rules'", list)
            rules: list[m.AutomationRule] = []
            unresolved = _either(
                _unknown_or_none(rs.value),
                _unknown_or_none(rules_cur.value) if rules_cur is not None else None,
            )
            if rules_cur is not None:
                for rule in _objects(rules_cur, "a rule"):
                    if is_unknown(rule.value):
                        unresolved = _either(
                            unresolved, rule.value
                        )  # one rule unknown: the AND of the set is too
                        continue
                    rules.append(
                        m.AutomationRule(
                            jpath=text(rule, "propertyJPath"),
                            property_type=text(rule, "propertyType"),
                            expected_value=rule.value_at("expectedValue"),
                            operator=text(rule, "operator"),
                            origin=rule.origin(),
                        )
                    )
            rule_sets.append(m.RuleSet(rules=rules, origin=rs.origin(), unresolved=unresolved))
    return m.AutomationSource(
        event_source=text(src, "eventSource"),
        rule_sets=rule_sets,
        rule_sets_unknown=_unknown_or_none(rs_cur.value if rs_cur else None),
        origin=src.origin(),
    )


# ---------------------------------------------------------------- logic apps


def connection_ref(inputs: Cursor | None) -> m.ConnectionRef | None:
    """Parse ``inputs.host.connection`` into the ``$connections`` key it names.

    When ``inputs``, ``host`` or ``connection`` is only known at deployment, the reference is
    there but unknown: ``key`` None and ``raw`` that Unknown.
    """
    conn = inputs
    for key in ("host", "connection"):
        if conn is None or not isinstance(conn.value, dict | Unknown):
            return None  # inputs that are not an object: the trigger's or action's own problem
        if is_unknown(conn.value):
            return m.ConnectionRef(key=None, raw=conn.value)
        conn = typed(conn.get(key), f"'{key}'", dict)
    if conn is None:
        return None
    if is_unknown(conn.value):
        return m.ConnectionRef(key=None, raw=conn.value)
    raw = text(conn, "name")
    if raw is None:
        raw = text(conn, "referenceName")
        if isinstance(raw, str):
            return m.ConnectionRef(key=raw, raw=raw)
    if isinstance(raw, str):
        match = _CONNECTION_KEY.search(raw) or _CONNECTION_KEY_DQ.search(raw)
        return m.ConnectionRef(key=match.group(1) if match else None, raw=raw)
    return m.ConnectionRef(key=None, raw=raw)


def _trigger(name: str, cur: Cursor) -> m.Trigger:
    problems: list[str] = []
    value = cur.value
    if is_unknown(value):
        return m.Trigger(name=name, type=value, origin=cur.origin())
    if not isinstance(value, dict):
        problems.append("the trigger is not an object")
        return m.Trigger(name=name, problems=tuple(problems), origin=cur.origin())
    type_ = value.get("type")
    if type_ is None:
        problems.append("the trigger has no 'type'")
    elif not isinstance(type_, str) and not is_unknown(type_):
        problems.append("the trigger's 'type' is not a string")
    if "triggers" in value:
        problems.append(
            "the trigger contains a nested 'triggers' object (a definition pasted inside a trigger)"
        )
    inputs = cur.get("inputs")
    conn = connection_ref(inputs)
    inputs_unknown = inputs is not None and is_unknown(inputs.value)
    if (
        isinstance(type_, str)
        and type_.lower() in ("apiconnectionwebhook", "apiconnection")
        and not inputs_unknown
    ):
        if inputs is None or not isinstance(inputs.value, dict):
            problems.append(f"an {type_} trigger needs 'inputs'")
        elif conn is None:
            problems.append(f"an {type_} trigger needs 'inputs.host.connection'")
        elif inputs.value.get("path") is None:
            problems.append(f"an {type_} trigger needs 'inputs.path'")
    return m.Trigger(
        name=name,
        type=type_ if isinstance(type_, str | Unknown) else None,  # another type: a problem above
        kind=text(cur, "kind", "the trigger's 'kind'"),
        connection=conn,
        path=_inputs_text(inputs, "path"),
        method=_inputs_text(inputs, "method"),
        problems=tuple(problems),
        origin=cur.origin(),
    )


def _inputs_text(inputs: Cursor | None, key: str) -> Any:
    """``inputs.<key>`` as text (the Unknown itself when ``inputs`` is unknown; None when not an object)."""
    if inputs is None or not isinstance(inputs.value, dict | Unknown):
        return None
    return text(inputs, key)


_NESTED_ACTION_CONTAINERS = (("actions",), ("else", "actions"), ("default", "actions"))


def _walk_actions(actions: Cursor | None, out: list[m.WorkflowAction]) -> None:
    """Every action that uses a connection, through nested ``Scope``/``If``/``Switch``/``Foreach``/``Until``.

    Iterative (a stack of the containers being read), in document order, and at most
    :func:`walk_depth_limit` containers deep; deeper ones are reported, not walked.
    """
    if actions is None:
        return
    limit = walk_depth_limit()
    stack: list[Iterator[tuple[str, Cursor]]] = [actions.items()]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        name, act = step
        if not isinstance(act.value, dict):
            if not is_unknown(act.value):
                wrong_type(act, f"action '{_short(name, 30)}'", "an object")
            continue
        inputs = act.get("inputs")
        conn = connection_ref(inputs)
        if conn is not None:
            out.append(
                m.WorkflowAction(
                    name=name,
                    type=text(act, "type", "the action's 'type'"),
                    connection=conn,
                    path=_inputs_text(inputs, "path"),
                    origin=act.origin(),
                )
            )
        nested = [c for keys in _NESTED_ACTION_CONTAINERS if (c := _container(act.at(*keys))) is not None]
        cases = _container(act.get("cases"))
        if cases is not None:
            for _case_name, case in cases.items():
                if (c := _container(case.get("actions"))) is not None:
                    nested.append(c)
        if not nested:
            continue
        if len(stack) >= limit:
            act.report(
                "evaluation-limit",
                f"action '{_short(name, 30)}' is nested more than {limit} levels deep: auditor's walk depth "
                "limit was exceeded, and the actions inside it are not checked",
            )
            continue
        stack.append(chain.from_iterable(c.items() for c in nested))


def _container(cur: Cursor | None) -> Cursor | None:
    """An ``actions`` / ``cases`` object of the workflow definition (another JSON type is reported)."""
    return typed(cur, f"'{cur.path.rsplit('.', 1)[-1]}'", dict) if cur is not None else None


def logic_app(
    res_id: Any, name: Any, cur: Cursor, props: Cursor | None = None, prov: Provenance | None = None
) -> m.LogicApp:
    """A Microsoft.Logic/workflows body (or a code-view export, where ``props`` is the body itself;
    ``prov``: the resource as written, for a template resource)."""
    code_view = props is cur
    cur = bound_depth(cur)
    if code_view:
        props = cur
    elif props is None:
        props = typed(cur.get("properties"), "the Logic App's 'properties'", dict)
    else:
        props = bound_depth(props)
    props_unknown = _unknown_or_none(props.value) if props is not None else None
    definition = props.get("definition") if props else None
    triggers: list[m.Trigger] = []
    actions: list[m.WorkflowAction] = []
    problems: list[str] = []
    triggers_unknown: Unknown | None = props_unknown
    if definition is not None and isinstance(definition.value, dict):
        trig = definition.get("triggers")
        if trig is not None:
            if isinstance(trig.value, dict):
                for tname, tcur in trig.items():
                    triggers.append(_trigger(tname, tcur))
            elif is_unknown(trig.value):
                triggers_unknown = trig.value
            else:
                problems.append("'triggers' is not an object")
        _walk_actions(_container(definition.get("actions")), actions)
    elif definition is not None and is_unknown(definition.value):
        triggers_unknown = definition.value
    elif definition is not None:
        triggers_unknown = wrong_type(definition, "'definition'", "an object")
    bindings, bindings_unknown = _bindings(props)
    def_params: list[m.DefinitionParameter] = []
    if definition is not None:
        params = definition.get("parameters")
        if params is not None:
            for pname, pcur in params.items():
                if not isinstance(pcur.value, dict | Unknown):
                    wrong_type(pcur, f"workflow parameter '{_short(pname, 30)}'", "an object")
                if isinstance(pcur.value, dict):
                    def_params.append(
                        m.DefinitionParameter(
                            name=pname,
                            type=text(pcur, "type"),
                            default=pcur.value.get("defaultValue"),
                            has_default="defaultValue" in pcur.value,
                            origin=pcur.origin(),
                        )
                    )
    return m.LogicApp(
        id=_id(res_id, cur),
        name=_name(name, cur),
        state=_either(props_unknown, text(props, "state")),
        triggers=triggers,
        triggers_unknown=triggers_unknown,
        actions=actions,
        bindings=bindings,
        bindings_unknown=_either(props_unknown, bindings_unknown),
        definition_parameters=def_params,
        secret_inputs=workflow_secrets(
            props, None if code_view else ("properties",), None if code_view else prov, walk_depth_limit()
        ),
        identity=identity(cur.get("identity")),
        definition_problems=tuple(problems),
        origin=cur.origin(),
    )


def _bindings(props: Cursor | None) -> tuple[list[m.ConnectionBinding], Unknown | None]:
    """``properties.parameters.$connections.value``: an Unknown (or wrong-typed) step makes them unknown."""
    value_cur = props
    for key in ("parameters", "$connections"):
        if value_cur is None:
            return [], None
        if is_unknown(value_cur.value):
            return [], value_cur.value
        value_cur = typed(value_cur.get(key), f"'{key}'", dict)
    if value_cur is None:
        return [], None
    if is_unknown(value_cur.value):
        return [], value_cur.value
    value = value_cur.get("value")
    return ([], None) if value is None else connection_bindings(value)


def connection_bindings(value_cur: Cursor) -> tuple[list[m.ConnectionBinding], Unknown | None]:
    """The entries of a ``$connections`` value object (shared by the ARM and Terraform sources)."""
    checked = typed(value_cur, "the '$connections' value", dict)
    if checked is None:
        return [], None
    if is_unknown(checked.value):
        return [], checked.value
    out: list[m.ConnectionBinding] = []
    for key, b in checked.items():
        b = typed(b, f"the '$connections' binding '{_short(key, 30)}'", dict) or b
        if is_unknown(b.value):
            return [], b.value  # one binding unknown: which connection a key names is not known
        out.append(
            m.ConnectionBinding(
                key=key,
                connection_id=text(b, "connectionId"),
                connection_name=text(b, "connectionName"),
                api_id=text(b, "id"),
                origin=b.origin(),
            )
        )
    return out, None


def identity(cur: Cursor | None) -> m.Identity | None:
    """A managed identity block (an unknown block is an identity of unknown type, not a missing one)."""
    cur = typed(cur, "'identity'", dict)
    if cur is not None and is_unknown(cur.value):
        return m.Identity(type=cur.value, origin=cur.origin())
    if cur is None:
        return None
    user = cur.value.get("userAssignedIdentities")
    return m.Identity(
        type=text(cur, "type"),
        user_assigned=tuple(k for k in user if isinstance(k, str)) if isinstance(user, dict) else (),
        principal_id=text(cur, "principalId"),
        origin=cur.origin(),
    )


# ---------------------------------------------------------------- connections


def managed_api_name(api_id: Any) -> Any:
    """Last segment of a ``…/managedApis/<name>`` id (Unknown stays Unknown, other ids → None)."""
    if is_unknown(api_id):
        return api_id
    if not isinstance(api_id, str):
        return None
    lowered = api_id.lower()
    marker = "/managedapis/"
    idx = lowered.rfind(marker)
    if idx < 0:
        return None
    return api_id[idx + len(marker) :].strip("/") or None


def connection(res_id: Any, name: Any, cur: Cursor, prov: Provenance | None = None) -> m.Connection:
    """A Microsoft.Web/connections body → Connection (``prov``: the resource as written, for a template)."""
    cur = bound_depth(cur)
    props = typed(cur.get("properties"), "the connection's 'properties'", dict)
    props_unknown = _unknown_or_none(props.value) if props is not None else None
    api_block = (
        typed(props.get("api"), "'api'", dict) if props is not None and props_unknown is None else None
    )
    api = api_block.get("id") if api_block is not None and not is_unknown(api_block.value) else api_block
    api_value = _either(props_unknown, text(api_block, "id"))
    names: list[str] = []
    has_credentials = False
    credentials_unknown: Unknown | None = props_unknown
    if props is not None and props_unknown is None:
        for key in ("parameterValues", "parameterValueSet", "nonSecretParameterValues"):
            block = typed(props.get(key), f"'{key}'", dict)
            if block is None:
                continue
            if is_unknown(block.value):
                credentials_unknown = _either(credentials_unknown, block.value)
            elif block.value:
                names.extend(str(k) for k in block.value)
                has_credentials = True
        value_type = text(props, "parameterValueType")
        if is_unknown(value_type):
            credentials_unknown = _either(credentials_unknown, value_type)
        elif isinstance(value_type, str) and value_type.lower() == "alternative":
            has_credentials = True  # managed identity authentication
    statuses, statuses_unknown = _statuses(props)
    return m.Connection(
        id=_id(res_id, cur),
        name=_name(name, cur),
        api_id=api_value,
        managed_api=managed_api_name(api_value),
        api_origin=api.origin() if api else None,
        parameter_names=tuple(names),
        has_credentials=has_credentials,
        credentials_unknown=None if has_credentials else credentials_unknown,
        secret_inputs=connection_secrets(props if props_unknown is None else None, prov),
        statuses=tuple(statuses),
        statuses_unknown=_either(props_unknown, statuses_unknown),
        origin=cur.origin(),
    )


def _statuses(props: Cursor | None) -> tuple[list[str], Unknown | None]:
    """``properties.statuses[].status`` (live bodies), or the Unknown that hides one of them."""
    listed = typed(props.get("statuses"), "'statuses'", list) if props is not None else None
    if listed is None:
        return [], None
    if is_unknown(listed.value):
        return [], listed.value
    out: list[str] = []
    for entry in _objects(listed, "a status"):
        status = text(entry, "status")
        if is_unknown(status):
            return [], status
        if isinstance(status, str) and status:
            out.append(status)
    return out, None


# ---------------------------------------------------------------- access


def effective_scope(raw: Any, deployment_scope: Any) -> Any:
    """The scope an extension resource (role or policy assignment) applies to.

    No ``scope`` property: the deployment's scope. A full id stays as it is; a relative
    ``Namespace/type/name`` (what Bicep writes for ``scope: someResource``) is a resource
    in the deployment's resource group (or subscription).
    """
    if raw is None:
        return deployment_scope
    if isinstance(raw, str) and not raw.startswith("/") and "/" in raw and isinstance(deployment_scope, str):
        return f"{deployment_scope.rstrip('/')}/providers/{raw.strip('/')}"
    return raw


def identity_owner(principal: Any, deployment_scope: Any = None) -> str | None:
    """The resource whose managed identity ``principal`` is, when a template says so.

    ``[reference(<id>, <api>, 'full').identity.principalId]`` is the system-assigned
    identity of ``<id>``; ``[reference(<user-assigned identity id>).principalId]`` that
    identity itself. The result is a full id when the reference names one (or a relative
    ``type/name``, resolved like a scope), else the name it gives (a resource or symbolic name).
    """
    if not isinstance(principal, ResourceReference) or not isinstance(principal.target, str):
        return None
    if not (principal.reads("identity", "principalId") or principal.path == ("principalId",)):
        return None
    target = principal.target.strip()
    if not target:
        return None
    resolved = effective_scope(target, deployment_scope)
    return resolved if isinstance(resolved, str) else target


def role_assignment(res_id: Any, cur: Cursor, deployment_scope: Any = None) -> m.RoleAssignment:
    """A Microsoft.Authorization/roleAssignments body (template resource or REST/export body)."""
    cur = bound_depth(cur)
    props = typed(cur.get("properties"), "the role assignment's 'properties'", dict)
    principal = text(props, "principalId")
    raw_scope = text(cur, "scope")
    if raw_scope is None and props is not None:
        raw_scope = text(props, "scope")  # REST bodies carry the effective scope in properties
    return m.RoleAssignment(
        id=_id(res_id, cur),
        scope=effective_scope(raw_scope, deployment_scope),
        role_definition_id=text(props, "roleDefinitionId"),
        principal_id=principal,
        principal_type=text(props, "principalType"),
        principal_of=identity_owner(principal, deployment_scope),
        origin=cur.origin(),
    )


def role_definition(res_id: Any, cur: Cursor) -> m.RoleDefinition:
    """A Microsoft.Authorization/roleDefinitions body or an ``az role definition`` file."""
    cur = bound_depth(cur)
    props = typed(cur.get("properties"), "the role definition's 'properties'", dict) or cur
    role_name = text(props, "roleName")
    return m.RoleDefinition(
        id=_id(res_id, cur),
        role_name=role_name if role_name is not None else text(props, "Name"),
        permissions=role_permissions(props),
        assignable_scopes=_array(props, "assignableScopes"),
        origin=cur.origin(),
    )


_PERMISSION_LISTS = (
    ("actions", "actions"),
    ("notActions", "not_actions"),
    ("dataActions", "data_actions"),
    ("notDataActions", "not_data_actions"),
)


def role_permissions(props: Cursor) -> tuple[m.RolePermission, ...] | Unknown | None:
    """A role definition's permission blocks (``permissions``, or an ``az`` file's flat ``Actions``).

    A value of the wrong JSON type is reported where it is (SRC006) and makes the whole set unknown:
    a role read with one block missing would grant less than Azure's and look safer than it is.
    """
    if is_unknown(props.value):
        return props.value
    blocks = props.get("permissions")
    if blocks is None:
        flat = props.get("Actions")  # az role definition file: "Actions": [...]
        if flat is None:
            return None
        actions = _pattern_list(flat, "the role's 'Actions'")
        return actions if isinstance(actions, Unknown) else (m.RolePermission(actions=actions),)
    checked = typed(blocks, "the role's 'permissions'", list)
    if checked is None or is_unknown(checked.value):
        return checked.value if checked is not None else None
    out: list[m.RolePermission] = []
    for i, block in enumerate(checked.elements()):
        what = f"permissions[{i}]"
        if isinstance(block.value, str):  # a flat list of actions, as some exports write it
            return _flat_permissions(checked)
        if is_unknown(block.value):
            return block.value
        if not isinstance(block.value, dict):
            return wrong_type(block, f"the role's {what}", "an object")
        fields: dict[str, Any] = {}
        for key, attr in _PERMISSION_LISTS:
            found = block.get(key)
            if found is None:
                continue
            patterns = _pattern_list(found, f"the role's {what}.{key}")
            if isinstance(patterns, Unknown):
                return patterns
            fields[attr] = patterns
        for key, attr in (("condition", "condition"), ("conditionVersion", "condition_version")):
            value = text(block, key, f"the role's {what}.{key}")
            if isinstance(value, Unknown):
                return value
            fields[attr] = value or None
        out.append(m.RolePermission(**fields))
    return tuple(out)


def _flat_permissions(blocks: Cursor) -> tuple[m.RolePermission, ...] | Unknown:
    actions = _pattern_list(blocks, "the role's 'permissions'")
    return actions if isinstance(actions, Unknown) else (m.RolePermission(actions=actions),)


def _pattern_list(cur: Cursor, what: str) -> tuple[str, ...] | Unknown:
    """An array of action patterns; an Unknown item or a non-string one (reported) makes it unknown."""
    checked = typed(cur, what, list)
    if checked is None:
        return ()
    if is_unknown(checked.value):
        return checked.value
    out: list[str] = []
    for item in checked.elements():
        if is_unknown(item.value):
            return item.value
        if not isinstance(item.value, str):
            return wrong_type(item, f"an item of {what}", "a string")
        out.append(item.value)
    return tuple(out)


def _array(cur: Cursor, key: str) -> Any:
    """The array (or Unknown) at ``cur[key]``; another JSON type is reported and read as Unknown."""
    if is_unknown(cur.value):
        return cur.value
    found = typed(cur.get(key), f"'{key}'", list)
    return None if found is None else found.value


def policy_assignment(
    name: Any, cur: Cursor, res_id: Any = None, deployment_scope: Any = None
) -> m.PolicyAssignment:
    """A Microsoft.Authorization/policyAssignments body (``deployment_scope`` only for template resources)."""
    cur = bound_depth(cur)
    props = typed(cur.get("properties"), "the policy assignment's 'properties'", dict) or cur
    raw_scope = text(cur, "scope")  # a template's extension scope, or the flat `az` export's
    if raw_scope is None:
        raw_scope = text(props, "scope")  # REST bodies carry it in properties
    raw = (
        typed(props.get("parameters"), "the assignment's 'parameters'", dict)
        if not is_unknown(props.value)
        else None
    )
    params, origins = assignment_parameters(raw)
    exported_id = text(cur, "id")
    return m.PolicyAssignment(
        name=_name(name, cur),
        id=exported_id if isinstance(exported_id, str) else _id(res_id, cur),
        scope=effective_scope(raw_scope, deployment_scope),
        from_template=deployment_scope is not None,
        policy_definition_id=text(props, "policyDefinitionId"),
        parameters=params,
        parameter_origins=origins,
        identity=identity(cur.get("identity")),
        origin=cur.origin(),
    )


def assignment_parameters(raw: Cursor | None) -> tuple[dict[str, Any], dict[str, m.Origin]]:
    """An assignment's ``parameters`` object: name → value (``{"value": x}`` → x), and lower-case name →
    where the value is written (the ``value``, else the entry), so a finding the value causes points there."""
    params: dict[str, Any] = {}
    origins: dict[str, m.Origin] = {}
    if raw is None or not isinstance(raw.value, dict):
        return params, origins
    for key, spec in raw.items():
        value = spec.get("value") if isinstance(spec.value, dict) and "value" in spec.value else None
        params[key] = value.value if value is not None else spec.value
        origins[key.lower()] = (value or spec).origin()
    return params, origins


# ---------------------------------------------------------------- Defender for Cloud


def assessment_metadata(name: Any, cur: Cursor) -> m.AssessmentMetadata | None:
    """A Microsoft.Security/assessmentMetadata body (live or exported); None without a usable key."""
    if not isinstance(name, str) or not name.strip():
        return None
    cur = bound_depth(cur)
    props = typed(cur.get("properties"), "the assessment metadata's 'properties'", dict)
    display = props.value_at("displayName") if props else None
    planned = props.value_at("plannedDeprecationDate") if props else None
    preview = props.value_at("preview") if props else None
    return m.AssessmentMetadata(
        key=name.strip().lower(),
        display_name=display if isinstance(display, str) else "",
        planned_deprecation_date=planned if isinstance(planned, str) and planned.strip() else None,
        preview=preview is True,
        origin=cur.origin(),
    )
