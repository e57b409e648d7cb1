"""The mutation engine: hostile variants of the real files of ``../shared/corpus``.

:func:`make_case` turns (seed, input number) into one :class:`~.case.Case`, so
any input of a campaign can be regenerated. The mix (see ``_KINDS``) is mostly
small structural mutations of real JSON templates, with byte-level and HCL
text mutations, generated templates and modules, and a minority of the
expensive shapes the issue lists: budget bombs (doubling variables and locals,
nested copy loops, format width, nested ``map``), deep nesting, typed edges,
file-system traps (symlinks out of the folder, device files, FIFOs, long
names), hostile configuration files and a few large files.

A case marked ``expect="bomb"`` holds a bomb on a path auditor always
evaluates (a resource name), so it must be reported: a clean pass is a defect.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import generators as g
from .case import Case

_HOSTILE = g.HOSTILE_STRINGS
_RAW = "FUZZRAW"


@dataclass
class CorpusFile:
    """One corpus file, read once."""

    rel: str
    data: bytes
    doc: Any  # parsed JSON (None for .tf or JSON that the standard parser refuses)

    @property
    def suffix(self) -> str:
        return Path(self.rel).suffix.lower()


def load_corpus(root: Path) -> list[CorpusFile]:
    """Every ``.json``/``.tf``/``.tfvars`` file below ``root`` (empty when it is missing)."""
    out: list[CorpusFile] = []
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".json", ".jsonc", ".tf", ".tfvars"):
            continue
        data = path.read_bytes()
        doc = None
        if path.suffix.lower().startswith(".json"):
            try:
                doc = json.loads(data.decode("utf-8-sig"))
            except (ValueError, UnicodeDecodeError):
                doc = None
        out.append(CorpusFile(path.relative_to(root).as_posix(), data, doc))
    return out


# --------------------------------------------------------------------------- JSON tree helpers


def _slots(doc: Any, limit: int = 20000) -> list[tuple[Any, Any]]:
    """(container, key) of every value below ``doc`` (breadth first, at most ``limit``)."""
    out: list[tuple[Any, Any]] = []
    queue = [doc]
    while queue and len(out) < limit:
        node = queue.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            out.append((node, k))
            if isinstance(v, (dict, list)):
                queue.append(v)
    return out


def _pick(
    rng: random.Random, slots: list[tuple[Any, Any]], want: Callable[[Any, Any], bool]
) -> tuple[Any, Any] | None:
    chosen = [s for s in slots if want(*s)]
    return rng.choice(chosen) if chosen else None


def _other_type(rng: random.Random, value: Any) -> Any:
    options: list[Any] = [5, -1, 1.5, True, None, [], {}, "x", ["a", 1], {"a": {"b": 1}}, 10**40, ""]
    options = [o for o in options if type(o) is not type(value)]
    return rng.choice(options)


def _nest(rng: random.Random, value: Any, depth: int) -> Any:
    style = rng.choice(["dict", "list", "mixed", "scope"])
    for i in range(depth):
        if style == "dict" or (style == "mixed" and i % 2):
            value = {"a": value}
        elif style == "scope":
            value = {"type": "Scope", "actions": {f"s{i}": value}}
        else:
            value = [value]
    return value


class _Raw:
    """Text spliced into the JSON after ``json.dumps`` (huge numbers, NaN, duplicate keys)."""

    def __init__(self) -> None:
        self.parts: dict[str, str] = {}

    def token(self, text: str) -> str:
        key = f"{_RAW}{len(self.parts)}"
        self.parts[key] = text
        return key

    def apply(self, text: str) -> str:
        for key, raw in self.parts.items():
            text = text.replace(f'"{key}"', raw, 1)
        return text


def _mutate_tree(rng: random.Random, doc: Any, raw: _Raw) -> tuple[Any, str]:
    """One structural mutation of ``doc`` (in place where possible); returns the new root and its name."""
    slots = _slots(doc)
    k = rng.randrange(11)
    if not slots:
        return _other_type(rng, doc), "root-retype"
    if k == 0:
        parent, key = rng.choice(slots)
        parent[key] = _other_type(rng, parent[key])
        return doc, "retype"
    if k == 1:
        parent, key = rng.choice(slots)
        del parent[key]
        return doc, "delete"
    if k == 2:
        depth = rng.choice([30, 100, 300, 1000, 3000, 20000])
        wanted = _pick(rng, slots, lambda p, k: k in ("actions", "properties", "definition", "template"))
        parent, key = wanted or rng.choice(slots)
        parent[key] = _nest(rng, parent[key], depth)
        return doc, f"deep-nest-{depth}"
    if k in (3, 4):
        wanted = _pick(
            rng,
            slots,
            lambda p, k: isinstance(p[k], str) and k in ("name", "displayName", "description", "type"),
        )
        parent, key = wanted or rng.choice(slots)
        hostile = rng.choice(_HOSTILE)
        old = parent[key] if isinstance(parent[key], str) else ""
        parent[key] = rng.choice([hostile, old + hostile, hostile + old])
        return doc, "hostile-string"
    if k == 5:
        parent, key = rng.choice(slots)
        parent[key] = raw.token(
            rng.choice(["1e99999", "-1e99999", "NaN", "Infinity", "1" * 5000, "0.0e-99999", "-0"])
        )
        return doc, "huge-number"
    if k == 6:  # duplicate key
        wanted = _pick(rng, slots, lambda p, k: isinstance(p, dict) and isinstance(k, str))
        if wanted:
            parent, key = wanted
            items = list(parent.items())
            parent.clear()
            for name, value in items:
                if name == key:
                    dup = json.dumps(key) + ": " + json.dumps(_other_type(rng, value)) + ', "fuzzdup"'
                    parent[raw.token(dup)] = 1
                parent[name] = value
        return doc, "duplicate-key"
    if k == 7:  # typed edges on the top-level shape
        if isinstance(doc, dict):
            field = rng.choice(
                ["$schema", "resources", "parameters", "variables", "contentVersion", "outputs"]
            )
            doc[field] = _other_type(rng, doc.get(field))
        return doc, "shape"
    if k == 8:  # an apiVersion/name/type of the wrong type inside a resource
        wanted = _pick(
            rng,
            slots,
            lambda p, k: k in ("apiVersion", "name", "type", "displayName", "statuses", "location"),
        )
        if wanted:
            parent, key = wanted
            parent[key] = _other_type(rng, parent[key])
        return doc, "field-type"
    if k == 9:  # an expression broken or replaced
        wanted = _pick(rng, slots, lambda p, k: isinstance(p[k], str) and p[k].startswith("["))
        if wanted:
            parent, key = wanted
            c = g.RandomChooser(rng)
            parent[key] = rng.choice(
                [parent[key][:-1], parent[key] + ")", g.template_string(c), "[" + "(" * 500]
            )
        return doc, "expression"
    # a subtree copied somewhere else (can grow the file)
    src_parent, src_key = rng.choice(slots)
    parent, key = rng.choice(slots)
    try:  # a copy: grafting the subtree itself could make the document circular
        parent[key] = json.loads(json.dumps(src_parent[src_key]))
    except (RecursionError, ValueError):
        parent[key] = _other_type(rng, None)
    return doc, "graft"


def _encode(rng: random.Random, doc: Any, raw: _Raw) -> bytes:
    try:
        text = json.dumps(doc, indent=rng.choice([2, None, 1]), ensure_ascii=rng.random() < 0.7)
    except RecursionError:  # deeper than json.dumps goes: write it by hand
        text = _dump_iterative(doc)
    text = raw.apply(text)
    return text.encode("utf-8", "surrogatepass")


def _dump_iterative(doc: Any) -> str:
    """json.dumps without recursion (for the 20,000-deep mutations)."""
    out: list[str] = []
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, _Lit):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            parts: list[Any] = []
            for i, (k, v) in enumerate(item.items()):
                parts += [_Lit(("," if i else "") + json.dumps(k) + ":"), v]
            parts.append(_Lit("}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            out.append("[")
            parts = []
            for i, v in enumerate(item):
                parts += [_Lit("," if i else ""), v]
            parts.append(_Lit("]"))
            stack.extend(reversed(parts))
        else:
            out.append(json.dumps(item))
    return "".join(out)


@dataclass
class _Lit:
    text: str


# --------------------------------------------------------------------------- bombs (ARM)


def _add_bomb_resource(doc: dict[str, Any], name: Any) -> None:
    res = {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": name,
        "location": "westeurope",
        "properties": {"isEnabled": True, "scopes": [], "sources": [], "actions": []},
    }
    resources = doc.get("resources")
    if isinstance(resources, list):
        resources.append(res)
    elif isinstance(resources, dict):
        resources["fuzzBomb"] = res
    else:
        doc["resources"] = [res]


def arm_bomb(rng: random.Random, doc: dict[str, Any]) -> tuple[dict[str, Any], str, bool]:
    """Put a bomb into template ``doc``; returns it, the bomb's name and whether it must be reported."""
    c = g.RandomChooser(rng)
    k = rng.randrange(4)
    variables = doc.get("variables")
    if not isinstance(variables, dict):
        variables = doc["variables"] = {}
    if k == 0:
        levels = rng.choice([10, 16, 24, 30, 40])
        chain, last = g.doubling_variables(c, levels, prefix=f"fz{rng.randrange(100)}_")
        variables.update(chain)
        _add_bomb_resource(doc, f"[variables('{last}')]")
        kind = chain[last]
        reported = levels >= 24 and not kind.startswith("[createObject")
        return doc, f"doubling-{levels}", reported
    if k == 1:
        if rng.random() < 0.2:
            _add_bomb_resource(doc, rng.choice(g.REFUSED_EXPRESSIONS))
            return doc, "refused-expression", False
        _add_bomb_resource(doc, rng.choice(g.BOMB_EXPRESSIONS))
        return doc, "bomb-expression", True
    if k == 2:  # nested copy loops: 800 x 800 (x 800) across property copies and nested deployments
        inner: dict[str, Any] = {
            "$schema": g.SCHEMAS[0],
            "contentVersion": "1.0.0.0",
            "resources": [
                {
                    "type": "Microsoft.Security/automations",
                    "apiVersion": "2019-01-01-preview",
                    "name": "[concat('a', copyIndex())]",
                    "copy": {"name": "inner", "count": 800},
                    "properties": {"copy": [{"name": "p", "count": 800, "input": "[copyIndex('p')]"}]},
                }
            ],
        }
        resources = doc.get("resources")
        nested = {
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": "[concat('nested', copyIndex())]",
            "copy": {"name": "outer", "count": 800},
            "properties": {
                "mode": "Incremental",
                "expressionEvaluationOptions": {"scope": "inner"},
                "template": inner,
            },
        }
        if isinstance(resources, list):
            resources.append(nested)
        else:
            doc["resources"] = [nested]
        return doc, "nested-copy", True
    # copy loop count huge in the variables section
    variables["copy"] = [{"name": "big", "count": 800, "input": {"x": "[range(0, 800)]"}}]
    _add_bomb_resource(doc, "[string(length(string(variables('big'))))]")
    return doc, "variable-copy", False


