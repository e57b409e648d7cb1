"""The function table: one :class:`FunctionSpec` per ARM template function, keyed by lower-case name.

Families register their implementations with :func:`template_function`; the evaluator finds
one with :func:`lookup_function`, which also answers for names outside the table (``list*``
secret readers, user-defined and unsupported functions) with an Unknown, never an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from auditor.records import record
from auditor.unknown import Unknown

if TYPE_CHECKING:
    from auditor.sources.core.evaluation.expressions import Evaluator, Node


DEEP: Final = "deep"
SHALLOW: Final = "shallow"
ACCEPT: Final = "accept"
LAZY: Final = "lazy"


@record(slots=True)
class FunctionSpec:
    """One template function: display name, implementation, arity and Unknown policy."""

    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    mode: str


FUNCTIONS: dict[str, FunctionSpec] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def template_function(name: str, min_args: int, max_args: int | None, mode: str = DEEP) -> Callable[[_F], _F]:
    """Register the decorated implementation under ``name`` (case-insensitive)."""

    def register(impl: _F) -> _F:
        FUNCTIONS[name.lower()] = FunctionSpec(name, impl, min_args, max_args, mode)
        return impl

    return register


@functools.lru_cache(maxsize=1024)
def _fallback(key: str, name: str) -> FunctionSpec:
    """Spec for a name that is not in the table: a ``list*`` secret reader or an unsupported function."""
    if key.startswith("list"):
        reason = f"{name}() reads values that only Azure knows at deployment (keys, secrets, runtime state)"
    elif "." in name:
        reason = f"user-defined function '{name}' is not supported by auditor's evaluator"
    else:
        reason = f"function '{name}' is not supported by auditor's evaluator"

    def impl(ev: Evaluator, nodes: Sequence[Node]) -> Unknown:
        return Unknown(reason, ev.text)

    return FunctionSpec(name, impl, 0, None, LAZY)


def lookup_function(key: str, name: str) -> FunctionSpec:
    """Spec for the lower-cased function name ``key`` (``name`` as written, for messages)."""
    spec = FUNCTIONS.get(key)
    return spec if spec is not None else _fallback(key, name)
