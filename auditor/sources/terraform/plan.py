"""Terraform plans (``terraform show -json plan.out``) and states (``terraform show -json``) → resource instances.

A plan holds what Terraform will deploy: ``planned_values.root_module`` (and
its ``child_modules``, recursively) lists every managed resource instance with
its ``address``, ``type`` and attribute ``values``. Values only known after
apply are missing there and marked ``true`` in the matching
``resource_changes[].change.after_unknown``; they become
:class:`~auditor.unknown.Unknown`, except where the configuration
(``configuration.root_module`` and its ``module_calls``) shows the attribute is
exactly a reference auditor can follow:

* ``<resource>.id`` (``resource_id``, ``logic_app_id``, ``managed_api_id``,
  ``parent_id``, ``scope``, ``policy_definition_id``): the id from the plan when
  known, else the synthetic id the HCL reader builds;
* ``azurerm_logic_app_trigger_*.callback_url`` (``trigger_url``): a
  :class:`~auditor.unknown.CallbackUrl` naming the trigger, even when the URL
  is known (an existing trigger's URL, with its ``sig=``, is a secret Terraform
  read, not something written in the configuration).

Origins point at the plan file: the line of the resource's object in
``planned_values`` (and of each attribute inside it), with the resource address
as ``resource`` and as the start of the JSON path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.sources.core.cursor import Context, Cursor, SourceFile, child_path
from auditor.sources.core.jsonpos import PDict, PList
from auditor.sources.terraform.ids import TRIGGER_TYPES, synthetic_id
from auditor.sources.terraform.mapper import Mapper
from auditor.sources.terraform.result import ResourceInstance, TerraformProblem, TerraformResult
from auditor.unknown import CallbackUrl, Unknown

#: Attributes whose value is the referenced value itself (so a reference in the configuration can stand for it).
_REFERENCE_ATTRIBUTES = frozenset(
    {
        "resource_id",
        "logic_app_id",
        "trigger_url",
        "managed_api_id",
        "parent_id",
        "scope",
        "policy_definition_id",
    }
)
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')
_REFERENCE = re.compile(
    r'^(?P<resource>(?:data\.)?[A-Za-z][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?)(?:\.(?P<attr>[A-Za-z_][A-Za-z0-9_-]*))?'
)


def _strip_keys(address: str) -> str:
    return _INSTANCE_KEY.sub("", address)


@dataclass(eq=False)
class _Planned:
    """One resource instance of the plan (or of its prior state)."""

    address: str
    type: str
    mode: str
    module: str  # the address of the module instance it is in ("" for the root module)
    cursor: Cursor  # the resource object
    values: Any
    after_unknown: Any
    expressions: Any


class _Plan:
    def __init__(self, doc: Any, src: SourceFile) -> None:
        self.doc = doc
        self.src = src
        root = Cursor(doc, "", getattr(doc, "start", 0), Context(src))
        self.root = root
        self.unknowns: dict[str, Any] = {}
        for change in _elements(root.get("resource_changes")):
            value = change.value
            if isinstance(value, dict) and isinstance(value.get("address"), str):
                after = value.get("change")
                self.unknowns[value["address"]] = (
                    after.get("after_unknown") if isinstance(after, dict) else None
                )
        self.expressions: dict[str, Any] = {}
        config = root.at("configuration", "root_module")
        if config is not None:
            self._index_configuration(config.value, "")
        self.planned: dict[str, _Planned] = {}
        self.order: list[_Planned] = []
        values = root.at("planned_values", "root_module") or root.at("values", "root_module")
        if values is not None:
            self._index_module(values, "", self.planned, self.order)
        self.prior: dict[str, _Planned] = {}
        prior = root.at("prior_state", "values", "root_module")
        if prior is not None:
            self._index_module(prior, "", self.prior, [])
        self._resolving: set[tuple[str, str]] = set()
        self._resolved: dict[str, Any] = {}

    # ------------------------------------------------------------ indexing

    def _index_configuration(self, module: Any, prefix: str) -> None:
        if not isinstance(module, dict):
            return
        for res in module.get("resources") or []:
            if isinstance(res, dict) and isinstance(res.get("address"), str):
                self.expressions[prefix + res["address"]] = res.get("expressions")
        calls = module.get("module_calls")
        if isinstance(calls, dict):
            for name, call in calls.items():
                if isinstance(call, dict):
                    self._index_configuration(call.get("module"), f"{prefix}module.{name}.")

    def _index_module(
        self, module: Cursor, address: str, into: dict[str, _Planned], order: list[_Planned]
    ) -> None:
        for res in _elements(module.get("resources")):
            value = res.value
            if not isinstance(value, dict) or not isinstance(value.get("address"), str):
                continue
            full = value["address"]
            planned = _Planned(
                address=full,
                type=str(value.get("type", "")),
                mode=str(value.get("mode", "managed")),
                module=address,
                cursor=res,
                values=value.get("values"),
                after_unknown=self.unknowns.get(full),
                expressions=self.expressions.get(_strip_keys(full)),
            )
            into[full] = planned
            order.append(planned)
        for child in _elements(module.get("child_modules")):
            child_address = child.value_at("address") if isinstance(child.value, dict) else None
            self._index_module(
                child, child_address if isinstance(child_address, str) else address, into, order
            )

    # ------------------------------------------------------------ values

    def values_of(self, res: _Planned) -> Any:
        """The resource's values with Unknowns (and followed references) where the plan has none."""
        cursor = res.cursor.get("values")
        values = cursor.value if cursor is not None else PDict()
        merged = self._merge(res, values, res.after_unknown, res.expressions, "")
        return merged

    def _merge(self, res: _Planned, value: Any, unknown: Any, expr: Any, path: str) -> Any:
        attr = path.rsplit(".", 1)[-1] if path else ""
        if "[" in attr:
            attr = attr.split("[", 1)[0]
        references = expr.get("references") if isinstance(expr, dict) else None
        if attr == "trigger_url" and isinstance(references, list) and references:
            followed = self._follow(res, attr, references)
            if isinstance(followed, CallbackUrl):
                return followed
        if unknown is True:
            followed = (
                self._follow(res, attr, references) if isinstance(references, list) and references else None
            )
            if followed is not None:
                return followed
            where = f"{res.address}.{path}" if path else res.address
            via = f" (it comes from {references[0]})" if isinstance(references, list) and references else ""
            return Unknown(
                f"{where} is only known after apply{via}",
                references[0] if isinstance(references, list) and references else where,
            )
        if isinstance(value, dict) or (isinstance(unknown, dict) and value is None):
            source = value if isinstance(value, dict) else {}
            out = PDict()
            if isinstance(source, PDict):
                out.start, out.key_pos, out.src = source.start, source.key_pos, source.src
            keys = list(source)
            if isinstance(unknown, dict):
                keys += [k for k in unknown if k not in source and unknown[k] not in (False, None)]
            for key in keys:
                out[key] = self._merge(
                    res,
                    source.get(key),
                    unknown.get(key) if isinstance(unknown, dict) else None,
                    expr.get(key) if isinstance(expr, dict) else None,
                    child_path(path, key),
                )
            return out
        if isinstance(value, list):
            items = PList()
            if isinstance(value, PList):
                items.start, items.item_pos, items.src = value.start, value.item_pos, value.src
            for i, item in enumerate(value):
                items.append(
                    self._merge(
                        res,
                        item,
                        unknown[i] if isinstance(unknown, list) and i < len(unknown) else None,
                        expr[i] if isinstance(expr, list) and i < len(expr) else None,
                        child_path(path, i),
                    )
                )
            return items
        return value

    def _follow(self, res: _Planned, attr: str, references: list[Any]) -> Any:
        """The value a configuration reference stands for, when the attribute is exactly that reference."""
        if attr not in _REFERENCE_ATTRIBUTES:
            return None
        first = references[0]
        if not isinstance(first, str) or not all(
            isinstance(r, str) and first.startswith(r) for r in references
        ):
            return None  # several references: the value is built from them
        match = _REFERENCE.match(first)
        if match is None or match.group("attr") is None or match.end() != len(first):
            return None
        address = f"{res.module}.{match.group('resource')}" if res.module else match.group("resource")
        return self.attribute(address, match.group("attr"))

    def attribute(self, address: str, name: str) -> Any:
        """``id``, ``callback_url`` or a planned attribute of the instance at ``address``."""
        target = self.planned.get(address) or self.prior.get(address)
        if target is None:
            return None
        key = (address, name)
        if key in self._resolving:
            return None
        self._resolving.add(key)
        try:
            if name == "id":
                return self.instance_id(target)
            if name == "callback_url" and target.type in TRIGGER_TYPES:
                return CallbackUrl(
                    f"the callback URL of {address} is only known after apply",
                    f"{address}.callback_url",
                    target=self.instance_id(target),
                )
            values = self.values_of(target)
            return values.get(name) if isinstance(values, dict) else None
        finally:
            self._resolving.discard(key)

    def instance_id(self, res: _Planned) -> Any:
        """The id from the plan, else the synthetic id, else an Unknown."""
        if res.address in self._resolved:
            return self._resolved[res.address]
        values = self.values_of(res)
        known = values.get("id") if isinstance(values, dict) else None
        if isinstance(known, str) and known:
            result: Any = known
        else:
            built = synthetic_id(
                res.type, lambda n: values.get(n) if isinstance(values, dict) else None, res.address
            )
            result = (
                built
                if built is not None
                else (
                    known
                    if isinstance(known, Unknown)
                    else Unknown(f"the id of {res.address} is only known after apply")
                )
            )
        self._resolved[res.address] = result
        return result

    # ------------------------------------------------------------ instances

    def instances(self) -> list[ResourceInstance]:
        out: list[ResourceInstance] = []
        for res in self.order:
            if res.mode != "managed":
                continue
            values = self.values_of(res)
            ctx = Context(self.src, resource=res.address)
            out.append(
                ResourceInstance(
                    type=res.type,
                    address=res.address,
                    cursor=Cursor(values, res.address, res.cursor.offset, ctx),
                    id=self.instance_id(res),
                )
            )
        return out


def _elements(cur: Cursor | None) -> list[Cursor]:
    if cur is None or not isinstance(cur.value, list):
        return []
    return list(cur.elements())


def scan_plan(doc: Any, src: SourceFile) -> TerraformResult:
    """See :func:`auditor.sources.terraform.scan_terraform_plan`."""
    plan = _Plan(doc, src)
    problems: list[TerraformProblem] = []

    def problem(file: SourceFile, offset: int, message: str) -> None:
        line, column = file.index.position(min(max(offset, 0), len(file.text))) if file.text else (0, 0)
        entry = TerraformProblem(message, line, column)
        if entry not in problems:
            problems.append(entry)

    mapper = Mapper(problem)
    result = mapper.result_for(src)
    mapper.map(plan.instances())
    result.problems = problems
    result.kind = "terraform"
    result.detail = (
        "Terraform plan" if "planned_values" in doc or "resource_changes" in doc else "Terraform state"
    )
    return result
