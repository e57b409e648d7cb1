"""Finding the checks: built-in ones and those of installed packs.

A pack is an entry point in the group ``auditor.checks``. Its value is either a
module (``mypack.checks``) or a ``module:attr`` (``mypack:CHECKS``):

- a package is a pack of its submodules, found by name (those starting with ``_`` are helpers);
- a package or module may list its checks instead with ``CHECKS``, a sequence of submodule names;
- ``module:attr`` may name a module (a pack as above) or a sequence of check modules or of
  submodule names relative to ``module``;
- a module that itself defines ``RULE`` is a one-check pack.

Each check module defines ``RULE`` (an :class:`auditor.findings.Rule`) and
``check(inventory, ctx)``. Nothing registers itself at import time (no import-order
surprises), and check modules import only light things at module level, so
``auditor rules`` stays fast. A pack that cannot be loaded stops the run with a
:class:`RegistryError` naming it: a gate must not pass because some of its checks
silently went missing.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import sys
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from auditor.findings import Rule
from auditor.records import record

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "auditor.checks"
BUILTIN = "auditor.checks"
# Families in catalog order (the README table, `auditor rules`, SARIF rule order); a pack's own
# families sort after them, by id.
FAMILY_ORDER = ("SRC", "SUP", "LA", "AUT", "POL", "RB", "SEC", "LIV", "COV")


@record()
class LoadedCheck:
    """A check module with its rule."""

    rule: Rule
    module: ModuleType


class RegistryError(Exception):
    """A pack or check module is broken (cannot be imported, duplicate id, missing RULE/check)."""


def load_checks() -> list[LoadedCheck]:
    """Every check of every pack, in catalog order."""
    loaded: dict[str, LoadedCheck] = {}
    for origin, modules in _packs():
        for module in modules:
            rule = getattr(module, "RULE", None)
            if not isinstance(rule, Rule) or not callable(getattr(module, "check", None)):
                raise RegistryError(f"{module.__name__} ({origin}) lacks RULE or check()")
            if rule.id in loaded:
                other = loaded[rule.id].module.__name__
                raise RegistryError(
                    f"duplicate rule id {rule.id} in {module.__name__} ({origin}) and {other}"
                )
            doc = (module.__doc__ or "").strip()
            loaded[rule.id] = LoadedCheck(dataclasses.replace(rule, doc=doc), module)
    return [loaded[k] for k in sorted(loaded, key=_sort_key)]


def _packs() -> Iterator[tuple[str, list[ModuleType]]]:
    """(where it came from, its check modules) for the built-in pack and each installed one."""
    yield "built-in", _checks_in(importlib.import_module(BUILTIN))
    seen = {BUILTIN}
    for ep in _entry_points():
        if ep.value in seen:
            continue
        seen.add(ep.value)
        origin = f"entry point {ep.name} = {ep.value}" + _distribution(ep)
        try:
            target = ep.load()
            yield origin, _checks_of(target, ep.module)
        except RegistryError:
            raise
        except Exception as exc:  # the pack's own bug: name the pack, not auditor
            raise RegistryError(f"check pack {origin} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def _entry_points() -> list[EntryPoint]:
    if not _packs_may_be_installed():
        return []
    try:
        from importlib.metadata import entry_points

        return list(entry_points(group=GROUP))
    except Exception as exc:  # unreadable installed metadata must not stop the built-in checks
        print(f"auditor: warning: cannot read check packs: {exc}", file=sys.stderr)
        return []


def _packs_may_be_installed() -> bool:
    """False only when no installed distribution declares an ``auditor.checks`` entry point but the
    built-in one, as far as reading the ``entry_points.txt`` files on ``sys.path`` tells.

    ``importlib.metadata.entry_points()`` costs more than a one-file scan may spend on start-up (it imports
    ``email`` and reads every distribution: ~100 ms on the 2-core test machine, against ~1 ms for this
    look, issue 14), so it runs only when a pack could matter. Whatever this cannot see as plainly is
    treated as "maybe": a ``sys.path`` entry that is not a folder (a zip, an egg), an ``.egg`` folder, a
    metadata finder other than the standard one, or a file that names the group with anything else.
    """
    if any(
        hasattr(finder, "find_distributions") and finder is not _path_finder() for finder in sys.meta_path
    ):
        return True
    for entry in sys.path:
        try:
            scan = os.scandir(entry or ".")
        except NotADirectoryError:
            return True  # a zip file or egg on sys.path: importlib.metadata reads inside it
        except OSError:
            continue  # a folder that is not there holds no distribution
        with scan:
            for item in scan:
                if item.name.endswith(".egg"):
                    return True
                if item.name.endswith((".dist-info", ".egg-info")) and _declares_a_pack(item.path):
                    return True
    return False


def _path_finder() -> object:
    from importlib.machinery import PathFinder

    return PathFinder


def _declares_a_pack(info: str) -> bool:
    """Whether the distribution whose metadata folder is ``info`` declares an ``auditor.checks`` entry
    point other than the built-in ``auditor.checks`` (what :func:`_packs` skips anyway)."""
    try:
        with open(os.path.join(info, "entry_points.txt"), "rb") as handle:
            data = handle.read()
    except OSError:
        return False  # none, or an egg-info file (PKG-INFO alone, which cannot declare entry points)
    if GROUP.encode() not in data:
        return False
    section = None
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section == GROUP and line and not line.startswith(("#", ";")):
            _, _, value = line.partition("=")
            if value.strip() != BUILTIN:
                return True
    return False


def _distribution(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f" (from {dist.name} {dist.version})" if dist is not None else ""


def _checks_of(target: Any, base: str) -> list[ModuleType]:
    """The check modules an entry point's object stands for (see the module docstring)."""
    if isinstance(target, ModuleType):
        return _checks_in(target)
    if isinstance(target, (list, tuple)):
        return [_check_module(item, base) for item in target]
    raise RegistryError(
        f"{base}: expected a module or a sequence of check modules, got {type(target).__name__}"
    )


