"""ARM template functions for the static evaluator in :mod:`auditor.sources.core.evaluation.expressions`,
split by family (one module each); value semantics live in :mod:`auditor.sources.core.evaluation.values`.

Each function is registered in :data:`FUNCTIONS` (lower-case name → spec), so a
call dispatches with one dict lookup instead of a chain of name tests; the
evaluator checks the arity and the Unknown policy of the spec before calling
the implementation.

Unknown policy (``FunctionSpec.mode``):

* ``DEEP``: the result depends on every part of every argument, so an Unknown
  anywhere in the arguments (even inside an array) makes the result that
  Unknown (``toLower``, ``string``, ``equals``...).
* ``SHALLOW``: only a top-level Unknown argument matters; Unknown items inside
  containers are carried along (``length``, ``first``, ``concat`` of arrays,
  ``union`` of objects...).
* ``ACCEPT``: the implementation takes Unknowns as values (``createArray``).
* ``LAZY``: the implementation receives the argument nodes and evaluates what
  it needs, for ARM's short-circuit semantics (``if``, ``and``, ``coalesce``)
  and for ``lambda`` bodies.

Semantic errors raise :class:`EvalError`; ``evaluate()`` turns it into an
Unknown with the reason, because ARM would fail the deployment there and a
linter must report it, never crash. Deploy-time functions (``reference``,
``list*``, ``utcNow``) *return* an Unknown instead: they are not errors, only
values nobody knows before deployment.

``guid()`` and ``uniqueString()`` are deterministic placeholders (the same
inputs give the same value), not the values Azure computes.
"""

from auditor.sources.core.evaluation.functions import (  # noqa: F401  (importing a family registers it)
    collections,
    deployment,
    lambdas,
    logic,
    strings,
)
from auditor.sources.core.evaluation.functions.registry import (
    ACCEPT,
    DEEP,
    FUNCTIONS,
    LAZY,
    SHALLOW,
    FunctionSpec,
    lookup_function,
    template_function,
)

__all__ = [
    "ACCEPT",
    "DEEP",
    "FUNCTIONS",
    "LAZY",
    "SHALLOW",
    "FunctionSpec",
    "lookup_function",
    "template_function",
]
