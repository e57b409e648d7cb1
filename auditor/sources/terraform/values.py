"""The values the HCL evaluator passes around (JSON text, lazy references, callback outputs) and
Terraform's conversions between them (string, number, bool, equality), with the size budget applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.budget import current
from auditor.sources.core.evaluation.values import weigh
from auditor.sources.core.jsonpos import PDict, PList
from auditor.sources.terraform.result import json_dumps
from auditor.unknown import CallbackUrl, Unknown

if TYPE_CHECKING:
    from auditor.sources.terraform.evaluator import Evaluator


class HclError(Exception):
    """What Terraform reports as an error (caught by ``try()``/``can()``, else an Unknown)."""


# ---------------------------------------------------------------- values the evaluator passes around


@dataclass(frozen=True)
class HclJson:
    """The result of ``jsonencode()``: a string to Terraform, but we keep the structure (and its positions)."""

    value: Any

    def text(self) -> Any:
        plain = finalize(self.value)
        unknown = first_unknown(plain)
        if unknown is not None:
            return Unknown(
                f"jsonencode() of a value that is not fully known ({unknown.reason})", unknown.expression
            )
        check_size(plain, "the text of jsonencode()")
        return json_dumps(plain)


class Lazy:
    """A reference that is only resolved when an attribute or index of it is asked for."""

    @property
    def address(self) -> str:
        """The Terraform address, for messages."""
        return "?"

    def attr(self, name: str, ev: Evaluator) -> Any:
        raise HclError(f"{self.address} has no attribute '{name}'")

    def index(self, key: Any, ev: Evaluator) -> Any:
        raise HclError(f"{self.address} cannot be indexed")

    def as_list(self, ev: Evaluator) -> Any:
        return [self]

    def unknown(self) -> Unknown:
        return Unknown(f"{self.address} is a whole resource, not a value auditor evaluates", self.address)


@dataclass(eq=False)
class CallbackOutput(Lazy):
    """``output`` of an ``azapi_resource_action`` that calls ``listCallbackUrl``."""

    callback: CallbackUrl
    where: str = "?"

    @property
    def address(self) -> str:
        return self.where

    def attr(self, name: str, ev: Evaluator) -> Any:
        return (
            self.callback
            if name == "value"
            else Unknown(f"{self.address}.output.{name} is returned by Azure")
        )

    def index(self, key: Any, ev: Evaluator) -> Any:
        return self.attr(str(key), ev)

    def unknown(self) -> Unknown:
        return self.callback


def first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for v in value.values():
            found = first_unknown(v)
            if found is not None:
                return found
    elif isinstance(value, list):
        for v in value:
            found = first_unknown(v)
            if found is not None:
                return found
    return None


def check_size(value: Any, what: str) -> None:
    """Refuse a value whose strings and elements, counted through every level, pass the value-size limit.

    A list that holds one shared part many times (``[local.a, local.a]`` through twenty locals) is
    small in memory but costs its full size to every copy, walk and serialisation after it.
    """
    budget = current()
    size, walked = weigh(value, budget.limits.max_value_size)
    budget.step(walked)
    budget.value(size, what)


def finalize(value: Any) -> Any:
    """A value as the model sees it: ``jsonencode()`` results as text, references as Unknown."""
    if isinstance(value, dict | list):
        current().step(len(value) + 1)
    if isinstance(value, HclJson):
        return value.text()
    if isinstance(value, Lazy):
        return value.unknown()
    if isinstance(value, dict):
        out = PDict()
        if isinstance(value, PDict):
            out.start, out.key_pos, out.src = value.start, value.key_pos, value.src
        for k, v in value.items():
            out[k] = finalize(v)
        return out
    if isinstance(value, list):
        items = PList(finalize(v) for v in value)
        if isinstance(value, PList):
            items.start, items.item_pos, items.src = value.start, value.item_pos, value.src
        return items
    return value


def finalize_json(value: Any) -> Any:
    """Like :func:`finalize`, keeping ``jsonencode()`` nested in a JSON document as structure."""
    if isinstance(value, HclJson):
        return finalize_json(value.value)
    return finalize(value)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | HclJson):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "reference"


def to_string(value: Any) -> Any:
    """A value converted to a string as a template interpolation does (Unknown stays Unknown)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return value
    if isinstance(value, HclJson):
        return value.text()
    if isinstance(value, Lazy):
        return value.unknown()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        raise HclError("a null value cannot be used in a string template")
    raise HclError(f"a {type_name(value)} cannot be used in a string template")


def to_number(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        raise HclError("a bool is not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise HclError(f"'{value}' is not a number") from None
    raise HclError(f"a {type_name(value)} is not a number")


def to_bool(value: Any) -> Any:
    if isinstance(value, Unknown | bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise HclError(f"a {type_name(value)} is not a bool")


def hcl_equal(a: Any, b: Any) -> Any:
    for v in (a, b):
        if isinstance(v, Lazy):
            return v.unknown()
        if isinstance(v, HclJson):
            return hcl_equal(v.text(), b if v is a else a) if not isinstance(v.text(), Unknown) else v.text()
    unknown = first_unknown(a)
    if unknown is None:
        unknown = first_unknown(b)
    if unknown is not None:
        return unknown
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)
