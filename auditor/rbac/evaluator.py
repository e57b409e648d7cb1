"""Azure RBAC decisions: may principal P perform action A at scope S, and why.

The evaluator is pure (no I/O: the snapshot and the built-in roles are inputs) and
answers from the snapshot's indices, so RB checks can call it thousands of times.
The model follows Azure's documented evaluation order:

1. **Deny assignments** first. Only ``enforced`` ones deny (``audit`` ones are
   reported). A deny applies when its scope contains the target (equals it with
   ``doNotApplyToChildScopes``), the principal is among its principals (directly,
   through a group, or as the everyone principal) and not excluded, and the action
   matches its actions minus its notActions. A deny wins over any grant.
2. **Grants**: active assignments of the principal or of any group containing it
   (transitively) at the target scope or an ancestor: resource → resource group →
   subscription → management groups → ``/``. Within one permission block,
   ``notActions`` subtract from ``actions``; they are not a deny.
3. **PIM-eligible** assignments grant nothing and are reported.
4. **ABAC conditions** (version 2.0) on assignments and on role permission blocks
   are evaluated with three-valued logic: a needed request attribute that was not
   supplied, or syntax we do not support, makes the grant ``conditional`` rather
   than a guess.

When the snapshot cannot settle the question (group membership not exported, a
subscription not placed in the management-group tree, a role definition missing)
and that gap could change the answer, the decision is ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from auditor.rbac.snapshot import (
    EVERYONE,
    MG_PREFIX,
    ROOT_SCOPE,
    AccessSnapshot,
    BlockMatch,
    DenyAssignment,
    PrincipalRef,
    RoleAssignment,
    RoleDefinition,
    is_scope,
    norm_id,
    normalize_scope,
    pattern_matches,
    role_guid,
)

if TYPE_CHECKING:
    from auditor.rbac.builtin import BuiltinRoles, Suggestion

ALLOWED, DENIED, CONDITIONAL, UNKNOWN = "allowed", "denied", "conditional", "unknown"
DECISIONS = (ALLOWED, DENIED, CONDITIONAL, UNKNOWN)

RequestAttributes = Mapping[str, "str | Sequence[str]"]
"""Attribute name → value(s). Names are ``Microsoft.Authorization/roleAssignments:RoleDefinitionId``
(any source) or ``@Request[...]`` / ``@Resource[...]`` to target one source; case-insensitive."""


# =========================================================================== ABAC conditions


class ConditionError(ValueError):
    """Condition text we cannot parse (reported as a conditional grant, never guessed)."""


_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<and>&&)
    | (?P<or>\|\|)
    | (?P<bang>!)
    | (?P<func>(?:ActionMatches|SubOperationMatches))\s*\{\s*'(?P<funcarg>[^']*)'\s*\}
    | @(?P<source>[A-Za-z]+)\s*\[(?P<attr>[^\]]+)\]
    | '(?P<string>(?:[^']|'')*)'
    | \{(?P<set>[^}]*)\}
    | (?P<word>[A-Za-z0-9_][A-Za-z0-9_:.\-]*)
    )""",
    re.VERBOSE | re.IGNORECASE,
)

