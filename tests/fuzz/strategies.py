"""Hypothesis strategies over the generators of :mod:`.generators`.

The generators ask a :class:`~.generators.Chooser` three questions; here a
hypothesis ``draw`` answers them, so the very code that feeds the 100,000-input
campaign also feeds the test suite, where hypothesis shrinks a failing input
to a small one and ``derandomize`` keeps CI runs identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from . import generators as g
from .case import Case

T = TypeVar("T")


class DrawChooser:
    """A :class:`~.generators.Chooser` answered by hypothesis (0 / the first option is the shrink target)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))

    def choice(self, options: Sequence[T]) -> T:
        return options[self.draw(st.integers(0, len(options) - 1))]

    def chance(self, percent: int) -> bool:
        return bool(self.draw(st.integers(0, 99)) < percent)


@st.composite
def arm_cases(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Case:
    """A generated ARM template (sometimes with a parameters file), as a case folder."""
    c = DrawChooser(draw)
    doc = g.arm_template(c)
    files = {"azuredeploy.json": g.encode_json(c, doc)}
    if c.chance(30):
        files["azuredeploy.parameters.json"] = g.encode_json(c, g.parameters_file(c, doc))
    return Case("generated:arm", files)


@st.composite
def expression_cases(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Case:
    """A generated ARM expression as the name of an automation (a path auditor always evaluates)."""
    c = DrawChooser(draw)
    expr = g.expression(c, g.ExprScope(), 4)
    doc = g.arm_template(c, 0)
    res = {
        "type": "Microsoft.Security/automations",
        "apiVersion": "2019-01-01-preview",
        "name": "[" + expr + "]",
        "location": "westeurope",
        "properties": {"isEnabled": True, "scopes": [], "sources": [], "actions": []},
    }
    if isinstance(doc.get("resources"), list):
        doc["resources"].append(res)
    else:
        doc["resources"] = [res]
        doc["$schema"] = g.SCHEMAS[0]
    return Case("generated:expression", {"azuredeploy.json": g.encode_json(c, doc)}, origin=expr[:200])


@st.composite
def terraform_cases(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Case:
    """A generated Terraform module (maybe with variables.tf, tfvars and a child module)."""
    c = DrawChooser(draw)
    module = g.terraform_module(c)
    return Case("generated:terraform", {k: v.encode("utf-8", "surrogatepass") for k, v in module.items()})
