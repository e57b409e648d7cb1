"""A module's configuration structure: files, attributes and blocks as parsed, loaded inside the scanned roots.

Also the size limits of what is read, and the SRC005 report of an exceeded budget at its expression.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.budget import Budget, BudgetExceeded, current, reraise_bugs
from auditor.files import read_regular
from auditor.model import Origin, Problem
from auditor.sources.core.cursor import SourceFile
from auditor.sources.core.evaluation.template import limit_message, quoted
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, decode, loads
from auditor.sources.terraform.result import TerraformProblem
from auditor.sources.terraform.syntax import node_name, node_start, parse_hcl, subtrees, syntax_message
from auditor.unknown import Unknown

MAX_FILE_BYTES = 50 * 1024 * 1024  # .tfvars.json (JSON parses fast)
#: HCL source larger than this is not parsed (SRC001). python-hcl2's Lark parser reads dense HCL at
#: 0.1-0.25 MB/s on this project's 2-core machines (comments and long strings: 5-20 MB/s), so 2 MiB
#: is about ten seconds at the worst rate; real .tf files are rarely over 100 KB.
MAX_HCL_BYTES = 2 * 1024 * 1024
META_ATTRIBUTES = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})


# ---------------------------------------------------------------- configuration structure


@dataclass(eq=False)
class HclFile:
    path: Path
    display: str
    src: SourceFile
    tree: Any = None
    blocks: list[Block] = field(default_factory=list)
    attrs: dict[str, Attr] = field(default_factory=dict)
    problems: list[TerraformProblem] = field(default_factory=list)
    unreadable: str | None = None


@dataclass(eq=False)
class Attr:
    name: str
    expr: Any
    offset: int


@dataclass(eq=False)
class Block:
    type: str
    labels: tuple[str, ...]
    attrs: dict[str, Attr]
    blocks: list[Block]
    offset: int
    file: HclFile


def _read_body(body: Any, file: HclFile, depth: int = 0) -> tuple[dict[str, Attr], list[Block]]:
    """Attributes and nested blocks of a body; blocks deeper than the walk-depth limit are cut (SRC005)."""
    attrs: dict[str, Attr] = {}
    blocks: list[Block] = []
    for child in subtrees(body):
        if child.data == "attribute":
            parts = subtrees(child)
            name = node_name(parts[0])
            attrs[name] = Attr(name, parts[-1], node_start(child))
        elif child.data == "block":
            parts = subtrees(child)
            inner = next((p for p in parts if p.data == "body"), None)
            names = [node_name(p) for p in parts if p.data != "body"]
            sub_attrs: dict[str, Attr] = {}
            sub_blocks: list[Block] = []
            if inner is not None:
                budget = current()
                limit = budget.limits.max_walk_depth
                try:
                    budget.depth(depth + 1, "an HCL block", limit=limit)
                    sub_attrs, sub_blocks = _read_body(inner, file, depth + 1)
                except BudgetExceeded as exc:
                    report_limit(file.src, node_start(child), exc, names[0] if names else "", budget)
            blocks.append(Block(names[0], tuple(names[1:]), sub_attrs, sub_blocks, node_start(child), file))
    return attrs, blocks


def report_limit(src: SourceFile, offset: int, exc: BudgetExceeded, expression: str, budget: Budget) -> None:
    """One ``evaluation-limit`` problem (SRC005) per place; a spent (sticky) budget once per file.

    ``expression`` is text of the scanned file itself (an expression, a block type), shown
    collapsed to one line and cut to 120 characters.
    """
    sticky = exc is budget.spent
    site = src.path if sticky else f"{src.path}\0{offset}"
    if not budget.first_report(exc.limit, site):
        return
    line, column = src.index.position(min(max(offset, 0), len(src.text))) if src.text else (0, 0)
    shown = " ".join(expression.split())
    src.problems.append(
        Problem(
            code="evaluation-limit",
            message=limit_message(exc, quoted(shown) if shown else ""),
            origin=Origin(file=src.path, line=line, column=column),
        )
    )


def as_limit(exc: BaseException) -> BudgetExceeded:
    """A budget, or Python's own limit hit instead of one, as the exceedance SRC005 reports."""
    if isinstance(exc, BudgetExceeded):
        return exc
    if isinstance(exc, RecursionError):
        return BudgetExceeded("walk depth", "values or expressions nest too deeply for auditor")
    return BudgetExceeded("memory", "evaluating this ran out of memory")


def _too_large(size: int) -> str:
    return (
        f"file is {size:,} bytes: too large to parse within budget (auditor parses HCL files of at most "
        f"{MAX_HCL_BYTES:,} bytes; Lark reads dense HCL at about 0.2 MB/s)"
    )


def load_file(path: Path, display: str, roots: tuple[Path, ...] | None = None) -> HclFile:
    """Read and parse one file within the current budget; problems are recorded on it, never raised.

    Only a regular file inside ``roots`` is read (:func:`auditor.files.read_regular`):
    a sibling ``.tf`` that links to ``/dev/zero`` or out of the scanned folder is not opened.
    """
    is_json = path.name.endswith(".json")
    limit = MAX_FILE_BYTES if is_json else MAX_HCL_BYTES
    try:
        size = path.stat().st_size
        if size > limit and not is_json:
            return HclFile(path, display, SourceFile(display, ""), unreadable=_too_large(size))
        text = decode(read_regular(path, max_bytes=limit, roots=roots))
    except OSError as exc:
        return HclFile(
            path, display, SourceFile(display, ""), unreadable=f"cannot read file: {exc.strerror or exc}"
        )
    except DecodeError as exc:
        return HclFile(
            path, display, SourceFile(display, ""), unreadable=f"cannot decode file: {exc.message}"
        )
    file = HclFile(path, display, SourceFile(display, text))
    if path.name.endswith(".json"):  # terraform.tfvars.json
        try:
            doc = loads(text, src=file.src)
        except JsonSyntaxError as exc:
            file.problems.append(TerraformProblem(f"invalid JSON: {exc.message}", exc.line, exc.column))
            return file
        file.tree = doc
        return file
    budget = current()
    try:
        file.tree = parse_hcl(text, budget)
    except (BudgetExceeded, RecursionError, MemoryError) as exc:
        report_limit(file.src, 0, as_limit(exc), "", budget)
        return file
    except Exception as exc:  # lark errors, and anything python-hcl2 raises on odd input
        from lark.exceptions import LarkError

        if not isinstance(exc, LarkError) and reraise_bugs():
            raise
        message, line, column = syntax_message(exc)
        file.problems.append(TerraformProblem(message, line, column))
        return file
    file.attrs, file.blocks = _read_body(file.tree.children[0], file)
    return file


def bounded(value: Any, src: SourceFile, offset: int, what: str) -> Any:
    """``value`` when it nests no deeper than the walk-depth limit, else Unknown (SRC005 at ``offset``)."""
    budget = current()
    limit = budget.limits.max_walk_depth
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth >= limit:
            exc = BudgetExceeded("walk depth", f"a value is nested more than {limit} levels deep")
            report_limit(src, offset, exc, what, budget)
            return Unknown(exc.reason, what)
        budget.step(len(item) + 1)
        stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return value


def address_of(block: Block, key: Any) -> str:
    prefix = "data." if block.type == "data" else ""
    base = f"{prefix}{block.labels[0]}.{block.labels[1]}"
    if key is None or isinstance(key, Unknown):
        return base
    return f"{base}[{key}]" if isinstance(key, int) else f"{base}[{json.dumps(key)}]"
