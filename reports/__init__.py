"""Renderers: each reads a ScanResult and writes one format; none sees the engine or the inventory.

``render(format, result, out, **options)`` imports the renderer on use, so a
text run never loads the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from auditor.engine import ScanResult

FORMATS = {
    "text": "auditor.reports.text",
    "json": "auditor.reports.json_report",
    "markdown": "auditor.reports.markdown",
    "github": "auditor.reports.github",
    "azure": "auditor.reports.azure",
    "sarif": "auditor.reports.sarif",
    "html": "auditor.reports.html",
}


def render(fmt: str, result: ScanResult, out: TextIO, **options: Any) -> None:
    """Write ``result`` to ``out`` in format ``fmt``."""
    module = importlib.import_module(FORMATS[fmt])
    module.render(result, out, **options)
