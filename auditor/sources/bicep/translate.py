"""Bicep → a positioned ARM template, the way ``bicep build`` compiles it, with the Bicep lines kept.

Why translate instead of evaluating Bicep on its own: Bicep *is* compiled to ARM before Azure sees it,
so its meaning is the ARM template it becomes, and auditor already evaluates ARM exactly (parameters,
copy loops, conditions, nested deployments, unknowns, budgets). The translation writes what the Bicep
compiler writes (``param x`` → ``parameters('x')``, ``playbook.id`` → ``resourceId(…)``, ``for`` →
``copy``, ``if`` → ``condition``, a module → an inner-scoped nested deployment) into
:class:`~auditor.sources.core.jsonpos.PDict`/``PList`` containers whose positions are offsets into the
``.bicep`` text, so every finding lands on the Bicep line of the value it is about.

What cannot be known (an imported symbol, a user-defined function, a registry module, a construct
auditor does not translate) becomes a hidden variable whose value is an
:class:`~auditor.unknown.Unknown` saying why, so the checks stay silent on it and SRC003 says what was
not verified. A Bicep construct that only affects types never changes a value and is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.sources.bicep.normalize import nullable_parameters
from auditor.sources.bicep.syntax import ParsedBicep
from auditor.sources.core.cursor import SourceFile
from auditor.sources.core.jsonpos import PDict, PList
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from tree_sitter import Node

DEPLOYMENTS_API = "2022-09-01"
#: Longest ARM expression a translation writes; beyond it the value is unknown (SRC005), so a chain
#: of names that each repeat the one before cannot grow without bound.
MAX_EXPRESSION = 200_000
#: How deeply Bicep expressions may nest before the value is unknown (SRC005).
MAX_DEPTH = 200

SCHEMAS = {
    "resourcegroup": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "subscription": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    "managementgroup": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
    "tenant": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
}

_SKIPPED = frozenset({"comment", "diagnostic_comment"})
_BINARY = {
    "==": "equals({0}, {1})",
    "!=": "not(equals({0}, {1}))",
    "=~": "equals(toLower({0}), toLower({1}))",
    "!~": "not(equals(toLower({0}), toLower({1})))",
    "&&": "and({0}, {1})",
    "||": "or({0}, {1})",
    "<": "less({0}, {1})",
    "<=": "lessOrEquals({0}, {1})",
    ">": "greater({0}, {1})",
    ">=": "greaterOrEquals({0}, {1})",
    "+": "add({0}, {1})",
    "-": "sub({0}, {1})",
    "*": "mul({0}, {1})",
    "/": "div({0}, {1})",
    "%": "mod({0}, {1})",
    "??": "coalesce({0}, {1})",
}
#: How an id is written in a template of each targetScope: (function, base id expression, arguments).
_SCOPE_IDS: dict[str, tuple[str, str, list[str]]] = {
    "resourcegroup": ("resourceId", "resourceGroup().id", []),
    "subscription": ("subscriptionResourceId", "subscription().id", []),
    "tenant": ("tenantResourceId", "''", []),
    "managementgroup": ("extensionResourceId", "managementGroup().id", ["managementGroup().id"]),
}
_NAMESPACES = frozenset({"az", "sys"})
_LOADERS = frozenset(
    {"loadjsoncontent", "loadtextcontent", "loadfileasbase64", "loadyamlcontent", "loaddirectoryfileinfo"}
)
_JSON_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]")
_JSON_PATH = re.compile(r"\$(?:\.[A-Za-z_$][\w$-]*|\[\d+\]|\['[^']*'\])*")
_SUPPRESSION = re.compile(r"^//\s*auditor:\s*ignore\s+(.*)$", re.IGNORECASE)
_RULE_TOKEN = re.compile(r"^[A-Za-z]+[0-9]*\*?$")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", "$": "$"}


class Untranslatable(Exception):
    """A value auditor cannot write as ARM: it becomes an Unknown with this reason."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # a problem code to report as well (evaluation-limit)


@dataclass
class Loop:
    """A resource's or module's ``for``: its item and index names and what it iterates."""

    iterable: Node
    item: str | None
    index: str | None
    condition: Node | None = None


@dataclass
class Symbol:
    """A declared name: a parameter, variable, resource, module, function or import."""

    kind: str
    name: str
    node: Node
    type_: str = ""
    api: str = ""
    body: Node | None = None  # the object of a resource or module
    parent: Symbol | None = None
    loop: Loop | None = None
    existing: bool = False
    children: dict[str, Symbol] = field(default_factory=dict)


@dataclass
class TranslatedProblem:
    """What translating met that is a finding: ``code`` is a model ProblemCode, ``offset`` in the text."""

    code: str
    message: str
    offset: int
    path: str = ""  # the symbolic path of what it is about (tells two modules' problems apart)


@dataclass
class ModuleTemplate:
    """What a module's source gives: a template to deploy, or why there is none."""

    template: PDict | None
    reason: str | None = None


#: ``(path as written, offset of the path in the text) → the module's template``.
ModuleLoader = Callable[[str, int], ModuleTemplate]


@dataclass
class LoadedFile:
    """What ``loadJsonContent``/``loadTextContent`` read: the text and its file, or why there is none."""

    text: str | None
    src: SourceFile | None = None
    reason: str | None = None


#: ``(path as written) → the file's text`` (inside the scanned folders only).
FileLoader = Callable[[str], LoadedFile]


