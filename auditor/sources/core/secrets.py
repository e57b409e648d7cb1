"""Values that are credentials by where they are written (:class:`auditor.model.SecretInput`).

Read from evaluated bodies for SEC503-SEC505: an Http/HttpWebhook action's ``authentication`` fields and
headers (in any nested Scope/Condition/Foreach/Switch/Until, and in Http triggers), the values given to
SecureString/SecureObject workflow parameters, strings of a workflow definition that hold a shared access
key, a connection's ``parameterValues``, an automation EventHub action's ``connectionString``.

Which of them is a secret *by name* (a header called ``x-api-key``) or *by content* (an Event Hub connection
string) is the checks' business; this module only says where each value sits and, through
:class:`Provenance`, whether it was written directly as a template parameter (``[parameters('x')]``, which a
Bicep ``x`` or ``'${x}'`` translates to), so SEC503 can tell that parameter holds a secret by its use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

from auditor import lazyre
from auditor import model as m
from auditor.records import record
from auditor.sources.core import fastjson
from auditor.sources.core.cursor import Cursor
from auditor.unknown import Unknown, is_unknown

# ``[parameters('x')]`` or, as Bicep writes ``'${x}'``, ``[string(parameters('x'))]``.
_DIRECT_PARAMETER = lazyre.compile(
    r"^\[\s*(string\(\s*)?parameters\(\s*'([^']+)'\s*\)\s*(?(1)\)\s*)\]$", re.IGNORECASE
)
_HTTP_TYPES = frozenset({"http", "httpwebhook"})
_AUTH_FIELDS = ("password", "secret", "pfx", "value")
_SECURE_TYPES = frozenset({"securestring", "secureobject"})
_NESTED = (("actions",), ("else", "actions"), ("default", "actions"))
_SHARED_KEY = "sharedaccesskey="


@record()
class Provenance:
    """A template resource as written, and the parameters its template declares (lower-case names)."""

    raw: Any
    parameters: Mapping[str, m.TemplateParameter]

    def parameter(self, keys: Sequence[str | int]) -> m.TemplateParameter | None:
        """The declaration of the parameter the raw value at ``keys`` is written as, directly; else None.

        Keys are matched as ARM matches property names (exact, then case-insensitively); a path the
        evaluation made (a property copy loop) is not in the raw body and gives None.
        """
        node = self.raw
        for key in keys:
            node = _child(node, key)
            if node is None:
                return None
        if not isinstance(node, str):
            return None
        match = _DIRECT_PARAMETER.match(node.strip())
        return self.parameters.get(match.group(2).lower()) if match else None


def _child(node: Any, key: str | int) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and 0 <= key < len(node) else None
    if not isinstance(node, dict):
        return None
    if key in node:
        return node[key]
    lowered = key.lower()
    return next((v for k, v in node.items() if isinstance(k, str) and k.lower() == lowered), None)


def _text_value(value: Any) -> Any:
    """A value as :data:`auditor.model.Text`: a string or Unknown as is, anything else None."""
    return value if isinstance(value, str | Unknown) else None


def _input(
    kind: m.SecretKind,
    field: str,
    cur: Cursor,
    keys: Sequence[str | int] | None,
    prov: Provenance | None,
    owner: str | None = None,
) -> m.SecretInput:
    return m.SecretInput(
        kind=kind,
        field=field,
        value=_text_value(cur.value),
        parameter=prov.parameter(keys) if prov is not None and keys is not None else None,
        owner=owner,
        origin=cur.origin(),
    )


# ---------------------------------------------------------------- Logic Apps


def workflow_secrets(
    props: Cursor | None, base: tuple[str, ...] | None, prov: Provenance | None, depth_limit: int
) -> list[m.SecretInput]:
    """The secret inputs of a workflow's ``properties`` (``base``: its keys in the raw resource, None
    when there is no raw resource to trace parameters in)."""
    if props is None or not isinstance(props.value, dict):
        return []
    out: list[m.SecretInput] = []
    definition = props.get("definition")
    keys = (*base, "definition") if base is not None else None
    if definition is not None and isinstance(definition.value, dict):
        for container in ("triggers", "actions"):
            found = definition.get(container)
            if found is not None and isinstance(found.value, dict):
                sub = (*keys, container) if keys is not None else None
                out.extend(http_secrets(found, sub, prov, depth_limit, container[:-1]))
        out.extend(_secure_parameter_values(props, definition, base, prov))
    for part in ("definition", "parameters"):
        found = props.get(part)
        if found is not None:
            out.extend(_shared_key_strings(found, depth_limit))
    return out


def http_secrets(
    container: Cursor,
    keys: tuple[str | int, ...] | None,
    prov: Provenance | None,
    depth_limit: int,
    label: str = "action",
) -> Iterator[m.SecretInput]:
    """Authentication fields and headers of the Http/HttpWebhook actions (or triggers) of ``container``
    (an ``actions`` or ``triggers`` object), through nested scopes, at most ``depth_limit`` deep."""
    stack: list[Iterator[tuple[str, Cursor, tuple[str | int, ...] | None]]] = [_entries(container, keys)]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        name, act, act_keys = step
        if not isinstance(act.value, dict):
            continue
        type_ = act.value.get("type")
        if isinstance(type_, str) and type_.lower() in _HTTP_TYPES:
            yield from _http_inputs(f"{label} '{name}'", act, act_keys, prov)
        if len(stack) >= depth_limit:
            continue  # reported by the action walk of the extractor
        nested: list[Iterator[tuple[str, Cursor, tuple[str | int, ...] | None]]] = []
        for path in _NESTED:
            found = act.at(*path)
            if found is not None and isinstance(found.value, dict):
                nested.append(_entries(found, (*act_keys, *path) if act_keys is not None else None))
        cases = act.get("cases")
        if cases is not None and isinstance(cases.value, dict):
            for case_name, case in cases.items():
                found = case.get("actions")
                if found is not None and isinstance(found.value, dict):
                    sub = (*act_keys, "cases", case_name, "actions") if act_keys is not None else None
                    nested.append(_entries(found, sub))
        if nested:
            stack.append(chain.from_iterable(nested))


def action_http_secrets(name: str, body: Cursor, depth_limit: int) -> list[m.SecretInput]:
    """The secret inputs of one action given as its body (Terraform ``azurerm_logic_app_action_custom``)
    and of the actions nested in it."""
    if not isinstance(body.value, dict):
        return []
    out: list[m.SecretInput] = []
    type_ = body.value.get("type")
    if isinstance(type_, str) and type_.lower() in _HTTP_TYPES:
        out.extend(_http_inputs(f"action '{name}'", body, None, None))
    containers = [body.at(*path) for path in _NESTED]
    cases = body.get("cases")
    if cases is not None and isinstance(cases.value, dict):
        containers.extend(case.get("actions") for _name, case in cases.items())
    for found in containers:
        if found is not None and isinstance(found.value, dict):
            out.extend(http_secrets(found, None, None, depth_limit))
    return out


def _entries(
    container: Cursor, keys: tuple[str | int, ...] | None
) -> Iterator[tuple[str, Cursor, tuple[str | int, ...] | None]]:
    for name, cur in container.items():
        yield name, cur, (*keys, name) if keys is not None else None


def _http_inputs(
    name: str, act: Cursor, keys: tuple[str | int, ...] | None, prov: Provenance | None
) -> Iterator[m.SecretInput]:
    """``inputs`` of an Http action; an HttpWebhook's ``inputs.subscribe`` and ``inputs.unsubscribe`` too."""
    inputs = act.get("inputs")
    if inputs is None or not isinstance(inputs.value, dict):
        return
    base = (*keys, "inputs") if keys is not None else None
    blocks: list[tuple[Cursor, tuple[str | int, ...] | None]] = [(inputs, base)]
    for part in ("subscribe", "unsubscribe"):
        found = inputs.get(part)
        if found is not None and isinstance(found.value, dict):
            blocks.append((found, (*base, part) if base is not None else None))
    for block, block_keys in blocks:
        auth = block.get("authentication")
        if auth is not None and is_unknown(auth.value):
            sub = (*block_keys, "authentication") if block_keys is not None else None
            yield _input("http-authentication", "authentication", auth, sub, prov, name)
        elif auth is not None and isinstance(auth.value, dict):
            for field in _AUTH_FIELDS:
                found = auth.get(field)
                if found is not None:
                    sub = (*block_keys, "authentication", field) if block_keys is not None else None
                    yield _input("http-authentication", f"authentication.{field}", found, sub, prov, name)
        headers = block.get("headers")
        if headers is not None and isinstance(headers.value, dict):
            for header, found in headers.items():
                sub = (*block_keys, "headers", header) if block_keys is not None else None
                yield _input("http-header", f"headers.{header}", found, sub, prov, name)