def _checks_in(pack: ModuleType) -> list[ModuleType]:
    names = getattr(pack, "CHECKS", None)
    if names is not None:
        return [_check_module(name, pack.__name__) for name in names]
    if hasattr(pack, "RULE"):
        return [pack]
    if hasattr(pack, "__path__"):
        found = sorted(name for name in _submodules(pack.__path__) if not name.startswith("_"))
        return [importlib.import_module(f"{pack.__name__}.{name}") for name in found]
    raise RegistryError(f"{pack.__name__} is neither a check (RULE) nor a pack (CHECKS or submodules)")


def _submodules(path: Iterable[str]) -> list[str]:
    """The names ``pkgutil.iter_modules(path)`` yields, read directly from the folders of ``path``.

    ``pkgutil`` names a file's module with ``inspect.getmodulename``, and importing ``inspect`` (with
    ``ast``, ``dis``, ``tokenize``) costs ~5 ms, a twentieth of a one-file scan (issue 14). For a folder
    this is the same listing: sorted entries, a file named by its longest import suffix, a sub-folder
    without a dot holding an ``__init__`` module is a package, ``__init__`` itself and names with a dot
    skipped, the first path entry to name a module wins. Other entries (a zip) go to ``pkgutil``.
    """
    import importlib.machinery

    suffixes = sorted(importlib.machinery.all_suffixes(), key=len, reverse=True)

    def module_name(filename: str) -> str | None:
        return next((filename[: -len(s)] for s in suffixes if filename.endswith(s)), None)

    names: dict[str, None] = {}
    for entry in path:
        if not os.path.isdir(entry):
            names.update(dict.fromkeys(m.name for m in pkgutil.iter_modules([entry])))
            continue
        try:
            filenames = sorted(os.listdir(entry))
        except OSError:
            filenames = []
        for filename in filenames:
            name = module_name(filename)
            if name == "__init__" or name in names:
                continue
            folder = os.path.join(entry, filename)
            if not name and "." not in filename and os.path.isdir(folder):
                try:
                    inner = os.listdir(folder)
                except OSError:
                    inner = []
                if not any(module_name(f) == "__init__" for f in inner):
                    continue
                name = filename
            if name and "." not in name:
                names[name] = None
    return list(names)


def _check_module(item: Any, base: str) -> ModuleType:
    if isinstance(item, ModuleType):
        return item
    if isinstance(item, str):
        return importlib.import_module(f"{base}.{item}")
    raise RegistryError(f"{base}: a check list holds {type(item).__name__}, not a module or a module name")


def _sort_key(rule_id: str) -> tuple[int, str]:
    prefix = rule_id.rstrip("0123456789")
    rank = FAMILY_ORDER.index(prefix) if prefix in FAMILY_ORDER else len(FAMILY_ORDER)
    return rank, rule_id
