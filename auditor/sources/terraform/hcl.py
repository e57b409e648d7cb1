"""Terraform configurations (``.tf`` + ``.tfvars``) → resource instances, evaluated statically.

A module is a directory: its ``.tf`` files are parsed together (python-hcl2's
Lark grammar, which keeps every node's offset), so ``var.x`` declared in
``variables.tf`` and a trigger declared in ``triggers.tf`` are seen from
``main.tf``. Expressions are evaluated as Terraform would at plan time, as far
as a static reader can:

* literals, strings with ``${}`` interpolation, heredocs, operators,
  conditionals, ``for`` expressions, splats, and the common functions
  (``jsonencode``, ``jsondecode``, ``format``, ``merge``, ``lookup``,
  ``try``, ``file``/``templatefile`` of files beside the module, …);
* ``var.x``: ``-var-file`` files given, else ``*.auto.tfvars``/``terraform.tfvars``,
  else the default; in a child module (a directory below a ``modules``
  folder) variables are set by the caller, so they are Unknown;
* ``local.x``, other resources' configured attributes, ``count``/``for_each``
  (each instance separately when the collection is known);
* ``<resource>.id`` of the resource types auditor links (Logic Apps,
  connections, automations, resource groups, …) → a synthetic id with the
  ARM evaluator's placeholders; ``azurerm_logic_app_trigger_*.callback_url``
  → a :class:`~auditor.unknown.CallbackUrl` naming the trigger.

Everything else (computed attributes, data sources, module outputs,
functions not implemented, template directives) is an
:class:`~auditor.unknown.Unknown` with a reason, never a guess.

Every module is evaluated within one :class:`~auditor.budget.Budget` (parse,
evaluation and mapping together): each node and function call is a step, no
string, list or map grows past the value-size limit (``"${local.a}${local.a}"``
doubled through locals, ``join``, ``format("%999999999d")``, ``range``,
``concat``, …), ``count``/``for_each``/``dynamic`` instances add up to the
copy budget, expressions and blocks nest no deeper than the walk-depth limit,
and the module's wall clock is checked while Lark parses (an HCL file over
:data:`MAX_HCL_BYTES` is not parsed at all: SRC001). What exceeds a budget is
an Unknown plus one ``evaluation-limit`` problem (SRC005) at the expression
that asked. A cycle between locals or resource attributes is an Unknown plus
an ``invalid-hcl`` problem (SRC002: Terraform rejects the configuration).

Functions that read files (``file``, ``templatefile``, ``filebase64``,
``fileexists``, ``filemd5``/``filesha*``) read only regular files inside the
scanned folder the module was found under (:func:`_guarded_path`): an absolute
path or ``..`` out of it, a link out of it, a device or a FIFO is an Unknown
saying why, and nothing of such a file is ever opened.

JSON written in HCL (``jsonencode({...})``, heredocs) keeps its positions:
objects built from HCL literals remember where each key was, and a heredoc is
parsed at its place in the file (interpolations are substituted and the
offsets mapped back), so a trigger inside a custom trigger's ``body`` gets its
own line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from auditor.sources.terraform.config import load_file
from auditor.sources.terraform.module import Module, sibling_display
from auditor.sources.terraform.result import TerraformProblem, TerraformResult

#: Modules kept parsed, the most recently used: the files of one folder are scanned one after another
#: (files of its subfolders may come between), and each module holds its files' parse trees, so the
#: cache is small, or a tenant-sized repository keeps 64 modules' trees alive (issue 14).
MAX_CACHED_MODULES = 8
_TERRAFORM_BLOCKS = frozenset(
    {
        "resource",
        "data",
        "module",
        "variable",
        "locals",
        "output",
        "provider",
        "terraform",
        "moved",
        "import",
        "check",
        "removed",
    }
)


# ---------------------------------------------------------------- entry point and cache

_CACHE: dict[tuple[Any, ...], tuple[tuple[Any, ...], Module]] = {}


def _signature(directory: Path, var_files: tuple[Path, ...]) -> tuple[Any, ...]:
    entries: list[Any] = []
    try:
        paths = sorted(p for p in directory.iterdir() if p.name.endswith((".tf", ".tfvars", ".tfvars.json")))
    except OSError:
        paths = []
    for p in [*paths, *var_files]:
        try:
            stat = p.stat()
        except OSError:
            entries.append((str(p), None))
            continue
        entries.append((str(p), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _module_for(
    path: Path, display: str, var_files: tuple[Path, ...], roots: tuple[Path, ...] | None = None
) -> Module:
    directory = path.parent
    resolved = directory.resolve()
    display_head = sibling_display(display, "")
    key = (str(resolved), display_head, tuple(str(v.resolve()) for v in var_files), roots)
    signature = _signature(directory, var_files)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == signature:
        _CACHE[key] = _CACHE.pop(key)  # the most recently used is evicted last
        return cached[1]

    def display_of(p: Path) -> str:
        try:
            if p.parent.resolve() == resolved:
                return f"{display_head}{p.name}"
        except OSError:
            pass
        return str(p).replace(os.sep, "/")

    module = Module(directory, display_of, var_files, roots=roots)
    if len(_CACHE) >= MAX_CACHED_MODULES:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (signature, module)
    return module


def scan_file(
    path: Path, display: str, var_files: tuple[Path, ...] = (), roots: tuple[Path, ...] | None = None
) -> TerraformResult:
    """See :func:`auditor.sources.terraform.scan_terraform_file`."""
    try:
        import hcl2  # noqa: F401
    except ImportError:
        return TerraformResult(
            kind="unreadable",
            unreadable="python-hcl2 is not installed (pip install python-hcl2) to read Terraform",
        )
    if not path.is_file():
        return TerraformResult(kind="unreadable", unreadable="cannot read file: no such file or directory")
    module = _module_for(path, display, var_files, roots)
    resolved = path.resolve()
    file = next((f for f in [*module.files, *module.var_files] if f.path.resolve() == resolved), None)
    if file is None:  # a .tfvars that only -var-file would load: check its syntax
        file = load_file(path, display)
    if file.unreadable is not None:
        return TerraformResult(kind="unreadable", unreadable=file.unreadable)
    problems = list(module.problems.get(id(file.src), file.problems))
    if file.tree is None:
        return TerraformResult(kind="invalid", problems=problems)
    found = module.results.get(id(file.src))
    detail = None
    if path.suffix != ".tf":
        detail = "Terraform variable values"
    elif module.is_child:
        detail = f"Terraform child module: its variables are set by the caller of '{module.display_dir}'"
    result = TerraformResult(kind="terraform", detail=detail, problems=problems)
    if path.suffix == ".tf" and not any(b.type in _TERRAFORM_BLOCKS for b in file.blocks):
        result.kind = "not-ours"
        result.detail = "HCL without Terraform blocks"
    if found is not None:
        result.automations = list(found.automations)
        result.logic_apps = list(found.logic_apps)
        result.connections = list(found.connections)
        result.role_assignments = list(found.role_assignments)
        result.policy_definitions = list(found.policy_definitions)
        result.policy_assignments = list(found.policy_assignments)
        result.template_parameters = list(found.template_parameters)
        result.expression_problems = list(found.expression_problems)
    result.coded_problems = [
        (p.code, TerraformProblem(p.message, p.origin.line, p.origin.column))
        for p in module.source_problems.get(id(file.src), ())
        if p.origin is not None
    ]
    return result


def clear_cache() -> None:
    """Forget parsed modules (tests that rewrite files within one mtime tick)."""
    _CACHE.clear()
