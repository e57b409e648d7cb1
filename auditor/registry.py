"""Finding the checks: built-in ones and those of installed packs.

A pack is an entry point in the group ``auditor.checks`` naming a module (or
package) with ``CHECKS``, a tuple of module names; each module defines
``RULE`` (an :class:`auditor.findings.Rule`) and ``check(inventory, ctx)``.
Nothing registers itself at import time (no import-order surprises), and
check modules import only light things at module level, so ``auditor rules``
stays fast.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from dataclasses import dataclass
from types import ModuleType

from auditor.findings import Rule

GROUP = "auditor.checks"
BUILTIN = "auditor.checks"


@dataclass(frozen=True)
class LoadedCheck:
    """A check module with its rule."""

    rule: Rule
    module: ModuleType


class RegistryError(Exception):
    """A pack or check module is broken (duplicate id, missing RULE/check)."""


def _pack_modules() -> list[str]:
    packs = [BUILTIN]
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group=GROUP):
            if ep.value not in packs:
                packs.append(ep.value)
    except Exception as exc:  # a broken distribution must not stop the built-in checks
        print(f"auditor: warning: cannot read check packs: {exc}", file=sys.stderr)
    return packs


def load_checks() -> list[LoadedCheck]:
    """Every check of every pack, in id order."""
    loaded: dict[str, LoadedCheck] = {}
    for pack_name in _pack_modules():
        pack = importlib.import_module(pack_name)
        for module_name in getattr(pack, "CHECKS", ()):
            module = importlib.import_module(f"{pack_name}.{module_name}")
            rule = getattr(module, "RULE", None)
            if not isinstance(rule, Rule) or not callable(getattr(module, "check", None)):
                raise RegistryError(f"{module.__name__} lacks RULE or check()")
            if rule.id in loaded:
                raise RegistryError(f"duplicate rule id {rule.id} in {module.__name__}")
            doc = (module.__doc__ or "").strip()
            loaded[rule.id] = LoadedCheck(dataclasses.replace(rule, doc=doc), module)
    return [loaded[k] for k in sorted(loaded, key=_sort_key)]


def _sort_key(rule_id: str) -> tuple[int, str]:
    order = {"SRC": 0, "SUP": 1, "LA": 2, "AUT": 3, "POL": 4, "RB": 5, "SEC": 6, "LIV": 7}
    prefix = rule_id.rstrip("0123456789")
    return order.get(prefix, 9), rule_id
