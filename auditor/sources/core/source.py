"""What a file source is: the files it claims, and how it adds them to the inventory.

The dispatcher (:mod:`auditor.sources.dispatch`) discovers the scanned files,
reads each JSON file once and hands every file to the first source that claims
it; a source never calls another. The live source is not a file source: it reads
Azure and adds REST bodies to the same :class:`InventoryBuilder`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.reading import ParsedJson


class FileSource(Protocol):
    """A source of files (ARM JSON, Terraform)."""

    #: Suffixes of the files the source reads itself (not JSON: the dispatcher reads JSON once).
    text_suffixes: frozenset[str]

    def claims_document(self, doc: object) -> bool:
        """Whether a JSON document is this source's (a Terraform plan, an ARM document)."""

    def add_file(self, path: Path, display: str, builder: InventoryBuilder) -> None:
        """Read one of its own text files into ``builder``."""

    def add_document(self, parsed: ParsedJson, builder: InventoryBuilder) -> None:
        """Add a JSON document it claimed."""

    def finish(self, builder: InventoryBuilder) -> None:
        """What is left to report once every file was added (before the inventory is made)."""