class Translator:
    """One Bicep file → one ARM template (see the module docstring)."""

    def __init__(
        self,
        parsed: ParsedBicep,
        src: SourceFile,
        load_module: ModuleLoader | None = None,
        load_file: FileLoader | None = None,
    ) -> None:
        self.parsed = parsed
        self.src = src
        self.load_module = load_module
        self.load_file = load_file
        self.symbols: dict[str, Symbol] = {}
        self.problems: list[TranslatedProblem] = []
        self.scope = "resourcegroup"
        self.using: str | None = None  # a .bicepparam's ``using '…'`` template
        self._unknowns: dict[str, Unknown] = {}
        self._resolving: set[str] = set()
        self._depth = 0
        self._nullable_at: frozenset[int] | None = None

    # ------------------------------------------------------------ helpers

    def _offset(self, node: Node) -> int:
        return self.parsed.offset(node)

    def _text(self, node: Node) -> str:
        return self.parsed.source(node)

    def _pdict(self, node: Node | None) -> PDict:
        out = PDict()
        out.src = self.src
        out.start = self._offset(node) if node is not None else 0
        return out

    def _put(self, out: PDict, key: str, value: Any, at: Node | None) -> None:
        out[key] = value
        if at is not None:
            out.key_pos[key] = self._offset(at)

    def _hidden(self, value: Any) -> str:
        """An ARM expression whose value is ``value`` as it is (a hidden variable holding it)."""
        name = f"__bicep_unknown_{len(self._unknowns)}"
        self._unknowns[name] = value
        return f"variables('{name}')"

    def _loaded(self, function: str, args: list[Node]) -> Any:
        """``loadJsonContent('f.json'[, '$.a.b'])`` / ``loadTextContent('f.txt')``: the file's content,
        read beside the Bicep file (inside the scanned folders); JSON strings stay literal, as Bicep
        escapes them when it compiles (``[`` → ``[[``)."""
        if args[0].type != "string" or any(c.type == "interpolation" for c in args[0].children):
            raise Untranslatable(f"{function}() of a computed path is not evaluated by auditor")
        if self.load_file is None:
            raise Untranslatable(f"{function}() is not evaluated here")
        written = _string_literal(self, args[0])
        loaded = self.load_file(written)
        if loaded.text is None:
            raise Untranslatable(f"{function}('{_clip(written)}'): {loaded.reason}")
        if function == "loadtextcontent":
            return _escaped(loaded.text)
        from auditor.sources.core.jsonpos import JsonSyntaxError, loads

        try:
            doc = loads(loaded.text, src=loaded.src)
        except JsonSyntaxError as exc:
            raise Untranslatable(
                f"loadJsonContent('{_clip(written)}'): the file is not valid JSON ({exc})"
            ) from None
        except RecursionError:
            raise Untranslatable(f"loadJsonContent('{_clip(written)}'): the JSON nests too deeply") from None
        if len(args) > 1:
            if args[1].type != "string":
                raise Untranslatable(
                    "loadJsonContent() with a computed JSON path is not evaluated by auditor"
                )
            doc = _json_path(doc, _string_literal(self, args[1]))
        return _escaped(doc)

    def unknown(self, reason: str) -> str:
        """An ARM expression whose value is ``Unknown(reason)`` (a hidden variable holding it)."""
        name = f"__bicep_unknown_{len(self._unknowns)}"
        self._unknowns[name] = Unknown(reason)
        return f"variables('{name}')"

    # ------------------------------------------------------------ the file

    def template(self) -> PDict:
        """The whole file as an ARM template."""
        root = self.parsed.root
        statements = _kids(root)
        self._declare(statements)
        out = self._pdict(root)
        params, variables, resources, outputs = (self._pdict(root) for _ in range(4))
        decorators: Node | None = None
        for node in statements:
            kind = node.type
            if kind == "decorators":
                decorators = node
                continue
            try:
                if kind == "parameter_declaration":
                    self._parameter(node, decorators, params)
                elif kind == "variable_declaration":
                    name, value = _kids(node)[0], _kids(node)[1]
                    self._put(variables, self._text(name), self.value(value, {}), name)
                elif kind in ("resource_declaration", "module_declaration"):
                    self._resources(self.symbols[self._text(_kids(node)[0])], resources)
                elif kind == "output_declaration":
                    self._output(node, outputs)
            except Untranslatable as exc:  # pragma: no cover - value() turns these into unknowns
                self.problems.append(TranslatedProblem("unresolved", exc.reason, self._offset(node)))
            decorators = None
        self._put(out, "$schema", SCHEMAS[self.scope], None)
        self._put(out, "contentVersion", "1.0.0.0", None)
        self._put(out, "languageVersion", "2.0", None)
        self._put(out, "parameters", params, None)
        for hidden, unknown in self._unknowns.items():
            variables[hidden] = unknown
        self._put(out, "variables", variables, None)
        self._put(out, "resources", resources, None)
        self._put(out, "outputs", outputs, None)
        return out

    def _declare(self, statements: list[Node]) -> None:
        """Every top-level name first: Bicep declarations may be used before they are written."""
        for node in statements:
            kind = node.type
            kids = _kids(node)
            if kind == "using_statement" and kids and kids[0].type == "string":
                self.using = _string_literal(self, kids[0])
            elif kind == "target_scope_assignment" and kids:
                self.scope = _string_literal(self, kids[0]).replace(" ", "").lower() or "resourcegroup"
                if self.scope not in SCHEMAS:
                    self.scope = "resourcegroup"
            elif kind == "parameter_declaration" and kids:
                self.symbols[self._text(kids[0])] = Symbol("param", self._text(kids[0]), node)
            elif kind == "variable_declaration" and kids:
                self.symbols[self._text(kids[0])] = Symbol("var", self._text(kids[0]), node)
            elif kind == "resource_declaration" and kids:
                self._declare_resource(node, None)
            elif kind == "module_declaration" and kids:
                sym = Symbol(
                    "module", self._text(kids[0]), node, "Microsoft.Resources/deployments", DEPLOYMENTS_API
                )
                self._declare_body(sym, node)
                self.symbols[sym.name] = sym
            elif kind == "user_defined_function":
                name = node.child_by_field_name("name")
                if name is not None:
                    self.symbols[self._text(name)] = Symbol("func", self._text(name), node)
            elif kind == "import_functionality":
                for ident in _kids(node):
                    if ident.type == "identifier":
                        self.symbols[self._text(ident)] = Symbol("import", self._text(ident), node)

    def _declare_resource(self, node: Node, parent: Symbol | None) -> Symbol | None:
        kids = _kids(node)
        if len(kids) < 2 or kids[1].type != "string":
            return None
        type_api = _string_literal(self, kids[1])
        type_, _, api = type_api.partition("@")
        if parent is not None and "/" not in type_:  # a nested child: 'triggers' under its parent's type
            type_ = f"{parent.type_}/{type_}"
        sym = Symbol("resource", self._text(kids[0]), node, type_, api, parent=parent)
        sym.existing = any(c.type == "existing" for c in node.children)
        self._declare_body(sym, node)
        if parent is None:
            self.symbols[sym.name] = sym
        else:
            parent.children[sym.name] = sym
        if sym.body is not None:
            for prop in _kids(sym.body):
                if prop.type == "object_property":
                    inner = _kids(prop)
                    if inner and inner[0].type == "resource_declaration":
                        self._declare_resource(inner[0], sym)
        return sym

    def _declare_body(self, sym: Symbol, node: Node) -> None:
        """The body object of a resource or module, and its ``for``/``if`` around it."""
        value = _kids(node)[-1]
        if value.type == "if_statement":
            sym.loop = None
            sym.body = _last_object(value)
            return
        if value.type == "for_statement":
            names, iterable, body = _for_parts(self, value)
            condition = None
            if body is not None and body.type == "if_statement":
                condition = _kids(body)[0]
                body = _last_object(body)
            sym.loop = Loop(iterable, names[0], names[1], condition)
            sym.body = body if body is not None and body.type == "object" else None
            return
        sym.body = value if value.type == "object" else None

    # ------------------------------------------------------------ declarations

    def _parameter(self, node: Node, decorators: Node | None, params: PDict) -> None:
        kids = _kids(node)
        name = kids[0]
        decl = self._pdict(node)
        type_node = kids[1] if len(kids) > 1 else None
        declared = self._text(type_node).strip() if type_node is not None else ""
        type_ = declared if declared in ("string", "int", "bool", "object", "array") else "object"
        if declared.startswith("'") or declared.startswith("("):
            type_ = "string"
        if _has_decorator(self, decorators, "secure"):
            type_ = "secureString" if type_ == "string" else "secureObject"
        self._put(decl, "type", type_, type_node)
        if type_node is not None and type_node.start_byte in self._nullable():
            self._put(decl, "nullable", True, type_node)  # ``T?``: what ``bicep build`` writes
        if len(kids) > 2:
            self._put(decl, "defaultValue", self.value(kids[2], {}), kids[2])
        self._put(params, self._text(name), decl, name)

    def _nullable(self) -> frozenset[int]:
        """Where the types of this file's ``param x T?`` start (read once, from the original bytes)."""
        if self._nullable_at is None:
            self._nullable_at = nullable_parameters(self.parsed.data)
        return self._nullable_at

    def _output(self, node: Node, outputs: PDict) -> None:
        kids = _kids(node)
        if len(kids) < 3:
            return
        decl = self._pdict(node)
        self._put(decl, "type", self._text(kids[1]).strip(), kids[1])
        self._put(decl, "value", self.value(kids[-1], {}), kids[-1])
        self._put(outputs, self._text(kids[0]), decl, kids[0])

    def _resources(self, sym: Symbol, resources: PDict) -> None:
        """A resource (and its nested children, flattened as ARM does) or a module."""
        body = self._resource_body(sym)
        self._put(resources, _path_key(sym), body, sym.node)
        for child in sym.children.values():
            self._resources(child, resources)

    def _loop_env(self, sym: Symbol, index: str) -> dict[str, str]:
        """Names a loop binds, for the instance at ``index`` (an ARM expression)."""
        env: dict[str, str] = {}
        owner: Symbol | None = sym
        while owner is not None and owner.loop is None:
            owner = owner.parent
        if owner is not None and owner.loop is not None:
            loop = owner.loop
            iterable = self.expr(loop.iterable, {})
            if loop.item:
                env[loop.item] = f"{iterable}[{index}]"
            if loop.index:
                env[loop.index] = index
        return env

    def _looped(self, sym: Symbol) -> Symbol | None:
        owner: Symbol | None = sym
        while owner is not None and owner.loop is None:
            owner = owner.parent
        return owner

    def _resource_body(self, sym: Symbol) -> PDict:
        owner = self._looped(sym)
        env = self._loop_env(sym, f"copyIndex('{_path_key(sym)}')") if owner is not None else {}
        out = self._pdict(sym.node)
        type_node = _kids(sym.node)[1] if sym.kind == "resource" else _kids(sym.node)[0]
        self._put(out, "type", sym.type_, type_node)
        self._put(out, "apiVersion", sym.api, type_node)
        comment = self._suppression(sym.node)
        if comment is not None:
            out["metadata"] = comment[0]
            out.key_pos["metadata"] = comment[1]
        if sym.existing:
            out["existing"] = True
        if owner is not None and owner.loop is not None:
            iterable = owner.loop.iterable
            copy = self._pdict(iterable)
            self._put(copy, "name", _path_key(sym), None)
            self._put(copy, "count", self._wrap(lambda: f"length({self.expr(iterable, {})})"), None)
            self._put(out, "copy", copy, iterable)
            if owner.loop.condition is not None:
                condition = owner.loop.condition
                self._put(out, "condition", self._wrap(lambda: self.expr(condition, env)), condition)
        value = _kids(sym.node)[-1]
        if value.type == "if_statement":
            condition = _kids(value)[0]
            self._put(out, "condition", self._wrap(lambda: self.expr(condition, env)), condition)
        if sym.body is None:
            return out
        name_node = _property(self, sym.body, "name")
        if sym.kind == "module":
            self._module(sym, out, env)
            return out
        for prop in _kids(sym.body):
            if prop.type != "object_property":
                continue
            kids = _kids(prop)
            if not kids or kids[0].type == "resource_declaration" or len(kids) < 2:
                continue
            key = _key_text(self, kids[0])
            lowered = key.lower()
            if lowered in ("parent", "dependson"):
                continue
            if lowered == "name":
                self._put(out, "name", self._wrap(lambda: self._full_name(sym, env)), kids[0])
                continue
            if lowered == "scope":
                scope = self._extension_scope(kids[1], env)
                if scope is not None:
                    self._put(out, "scope", scope, kids[0])
                continue
            self._put(out, key, self._property_value(kids[1], env), kids[0])
        if name_node is None and not sym.existing:
            self._put(out, "name", self._wrap(lambda: self.unknown("the resource has no name")), sym.node)
        return out

    def _extension_scope(self, node: Node, env: dict[str, str]) -> str | None:
        """``scope: someResource`` on an extension resource → the id it applies to (None: the
        deployment's own scope, e.g. ``scope: resourceGroup()``)."""
        target = self._resource_target(node, env)
        if target is not None:
            sym, index_env = target
            return "[" + self._id(sym, index_env) + "]"
        if (
            node.type == "call_expression"
            and _callee(self, node) in ("resourcegroup", "subscription", "tenant", "managementgroup")
            and not _kids(node.child_by_field_name("arguments") or node)
        ):
            return None
        return self._wrap(lambda: self.expr(node, env))

    def _module(self, sym: Symbol, out: PDict, env: dict[str, str]) -> None:
        """A module: an inner-scoped nested deployment of the module's template."""
        body = sym.body
        assert body is not None
        name_node = _property(self, body, "name")
        name = self._wrap(lambda: self.expr(name_node, env)) if name_node is not None else sym.name
        self._put(out, "name", name, name_node or sym.node)
        scope_node = _property(self, body, "scope")
        if scope_node is not None:
            self._module_scope(scope_node, env, out)
        props = self._pdict(body)
        options = self._pdict(body)
        options["scope"] = "inner"
        self._put(props, "expressionEvaluationOptions", options, None)
        self._put(props, "mode", "Incremental", None)
        params = self._pdict(body)
        params_node = _property(self, body, "params")
        if params_node is not None and params_node.type == "object":
            for prop in _kids(params_node):
                kids = _kids(prop)
                if prop.type == "object_property" and len(kids) >= 2:
                    spec = self._pdict(prop)
                    self._put(spec, "value", self._property_value(kids[1], env), kids[1])
                    self._put(params, _key_text(self, kids[0]), spec, kids[0])
        elif params_node is not None:
            self.problems.append(
                TranslatedProblem(
                    "unresolved",
                    f"module '{sym.name}': its params are not an object literal, so auditor passes none",
                    self._offset(params_node),
                    f"resources.{_path_key(sym)}.properties.parameters",
                )
            )
        self._put(props, "parameters", params, params_node)
        path_node = _kids(sym.node)[1]
        path = _string_literal(self, path_node)
        loaded = (
            self.load_module(path, self._offset(path_node))
            if self.load_module is not None
            else ModuleTemplate(None, "modules are not followed here")
        )
        if loaded.template is not None:
            props["template"] = loaded.template
            props.key_pos["template"] = self._offset(path_node)
        else:
            self.problems.append(
                TranslatedProblem(
                    "unresolved",
                    f"module '{sym.name}' ('{_clip(path)}'): {loaded.reason}; the resources it deploys are not checked",
                    self._offset(path_node),
                    f"resources.{_path_key(sym)}",
                )
            )
        self._put(out, "properties", props, body)

    def _module_scope(self, node: Node, env: dict[str, str], out: PDict) -> None:
        """``scope: resourceGroup('rg')`` and friends: where the module deploys."""
        if node.type == "call_expression":
            callee = _callee(self, node)
            args = _kids(node.child_by_field_name("arguments") or node)
            if callee == "resourcegroup" and args:
                if len(args) == 2:
                    self._put(out, "subscriptionId", self._wrap(lambda: self.expr(args[0], env)), node)
                self._put(out, "resourceGroup", self._wrap(lambda: self.expr(args[-1], env)), node)
                return
            if callee == "subscription" and args:
                self._put(out, "subscriptionId", self._wrap(lambda: self.expr(args[0], env)), node)
                return
            if callee in ("resourcegroup", "subscription", "tenant", "managementgroup"):
                return
        target = self._resource_target(node, env)
        if target is not None and target[0].type_.lower() == "microsoft.resources/resourcegroups":
            sym, index_env = target
            self._put(out, "resourceGroup", self._wrap(lambda: self._name_segments(sym, index_env)[-1]), node)

    def _property_value(self, node: Node, env: dict[str, str]) -> Any:
        return self.value(node, env)

    def _suppression(self, node: Node) -> tuple[PDict, int] | None:
        """``// auditor: ignore LA106, AUT202 reason`` on the lines just above a resource → its
        ``metadata.auditor`` (what an ARM template writes), at the comment's position."""
        prev = node.prev_sibling
        while prev is not None and prev.type in ("comment", "decorators", "decorator"):
            if prev.type == "comment":
                match = _SUPPRESSION.match(self._text(prev).strip())
                if match:
                    rules, reason = _split_rules(match.group(1))
                    block = self._pdict(prev)
                    block["ignore"] = rules
                    if reason:
                        block["reason"] = reason
                    metadata = self._pdict(prev)
                    metadata["auditor"] = block
                    metadata.key_pos["auditor"] = self._offset(prev)
                    return metadata, self._offset(prev)
            prev = prev.prev_sibling
        return None

    # ------------------------------------------------------------ names and ids

    def _name_segments(self, sym: Symbol, env: dict[str, str]) -> list[str]:
        """The ARM expressions of the resource's name segments (parent names first)."""
        key = f"{_path_key(sym)}|{sorted(env.items())}"
        if key in self._resolving:
            raise Untranslatable(f"the name of '{sym.name}' depends on itself")
        self._resolving.add(key)
        try:
            segments = self._name_segments_of(sym, env)
        finally:
            self._resolving.discard(key)
        return segments

    def _name_segments_of(self, sym: Symbol, env: dict[str, str]) -> list[str]:
        body = sym.body
        name_node = _property(self, body, "name") if body is not None else None
        own = (
            self.expr(name_node, env) if name_node is not None else self.unknown(f"'{sym.name}' has no name")
        )
        parent = sym.parent
        if parent is None and body is not None:
            parent_node = _property(self, body, "parent")
            if parent_node is not None:
                target = self._resource_target(parent_node, env)
                if target is not None:
                    parent = target[0]
                    return [*self._name_segments(parent, target[1]), own]
                return [self.unknown(f"the parent of '{sym.name}' is not a resource auditor can name"), own]
        if parent is not None:
            return [*self._name_segments(parent, env), own]
        return [own]

    def _full_name(self, sym: Symbol, env: dict[str, str]) -> str:
        segments = self._name_segments(sym, env)
        if len(segments) == 1:
            return segments[0]
        return (
            "format('"
            + "/".join(f"{{{i}}}" for i in range(len(segments)))
            + "', "
            + ", ".join(segments)
            + ")"
        )

    def _id(self, sym: Symbol, env: dict[str, str]) -> str:
        """The ARM expression of a resource's (or module deployment's) id."""
        if sym.kind == "module":
            body = sym.body
            name_node = _property(self, body, "name") if body is not None else None
            name = self.expr(name_node, env) if name_node is not None else _literal(sym.name)
            return f"resourceId('Microsoft.Resources/deployments', {name})"
        segments = self._name_segments(sym, env)
        type_ = sym.type_
        wanted = type_.count("/")
        body = sym.body
        scope_node = _property(self, body, "scope") if body is not None else None
        if scope_node is not None:
            target = self._resource_target(scope_node, env)
            if target is not None:
                return f"extensionResourceId({self._id(*target)}, {_literal(type_)}, {', '.join(segments)})"
        prefix = self._scope_prefix(scope_node, env)
        if len(segments) != wanted:  # a full name 'workflow/trigger' written in one string
            joined = self._full_name(sym, env)
            parts = type_.split("/")
            pieces = [f"'/providers/{parts[0]}/{parts[1]}/'", f"split({joined}, '/')[0]"]
            for i, part in enumerate(parts[2:], start=1):
                pieces += [f"'/{part}/'", f"split({joined}, '/')[{i}]"]
            base = prefix[1] if prefix[1] else "resourceGroup().id"
            return f"concat({base}, {', '.join(pieces)})"
        function, args = prefix[0], prefix[2]
        return f"{function}({', '.join([*args, _literal(type_), *segments])})"

    def _scope_prefix(self, scope_node: Node | None, env: dict[str, str]) -> tuple[str, str, list[str]]:
        """(function, base id expression, leading arguments) for a resource's id in its scope."""
        default: tuple[str, str, list[str]] = _SCOPE_IDS[self.scope]
        if scope_node is None or scope_node.type != "call_expression":
            return default[0], default[1], list(default[2])
        callee = _callee(self, scope_node)
        args = [self.expr(a, env) for a in _kids(scope_node.child_by_field_name("arguments") or scope_node)]
        if callee == "resourcegroup":
            if not args:
                return "resourceId", "resourceGroup().id", []
            sub = args[0] if len(args) == 2 else "subscription().subscriptionId"
            base = f"concat('/subscriptions/', {sub}, '/resourceGroups/', {args[-1]})"
            return "resourceId", base, args
        if callee == "subscription":
            base = f"concat('/subscriptions/', {args[0]})" if args else "subscription().id"
            return "subscriptionResourceId", base, args
        if callee == "tenant":
            return "tenantResourceId", "''", []
        return default[0], default[1], list(default[2])

    def _resource_target(self, node: Node, env: dict[str, str]) -> tuple[Symbol, dict[str, str]] | None:
        """The resource (and the loop bindings of its instance) an expression names, if it does:
        ``playbook``, ``playbooks[i]``, ``playbook::trigger``."""
        kind = node.type
        if kind == "identifier":
            name = self._text(node)
            sym = self.symbols.get(name)
            if name not in env and sym is not None and sym.kind in ("resource", "module"):
                return sym, {}
            return None
        if kind == "subscript_expression":
            obj = node.child_by_field_name("object")
            index = node.child_by_field_name("index")
            if obj is None or index is None:
                return None
            target = self._resource_target(obj, env)
            if target is None or self._looped(target[0]) is None:
                return None
            return target[0], self._loop_env(target[0], self.expr(index, env))
        if kind == "resource_expression":
            obj = node.child_by_field_name("object")
            child = node.child_by_field_name("resource")
            if obj is None or child is None:
                return None
            target = self._resource_target(obj, env)
            if target is None:
                return None
            nested = target[0].children.get(self._text(child))
            return (nested, target[1]) if nested is not None else None
        if kind == "parenthesized_expression":
            kids = _kids(node)
            return self._resource_target(kids[0], env) if len(kids) == 1 else None
        return None

    # ------------------------------------------------------------ values

    def _wrap(self, make: Callable[[], str]) -> str:
        """``[expression]``, or an unknown one when it cannot be written."""
        try:
            return "[" + self._bounded(make()) + "]"
        except Untranslatable as exc:
            return "[" + self.unknown(exc.reason) + "]"

    def _bounded(self, text: str) -> str:
        if len(text) > MAX_EXPRESSION:
            raise Untranslatable(
                f"evaluation limit: the expression would be {len(text):,} characters long "
                f"(limit {MAX_EXPRESSION:,})",
                "evaluation-limit",
            )
        return text

    def value(self, node: Node, env: dict[str, str]) -> Any:
        """A Bicep value as an ARM template value: literals and containers as JSON (with positions),
        anything computed as an ``[expression]`` string."""
        kind = node.type
        try:
            if kind == "string" and not any(c.type == "interpolation" for c in node.children):
                text = _string_literal(self, node)
                return "[" + text if text.startswith("[") and text.endswith("]") else text
            if kind == "number" and self._text(node).lstrip("-").isdigit():
                return int(self._text(node))
            if kind == "boolean":
                return self._text(node) == "true"
            if kind == "null":
                return None
            if kind == "object":
                return self._object(node, env)
            if kind == "array":
                return self._array(node, env)
            if kind == "call_expression" and _callee(self, node) in ("loadjsoncontent", "loadtextcontent"):
                args = _kids(node.child_by_field_name("arguments") or node)
                if args:  # the content itself, where it is the whole value (a nested deployment's template)
                    return self._loaded(_callee(self, node), args)
        except Untranslatable as exc:
            return "[" + self.unknown(exc.reason) + "]"
        except RecursionError:
            return "[" + self.unknown("the value nests too deeply for auditor") + "]"
        try:
            written = "[" + self._bounded(self.expr(node, env)) + "]"
            self.src.written_at.setdefault(written, self._offset(node))
            return written
        except Untranslatable as exc:
            if exc.code == "evaluation-limit":
                self.problems.append(TranslatedProblem("evaluation-limit", exc.reason, self._offset(node)))
            return "[" + self.unknown(exc.reason) + "]"
        except RecursionError:
            return "[" + self.unknown("the expression nests too deeply for auditor") + "]"

    def _object_expression(self, node: Node, env: dict[str, str]) -> str:
        """An object as ``createObject(…)``; with spreads (``...x``), the ``union`` of its parts in order."""
        parts: list[str] = []
        args: list[str] = []
        for prop in _kids(node):
            kids = _kids(prop)
            if prop.type != "object_property" or len(kids) < 2:
                continue
            if _is_spread(self, kids[0]):
                parts += [f"createObject({', '.join(args)})", self.expr(kids[1], env)]
                args = []
            else:
                args += [self._key_expression(kids[0], env), self.expr(kids[1], env)]
        if not parts:
            return f"createObject({', '.join(args)})"
        last = f"createObject({', '.join(args)})"
        return f"union({', '.join([*parts, last])})"

    def _key_expression(self, key: Node, env: dict[str, str]) -> str:
        """An object key as an expression: ``'${name}'`` is computed, any other key is a literal."""
        if key.type == "string" and any(c.type == "interpolation" for c in key.children):
            return self.expr(key, env)
        return _literal(_key_text(self, key))

    def _object(self, node: Node, env: dict[str, str]) -> Any:
        """An object as JSON with positions; one with a spread or a computed key (``'${name}': …``) as
        an expression, since a JSON key cannot be computed (its values are then found on its line)."""
        if any(
            prop.type == "object_property"
            and _kids(prop)
            and (
                _is_spread(self, _kids(prop)[0])
                or _computed_key(_kids(prop)[0])
                or _key_text(self, _kids(prop)[0]).lower() == "copy"  # data, never an ARM copy loop
            )
            for prop in _kids(node)
        ):
            return self._wrap(lambda: self._object_expression(node, env))
        out = self._pdict(node)
        copies: PList | None = None
        for prop in _kids(node):
            if prop.type != "object_property":
                continue
            kids = _kids(prop)
            if len(kids) < 2:
                continue
            key = _key_text(self, kids[0])
            value = kids[1]
            if value.type == "for_statement" and self._plain_for(value):
                if copies is None:
                    copies = PList()
                    copies.src, copies.start = self.src, self._offset(value)
                    out["copy"] = copies
                    out.key_pos["copy"] = self._offset(kids[0])
                copies.append(self._property_copy(key, value, env))
                copies.item_pos.append(self._offset(value))
                out.key_pos.setdefault(key, self._offset(kids[0]))
                continue
            self._put(out, key, self.value(value, env), kids[0])
        return out

    def _plain_for(self, node: Node) -> bool:
        """A ``for`` ARM writes as a property copy (no filter)."""
        _names, _iterable, body = _for_parts(self, node)
        return body is not None and body.type != "if_statement"

    def _property_copy(self, key: str, node: Node, env: dict[str, str]) -> PDict:
        (item, index), iterable, body = _for_parts(self, node)
        assert body is not None
        spec = self._pdict(node)
        spec["name"] = key
        iterable_text = self._wrap(lambda: self.expr(iterable, env))[1:-1]
        spec["count"] = f"[length({iterable_text})]"
        inner = dict(env)
        position = f"copyIndex('{key}')"
        if item:
            inner[item] = f"{iterable_text}[{position}]"
        if index:
            inner[index] = position
        spec["input"] = self.value(body, inner)
        spec.key_pos["input"] = self._offset(body)
        return spec

    def _array(self, node: Node, env: dict[str, str]) -> Any:
        items = _array_items(node)
        if any(isinstance(item, tuple) for item in items):  # f(x) items: written as expressions
            return self._wrap(lambda: self._array_expression(node, env))
        if any(self._is_array_spread(item) for item in items if not isinstance(item, tuple)):
            return self._wrap(lambda: self._array_expression(node, env))
        out = PList()
        out.src, out.start = self.src, self._offset(node)
        for item in items:
            assert not isinstance(item, tuple)
            out.append(self.value(item, env))
            out.item_pos.append(self._offset(item))
        return out

    def _is_array_spread(self, item: Node) -> bool:
        """``...xs`` in an array: :mod:`.normalize` blanked the dots, which the text still has."""
        start = self._offset(item)
        return (
            self.parsed.text[max(start - 3, 0) : start] == "..."
            or self.parsed.text[start : start + 3] == "..."
        )

    def _array_expression(self, node: Node, env: dict[str, str]) -> str:
        """An array as ``createArray(…)``; with spreads (``...xs``), the ``concat`` of its parts in order."""
        parts: list[str] = []
        items: list[str] = []
        for item in _array_items(node):
            if isinstance(item, tuple):
                items.append(self._call_parts(item[0], _kids(item[1]), env))
            elif self._is_array_spread(item):
                parts += [f"createArray({', '.join(items)})", self.expr(item, env)]
                items = []
            else:
                items.append(self.expr(item, env))
        last = f"createArray({', '.join(items)})"
        return f"concat({', '.join([*parts, last])})" if parts else last

    # ------------------------------------------------------------ expressions

    def expr(self, node: Node | None, env: dict[str, str]) -> str:
        """A Bicep expression as ARM expression text (without the outer brackets)."""
        if node is None:
            raise Untranslatable("a value is missing")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise Untranslatable(
                    f"evaluation limit: the expression nests more than {MAX_DEPTH} levels deep",
                    "evaluation-limit",
                )
            return self._expr(node, env)
        finally:
            self._depth -= 1

    def _expr(self, node: Node, env: dict[str, str]) -> str:
        kind = node.type
        if kind == "string":
            return self._string(node, env)
        if kind == "number":
            text = self._text(node)
            return f"sub(0, {text[1:]})" if text.startswith("-") else text
        if kind == "boolean":
            return "true()" if self._text(node) == "true" else "false()"
        if kind == "null":
            return "null()"
        if kind == "identifier":
            return self._identifier(node, env)
        if kind == "parenthesized_expression":
            kids = _kids(node)
            if len(kids) != 1:
                raise Untranslatable("a parenthesized list is not a value")
            return self.expr(kids[0], env)
        if kind == "member_expression":
            return self._member(node, env)
        if kind == "subscript_expression":
            obj = self.expr(node.child_by_field_name("object"), env)
            index = self.expr(node.child_by_field_name("index"), env)
            if any(c.type == "?" for c in node.children):
                return f"tryGet({obj}, {index})"
            return f"{obj}[{index}]"
        if kind == "call_expression":
            return self._call(node, env)
        if kind == "binary_expression":
            op = node.child_by_field_name("operator")
            template = _BINARY.get(op.type if op is not None else "")
            if template is None:
                raise Untranslatable(
                    f"auditor does not evaluate the operator '{self._text(op) if op else '?'}'"
                )
            left = self.expr(node.child_by_field_name("left"), env)
            right = self.expr(node.child_by_field_name("right"), env)
            return template.format(left, right)
        if kind == "unary_expression":
            op = node.child_by_field_name("operator")
            argument = self.expr(node.child_by_field_name("argument"), env)
            return f"not({argument})" if op is not None and op.type == "!" else f"sub(0, {argument})"
        if kind == "ternary_expression":
            parts = [
                self.expr(node.child_by_field_name(f), env)
                for f in ("condition", "consequence", "alternative")
            ]
            return f"if({parts[0]}, {parts[1]}, {parts[2]})"
        if kind == "object":
            return self._object_expression(node, env)
        if kind == "array":
            return self._array_expression(node, env)
        if kind == "for_statement":
            return self._for_expression(node, env)
        if kind == "lambda_expression":
            return self._lambda(node, env)
        if kind == "resource_expression":
            target = self._resource_target(node, env)
            if target is None:
                raise Untranslatable(f"'{_clip(self._text(node))}' names no resource auditor knows")
            return self._id(*target)
        if kind == "ERROR":
            raise Untranslatable("this value has a syntax error")
        raise Untranslatable(f"auditor does not evaluate the Bicep construct '{_clip(self._text(node))}'")

    def _string(self, node: Node, env: dict[str, str]) -> str:
        pieces: list[tuple[bool, str]] = []  # (is expression, text)
        for part in node.children:
            if part.type == "interpolation":
                inner = _kids(part)
                pieces.append((True, self.expr(inner[0] if inner else None, env)))
            elif part.type in ("string_content", "escape_sequence"):
                pieces.append(
                    (
                        False,
                        _unescape(self._text(part)) if part.type == "escape_sequence" else self._text(part),
                    )
                )
        if not any(is_expr for is_expr, _ in pieces):
            return _literal("".join(text for _, text in pieces))
        if len(pieces) == 1:
            return f"string({pieces[0][1]})"
        fmt, args = "", list[str]()
        for is_expr, text in pieces:
            if is_expr:
                fmt += f"{{{len(args)}}}"
                args.append(text)
            else:
                fmt += text.replace("{", "{{").replace("}", "}}")
        return f"format({_literal(fmt)}, {', '.join(args)})"

    def _identifier(self, node: Node, env: dict[str, str]) -> str:
        name = self._text(node)
        if name in env:
            return env[name]
        sym = self.symbols.get(name)
        if sym is None:
            raise Untranslatable(f"'{_clip(name)}' is not declared in this file")
        if sym.kind == "param":
            return f"parameters({_literal(name)})"
        if sym.kind == "var":
            return f"variables({_literal(name)})"
        if sym.kind in ("resource", "module"):
            if self._looped(sym) is not None:
                raise Untranslatable(f"'{name}' is a loop of resources: an instance needs an index")
            return self._id(sym, {})
        if sym.kind == "import":
            raise Untranslatable(f"'{name}' is imported from another file, which auditor does not read")
        raise Untranslatable(f"'{name}' is a {sym.kind}, which auditor does not evaluate")

    def _member(self, node: Node, env: dict[str, str]) -> str:
        obj = node.child_by_field_name("object")
        prop_node = node.child_by_field_name("property")
        if obj is None or prop_node is None:
            raise Untranslatable("an incomplete property access")
        prop = self._text(prop_node)
        safe = any(c.type == ".?" for c in node.children)
        target = self._resource_target(obj, env)
        if target is not None:
            return self._resource_member(target[0], target[1], prop)
        if obj.type == "member_expression":  # module.outputs.x → …outputs.x.value
            inner_obj = obj.child_by_field_name("object")
            inner_prop = obj.child_by_field_name("property")
            if inner_obj is not None and inner_prop is not None and self._text(inner_prop) == "outputs":
                module = self._resource_target(inner_obj, env)
                if module is not None and module[0].kind == "module":
                    return f"{self._resource_member(module[0], module[1], 'outputs')}.{prop}.value"
        base = self.expr(obj, env)
        return f"tryGet({base}, {_literal(prop)})" if safe else f"{base}.{prop}"

    def _resource_member(self, sym: Symbol, env: dict[str, str], prop: str) -> str:
        lowered = prop.lower()
        if lowered == "id":
            return self._id(sym, env)
        if lowered == "name":
            return self._full_name(sym, env) if sym.kind == "resource" else self._module_name(sym, env)
        if lowered == "type":
            return _literal(sym.type_)
        if lowered == "apiversion":
            return _literal(sym.api)
        reference = f"reference({self._id(sym, env)}, {_literal(sym.api)}"
        if lowered == "properties" or (sym.kind == "module" and lowered == "outputs"):
            return f"{reference}).{prop}" if sym.kind == "module" else f"{reference})"
        return f"{reference}, 'full').{prop}"

    def _module_name(self, sym: Symbol, env: dict[str, str]) -> str:
        name_node = _property(self, sym.body, "name") if sym.body is not None else None
        return self.expr(name_node, env) if name_node is not None else _literal(sym.name)

    def _call(self, node: Node, env: dict[str, str]) -> str:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        args = _kids(arguments) if arguments is not None else []
        if function is None:
            raise Untranslatable("an incomplete function call")
        return self._call_parts(function, args, env)

    def _call_parts(self, function: Node, args: list[Node], env: dict[str, str]) -> str:
        """``function(args)`` as ARM: a resource's function, a namespace's, a declared one, a built-in."""
        if function.type == "member_expression":
            obj = function.child_by_field_name("object")
            method = self._text(function.child_by_field_name("property") or function)
            target = self._resource_target(obj, env) if obj is not None else None
            if target is not None:  # playbook::manual.listCallbackUrl(), storage.listKeys()
                sym, index_env = target
                rest = [self.expr(a, env) for a in args]
                return f"{method}({', '.join([self._id(sym, index_env), _literal(sym.api), *rest])})"
            if obj is not None and obj.type == "identifier" and self._text(obj) in _NAMESPACES:
                return self._function(method, args, env)
            owner = self._text(obj) if obj is not None else "?"
            raise Untranslatable(f"'{_clip(owner)}.{method}()' is a function auditor does not evaluate")
        if function.type != "identifier":
            raise Untranslatable(f"auditor does not evaluate the call '{_clip(self._text(function))}(…)'")
        name = self._text(function)
        declared = self.symbols.get(name)
        if declared is not None and declared.kind == "func":
            raise Untranslatable(f"user-defined function '{name}' is not evaluated by auditor")
        if declared is not None and declared.kind == "import":
            raise Untranslatable(f"'{name}' is imported from another file, which auditor does not read")
        return self._function(name, args, env)

    def _function(self, name: str, args: list[Node], env: dict[str, str]) -> str:
        lowered = name.lower()
        if lowered == "any" and len(args) == 1:
            return self.expr(args[0], env)
        if lowered in ("loadjsoncontent", "loadtextcontent") and args:
            return self._hidden(self._loaded(lowered, args))
        if lowered in _LOADERS:
            raise Untranslatable(f"{name}() is not evaluated by auditor")
        if lowered in ("resourcegroup", "subscription") and args:
            raise Untranslatable(f"{name}() of another {name} is only known at deployment")
        if lowered == "getsecret":
            raise Untranslatable("getSecret() reads a Key Vault secret at deployment")
        return f"{name}({', '.join(self.expr(a, env) for a in args)})"

    def _for_expression(self, node: Node, env: dict[str, str]) -> str:
        """``[for x in xs: body]`` anywhere else than a property: ``map()`` (and ``filter()``)."""
        (item, index), iterable, body = _for_parts(self, node)
        if body is None:
            raise Untranslatable("an incomplete for expression")
        source = self.expr(iterable, env)
        condition = None
        if body.type == "if_statement":
            condition = _kids(body)[0]
            body = _last_object(body)
            if body is None:
                raise Untranslatable("an incomplete for expression")
        position = "lambdaVariables('__i')"
        inner = dict(env)
        if item:
            inner[item] = f"{source}[{position}]"
        if index:
            inner[index] = position
        indexes = f"range(0, length({source}))"
        if condition is not None:
            indexes = f"filter({indexes}, lambda('__i', {self.expr(condition, inner)}))"
        return f"map({indexes}, lambda('__i', {self.expr(body, inner)}))"

    def _lambda(self, node: Node, env: dict[str, str]) -> str:
        kids = _kids(node)
        if len(kids) != 2:
            raise Untranslatable("an incomplete lambda")
        params = kids[0]
        names = (
            [self._text(params)]
            if params.type == "identifier"
            else [self._text(p) for p in _kids(params) if p.type == "identifier"]
        )
        inner = dict(env)
        for n in names:
            inner[n] = f"lambdaVariables({_literal(n)})"
        return f"lambda({', '.join(_literal(n) for n in names)}, {self.expr(kids[1], inner)})"


