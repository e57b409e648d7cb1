"""``propertyJPath``: the JSON path a Defender for Cloud automation rule reads from an event.

The automations REST spec says only "The JPath of the entity model property that should be checked"
(``AutomationTriggeringRule.propertyJPath``, azure-rest-api-specs ``specification/security``, also in the
Az.Security and azure-cli help). "JPath" is Json.NET's name for its JSONPath dialect
(``JToken.SelectToken(path)`` / ``SelectTokens(path)``, newtonsoft.com/json/help), and Defender is a .NET
service, so this module reads paths the way Json.NET's JPath parser does, for the part of the syntax a rule
can reasonably use:

- ``a.b``, a leading ``$`` or ``$.`` (the same path), ``['key with space']`` / ``["k"]`` (``\\`` escapes),
  ``['a','b']``;
- ``a[0]`` and ``a[0,2]`` (array indexes; a negative index is not Json.NET syntax and is rejected);
- ``a[*]``, ``a.*`` (every element / property value) and ``a..b`` (``b`` at any depth below ``a``).

Filters (``[?(...)]``), slices (``[1:3]``) and anything else raise :class:`PathError`: the caller reports
the rule as *not evaluated* (an assumption), never as a match or a mismatch.

Why a small evaluator of our own rather than ``jsonpath-ng`` (the one JSONPath package on this machine's
lists): it implements Goessner/RFC 9535 syntax, not Json.NET's (``['a','b']`` quoting and the error cases
differ), its ``..`` has no step or size budget (a hostile path on a big body would hang the simulation),
and it offers no way to see that a key matched only in another case, which a simulation must report.

Keys are compared as Json.NET does, case-sensitively (``JObject`` property lookup is ordinal). Whether
Defender adds a case-insensitive fallback is undocumented, so :meth:`JPath.select` also returns what a
case-insensitive lookup (exact name first, like ``JObject.GetValue(name, OrdinalIgnoreCase)``) would
select when that differs; the simulator treats the two as two readings and calls a rule a match or a
mismatch only when both agree.

Budget: a path longer than :data:`MAX_PATH_CHARS` characters or :data:`MAX_STEPS` steps is rejected
when compiled; a selection that visits more than :data:`MAX_VISITS` JSON nodes, goes deeper than
:data:`MAX_DEPTH` or yields more than :data:`MAX_RESULTS` values raises :class:`PathBudgetExceeded`. Both
become "not evaluated", so ``..`` on a huge event costs bounded time and never a crash or hang.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from auditor.records import record

MAX_PATH_CHARS = 512
MAX_STEPS = 32
MAX_VISITS = 20_000
MAX_DEPTH = 64
MAX_RESULTS = 1_000

_NAME_STOP = ".[]()' \""


class PathError(ValueError):
    """A path Json.NET would reject, or one this evaluator does not evaluate (filters, slices)."""


class PathBudgetExceeded(RuntimeError):
    """Selecting the path touched too many nodes, went too deep or produced too many values."""


@record(slots=True)
class Step:
    """One step: ``name`` (one or more keys), ``index`` (one or more positions), ``wildcard``, or
    ``recursive`` (``..``: the keys, or every value when ``keys`` is empty, at any depth)."""

    kind: str
    keys: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()


@record(slots=True)
class Selection:
    """What a path selects: ``values`` with Json.NET's case-sensitive keys; ``loose`` with a
    case-insensitive fallback, or None when that selects the same (no key matched only in another case)."""

    values: tuple[Any, ...]
    loose: tuple[Any, ...] | None = None


class JPath:
    """A compiled path; compile once with :func:`compile_path`, select on many events."""

    __slots__ = ("_names", "single", "steps", "text")

    def __init__(self, text: str, steps: tuple[Step, ...]) -> None:
        self.text = text
        self.steps = steps
        # At most one value whatever the event: only single names and single indexes.
        self.single = all(
            (s.kind == "name" and len(s.keys) == 1) or (s.kind == "index" and len(s.indexes) == 1)
            for s in steps
        )
        simple = all(s.kind == "name" and len(s.keys) == 1 for s in steps)
        self._names: tuple[str, ...] | None = tuple(s.keys[0] for s in steps) if simple else None

    def canonical(self) -> str | None:
        """The path written one way (``$.a['b']`` → ``a.b``) when it selects at most one value, else None.

        AUT204 compares rules by this, so ``Severity`` and ``$.Severity`` are one property."""
        if not self.single:
            return None
        out: list[str] = []
        for step in self.steps:
            if step.kind == "name":
                key = step.keys[0]
                plain = key and not any(c in _NAME_STOP or c in "*$\\" for c in key)
                out.append(("." if out else "") + key if plain else "['" + key.replace("'", "\\'") + "']")
            else:
                out.append(f"[{step.indexes[0]}]")
        return "".join(out)

    def select(self, body: Any) -> Selection:
        """The values the path selects in ``body`` (see :class:`Selection`); may raise the budget error."""
        if self._names is not None:
            return self._select_names(body, self._names)
        strict, differs = _walk(body, self.steps, loose=False)
        if not differs:
            return Selection(strict)
        loose, _ = _walk(body, self.steps, loose=True)
        return Selection(strict, loose)

    @staticmethod
    def _select_names(body: Any, names: tuple[str, ...]) -> Selection:
        """The fast path for ``a.b.c``: no lists of candidates, no budget needed (one node per step)."""
        current = body
        for depth, name in enumerate(names):
            if not isinstance(current, dict):
                return Selection(())
            if name in current:
                current = current[name]
                continue
            other = _loose_key(current, name)
            if other is None:
                return Selection(())
            loose = JPath._select_names(current[other], names[depth + 1 :])
            return Selection((), loose.loose if loose.loose is not None else loose.values)
        return Selection((current,))


def _loose_key(obj: dict[str, Any], name: str) -> str | None:
    """The key a case-insensitive lookup finds when the exact one is absent (first in document order)."""
    folded = name.casefold()
    for key in obj:
        if isinstance(key, str) and key.casefold() == folded:
            return key
    return None


class _Budget:
    __slots__ = ("visits",)

    def __init__(self) -> None:
        self.visits = 0

    def tick(self, n: int = 1) -> None:
        self.visits += n
        if self.visits > MAX_VISITS:
            raise PathBudgetExceeded(f"selecting the path visited more than {MAX_VISITS} JSON nodes")


def _walk(body: Any, steps: tuple[Step, ...], *, loose: bool) -> tuple[tuple[Any, ...], bool]:
    """(values, whether some key matched only case-insensitively) for one reading."""
    budget = _Budget()
    current: list[Any] = [body]
    differs = False
    for step in steps:
        nxt: list[Any] = []
        for node in current:
            budget.tick()
            differs = _apply(step, node, nxt, budget, loose=loose) or differs
            if len(nxt) > MAX_RESULTS:
                raise PathBudgetExceeded(f"the path selects more than {MAX_RESULTS} values")
        current = nxt
        if not current:
            break
    return tuple(current), differs


def _child(node: dict[str, Any], key: str, loose: bool) -> tuple[bool, Any, bool]:
    """(found, value, found only case-insensitively)."""
    if key in node:
        return True, node[key], False
    other = _loose_key(node, key)
    if other is None:
        return False, None, False
    return (True, node[other], True) if loose else (False, None, True)


def _apply(step: Step, node: Any, out: list[Any], budget: _Budget, *, loose: bool) -> bool:
    differs = False
    if step.kind == "name":
        if isinstance(node, dict):
            for key in step.keys:
                found, value, other_case = _child(node, key, loose)
                differs = differs or other_case
                if found:
                    out.append(value)
    elif step.kind == "index":
        if isinstance(node, list):
            out.extend(node[i] for i in step.indexes if i < len(node))
    elif step.kind == "wildcard":
        if isinstance(node, dict):
            out.extend(node.values())
        elif isinstance(node, list):
            out.extend(node)
    else:
        differs = _descend(step, node, out, budget, loose=loose)
    return differs


def _descend(step: Step, root: Any, out: list[Any], budget: _Budget, *, loose: bool) -> bool:
    """``..keys`` (or ``..*``): every match at any depth below ``root``, iteratively and within budget."""
    differs = False
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        budget.tick()
        if depth > MAX_DEPTH:
            raise PathBudgetExceeded(f"the event is nested deeper than {MAX_DEPTH} levels under '..'")
        children: list[Any]
        if isinstance(node, dict):
            children = list(node.values())
            if step.keys:
                for key in step.keys:
                    found, value, other_case = _child(node, key, loose)
                    differs = differs or other_case
                    if found:
                        out.append(value)
            else:
                out.extend(children)
        elif isinstance(node, list):
            children = node
            if not step.keys:
                out.extend(children)
        else:
            continue
        if len(out) > MAX_RESULTS:
            raise PathBudgetExceeded(f"the path selects more than {MAX_RESULTS} values")
        if len(stack) + len(children) > MAX_VISITS:  # never queue more than the budget could visit
            raise PathBudgetExceeded(f"selecting the path visited more than {MAX_VISITS} JSON nodes")
        stack.extend((c, depth + 1) for c in reversed(children) if isinstance(c, dict | list))
    return differs


# ---------------------------------------------------------------- parsing


@lru_cache(maxsize=4096)
def compile_path(text: str) -> JPath:
    """Parse a propertyJPath once (cached); :class:`PathError` says why a path is not evaluated."""
    if len(text) > MAX_PATH_CHARS:
        raise PathError(f"the path is longer than {MAX_PATH_CHARS} characters")
    steps = tuple(_Parser(text.strip()).parse())
    if len(steps) > MAX_STEPS:
        raise PathError(f"the path has more than {MAX_STEPS} steps")
    return JPath(text, steps)


def canonical(text: str) -> str | None:
    """:meth:`JPath.canonical` of a path, or None when it is invalid or can select several values."""
    try:
        return compile_path(text).canonical()
    except PathError:
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def fail(self, why: str) -> PathError:
        return PathError(f"{why} at character {self.i + 1}")

    def parse(self) -> list[Step]:
        t = self.text
        if not t:
            raise PathError("the path is empty")
        steps: list[Step] = []
        if t[0] == "$":
            self.i = 1
            if self.i == len(t):
                raise PathError("the path '$' selects the whole event, not a property")
        first = True
        while self.i < len(t):
            c = t[self.i]
            if c == "[":
                steps.append(self.bracket())
            elif t.startswith("..", self.i):
                self.i += 2
                steps.append(self.recursive())
            elif c == ".":
                if first and self.i == 0:
                    raise self.fail("a path cannot start with '.'")
                self.i += 1
                steps.append(self.dotted())
            elif first and self.i == 0:
                steps.append(self.dotted())
            else:
                raise self.fail(f"unexpected '{c}'")
            first = False
        if len(steps) > MAX_STEPS:
            raise PathError(f"the path has more than {MAX_STEPS} steps")
        return steps

    def name(self) -> str:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in _NAME_STOP:
            self.i += 1
        if self.i == start:
            raise self.fail("a property name is expected")
        return self.text[start : self.i]

    def dotted(self) -> Step:
        if self.i < len(self.text) and self.text[self.i] == "*":
            self.i += 1
            return Step("wildcard")
        return Step("name", (self.name(),))

    def recursive(self) -> Step:
        if self.i < len(self.text) and self.text[self.i] == "*":
            self.i += 1
            return Step("recursive")
        if self.i < len(self.text) and self.text[self.i] == "[":
            inner = self.bracket()
            if inner.kind == "wildcard":
                return Step("recursive")
            if inner.kind != "name":
                raise self.fail("'..' followed by an index is not evaluated")
            return Step("recursive", inner.keys)
        return Step("recursive", (self.name(),))

    def bracket(self) -> Step:
        t = self.text
        self.i += 1  # '['
        if t.startswith("*]", self.i):
            self.i += 2
            return Step("wildcard")
        if self.i < len(t) and t[self.i] in "'\"":
            keys = [self.quoted()]
            while self.i < len(t) and t[self.i] == ",":
                self.i += 1
                keys.append(self.quoted())
            self.close()
            return Step("name", tuple(keys))
        if self.i < len(t) and t[self.i] == "?":
            raise self.fail("a filter '[?(...)]' is not evaluated")
        start = self.i
        end = t.find("]", start)
        if end < 0:
            raise self.fail("']' is missing")
        body = t[start:end].replace(" ", "")
        if ":" in body:
            raise self.fail("an array slice is not evaluated")
        parts = body.split(",")
        if not all(p.isdigit() for p in parts):
            raise self.fail(f"'[{t[start:end]}]' is not an array index Json.NET reads")
        self.i = end + 1
        return Step("index", indexes=tuple(int(p) for p in parts))

    def quoted(self) -> str:
        t = self.text
        while self.i < len(t) and t[self.i] == " ":
            self.i += 1
        if self.i >= len(t) or t[self.i] not in "'\"":
            raise self.fail("a quoted property name is expected")
        quote = t[self.i]
        self.i += 1
        out: list[str] = []
        while self.i < len(t):
            c = t[self.i]
            if c == "\\" and self.i + 1 < len(t):
                out.append(t[self.i + 1])
                self.i += 2
                continue
            if c == quote:
                self.i += 1
                while self.i < len(t) and t[self.i] == " ":
                    self.i += 1
                return "".join(out)
            out.append(c)
            self.i += 1
        raise self.fail("the quoted name is not closed")

    def close(self) -> None:
        if self.i >= len(self.text) or self.text[self.i] != "]":
            raise self.fail("']' is expected")
        self.i += 1