def _secure_parameter_values(
    props: Cursor, definition: Cursor, base: tuple[str, ...] | None, prov: Provenance | None
) -> Iterator[m.SecretInput]:
    """What SecureString/SecureObject workflow parameters are given: the workflow's ``parameters.<x>.value``
    and the definition's ``defaultValue``."""
    declared = definition.get("parameters")
    if declared is None or not isinstance(declared.value, dict):
        return
    for name, decl in declared.items():
        type_ = decl.value.get("type") if isinstance(decl.value, dict) else None
        if not isinstance(type_, str) or type_.strip().lower() not in _SECURE_TYPES:
            continue
        default = decl.get("defaultValue")
        if default is not None:
            keys = (*base, "definition", "parameters", name, "defaultValue") if base is not None else None
            yield _input(
                "secure-parameter", "defaultValue", default, keys, prov, f"workflow parameter '{name}'"
            )
        given = props.at("parameters", name, "value")
        if given is not None:
            keys = (*base, "parameters", name, "value") if base is not None else None
            yield _input("secure-parameter", "value", given, keys, prov, f"workflow parameter '{name}'")


def _holds_shared_key(value: Any, depth_limit: int, file_chars: int = fastjson.WORTH_IT_BYTES) -> bool:
    """Whether :func:`_shared_key_strings` finds anything: the same walk over the plain values.

    A Cursor's children are exactly its value's items, so this answers without making a Cursor (and its
    path) for every node of a workflow definition; nearly every definition holds no such string, and the
    Cursor walk was ~15 % of scanning the largest MDC templates (issue 14, benchmarks/vs_checkov.py).
    """
    text = fastjson.dumped(value) if fastjson.worth_it(file_chars) else None
    if text is not None and _SHARED_KEY not in text.lower():
        return False  # no string anywhere below holds it (keys and deeper levels only add candidates)
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SHARED_KEY in item.lower():
                return True
        elif depth < depth_limit and isinstance(item, dict):
            stack.extend(zip(item.values(), repeat(depth + 1)))
        elif depth < depth_limit and isinstance(item, list):
            stack.extend(zip(item, repeat(depth + 1)))
    return False