# ------------------------------------------------------------ tree helpers


def _kids(node: Node) -> list[Node]:
    """Named children without comments."""
    return [c for c in node.named_children if c.type not in _SKIPPED]


def _for_parts(tr: Translator, node: Node) -> tuple[tuple[str | None, str | None], Node, Node | None]:
    """(item, index) names, the iterable and the body of a ``for``."""
    kids = _kids(node)
    item = index = None
    rest = kids
    if kids and kids[0].type == "for_loop_parameters":
        names = _kids(kids[0])
        item = tr._text(names[0]) if names else None
        index = tr._text(names[1]) if len(names) > 1 else None
        rest = kids[1:]
    elif kids and kids[0].type == "identifier" and len(kids) >= 3:
        item = tr._text(kids[0])
        rest = kids[1:]
    body = node.child_by_field_name("body")
    iterable = rest[0] if rest else node
    return (item, index), iterable, body


def _last_object(node: Node) -> Node | None:
    kids = _kids(node)
    return kids[-1] if kids and kids[-1].type == "object" else None


def _property(tr: Translator, body: Node | None, key: str) -> Node | None:
    """The value of ``key`` in an object literal (None when absent)."""
    if body is None or body.type != "object":
        return None
    for prop in _kids(body):
        kids = _kids(prop)
        if (
            prop.type == "object_property"
            and len(kids) >= 2
            and kids[0].type != "resource_declaration"
            and _key_text(tr, kids[0]) == key
        ):
            return kids[1]
    return None