_QUANTIFIERS = ("foranyofanyvalues", "forallofanyvalues", "foranyofallvalues", "forallofallvalues")


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    extra: str = ""


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            raise ConditionError(f"unexpected text at {pos}: {stripped[pos : pos + 30]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "funcarg":
            out.append(_Tok("func", m.group("func"), m.group("funcarg")))
        elif kind == "attr":
            out.append(_Tok("attr", m.group("attr").strip(), m.group("source")))
        elif kind == "word" and m.group("word").upper() in ("AND", "OR", "NOT"):
            out.append(_Tok(m.group("word").lower(), m.group("word")))
        elif kind == "bang":
            out.append(_Tok("not", "!"))
        else:
            out.append(_Tok(kind, m.group(kind)))
    return out


# AST: tuples, cheap and hashable.
#   ("or", (nodes...)), ("and", (nodes...)), ("not", node), ("action", pattern), ("subop", pattern),
#   ("cmp", source, attribute, quantifier | "", operator, values tuple, literal_is_set)


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise ConditionError("unexpected end of condition")
        self.i += 1
        return tok

    def parse(self) -> tuple[Any, ...]:
        node = self.expr()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek().value!r}")  # type: ignore[union-attr]
        return node

    def expr(self) -> tuple[Any, ...]:
        nodes = [self.conj()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            nodes.append(self.conj())
        return nodes[0] if len(nodes) == 1 else ("or", tuple(nodes))

    def conj(self) -> tuple[Any, ...]:
        nodes = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.take()
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else ("and", tuple(nodes))

    def unary(self) -> tuple[Any, ...]:
        tok = self.take()
        if tok.kind == "not":
            return ("not", self.unary())
        if tok.kind == "lparen":
            node = self.expr()
            if self.take().kind != "rparen":
                raise ConditionError("missing ')'")
            return node
        if tok.kind == "func":
            return ("action" if tok.value.lower() == "actionmatches" else "subop", tok.extra)
        if tok.kind == "attr":
            op = self.take()
            if op.kind != "word":
                raise ConditionError(f"expected an operator after @{tok.extra}[{tok.value}]")
            quantifier, _, operator = op.value.rpartition(":")
            value = self.take()
            if value.kind == "set":
                values = tuple(_literal(v) for v in value.value.split(",") if v.strip())
            elif value.kind in ("string", "word"):
                values = (value.value.replace("''", "'") if value.kind == "string" else value.value,)
            else:
                raise ConditionError(f"expected a value after {op.value}")
            return (
                "cmp",
                tok.extra.lower(),
                tok.value,
                quantifier.lower(),
                operator.lower(),
                values,
                value.kind == "set",
            )
        raise ConditionError(f"unexpected {tok.value!r}")


def _literal(text: str) -> str:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] == "'":
        return t[1:-1].replace("''", "'")
    return t


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> tuple[Any, ...]:
    """Parse an ABAC condition (2.0) into a small tuple AST; raises ConditionError."""
    return _Parser(_tokenize(text)).parse()


def _guid(value: str) -> str:
    return value.strip().strip("{}").rsplit("/", 1)[-1].replace("-", "").lower()


def _compare(operator: str, left: str, right: str) -> bool | None:
    """One comparison; None for an operator we do not implement."""
    if operator in ("guidequals", "guidnotequals"):
        result = _guid(left) == _guid(right)
        return result if operator == "guidequals" else not result
    if operator in ("boolequals", "boolnotequals"):
        result = left.strip().lower() == right.strip().lower()
        return result if operator == "boolequals" else not result
    if operator.startswith("string"):
        base = operator[len("string") :]
        negate = base.startswith("not")
        base = base[3:] if negate else base
        ignore_case = base.endswith("ignorecase")
        base = base[: -len("ignorecase")] if ignore_case else base
        a, b = (left.lower(), right.lower()) if ignore_case else (left, right)
        if base == "equals":
            result = a == b
        elif base == "startswith":
            result = a.startswith(b)
        elif base == "like":
            result = re.fullmatch(".*".join(re.escape(x) for x in b.split("*")), a, re.DOTALL) is not None
        else:
            return None
        return not result if negate else result
    return None


@dataclass(frozen=True)
class _Attrs:
    """Request attributes, normalised once per check."""

    values: Mapping[tuple[str, str], tuple[str, ...]]

    def get(self, source: str, name: str) -> tuple[str, ...] | None:
        key = name.strip().lower()
        found = self.values.get((source, key))
        return found if found is not None else self.values.get(("", key))


_NAMED = re.compile(r"^\s*@([A-Za-z]+)\s*\[(.+)\]\s*$")


