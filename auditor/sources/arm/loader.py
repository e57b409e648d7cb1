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
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import model as m
from auditor.budget import Budget, use
from auditor.files import file_kind, is_within, read_regular, resolved_roots
from auditor.sources.arm.classify import classify
from auditor.sources.core import extract, policy
from auditor.sources.core.cursor import LIVE_SOURCE, Context, Cursor, SourceFile
from auditor.sources.core.evaluation.template import (
    PLACEHOLDER_RESOURCE_GROUP,
    PLACEHOLDER_SUBSCRIPTION,
    EvaluatedResource,
    ExpressionProblem,
    Scope,
    TemplateEvaluator,
    build_resource_id,
    scope_level_from_schema,
)
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, LineIndex, PDict, decode, loads
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


def discover(paths: Iterable[Path], on_error: Callable[[OSError], None] | None = None) -> Iterator[Path]:
    """Every file under ``paths`` (anything given explicitly that is not a folder is yielded as it is, so
    a FIFO or a device named on the command line is reported, not silently walked), sorted, skipping VCS
    dirs. A link to a folder is yielded, not walked (a link out of the scanned roots is then reported);
    ``on_error`` hears of folders that could not be listed."""
    for root in paths:
        try:
            is_dir = root.is_dir()
        except OSError:  # e.g. a name too long: reported when it is read
            is_dir = False
        if not is_dir:
            yield root
            continue
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
            kept = []
            for d in sorted(dirnames):
                if d in SKIP_DIRS:
                    continue
                if os.path.islink(os.path.join(dirpath, d)):
                    found.append(Path(dirpath) / d)  # os.walk does not follow it; scan() decides
                else:
                    kept.append(d)
            dirnames[:] = kept
            found.extend(Path(dirpath) / f for f in filenames)
        yield from sorted(found)


def parameters_file_for(template: Path) -> Path | None:
    """The conventional parameters file beside a template (``x.parameters.json`` for ``x.json``).

    A name the file system cannot hold (``ENAMETOOLONG``: the template's own name is near the limit) or a
    folder that cannot be searched means there is no such file to use.
    """
    try:
        candidate = template.with_name(template.stem + ".parameters" + template.suffix)
        return candidate if candidate.is_file() else None
    except (OSError, ValueError):
        return None


