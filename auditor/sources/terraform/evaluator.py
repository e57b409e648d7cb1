"""The HCL expression evaluator: Terraform's semantics at plan time, as far as a static reader can know them.

An error Terraform would report becomes an Unknown with the reason; a budget exceeded is SRC005 at the
expression. Templates and heredocs are in :mod:`.templates`, functions in :mod:`.functions`.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.budget import BudgetExceeded, current, reraise_bugs
from auditor.files import FileRefused, is_within, read_regular
from auditor.sources.core.cursor import SourceFile
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, PDict, PList, decode, loads
from auditor.sources.terraform.config import (
    MAX_HCL_BYTES,
    META_ATTRIBUTES,
    META_BLOCKS,
    HclFile,
    address_of,
    as_limit,
    report_limit,
)
from auditor.sources.terraform.functions import FILE_FUNCTIONS, FUNCTIONS
from auditor.sources.terraform.ids import is_json_attribute, json_map_keys
from auditor.sources.terraform.references import ResourceRef, collection_items
from auditor.sources.terraform.syntax import (
    hcl2_module,
    is_tree,
    node_end,
    node_name,
    node_start,
    node_tokens,
    parse_expression,
    subtrees,
    syntax_message,
)
from auditor.sources.terraform.templates import heredoc_json, heredoc_text, render_template
from auditor.sources.terraform.values import (
    HclError,
    HclJson,
    Lazy,
    finalize,
    finalize_json,
    hcl_equal,
    to_bool,
    to_number,
    to_string,
    type_name,
)
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.sources.terraform.config import Block
    from auditor.sources.terraform.module import Module


# ---------------------------------------------------------------- the evaluator


class Evaluator:
    """Evaluates expression trees of one file (or of one parsed template expression) in one scope."""

    def __init__(
        self,
        module: Module,
        file: HclFile,
        bindings: dict[str, Any] | None = None,
        *,
        text: str | None = None,
        shift: int = 0,
        src: SourceFile | None = None,
        literal_only: bool = False,
        template_only: bool = False,
        base_dir: Path | None = None,
    ) -> None:
        self.module = module
        self.file = file
        self.bindings = bindings or {}
        self.text = file.src.text if text is None else text
        self.shift = shift
        self.src = file.src if src is None and text is None else src
        self.literal_only = literal_only
        self.template_only = template_only
        self.base_dir = base_dir or module.dir
        #: The templatefile() templates being expanded (a template that includes itself is an error).
        self.templates: tuple[Path, ...] = ()

    def child(self, bindings: dict[str, Any]) -> Evaluator:
        """The same evaluator with more names bound (for expressions, dynamic blocks)."""
        ev = Evaluator.__new__(Evaluator)
        ev.__dict__.update(self.__dict__)
        ev.bindings = {**self.bindings, **bindings}
        return ev

    def source_text(self, node: Any) -> str:
        return self.text[node_start(node) : node_end(node)]

    def offset_of(self, node: Any) -> int:
        return self.shift + node_start(node)

    # ------------------------------------------------------------ entry points

    def evaluate(self, node: Any) -> Any:
        """Evaluate; a Terraform error becomes an Unknown saying what went wrong.

        A budget exceeded (or Python's own recursion or memory limit) is reported as
        SRC005 at this expression and makes the value unknown, never a silent one.
        Inside a ``templatefile()`` template (no scanned source to point at) it goes
        up to the ``.tf`` expression that called the template.
        """
        try:
            return self.eval(node)
        except HclError as exc:
            return Unknown(str(exc), self.source_text(node))
        except (BudgetExceeded, RecursionError, MemoryError) as exc:
            if self.src is None:
                raise
            limit = as_limit(exc)
            report_limit(
                self.src, self.offset_of(node), limit, self.source_text(node)[:200], self.module.budget
            )
            return Unknown(limit.reason, self.source_text(node))
        except Exception as exc:  # an input auditor did not foresee must not stop the scan
            if reraise_bugs():
                raise
            return Unknown(
                f"auditor could not evaluate this expression ({type(exc).__name__}: {exc})",
                self.source_text(node),
            )

    def evaluate_json(self, node: Any, label: str) -> Any:
        """An attribute that holds a JSON document, decoded, with positions where the HCL has them."""
        inner = unwrap(node)
        if is_tree(inner, "heredoc_template") or is_tree(inner, "heredoc_template_trim"):
            return heredoc_json(self, inner, label)
        if is_tree(inner, "function_call") and self._function_name(inner) == "jsonencode":
            args = self._arguments(inner)
            if len(args) == 1:
                return finalize_json(self.evaluate(args[0][0]))
        value = self.evaluate(node)
        if isinstance(value, HclJson):
            return finalize_json(value.value)
        if isinstance(value, str):
            try:
                return loads(value, src=None)
            except JsonSyntaxError as exc:
                self.module.problem(self.file.src, self.offset_of(node), f"{label} is not valid JSON: {exc}")
                return Unknown(f"{label} is not valid JSON ({exc.message})")
        if isinstance(value, dict | list):
            return finalize_json(value)
        return finalize(value)

    def evaluate_json_map(self, node: Any, keys: frozenset[str] | None, label: str) -> Any:
        """A map attribute whose values (all, or those of ``keys``) are JSON documents."""
        inner = unwrap(node)
        if is_tree(inner, "object"):
            try:
                out = self._object(
                    inner,
                    value_of=lambda key, expr: (
                        self.evaluate_json(expr, f"{label}[{json.dumps(key)}]")
                        if keys is None or key in keys
                        else finalize(self.evaluate(expr))
                    ),
                )
            except HclError as exc:
                return Unknown(str(exc), self.source_text(node))
            return out
        value = self.evaluate(node)
        if not isinstance(value, dict):
            return finalize(value)
        result = PDict()
        for key, item in value.items():
            if keys is None or key in keys:
                if isinstance(item, HclJson):
                    item = finalize_json(item.value)
                elif isinstance(item, str):
                    try:
                        item = loads(item, src=None)
                    except JsonSyntaxError as exc:
                        self.module.problem(
                            self.file.src,
                            self.offset_of(node),
                            f"{label}[{json.dumps(key)}] is not valid JSON: {exc}",
                        )
                        item = Unknown(f"{label}[{json.dumps(key)}] is not valid JSON ({exc.message})")
            result[key] = finalize(item)
        return result

    def block_values(
        self, block: Block, type_: str, *, top: bool, evaluated: dict[str, Any] | None = None
    ) -> PDict:
        """A block's attributes and nested blocks as a positioned object (nested blocks → lists).

        ``evaluated`` receives each plain top-level attribute's value as :meth:`evaluate` returned it
        (before :func:`finalize`): the module caches them, so that the instance's id, built from some of
        the same attributes, does not evaluate them a second time."""
        out = PDict()
        out.src, out.start = block.file.src, block.offset
        address = address_of(block, None) if top else block.type
        for name, attr in block.attrs.items():
            if top and name in META_ATTRIBUTES:
                continue
            label = f"'{name}' of {address}"
            if top and is_json_attribute(type_, name):
                value = self.evaluate_json(attr.expr, label)
            elif top and (keys := json_map_keys(type_, name)) is not False:
                value = self.evaluate_json_map(attr.expr, keys, label)
            else:
                raw = self.evaluate(attr.expr)
                if evaluated is not None and top:
                    evaluated[name] = raw
                value = finalize(raw)
            out[name] = value
            out.key_pos[name] = attr.offset
        groups: dict[str, Any] = {}
        for nested in block.blocks:
            if top and nested.type in META_BLOCKS:
                continue
            if nested.type == "dynamic" and nested.labels:
                kind = nested.labels[0]
                expanded = self._dynamic(nested, type_)
                current = groups.get(kind)
                if isinstance(expanded, Unknown) or isinstance(current, Unknown):
                    groups[kind] = current if isinstance(current, Unknown) else expanded
                    out.key_pos.setdefault(kind, nested.offset)
                    continue
                items = groups.setdefault(kind, plist_at(block.file.src, nested.offset))
                for value, offset in expanded:
                    items.append(value)
                    items.item_pos.append(offset)
                out.key_pos.setdefault(kind, nested.offset)
                continue
            current = groups.get(nested.type)
            if isinstance(current, Unknown):
                continue
            items = groups.setdefault(nested.type, plist_at(block.file.src, nested.offset))
            items.append(self.block_values(nested, type_, top=False))
            items.item_pos.append(nested.offset)
            out.key_pos.setdefault(nested.type, nested.offset)
        for kind, items in groups.items():
            out[kind] = items
        return out

    def _dynamic(self, block: Block, type_: str) -> list[tuple[PDict, int]] | Unknown:
        kind = block.labels[0]
        iterator = kind
        if "iterator" in block.attrs:
            iterator = self.source_text(block.attrs["iterator"].expr).strip() or kind
        content = next((b for b in block.blocks if b.type == "content"), None)
        if "for_each" not in block.attrs or content is None:
            return []
        collection = self.evaluate(block.attrs["for_each"].expr)
        if isinstance(collection, ResourceRef):
            collection = collection.collection()
        if isinstance(collection, Unknown):
            expr = self.source_text(block.attrs["for_each"].expr).strip()
            return Unknown(
                f"dynamic block '{kind}' iterates over {expr}, which is not known ({collection.reason})",
                collection.expression,
            )
        try:
            items = collection_items(collection)
        except HclError as exc:
            return Unknown(f"dynamic block '{kind}': {exc}")
        try:
            self.module.budget.copy(len(items), f"dynamic block '{kind}'")
        except BudgetExceeded as exc:
            expr = self.source_text(block.attrs["for_each"].expr).strip()
            report_limit(self.file.src, block.offset, exc, expr, self.module.budget)
            return Unknown(exc.reason, expr)
        out: list[tuple[PDict, int]] = []
        for key, value in items:
            ev = self.child({iterator: {"key": key, "value": value}})
            out.append((ev.block_values(content, type_, top=False), block.offset))
        return out

    # ------------------------------------------------------------ expressions

    def eval(self, node: Any) -> Any:
        """Evaluate an expression tree (raises :class:`HclError` for what Terraform rejects).

        Every node is one evaluation step of the module's budget (so nested ``for``
        expressions over ranges stop on the step or time limit), and no string, list
        or object it yields may pass the value-size limit (so doubling through locals
        stops at twice the limit, not at the machine's memory).
        """
        budget = self.module.budget
        budget.step()
        data = node.data
        if data == "expr_term":
            inner = subtrees(node)
            if len(inner) != 1:
                raise HclError(f"cannot evaluate {self.source_text(node)!r}")
            return self.eval(inner[0])
        method = getattr(self, f"_e_{data}", None)
        if method is None:
            return Unknown(f"'{self.source_text(node)}' is not evaluated by auditor", self.source_text(node))
        value = method(node)
        if isinstance(value, str | list | dict) and len(value) > budget.limits.max_value_size:
            budget.value(len(value), "the value of this expression")
        return value

    def _e_int_lit(self, node: Any) -> Any:
        return int(str(node_tokens(node)[0]))

    def _e_float_lit(self, node: Any) -> Any:
        return float(str(node_tokens(node)[0]))

    def _e_literal_value(self, node: Any) -> Any:
        return {"true": True, "false": False, "null": None}[str(node_tokens(node)[0])]

    def _e_identifier(self, node: Any) -> Any:
        return self._reference(str(node_tokens(node)[0]), [], node)

    def _e_string(self, node: Any) -> Any:
        parts: list[Any] = []
        for part in node.children:
            if not is_tree(part, "string_part"):
                continue
            token = part.children[0]
            if is_tree(token, "interpolation"):
                parts.append(self.eval(subtrees(token)[0]))
            elif is_tree(token):
                return Unknown("template directives (%{ … }) are not evaluated", self.source_text(node))
            elif token.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                parts.append(str(token)[1:])
            else:
                parts.append(unescape(str(token)))
        if len(parts) == 1 and len([p for p in node.children if is_tree(p, "string_part")]) == 1:
            only = next(p for p in node.children if is_tree(p, "string_part")).children[0]
            if is_tree(only, "interpolation"):
                return parts[0]  # "${x}" is x itself, not its text
        return join_parts(parts)

    def _e_template_string(self, node: Any) -> Any:
        return Unknown("template directives (%{ … }) are not evaluated", self.source_text(node))

    def _e_heredoc_template(self, node: Any) -> Any:
        return heredoc_text(self, node, trim=False)

    def _e_heredoc_template_trim(self, node: Any) -> Any:
        return heredoc_text(self, node, trim=True)

    def _e_tuple(self, node: Any) -> Any:
        items = PList()
        items.src, items.start = self.src, self.offset_of(node)
        for element in subtrees(node):
            items.append(self.eval(element))
            items.item_pos.append(self.offset_of(element))
        return items

    def _e_object(self, node: Any) -> Any:
        return self._object(node, value_of=lambda _key, expr: self.eval(expr))

    def _object(self, node: Any, value_of: Callable[[str, Any], Any]) -> Any:
        out = PDict()
        out.src, out.start = self.src, self.offset_of(node)
        for elem in subtrees(node):
            key_node, value_node = subtrees(elem)[0], subtrees(elem)[-1]
            key = self._object_key(key_node)
            if isinstance(key, Unknown):
                return key
            out[key] = value_of(key, value_node)
            out.key_pos[key] = self.offset_of(elem)
        return out

    def _object_key(self, node: Any) -> Any:
        inner = subtrees(node)[0]
        if is_tree(inner, "keyword"):
            return node_name(inner)
        bare = unwrap(inner)
        if is_tree(bare, "identifier") and not (is_tree(inner, "expr_term") and node_tokens(inner)):
            return node_name(bare)
        key = self.eval(inner)
        if isinstance(key, Unknown):
            return key
        text = to_string(key)
        return text

    def _e_conditional(self, node: Any) -> Any:
        cond_node, then_node, else_node = subtrees(node)
        cond = to_bool(self.eval(cond_node))
        if isinstance(cond, Unknown):
            then_value, else_value = self.evaluate(then_node), self.evaluate(else_node)
            same = hcl_equal(then_value, else_value)
            return then_value if same is True else cond
        return self.eval(then_node if cond else else_node)

    def _e_unary_op(self, node: Any) -> Any:
        op = str(node_tokens(node)[0])
        value = self.eval(subtrees(node)[0])
        if op == "!":
            value = to_bool(value)
            return value if isinstance(value, Unknown) else not value
        value = to_number(value)
        return value if isinstance(value, Unknown) else -value

    def _e_binary_op(self, node: Any) -> Any:
        left_node, term = subtrees(node)[0], subtrees(node)[1]
        operator = subtrees(term)[0]
        right_node = subtrees(term)[-1]
        op = node_tokens(operator)[0].type
        left, right = self.eval(left_node), self.eval(right_node)
        if op in ("DOUBLE_EQ", "NEQ"):
            same = hcl_equal(left, right)
            return same if isinstance(same, Unknown) else (same if op == "DOUBLE_EQ" else not same)
        if op in ("DOUBLE_AMP", "DOUBLE_PIPE"):
            a, b = to_bool(left), to_bool(right)
            stop = op == "DOUBLE_PIPE"  # || is decided by one true, && by one false
            if a is stop or b is stop:
                return stop
            for v in (a, b):
                if isinstance(v, Unknown):
                    return v
            return stop if (a is stop or b is stop) else (not stop)
        a, b = to_number(left), to_number(right)
        for v in (a, b):
            if isinstance(v, Unknown):
                return v
        if op == "PLUS":
            return a + b
        if op == "MINUS":
            return a - b
        if op == "ASTERISK":
            return a * b
        if op in ("SLASH", "PERCENT"):
            if b == 0:
                raise HclError("division by zero")
            if op == "PERCENT":
                return a % b
            result = a / b
            return int(result) if float(result).is_integer() else result
        comparisons: dict[str, Callable[[Any, Any], bool]] = {
            "LT": lambda x, y: x < y,
            "GT": lambda x, y: x > y,
            "LEQ": lambda x, y: x <= y,
            "GEQ": lambda x, y: x >= y,
        }
        if op in comparisons:
            return comparisons[op](a, b)
        raise HclError(f"unsupported operator {op}")

    # ------------------------------------------------------------ traversals

    def _e_get_attr_expr_term(self, node: Any) -> Any:
        return self._traversal(node)

    def _e_index_expr_term(self, node: Any) -> Any:
        return self._traversal(node)

    def _traversal(self, node: Any) -> Any:
        steps: list[Any] = []
        root = node
        while True:
            bare = unwrap(root)
            if is_tree(bare, "get_attr_expr_term") or is_tree(bare, "index_expr_term"):
                base, step = subtrees(bare)
                steps.append(step)
                root = base
                continue
            break
        steps.reverse()
        bare = unwrap(root)
        if is_tree(bare, "identifier") and not (is_tree(root, "expr_term") and node_tokens(root)):
            return self._reference(node_name(bare), steps, node)
        return self._apply(self.eval(root), steps, node)

    def _step_key(self, step: Any) -> Any:
        if step.data == "get_attr":
            return ("attr", node_name(subtrees(step)[0]))
        if step.data == "short_index":
            return ("index", int(str(node_tokens(step)[-1])))
        return ("index", self.eval(subtrees(step)[0]))

    def _apply(self, value: Any, steps: list[Any], node: Any) -> Any:
        for step in steps:
            kind, key = self._step_key(step)
            value = self._step(value, kind, key)
            if isinstance(value, Unknown) and not isinstance(value, CallbackUrl):
                return value
        return value

    def _step(self, value: Any, kind: str, key: Any) -> Any:
        if isinstance(key, Unknown):
            return key
        if isinstance(value, CallbackUrl):
            return value if (kind, key) == ("attr", "value") else Unknown(value.reason, value.expression)
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Lazy):
            return value.attr(key, self) if kind == "attr" else value.index(key, self)
        if value is None:
            raise HclError(
                f"cannot read {'attribute' if kind == 'attr' else 'index'} {key!r} of a null value"
            )
        if isinstance(value, dict):
            name = key if kind == "attr" else to_string(key)
            if isinstance(name, Unknown):
                return name
            if name not in value:
                raise HclError(f"the object has no attribute or key '{name}'")
            return value[name]
        if isinstance(value, list):
            index = to_number(key) if kind == "index" else None
            if not isinstance(index, int) or isinstance(index, bool):
                raise HclError(f"a list has no attribute '{key}'")
            if not 0 <= index < len(value):
                raise HclError(f"index {index} is out of range for a list of {len(value)}")
            return value[index]
        raise HclError(f"a {type_name(value)} has no {'attribute' if kind == 'attr' else 'index'} {key!r}")

    def _e_full_splat_expr_term(self, node: Any) -> Any:
        return self._splat(node)

    def _e_attr_splat_expr_term(self, node: Any) -> Any:
        return self._splat(node)

    def _splat(self, node: Any) -> Any:
        base_node, splat = subtrees(node)
        base = self.eval(base_node)
        steps = subtrees(splat)
        if isinstance(base, Unknown):
            return base
        if isinstance(base, Lazy):
            base = base.as_list(self)
            if isinstance(base, Unknown):
                return base
        elif base is None:
            return PList()
        elif not isinstance(base, list):
            base = [base]
        return PList(self._apply(item, steps, node) for item in base)

    def _reference(self, name: str, steps: list[Any], node: Any) -> Any:
        text = self.source_text(node)
        if name in self.bindings:
            return self._apply(self.bindings[name], steps, node)
        if self.literal_only:
            return Unknown(f"'{text}' is not a literal value", text)
        if self.template_only:
            return Unknown(f"'{name}' is not one of the variables passed to templatefile()", text)
        first = self._step_key(steps[0]) if steps else None
        attr = first[1] if first is not None and first[0] == "attr" else None
        if name == "var" and attr is not None:
            return self._apply(self.module.variable(attr), steps[1:], node)
        if name == "local" and attr is not None:
            return self._apply(self.module.local(attr), steps[1:], node)
        if name == "module":
            return Unknown(f"the outputs of module '{attr}' are not evaluated", text)
        if name == "path" and attr is not None:
            if attr == "module" or (attr == "root" and not self.module.is_child):
                return self._apply(str(self.module.dir), steps[1:], node)
            return Unknown(f"path.{attr} depends on where Terraform runs", text)
        if name == "data" and len(steps) >= 2:
            second = self._step_key(steps[1])
            block = self.module.data.get((str(attr), str(second[1])))
            if block is None:
                return Unknown(f"data source data.{attr}.{second[1]} is not declared in this module", text)
            return self._apply(ResourceRef(self.module, block), steps[2:], node)
        if name in ("terraform", "count", "each", "self", "data"):
            return Unknown(f"'{text}' is only known when Terraform runs", text)
        if attr is not None and "_" in name:
            block = self.module.resources.get((name, attr))
            if block is None:
                return Unknown(f"resource {name}.{attr} is not declared in this module", text)
            return self._apply(ResourceRef(self.module, block), steps[1:], node)
        return Unknown(f"'{text}' is not a value auditor knows", text)

    # ------------------------------------------------------------ for expressions

    def _for_intro(self, intro: Any) -> tuple[list[str], Any]:
        names = [node_name(c) for c in intro.children if is_tree(c, "identifier")]
        collection = self.eval(next(c for c in subtrees(intro) if not is_tree(c, "identifier")))
        if isinstance(collection, ResourceRef):
            collection = collection.collection()
        return names, collection

    def _for_items(self, names: list[str], collection: Any) -> Iterator[Evaluator]:
        budget = self.module.budget
        for key, value in collection_items(collection):
            budget.step()  # an iteration binds names and builds an element, beyond its nodes
            bound = {names[0]: key, names[1]: value} if len(names) == 2 else {names[0]: value}
            yield self.child(bound)

    def _e_for_tuple_expr(self, node: Any) -> Any:
        parts = subtrees(node)
        intro, value_node = parts[0], parts[1]
        cond = parts[2] if len(parts) > 2 else None
        names, collection = self._for_intro(intro)
        if isinstance(collection, Unknown):
            return collection
        out = PList()
        for ev in self._for_items(names, collection):
            if cond is not None:
                keep = to_bool(ev.eval(subtrees(cond)[0]))
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            out.append(ev.eval(value_node))
        return out

    def _e_for_object_expr(self, node: Any) -> Any:
        parts = subtrees(node)
        intro, key_node, value_node = parts[0], parts[1], parts[2]
        cond = parts[3] if len(parts) > 3 else None
        group = any(str(t) == "..." for t in node_tokens(node))
        names, collection = self._for_intro(intro)
        if isinstance(collection, Unknown):
            return collection
        out = PDict()
        for ev in self._for_items(names, collection):
            if cond is not None:
                keep = to_bool(ev.eval(subtrees(cond)[0]))
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            key = to_string(ev.eval(key_node))
            if isinstance(key, Unknown):
                return key
            value = ev.eval(value_node)
            if group:
                out.setdefault(key, PList()).append(value)
            elif key in out:
                raise HclError(f"duplicate key '{key}' in a for expression (use ... to group)")
            else:
                out[key] = value
        return out

    # ------------------------------------------------------------ functions

    def _function_name(self, node: Any) -> str:
        names = [node_name(c) for c in node.children if is_tree(c, "identifier")]
        return "::".join(names)

    def _arguments(self, node: Any) -> list[tuple[Any, bool]]:
        args = next((c for c in node.children if is_tree(c, "arguments")), None)
        if args is None:
            return []
        exprs = subtrees(args)
        expand = any(str(t) == "..." for t in node_tokens(args))
        return [(e, expand and i == len(exprs) - 1) for i, e in enumerate(exprs)]

    def _e_function_call(self, node: Any) -> Any:
        name = self._function_name(node)
        args = self._arguments(node)
        text = self.source_text(node)
        if name in ("try", "can"):
            for expr, _expand in args:
                try:
                    value = self.eval(expr)
                except HclError:
                    if name == "can":
                        return False
                    continue
                if name == "can":
                    return value if isinstance(value, Unknown) else True
                return value
            if name == "can":
                return True
            raise HclError("no argument of try() could be evaluated")
        function = FUNCTIONS.get(name)
        if function is None:
            if name in FILE_FUNCTIONS:
                values = self._argument_values(args)
                return self._file_function(name, values, text)
            return Unknown(f"function {name}() is not evaluated by auditor", text)
        values = self._argument_values(args)
        for value in values:
            if isinstance(value, Unknown):
                return value
            if isinstance(value, Lazy) and name != "jsondecode":
                return value.unknown()
        try:
            return function(*values)
        except HclError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise HclError(f"{name}(): {exc}") from None

    def _argument_values(self, args: list[tuple[Any, bool]]) -> list[Any]:
        values: list[Any] = []
        for expr, expand in args:
            value = self.eval(expr)
            if expand:
                if isinstance(value, Unknown):
                    values.append(value)
                elif isinstance(value, list):
                    values.extend(value)
                else:
                    raise HclError("only a list can be expanded with ...")
            else:
                values.append(value)
        return values

    def _file_function(self, name: str, values: list[Any], text: str) -> Any:
        """``file()`` / ``templatefile()``, reading only regular files inside the scanned folders.

        The path comes from the pull request: ``/proc/self/environ``, ``../../x`` or a
        link out of the repository would otherwise put CI secrets into a finding and
        from there into every report. Such a read is refused and the value is unknown
        (SRC003 where a check needs it); the message names the path as written, never
        what the file holds. A missing file is a Terraform error, as in Terraform.
        """
        if not values or not isinstance(values[0], str):
            return (
                values[0]
                if values and isinstance(values[0], Unknown)
                else Unknown(f"{name}() of an unknown path", text)
            )
        content = self._read_confined(name, values[0], text)
        if not isinstance(content, tuple):
            return content
        path, body = content
        if name == "file":
            return body
        variables = values[1] if len(values) > 1 else {}
        if isinstance(variables, Unknown):
            return variables
        if not isinstance(variables, dict):
            raise HclError("templatefile(): the variables must be an object")
        if path in self.templates:
            raise HclError(f"templatefile(): {values[0]} includes itself")
        template_file = HclFile(path, str(path), SourceFile(str(path), body))
        ev = Evaluator(
            self.module,
            template_file,
            dict(variables),
            text=body,
            src=None,
            template_only=True,
            base_dir=path.parent,
        )
        ev.templates = (*self.templates, path)
        return render_template(ev, body, 0, trim=False)

    def _read_confined(self, name: str, given: str, text: str) -> tuple[Path, str] | Unknown:
        """The resolved path and text of the file ``given`` names, or why it is not read."""
        path = Path(given)
        if not path.is_absolute():
            path = self.base_dir / path
        roots = self.module.roots
        try:
            real = Path(os.path.realpath(path))  # not strict: whether a file outside exists is not told
        except (OSError, RuntimeError, ValueError):
            return Unknown(f"{name}(): {given} is not a path auditor can read", text)
        if not roots or not is_within(real, roots):
            return Unknown(
                f"{name}(): {given} is outside the scanned folders, so auditor does not read it", text
            )
        try:
            data = read_regular(real, max_bytes=MAX_HCL_BYTES, roots=roots)
        except FileNotFoundError:
            raise HclError(f"{name}(): no file {given}") from None
        except FileRefused as exc:
            return Unknown(f"{name}(): {given} is not read ({exc.strerror})", text)
        except OSError as exc:
            return Unknown(f"{name}(): {given} cannot be read ({exc.strerror or type(exc).__name__})", text)
        try:
            body = decode(data)
        except DecodeError:
            return Unknown(f"{name}(): {given} is not UTF-8 text", text)
        self.module.budget.value(len(body), f"the text {name}() reads")
        return real, body

    def interpolate(self, expr: str, offset: int) -> Any:
        """Evaluate the text of one ``${…}`` (offset: where the expression starts in the source)."""
        try:
            node = parse_expression(expr)
        except Exception as exc:
            message, _line, _column = syntax_message(exc)
            if self.src is not None:
                self.module.problem(
                    self.src, offset, f"{message} in template interpolation ${{{expr.strip()}}}"
                )
            return Unknown(f"invalid expression ${{{expr.strip()}}}")
        ev = Evaluator.__new__(Evaluator)
        ev.__dict__.update(self.__dict__)
        ev.text = f"x = ({expr})"
        ev.shift = offset - 5
        try:
            value = ev.eval(node)
            return to_string(value)
        except HclError as exc:
            return Unknown(str(exc), expr.strip())


def unwrap(node: Any) -> Any:
    """The expression inside ``expr_term`` wrappers and parentheses."""
    while is_tree(node, "expr_term"):
        inner = subtrees(node)
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def plist_at(src: SourceFile, start: int) -> PList:
    items = PList()
    items.src, items.start = src, start
    return items


@functools.lru_cache(maxsize=4096)
def unescape(literal: str) -> str:
    """A string literal's text with its escapes processed (cached: loops evaluate one literal often)."""
    return str(hcl2_module().utils.process_escape_sequences(literal))


def join_parts(parts: list[Any]) -> Any:
    texts: list[str] = []
    for part in parts:
        text = to_string(part)
        if isinstance(text, Unknown):
            # Text around a callback URL is no longer the callback URL.
            return text if len(parts) == 1 else Unknown(text.reason, text.expression)
        texts.append(text)
    current().value(sum(map(len, texts)), "an interpolated string")
    return "".join(texts)
