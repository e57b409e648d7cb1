"""Inventory elements without the parse trees they were read from: what cross-file linking keeps.

A JSON value an element holds as written (a rule's ``expectedValue``, a policy's ``existenceCondition``,
a workflow parameter's ``defaultValue``) is a :class:`~auditor.sources.core.jsonpos.PDict` /
``PList`` of the parsed file, and every such container points at its :class:`SourceFile`: the file's
whole text, its line index and, through the text's positions, the parse. Kept in the inventory until
the checks run, one small value keeps a whole file alive, so the memory of a scan grew with the
repository (issue 14: ten copies of the corpus peaked at 175 MB against 58 MB for one). Checks never
read positions from values (an element's :class:`~auditor.model.Origin` says where it is), so once a
file's elements are made, their values are replaced by plain copies (the same ``dict``/``list``
contents; equal to the originals) and the file's text and tree are freed when the source is done
with them.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from auditor.model import _Model

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``value`` without position-keeping containers: objects and arrays copied as plain ``dict``/``list``
    (iteratively: a value may be nested 100,000 deep, as the parser allows), model records inside
    detached, everything else as it is."""
    if isinstance(value, dict | list):
        return _copy(value)
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, _Model):
        return detached(value)
    return value


def _copy(value: dict[Any, Any] | list[Any]) -> dict[Any, Any] | list[Any]:
    """A plain copy of a JSON object or array, all the way down, with an explicit stack."""
    root: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            if isinstance(item, dict | list):
                new: dict[Any, Any] | list[Any] = {} if isinstance(item, dict) else []
                stack.append((item, new))
            elif isinstance(item, tuple | _Model):
                new = plain(item)
            else:
                new = item
            if isinstance(target, dict):
                target[key] = new
            else:
                target.append(new)
    return root


def detached(element: Any) -> Any:
    """An inventory element (a model record) whose fields hold no parsed container (see the module)."""
    names = _FIELD_NAMES.get(type(element))
    if names is None:
        names = _FIELD_NAMES[type(element)] = tuple(f.name for f in fields(element))
    changes = {}
    for name in names:
        value = getattr(element, name)
        if isinstance(value, dict | list | tuple | _Model):
            changes[name] = plain(value)
    return replace(element, **changes) if changes else element