# --------------------------------------------------------------------------- bytes


def mutate_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """One byte-level mutation."""
    k = rng.randrange(9)
    n = len(data)
    if k == 0 and n:
        return data[: rng.randrange(n)], "truncate"
    if k == 1 and n:
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        return bytes(buf), "bit-flip"
    if k == 2:
        bom = rng.choice(
            [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\xef\xbb\xbf\xef\xbb\xbf"]
        )
        at = 0 if rng.random() < 0.5 or not n else rng.randrange(n)
        return data[:at] + bom + data[at:], "bom"
    if k == 3:
        bad = rng.choice(
            [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\x00", b"\xe2\x80"]
        )
        at = rng.randrange(n + 1)
        return data[:at] + bad + data[at:], "invalid-utf8"
    if k == 4 and n:
        a = rng.randrange(n)
        return data[:a] + data[a + rng.randint(1, 64) :], "delete-bytes"
    if k == 5 and n:
        a = rng.randrange(n)
        chunk = data[a : a + rng.randint(1, 4096)]
        return data[:a] + chunk * rng.randint(2, 50) + data[a:], "repeat-chunk"
    if k == 6:
        text = data.decode("utf-8", "replace")
        return text.encode(
            rng.choice(["utf-16", "utf-16-le", "utf-32", "utf-16-be"]), "surrogatepass"
        ), "re-encode"
    if k == 7:
        return data.replace(
            b"\n", rng.choice([b"\r\n", b"\r", b"\n\n", b"\x0b", b"\xe2\x80\xa8"])
        ), "newlines"
    at = rng.randrange(n + 1)
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[
        at:
    ], "insert-bytes"


# --------------------------------------------------------------------------- HCL text

_TF_AUTOMATION = (
    '\nresource "azurerm_security_center_automation" "fuzz" {{\n  name = {name}\n  location = "westeurope"\n'
    '  resource_group_name = "rg"\n  scopes = ["/subscriptions/x"]\n'
    '  source {{\n    event_source = "Alerts"\n  }}\n}}\n'
)


def tf_bomb(rng: random.Random, text: str) -> tuple[str, str, bool]:
    """Put a Terraform bomb into ``text``; returns it, the name and whether it must be reported."""
    k = rng.randrange(5)
    levels = rng.choice([12, 24, 30, 40])
    if k <= 1:
        style = rng.choice(["interp", "join", "format", "list"])
        lines = ['  d0 = "ab"'] if style != "list" else ['  d0 = ["ab"]']
        for i in range(1, levels + 1):
            p = f"local.d{i - 1}"
            lines.append(
                {
                    "interp": f'  d{i} = "${{{p}}}${{{p}}}"',
                    "join": f'  d{i} = join("", [{p}, {p}])',
                    "format": f'  d{i} = format("%s%s", {p}, {p})',
                    "list": f"  d{i} = concat({p}, {p})",
                }[style]
            )
        name = f"local.d{levels}" if style != "list" else f"tostring(length(local.d{levels}))"
        text += "\nlocals {\n" + "\n".join(lines) + "\n}\n" + _TF_AUTOMATION.format(name=name)
        return text, f"tf-doubling-{style}-{levels}", levels >= 24 and style != "list"
    if k == 2:
        text += _TF_AUTOMATION.format(name='"a"').replace('name = "a"', 'count = 10000000\n  name = "a"')
        return text, "tf-count", True
    if k == 3:
        text += (
            "\nlocals {\n  big = [for i in range(0, 1000) : [for j in range(0, 1000) : [for k in range(0, 1000) : k]]]\n}\n"
            + _TF_AUTOMATION.format(name="tostring(length(flatten(local.big)))")
        )
        return text, "tf-nested-for", True
    text += _TF_AUTOMATION.format(name='format("%999999999d", 1)')
    return text, "tf-format-width", True


def mutate_hcl(rng: random.Random, text: str) -> tuple[str, str]:
    """One text mutation of a ``.tf`` file."""
    k = rng.randrange(10)
    depth = rng.choice([50, 300, 1000, 3000])
    if k == 0:
        body = "a {\n" * depth + "x = 1\n" + "}\n" * depth
        return (
            text + f'\nresource "azurerm_logic_app_workflow" "deep" {{\n{body}}}\n',
            f"hcl-deep-blocks-{depth}",
        )
    if k == 1:
        open_, close = rng.choice(
            [("(", ")"), ("[", "]"), ("{a=", "}"), ("tolist(", ")"), ("-", ""), ("!", "")]
        )
        return text + f"\nlocals {{\n  deep = {open_ * depth}1{close * depth}\n}}\n", f"hcl-deep-expr-{depth}"
    if k == 2:
        positions = [i for i, ch in enumerate(text) if ch == "}"]
        if positions:
            at = rng.choice(positions)
            return text[:at] + text[at + 1 :], "hcl-drop-brace"
        return text + "{", "hcl-open-brace"
    if k == 3:
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(["{", "${", "%{", '"', "<<EOT\n", "/*", "]", "\\"]) + text[
            at:
        ], "hcl-insert-token"
    if k == 4:
        heredoc = rng.choice(
            [
                "locals {\n  h = <<EOT\nline ${var.x}\n%{ for x in [1] }${x}%{ endfor }\nEOT\n}\n",
                "locals {\n  h = <<-EOT\n  never closed\n",
                "locals {\n  h = <<EOT\n\r\n::error::x\n##vso[task.setvariable variable=a]b\nEOT\n}\n",
            ]
        )
        return text + "\n" + heredoc, "hcl-heredoc"
    if k == 5:
        cycle = rng.choice(
            [
                "locals {\n  a = local.b\n  b = local.a\n}\n" + _TF_AUTOMATION.format(name="local.a"),
                'variable "v" {\n  default = local.x\n}\nlocals {\n  x = var.v\n}\n',
                'module "me" {\n  source = "./"\n}\n',
                "locals {\n  a = local.a\n}\n" + _TF_AUTOMATION.format(name="local.a"),
            ]
        )
        return text + "\n" + cycle, "hcl-cycle"
    if k == 6:
        call = rng.choice(g.FILE_FUNCTION_ARGS)
        return text + _TF_AUTOMATION.format(name=call), "hcl-file-function"
    if k == 7:
        quoted = [i for i, ch in enumerate(text) if ch == '"']
        hostile = g.hcl_string(rng.choice(_HOSTILE))[1:-1]
        if quoted:
            at = rng.choice(quoted) + 1
            return text[:at] + hostile + text[at:], "hcl-hostile-string"
        return text + f'\nlocals {{ h = "{hostile}" }}\n', "hcl-hostile-string"
    if k == 8:
        lines = text.splitlines(keepends=True)
        if lines:
            a = rng.randrange(len(lines))
            del lines[a : a + rng.randint(1, 5)]
        return "".join(lines), "hcl-delete-lines"
    c = g.RandomChooser(rng)
    return text + f"\nlocals {{\n  gen = {g.hcl_expression(c, g.HclScope(), 4)}\n}}\n", "hcl-generated-expr"


# --------------------------------------------------------------------------- cases

CANARY_TEXT = b"FUZZ-CANARY-31337 {not json: secret=hunter2\n"
CANARY_MARK = "FUZZ-CANARY-31337"


def _name(rel: str) -> str:
    """A corpus file's name inside a case (keeps the suffix, drops the folders)."""
    return Path(rel).name


def _json_mutant(rng: random.Random, f: CorpusFile, count: int) -> tuple[bytes, list[str]]:
    doc = json.loads(f.data.decode("utf-8-sig"))
    raw = _Raw()
    names = []
    for _ in range(count):
        doc, name = _mutate_tree(rng, doc, raw)
        names.append(name)
    return _encode(rng, doc, raw), names


def _templates(corpus: list[CorpusFile]) -> list[CorpusFile]:
    return _parts(corpus)[2]


_Parts = tuple[list[CorpusFile], list[CorpusFile], list[CorpusFile], list[CorpusFile]]
#: The corpus list last asked about and its parts (held, so its id cannot be reused by another list).
_PARTS: list[tuple[list[CorpusFile], int, _Parts]] = []


def _parts(corpus: list[CorpusFile]) -> _Parts:
    """(JSON files, .tf/.tfvars files, templates, .tf files) of ``corpus``, computed once per corpus list.

    The campaign asks for these on every input; over 152 files that was ~1 ms each time.
    """
    if _PARTS and _PARTS[0][0] is corpus and _PARTS[0][1] == len(corpus):
        return _PARTS[0][2]
    parts: _Parts = (
        [f for f in corpus if f.doc is not None],
        [f for f in corpus if f.suffix in (".tf", ".tfvars")],
        [
            f
            for f in corpus
            if isinstance(f.doc, dict)
            and "deploymentTemplate" in str(f.doc.get("$schema", ""))
            and isinstance(f.doc.get("resources"), list)
        ],
        [f for f in corpus if f.suffix == ".tf"],
    )
    _PARTS[:] = [(corpus, len(corpus), parts)]
    return parts


def make_case(rng: random.Random, corpus: list[CorpusFile]) -> Case:
    """One input: mostly corpus mutations, some generated, a minority of expensive or file-system shapes."""
    json_files, tf_files, _, _ = _parts(corpus)
    roll = rng.randrange(1000)
    c = g.RandomChooser(rng)
    if not corpus:  # no corpus: generated input only
        roll = rng.choice([600, 700, 800])
    if roll < 520 and json_files:
        f = rng.choice(json_files)
        data, names = _json_mutant(rng, f, rng.choice([1, 1, 1, 2, 3]))
        return Case("json:" + "+".join(names), {_name(f.rel): data}, origin=f.rel)
    if roll < 600 and corpus:
        f = rng.choice(corpus)
        data, name = mutate_bytes(rng, f.data)
        return Case("bytes:" + name, {_name(f.rel): data}, origin=f.rel)
    if roll < 700 and tf_files:
        f = rng.choice(tf_files)
        text = f.data.decode("utf-8", "replace")
        text, name = mutate_hcl(rng, text)
        return Case("hcl:" + name, {"main.tf": text.encode("utf-8", "surrogatepass")}, origin=f.rel)
    if roll < 790:
        doc = g.arm_template(c)
        files = {"azuredeploy.json": g.encode_json(c, doc)}
        if rng.random() < 0.3:
            files["azuredeploy.parameters.json"] = g.encode_json(c, g.parameters_file(c, doc))
        return Case("generated:arm", files)
    if roll < 850:
        module = g.terraform_module(c)
        return Case("generated:terraform", {k: v.encode("utf-8", "surrogatepass") for k, v in module.items()})
    if roll < 865:
        return _bomb_case(rng, corpus)
    if roll < 905 and json_files:
        files: dict[str, bytes] = {}
        for i in range(rng.randint(2, 4)):
            f = rng.choice(corpus)
            if f.doc is not None and rng.random() < 0.7:
                data, _ = _json_mutant(rng, f, 1)
            else:
                data = f.data
            files[f"d{i}/{_name(f.rel)}"] = data
        return Case("multi-file", files)
    if roll < 935:
        return _parameters_case(rng, corpus)
    if roll < 955:
        return _filesystem_case(rng, corpus)
    if roll < 975:
        return _config_case(rng, corpus)
    if roll < 997:
        expr = g.expression(c, g.ExprScope(), 5)
        doc = g.arm_template(c, 0)
        _add_bomb_resource(doc, "[" + expr + "]")
        return Case("generated:expression", {"azuredeploy.json": g.encode_json(c, doc)})
    return _large_case(rng, corpus)


def _bomb_case(rng: random.Random, corpus: list[CorpusFile]) -> Case:
    templates = _templates(corpus)
    tf_files = _parts(corpus)[3]
    if rng.random() < 0.35:
        text = rng.choice(tf_files).data.decode("utf-8", "replace") if tf_files and rng.random() < 0.5 else ""
        text, name, reported = tf_bomb(rng, text)
        return Case("bomb:" + name, {"main.tf": text.encode()}, expect="bomb" if reported else None)
    if templates and rng.random() < 0.6:
        f = rng.choice(templates)
        doc = json.loads(f.data.decode("utf-8-sig"))
        origin = f.rel
    else:
        doc, origin = g.arm_template(g.RandomChooser(rng), 1), ""
        if not isinstance(doc.get("resources"), list) or not isinstance(doc.get("$schema"), str):
            doc["resources"], doc["$schema"] = [], g.SCHEMAS[0]
    doc, name, reported = arm_bomb(rng, doc)
    return Case(
        "bomb:" + name,
        {"azuredeploy.json": json.dumps(doc).encode()},
        expect="bomb" if reported else None,
        origin=origin,
    )


def _parameters_case(rng: random.Random, corpus: list[CorpusFile]) -> Case:
    templates = _templates(corpus)
    c = g.RandomChooser(rng)
    doc = rng.choice(templates).doc if templates else g.arm_template(c)
    params: Any = g.parameters_file(c, doc)
    raw = _Raw()
    if rng.random() < 0.5:
        params, _ = _mutate_tree(rng, params, raw)
    files = {"t.json": json.dumps(doc).encode(), "t.parameters.json": _encode(rng, params, raw)}
    if rng.random() < 0.2:
        files["t.parameters.json"] = mutate_bytes(rng, files["t.parameters.json"])[0]
    return Case("parameters-file", files)


def _filesystem_case(rng: random.Random, corpus: list[CorpusFile]) -> Case:
    sample = rng.choice(corpus).data if corpus else b'{"resources": []}'
    k = rng.randrange(7)
    if k == 0:
        return Case("fs:symlink-out", {"ok.json": sample}, symlinks={"leak.json": "@CANARY"})
    if k == 1:
        return Case("fs:symlink-out-explicit", {}, symlinks={"leak.json": "@CANARY"}, target="leak.json")
    if k == 2:
        return Case(
            "fs:symlink-device",
            {},
            symlinks={"zero.json": rng.choice(["/dev/zero", "/dev/urandom", "/dev/null"])},
        )
    if k == 3:
        return Case("fs:fifo", {"ok.json": sample}, fifos=("pipe.json",))
    if k == 4:
        return Case("fs:fifo-explicit", {}, fifos=("pipe.json",), target="pipe.json")
    if k == 5:
        stem = "a" * rng.choice([230, 240, 250])
        return Case(
            "fs:long-name", {stem + ".json": sample}, target=stem + ".json" if rng.random() < 0.5 else ""
        )
    return Case("fs:dev-null-target", {}, target="/dev/null")


_CONFIGS: tuple[bytes, ...] = (
    b'exclude = ["**"]\n',
    b'ignore = ["LIV001"]\n',
    b"select = []\n",
    b'fail-on = "nope"\n',
    b'baseline = "../secret.txt"\n',
    b'access = "/etc/passwd"\n',
    b'[parameters]\n"t.json" = "../secret.txt"\n',
    b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    b"x = " + b"{a=" * 3000 + b"1" + b"}" * 3000 + b"\n",
    b'select = ["\xff\xfe"]\n',
    b'severity-overrides = { SRC001 = "info", SRC002 = "info", SRC005 = "info" }\n',
    b'[[suppressions]]\nrule = "SRC002"\npath = "**"\nreason = "x"\n',
    b"select = 5\n",
    b'select = ["\\ud800"]\n',
    b'per-file-ignores = { "**" = ["ALL"] }\n',
)


def _config_case(rng: random.Random, corpus: list[CorpusFile]) -> Case:
    sample = rng.choice(corpus).data if corpus else b'{"resources": []}'
    body = rng.choice(_CONFIGS)
    if rng.random() < 0.5:
        name, text = "pyproject.toml", b"[tool.auditor]\n" + body
        if rng.random() < 0.2:
            text = b"[tool]\nauditor = 5\n"
    else:
        name, text = "auditor.toml", body
    if rng.random() < 0.2:
        text = mutate_bytes(rng, text)[0]
    return Case("config:" + name, {name: text, "t.json": sample}, config=name)


def _large_case(rng: random.Random, corpus: list[CorpusFile]) -> Case:
    """A few MB: many resources, a long .tf, or a long expression (the minority of large inputs)."""
    k = rng.randrange(3)
    templates = _templates(corpus)
    if k == 0 and templates:
        doc = json.loads(rng.choice(templates).data.decode("utf-8-sig"))
        resources = doc["resources"] or [
            {"type": "Microsoft.Web/connections", "apiVersion": "2016-06-01", "name": "c"}
        ]
        doc["resources"] = [
            dict(resources[i % len(resources)], name=f"r{i}") for i in range(rng.choice([2000, 8000]))
        ]
        return Case("large:resources", {"big.json": json.dumps(doc).encode()})
    if k == 1:
        block = 'resource "azurerm_api_connection" "c{i}" {{\n  name = "c{i}"\n  resource_group_name = "rg"\n  managed_api_id = "x"\n}}\n'
        text = "".join(block.format(i=i) for i in range(rng.choice([5000, 20000])))
        return Case("large:terraform", {"main.tf": text.encode()})
    expr = "[concat(" + ", ".join("'x'" for _ in range(rng.choice([50000, 200000]))) + ")]"
    doc = {"$schema": g.SCHEMAS[0], "contentVersion": "1.0.0.0", "resources": []}
    _add_bomb_resource(doc, expr)
    return Case("large:expression", {"big.json": json.dumps(doc).encode()})
