"""Frozen dataclasses that cost next to nothing to define: :func:`record`.

``@dataclass(frozen=True)`` compiles six functions per class when the class is defined (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``), ~0.4 ms each class on the test
machine; a one-file scan defines some 70 of them, a third of its start-up budget (issue 14,
benchmarks/startup.py). A :func:`record` is the same frozen dataclass for every purpose
(``dataclasses.fields``, ``replace``, ``asdict``, ``is_dataclass``, pickling, ``FrozenInstanceError``),
with these differences in how it is built:

* ``__eq__``, ``__hash__`` and ``__repr__`` are shared functions that read the class's fields (the same
  results as the generated ones: fields in order, ``compare``/``hash``/``repr`` flags honoured, equal only
  to an instance of the very same class);
* ``__setattr__`` / ``__delattr__`` are shared functions that always raise ``FrozenInstanceError``; the
  ``__init__`` sets fields with ``object.__setattr__``, as a frozen dataclass's does;
* ``__init__`` is compiled on the first instantiation, so a class a run never instantiates costs nothing.

For dataclasses themselves a record is an ordinary non-frozen dataclass with ``init=False, eq=False,
repr=False``: a record may only inherit from records (or plain classes), and a dataclass may not inherit
from one. Type checkers see a frozen dataclass (``dataclass_transform``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

_T = TypeVar("_T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[_T], _T]:
        return lambda decorated: decorated


_HAS_FACTORY = object()  # the default of a parameter whose field has a default_factory


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(
    *, slots: bool = False, kw_only: bool = False, frozen: bool = True, eq: bool = True
) -> Callable[[type[_T]], type[_T]]:
    """``@dataclass(frozen=frozen, eq=eq, slots=slots, kw_only=kw_only)``, cheaper to define (see the
    module). ``frozen=False``: fields may be assigned, and with ``eq`` the instances are unhashable, as
    a mutable dataclass's; ``eq=False``: identity equality and hash."""

    def build(cls: type[_T]) -> type[_T]:
        own = set(vars(cls))
        if not cls.__doc__:  # else dataclasses reads the signature of object.__init__ (~1 ms: tokenize)
            cls.__doc__ = f"{cls.__name__}: a record"
        made: Any = dataclasses.dataclass(init=False, repr=False, eq=False, slots=slots, kw_only=kw_only)(cls)
        made.__init__ = _first_init(made)
        if frozen:
            made.__setattr__ = _refuse_set
            made.__delattr__ = _refuse_delete
            made.__getstate__ = _getstate
            made.__setstate__ = _setstate
        shared: dict[str, Any] = {"__repr__": _repr}
        if eq:
            shared.update(__eq__=_eq, __hash__=_hash if frozen else None)
        for name, function in shared.items():
            if name not in own:
                setattr(made, name, function)
        return made

    return build


def _refuse_set(self: object, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _names(cls: type, flag: str) -> tuple[str, ...]:
    """The names of ``cls``'s fields whose ``flag`` (``compare``, ``hash``, ``repr``, ``init``) holds,
    found once per class."""
    cache = _NAMES.get(cls)
    if cache is None:
        every = dataclasses.fields(cls)
        cache = {
            "all": tuple(f.name for f in every),
            "compare": tuple(f.name for f in every if f.compare),
            "hash": tuple(f.name for f in every if (f.compare if f.hash is None else f.hash)),
            "repr": tuple(f.name for f in every if f.repr),
        }
        _NAMES[cls] = cache
    return cache[flag]


_NAMES: dict[type, dict[str, tuple[str, ...]]] = {}


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = _names(type(self), "compare")
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in _names(type(self), "hash")))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in _names(type(self), "repr"))
    return f"{type(self).__qualname__}({shown})"


def _getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, n) for n in _names(type(self), "all"))


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for name, value in zip(_names(type(self), "all"), state, strict=True):
        object.__setattr__(self, name, value)


def _first_init(cls: type) -> Callable[..., None]:
    """An ``__init__`` that compiles the class's real one, puts it in its place and runs it."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        real = _compile_init(cls)
        cls.__init__ = real  # type: ignore[misc]
        real(self, *args, **kwargs)

    return __init__


def _compile_init(cls: type) -> Callable[..., None]:
    """The ``__init__`` a frozen dataclass would have: positional fields, then keyword-only ones; defaults
    and default factories; ``object.__setattr__`` for each field; ``__post_init__`` when the class has one."""
    namespace: dict[str, Any] = {"__set": object.__setattr__, "__HAS_FACTORY": _HAS_FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):
        value = f"__default_{f.name}"
        has_factory = f.default_factory is not dataclasses.MISSING
        if has_factory:
            namespace[f"__factory_{f.name}"] = f.default_factory
        if not f.init:
            if has_factory:
                body.append(f"__set(self, {f.name!r}, __factory_{f.name}())")
            elif f.default is not dataclasses.MISSING:
                namespace[value] = f.default
                body.append(f"__set(self, {f.name!r}, {value})")
            continue
        if has_factory:
            param = f"{f.name}=__HAS_FACTORY"
            body.append(
                f"__set(self, {f.name!r}, __factory_{f.name}() if {f.name} is __HAS_FACTORY else {f.name})"
            )
        else:
            if f.default is not dataclasses.MISSING:
                namespace[value] = f.default
            param = f.name if f.default is dataclasses.MISSING else f"{f.name}={value}"
            body.append(f"__set(self, {f.name!r}, {f.name})")
        (keyword if f.kw_only else positional).append(param)
    params = ["self", *positional, *(["*", *keyword] if keyword else [])]
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n    " + "\n    ".join(body or ["pass"]) + "\n"
    exec(source, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init
