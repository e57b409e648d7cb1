"""A value written as compact JSON by orjson (C), for tests that answer for a whole body at once.

Two walks over every resource body (the walk-depth bound in :mod:`~auditor.sources.core.extract`, the
``SharedAccessKey=`` search in :mod:`~auditor.sources.core.secrets`) were ~9 % of reading large templates
in Python; writing the body with orjson and looking at the text is ~10x faster. Importing orjson costs
~2.5 ms, more than both walks over a small file, so the shortcut is taken only when orjson is loaded
already (a JSON or SARIF report) or the value comes from a file of :data:`WORTH_IT_BYTES` or more.
"""

from __future__ import annotations

import sys
from typing import Any

#: From this size of source file on, importing orjson pays for itself.
WORTH_IT_BYTES = 64 * 1024
#: orjson refuses to write containers nested deeper than this (its recursion limit).
MAX_DEPTH = 254


def worth_it(file_chars: int) -> bool:
    return "orjson" in sys.modules or file_chars >= WORTH_IT_BYTES


def dumped(value: Any) -> str | None:
    """``value`` as compact JSON text; None when orjson cannot write it (a lone surrogate, an integer
    beyond 64 bits, a key that is not text, nesting beyond :data:`MAX_DEPTH`) or is not installed. What
    is not JSON (an unknown) is written as orjson writes it (a dataclass as an object) or as ``null``."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return None
    try:
        return orjson.dumps(value, default=_null).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return None


def _null(_: object) -> None:
    return None