class ArmSource:
    """Builds an inventory from template, policy and exported-resource files."""

    # Set by scan(): the resolved folders files may be read from (None: anywhere, for direct _read use),
    # how many discovered files the exclude patterns dropped, and what was wrong with parameters files.
    _roots: tuple[Path, ...] | None = None
    excluded: int = 0

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
            data = read_regular(path, max_bytes=MAX_FILE_BYTES, roots=self._roots)
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
        """Read, classify and evaluate every file under ``paths``.

        Only regular files inside the scanned roots are read (:mod:`auditor.files`): a link out of
        them, a FIFO, a device or a folder that cannot be listed is an SRC001 problem, never a hang or a
        silent gap. Files dropped by ``exclude`` are counted in :attr:`excluded`.
        """
        paths = list(paths)
        self._roots = resolved_roots(paths)
        self._param_problems: dict[str, ParametersProblem] = {}
        self.excluded = 0
        explicit = set(paths)
        for path in discover(paths, on_error=self._unlistable):
            display = display_path(path)
            if self.exclude and _excluded(display, self.exclude):
                self.excluded += 1
                continue
            suffix = path.suffix.lower()
            refusal = _refusal(path, self._roots, path in explicit or suffix in _READ_SUFFIXES)
            if refusal == "skip":
                continue
            if refusal is not None:
                self._problem("unreadable", f"cannot read file: {refusal}", display)
                self._b.files.append(m.FileRecord(path=display, kind="unreadable", detail=refusal))
                continue
            if suffix in TERRAFORM_SUFFIXES:
                self._terraform_file(path)
                continue
            if suffix not in JSON_SUFFIXES:
                self._b.files.append(m.FileRecord(path=display, kind="not-ours", detail=_skip_reason(path)))
                continue
            parsed = self._read(path)
            if parsed is None:
                continue
            if _looks_like_terraform_plan(parsed.doc):
                self._terraform_plan(parsed)
                continue
            self._b.files.append(m.FileRecord(path=parsed.display, kind=parsed.kind, detail=parsed.detail))  # type: ignore[arg-type]
            self._process(parsed)
            self._b.problems.extend(parsed.src.take_problems())  # wrong JSON types, depth cuts
        self._process_policies()
        for parsed, _root in self._policies:
            self._b.problems.extend(parsed.src.take_problems())
        self._report_parameter_problems()
        return self._b.inventory()

    def _unlistable(self, exc: OSError) -> None:
        """A folder os.walk could not list: nothing in it was checked."""
        display = display_path(Path(exc.filename)) if exc.filename else "?"
        reason = exc.strerror or str(exc)
        self._problem("unreadable", f"cannot list folder: {reason}", display)
        self._b.files.append(m.FileRecord(path=display, kind="unreadable", detail=reason))

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
        self._terraform_result(display, scan_terraform_file(path, display, roots=self._roots))

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
        for code, problem in result.coded_problems:
            self._problem(code, problem.message, display, problem.line, problem.column)
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
            # one given explicitly (command line, configuration) was checked by the CLI; one found beside
            # the template is untrusted like the template: it must lie inside the scanned roots
            roots = None if explicit else self._roots
            self._param_cache[params_path] = self._load_parameters(params_path, roots)
        return self._param_cache[params_path] or {}

    def _load_parameters(self, path: Path, roots: tuple[Path, ...] | None = None) -> dict[str, Any] | None:
        """The values of a parameters file; what is wrong with it is kept for :meth:`scan` to report."""
        values, problem = read_parameters(path, roots)
        if problem is not None:
            self._param_problems.setdefault(display_path(path), problem)
        return values

    def _report_parameter_problems(self) -> None:
        """A parameters file used for a template that could not be used is a finding on that file, once:
        not again when the file was scanned itself and already reported."""
        reported = {(p.origin.file, p.code) for p in self._b.problems}
        for display, problem in self._param_problems.items():
            if (display, problem.code) in reported or (
                problem.code != "invalid-template-shape"
                and {(display, "unreadable"), (display, "invalid-json")} & reported
            ):
                continue
            self._problem(problem.code, problem.message, display, problem.line, problem.column)

    def _template(self, p: _Parsed, root: Cursor) -> None:
        scope = Scope(level=scope_level_from_schema(p.doc.get("$schema")))
        if self.subscription:
            scope.subscription_id = self.subscription
        if self.resource_group:
            scope.resource_group = self.resource_group
        supplied = self._supplied_parameters(p.path)
        with use(Budget()) as budget:  # one per file: nested deployments and copies share it
            evaluator = TemplateEvaluator(p.doc, root, supplied=supplied, scope=scope, budget=budget)
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
        """Dispatch the evaluated resources, then turn what evaluating met into problems
        (``invalid-expression``: SRC004, ``evaluation-limit``: SRC005)."""
        for res in resources:
            self._dispatch(res)
        for problem in problems:
            line, column = problem.src.index.position(max(problem.offset(), 0))
            self._problem(problem.code, problem.text(), problem.src.path, line, column, problem.fallback.path)
        problems.clear()

    def _dispatch(self, res: EvaluatedResource, from_policy: str | None = None) -> None:
        type_ = res.type.lower() if isinstance(res.type, str) else ""
        cur = res.cursor
        self._inline_suppression(cur)
        if type_ in _READ_TYPES:
            res = _checked_top_level(res)
        if type_ == "microsoft.security/automations":
            self._b.automations.append(
                extract.automation(res.id, res.name, _api_version(cur), cur, from_policy)
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
        elif type_ == "microsoft.authorization/policydefinitions" and isinstance(cur.value, dict):
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
        # what reading the body found wrong (wrong JSON types, nesting cut at the walk-depth limit)
        self._b.problems.extend(cur.ctx.src.take_problems())

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
        if not isinstance(body, dict):
            return
        if cur.ctx.src is LIVE_SOURCE:
            # each live body gets its own problem list: live reads may run side by side
            cur = cur.with_context(Context(SourceFile("", "")))
        type_ = body.get("type")
        if not isinstance(type_, str):
            at = cur.get("type") or cur
            extract.wrong_type(at, "the resource's 'type'", "a string")
            self._b.problems.extend(cur.ctx.src.take_problems())
            return
        name: Any = body.get("name")  # any JSON type: _dispatch reports one that is not text
        res_id = body.get("id")
        if res_id is not None and not isinstance(res_id, str):
            res_id = extract.checked_text(res_id, cur.get("id"), "the resource's 'id'")
        if not isinstance(res_id, str):
            res_id = build_resource_id(Scope(), type_, name) if isinstance(name, str) else Unknown("no id")
        display = res_id if isinstance(res_id, str) else f"{type_}/{name if isinstance(name, str) else '?'}"
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
        """A policy definition, evaluated with its own budget (its defaults and every assignment
        that evaluates its deployment again pay from the same one)."""
        with use(Budget()):
            self._policy_evaluated(p, root, assignments)

    def _policy_evaluated(
        self, p: _Parsed, root: Cursor, assignments: dict[str, list[m.PolicyAssignment]]
    ) -> None:
        props = root.get("properties") if isinstance(root.value.get("properties"), dict) else root
        assert props is not None
        name = root.value.get("name")
        if not isinstance(name, str):
            display = props.value_at("displayName")  # any JSON type: no truth test, no list as a name
            name = display if isinstance(display, str) and display else p.path.stem
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


_READ_SUFFIXES = JSON_SUFFIXES | TERRAFORM_SUFFIXES


def _refusal(path: Path, roots: tuple[Path, ...], would_read: bool) -> str | None:
    """Why a discovered ``path`` is not read (None: go on; ``"skip"``: nothing to say).

    ``would_read``: it was named explicitly or has a suffix auditor reads; other files are never opened,
    so they are only recorded as not ours (a FIFO named ``notes.txt`` is harmless).
    """
    try:
        st = path.stat()
    except OSError as exc:  # a broken link, a name too long, a link loop
        return exc.strerror or str(exc)
    if not would_read and not stat.S_ISDIR(st.st_mode):
        return None
    try:
        real = Path(os.path.realpath(path, strict=True))
    except (OSError, RuntimeError, ValueError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    if not is_within(real, roots):
        return "symbolic link to a path outside the scanned paths: not followed"
    if stat.S_ISDIR(st.st_mode):  # a link to a folder inside the roots: its files are scanned where they are
        return "skip"
    if not stat.S_ISREG(st.st_mode):
        return f"{file_kind(st.st_mode)}, not a regular file: not read"
    return None


@dataclass(frozen=True)
class ParametersProblem:
    """Why a parameters file cannot be used (``code`` is a :data:`auditor.model.ProblemCode`)."""

    code: str
    message: str
    line: int = 0
    column: int = 0


def read_parameters(
    path: Path, roots: tuple[Path, ...] | None = None
) -> tuple[dict[str, Any] | None, ParametersProblem | None]:
    """A parameters file's values (``{name: value}``; a Key Vault reference becomes Unknown) and what is
    wrong with it. ``roots``: the file must lie inside them (see :func:`auditor.files.read_regular`).

    The values are None when the file cannot be read or parsed or is not a parameters document; entries of
    the wrong shape are left out (the template's defaults apply) and reported.
    """
    try:
        text = decode(read_regular(path, max_bytes=MAX_FILE_BYTES, roots=roots))
    except OSError as exc:
        return None, ParametersProblem("unreadable", f"cannot read parameters file: {exc.strerror or exc}")
    except DecodeError as exc:
        return None, ParametersProblem("unreadable", f"cannot decode parameters file: {exc.message}")
    try:
        doc = loads(text, src=None)
    except JsonSyntaxError as exc:
        return None, ParametersProblem("invalid-json", str(exc), exc.line, exc.column)
    index = LineIndex(text)

    def at(offset: int, message: str) -> ParametersProblem:
        line, column = index.position(offset) if 0 <= offset <= len(text) else (0, 0)
        return ParametersProblem("invalid-template-shape", message, line, column)

    if not isinstance(doc, dict):
        start = getattr(doc, "start", 0)
        return None, at(start, f"a parameters file must be a JSON object, not {extract.json_kind(doc)}")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        offset = doc.key_pos.get("parameters", doc.start) if isinstance(doc, PDict) else 0
        what = (
            "has no 'parameters' object" if params is None else f"'parameters' is {extract.json_kind(params)}"
        )
        return None, at(offset, f"not a parameters file: {what}, so none of its values were used")
    out: dict[str, Any] = {}
    problem: ParametersProblem | None = None
    for name, spec in params.items():
        if isinstance(spec, dict) and "value" in spec:
            out[name] = spec["value"]
        elif isinstance(spec, dict) and "reference" in spec:
            out[name] = Unknown(f"parameter '{name}' is a Key Vault secret reference")
        elif problem is None:
            offset = params.key_pos.get(name, params.start) if isinstance(params, PDict) else 0
            shown = name if len(name) <= 80 else name[:80] + "…"
            what = (
                "has neither 'value' nor 'reference'"
                if isinstance(spec, dict)
                else f"is {extract.json_kind(spec)}, not an object with 'value' or 'reference'"
            )
            problem = at(offset, f"parameter '{shown}' {what}: not used (the template's default applies)")
    return out, problem


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
    return EvaluatedResource(
        res.type,
        name,
        res.id,
        res.display,
        cur,
        res.scope_subscription,
        res.scope_resource_group,
        res.scope_level,
    )


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