def _json_path(doc: Any, path: str) -> Any:
    """A plain ``$.a.b[0]`` path into a loaded JSON document (filters and wildcards are not evaluated)."""
    text = path.strip()
    if not _JSON_PATH.fullmatch(text):
        raise Untranslatable(f"loadJsonContent() JSON path '{_clip(path)}' is not evaluated by auditor")
    steps = _JSON_STEP.findall(text[1:])
    value = doc
    for key, index, quoted in steps:
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                raise Untranslatable(f"loadJsonContent(): the JSON path '{_clip(path)}' finds nothing")
            value = value[int(index)]
        else:
            name = key or quoted
            if not isinstance(value, dict) or name not in value:
                raise Untranslatable(f"loadJsonContent(): the JSON path '{_clip(path)}' finds nothing")
            value = value[name]
    return value


def _escaped(value: Any, depth: int = 0) -> Any:
    """A loaded JSON value whose strings stay literal when the template is evaluated (``[x`` → ``[[x``,
    as the Bicep compiler writes them), keeping positions."""
    if depth > MAX_DEPTH:
        raise Untranslatable("the loaded JSON nests too deeply for auditor")
    if isinstance(value, str):  # what ARM would read as an expression: '[' … ']', '[[x]' included
        return "[" + value if value.startswith("[") and value.endswith("]") else value
    if isinstance(value, dict) and any(isinstance(k, str) and k.lower() == "copy" for k in value):
        # a 'copy' key is data here (Bicep writes it "[string('copy')]"), not a loop to expand: the object
        # is written as json() of its text, which the evaluator does not walk for copies
        return "[json(" + _literal(json.dumps(value)) + ")]"
    if isinstance(value, PDict):
        out = PDict((k, _escaped(v, depth + 1)) for k, v in value.items())
        out.start, out.key_pos, out.src = value.start, value.key_pos, value.src
        return out
    if isinstance(value, PList):
        items = PList(_escaped(v, depth + 1) for v in value)
        items.start, items.item_pos, items.src = value.start, value.item_pos, value.src
        return items
    if isinstance(value, dict):
        return {k: _escaped(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v, depth + 1) for v in value]
    return value


