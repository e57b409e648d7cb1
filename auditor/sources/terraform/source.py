"""The Terraform source: ``.tf``/``.tfvars`` configurations and ``terraform show -json`` plans.

A configuration is read and evaluated by :mod:`auditor.sources.terraform`
(HCL); a plan is a JSON document the dispatcher read once and this source
claims by its content. What either contributes goes to the shared builder.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from auditor import model as m
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.reading import ParsedJson

TERRAFORM_SUFFIXES = frozenset({".tf", ".tfvars"})


class TerraformSource:
    """Terraform configurations (by suffix) and plans (by content)."""

    text_suffixes = TERRAFORM_SUFFIXES

    def __init__(self, roots: tuple[Path, ...] | None = None) -> None:
        #: ``file()``/``templatefile()`` read only inside these resolved folders
        self.roots = roots

    def claims_document(self, doc: object) -> bool:
        """``terraform show -json`` output (asked before the ARM source, which would skip it)."""
        if not isinstance(doc, dict) or "format_version" not in doc:
            return False  # cheap test first: the HCL reader is imported only for plans
        from auditor.sources.terraform import is_terraform_plan

        return is_terraform_plan(doc)

    def add_file(self, path: Path, display: str, builder: InventoryBuilder) -> None:
        from auditor.sources.terraform import scan_terraform_file

        # a root module is one deployment: every file of the folder belongs to it
        with builder.unit(posixpath.dirname(display.replace("\\", "/")) or "."):
            _contribute(builder, display, scan_terraform_file(path, display, roots=self.roots))

    def add_document(self, parsed: ParsedJson, builder: InventoryBuilder) -> None:
        from auditor.sources.terraform import scan_terraform_plan

        with builder.unit(parsed.display):
            _contribute(builder, parsed.display, scan_terraform_plan(parsed.doc, parsed.src), plan=True)

    def finish(self, builder: InventoryBuilder) -> None:
        """Nothing is left: every file was complete when it was added."""


def _contribute(builder: InventoryBuilder, display: str, result: Any, plan: bool = False) -> None:
    """Add what a Terraform file or plan contributes (elements, problems, its file record)."""
    if result.unreadable:
        builder.problem("unreadable", result.unreadable, display)
        builder.files.append(m.FileRecord(path=display, kind="unreadable", detail=result.unreadable))
        return
    kinds: dict[str, m.FileKind] = {
        "terraform": "terraform",
        "not-ours": "not-ours",
        "invalid": "invalid",
    }
    kind = kinds.get(result.kind, "invalid")
    detail = result.detail or ("Terraform plan" if plan else "Terraform configuration")
    builder.file(display, kind, detail)
    for problem in result.problems:
        code = "invalid-json" if plan else "invalid-hcl"
        builder.problem(code, problem.message, display, problem.line, problem.column)
    for problem in result.expression_problems:
        builder.problem("invalid-expression", problem.message, display, problem.line, problem.column)
    for code, problem in result.coded_problems:
        builder.problem(code, problem.message, display, problem.line, problem.column)
    builder.automations.extend(result.automations)
    builder.logic_apps.extend(result.logic_apps)
    builder.connections.extend(result.connections)
    builder.role_assignments.extend(result.role_assignments)
    builder.policy_definitions.extend(result.policy_definitions)
    builder.policy_assignments.extend(result.policy_assignments)
    builder.template_parameters.extend(result.template_parameters)
