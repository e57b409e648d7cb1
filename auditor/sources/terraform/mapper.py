"""Resource instances → inventory elements (the same model the ARM source builds), one result per file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from auditor import model as m
from auditor.resource_ids import last_segment_key, normalize
from auditor.sources.core import extract, policy
from auditor.sources.core.cursor import Cursor, SourceFile
from auditor.sources.core.evaluation.template import (
    ExpressionProblem,
)
from auditor.sources.core.jsonpos import JsonSyntaxError, PDict, loads
from auditor.sources.core.secrets import action_http_secrets
from auditor.sources.terraform.ids import ACTION_TYPES, POLICY_ASSIGNMENT_TYPES, TRIGGER_TYPES
from auditor.sources.terraform.result import TerraformProblem, TerraformResult
from auditor.unknown import Unknown, is_unknown

if TYPE_CHECKING:
    from auditor.sources.terraform.result import ProblemSink, ResourceInstance


# ---------------------------------------------------------------- mapping

_ACTION_TYPES = {
    "logicapp": "LogicApp",
    "eventhub": "EventHub",
    "loganalytics": "Workspace",
    "workspace": "Workspace",
}


class Mapper:
    """Turns resource instances into inventory elements, one :class:`TerraformResult` per file."""

    def __init__(self, problem: ProblemSink) -> None:
        self._problem = problem
        self.results: dict[int, TerraformResult] = {}  # id(SourceFile) → result
        self._sources: dict[int, SourceFile] = {}
        # Logic App id → the azapi resource that PUTs the workflow's whole body (definition included)
        self._definitions: dict[str, ResourceInstance] = {}

    def result_for(self, src: SourceFile) -> TerraformResult:
        """The result that collects elements declared in ``src``."""
        key = id(src)
        if key not in self.results:
            self.results[key] = TerraformResult()
            self._sources[key] = src
        return self.results[key]

    # ------------------------------------------------------------ driving

    def map(self, instances: Sequence[ResourceInstance]) -> None:
        """Map every instance (Logic Apps collect their triggers and actions from the others)."""
        by_la: dict[str, list[ResourceInstance]] = {}
        floating: list[ResourceInstance] = []  # triggers/actions whose logic_app_id is unknown
        assignments: list[tuple[ResourceInstance, m.PolicyAssignment]] = []
        self._definitions.clear()
        for inst in instances:
            target = _workflow_definition_target(inst)
            if isinstance(target, str):
                self._definitions[normalize(target)] = inst
            elif isinstance(target, Unknown):
                floating.append(inst)
            elif inst.type in TRIGGER_TYPES or inst.type in ACTION_TYPES:
                la_id = inst.values.get("logic_app_id")
                if isinstance(la_id, str):
                    by_la.setdefault(normalize(la_id), []).append(inst)
                elif is_unknown(la_id):
                    floating.append(inst)
            elif inst.type in POLICY_ASSIGNMENT_TYPES:
                assignments.append((inst, self._policy_assignment(inst)))
        emitted: list[tuple[TerraformResult, ResourceInstance]] = []
        for inst in instances:
            if not inst.emit:
                continue
            out = self.result_for(inst.cursor.ctx.src)
            type_ = inst.type
            if type_ == "azurerm_security_center_automation":
                out.automations.append(self._automation(inst))
            elif type_ == "azurerm_logic_app_workflow":
                parts = by_la.get(normalize(inst.id), []) if isinstance(inst.id, str) else []
                out.logic_apps.append(self._logic_app(inst, parts, floating))
            elif type_ == "azurerm_api_connection":
                out.connections.append(self._connection(inst))
            elif type_ == "azurerm_role_assignment":
                out.role_assignments.append(self._role_assignment(inst))
            elif type_ == "azurerm_policy_definition":
                self._policy_definition(inst, out, assignments)
            elif type_ in POLICY_ASSIGNMENT_TYPES:
                emitted.append((out, inst))
            elif type_ == "azapi_resource":
                self._azapi(inst, out, assignments)
        # after every definition: each evaluated its assignments (AssignedPolicy), wherever they are declared;
        # an assignment of none of them may assign a built-in auditor ships as data
        for index, (inst, a) in enumerate(assignments):
            builtin = policy.assigned_builtin(a) if a.assigned is None else None
            if builtin is not None:
                assignments[index] = (inst, replace(a, assigned=builtin))
        for out, inst in emitted:
            out.policy_assignments.extend(a for i, a in assignments if i is inst)

    # ------------------------------------------------------------ helpers

    def json_value(self, cur: Cursor | None) -> Cursor | None:
        """The cursor with a JSON string decoded (positions: the string's); structures and Unknowns as is."""
        if cur is None or not isinstance(cur.value, str):
            return cur
        try:
            decoded = loads(cur.value, src=None)
        except JsonSyntaxError as exc:
            self._problem(cur.ctx.src, cur.offset, f"{_attr_label(cur)} is not valid JSON: {exc}")
            return Cursor(
                Unknown(f"{_attr_label(cur)} is not valid JSON ({exc.message})"),
                cur.path,
                cur.offset,
                cur.ctx,
            )
        return Cursor(decoded, cur.path, cur.offset, cur.ctx)

    @staticmethod
    def _first_block(cur: Cursor, name: str) -> Cursor | None:
        block = cur.get(name)
        if block is None or not isinstance(block.value, list):
            return None
        return next(iter(block.elements()), None)

    @staticmethod
    def _identity(cur: Cursor) -> m.Identity | None:
        block = Mapper._first_block(cur, "identity")
        if block is None or not isinstance(block.value, dict):
            return None
        ids = block.value.get("identity_ids")
        return m.Identity(
            type=_text(block.value.get("type")),
            user_assigned=tuple(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else (),
            origin=block.origin(),
        )

    # ------------------------------------------------------------ automations

    def _automation(self, inst: ResourceInstance) -> m.Automation:
        cur = inst.cursor
        v = inst.values
        scopes: list[m.AutomationScope] = []
        scopes_cur = cur.get("scopes")
        if scopes_cur is not None and isinstance(scopes_cur.value, list):
            for sc in scopes_cur.elements():
                scopes.append(m.AutomationScope(scope_path=_text(sc.value), origin=sc.origin()))
        sources: list[m.AutomationSource] = []
        sources_cur = cur.get("source")
        if sources_cur is not None and isinstance(sources_cur.value, list):
            sources = [
                self._automation_source(s) for s in sources_cur.elements() if isinstance(s.value, dict)
            ]
        actions: list[m.AutomationAction] = []
        actions_cur = cur.get("action")
        if actions_cur is not None and isinstance(actions_cur.value, list):
            for act in actions_cur.elements():
                if not isinstance(act.value, dict):
                    continue
                kind = act.value.get("type")
                action_type = _ACTION_TYPES.get(kind.lower(), kind) if isinstance(kind, str) else kind
                target = act.value.get("resource_id")
                is_logic_app = isinstance(action_type, str) and action_type == "LogicApp"
                url = act.get("trigger_url")
                conn_string = act.get("connection_string")
                actions.append(
                    m.AutomationAction(
                        action_type=_text(action_type),
                        logic_app_id=_text(target) if is_logic_app else None,
                        uri=_text(url.value) if url is not None else None,
                        target_id=None if is_logic_app else _text(target),
                        origin=act.origin(),
                        uri_origin=url.origin() if url is not None else None,
                        connection_string=m.SecretInput(
                            kind="connection-string",
                            field="connection_string",
                            value=_text(conn_string.value),
                            origin=conn_string.origin(),
                        )
                        if conn_string is not None
                        else None,
                    )
                )
        enabled = v.get("enabled", True)  # the provider's default
        return m.Automation(
            id=inst.id,
            name=_element_name(inst),
            api_version=None,  # the provider's API version is not in the configuration
            is_enabled=enabled,
            scopes=scopes,
            scopes_unknown=_unknown(v.get("scopes")),
            sources=sources,
            sources_unknown=_unknown(v.get("source")),
            actions=actions,
            actions_unknown=_unknown(v.get("action")),
            origin=cur.origin(),
        )

    @staticmethod
    def _automation_source(src: Cursor) -> m.AutomationSource:
        rule_sets: list[m.RuleSet] = []
        rs_cur = src.get("rule_set")
        if rs_cur is not None and isinstance(rs_cur.value, list):
            for rs in rs_cur.elements():
                if not isinstance(rs.value, dict):
                    continue
                rules_cur = rs.get("rule")
                rules: list[m.AutomationRule] = []
                if rules_cur is not None and isinstance(rules_cur.value, list):
                    for rule in rules_cur.elements():
                        if not isinstance(rule.value, dict):
                            continue
                        rules.append(
                            m.AutomationRule(
                                jpath=_text(rule.value.get("property_path")),
                                property_type=_text(rule.value.get("property_type")),
                                expected_value=rule.value.get("expected_value"),
                                operator=_text(rule.value.get("operator")),
                                origin=rule.origin(),
                            )
                        )
                unresolved = _unknown(rules_cur.value) if rules_cur is not None else None
                rule_sets.append(m.RuleSet(rules=rules, origin=rs.origin(), unresolved=unresolved))
        return m.AutomationSource(
            event_source=_text(src.value.get("event_source")),
            rule_sets=rule_sets,
            rule_sets_unknown=_unknown(rs_cur.value) if rs_cur is not None else None,
            origin=src.origin(),
        )

    # ------------------------------------------------------------ logic apps

    def _logic_app(
        self, inst: ResourceInstance, parts: list[ResourceInstance], floating: list[ResourceInstance]
    ) -> m.LogicApp:
        cur = inst.cursor
        v = inst.values
        triggers: list[m.Trigger] = []
        actions: list[m.WorkflowAction] = []
        secrets: list[m.SecretInput] = []
        triggers_unknown: Unknown | None = None
        for part in parts:
            name = part.values.get("name")
            if part.type in TRIGGER_TYPES:
                if not isinstance(name, str):
                    triggers_unknown = triggers_unknown or _unknown_name(part, name)
                    continue
                triggers.append(self._trigger(part, name))
            elif part.type == "azurerm_logic_app_action_custom" and isinstance(name, str):
                actions.extend(self._custom_action(part, name))
                body = self.json_value(part.cursor.get("body"))
                if body is not None:
                    secrets.extend(action_http_secrets(name, body, extract.walk_depth_limit()))
            elif part.type == "azurerm_logic_app_action_http" and isinstance(name, str):
                secrets.extend(_http_action_headers(part, name))
        definition = self._definitions.get(normalize(inst.id)) if isinstance(inst.id, str) else None
        extra: m.LogicApp | None = None
        if definition is not None:  # the workflow is a shell; an azapi resource PUTs its definition
            body = self.json_value(definition.cursor.get("body"))
            if body is not None:
                extra = extract.logic_app(inst.id, _element_name(inst), body)
                triggers.extend(extra.triggers)
                actions.extend(extra.actions)
                secrets.extend(extra.secret_inputs)
                triggers_unknown = triggers_unknown or extra.triggers_unknown
        for part in floating:
            if part.type not in TRIGGER_TYPES and part.type not in ACTION_TYPES and triggers_unknown is None:
                triggers_unknown = Unknown(
                    f"{part.address} sets the definition of a Logic App that is not known (its resource_id is not known)"
                )
            if part.type in TRIGGER_TYPES and triggers_unknown is None:
                la_id = part.values.get("logic_app_id")
                reason = la_id.reason if isinstance(la_id, Unknown) else "unknown"
                triggers_unknown = Unknown(
                    f"{part.address} may be a trigger of this Logic App: its logic_app_id is not known ({reason})"
                )
        bindings, bindings_unknown = self._bindings(cur)
        definition_parameters = self._definition_parameters(cur)
        if extra is not None and (extra.bindings or extra.bindings_unknown is not None):
            bindings, bindings_unknown = extra.bindings, extra.bindings_unknown
        if extra is not None and extra.definition_parameters:
            definition_parameters = extra.definition_parameters
        enabled = v.get("enabled", True)
        state: Any = enabled if is_unknown(enabled) else ("Disabled" if enabled is False else "Enabled")
        return m.LogicApp(
            id=inst.id,
            name=_element_name(inst),
            state=state,
            triggers=triggers,
            triggers_unknown=triggers_unknown,
            actions=actions,
            bindings=bindings,
            bindings_unknown=bindings_unknown,
            definition_parameters=definition_parameters,
            secret_inputs=secrets,
            identity=self._identity(cur),
            definition_problems=extra.definition_problems if extra is not None else (),
            origin=cur.origin(),
        )

    def _trigger(self, part: ResourceInstance, name: str) -> m.Trigger:
        cur = part.cursor
        if part.type == "azurerm_logic_app_trigger_custom":
            body = self.json_value(cur.get("body"))
            if body is None:
                return m.Trigger(name=name, problems=("the trigger has no body",), origin=cur.origin())
            return extract._trigger(name, body)
        method = cur.value_at("method")
        if part.type == "azurerm_logic_app_trigger_http_request":
            return m.Trigger(
                name=name, type="Request", kind="Http", method=_text(method), origin=cur.origin()
            )
        return m.Trigger(name=name, type="Recurrence", origin=cur.origin())

    def _custom_action(self, part: ResourceInstance, name: str) -> list[m.WorkflowAction]:
        body = self.json_value(part.cursor.get("body"))
        if body is None or not isinstance(body.value, dict):
            return []
        out: list[m.WorkflowAction] = []
        inputs = body.get("inputs")
        conn = extract.connection_ref(inputs)
        if conn is not None:
            out.append(
                m.WorkflowAction(
                    name=name,
                    type=_text(body.value.get("type")),
                    connection=conn,
                    path=_text(inputs.value_at("path")) if inputs is not None else None,
                    origin=body.origin(),
                )
            )
        # Actions nested in a scope, condition or switch of this action.
        for keys in (("actions",), ("else", "actions"), ("default", "actions")):
            extract._walk_actions(body.at(*keys), out)
        cases = body.get("cases")
        if cases is not None:
            for _case, case in cases.items():
                extract._walk_actions(case.get("actions"), out)
        return out

    def _bindings(self, cur: Cursor) -> tuple[list[m.ConnectionBinding], Unknown | None]:
        params = cur.get("parameters")
        if params is None:
            return [], None
        if is_unknown(params.value):
            return [], params.value
        if not isinstance(params.value, dict):
            return [], None
        conns = self.json_value(params.get("$connections"))
        if conns is None:
            return [], None
        return extract.connection_bindings(conns)

    def _definition_parameters(self, cur: Cursor) -> list[m.DefinitionParameter]:
        params = cur.get("workflow_parameters")
        out: list[m.DefinitionParameter] = []
        if params is None or not isinstance(params.value, dict):
            return out
        for pname, raw in params.items():
            pcur = self.json_value(raw)
            if pcur is None or not isinstance(pcur.value, dict):
                continue
            out.append(
                m.DefinitionParameter(
                    name=pname,
                    type=_text(pcur.value.get("type")),
                    default=pcur.value.get("defaultValue"),
                    has_default="defaultValue" in pcur.value,
                    origin=pcur.origin(),
                )
            )
        return out

    # ------------------------------------------------------------ connections and access

    @staticmethod
    def _connection(inst: ResourceInstance) -> m.Connection:
        cur = inst.cursor
        api = cur.get("managed_api_id")
        values = inst.values.get("parameter_values")
        names = tuple(str(k) for k in values) if isinstance(values, dict) else ()
        # An unknown map may well hold credentials: never claim they are missing.
        has_credentials = bool(names) or is_unknown(values)
        given = cur.get("parameter_values")
        secrets = [
            m.SecretInput(kind="connection-parameter", field=key, value=found.value, origin=found.origin())
            for key, found in (given.items() if given is not None else ())
            if isinstance(found.value, str | Unknown)
        ]
        return m.Connection(
            id=inst.id,
            name=_element_name(inst),
            api_id=_text(api.value) if api is not None else None,
            managed_api=extract.managed_api_name(api.value) if api is not None else None,
            api_origin=api.origin() if api is not None else None,
            parameter_names=names,
            has_credentials=has_credentials,
            secret_inputs=secrets,
            origin=cur.origin(),
        )

    @staticmethod
    def _role_assignment(inst: ResourceInstance) -> m.RoleAssignment:
        v = inst.values
        role = v.get("role_definition_id")
        if role is None and v.get("role_definition_name") is not None:
            name = v.get("role_definition_name")
            role = (
                name
                if is_unknown(name)
                else Unknown(
                    f"role_definition_name '{name}' is turned into a role definition id by the provider"
                )
            )
        return m.RoleAssignment(
            id=inst.id,
            scope=_text(v.get("scope")),
            role_definition_id=_text(role),
            principal_id=_text(
                v.get("principal_id", Unknown(f"the principal_id of {inst.address} is not set"))
            ),
            principal_type=_text(v.get("principal_type")),
            origin=inst.cursor.origin(),
        )

    # ------------------------------------------------------------ policy

    def _policy_assignment(self, inst: ResourceInstance) -> m.PolicyAssignment:
        cur = inst.cursor
        params, origins = extract.assignment_parameters(self.json_value(cur.get("parameters")))
        return m.PolicyAssignment(
            name=_element_name(inst),
            policy_definition_id=_text(inst.values.get("policy_definition_id")),
            parameters=params,
            parameter_origins=origins,
            identity=self._identity(cur),
            origin=cur.origin(),
        )

    def _policy_definition(
        self,
        inst: ResourceInstance,
        out: TerraformResult,
        assignments: list[tuple[ResourceInstance, m.PolicyAssignment]],
    ) -> None:
        cur = inst.cursor
        self.policy(
            name=inst.values.get("name"),
            display_name=inst.values.get("display_name"),
            rule=self.json_value(cur.get("policy_rule")),
            params=self.json_value(cur.get("parameters")),
            origin_cur=cur,
            out=out,
            assignments=assignments,
        )

    def policy(
        self,
        *,
        name: Any,
        display_name: Any,
        rule: Cursor | None,
        params: Cursor | None,
        origin_cur: Cursor,
        out: TerraformResult,
        assignments: list[tuple[ResourceInstance, m.PolicyAssignment]],
    ) -> None:
        """A policy definition, and the automations its DINE deployment template creates.

        The effect and the embedded template are evaluated by the ARM template
        evaluator, with the policy's parameter defaults and once more with the
        values of every assignment of this definition in the same configuration.
        """
        params_decl = params.value if params is not None and isinstance(params.value, dict) else PDict()
        policy_ctx = policy.policy_values(params_decl, origin_cur, {})
        then = rule.get("then") if rule is not None and isinstance(rule.value, dict) else None
        details = then.get("details") if then is not None and isinstance(then.value, dict) else None
        if details is not None and not isinstance(details.value, dict):
            details = None
        effect_cur = then.get("effect") if then is not None else None
        effect = policy_ctx.evaluate_node(effect_cur.value) if effect_cur is not None else None
        if rule is not None and is_unknown(rule.value):
            effect = rule.value
        details_type = details.value_at("type") if details is not None else None
        deploys = isinstance(details_type, str) and details_type.lower() == "microsoft.security/automations"
        existence = details.get("existenceCondition") if details is not None else None
        policy_name = name if isinstance(name, str) else Unknown("the policy definition's name is not known")
        out.policy_definitions.append(
            m.PolicyDefinition(
                name=policy_name,
                display_name=_text(display_name),
                effect=_text(effect),
                details_type=_text(details_type),
                deploys_automation=deploys,
                existence_condition=existence.value if existence is not None else None,
                has_existence_condition=existence is not None,
                role_definition_ids=details.value_at("roleDefinitionIds") if details is not None else None,
                parameters=dict(params_decl),
                origin=origin_cur.origin(),
                effect_origin=effect_cur.origin() if effect_cur is not None else None,
            )
        )
        self._expression_problems(policy_ctx.problems)
        facts = out.policy_definitions[-1]
        mine = {id(a) for _inst, a in self._assigned_to(name, assignments)}
        for index, (inst, a) in enumerate(assignments):
            if a.assigned is None and id(a) in mine:
                assigned = policy.assigned_definition(facts, effect_cur, params_decl, origin_cur, a)
                assignments[index] = (inst, replace(a, assigned=assigned))
        deployment = details.get("deployment") if details is not None else None
        if deployment is None or not isinstance(name, str):
            return
        self._policy_deployment(name, deployment, params_decl, origin_cur, {}, f"policy '{name}'", out)
        for _inst, a in self._assigned_to(name, assignments):
            label = f"policy '{name}' as assigned by '{a.name}'"
            self._policy_deployment(
                name, deployment, params_decl, origin_cur, a.parameters, label, out, a.origin
            )

    @staticmethod
    def _assigned_to(
        name: Any, assignments: list[tuple[ResourceInstance, m.PolicyAssignment]]
    ) -> list[tuple[ResourceInstance, m.PolicyAssignment]]:
        """The assignments of the configuration that assign definition ``name``."""
        if not isinstance(name, str):
            return []
        return [
            (inst, a)
            for inst, a in assignments
            if isinstance(a.policy_definition_id, str)
            and last_segment_key(a.policy_definition_id) == name.lower()
        ]

    def _policy_deployment(
        self,
        name: str,
        deployment: Cursor,
        params_decl: Any,
        cur: Cursor,
        supplied: dict[str, Any],
        label: str,
        out: TerraformResult,
        from_assignment: m.Origin | None = None,
    ) -> None:
        resources, problems = policy.evaluate_deployment(deployment, params_decl, cur, supplied, label)
        for res in resources:
            self._arm_resource(
                res.type,
                res.id,
                res.name,
                res.cursor.value_at("apiVersion"),
                res.cursor,
                out,
                name,
                from_assignment,
            )
        self._expression_problems(problems)

    def _expression_problems(self, problems: list[ExpressionProblem]) -> None:
        for problem in problems:
            key = id(problem.src)
            if key not in self._sources:
                continue
            line, column = problem.src.index.position(max(problem.offset(), 0))
            self.results[key].expression_problems.append(
                TerraformProblem(
                    f"invalid ARM expression {problem.expression!r}: {problem.message}", line, column
                )
            )
        problems.clear()

    # ------------------------------------------------------------ azapi and ARM bodies

    def _azapi(
        self,
        inst: ResourceInstance,
        out: TerraformResult,
        assignments: list[tuple[ResourceInstance, m.PolicyAssignment]],
    ) -> None:
        type_ = inst.values.get("type")
        if not isinstance(type_, str):
            return
        arm_type, _, api_version = type_.partition("@")
        body_cur = self.json_value(inst.cursor.get("body"))
        if body_cur is None:
            body_cur = Cursor(PDict(), inst.cursor.path + ".body", inst.cursor.offset, inst.cursor.ctx)
        # The element's origin is the resource block; positions inside come from the body.
        body = Cursor(body_cur.value, body_cur.path, inst.cursor.offset, inst.cursor.ctx)
        name = inst.values.get("name")
        lowered = arm_type.lower()
        if lowered == "microsoft.authorization/policydefinitions":
            props = body.get("properties") or body
            self.policy(
                name=name,
                display_name=props.value_at("displayName"),
                rule=props.get("policyRule"),
                params=props.get("parameters"),
                origin_cur=inst.cursor,
                out=out,
                assignments=assignments,
            )
            return
        element = self._arm_resource(arm_type, inst.id, name, api_version or None, body, out)
        if isinstance(element, m.LogicApp) and element.identity is None:
            identity = self._identity(inst.cursor)
            if identity is not None:
                out.logic_apps[-1] = replace(element, identity=identity)

    def _arm_resource(
        self,
        type_: Any,
        res_id: Any,
        name: Any,
        api_version: Any,
        cur: Cursor,
        out: TerraformResult,
        from_policy: str | None = None,
        from_assignment: m.Origin | None = None,
    ) -> Any:
        """An ARM-shaped resource body → element (the ARM source's extract functions)."""
        lowered = type_.lower() if isinstance(type_, str) else ""
        element: Any = None
        if lowered == "microsoft.security/automations":
            element = extract.automation(res_id, name, api_version, cur, from_policy, from_assignment)
            out.automations.append(element)
        elif lowered == "microsoft.logic/workflows":
            element = extract.logic_app(res_id, name, cur)
            out.logic_apps.append(element)
        elif lowered == "microsoft.web/connections":
            element = extract.connection(res_id, name, cur)
            out.connections.append(element)
        elif lowered == "microsoft.authorization/roleassignments":
            element = extract.role_assignment(res_id, cur)
            out.role_assignments.append(element)
        elif lowered == "microsoft.authorization/policyassignments":
            element = extract.policy_assignment(name, cur)
            out.policy_assignments.append(element)
        return element


def _http_action_headers(part: ResourceInstance, name: str) -> list[m.SecretInput]:
    """The ``headers`` of an ``azurerm_logic_app_action_http`` (the provider has no authentication block)."""
    headers = part.cursor.get("headers")
    if headers is None or not isinstance(headers.value, dict):
        return []
    return [
        m.SecretInput(
            kind="http-header",
            field=f"headers.{header}",
            value=found.value if isinstance(found.value, str | Unknown) else None,
            owner=f"action '{name}'",
            origin=found.origin(),
        )
        for header, found in headers.items()
    ]


def _workflow_definition_target(inst: ResourceInstance) -> Any:
    """The Logic App whose whole body an ``azapi_resource_action`` (PUT/PATCH) or ``azapi_update_resource`` sets.

    Returns the target id (str or Unknown), or None when ``inst`` is no such resource.
    """
    if inst.type not in ("azapi_resource_action", "azapi_update_resource"):
        return None
    type_ = inst.values.get("type")
    if not isinstance(type_, str) or type_.partition("@")[0].lower() != "microsoft.logic/workflows":
        return None
    if inst.type == "azapi_resource_action":
        method = inst.values.get("method", "POST")
        if not isinstance(method, str) or method.upper() not in ("PUT", "PATCH"):
            return None
    target = inst.values.get("resource_id")
    return target if isinstance(target, str | Unknown) else None


def _attr_label(cur: Cursor) -> str:
    resource = cur.ctx.resource or "the resource"
    attr = cur.path.rsplit(".", 1)[-1] if "." in cur.path else cur.path
    return f"'{attr}' of {resource}"


def _unknown(value: Any) -> Unknown | None:
    return value if isinstance(value, Unknown) else None


def _unknown_name(inst: ResourceInstance, name: Any) -> Unknown:
    reason = name.reason if isinstance(name, Unknown) else "it has no name"
    return Unknown(f"the name of trigger {inst.address} is not known ({reason})")


def _element_name(inst: ResourceInstance) -> str | Unknown:
    """The ``name`` attribute; model names are a str or an Unknown, never null."""
    name = inst.values.get("name")
    if isinstance(name, str | Unknown):
        return name
    return Unknown(f"{inst.address} has no name ({'null' if name is None else 'not a string'})")


def _text(value: Any) -> str | Unknown | None:
    """A value for a text field, converted as Terraform converts a primitive to ``string``.

    Terraform accepts ``name = 5`` or ``enabled = true`` for a string argument and passes ``"5"`` and
    ``"true"``; a list or an object there is a type error Terraform reports, so it is unknown here.
    """
    if value is None or isinstance(value, str | Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    kind = (
        "a list"
        if isinstance(value, list)
        else "an object"
        if isinstance(value, dict)
        else type(value).__name__
    )
    return Unknown(f"the value is {kind}, not a string")
