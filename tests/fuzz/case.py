"""One fuzz input: the files of a folder to scan, and how to scan it.

A case is a small folder (one file or several: a template with its
parameters file, a Terraform module with a child module, a configuration
file) plus the special entries a plain file cannot carry: symbolic links and
FIFOs. It is saved as one JSON bundle (``*.case.json``, contents in base64) so
that ``--replay FILE`` rebuilds exactly what crashed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where each case is written, below the runner's working folder.
CASE_DIR = "case"
#: A file beside (outside) every case folder whose content must never appear in any output.
CANARY_NAME = "secret.txt"


@dataclass
class Case:
    """Files to scan: ``files`` maps a ``/`` relative path to bytes."""

    label: str
    files: dict[str, bytes] = field(default_factory=dict)
    #: relative path → link target; ``@CANARY`` stands for the canary file outside the case folder.
    symlinks: dict[str, str] = field(default_factory=dict)
    fifos: tuple[str, ...] = ()
    #: What to scan, relative to the case folder ("" = the folder itself).
    target: str = ""
    #: A configuration file of the case given with ``--config`` (else ``--no-config``).
    config: str | None = None
    #: "bomb": the input holds a budget bomb and must be reported (SRC005/SRC003/…), never pass cleanly.
    expect: str | None = None
    #: Where it came from (corpus file, seed, input number), for the report.
    origin: str = ""

    def size(self) -> int:
        """Bytes of all files together."""
        return sum(len(b) for b in self.files.values())

    # ------------------------------------------------------------------ disk

    def materialise(self, base: Path) -> Path:
        """Write the case below ``base``/case (emptied first); return the folder."""
        root = base / CASE_DIR
        if root.exists() or root.is_symlink():
            shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        for rel, data in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                path.write_bytes(data)
            except OSError:  # e.g. a name too long for the file system: the case goes on without it
                continue
        for rel, target in self.symlinks.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            real = str(base / CANARY_NAME) if target == "@CANARY" else target
            try:
                os.symlink(real, path)
            except OSError:
                continue
        for rel in self.fifos:
            try:
                os.mkfifo(root / rel)
            except OSError:
                continue
        return root

    # ------------------------------------------------------------------ bundles

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe bundle of the case."""
        return {
            "label": self.label,
            "origin": self.origin,
            "target": self.target,
            "config": self.config,
            "expect": self.expect,
            "files": {k: base64.b64encode(v).decode("ascii") for k, v in self.files.items()},
            "symlinks": self.symlinks,
            "fifos": list(self.fifos),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        return cls(
            label=data.get("label", "replay"),
            origin=data.get("origin", ""),
            target=data.get("target", ""),
            config=data.get("config"),
            expect=data.get("expect"),
            files={k: base64.b64decode(v) for k, v in data.get("files", {}).items()},
            symlinks=dict(data.get("symlinks", {})),
            fifos=tuple(data.get("fifos", ())),
        )

    def save(self, path: Path) -> Path:
        """Write the bundle to ``path`` and, for a one-file case, the raw file beside it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        if len(self.files) == 1 and not self.symlinks and not self.fifos:
            (name, data) = next(iter(self.files.items()))
            suffix = Path(name).suffix[:10] or ".bin"
            path.with_name(path.name.removesuffix(".case.json") + ".input" + suffix).write_bytes(data)
        return path


def load(path: Path) -> Case:
    """A saved bundle, or any plain file (scanned as the only file of a case, under its own name)."""
    if path.name.endswith(".case.json"):
        return Case.from_json(json.loads(path.read_text(encoding="utf-8")))
    name = path.name
    for marker in (".input.",):  # the raw twin of a bundle: give it back its scanned suffix
        if marker in name:
            name = "input." + name.rsplit(marker, 1)[1]
    return Case(label=f"replay {path.name}", files={name: path.read_bytes()}, origin=str(path))