def _array_items(node: Node) -> list[Node | tuple[Node, Node]]:
    """An array's items. tree-sitter-bicep 1.1 reads the item ``f(x)`` as two, ``f`` and ``(x)``
    (its grammar lets items follow each other without a comma); a name directly followed by a
    parenthesized expression, with nothing between them, is the call ``(f, (x))``."""
    kids = [k for k in _kids(node) if k.type != "decorators"]
    out: list[Node | tuple[Node, Node]] = []
    i = 0
    while i < len(kids):
        item = kids[i]
        nxt = kids[i + 1] if i + 1 < len(kids) else None
        if (
            nxt is not None
            and item.type in ("identifier", "member_expression")
            and nxt.type == "parenthesized_expression"
            and item.end_byte == nxt.start_byte
        ):
            out.append((item, nxt))
            i += 2
            continue
        out.append(item)
        i += 1
    return out


def _computed_key(key: Node) -> bool:
    return key.type == "string" and any(c.type == "interpolation" for c in key.children)


def _is_spread(tr: Translator, key: Node) -> bool:
    """``...x`` in an object: :mod:`.normalize` wrote it ``__:x``, so its key reads ``..`` in the text."""
    return tr._text(key).startswith("..")


def _key_text(tr: Translator, node: Node) -> str:
    """An object key: an identifier, a quoted string or ``name?``."""
    if node.type == "string":
        return _string_literal(tr, node)
    return tr._text(node).rstrip("?")


