"""Turn evaluated resources into inventory elements.

Shared by every ARM-shaped input (templates, nested and policy-embedded
templates, exported resources, REST bodies): they differ in how values were
evaluated, not in the shape of a ``Microsoft.Security/automations`` or a
``Microsoft.Logic/workflows`` body. Structural problems of a workflow
definition (a trigger without ``type``, nested ``triggers``) are recorded on
the element for LA105, never raised.
"""

from __future__ import annotations

import re
from typing import Any

from auditor import model as m
from auditor.sources.arm.cursor import Cursor
from auditor.unknown import ResourceReference, Unknown, is_unknown

_CONNECTION_KEY = re.compile(r"\$connections'\s*\)?\s*\[\s*'([^']+)'\s*\]", re.IGNORECASE)
_CONNECTION_KEY_DQ = re.compile(r'\$connections"\s*\)?\s*\[\s*"([^"]+)"\s*\]', re.IGNORECASE)


def _unknown_or_none(value: Any) -> Unknown | None:
    return value if isinstance(value, Unknown) else None


# ---------------------------------------------------------------- automations


def automation(
    res_id: Any, name: Any, api_version: Any, cur: Cursor, from_policy: str | None = None
) -> m.Automation:
    """A Microsoft.Security/automations body → Automation."""
    props = cur.get("properties")
    scopes: list[m.AutomationScope] = []
    sources: list[m.AutomationSource] = []
    actions: list[m.AutomationAction] = []
    scopes_cur = props.get("scopes") if props else None
    sources_cur = props.get("sources") if props else None
    actions_cur = props.get("actions") if props else None
    if scopes_cur is not None:
        for sc in scopes_cur.elements():
            scopes.append(m.AutomationScope(scope_path=sc.value_at("scopePath"), origin=sc.origin()))
    if sources_cur is not None:
        for src in sources_cur.elements():
            sources.append(_automation_source(src))
    if actions_cur is not None:
        for act in actions_cur.elements():
            uri_cur = act.get("uri")
            actions.append(
                m.AutomationAction(
                    action_type=act.value_at("actionType"),
                    logic_app_id=act.value_at("logicAppResourceId"),
                    uri=uri_cur.value if uri_cur else None,
                    target_id=act.value_at("eventHubResourceId", default=act.value_at("workspaceResourceId")),
                    origin=act.origin(),
                    uri_origin=uri_cur.origin() if uri_cur else None,
                )
            )
    return m.Automation(
        id=res_id,
        name=name,
        api_version=api_version,
        is_enabled=props.value_at("isEnabled") if props else None,
        scopes=scopes,
        scopes_unknown=_unknown_or_none(scopes_cur.value if scopes_cur else None),
        sources=sources,
        sources_unknown=_unknown_or_none(sources_cur.value if sources_cur else None),
        actions=actions,
        actions_unknown=_unknown_or_none(actions_cur.value if actions_cur else None),
        origin=cur.origin(),
        from_policy=from_policy,
    )


def _automation_source(src: Cursor) -> m.AutomationSource:
    rule_sets: list[m.RuleSet] = []
    rs_cur = src.get("ruleSets")
    if rs_cur is not None:
        for rs in rs_cur.elements():
            rules_cur = rs.get("rules")
            rules: list[m.AutomationRule] = []
            if rules_cur is not None:
                for rule in rules_cur.elements():
                    if not isinstance(rule.value, dict):
                        continue
                    rules.append(
                        m.AutomationRule(
                            jpath=rule.value_at("propertyJPath"),
                            property_type=rule.value_at("propertyType"),
                            expected_value=rule.value_at("expectedValue"),
                            operator=rule.value_at("operator"),
                            origin=rule.origin(),
                        )
                    )
            unresolved = (
                rs.value
                if is_unknown(rs.value)
                else (rules_cur.value if rules_cur is not None and is_unknown(rules_cur.value) else None)
            )
            rule_sets.append(m.RuleSet(rules=rules, origin=rs.origin(), unresolved=unresolved))
    return m.AutomationSource(
        event_source=src.value_at("eventSource"),
        rule_sets=rule_sets,
        rule_sets_unknown=_unknown_or_none(rs_cur.value if rs_cur else None),
        origin=src.origin(),
    )


# ---------------------------------------------------------------- logic apps


