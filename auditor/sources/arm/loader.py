"""The ARM source: files on disk → one normalized inventory.

Reads every file once (UTF-8/UTF-16/BOM, comments), classifies it by content,
evaluates templates (with their parameters file), policy-embedded templates
(with policy defaults and, when present in the same scan, each assignment's
values) and exported resources, and records every problem as a value on the
inventory (unreadable file, invalid JSON with line and column, invalid
expression). Sources never create findings: SRC checks do.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import model as m
from auditor.sources.arm import extract, policy
from auditor.sources.arm.classify import classify
from auditor.sources.arm.cursor import LIVE_SOURCE, Context, Cursor, SourceFile
from auditor.sources.arm.jsonpos import DecodeError, JsonSyntaxError, PDict, decode, loads
from auditor.sources.arm.template import (
    PLACEHOLDER_RESOURCE_GROUP,
    PLACEHOLDER_SUBSCRIPTION,
    EvaluatedResource,
    ExpressionProblem,
    Scope,
    TemplateEvaluator,
    build_resource_id,
    scope_level_from_schema,
)
from auditor.unknown import ResourceReference, Unknown, is_unknown

SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", ".tox"})
JSON_SUFFIXES = frozenset({".json", ".jsonc"})
TERRAFORM_SUFFIXES = frozenset({".tf", ".tfvars"})
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class _Parsed:
    path: Path
    display: str
    src: SourceFile
    doc: Any
    kind: str
    detail: str | None


@dataclass
class _Builder:
    """Collects inventory elements while files are processed."""

    automations: list[m.Automation] = field(default_factory=list)
    logic_apps: list[m.LogicApp] = field(default_factory=list)
    connections: list[m.Connection] = field(default_factory=list)
    role_assignments: list[m.RoleAssignment] = field(default_factory=list)
    role_definitions: list[m.RoleDefinition] = field(default_factory=list)
    policy_definitions: list[m.PolicyDefinition] = field(default_factory=list)
    policy_assignments: list[m.PolicyAssignment] = field(default_factory=list)
    files: list[m.FileRecord] = field(default_factory=list)
    problems: list[m.Problem] = field(default_factory=list)
    inline_suppressions: list[m.InlineSuppression] = field(default_factory=list)
    assessment_metadata: list[m.AssessmentMetadata] = field(default_factory=list)

    def inventory(self) -> m.Inventory:
        return m.Inventory(**self.__dict__)


def display_path(path: Path) -> str:
    """Path relative to the current directory when below it, always ``/``-separated."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    if rel.startswith(".." + os.sep) or rel == "..":
        rel = str(path)
    return rel.replace(os.sep, "/")


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file under ``paths`` (files given explicitly are always included), sorted, skipping VCS dirs."""
    for root in paths:
        if root.is_file() or not root.exists():
            yield root
            continue
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            found.extend(Path(dirpath) / f for f in filenames)
        yield from sorted(found)


def parameters_file_for(template: Path) -> Path | None:
    """The conventional parameters file beside a template (``x.parameters.json`` for ``x.json``)."""
    candidate = template.with_name(template.stem + ".parameters" + template.suffix)
    return candidate if candidate.is_file() else None


class ArmSource:
    """Builds an inventory from template, policy and exported-resource files."""

    def __init__(
        self,
        parameters: dict[str | None, Path] | None = None,
        exclude: list[str] | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
    ) -> None:
        # None key = applies to every template; other keys are template paths (resolved).
        self.parameters = parameters or {}
        self.exclude = exclude or []
        # The deployment target (--subscription/--resource-group): replaces the {subscriptionId} and
        # {resourceGroup} placeholders of scanned templates (not of policy-embedded ones, which deploy
        # wherever the policy is assigned).
        self.subscription = subscription
        self.resource_group = resource_group
        self._b = _Builder()
        self._policies: list[tuple[_Parsed, Cursor]] = []
        self._param_cache: dict[Path, dict[str, Any] | None] = {}

    # ------------------------------------------------------------ reading

    def _read(self, path: Path) -> _Parsed | None:
        display = display_path(path)
        try:
            if not path.exists():
                raise FileNotFoundError("no such file or directory")
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise OSError(f"file is {size} bytes, larger than the {MAX_FILE_BYTES} byte limit")
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._problem("unreadable", f"cannot read file: {reason}", display)
            self._b.files.append(m.FileRecord(path=display, kind="unreadable", detail=reason))
            return None
        try:
            text = decode(data)
        except DecodeError as exc:
            self._problem("unreadable", f"cannot decode file: {exc.message}", display)
            self._b.files.append(m.FileRecord(path=display, kind="unreadable", detail=exc.message))
            return None
        src = SourceFile(display, text)
        try:
            doc = loads(text, src=src)
        except JsonSyntaxError as exc:
            self._problem("invalid-json", str(exc), display, exc.line, exc.column)
            self._b.files.append(m.FileRecord(path=display, kind="invalid", detail=str(exc)))
            return None
        kind, detail = classify(doc)
        return _Parsed(path, display, src, doc, kind, detail)

    def _problem(
        self, code: str, message: str, file: str, line: int = 0, column: int = 0, path: str = ""
    ) -> None:
        self._b.problems.append(
            m.Problem(
                code=code,  # type: ignore[arg-type]
                message=message,
                origin=m.Origin(file=file, line=line, column=column, json_path=path),
            )
        )

    # ------------------------------------------------------------ live resources

    def add_body(self, body: dict[str, Any]) -> None:
        """A REST body read live from Azure (no file, no line): the same path as an exported body.

        Its elements' origins have ``file=None`` and the body's ARM id as ``resource``.
        """
        if isinstance(body, dict) and isinstance(body.get("type"), str):
            self._exported(Cursor(body, "", -1, Context(LIVE_SOURCE)))

    def include(self, inventory: m.Inventory) -> None:
        """Add the elements of another inventory (e.g. a live scan's) before :meth:`scan` finishes.

        Included policy assignments take part in evaluating the policy definitions of the scanned files.
        """
        for name, value in self._b.__dict__.items():
            other = getattr(inventory, name, None)
            if isinstance(value, list) and isinstance(other, list):
                value.extend(other)

    # ------------------------------------------------------------ driving

    def scan(self, paths: Iterable[Path]) -> m.Inventory:
        """Read, classify and evaluate every file under ``paths``."""
        for path in discover(paths):
            if self.exclude and _excluded(display_path(path), self.exclude):
                continue
            suffix = path.suffix.lower()
            if suffix in TERRAFORM_SUFFIXES and path.exists():
                self._terraform_file(path)
                continue
            if suffix not in JSON_SUFFIXES and path.exists():
                self._b.files.append(
                    m.FileRecord(path=display_path(path), kind="not-ours", detail=_skip_reason(path))
                )
                continue
            parsed = self._read(path)
            if parsed is None:
                continue
            if _looks_like_terraform_plan(parsed.doc):
                self._terraform_plan(parsed)
                continue
            self._b.files.append(m.FileRecord(path=parsed.display, kind=parsed.kind, detail=parsed.detail))  # type: ignore[arg-type]
            self._process(parsed)
        self._process_policies()
        return self._b.inventory()

    def _process(self, p: _Parsed) -> None:
        root = Cursor(p.doc, "", getattr(p.doc, "start", 0), Context(p.src))
        if p.kind == "template":
            self._template(p, root)
        elif p.kind == "policy-definition":
            self._policies.append((p, root))
        elif p.kind == "policy-assignment":
            self._b.policy_assignments.append(extract.policy_assignment(p.doc.get("name"), root))
        elif p.kind == "resource":
            self._resources(p, root)
        elif p.kind == "role-definition":
            self._b.role_definitions.append(extract.role_definition(p.doc.get("id"), root))

    # ------------------------------------------------------------ terraform

    def _terraform_file(self, path: Path) -> None:
        from auditor.sources.terraform import scan_terraform_file

        display = display_path(path)
        self._terraform_result(display, scan_terraform_file(path, display))

    def _terraform_plan(self, parsed: _Parsed) -> None:
        from auditor.sources.terraform import scan_terraform_plan

        self._terraform_result(parsed.display, scan_terraform_plan(parsed.doc, parsed.src), plan=True)

    def _terraform_result(self, display: str, result: Any, plan: bool = False) -> None:
        """Add what a Terraform file or plan contributes (elements, problems, its file record)."""
        if result.unreadable:
            self._problem("unreadable", result.unreadable, display)
            self._b.files.append(m.FileRecord(path=display, kind="unreadable", detail=result.unreadable))
            return
        kinds: dict[str, m.FileKind] = {
            "terraform": "terraform",
            "not-ours": "not-ours",
            "invalid": "invalid",
        }
        kind = kinds.get(result.kind, "invalid")
        detail = result.detail or ("Terraform plan" if plan else "Terraform configuration")
        self._b.files.append(m.FileRecord(path=display, kind=kind, detail=detail))
        for problem in result.problems:
            code = "invalid-json" if plan else "invalid-hcl"
            self._problem(code, problem.message, display, problem.line, problem.column)
        for problem in result.expression_problems:
            self._problem("invalid-expression", problem.message, display, problem.line, problem.column)
        self._b.automations.extend(result.automations)
        self._b.logic_apps.extend(result.logic_apps)
        self._b.connections.extend(result.connections)
        self._b.role_assignments.extend(result.role_assignments)
        self._b.policy_definitions.extend(result.policy_definitions)
        self._b.policy_assignments.extend(result.policy_assignments)

    # ------------------------------------------------------------ templates

    def _supplied_parameters(self, template: Path) -> dict[str, Any]:
        explicit = self.parameters.get(str(template.resolve()))
        if explicit is None:
            explicit = self.parameters.get(None)
        params_path = explicit or parameters_file_for(template)
        if params_path is None:
            return {}
        if params_path not in self._param_cache:
            self._param_cache[params_path] = self._load_parameters(params_path)
        return self._param_cache[params_path] or {}

    def _load_parameters(self, path: Path) -> dict[str, Any] | None:
        try:
            doc = loads(decode(path.read_bytes()), src=None)
        except (OSError, DecodeError, JsonSyntaxError):
            return None  # reported when the file itself is scanned, or by the CLI for --parameters
        params = doc.get("parameters") if isinstance(doc, dict) else None
        if not isinstance(params, dict):
            return None
        out: dict[str, Any] = {}
        for name, spec in params.items():
            if isinstance(spec, dict) and "value" in spec:
                out[name] = spec["value"]
            elif isinstance(spec, dict) and "reference" in spec:
                out[name] = Unknown(f"parameter '{name}' is a Key Vault secret reference")
        return out

    def _template(self, p: _Parsed, root: Cursor) -> None:
        scope = Scope(level=scope_level_from_schema(p.doc.get("$schema")))
        if self.subscription:
            scope.subscription_id = self.subscription
        if self.resource_group:
            scope.resource_group = self.resource_group
        evaluator = TemplateEvaluator(p.doc, root, supplied=self._supplied_parameters(p.path), scope=scope)
        first = len(self._b.role_assignments)
        self._collect(evaluator.resources(), evaluator.problems)
        self._follow_outputs(first, evaluator.outputs)

    def _follow_outputs(self, first: int, outputs: dict[str, Any]) -> None:
        """Link role assignments whose principal is a nested deployment's output
        (``reference('<deployment>').outputs.x.value``) that is a managed identity's principalId."""
        assignments = self._b.role_assignments
        for i in range(first, len(assignments)):
            ra = assignments[i]
            if ra.principal_of is None:
                owner = extract.identity_owner(_through_outputs(ra.principal_id, outputs))
                if owner is not None:
                    assignments[i] = ra.model_copy(update={"principal_of": owner})

    def _collect(self, resources: Iterable[EvaluatedResource], problems: list[ExpressionProblem]) -> None:
        for res in resources:
            self._dispatch(res)
        for problem in problems:
            line, column = problem.src.index.position(problem.offset())
            self._problem(
                "invalid-expression",
                f"invalid ARM expression {problem.expression!r}: {problem.message}",
                problem.src.path,
                line,
                column,
                problem.fallback.path,
            )
        problems.clear()

    def _dispatch(self, res: EvaluatedResource, from_policy: str | None = None) -> None:
        type_ = res.type.lower() if isinstance(res.type, str) else ""
        cur = res.cursor
        self._inline_suppression(cur)
        if type_ == "microsoft.security/automations":
            self._b.automations.append(
                extract.automation(res.id, res.name, cur.value_at("apiVersion"), cur, from_policy)
            )
        elif type_ == "microsoft.logic/workflows":
            self._b.logic_apps.append(extract.logic_app(res.id, res.name, cur))
        elif type_ == "microsoft.web/connections":
            self._b.connections.append(extract.connection(res.id, res.name, cur))
        elif type_ == "microsoft.authorization/roleassignments":
            self._b.role_assignments.append(extract.role_assignment(res.id, cur, _deployment_scope(res)))
        elif type_ == "microsoft.authorization/roledefinitions":
            self._b.role_definitions.append(extract.role_definition(res.id, cur))
        elif type_ == "microsoft.security/assessmentmetadata":
            metadata = extract.assessment_metadata(res.name, cur)
            if metadata is not None:
                self._b.assessment_metadata.append(metadata)
        elif type_ == "microsoft.authorization/policyassignments":
            self._b.policy_assignments.append(
                extract.policy_assignment(res.name, cur, res.id, _deployment_scope(res))
            )
        elif type_ == "microsoft.authorization/policydefinitions":
            self._policies.append(
                (
                    _Parsed(
                        Path(cur.ctx.src.path),
                        cur.ctx.src.path,
                        cur.ctx.src,
                        cur.value,
                        "policy-definition",
                        None,
                    ),
                    cur,
                )
            )

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
        self._b.inline_suppressions.append(
            m.InlineSuppression(
                rules=tuple(str(r).strip().upper() for r in rules if isinstance(r, str)),
                reason=reason if isinstance(reason, str) and reason.strip() else None,
                origin=block.origin().model_copy(update={"json_path": cur.path}),
            )
        )

    # ------------------------------------------------------------ exported resources

    def _resources(self, p: _Parsed, root: Cursor) -> None:
        doc = p.doc
        if isinstance(doc, dict) and isinstance(doc.get("definition"), dict):
            name = doc.get("name") if isinstance(doc.get("name"), str) else p.path.stem
            ctx = Context(p.src, resource=f"Microsoft.Logic/workflows/{name}")
            cur = root.with_context(ctx)
            self._b.logic_apps.append(extract.logic_app(doc.get("id", name), name, cur, props=cur))
            return
        for body in _resource_bodies(root):
            self._exported(body)

    def _exported(self, cur: Cursor) -> None:
        body = cur.value
        type_ = body.get("type")
        name = body.get("name")
        res_id = body.get("id")
        if not isinstance(res_id, str):
            res_id = build_resource_id(Scope(), type_, name) if isinstance(name, str) else Unknown("no id")
        display = res_id if isinstance(res_id, str) else f"{type_}/{name}"
        ctx = Context(cur.ctx.src, resource=display)
        res = EvaluatedResource(type_, name, res_id, display, cur.with_context(ctx), None, None)
        self._dispatch(res)

    # ------------------------------------------------------------ policies

    def _process_policies(self) -> None:
        assignments: dict[str, list[m.PolicyAssignment]] = {}
        for a in self._b.policy_assignments:
            if isinstance(a.policy_definition_id, str):
                assignments.setdefault(
                    a.policy_definition_id.rstrip("/").rsplit("/", 1)[-1].lower(), []
                ).append(a)
        for parsed, root in self._policies:
            self._policy(parsed, root, assignments)

    def _policy(self, p: _Parsed, root: Cursor, assignments: dict[str, list[m.PolicyAssignment]]) -> None:
        props = root.get("properties") if isinstance(root.value.get("properties"), dict) else root
        assert props is not None
        name = root.value.get("name")
        if not isinstance(name, str):
            name = props.value_at("displayName") or p.path.stem
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
        self._b.policy_definitions.append(
            m.PolicyDefinition(
                name=name,
                display_name=props.value_at("displayName"),
                effect=effect,
                details_type=details_type,
                deploys_automation=deploys,
                existence_condition=existence.value if existence else None,
                has_existence_condition=existence is not None,
                role_definition_ids=details.value_at("roleDefinitionIds") if details else None,
                parameters=dict(params_decl) if isinstance(params_decl, dict) else {},
                origin=root.origin(),
                effect_origin=effect_cur.origin() if effect_cur else None,
            )
        )
        deployment = details.get("deployment") if details else None
        if deployment is None or details is None:
            return
        self._policy_deployment(name, deployment, params_decl, props, details, {}, f"policy '{name}'")
        aliases = {str(name).lower(), p.path.stem.lower()}
        if isinstance(props.value_at("displayName"), str):
            aliases.add(props.value_at("displayName").lower())
        matched = {id(a): a for alias in aliases for a in assignments.get(alias, [])}
        for a in matched.values():
            label = f"policy '{name}' as assigned by '{a.name}'"
            self._policy_deployment(name, deployment, params_decl, props, details, a.parameters, label)

    def _policy_deployment(
        self,
        name: str,
        deployment: Cursor,
        params_decl: Any,
        props: Cursor,
        details: Cursor,
        supplied: dict[str, Any],
        label: str,
    ) -> None:
        resources, problems = policy.evaluate_deployment(deployment, params_decl, props, supplied, label)
        for res in resources:
            self._dispatch(res, from_policy=name)
        self._collect([], problems)


def _through_outputs(value: Any, outputs: dict[str, Any]) -> Any:
    """What ``reference('<deployment>'[, api, 'full']).[properties.]outputs.<x>.value`` evaluates to,
    when that nested deployment's outputs were recorded (None otherwise)."""
    if not isinstance(value, ResourceReference) or not isinstance(value.target, str):
        return None
    path = [p.lower() for p in value.path]
    if path[:1] == ["properties"]:
        path = path[1:]
    if len(path) < 3 or path[0] != "outputs" or path[2] != "value":
        return None
    target = value.target.strip().rstrip("/")
    if "/" in target and "/microsoft.resources/deployments/" not in target.lower():
        return None
    recorded = outputs.get(target.rsplit("/", 1)[-1].lower())
    return recorded.get(path[1]) if isinstance(recorded, dict) else None


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


def _looks_like_terraform_plan(doc: Any) -> bool:
    """``terraform show -json`` output (checked before the ARM classifier, which would skip it)."""
    if not isinstance(doc, dict) or "format_version" not in doc:
        return False  # cheap test first: the Terraform package is imported only for plans
    from auditor.sources.terraform import is_terraform_plan

    return is_terraform_plan(doc)


def _excluded(display: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(display, p) for p in patterns)


def _skip_reason(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".bicep":
        return "Bicep source: compile it with 'az bicep build' and scan the JSON"
    return "not a JSON file"


def is_unknown_value(value: Any) -> bool:
    """Re-export for callers that only import the loader."""
    return is_unknown(value)