def _string_literal(tr: Translator, node: Node) -> str:
    """The text of a string literal (interpolations, if any, as written)."""
    out = []
    for part in node.children:
        if part.type == "string_content":
            out.append(tr._text(part))
        elif part.type == "escape_sequence":
            out.append(_unescape(tr._text(part)))
        elif part.type == "interpolation":
            out.append(tr._text(part))
    return "".join(out)


def _unescape(text: str) -> str:
    body = text[1:]
    if body in _ESCAPES:
        return _ESCAPES[body]
    if body.startswith("u{") and body.endswith("}"):
        try:
            return chr(int(body[2:-1], 16))
        except (ValueError, OverflowError):
            return text
    return text


def _callee(tr: Translator, node: Node) -> str:
    function = node.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "member_expression":
        prop = function.child_by_field_name("property")
        return tr._text(prop).lower() if prop is not None else ""
    return tr._text(function).lower()


def _has_decorator(tr: Translator, decorators: Node | None, name: str) -> bool:
    if decorators is None:
        return False
    for decorator in _kids(decorators):
        call = _kids(decorator)
        if call and call[0].type == "call_expression" and _callee(tr, call[0]) == name:
            return True
    return False


def _path_key(sym: Symbol) -> str:
    """The symbolic name of a resource in the template (``parent::child`` for a nested one)."""
    return f"{_path_key(sym.parent)}::{sym.name}" if sym.parent is not None else sym.name


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _clip(text: str, keep: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= keep else text[:keep] + "…"


def _split_rules(text: str) -> tuple[list[str], str]:
    """``LA106, AUT202 reason…`` → (["LA106", "AUT202"], "reason…")."""
    rules: list[str] = []
    words = text.replace(",", " , ").split()
    i = 0
    while i < len(words):
        word = words[i]
        if word == ",":
            i += 1
            continue
        if (_RULE_TOKEN.match(word) and any(ch.isdigit() for ch in word)) or (
            rules == [] and word.endswith("*")
        ):
            rules.append(word.upper())
            i += 1
            continue
        break
    reason = " ".join(w for w in words[i:] if w != ",") if i < len(words) else ""
    reason = reason.lstrip("-— ").strip()
    return rules, reason
