"""The bundled domain data (facts with provenance: PROVENANCE.md), read with :func:`read_text`."""

from __future__ import annotations

import os


def read_text(name: str) -> str:
    """The UTF-8 text of the bundled data file ``name``.

    Read beside this module, where every ordinary install puts it; ``importlib.resources`` only for an
    install that is not a folder (a zip), because importing it (and, through it, ``zipfile``) costs a
    one-file scan several milliseconds of its start-up budget (issue 14).
    """
    try:
        with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        from importlib import resources

        return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
