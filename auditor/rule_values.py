"""How an automation rule's values read as the rule's ``propertyType`` (Integer/Number, Boolean).

One definition for the two places that compare rule values: AUT204 (two rules that contradict each other)
and ``auditor simulate`` (a rule against an event). They must agree, or a rule set AUT204 calls dead could
match an event in a simulation. Pure functions, nothing imported.
"""

from __future__ import annotations

from typing import Any


def as_number(value: Any) -> float | None:
    """A number, or numeric text (``" 5 "``, ``"1e3"``) as Defender reads an Integer/Number rule; a bool is not one."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
    except (ValueError, OverflowError):  # not numeric text; an integer beyond a double (10**400)
        return None
    return None


def as_bool(value: Any) -> bool | None:
    """A bool, or the text ``true`` / ``false`` in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