def connection_ref(inputs: Cursor | None) -> m.ConnectionRef | None:
    """Parse ``inputs.host.connection`` into the ``$connections`` key it names."""
    if inputs is None:
        return None
    conn = inputs.at("host", "connection")
    if conn is None:
        return None
    raw = conn.value_at("name")
    if raw is None:
        raw = conn.value_at("referenceName")
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
    if isinstance(type_, str) and type_.lower() in ("apiconnectionwebhook", "apiconnection"):
        if inputs is None or not isinstance(inputs.value, dict):
            problems.append(f"an {type_} trigger needs 'inputs'")
        elif conn is None:
            problems.append(f"an {type_} trigger needs 'inputs.host.connection'")
        elif inputs.value.get("path") is None:
            problems.append(f"an {type_} trigger needs 'inputs.path'")
    return m.Trigger(
        name=name,
        type=type_,
        kind=value.get("kind"),
        connection=conn,
        path=inputs.value_at("path") if inputs else None,
        method=inputs.value_at("method") if inputs else None,
        problems=tuple(problems),
        origin=cur.origin(),
    )


_NESTED_ACTION_CONTAINERS = (("actions",), ("else", "actions"), ("default", "actions"))


def _walk_actions(actions: Cursor | None, out: list[m.WorkflowAction]) -> None:
    if actions is None:
        return
    for name, act in actions.items():
        if not isinstance(act.value, dict):
            continue
        inputs = act.get("inputs")
        conn = connection_ref(inputs)
        if conn is not None:
            out.append(
                m.WorkflowAction(
                    name=name,
                    type=act.value.get("type"),
                    connection=conn,
                    path=inputs.value_at("path") if inputs else None,
                    origin=act.origin(),
                )
            )
        for keys in _NESTED_ACTION_CONTAINERS:
            _walk_actions(act.at(*keys), out)
        cases = act.get("cases")
        if cases is not None:
            for _case_name, case in cases.items():
                _walk_actions(case.get("actions"), out)


def logic_app(res_id: Any, name: Any, cur: Cursor, props: Cursor | None = None) -> m.LogicApp:
    """A Microsoft.Logic/workflows body (or a code-view export) → LogicApp."""
    if props is None:
        props = cur.get("properties")
    definition = props.get("definition") if props else None
    triggers: list[m.Trigger] = []
    actions: list[m.WorkflowAction] = []
    problems: list[str] = []
    triggers_unknown: Unknown | None = None
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
        _walk_actions(definition.get("actions"), actions)
    elif definition is not None and is_unknown(definition.value):
        triggers_unknown = definition.value
    bindings, bindings_unknown = _bindings(props)
    def_params: list[m.DefinitionParameter] = []
    if definition is not None:
        params = definition.get("parameters")
        if params is not None:
            for pname, pcur in params.items():
                if isinstance(pcur.value, dict):
                    def_params.append(
                        m.DefinitionParameter(
                            name=pname,
                            type=pcur.value.get("type"),
                            default=pcur.value.get("defaultValue"),
                            has_default="defaultValue" in pcur.value,
                            origin=pcur.origin(),
                        )
                    )
    return m.LogicApp(
        id=res_id,
        name=name,
        state=props.value_at("state") if props else None,
        triggers=triggers,
        triggers_unknown=triggers_unknown,
        actions=actions,
        bindings=bindings,
        bindings_unknown=bindings_unknown,
        definition_parameters=def_params,
        identity=identity(cur.get("identity")),
        definition_problems=tuple(problems),
        origin=cur.origin(),
    )


def _bindings(props: Cursor | None) -> tuple[list[m.ConnectionBinding], Unknown | None]:
    if props is None:
        return [], None
    value_cur = props.at("parameters", "$connections", "value")
    if value_cur is None:
        return [], None
    return connection_bindings(value_cur)


def connection_bindings(value_cur: Cursor) -> tuple[list[m.ConnectionBinding], Unknown | None]:
    """The entries of a ``$connections`` value object (shared by the ARM and Terraform sources)."""
    if is_unknown(value_cur.value):
        return [], value_cur.value
    out: list[m.ConnectionBinding] = []
    for key, b in value_cur.items():
        out.append(
            m.ConnectionBinding(
                key=key,
                connection_id=b.value_at("connectionId"),
                connection_name=b.value_at("connectionName"),
                api_id=b.value_at("id"),
                origin=b.origin(),
            )
        )
    return out, None