def normalize_attributes(attributes: RequestAttributes | None) -> _Attrs:
    """``{"@Request[x]": "v"}`` / ``{"x": ["v1", "v2"]}`` → look-up keyed by (source, name)."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, value in (attributes or {}).items():
        m = _NAMED.match(name)
        key = (m.group(1).lower(), m.group(2).strip().lower()) if m else ("", name.strip().lower())
        vals = (value,) if isinstance(value, str) else tuple(value)
        out[key] = out.get(key, ()) + vals
    return _Attrs(out)


_Result = tuple["bool | None", tuple[str, ...]]


def _eval(node: tuple[Any, ...], action_lower: str, attrs: _Attrs) -> _Result:
    kind = node[0]
    if kind in ("or", "and"):
        stop = kind == "or"  # OR stops at True, AND at False
        reasons: list[str] = []
        undecided = False
        for child in node[1]:
            value, why = _eval(child, action_lower, attrs)
            if value is stop:
                return stop, ()
            if value is None:
                undecided = True
                reasons.extend(why)
        return (None, tuple(reasons)) if undecided else (not stop, ())
    if kind == "not":
        value, why = _eval(node[1], action_lower, attrs)
        return (None if value is None else not value), why
    if kind == "action":
        return pattern_matches(node[1], action_lower), ()
    if kind == "subop":
        return False, ()  # no sub-operation is ever requested by what we evaluate
    _, source, name, quantifier, operator, values, is_set = node
    label = f"@{source.capitalize()}[{name}]"
    if _compare(operator, "", "") is None:
        return None, (f"unsupported operator {operator!r} in the condition",)
    have = attrs.get(source, name)
    if have is None:
        return None, (f"needs {label} (pass --request-attribute {name}=VALUE)",)
    if quantifier:
        if quantifier not in _QUANTIFIERS:
            return None, (f"unsupported quantifier {quantifier!r} in the condition",)
        outer_all = quantifier.startswith("forall")
        inner_all = quantifier.endswith("allvalues")
        results: list[bool] = []
        for left in have:
            cmp = [_compare(operator, left, right) is True for right in values]
            results.append(all(cmp) if inner_all else any(cmp))
        return (all(results) if outer_all else any(results)), ()
    if is_set or len(values) != 1:
        return None, (f"{operator} compares one value; the condition gives a set",)
    if len(have) != 1:
        return None, (f"{label} was given {len(have)} values; {operator} needs exactly one",)
    result = _compare(operator, have[0], values[0])
    if result is None:
        return None, (f"unsupported operator {operator!r} in the condition",)
    return result, ()


def evaluate_condition(
    condition: str, version: str | None, action: str, attributes: _Attrs | RequestAttributes | None = None
) -> _Result:
    """(True | False | None, reasons): None when the answer depends on something we were not told."""
    if version not in (None, "", "2.0"):
        return None, (f"unsupported conditionVersion {version!r}",)
    attrs = attributes if isinstance(attributes, _Attrs) else normalize_attributes(attributes)
    try:
        tree = parse_condition(condition)
    except ConditionError as exc:
        return None, (f"unsupported condition syntax ({exc})",)
    return _eval(tree, action.lower(), attrs)


# =========================================================================== results


@dataclass(frozen=True)
class Grant:
    """A role assignment whose role covers the action at the target scope."""

    assignment_id: str
    scope: str
    role_id: str
    role_name: str
    holder: str  # principal id of the assignment: the principal itself or a group
    via: tuple[str, ...]  # groups from the principal up to the holder ("" path = direct)
    block: int
    pattern: str
    condition: str | None = None
    eligible: bool = False
    reasons: tuple[str, ...] = ()  # why it is conditional

    def to_json(self) -> dict[str, Any]:
        """JSON form (camelCase, like ARM)."""
        return {
            "assignmentId": self.assignment_id,
            "scope": self.scope,
            "roleName": self.role_name,
            "roleId": self.role_id,
            "principalId": self.holder,
            "viaGroups": list(self.via),
            "permissionBlock": self.block,
            "pattern": self.pattern,
            "condition": self.condition,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Deny:
    """A deny assignment covering the action, principal and scope."""

    deny_assignment_id: str
    name: str
    scope: str
    pattern: str
    effect: str  # "enforced" | "audit"
    applies: str  # "yes"; "unknown" (membership or hierarchy not in the snapshot); "conditional"
    reasons: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        """An enforced deny that certainly applies."""
        return self.effect == "enforced" and self.applies == "yes"

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "denyAssignmentId": self.deny_assignment_id,
            "name": self.name,
            "scope": self.scope,
            "pattern": self.pattern,
            "effect": self.effect,
            "applies": self.applies,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Decision:
    """The answer for one (principal, scope, action) and everything that led to it."""

    decision: str
    principal: str
    scope: str
    action: str
    data_action: bool = False
    grants: tuple[Grant, ...] = ()
    conditional: tuple[Grant, ...] = ()
    denies: tuple[Deny, ...] = ()
    eligible: tuple[Grant, ...] = ()
    unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    suggestion: Suggestion | None = None

    @property
    def allowed(self) -> bool:
        """Certainly allowed."""
        return self.decision == ALLOWED

    def to_json(self) -> dict[str, Any]:
        """The ``auditor access explain --format json`` document."""
        return {
            "decision": self.decision,
            "principal": self.principal,
            "scope": self.scope,
            "action": self.action,
            "dataAction": self.data_action,
            "grants": [g.to_json() for g in self.grants],
            "denies": [d.to_json() for d in self.denies],
            "eligible": [g.to_json() for g in self.eligible],
            "conditional": [g.to_json() for g in self.conditional],
            "unknown": list(self.unknown),
            "notes": list(self.notes),
            "suggestion": self.suggestion.to_json() if self.suggestion is not None else None,
        }


@dataclass(frozen=True)
class _Chain:
    """Scopes that contain a target, most specific first, and whether the MG part is complete."""

    keys: tuple[str, ...]
    keyset: frozenset[str]
    gap: str | None  # why management-group ancestry is incomplete, if it is


@dataclass
class _Acc:
    grants: list[Grant] = field(default_factory=list)
    conditional: list[Grant] = field(default_factory=list)
    eligible: list[Grant] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# =========================================================================== evaluator


class Evaluator:
    """Answers RBAC questions against one snapshot (plus the shipped built-in roles).

    Construction is free; caches fill as questions are asked (group closures per
    principal, ancestor chains per scope, role×action matches), so one evaluator per
    snapshot should be reused across checks.
    """

    def __init__(self, snapshot: AccessSnapshot | None = None, builtins: BuiltinRoles | None = None) -> None:
        self.snapshot = snapshot if snapshot is not None else AccessSnapshot()
        self._builtins = builtins
        self._closures: dict[str, dict[str, str | None]] = {}
        self._chains: dict[str, _Chain] = {}
        self._matches: dict[tuple[str, str, bool], tuple[BlockMatch, ...]] = {}

    # ------------------------------------------------------------------ look-ups

    @property
    def builtins(self) -> BuiltinRoles:
        """The shipped built-in roles (loaded on first use)."""
        if self._builtins is None:
            from auditor.rbac.builtin import builtin_roles

            self._builtins = builtin_roles()
        return self._builtins

    def role(self, role_id: str) -> RoleDefinition | None:
        """A role by GUID (or any full id): the snapshot's definition wins over the built-in one."""
        guid = role_guid(role_id)
        found = self.snapshot.role_definitions.get(guid)
        return found if found is not None else self.builtins.by_id.get(guid)

    def groups_of(self, principal: str) -> Mapping[str, str | None]:
        """The principal and every group containing it (transitively) → the member through which
        it was reached (None for the principal itself). Cycles in ``groups`` are harmless."""
        p = norm_id(principal)
        found = self._closures.get(p)
        if found is None:
            found = {p: None}
            todo = [p]
            member_of = self.snapshot.member_of
            while todo:
                current = todo.pop()
                for group in member_of.get(current, ()):
                    if group not in found:
                        found[group] = current
                        todo.append(group)
            self._closures[p] = found
        return found

    def _via(self, closure: Mapping[str, str | None], holder: str) -> tuple[str, ...]:
        path: list[str] = []
        node: str | None = holder
        while node is not None and closure.get(node) is not None:
            path.append(node)
            node = closure[node]
        return tuple(reversed(path))

    def chain(self, scope: str) -> tuple[tuple[str, ...], str | None]:
        """Normalised scopes containing ``scope`` (itself first, ``/`` last) and, when the
        management-group ancestry is incomplete in the snapshot, why."""
        c = self._chain(normalize_scope(scope))
        return c.keys, c.gap

    def _chain(self, target: str) -> _Chain:
        found = self._chains.get(target)
        if found is not None:
            return found
        snap = self.snapshot
        segments = [s for s in target.split("/") if s]
        keys = ["/" + "/".join(segments[:i]) for i in range(len(segments), 0, -1)]
        start: str | None = None
        gap: str | None = None
        if len(segments) >= 2 and segments[0] == "subscriptions":
            start = snap.subscriptions.get(segments[1])
            if start is None:
                gap = f"subscription {segments[1]} is not placed in a management group ('subscriptions')"
        elif len(segments) >= 4 and segments[:3] == ["providers", "microsoft.management", "managementgroups"]:
            if segments[3] in snap.management_groups:
                start = snap.management_groups[segments[3]]
            else:
                gap = f"management group {segments[3]} is not in 'managementGroups'"
        if start is not None:
            names, complete = snap.management_group_chain(start)
            keys.extend(MG_PREFIX + n for n in names)
            if not complete:
                gap = f"management group {names[-1]} is not in 'managementGroups'"
        root = snap.root_management_group
        if root is not None and MG_PREFIX + root not in keys:
            keys.append(MG_PREFIX + root)  # the tenant root group contains every subscription
        if ROOT_SCOPE not in keys:
            keys.append(ROOT_SCOPE)
        found = _Chain(tuple(keys), frozenset(keys), gap)
        self._chains[target] = found
        return found

    def matches(self, role: RoleDefinition, action: str, data_action: bool = False) -> tuple[BlockMatch, ...]:
        """``role.match`` memoised per (role, action): the same few actions are asked over and over."""
        key = (role.id, action.lower(), data_action)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = role.match(key[1], data_action)
        return found

    # ------------------------------------------------------------------ the decision

    def check(
        self,
        principal: str,
        scope: str,
        action: str,
        *,
        data_action: bool = False,
        request_attributes: RequestAttributes | None = None,
        suggest: bool = True,
    ) -> Decision:
        """Decide whether ``principal`` may perform ``action`` at ``scope``.

        ``suggest`` adds, for a ``denied`` decision that no deny assignment caused,
        the least-privileged built-in role that would grant the action.
        Raises ValueError for a scope that does not start with ``/``.
        """
        if not is_scope(scope):
            raise ValueError(f"scope must start with '/': {scope!r}")
        target = normalize_scope(scope)
        action_l = action.strip().lower()
        attrs = normalize_attributes(request_attributes)
        closure = self.groups_of(principal)
        chain = self._chain(target)
        acc = _Acc()

        denies = self._denies(target, chain, closure, action_l, data_action, attrs)
        self._grants(chain, closure, action_l, data_action, attrs, acc)

        blocking = [d for d in denies if d.blocks]
        possible = [d for d in denies if d.effect == "enforced" and d.applies != "yes"]
        if blocking:
            decision = DENIED
        elif acc.grants:
            decision = ALLOWED
        elif acc.conditional:
            decision = CONDITIONAL
        elif acc.unknown:
            decision = UNKNOWN
        else:
            decision = DENIED
        if possible and decision in (ALLOWED, CONDITIONAL):
            decision = UNKNOWN if any(d.applies == UNKNOWN for d in possible) else CONDITIONAL
        if decision == DENIED:
            acc.unknown.clear()  # nothing unknown could have changed it
        suggestion = None
        if suggest and decision == DENIED and not blocking:
            suggestion = self.builtins.smallest_granting(action_l, data_action)
        return Decision(
            decision=decision,
            principal=principal,
            scope=scope,
            action=action,
            data_action=data_action,
            grants=tuple(acc.grants),
            conditional=tuple(acc.conditional),
            denies=tuple(denies),
            eligible=tuple(acc.eligible),
            unknown=tuple(acc.unknown),
            notes=tuple(acc.notes),
            suggestion=suggestion,
        )

    def allows(self, principal: str, scope: str, action: str, *, data_action: bool = False) -> bool:
        """Shorthand: certainly allowed (no suggestion computed)."""
        return self.check(principal, scope, action, data_action=data_action, suggest=False).allowed

    # ------------------------------------------------------------------ denies

    def _membership(self, refs: Sequence[PrincipalRef], closure: Mapping[str, str | None]) -> tuple[str, str]:
        """("yes" | "unknown" | "no", detail) for a deny's principals or exclusions."""
        uncertain = self.snapshot.uncertain_groups
        maybe = ""
        for ref in refs:
            if ref.id == EVERYONE:
                return "yes", "everyone"
            if ref.id in closure:
                return "yes", ref.id
            if ref.id in uncertain:
                maybe = ref.id
        return ("unknown", maybe) if maybe else ("no", "")

    def _denies(
        self,
        target: str,
        chain: _Chain,
        closure: Mapping[str, str | None],
        action_l: str,
        data_action: bool,
        attrs: _Attrs,
    ) -> list[Deny]:
        by_scope = self.snapshot.denies_by_scope
        candidates: list[tuple[DenyAssignment, str | None]] = []
        for key in chain.keys:
            for da in by_scope.get(key, ()):
                if da.do_not_apply_to_child_scopes and key != target:
                    continue
                candidates.append((da, None))
        if chain.gap is not None:
            for key, lst in by_scope.items():
                if key.startswith(MG_PREFIX) and key not in chain.keyset:
                    candidates.extend((da, chain.gap) for da in lst if not da.do_not_apply_to_child_scopes)
        out: list[Deny] = []
        for da, gap in candidates:
            pattern = da.match(action_l, data_action)
            if pattern is None:
                continue
            included, who = self._membership(da.principals, closure)
            if included == "no":
                continue
            excluded, ex_who = self._membership(da.exclude_principals, closure)
            if excluded == "yes":
                continue
            reasons: list[str] = []
            applies = "yes"
            if included == UNKNOWN:
                applies = UNKNOWN
                reasons.append(f"membership of group {who} is not in the snapshot ('groups')")
            if excluded == UNKNOWN:
                applies = UNKNOWN
                reasons.append(f"excluded group {ex_who} has unknown membership ('groups')")
            if gap is not None:
                applies = UNKNOWN
                reasons.append(f"deny at {da.scope} may contain the scope: {gap}")
            if da.condition:
                value, why = evaluate_condition(da.condition, da.condition_version, action_l, attrs)
                if value is False:
                    continue
                if value is None:
                    applies = CONDITIONAL if applies == "yes" else applies
                    reasons.extend(f"deny condition: {w}" for w in why)
            out.append(Deny(da.id, da.name, da.scope, pattern, da.effect, applies, tuple(reasons)))
        return out

    # ------------------------------------------------------------------ grants

    def _grants(
        self,
        chain: _Chain,
        closure: Mapping[str, str | None],
        action_l: str,
        data_action: bool,
        attrs: _Attrs,
        acc: _Acc,
    ) -> None:
        snap = self.snapshot
        for holder in closure:
            for index, eligible in ((snap.active, False), (snap.eligible, True)):
                by_scope = index.get(holder)
                if not by_scope:
                    continue
                for key in chain.keys:
                    for ra in by_scope.get(key, ()):
                        self._consider(ra, closure, action_l, data_action, attrs, acc, eligible=eligible)
            if chain.gap is not None:
                for ra in snap.mg_scoped.get(holder, ()):
                    if ra.scope_key not in chain.keyset and self._could_grant(ra, action_l, data_action):
                        acc.unknown.append(
                            f"{self._label(ra)} at {ra.scope} may contain the scope: {chain.gap}"
                        )
        # assignments to groups whose members are not known: could the principal be one?
        for key in chain.keys:
            for ra in snap.uncertain_by_scope.get(key, ()):
                if ra.principal_id not in closure and self._could_grant(ra, action_l, data_action):
                    acc.unknown.append(
                        f"{self._label(ra)} at {ra.scope} is assigned to group {ra.principal_id}, whose "
                        "membership is not in the snapshot ('groups')"
                    )

    def _label(self, ra: RoleAssignment) -> str:
        role = self.role(ra.role_definition_id)
        return f"'{role.role_name}'" if role is not None else f"role {ra.role_definition_id}"

    def _could_grant(self, ra: RoleAssignment, action_l: str, data_action: bool) -> bool:
        role = self.role(ra.role_definition_id)
        if role is None:
            return True
        return any(m.grants for m in self.matches(role, action_l, data_action))

    def _consider(
        self,
        ra: RoleAssignment,
        closure: Mapping[str, str | None],
        action_l: str,
        data_action: bool,
        attrs: _Attrs,
        acc: _Acc,
        *,
        eligible: bool,
    ) -> None:
        role = self.role(ra.role_definition_id)
        if role is None:
            if not eligible:
                acc.unknown.append(
                    f"assignment {ra.id} at {ra.scope} uses role definition {ra.role_definition_id}, "
                    "which is neither built in nor in the snapshot ('roleDefinitions')"
                )
            return
        # Several blocks may match: keep the best outcome (unconditional > conditional > false).
        best: tuple[BlockMatch, bool | None, tuple[str, ...], str | None] | None = None
        for m in self.matches(role, action_l, data_action):
            if not m.grants:
                acc.notes.append(
                    f"'{role.role_name}' at {ra.scope}: block {m.index} matches '{m.pattern}' but its "
                    f"{'notDataActions' if data_action else 'notActions'} '{m.excluded_by}' removes it"
                )
                continue
            value, reasons, condition = self._conditions(ra, m, action_l, attrs)
            if value is False:
                acc.notes.append(f"'{role.role_name}' at {ra.scope}: the condition is false for this request")
            elif best is None or (value is True and best[1] is None):
                best = (m, value, reasons, condition)
        if best is not None:
            m, value, reasons, condition = best
            via = self._via(closure, ra.principal_id)
            grant = Grant(
                assignment_id=ra.id,
                scope=ra.scope,
                role_id=role.id,
                role_name=role.role_name,
                holder=ra.principal_id,
                via=via,
                block=m.index,
                pattern=m.pattern,
                condition=condition,
                eligible=eligible,
                reasons=reasons,
            )
            if eligible:
                acc.eligible.append(grant)
            elif value is None:
                acc.conditional.append(grant)
            else:
                acc.grants.append(grant)

    @staticmethod
    def _conditions(
        ra: RoleAssignment, m: BlockMatch, action_l: str, attrs: _Attrs
    ) -> tuple[bool | None, tuple[str, ...], str | None]:
        """The assignment's and the block's conditions, both must hold (three-valued AND)."""
        conditions = [
            (text, version, where)
            for text, version, where in (
                (ra.condition, ra.condition_version, "assignment"),
                (m.condition, m.condition_version, "role"),
            )
            if text
        ]
        value: bool | None = True
        reasons: list[str] = []
        for text, version, where in conditions:
            result, why = evaluate_condition(text, version, action_l, attrs)
            if result is False:
                return False, (), None
            if result is None:
                value = None
                reasons.extend(f"{where} condition: {w}" for w in why)
        joined = " AND ".join(f"({c})" for c, _, _ in conditions) if len(conditions) > 1 else None
        return value, tuple(reasons), joined or (conditions[0][0] if conditions else None)


def explain(
    snapshot: AccessSnapshot,
    principal: str,
    scope: str,
    action: str,
    *,
    data_action: bool = False,
    request_attributes: RequestAttributes | None = None,
) -> Decision:
    """One-shot convenience: a fresh Evaluator for one question (use Evaluator for many)."""
    return Evaluator(snapshot).check(
        principal, scope, action, data_action=data_action, request_attributes=request_attributes
    )


def roles_granting(
    roles: Iterable[RoleDefinition], action: str, data_action: bool = False
) -> list[RoleDefinition]:
    """The roles among ``roles`` whose unconditional blocks grant ``action`` (scope-free)."""
    return [r for r in roles if r.allows(action, data_action)]