def _shared_key_strings(root: Cursor, depth_limit: int) -> Iterator[m.SecretInput]:
    """Strings under ``root`` that hold ``SharedAccessKey=`` (iterative, at most ``depth_limit`` deep)."""
    if not _holds_shared_key(root.value, depth_limit, len(root.ctx.src.text)):
        return
    stack: list[tuple[Cursor, int]] = [(root, 0)]
    while stack:
        cur, depth = stack.pop()
        value = cur.value
        if isinstance(value, str):
            if _SHARED_KEY in value.lower():
                yield m.SecretInput(
                    kind="definition-text",
                    field=cur.path.rsplit(".", 1)[-1],
                    value=value,
                    origin=cur.origin(),
                )
        elif depth < depth_limit and isinstance(value, dict):
            stack.extend((c, depth + 1) for _k, c in reversed(list(cur.items())))
        elif depth < depth_limit and isinstance(value, list):
            stack.extend((c, depth + 1) for c in reversed(list(cur.elements())))


# ---------------------------------------------------------------- connections and automations


def connection_secrets(props: Cursor | None, prov: Provenance | None) -> list[m.SecretInput]:
    """A connection's ``parameterValues`` entries and ``parameterValueSet.values.<x>.value`` (text ones)."""
    if props is None or not isinstance(props.value, dict):
        return []
    out: list[m.SecretInput] = []
    values = props.get("parameterValues")
    if values is not None and isinstance(values.value, dict):
        for key, found in values.items():
            if isinstance(found.value, str | Unknown):
                out.append(
                    _input("connection-parameter", key, found, ("properties", "parameterValues", key), prov)
                )
    value_set = props.at("parameterValueSet", "values")
    if value_set is not None and isinstance(value_set.value, dict):
        for key, entry in value_set.items():
            given = entry.get("value")
            if given is not None and isinstance(given.value, str | Unknown):
                keys = ("properties", "parameterValueSet", "values", key, "value")
                out.append(_input("connection-parameter", key, given, keys, prov))
    return out


def action_connection_string(act: Cursor, index: int, prov: Provenance | None) -> m.SecretInput | None:
    """An automation action's ``connectionString`` (EventHub actions), None when it has none."""
    found = act.get("connectionString")
    if found is None:
        return None
    keys = ("properties", "actions", index, "connectionString")
    return _input("connection-string", "connectionString", found, keys, prov)
