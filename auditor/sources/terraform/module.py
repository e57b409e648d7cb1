"""One Terraform module (a directory): variables, locals, ``count``/``for_each`` expansion and its resource instances."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import model as m
from auditor.budget import Budget, BudgetExceeded, Limits, current, use
from auditor.files import is_within
from auditor.model import Problem
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.jsonpos import PDict
from auditor.sources.terraform.config import (
    META_ATTRIBUTES,
    META_BLOCKS,
    address_of,
    as_limit,
    bounded,
    load_file,
    report_limit,
)
from auditor.sources.terraform.evaluator import Evaluator
from auditor.sources.terraform.ids import synthetic_id
from auditor.sources.terraform.mapper import Mapper
from auditor.sources.terraform.references import ResourceRef
from auditor.sources.terraform.result import ResourceInstance, TerraformProblem, TerraformResult
from auditor.sources.terraform.values import HclError, finalize, type_name
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.sources.terraform.config import Attr, Block, HclFile


# ---------------------------------------------------------------- the module


def _is_child_module(display_dir: str) -> bool:
    return any(part.lower() == "modules" for part in display_dir.replace("\\", "/").split("/"))


def _auto_var_files(directory: Path) -> list[Path]:
    names = ["terraform.tfvars", "terraform.tfvars.json"]
    try:
        found = [directory / n for n in names if (directory / n).is_file()]
        autos = sorted(
            p
            for p in directory.iterdir()
            if p.is_file() and p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
        )
    except OSError:
        return []
    return found + autos


def _module_files(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".tf")
    except OSError:
        return []


def sibling_display(display: str, name: str) -> str:
    head, sep, _tail = display.replace("\\", "/").rpartition("/")
    return f"{head}{sep}{name}" if sep else name


def _module_roots(directory: Path, roots: tuple[Path, ...] | None) -> tuple[Path, ...]:
    """The scanned folders the module was found under (its own folder when scanned without roots)."""
    try:
        real = directory.resolve()
    except (OSError, RuntimeError, ValueError):
        return ()
    inside = tuple(root for root in roots or () if is_within(real, (root,)))
    return inside or (real,)


class Module:
    """The files of one directory, evaluated together within one budget.

    ``roots`` are the scanned folders the module was found under: its files and the
    files that ``file()`` and friends read must lie inside one of them.
    """

    def __init__(
        self,
        directory: Path,
        display_of: Callable[[Path], str],
        var_files: tuple[Path, ...],
        roots: tuple[Path, ...] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.budget = Budget(limits if limits is not None else current().limits)
        self.roots = _module_roots(directory, roots)
        self.depth = 0  # how deep evaluation is nested right now (expressions and the references they follow)
        self._stack: list[tuple[Any, str]] = []  # what is being evaluated, for cycle messages
        with use(self.budget):
            self._load(directory, display_of, var_files)

    def _load(self, directory: Path, display_of: Callable[[Path], str], var_files: tuple[Path, ...]) -> None:
        self.dir = directory
        roots = self.roots or None
        self.files: list[HclFile] = [load_file(p, display_of(p), roots) for p in _module_files(directory)]
        self.display_dir = sibling_display(display_of(directory / "x"), "").rstrip("/")
        self.is_child = _is_child_module(self.display_dir)
        self.var_files: list[HclFile] = [
            load_file(p, display_of(p), roots) for p in _auto_var_files(directory)
        ] + [load_file(p, display_of(p)) for p in var_files]  # -var-file: named by the user
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attr] = {}
        self.local_file: dict[str, HclFile] = {}
        self.resources: dict[tuple[str, str], Block] = {}
        self.data: dict[tuple[str, str], Block] = {}
        for f in self.files:
            for block in f.blocks:
                if block.type == "variable" and block.labels:
                    self.variables[block.labels[0]] = block
                elif block.type == "locals":
                    for name, attr in block.attrs.items():
                        self.locals[name] = attr
                        self.local_file[name] = f
                elif block.type == "resource" and len(block.labels) >= 2:
                    self.resources[(block.labels[0], block.labels[1])] = block
                elif block.type == "data" and len(block.labels) >= 2:
                    self.data[(block.labels[0], block.labels[1])] = block
        self.var_values: dict[str, Any] = {}
        self._var_cache: dict[str, Any] = {}
        self._local_cache: dict[str, Any] = {}
        self._attr_cache: dict[tuple[int, Any, str], Any] = {}
        self._binding_index: dict[int, tuple[Any, dict[Any, dict[str, Any]]]] = {}
        self._in_progress: set[Any] = set()
        self._instances: dict[int, Any] = {}
        self.problems: dict[int, list[TerraformProblem]] = {id(f.src): list(f.problems) for f in self.files}
        for vf in self.var_files:
            self.problems.setdefault(id(vf.src), []).extend(vf.problems)
            self._read_var_file(vf)
        self.results: dict[int, TerraformResult] = {}
        self._evaluate()
        # What the mapping and the budget recorded on each file (SRC005, wrong types), once.
        self.source_problems: dict[int, list[Problem]] = {
            id(f.src): f.src.take_problems() for f in [*self.files, *self.var_files]
        }

    # ------------------------------------------------------------ problems

    def evaluator(self, file: HclFile, bindings: dict[str, Any] | None = None) -> Evaluator:
        """An evaluator for an expression of ``file`` in this module (references ask for one here, so
        they need not import the evaluator that imports them)."""
        return Evaluator(self, file, bindings)

    def problem(self, src: SourceFile, offset: int, message: str) -> None:
        """Record a problem in ``src`` (each once)."""
        line, column = src.index.position(min(max(offset, 0), len(src.text))) if src.text else (0, 0)
        bucket = self.problems.setdefault(id(src), [])
        entry = TerraformProblem(message, line, column)
        if entry not in bucket:
            bucket.append(entry)

    # ------------------------------------------------------------ variables and locals

    def _read_var_file(self, vf: HclFile) -> None:
        if isinstance(vf.tree, dict):  # .tfvars.json
            positions: dict[str, int] = getattr(vf.tree, "key_pos", {})
            for name, value in vf.tree.items():
                self.var_values[name] = bounded(value, vf.src, positions.get(name, 0), name)
            return
        ev = Evaluator(self, vf, literal_only=True)
        for name, attr in vf.attrs.items():
            self.var_values[name] = finalize(ev.evaluate(attr.expr))

    def variable(self, name: str) -> Any:
        """The value of ``var.<name>``."""
        if name in self._var_cache:
            return self._var_cache[name]
        block = self.variables.get(name)
        if block is None:  # declared in a file we do not have: not an error we can vouch for
            value: Any = Unknown(
                f"variable '{name}' is not declared in the files of this module", f"var.{name}"
            )
        elif self.is_child:
            value = Unknown(
                f"variable '{name}' is set by the caller of this module (a child module under 'modules/')",
                f"var.{name}",
            )
        elif name in self.var_values:
            value = self.var_values[name]
        elif "default" in block.attrs:
            value = Evaluator(self, block.file, literal_only=True).evaluate(block.attrs["default"].expr)
        else:
            value = Unknown(
                f"variable '{name}' has no default and no value in terraform.tfvars or *.auto.tfvars",
                f"var.{name}",
            )
        self._var_cache[name] = value
        return value

    def local(self, name: str) -> Any:
        """The value of ``local.<name>``."""
        if name in self._local_cache:
            return self._local_cache[name]
        attr = self.locals.get(name)
        if attr is None:
            return Unknown(
                f"local value '{name}' is not declared in the files of this module", f"local.{name}"
            )
        key = ("local", name)
        src = self.local_file[name].src
        if key in self._in_progress:
            return self._cycle(key, f"local.{name}", src, attr.offset)
        with self._evaluating(key, f"local.{name}"):
            value = Evaluator(self, self.local_file[name]).evaluate(attr.expr)
        self._local_cache[name] = value
        return value

    @contextlib.contextmanager
    def _evaluating(self, key: Any, label: str) -> Iterator[None]:
        """Mark ``key`` (a local, a resource attribute, an expansion) as being evaluated."""
        self._in_progress.add(key)
        self._stack.append((key, label))
        try:
            yield
        finally:
            self._stack.pop()
            self._in_progress.discard(key)

    def _cycle(self, key: Any, label: str, src: SourceFile, offset: int) -> Unknown:
        """A value that depends on itself: Terraform rejects the configuration (SRC002), the value is Unknown."""
        keys = [k for k, _label in self._stack]
        start = keys.index(key) if key in keys else len(keys)
        chain = " → ".join([*(lbl for _k, lbl in self._stack[start:]), label])
        self.problem(
            src,
            offset,
            f"invalid Terraform configuration: {label} depends on itself (cycle {chain}); Terraform rejects this",
        )
        return Unknown(f"{label} depends on itself (cycle {chain})", label)

    # ------------------------------------------------------------ resource instances

    def expansion(self, block: Block) -> list[tuple[Any, dict[str, Any]]] | Unknown | None:
        """Instance keys and bindings of a ``count``/``for_each`` resource; None when it has neither."""
        if id(block) in self._instances:
            return self._instances[id(block)]
        meta = "count" if "count" in block.attrs else "for_each" if "for_each" in block.attrs else None
        if meta is None:
            return None
        attr = block.attrs[meta]
        key = ("expansion", id(block))
        label = f"{address_of(block, None)}.{meta}"
        if key in self._in_progress:
            return self._cycle(key, label, block.file.src, attr.offset)
        with self._evaluating(key, label):
            result = self._expand(block, meta, attr)
        self._instances[id(block)] = result
        return result

    def _expand(self, block: Block, meta: str, attr: Attr) -> list[tuple[Any, dict[str, Any]]] | Unknown:
        ev = Evaluator(self, block.file)
        result: list[tuple[Any, dict[str, Any]]] | Unknown
        if meta == "count":
            count = ev.evaluate(attr.expr)
            if isinstance(count, Unknown):
                return Unknown(f"count is not known ({count.reason})", count.expression)
            if not isinstance(count, int) or isinstance(count, bool):
                return Unknown("count is not a whole number")
            size = max(count, 0)
        else:
            each = ev.evaluate(attr.expr)
            if isinstance(each, ResourceRef):  # for_each = azurerm_x.y: one instance per instance of y
                each = each.collection()
            if isinstance(each, Unknown):
                return Unknown(f"for_each is not known ({each.reason})", each.expression)
            if isinstance(each, dict):
                size = len(each)
            elif isinstance(each, list) and all(isinstance(v, str) for v in each):
                each = sorted(set(each))
                size = len(each)
            else:
                return Unknown(f"for_each is a {type_name(each)}, not a map or a set of strings")
        try:
            self.budget.copy(size, f"{meta} of {address_of(block, None)}")
        except BudgetExceeded as exc:
            report_limit(block.file.src, attr.offset, exc, ev.source_text(attr.expr), self.budget)
            return Unknown(exc.reason, ev.source_text(attr.expr))
        if meta == "count":
            result = [(i, {"count": {"index": i}}) for i in range(size)]
        elif isinstance(each, dict):
            result = [(k, {"each": {"key": k, "value": v}}) for k, v in each.items()]
        else:
            result = [(k, {"each": {"key": k, "value": k}}) for k in each]
        return result

    def bindings(self, block: Block, key: Any) -> dict[str, Any]:
        """``count``/``each`` for the instance ``key`` of ``block``."""
        expansion = self.expansion(block)
        if expansion is None:
            return {}
        if isinstance(expansion, Unknown):
            unknown = Unknown(f"{address_of(block, None)} has {expansion.reason}", expansion.expression)
            if key is not None and not isinstance(key, Unknown):
                return (
                    {"count": {"index": key}}
                    if "count" in block.attrs
                    else {"each": {"key": key, "value": unknown}}
                )
            return (
                {"count": {"index": unknown}}
                if "count" in block.attrs
                else {"each": {"key": unknown, "value": unknown}}
            )
        index = self._binding_index.get(id(block))
        if index is None or index[0] is not expansion:  # one dict per expansion: no scan per instance
            index = (expansion, {hashable(k): b for k, b in expansion})
            self._binding_index[id(block)] = index
        found = index[1].get(hashable(key))
        if found is not None:
            return found
        raise HclError(f"{address_of(block, key)} does not exist (no such count index or for_each key)")

    def attribute(self, block: Block, key: Any, name: str) -> Any:
        """A configured attribute of a resource instance, evaluated in the instance's context."""
        cache_key = _attribute_key(block, key, name)
        if cache_key in self._attr_cache:
            return self._attr_cache[cache_key]
        attr = block.attrs.get(name)
        label = f"{address_of(block, key)}.{name}"
        if cache_key in self._in_progress:
            return self._cycle(cache_key, label, block.file.src, attr.offset if attr else block.offset)
        with self._evaluating(cache_key, label):
            if attr is None:
                value = None
            else:
                value = Evaluator(self, block.file, self.bindings(block, key)).evaluate(attr.expr)
        self._attr_cache[cache_key] = value
        return value

    def instance_id(self, block: Block, key: Any) -> Any:
        """The id of a resource instance: synthetic for the types auditor links, else Unknown."""
        type_ = block.labels[0]
        address = address_of(block, key)

        def get(name: str) -> Any:
            return finalize(self.attribute(block, key, name))

        built = synthetic_id(type_, get, address)
        if built is None:
            return Unknown(f"the id of {address} is only known after apply", f"{address}.id")
        return built

    # ------------------------------------------------------------ evaluation of every resource

    def _evaluate(self) -> None:
        instances: list[ResourceInstance] = []
        for f in self.files:
            for block in f.blocks:
                if block.type != "resource" or len(block.labels) < 2:
                    continue
                instances.extend(self._resource_instances(block))
        mapper = Mapper(lambda src, offset, message: self.problem(src, offset, message))
        for f in self.files:
            mapper.result_for(f.src)
        try:
            mapper.map(instances)
        except (BudgetExceeded, RecursionError, MemoryError) as exc:  # the mapping walks what was evaluated
            first = next((f for f in self.files if f.tree is not None), None)
            if first is not None:
                report_limit(first.src, 0, as_limit(exc), "", self.budget)
        for f in self.files:
            self.results[id(f.src)] = mapper.result_for(f.src)
        if any(
            r.automations or r.logic_apps or r.connections or r.policy_definitions
            for r in self.results.values()
        ):
            for f in self.files:
                self.results[id(f.src)].template_parameters.extend(self._declarations(f))

    def _declarations(self, f: HclFile) -> Iterator[m.TemplateParameter]:
        """The ``variable`` blocks of ``f`` as template parameters (``sensitive`` and ``type`` as written)."""
        for block in f.blocks:
            if block.type != "variable" or not block.labels:
                continue
            name = block.labels[0]
            ev = Evaluator(self, f, literal_only=True)
            sensitive: Any = False
            if "sensitive" in block.attrs:
                sensitive = ev.evaluate(block.attrs["sensitive"].expr)
                if not isinstance(sensitive, bool | Unknown):
                    sensitive = Unknown(f"'sensitive' of variable '{name}' is not true or false")
            type_attr = block.attrs.get("type")
            ctx = Context(f.src, resource=f"var.{name}")
            yield m.TemplateParameter(
                name=name,
                type=ev.source_text(type_attr.expr).strip() if type_attr is not None else None,
                secure=sensitive,
                has_default="default" in block.attrs,
                language="terraform",
                origin=Cursor(None, f"variable.{name}", block.offset, ctx).origin(),
            )

    def _resource_instances(self, block: Block) -> Iterator[ResourceInstance]:
        type_, name = block.labels[0], block.labels[1]
        expansion = self.expansion(block)
        keys: list[Any]
        if expansion is None:
            keys = [None]
        elif isinstance(expansion, Unknown):
            keys = [Unknown(expansion.reason)]
        else:
            keys = [k for k, _b in expansion]
        for key in keys:
            address = address_of(block, key)
            path = f"resource.{type_}.{name}"
            if isinstance(key, int):
                path += f"[{key}]"
            elif isinstance(key, str):  # always bracketed: connector['mail'] is an instance, not an attribute
                quoted = key.replace("\\", "\\\\").replace("'", "\\'")
                path += f"['{quoted}']"
            known = key if not isinstance(key, Unknown) else None
            try:
                ev = Evaluator(self, block.file, self.bindings(block, known))
                evaluated: dict[str, Any] = {}
                values = ev.block_values(block, type_, top=True, evaluated=evaluated)
                for attr_name, value in evaluated.items():  # what attribute() would evaluate again
                    self._attr_cache.setdefault(_attribute_key(block, known, attr_name), value)
                res_id = self.instance_id(block, known)
            except (BudgetExceeded, RecursionError, MemoryError) as exc:
                # Outside any one expression (walking the block, its nested blocks, its id):
                # the whole instance is unknown, never a resource without attributes.
                limit = as_limit(exc)
                report_limit(block.file.src, block.offset, limit, address, self.budget)
                values = unknown_block(block, Unknown(limit.reason, address))
                res_id = Unknown(limit.reason, f"{address}.id")
            ctx = Context(block.file.src, resource=address)
            yield ResourceInstance(
                type=type_,
                address=address,
                cursor=Cursor(values, path, block.offset, ctx),
                id=res_id,
            )
            if self.budget.spent is not None and isinstance(expansion, list) and len(keys) > 1:
                break  # the budget is spent: every further instance would be unknown the same way


def unknown_block(block: Block, unknown: Unknown) -> PDict:
    """A block whose every attribute and nested block is ``unknown`` (so no check reads it as absent)."""
    out = PDict()
    out.src, out.start = block.file.src, block.offset
    for name, attr in block.attrs.items():
        if name not in META_ATTRIBUTES:
            out[name] = unknown
            out.key_pos[name] = attr.offset
    for nested in block.blocks:
        kind = nested.labels[0] if nested.type == "dynamic" and nested.labels else nested.type
        if nested.type not in META_BLOCKS and kind not in out:
            out[kind] = unknown
            out.key_pos[kind] = nested.offset
    return out


def hashable(key: Any) -> Any:
    """An instance key as a dict key (count indexes and for_each keys are; anything else by its text)."""
    try:
        hash(key)
    except TypeError:
        return ("unhashable", repr(key))
    return (type(key).__name__, key)


def _attribute_key(block: Block, key: Any, name: str) -> tuple[int, Any, str]:
    """The cache key of attribute ``name`` of the instance ``key`` of ``block`` (an unknown key is one)."""
    return (id(block), key if not isinstance(key, Unknown) else "?", name)
