"""One inventory from what every source reads: resource bodies → model elements, policies last.

Each source finds and evaluates its own input (ARM files, Terraform
configurations and plans, live Azure answers) and hands the resources here;
the builder turns each into the inventory element of its type (with the
problems reading it met and any ``metadata.auditor`` suppression), keeps the
files' records, and in :meth:`InventoryBuilder.finish` evaluates the DINE
policy definitions with every policy assignment of the scan. Sources never
create findings; they record problems that the SRC checks report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor import model as m
from auditor.budget import Budget, use
from auditor.records import record
from auditor.resource_ids import last_segment_key
from auditor.sources.core import extract, policy
from auditor.sources.core.cursor import LIVE_SOURCE, Context, Cursor, SourceFile
from auditor.sources.core.evaluation.template import (
    PLACEHOLDER_RESOURCE_GROUP,
    PLACEHOLDER_SUBSCRIPTION,
    EvaluatedResource,
    ExpressionProblem,
    Scope,
    build_resource_id,
)
from auditor.sources.core.jsonpos import PDict
from auditor.sources.core.secrets import Provenance
from auditor.unknown import Unknown


@record()
class PendingPolicy:
    """A policy definition waiting for :meth:`InventoryBuilder.finish` (``stem``: its file's name)."""

    stem: str
    src: SourceFile
    root: Cursor
    unit: str | None = None  # the deployment unit that declares it (a template deploying it, or its own file)


class InventoryBuilder:
    """Collects the inventory's elements while sources read; :meth:`finish` makes the inventory."""

    def __init__(self) -> None:
        self.automations: list[m.Automation] = []
        self.logic_apps: list[m.LogicApp] = []
        self.connections: list[m.Connection] = []
        self.role_assignments: list[m.RoleAssignment] = []
        self.role_definitions: list[m.RoleDefinition] = []
        self.policy_definitions: list[m.PolicyDefinition] = []
        self.policy_assignments: list[m.PolicyAssignment] = []
        self.files: list[m.FileRecord] = []
        self.problems: list[m.Problem] = []
        self.inline_suppressions: list[m.InlineSuppression] = []
        self.assessment_metadata: list[m.AssessmentMetadata] = []
        self.template_parameters: list[m.TemplateParameter] = []
        self._declared: set[int] = set()
        self._keep: list[dict[str, m.TemplateParameter]] = []
        self._policies: list[PendingPolicy] = []
        self._assigned: dict[int, m.AssignedPolicy] = {}  # id(assignment) → its scanned definition evaluated
        self._current_unit: str | None = None
        # Per element list, the list and how many of its leading elements are detached already (see
        # detach): the scan's builder absorbs detached fragments and need not copy them again.
        self._detached: dict[str, tuple[list[Any], int]] = {}

    # ------------------------------------------------------------ deployment units

    _UNIT_LISTS = (
        "automations",
        "logic_apps",
        "connections",
        "role_assignments",
        "role_definitions",
        "policy_definitions",
        "policy_assignments",
        "template_parameters",
    )

    @contextmanager
    def unit(self, name: str) -> Iterator[None]:
        """Every element added inside belongs to deployment unit ``name`` (:attr:`auditor.model.Origin.unit`).

        A source wraps each thing it deploys as a whole (a template file with its nested deployments and
        the Bicep modules it calls, a Terraform root module, a policy definition, an exported document), so
        :mod:`auditor.link` can resolve a reference inside its own deployment before looking elsewhere.
        An inner unit wins: elements already stamped keep theirs.
        """
        marks = {attr: len(getattr(self, attr)) for attr in self._UNIT_LISTS}
        outer, self._current_unit = self._current_unit, name
        try:
            yield
        finally:
            self._current_unit = outer
            for attr, start in marks.items():
                elements = getattr(self, attr)
                for i in range(start, len(elements)):
                    element = elements[i]
                    if element.origin.unit is None:
                        origin = replace(element.origin, unit=name)
                        elements[i] = replace(element, origin=origin)

    # ------------------------------------------------------------ records

    def problem(
        self, code: str, message: str, file: str, line: int = 0, column: int = 0, path: str = ""
    ) -> None:
        """A problem of a file (or, with ``file=""``, of nothing in particular) for the SRC checks."""
        self.problems.append(
            m.Problem(
                code=code,  # type: ignore[arg-type]
                message=message,
                origin=m.Origin(file=file, line=line, column=column, json_path=path),
            )
        )

    def file(self, path: str, kind: m.FileKind, detail: str | None = None) -> None:
        """The record of one scanned file (what it was, or why it could not be read)."""
        self.files.append(m.FileRecord(path=path, kind=kind, detail=detail))

    def unreadable(self, path: str, reason: str, what: str = "cannot read file") -> None:
        """A file that could not be read: an SRC001 problem and its record."""
        self.problem("unreadable", f"{what}: {reason}", path)
        self.file(path, "unreadable", reason)

    def include(self, inventory: m.Inventory) -> None:
        """Add the elements of another inventory (e.g. a live scan's) before :meth:`finish`.

        Included policy assignments take part in evaluating the policy definitions of the scanned files.
        """
        for name, value in self.__dict__.items():
            other = getattr(inventory, name, None)
            if isinstance(value, list) and isinstance(other, list):
                value.extend(other)

    def absorb(self, other: InventoryBuilder) -> None:
        """Add what another builder collected (one file read on its own, see
        :class:`auditor.sources.dispatch.FileTask`), its policy definitions still to evaluate included."""
        for name in _ELEMENT_LISTS:
            mine, theirs = getattr(self, name), getattr(other, name)
            clean = self._detached_count(name) == len(mine) and other._detached_count(name) == len(theirs)
            mine.extend(theirs)
            if clean:  # both detached (a fragment is): the whole list still is, nothing to copy again
                self._detached[name] = (mine, len(mine))
        self._policies.extend(other._policies)

    def _detached_count(self, name: str) -> int:
        """How many leading elements of the list ``name`` :meth:`detach` has done (0 once the list is
        replaced: a mark counts for the very list it was made on)."""
        mark = self._detached.get(name)
        return mark[1] if mark is not None and mark[0] is getattr(self, name) else 0

    def detach(self) -> None:
        """Every element collected so far without the parse trees it was read from (see
        :mod:`auditor.sources.core.detach`): what links and checks need, not the files' texts."""
        from auditor.sources.core.detach import detached

        for name in _ELEMENT_LISTS:
            elements = getattr(self, name)
            done = self._detached_count(name)
            elements[done:] = [detached(e) for e in elements[done:]]
            self._detached[name] = (elements, len(elements))

    def add_policy_definition(self, stem: str, src: SourceFile, root: Cursor) -> None:
        """A policy definition document; evaluated by :meth:`finish`, when every assignment is known."""
        self._policies.append(PendingPolicy(stem, src, root, self._current_unit))

    def finish(self) -> m.Inventory:
        """Evaluate the policy definitions, then the inventory of everything added."""
        self._process_policies()
        for pending in self._policies:
            self.problems.extend(pending.src.take_problems())
        self._policies = []
        self.detach()
        return m.Inventory(**{k: v for k, v in self.__dict__.items() if not k.startswith("_")})

    # ------------------------------------------------------------ resources

    def add_resource(
        self, res: EvaluatedResource, from_policy: str | None = None, from_assignment: m.Origin | None = None
    ) -> None:
        """One resource, evaluated by a source (or read as it is): into the list of its type.

        ``from_policy`` names the DINE policy whose deployment declares it, ``from_assignment`` the
        assignment whose values it was evaluated with. A policy definition is kept for :meth:`finish`,
        which evaluates it with every policy assignment the scan found.
        """
        type_ = res.type.lower() if isinstance(res.type, str) else ""
        cur = res.cursor
        self._inline_suppression(cur)
        if type_ in _READ_TYPES:
            res = _checked_top_level(res)
        prov = Provenance(res.raw, res.parameters) if res.parameters is not None else None
        if res.parameters and (type_ in _DECLARING_TYPES or _deploys_automations(type_, cur)):
            self._template_parameters(res.parameters)
        if type_ == "microsoft.security/automations":
            self.automations.append(
                extract.automation(
                    res.id, res.name, _api_version(cur), cur, from_policy, from_assignment, prov
                )
            )
        elif type_ == "microsoft.logic/workflows":
            self.logic_apps.append(extract.logic_app(res.id, res.name, cur, prov=prov))
        elif type_ == "microsoft.web/connections":
            self.connections.append(extract.connection(res.id, res.name, cur, prov))
        elif type_ == "microsoft.authorization/roleassignments":
            self.role_assignments.append(extract.role_assignment(res.id, cur, _deployment_scope(res)))
        elif type_ == "microsoft.authorization/roledefinitions":
            self.role_definitions.append(extract.role_definition(res.id, cur))
        elif type_ == "microsoft.security/assessmentmetadata":
            metadata = extract.assessment_metadata(res.name, cur)
            if metadata is not None:
                self.assessment_metadata.append(metadata)
        elif type_ == "microsoft.authorization/policyassignments":
            self.policy_assignments.append(
                extract.policy_assignment(res.name, cur, res.id, _deployment_scope(res))
            )
        elif type_ == "microsoft.authorization/policydefinitions" and isinstance(cur.value, dict):
            self.add_policy_definition(Path(cur.ctx.src.path).stem, cur.ctx.src, cur)
        # what reading the body found wrong (wrong JSON types, nesting cut at the walk-depth limit)
        self.problems.extend(cur.ctx.src.take_problems())

    def _template_parameters(self, declarations: dict[str, m.TemplateParameter]) -> None:
        """The parameters of a template that deploys what auditor reads, once per template evaluated."""
        if id(declarations) in self._declared:
            return
        self._declared.add(id(declarations))
        self._keep.append(declarations)  # ids stay unique while the builder lives
        self.template_parameters.extend(declarations.values())

    def _inline_suppression(self, cur: Cursor) -> None:
        """Record ``metadata.auditor.ignore`` (and its ``reason``) on any resource."""
        block = cur.at("metadata", "auditor")
        if block is None or not isinstance(block.value, dict):
            return
        ignore = block.value.get("ignore")
        rules = [ignore] if isinstance(ignore, str) else ignore
        if not isinstance(rules, list):
            return
        reason = block.value.get("reason")
        self.inline_suppressions.append(
            m.InlineSuppression(
                rules=tuple(str(r).strip().upper() for r in rules if isinstance(r, str)),
                reason=reason if isinstance(reason, str) and reason.strip() else None,
                origin=replace(block.origin(), json_path=cur.path),
            )
        )

    def add_problems(self, problems: list[ExpressionProblem]) -> None:
        """What evaluating met, as problems (``invalid-expression``: SRC004, ``evaluation-limit``: SRC005);
        ``problems`` is emptied."""
        for problem in problems:
            line, column = problem.src.index.position(max(problem.offset(), 0))
            self.problem(problem.code, problem.text(), problem.src.path, line, column, problem.fallback.path)
        problems.clear()

    def add_resource_document(self, root: Cursor, stem: str) -> None:
        """An exported resource, a REST list or a REST API example (``stem``: the file's name without
        suffix, the name of a bare Logic App definition)."""
        doc = root.value
        if isinstance(doc, dict) and isinstance(doc.get("definition"), dict):
            name = doc.get("name") if isinstance(doc.get("name"), str) else stem
            ctx = Context(root.ctx.src, resource=f"Microsoft.Logic/workflows/{name}")
            cur = root.with_context(ctx)
            self.logic_apps.append(extract.logic_app(doc.get("id", name), name, cur, props=cur))
            return
        for body in _resource_bodies(root):
            self.add_body(body)

    def add_live_body(self, body: dict[str, Any]) -> None:
        """A REST body read live from Azure (no file, no line): the same path as an exported body.

        Its elements' origins have ``file=None`` and the body's ARM id as ``resource``.
        """
        if isinstance(body, dict) and isinstance(body.get("type"), str):
            self.add_body(Cursor(body, "", -1, Context(LIVE_SOURCE)))

    def add_body(self, cur: Cursor) -> None:
        """A resource body as Azure returns it (exported, listed or read live): nothing to evaluate."""
        body = cur.value
        if not isinstance(body, dict):
            return
        if cur.ctx.src is LIVE_SOURCE:
            # each live body gets its own problem list: live reads may run side by side
            cur = cur.with_context(Context(SourceFile("", "")))
        type_ = body.get("type")
        if not isinstance(type_, str):
            at = cur.get("type") or cur
            extract.wrong_type(at, "the resource's 'type'", "a string")
            self.problems.extend(cur.ctx.src.take_problems())
            return
        name: Any = body.get("name")  # any JSON type: add_resource reports one that is not text
        res_id = body.get("id")
        if res_id is not None and not isinstance(res_id, str):
            res_id = extract.checked_text(res_id, cur.get("id"), "the resource's 'id'")
        if not isinstance(res_id, str):
            res_id = build_resource_id(Scope(), type_, name) if isinstance(name, str) else Unknown("no id")
        display = res_id if isinstance(res_id, str) else f"{type_}/{name if isinstance(name, str) else '?'}"
        ctx = Context(cur.ctx.src, resource=display)
        res = EvaluatedResource(type_, name, res_id, display, cur.with_context(ctx), None, None)
        self.add_resource(res)

    # ------------------------------------------------------------ policies

    def _process_policies(self) -> None:
        """Evaluate each pending definition with its defaults and with each assignment that assigns it.

        An assignment assigns the definition of its own deployment unit that it names (by name, file stem
        or display name, as ``policyDefinitionId`` ends); failing that, the one definition of that name in
        the scan. When several other files define it (a prod and a legacy copy), it assigns none of them:
        which one Azure holds cannot be told, and evaluating both would make a definition's findings
        depend on an unrelated file.
        """
        by_alias: dict[str, list[PendingPolicy]] = {}
        for pending in self._policies:
            for alias in self._policy_aliases(pending):
                by_alias.setdefault(alias, []).append(pending)
        assigned: dict[int, list[m.PolicyAssignment]] = {}
        for a in self.policy_assignments:
            if not isinstance(a.policy_definition_id, str):
                continue
            candidates = list(
                {id(p): p for p in by_alias.get(last_segment_key(a.policy_definition_id), [])}.values()
            )
            local = [p for p in candidates if (p.unit or p.src.path) == a.origin.unit]
            chosen = local if local else candidates
            if len(chosen) == 1:
                assigned.setdefault(id(chosen[0]), []).append(a)
        for pending in self._policies:
            self._policy(pending, assigned.get(id(pending), []))
        self.policy_assignments = [self._with_assigned(a) for a in self.policy_assignments]

    def _with_assigned(self, a: m.PolicyAssignment) -> m.PolicyAssignment:
        """The assignment with its definition evaluated: a scanned one (here, or by the Terraform
        source within its configuration), else a bundled built-in, else as it is. A scanned copy of a
        built-in's definition file wins over the bundled facts: its automations are evaluated too."""
        if a.assigned is not None and not (a.assigned.builtin and id(a) in self._assigned):
            return a
        assigned = self._assigned.get(id(a)) or policy.assigned_builtin(a)
        return a if assigned is None else replace(a, assigned=assigned)

    @staticmethod
    def _policy_aliases(p: PendingPolicy) -> set[str]:
        """The names an assignment's ``policyDefinitionId`` may end with for this definition."""
        root = p.root.value
        props = root.get("properties") if isinstance(root.get("properties"), dict) else root
        aliases = {p.stem.lower()}
        for value in (root.get("name"), props.get("displayName")):
            if isinstance(value, str) and value:
                aliases.add(value.lower())
        return aliases

    def _policy(self, p: PendingPolicy, assignments: list[m.PolicyAssignment]) -> None:
        """A policy definition, evaluated with its own budget (its defaults and every assignment
        that evaluates its deployment again pay from the same one)."""
        with self.unit(p.unit or p.src.path), use(Budget()):
            self._policy_evaluated(p, p.root, assignments)

    def _policy_evaluated(
        self, p: PendingPolicy, root: Cursor, assignments: list[m.PolicyAssignment]
    ) -> None:
        props = root.get("properties") if isinstance(root.value.get("properties"), dict) else root
        assert props is not None
        name = root.value.get("name")
        if not isinstance(name, str):
            display = props.value_at("displayName")  # any JSON type: no truth test, no list as a name
            name = display if isinstance(display, str) and display else p.stem
        ctx = Context(p.src, resource=f"Microsoft.Authorization/policyDefinitions/{name}")
        root, props = root.with_context(ctx), props.with_context(ctx)
        params_decl = (
            props.value_at("parameters") if isinstance(props.value_at("parameters"), dict) else PDict()
        )
        rule = props.get("policyRule")
        then = rule.get("then") if rule else None
        details = then.get("details") if then else None
        defaults = policy.policy_values(params_decl, props, {})
        effect_cur = then.get("effect") if then else None
        effect = defaults.evaluate_node(effect_cur.value) if effect_cur else None
        details_type = details.value_at("type") if details else None
        deploys = isinstance(details_type, str) and details_type.lower() == "microsoft.security/automations"
        existence = details.get("existenceCondition") if details else None
        self.policy_definitions.append(
            m.PolicyDefinition(
                name=name,
                display_name=extract.checked_text(
                    props.value_at("displayName"), props.get("displayName"), "the policy's 'displayName'"
                ),
                effect=extract.checked_text(effect, effect_cur, "the policy's 'effect'"),
                details_type=extract.checked_text(
                    details_type, details.get("type") if details else None, "the policy's 'details.type'"
                ),
                deploys_automation=deploys,
                existence_condition=existence.value if existence else None,
                has_existence_condition=existence is not None,
                role_definition_ids=details.value_at("roleDefinitionIds") if details else None,
                parameters=dict(params_decl) if isinstance(params_decl, dict) else {},
                origin=root.origin(),
                effect_origin=effect_cur.origin() if effect_cur else None,
            )
        )
        facts = self.policy_definitions[-1]
        for a in assignments:
            self._assigned.setdefault(
                id(a), policy.assigned_definition(facts, effect_cur, params_decl, props, a)
            )
        deployment = details.get("deployment") if details else None
        if deployment is None or details is None:
            return
        self._policy_deployment(name, deployment, params_decl, props, {}, f"policy '{name}'")
        for a in assignments:
            label = f"policy '{name}' as assigned by '{a.name}'"
            self._policy_deployment(name, deployment, params_decl, props, a.parameters, label, a.origin)

    def _policy_deployment(
        self,
        name: str,
        deployment: Cursor,
        params_decl: Any,
        props: Cursor,
        supplied: dict[str, Any],
        label: str,
        from_assignment: m.Origin | None = None,
    ) -> None:
        resources, problems = policy.evaluate_deployment(deployment, params_decl, props, supplied, label)
        for res in resources:
            self.add_resource(res, from_policy=name, from_assignment=from_assignment)
        self.add_problems(problems)


#: The builder's lists that become the inventory's (everything a source adds to).
_ELEMENT_LISTS = tuple(name for name in m.INVENTORY_FIELDS if name not in ("coverage", "observed_events"))

# A template deploying one of these (or a DINE policy that deploys automations) is about workflow
# automation: its parameter declarations are recorded (Inventory.template_parameters).
_DECLARING_TYPES = frozenset(
    {"microsoft.security/automations", "microsoft.logic/workflows", "microsoft.web/connections"}
)

# The resource types auditor reads: their top-level keys are checked for the JSON type Azure requires.
_READ_TYPES = frozenset(
    {
        "microsoft.security/automations",
        "microsoft.logic/workflows",
        "microsoft.web/connections",
        "microsoft.authorization/roleassignments",
        "microsoft.authorization/roledefinitions",
        "microsoft.security/assessmentmetadata",
        "microsoft.authorization/policyassignments",
        "microsoft.authorization/policydefinitions",
    }
)
_TEXT_KEYS = ("name", "apiVersion", "location", "kind")


def _checked_top_level(res: EvaluatedResource) -> EvaluatedResource:
    """Report top-level keys of a read resource that are not text (a ``name`` of 5, a list ``location``).

    The name the element gets is then an Unknown, never the wrong-typed value.
    """
    cur = res.cursor
    if not isinstance(cur.value, dict):
        return res
    name = res.name
    for key in _TEXT_KEYS:
        at = cur.get(key)
        if at is None or at.value is None or isinstance(at.value, str | Unknown):
            continue
        unknown = extract.wrong_type(at, f"the resource's '{key}'", "a string")
        if key == "name":
            name = unknown
    if name is None:
        name = Unknown("the resource has no name")
    elif not isinstance(name, str | Unknown):
        name = Unknown("the resource's name is not a string")
    if name is res.name:
        return res
    return dataclasses.replace(res, name=name)


def _deploys_automations(type_: str, cur: Cursor) -> bool:
    """A policy definition whose DeployIfNotExists deploys Microsoft.Security/automations."""
    if type_ != "microsoft.authorization/policydefinitions":
        return False
    details = cur.value_at("properties", "policyRule", "then", "details", "type")
    return isinstance(details, str) and details.lower() == "microsoft.security/automations"


def _api_version(cur: Cursor) -> Any:
    """``apiVersion`` when it is text or Unknown (another type was reported by :func:`_checked_top_level`)."""
    value = cur.value_at("apiVersion")
    return (
        value if value is None or isinstance(value, str | Unknown) else Unknown("apiVersion is not a string")
    )


def _deployment_scope(res: EvaluatedResource) -> str | None:
    """The scope the template that declares ``res`` deploys to (None for exported resources)."""
    if res.scope_subscription is None and res.scope_resource_group is None:
        return None
    if res.scope_level == "tenant":
        return "/"
    if res.scope_level == "managementGroup":
        return "/providers/Microsoft.Management/managementGroups/{managementGroup}"
    sub = res.scope_subscription if isinstance(res.scope_subscription, str) else PLACEHOLDER_SUBSCRIPTION
    if res.scope_level == "subscription":
        return f"/subscriptions/{sub}"
    rg = res.scope_resource_group if isinstance(res.scope_resource_group, str) else PLACEHOLDER_RESOURCE_GROUP
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def _resource_bodies(root: Cursor) -> Iterator[Cursor]:
    """Resource bodies inside an exported file, a REST list or a REST API example."""
    value = root.value
    if isinstance(value, list):
        yield from (c for c in root.elements() if isinstance(c.value, dict))
        return
    if isinstance(value.get("type"), str):
        yield root
        return
    listed = root.get("value")
    if listed is not None and isinstance(listed.value, list):
        yield from (c for c in listed.elements() if isinstance(c.value, dict) and "type" in c.value)
        return
    responses = root.get("responses")
    if responses is not None:
        for _code, response in responses.items():
            body = response.get("body")
            if body is None or not isinstance(body.value, dict):
                continue
            if isinstance(body.value.get("type"), str):
                yield body
            inner = body.get("value")
            if inner is not None and isinstance(inner.value, list):
                yield from (c for c in inner.elements() if isinstance(c.value, dict) and "type" in c.value)
