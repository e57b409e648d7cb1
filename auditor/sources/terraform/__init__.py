"""The Terraform source: ``.tf`` configurations and ``terraform show -json`` plans → inventory elements.

Two readers produce the same thing, a list of :class:`ResourceInstance` (a
resource's type, address and attribute values as a positioned JSON-like
object, with :class:`~auditor.unknown.Unknown` where Terraform only knows the
value after apply), and this module maps those onto the model, so every check
applies unchanged:

* :mod:`auditor.sources.terraform.hcl` evaluates ``.tf`` files (one module =
  one directory, with ``terraform.tfvars``/``*.auto.tfvars``);
* :mod:`auditor.sources.terraform.plan` reads the JSON of ``terraform show
  -json`` (``planned_values`` + ``after_unknown`` + ``configuration``).

What maps to what:

=========================================== ==========================================
``azurerm_security_center_automation``      :class:`~auditor.model.Automation`
``azurerm_logic_app_workflow`` (+ its       :class:`~auditor.model.LogicApp` with triggers,
``azurerm_logic_app_trigger_*`` and           actions, ``$connections`` bindings and
``azurerm_logic_app_action_custom``)          workflow parameters
``azurerm_api_connection``                  :class:`~auditor.model.Connection`
``azurerm_role_assignment``                 :class:`~auditor.model.RoleAssignment`
``azurerm_policy_definition``               :class:`~auditor.model.PolicyDefinition` (+ the
                                            automations its DINE template deploys)
``azurerm_*policy_assignment``              :class:`~auditor.model.PolicyAssignment`
``azapi_resource`` of an ARM type above     the same, through the ARM extract functions
=========================================== ==========================================

Resource ids are synthetic where Terraform only knows them after apply:
``/subscriptions/{subscriptionId}/resourceGroups/<rg>/providers/<type>/<name>``
(the placeholders of the ARM evaluator), so links within one configuration
work (:mod:`auditor.link` compares ids case-insensitively and falls back to
type + name for Logic Apps).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.sources.core.cursor import SourceFile
    from auditor.sources.terraform.result import (
        ResourceInstance,
        TerraformKind,
        TerraformProblem,
        TerraformResult,
    )

__all__ = [
    "ResourceInstance",
    "TerraformKind",
    "TerraformProblem",
    "TerraformResult",
    "is_terraform_plan",
    "scan_terraform_file",
    "scan_terraform_plan",
]

# The readers are imported when first used: importing this package (the dispatcher does, to
# know the suffixes it claims) must not load Lark and the HCL grammar. The result types too: the
# dispatcher asks every JSON document whether it is a plan, and a scan without Terraform must not pay
# for defining them (issue 14).
_RESULT_TYPES = frozenset({"ResourceInstance", "TerraformKind", "TerraformProblem", "TerraformResult"})


def __getattr__(name: str) -> Any:
    if name in _RESULT_TYPES:
        from auditor.sources.terraform import result

        return getattr(result, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def scan_terraform_file(
    path: Path, display: str, *, var_files: Sequence[Path] = (), roots: Sequence[Path] | None = None
) -> TerraformResult:
    """Read one ``.tf`` or ``.tfvars`` file as part of its module (the files of its directory).

    Only the elements declared in ``path`` are returned (a Logic App's triggers
    may come from another file of the module, with their own origins), and only
    ``path``'s problems. ``display`` is the path shown in origins; sibling files
    get ``<display's folder>/<name>``. ``var_files`` are what ``-var-file``
    would pass (``terraform.tfvars`` and ``*.auto.tfvars`` are always read).
    Modules are parsed once and cached, so scanning every file of a module
    costs one evaluation. ``roots`` are the scanned folders: the module's files and
    what ``file()`` / ``templatefile()`` read must lie inside them (without roots:
    inside the module's own folder).
    """
    from auditor.sources.terraform.hcl import scan_file

    return scan_file(path, display, tuple(var_files), tuple(roots) if roots is not None else None)


def is_terraform_plan(doc: object) -> bool:
    """True for the JSON of ``terraform show -json`` (a plan, or a state snapshot)."""
    if not isinstance(doc, dict) or "format_version" not in doc:
        return False
    if "planned_values" in doc or "resource_changes" in doc:
        return True
    values = doc.get("values")
    return "terraform_version" in doc and isinstance(values, dict) and "root_module" in values


def scan_terraform_plan(doc: Any, src: SourceFile) -> TerraformResult:
    """Map a plan already parsed by the ARM reader (``jsonpos.loads`` with ``src``) onto the model."""
    from auditor.sources.terraform.plan import scan_plan

    return scan_plan(doc, src)