def identity(cur: Cursor | None) -> m.Identity | None:
    """A managed identity block (an unknown block is an identity of unknown type, not a missing one)."""
    if cur is not None and is_unknown(cur.value):
        return m.Identity(type=cur.value, origin=cur.origin())
    if cur is None or not isinstance(cur.value, dict):
        return None
    user = cur.value.get("userAssignedIdentities")
    return m.Identity(
        type=cur.value.get("type"),
        user_assigned=tuple(k for k in user if isinstance(k, str)) if isinstance(user, dict) else (),
        principal_id=cur.value.get("principalId"),
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


def connection(res_id: Any, name: Any, cur: Cursor) -> m.Connection:
    """A Microsoft.Web/connections body → Connection."""
    props = cur.get("properties")
    api = props.at("api", "id") if props else None
    names: list[str] = []
    has_credentials = False
    if props is not None:
        for key in ("parameterValues", "parameterValueSet", "nonSecretParameterValues"):
            block = props.value_at(key)
            if isinstance(block, dict) and block:
                names.extend(str(k) for k in block)
                has_credentials = True
        if str(props.value_at("parameterValueType", default="")).lower() == "alternative":
            has_credentials = True  # managed identity authentication
    statuses: list[str] = []
    status_list = props.value_at("statuses") if props else None
    if isinstance(status_list, list):
        statuses = [str(s.get("status")) for s in status_list if isinstance(s, dict) and s.get("status")]
    return m.Connection(
        id=res_id,
        name=name,
        api_id=api.value if api else None,
        managed_api=managed_api_name(api.value) if api else None,
        api_origin=api.origin() if api else None,
        parameter_names=tuple(names),
        has_credentials=has_credentials,
        statuses=tuple(statuses),
        origin=cur.origin(),
    )


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
    props = cur.get("properties")
    principal = props.value_at("principalId") if props else None
    raw_scope = cur.value_at("scope")
    if raw_scope is None and props is not None:
        raw_scope = props.value_at("scope")  # REST bodies carry the effective scope in properties
    return m.RoleAssignment(
        id=res_id,
        scope=effective_scope(raw_scope, deployment_scope),
        role_definition_id=props.value_at("roleDefinitionId") if props else None,
        principal_id=principal,
        principal_type=props.value_at("principalType") if props else None,
        principal_of=identity_owner(principal, deployment_scope),
        origin=cur.origin(),
    )


def role_definition(res_id: Any, cur: Cursor) -> m.RoleDefinition:
    """A Microsoft.Authorization/roleDefinitions body or an ``az role definition`` file."""
    props = cur.get("properties") or cur
    return m.RoleDefinition(
        id=res_id,
        role_name=props.value_at("roleName", default=props.value_at("Name")),
        permissions=props.value_at("permissions", default=props.value_at("Actions")),
        assignable_scopes=props.value_at("assignableScopes"),
        origin=cur.origin(),
    )


def policy_assignment(
    name: Any, cur: Cursor, res_id: Any = None, deployment_scope: Any = None
) -> m.PolicyAssignment:
    """A Microsoft.Authorization/policyAssignments body (``deployment_scope`` only for template resources)."""
    props = cur.get("properties") or cur
    raw_scope = cur.value_at("scope")  # a template's extension scope, or the flat `az` export's
    if raw_scope is None:
        raw_scope = props.value_at("scope")  # REST bodies carry it in properties
    params: dict[str, Any] = {}
    raw = props.value_at("parameters")
    if isinstance(raw, dict):
        for key, spec in raw.items():
            params[key] = spec.get("value") if isinstance(spec, dict) and "value" in spec else spec
    exported_id = cur.value_at("id")
    return m.PolicyAssignment(
        name=name,
        id=exported_id if isinstance(exported_id, str) else res_id,
        scope=effective_scope(raw_scope, deployment_scope),
        from_template=deployment_scope is not None,
        policy_definition_id=props.value_at("policyDefinitionId"),
        parameters=params,
        identity=identity(cur.get("identity")),
        origin=cur.origin(),
    )


# ---------------------------------------------------------------- Defender for Cloud


def assessment_metadata(name: Any, cur: Cursor) -> m.AssessmentMetadata | None:
    """A Microsoft.Security/assessmentMetadata body (live or exported); None without a usable key."""
    if not isinstance(name, str) or not name.strip():
        return None
    props = cur.get("properties")
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
