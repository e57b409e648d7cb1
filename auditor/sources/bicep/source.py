"""The Bicep source: ``.bicep`` templates (with their local modules) and ``.bicepparam`` values → the inventory.

A ``.bicep`` file is parsed (:mod:`.syntax`), translated into the ARM template ``bicep build`` would write
(:mod:`.translate`, positions kept on the Bicep text) and evaluated by the core's ARM evaluator, so every
check applies unchanged. Parameter values come from, in order: ``--parameters`` for that template (a
``.bicepparam`` or a JSON parameters file), ``--parameters`` for every template, the ``.bicepparam`` beside
it (``main.bicepparam`` for ``main.bicep``, else the one ``.bicepparam`` of the folder whose ``using``
names it), ``main.parameters.json`` beside it.

A local module (``module m './m.bicep'``, ``'./m.json'``) is read and translated too, as the nested
deployment Bicep compiles it to, with its ``params``; its findings are on the module file's lines. A
module from a registry (``br:``, ``br/``, ``ts:``) is not downloaded: SRC003 names it.
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from pathlib import Path
from typing import Any

from auditor import lazyre, records
from auditor import model as m
from auditor.budget import Budget, use
from auditor.files import display_path, read_regular
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.cursor import Context, Cursor, SourceFile
from auditor.sources.core.evaluation.template import Scope, TemplateEvaluator
from auditor.sources.core.jsonpos import DecodeError, JsonSyntaxError, PDict, decode, loads
from auditor.sources.core.outputs import follow_outputs
from auditor.sources.core.parameters import read_parameters
from auditor.sources.core.reading import MAX_FILE_BYTES, ParsedJson

BICEP_SUFFIXES = frozenset({".bicep", ".bicepparam"})
#: How many local modules deep a template may go (each is a nested deployment; ARM allows 64 levels).
MAX_MODULE_DEPTH = 16
_REGISTRY = lazyre.compile(r"^(br:|br/|ts:|ts/)", re.IGNORECASE)
#: ``param name =`` of a ``.bicepparam`` file: the grammar knows ``var name =``, which has the same
#: meaning for a translation (a named value) and is written in the same number of bytes, so positions hold.
_USING = lazyre.compile(r"(?m)^[ \t]*using[ \t]+'([^'\n]*)'")
_PARAM_ASSIGNMENT = re.compile(rb"(?m)^([ \t]*)param(?=[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*=)")


@records.record(frozen=False)
class _Translated:
    """One Bicep file read and translated (cached: a module may be used by several templates)."""

    src: SourceFile
    template: PDict | None  # None: the file could not be read or parsed
    scope: str = "resourcegroup"
    problems: list[tuple[str, str, int, str]] = field(default_factory=list)  # (code, message, offset, path)
    using: str | None = None  # a .bicepparam's template, as written
    values: dict[str, Any] | None = None  # a .bicepparam's values, once evaluated
    unreadable: str | None = None


class BicepSource:
    """``.bicep`` and ``.bicepparam`` files, by suffix."""

    text_suffixes = BICEP_SUFFIXES

    def __init__(
        self,
        parameters: dict[str | None, Path] | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        roots: tuple[Path, ...] | None = None,
    ) -> None:
        self.parameters = parameters or {}
        self.subscription = subscription
        self.resource_group = resource_group
        self.roots = roots
        self._files: dict[Path, _Translated] = {}
        self._loading: list[Path] = []
        self._pending: list[tuple[Path, int]] = []  # templates to evaluate in finish (and their record)
        self._callers: dict[Path, set[str]] = {}  # module file → the files that call it
        self._loaded: dict[Path, Any] = {}  # files loadJsonContent/loadTextContent read
        self._reported: set[tuple[str, str, str, int, int]] = set()
        self._param_problems: list[tuple[str, str, str, int, int]] = []

    # ------------------------------------------------------------ the protocol

    def claims_document(self, doc: object) -> bool:
        """No JSON document is Bicep (a compiled ``main.json`` is the ARM source's, see the dispatcher)."""
        return False

    def add_document(self, parsed: ParsedJson, builder: InventoryBuilder) -> None:  # pragma: no cover
        raise NotImplementedError("the Bicep source reads .bicep and .bicepparam files only")

    def translate(self, path: Path, display: str) -> None:
        """Read and translate ``path`` now (once per scan, kept for :meth:`add_file`): the dispatcher
        translates every scanned Bicep file while worker processes read the JSON and Terraform files,
        in the order found, so modules meet their callers in the same order either way."""
        self._translate(path, display, roots=self.roots)

    def add_file(self, path: Path, display: str, builder: InventoryBuilder) -> None:
        """A ``.bicep`` template (evaluated with its parameters) or a ``.bicepparam`` (checked)."""
        translated = self._translate(path, display, roots=self.roots)
        if translated.unreadable is not None:
            builder.unreadable(display, translated.unreadable)
            return
        syntax = [p for p in translated.problems if p[0] == "invalid-bicep"]
        self._report(builder, translated.src, translated.problems)
        if path.suffix.lower() == ".bicepparam":
            kind: m.FileKind = "invalid" if syntax and translated.template is None else "parameters"
            builder.file(
                display, kind, "Bicep parameters" + (f" for '{translated.using}'" if translated.using else "")
            )
            self._bicepparam_values(translated, path)
            self._report(builder, translated.src, translated.problems)
            return
        if translated.template is None:
            builder.file(display, "invalid", "Bicep template that could not be parsed")
            return
        builder.file(display, "template", "Bicep template" + (" (with syntax errors)" if syntax else ""))
        self._pending.append((path, len(builder.files) - 1))

    def finish(self, builder: InventoryBuilder) -> None:
        """Evaluate every scanned template that no other scanned template uses as a module (a module is
        evaluated where it is called, with the values its caller passes), then report what parameters
        files met, once each."""
        for path, record in self._pending:
            translated = self._files[_key(path)]
            callers = self._callers.get(_key(path))
            if callers:
                builder.files[record] = m.FileRecord(
                    path=builder.files[record].path,
                    kind="template",
                    detail=f"Bicep module, evaluated where {', '.join(sorted(callers)[:3])} calls it",
                )
                continue
            with builder.unit(builder.files[record].path):
                self._evaluate(path, translated, builder)
        self._pending = []
        for code, message, file, line, column in self._param_problems:
            key = (code, message, file, line, column)
            if key not in self._reported:
                self._reported.add(key)
                builder.problem(code, message, file, line, column)

    # ------------------------------------------------------------ templates

    def _evaluate(self, path: Path, translated: _Translated, builder: InventoryBuilder) -> None:
        template = translated.template
        assert template is not None
        src = translated.src
        scope = Scope(level=_SCOPE_LEVELS.get(translated.scope, "resourceGroup"))
        if self.subscription:
            scope.subscription_id = self.subscription
        if self.resource_group:
            scope.resource_group = self.resource_group
        supplied = self._supplied(path)
        with use(Budget()) as budget:
            evaluator = TemplateEvaluator(
                template,
                Cursor(template, "", max(template.start, 0), Context(src)),
                supplied=supplied,
                scope=scope,
                budget=budget,
                missing_parameter_hint="pass a .bicepparam or parameters file with --parameters",
            )
            first = len(builder.role_assignments)
            for res in evaluator.resources():
                builder.add_resource(res)
            builder.add_problems(evaluator.problems)
        follow_outputs(builder.role_assignments, first, evaluator.outputs)  # principalId: m.outputs.x
        # modules' own problems (syntax errors, registries) were reported when they were translated
        for file in self._files.values():
            builder.problems.extend(file.src.take_problems())

    def _report(
        self, builder: InventoryBuilder, src: SourceFile, problems: list[tuple[str, str, int, str]]
    ) -> None:
        """Problems met translating ``src`` (each once, though a module is translated for several callers)."""
        for code, message, offset, path in problems:
            line, column = src.index.position(offset) if 0 <= offset <= len(src.text) else (0, 0)
            key = (code, message, src.path, line, column)
            if key in self._reported:
                continue
            self._reported.add(key)
            builder.problem(code, message, src.path, line, column, path)
        problems.clear()

    def _translate(self, path: Path, display: str, roots: tuple[Path, ...] | None) -> _Translated:
        """``path`` read, parsed and translated once per scan."""
        key = _key(path)
        cached = self._files.get(key)
        if cached is not None:
            return cached
        from auditor.sources.bicep.syntax import first_error, parse
        from auditor.sources.bicep.translate import Translator

        try:
            data = read_regular(path, max_bytes=MAX_FILE_BYTES, roots=roots)
            text = decode(data)
        except OSError as exc:
            translated = _Translated(SourceFile(display, ""), None, unreadable=exc.strerror or str(exc))
            self._files[key] = translated
            return translated
        except DecodeError as exc:
            translated = _Translated(
                SourceFile(display, ""), None, unreadable=f"cannot decode: {exc.message}"
            )
            self._files[key] = translated
            return translated
        src = SourceFile(display, text)
        is_params = path.suffix.lower() == ".bicepparam"
        parsed = parse(text, rewrite=_as_variables if is_params else None)
        translated = _Translated(src, None)
        self._files[key] = translated
        error = first_error(parsed)
        if error is not None:
            translated.problems.append(("invalid-bicep", error.message, error.offset, ""))
        self._loading.append(key)
        try:
            translator = Translator(
                parsed,
                src,
                load_module=lambda p, at: self._module(path, p, at),
                load_file=lambda p: self._load_file(path, p),
            )
            translated.template = translator.template()
        finally:
            self._loading.pop()
        translated.scope = translator.scope
        translated.using = translator.using
        translated.problems.extend((p.code, p.message, p.offset, p.path) for p in translator.problems)
        return translated

    # ------------------------------------------------------------ modules

    def _module(self, caller: Path, written: str, offset: int) -> Any:
        """The template of a module written ``written`` in ``caller`` (see :data:`ModuleLoader`)."""
        from auditor.sources.bicep.translate import ModuleTemplate

        if _REGISTRY.match(written):
            return ModuleTemplate(
                None, "it comes from a registry or template spec, which auditor does not download"
            )
        if "://" in written or written.startswith("/"):
            return ModuleTemplate(None, "only a relative path to a local file is followed")
        target = caller.parent / written
        key = _key(target)
        if key in self._loading:
            return ModuleTemplate(None, "it is a module of itself (a cycle), which Bicep rejects")
        if len(self._loading) > MAX_MODULE_DEPTH:
            return ModuleTemplate(None, f"modules nest deeper than {MAX_MODULE_DEPTH} levels")
        if not _within(target, self.roots):
            return ModuleTemplate(None, "it lies outside the scanned folders, which auditor does not read")
        display = display_path(target)
        suffix = target.suffix.lower()
        if suffix == ".json":
            return self._json_module(target, display)
        if suffix != ".bicep":
            return ModuleTemplate(None, "it is neither a .bicep nor a .json file")
        translated = self._translate(target, display, roots=self.roots)
        if translated.unreadable is not None:
            return ModuleTemplate(None, f"it cannot be read ({translated.unreadable})")
        self._callers.setdefault(key, set()).add(display_path(caller))
        for code, message, off, path in translated.problems:
            line, column = (
                translated.src.index.position(off) if 0 <= off <= len(translated.src.text) else (0, 0)
            )
            translated.src.problems.append(_problem(code, message, display, line, column, path))
        translated.problems.clear()
        if translated.template is None:
            return ModuleTemplate(None, "it could not be parsed")
        return ModuleTemplate(translated.template)

    def _load_file(self, caller: Path, written: str) -> Any:
        """A file ``loadJsonContent``/``loadTextContent`` reads: beside ``caller``, inside the roots."""
        from auditor.sources.bicep.translate import LoadedFile

        if "://" in written or written.startswith("/"):
            return LoadedFile(None, reason="only a relative path to a local file is read")
        target = caller.parent / written
        key = _key(target)
        if key in self._loaded:
            return self._loaded[key]
        if not _within(target, self.roots):
            loaded = LoadedFile(
                None, reason="the file lies outside the scanned folders, which auditor does not read"
            )
        else:
            try:
                text = decode(read_regular(target, max_bytes=MAX_FILE_BYTES, roots=self.roots))
                loaded = LoadedFile(text, SourceFile(display_path(target), text))
            except OSError as exc:
                loaded = LoadedFile(None, reason=f"cannot read it ({exc.strerror or exc})")
            except DecodeError as exc:
                loaded = LoadedFile(None, reason=f"cannot decode it ({exc.message})")
        self._loaded[key] = loaded
        return loaded

    def _json_module(self, target: Path, display: str) -> Any:
        from auditor.sources.bicep.translate import ModuleTemplate

        try:
            text = decode(read_regular(target, max_bytes=MAX_FILE_BYTES, roots=self.roots))
        except (OSError, DecodeError) as exc:
            return ModuleTemplate(None, f"it cannot be read ({getattr(exc, 'strerror', None) or exc})")
        src = SourceFile(display, text)
        try:
            doc = loads(text, src=src)
        except JsonSyntaxError:
            return ModuleTemplate(None, "it is not valid JSON (SRC002 when it is scanned)")
        if not isinstance(doc, PDict):
            return ModuleTemplate(None, "it is not a JSON template")
        return ModuleTemplate(doc)

    # ------------------------------------------------------------ parameters

    def _supplied(self, template: Path) -> dict[str, Any]:
        explicit = self.parameters.get(str(template.resolve())) or self.parameters.get(None)
        if explicit is not None:
            return self._values_of(explicit, roots=None)
        found = bicepparam_for(template)
        if found is not None:
            return self._values_of(found, roots=self.roots)
        names = [template.stem + ".parameters.json"]
        if (
            template.name == "main.bicep"
        ):  # the quickstarts: main.bicep, azuredeploy.json, azuredeploy.parameters.json
            names.append("azuredeploy.parameters.json")
        for name in names:
            if _is_file(template.with_name(name)):
                return self._values_of(template.with_name(name), roots=self.roots)
        return {}

    def _values_of(self, path: Path, roots: tuple[Path, ...] | None) -> dict[str, Any]:
        if path.suffix.lower() == ".bicepparam":
            translated = self._translate(path, display_path(path), roots=roots)
            if translated.unreadable is not None:
                self._param_problems.append(
                    (
                        "unreadable",
                        f"cannot read parameters file: {translated.unreadable}",
                        translated.src.path,
                        0,
                        0,
                    )
                )
                return {}
            self._bicepparam_values(translated, path)
            for code, message, off, _path in translated.problems:
                line, column = (
                    translated.src.index.position(off) if 0 <= off <= len(translated.src.text) else (0, 0)
                )
                self._param_problems.append((code, message, translated.src.path, line, column))
            translated.problems.clear()
            return translated.values or {}
        values, problem = read_parameters(path, roots)
        if problem is not None:
            self._param_problems.append(
                (problem.code, problem.message, display_path(path), problem.line, problem.column)
            )
        return values or {}

    def _bicepparam_values(self, translated: _Translated, path: Path) -> None:
        """A ``.bicepparam`` file's ``param x = …`` values, evaluated (once)."""
        if translated.values is not None or translated.template is None:
            return
        template = translated.template
        values: dict[str, Any] = {}
        with use(Budget()) as budget:
            evaluator = TemplateEvaluator(
                template, Cursor(template, "", 0, Context(translated.src)), budget=budget
            )
            variables = template.get("variables")
            for name in variables if isinstance(variables, dict) else ():
                if not name.startswith("__bicep_"):
                    values[name] = evaluator.variable(name)
            for problem in evaluator.problems:
                translated.problems.append((problem.code, problem.message, problem.offset(), ""))
        translated.values = values


_SCOPE_LEVELS = {
    "resourcegroup": "resourceGroup",
    "subscription": "subscription",
    "managementgroup": "managementGroup",
    "tenant": "tenant",
}


def bicepparam_for(template: Path) -> Path | None:
    """The ``.bicepparam`` beside ``template`` that applies to it: ``main.bicepparam`` for ``main.bicep``,
    else the only one in the folder whose ``using`` names the template (several: none, pass one)."""
    try:
        same = template.with_suffix(".bicepparam")
        if same.is_file():
            return same
        candidates = [p for p in template.parent.glob("*.bicepparam") if p.is_file() and _uses(p, template)]
    except (OSError, ValueError):
        return None
    return candidates[0] if len(candidates) == 1 else None


def using_target(param_file: Path) -> Path | None:
    """The template a ``.bicepparam`` file's ``using '…'`` line names (read from its first 4 KiB)."""
    try:
        with param_file.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    match = _USING.search(head)
    return param_file.parent / match.group(1) if match else None


def _uses(param_file: Path, template: Path) -> bool:
    """Whether ``param_file``'s ``using`` line names ``template``."""
    target = using_target(param_file)
    return target is not None and _key(target) == _key(template)


def _as_variables(data: bytes) -> bytes:
    """A ``.bicepparam`` file as the grammar reads it: ``param x = v`` → ``var   x = v`` (same length)."""
    return _PARAM_ASSIGNMENT.sub(lambda m: m.group(1) + b"var  ", data)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _key(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path


def _within(path: Path, roots: tuple[Path, ...] | None) -> bool:
    if roots is None:
        return True
    from auditor.files import is_within

    return is_within(_key(path), roots)


def _problem(code: Any, message: str, file: str, line: int, column: int, path: str = "") -> m.Problem:
    origin = m.Origin(file=file, line=line, column=column, json_path=path)
    return m.Problem(code=code, message=message, origin=origin)


__all__ = ["BICEP_SUFFIXES", "BicepSource", "bicepparam_for", "using_target"]
