"""Values that cannot be known before deployment.

An ARM template is a program: ``reference()``, ``listKeys()``, a parameter
without a default or ``utcNow()`` only get a value when Azure deploys it. The
evaluator returns an :class:`Unknown` for them instead of guessing, and every
check treats an ``Unknown`` as "cannot say" (it never fires on one). SRC003
reports where a check needed such a value.

``CallbackUrl`` is an ``Unknown`` that still remembers *which* trigger
``listCallbackUrl()`` was asked for: the URL (and its ``sig=`` key) is a deploy-
time secret, but the trigger it names is what AUT202 and POL301 compare with
the target Logic App. We never call ``listCallbackUrl`` ourselves.

``ResourceReference`` is the same idea for ``reference()``: the runtime state is
unknown, but the resource it reads and the property path read from it
(``reference(la, '2019-05-01', 'full').identity.principalId``) are what links a
role assignment to the managed identity of a Logic App in the same template.
"""

from __future__ import annotations

from typing import Any

from auditor.records import record


@record(slots=True)
class Unknown:
    """A value only Azure knows at deployment time.

    ``reason`` says why in words a user understands ("parameter 'x' has no
    value"); ``expression`` is the source text of the expression that produced
    it, when there is one.
    """

    reason: str
    expression: str | None = None

    def __bool__(self) -> bool:  # pragma: no cover - guard against accidental truth tests
        raise TypeError("an Unknown has no truth value; test it with is_unknown()")

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"


@record(slots=True)
class CallbackUrl(Unknown):
    """The result of ``listCallbackUrl(target, apiVersion)`` (and of ``.value`` on it).

    ``target`` is the evaluated first argument: normally the trigger's resource
    id (``.../Microsoft.Logic/workflows/<la>/triggers/<name>``), itself possibly
    an ``Unknown``.
    """

    target: Any = None
    api_version: Any = None


@record(slots=True)
class ResourceReference(Unknown):
    """The result of ``reference(target, apiVersion, 'full')`` and of properties read from it.

    ``target`` is the evaluated first argument (a resource id, a ``type/name``
    relative id, a resource or symbolic name, or an ``Unknown``); ``path`` the
    property names read from the result, in order (``("identity", "principalId")``).
    Anything *computed* from it (``concat``, ``toLower``, an array index) is a
    plain :class:`Unknown` again.
    """

    target: Any = None
    api_version: Any = None
    full: bool = False
    path: tuple[str, ...] = ()

    def reads(self, *names: str) -> bool:
        """True when the property path read from the reference ends with ``names`` (case-insensitive)."""
        tail = tuple(n.lower() for n in self.path[-len(names) :]) if names else ()
        return len(self.path) >= len(names) and tail == tuple(n.lower() for n in names)


def is_unknown(value: object) -> bool:
    """True when ``value`` is an :class:`Unknown` (including its subclasses)."""
    return isinstance(value, Unknown)


def contains_unknown(value: object) -> bool:
    """True when ``value`` is, or (for lists and dicts) contains, an :class:`Unknown`.

    Iterative: values come from documents anyone can write, nested as deep as they like.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Unknown):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


@record(slots=True)
class AmbiguousLink(Unknown):
    """A reference that several resources of the scan could satisfy (:meth:`auditor.link.Links.logic_app`).

    ``candidates`` are their origins (:class:`auditor.model.Origin`): SRC003 cites them as related
    locations, so the finding shows which files it came from and why it appears only when they are
    scanned together.
    """

    candidates: tuple[Any, ...] = ()
