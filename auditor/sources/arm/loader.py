"""The ARM source: template, policy, assignment and exported-resource JSON files → the inventory.

The dispatcher reads each JSON file once (:mod:`auditor.sources.core.reading`);
this source classifies it by content, evaluates templates (with their
parameters file), keeps policy definitions for the end (where the builder
evaluates them with each assignment's values) and reads assignments, exported
resources and role definitions as they are. Every problem is a value on the
inventory (invalid expression, a parameters file that cannot be used); the SRC
checks turn them into findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.budget import Budget, use
from auditor.files import display_path
from auditor.sources.arm.classify import classify
from auditor.sources.core import extract
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.cursor import Cursor
from auditor.sources.core.evaluation.template import Scope, TemplateEvaluator, scope_level_from_schema
from auditor.sources.core.outputs import follow_outputs
from auditor.sources.core.parameters import ParametersProblem, read_parameters
from auditor.sources.core.reading import ParsedJson

JSON_SUFFIXES = frozenset({".json", ".jsonc"})


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
    """ARM JSON documents: the source every JSON file goes to unless another source claims it."""

    text_suffixes: frozenset[str] = frozenset()

    def __init__(
        self,
        parameters: dict[str | None, Path] | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        roots: tuple[Path, ...] | None = None,
    ) -> None:
        # None key = applies to every template; other keys are template paths (resolved).
        self.parameters = parameters or {}
        # The deployment target (--subscription/--resource-group): replaces the {subscriptionId} and
        # {resourceGroup} placeholders of scanned templates (not of policy-embedded ones, which deploy
        # wherever the policy is assigned).
        self.subscription = subscription
        self.resource_group = resource_group
        # The resolved scanned folders: a parameters file found beside a template must lie inside them.
        self.roots = roots
        self._param_cache: dict[Path, dict[str, Any] | None] = {}
        self.parameter_problems: dict[str, ParametersProblem] = {}

    def claims_document(self, doc: object) -> bool:
        """Every JSON document (classification says later what it is, or that it is not ours)."""
        return True

    def add_file(self, path: Path, display: str, builder: InventoryBuilder) -> None:  # pragma: no cover
        raise NotImplementedError("the ARM source reads JSON documents only")

    def add_document(self, parsed: ParsedJson, builder: InventoryBuilder) -> None:
        """A JSON document: classified by content, then evaluated (template), kept for the end (policy
        definition) or read as it is (assignment, exported resource, role definition)."""
        with builder.unit(parsed.display):
            self._add_document(parsed, builder)

    def _add_document(self, parsed: ParsedJson, builder: InventoryBuilder) -> None:
        kind, detail = classify(parsed.doc)
        builder.file(parsed.display, kind, detail)  # type: ignore[arg-type]
        root = parsed.root()
        doc = parsed.doc
        if kind == "template":
            self._template(parsed, root, builder)
        elif kind == "policy-definition":
            builder.add_policy_definition(parsed.path.stem, parsed.src, root)
        elif kind == "policy-assignment":
            builder.policy_assignments.append(extract.policy_assignment(doc.get("name"), root))
        elif kind == "resource":
            builder.add_resource_document(root, parsed.path.stem)
        elif kind == "role-definition":
            builder.role_definitions.append(extract.role_definition(doc.get("id"), root))
        builder.problems.extend(parsed.src.take_problems())  # wrong JSON types, depth cuts

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
            roots = None if explicit else self.roots
            self._param_cache[params_path] = self._load_parameters(params_path, roots)
        return self._param_cache[params_path] or {}

    def _load_parameters(self, path: Path, roots: tuple[Path, ...] | None = None) -> dict[str, Any] | None:
        """The values of a parameters file; what is wrong with it is kept for :meth:`finish` to report."""
        values, problem = read_parameters(path, roots)
        if problem is not None:
            self.parameter_problems.setdefault(display_path(path), problem)
        return values

    def finish(self, builder: InventoryBuilder) -> None:
        """A parameters file used for a template that could not be used is a finding on that file, once:
        not again when the file was scanned itself and already reported."""
        reported = {(p.origin.file, p.code) for p in builder.problems}
        for display, problem in self.parameter_problems.items():
            if (display, problem.code) in reported or (
                problem.code != "invalid-template-shape"
                and {(display, "unreadable"), (display, "invalid-json")} & reported
            ):
                continue
            builder.problem(problem.code, problem.message, display, problem.line, problem.column)

    def _template(self, p: ParsedJson, root: Cursor, builder: InventoryBuilder) -> None:
        scope = Scope(level=scope_level_from_schema(p.doc.get("$schema")))
        if self.subscription:
            scope.subscription_id = self.subscription
        if self.resource_group:
            scope.resource_group = self.resource_group
        supplied = self._supplied_parameters(p.path)
        with use(Budget()) as budget:  # one per file: nested deployments and copies share it
            evaluator = TemplateEvaluator(p.doc, root, supplied=supplied, scope=scope, budget=budget)
            first = len(builder.role_assignments)
            for res in evaluator.resources():
                builder.add_resource(res)
            builder.add_problems(evaluator.problems)
        follow_outputs(builder.role_assignments, first, evaluator.outputs)
