"""Writing reports and baselines: atomically, and never through a symbolic link.

An output path is often inside the scanned repository (``-o results.sarif``), and
a pull request can plant a symbolic link there pointing at a file of the CI user
(``~/.bashrc``, a credentials file). Opening it for writing would follow the link
and overwrite the target. So:

* a **symbolic link** at the output path is refused (exit 2, one line): auditor
  neither follows it nor removes it; ``-`` is the way to write to stdout;
* a **regular file** (or a new one) is written to a temporary file in the same
  folder and renamed over the path (``os.replace``) only once everything was
  written, so a crash or a full disk leaves the old file as it was and a reader
  never sees half a report; an existing file keeps its permission bits;
* a **character device or FIFO** the user named (``/dev/null``, a pipe) is
  written in place; git cannot store those, so a repository cannot plant one;
* anything else (a folder, a block device, a socket) is refused.

Errors are :class:`OSError` (from the file system, e.g. ``ENOSPC``) or
:class:`OutputError` (a refusal); the CLI turns both into one line and exit 2.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from auditor.files import file_kind

__all__ = ["OutputError", "open_output", "refusal"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class OutputError(Exception):
    """An output path auditor will not write to; the message names it and says why."""


def refusal(path: Path) -> str | None:
    """Why auditor will not write to ``path`` (None: it will)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "it is a symbolic link, and auditor does not write through links (remove it, or use '-' for stdout)"
    if stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return None
    return f"it is {file_kind(mode)}"


def _create_beside(path: Path) -> tuple[int, str]:
    """A new file beside ``path`` (``.NAME.RANDOM.tmp``), opened for writing, created exclusively
    (``O_EXCL``: never an existing file, never through a link), readable by its owner only until the
    report's mode is set: what :func:`tempfile.mkstemp` does, without importing :mod:`tempfile` (and
    :mod:`shutil` and :mod:`random` with it) on every run that writes a report file (issue 14)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def open_output(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text stream whose content becomes ``path`` when the block ends without an exception.

    Text that cannot be encoded (a lone surrogate a renderer let through) is written as a backslash
    escape rather than failing the whole report.
    """
    reason = refusal(path)
    if reason is not None:
        raise OutputError(f"cannot write {path}: {reason}")
    try:
        existing: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and (stat.S_ISCHR(existing.st_mode) or stat.S_ISFIFO(existing.st_mode)):
        fd = os.open(path, os.O_WRONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as out:
            yield out
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(path)
    try:
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask()
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
