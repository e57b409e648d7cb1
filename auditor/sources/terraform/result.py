"""What the Terraform readers produce: resource instances for the mapping, and per-file results and problems."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import field
from typing import Any, Literal, NamedTuple

from auditor import model as m
from auditor.records import record
from auditor.sources.core.cursor import Cursor, SourceFile


class TerraformProblem(NamedTuple):
    """Something in a file Terraform itself would reject; lines and columns are 1-based (0 = unknown)."""

    message: str
    line: int
    column: int


TerraformKind = Literal["terraform", "not-ours", "invalid", "unreadable"]


@record(frozen=False)
class TerraformResult:
    """What one ``.tf``/``.tfvars`` file or one plan contributes to the inventory.

    ``kind``: ``terraform`` (read; possibly with ``problems`` in embedded JSON),
    ``not-ours`` (HCL that is no Terraform configuration), ``invalid`` (the HCL
    does not parse: see ``problems``), ``unreadable`` (see ``unreadable``).
    ``problems`` are syntax errors (HCL, or JSON in a heredoc/``jsonencode``
    string that Terraform or Azure would reject); ``expression_problems`` are
    invalid ARM expressions inside an embedded policy template.
    """

    kind: TerraformKind = "terraform"
    detail: str | None = None
    automations: list[m.Automation] = field(default_factory=list)
    logic_apps: list[m.LogicApp] = field(default_factory=list)
    connections: list[m.Connection] = field(default_factory=list)
    role_assignments: list[m.RoleAssignment] = field(default_factory=list)
    policy_definitions: list[m.PolicyDefinition] = field(default_factory=list)
    policy_assignments: list[m.PolicyAssignment] = field(default_factory=list)
    #: the ``variable`` blocks of the file, when its module maps something auditor reads
    template_parameters: list[m.TemplateParameter] = field(default_factory=list)
    problems: list[TerraformProblem] = field(default_factory=list)
    expression_problems: list[TerraformProblem] = field(default_factory=list)
    #: Problems the shared core recorded in this file, with their problem code (``evaluation-limit``:
    #: SRC005, a budget exceeded; ``invalid-template-shape``: SRC006, a wrongly typed value; …).
    coded_problems: list[tuple[str, TerraformProblem]] = field(default_factory=list)
    unreadable: str | None = None


# ---------------------------------------------------------------- resource instances


@record(frozen=False)
class ResourceInstance:
    """One resource instance, as the readers give it to the mapping.

    ``cursor`` walks the attribute values (nested blocks are lists of objects,
    as in a plan's ``values``); its path is the JSON path origins get
    (``resource.<type>.<name>`` for HCL, the address for a plan) and its
    context's ``resource`` the Terraform address. ``id`` is the resource id:
    known, synthetic or Unknown.
    """

    type: str
    address: str
    cursor: Cursor
    id: Any
    emit: bool = True  # False: only needed to complete another element (a trigger of a Logic App)

    @property
    def values(self) -> dict[str, Any]:
        """The attribute values."""
        value = self.cursor.value
        return value if isinstance(value, dict) else {}


ProblemSink = Callable[[SourceFile, int, str], None]  # (file, offset, message)


def json_dumps(value: Any) -> str:
    """``jsonencode()``: compact, keys sorted (as Terraform writes objects)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
