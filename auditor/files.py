"""Opening an input file safely: regular files only, inside the scanned roots, never more than a limit.

A repository is written by whoever opened the pull request, and git stores
symbolic links. So a ``x.json`` in a scanned folder may be a link to
``/proc/self/environ`` (the CI secrets, echoed back in the first bad token of a
syntax error), to ``/dev/zero`` (``stat`` says size 0, reading never ends) or a
FIFO (``open`` blocks forever). Every reader of untrusted files goes through
:func:`read_regular`:

* the path is resolved first, and when ``roots`` are given the resolved path
  must lie inside one of them, so a link out of the scanned folders is not
  followed (its target is never opened, so nothing of it can be echoed);
* only a regular file is opened (``stat`` + ``S_ISREG``), with ``O_NONBLOCK``
  so that a FIFO swapped in after the check cannot block, and the opened
  descriptor is checked again with ``fstat`` (no race between check and open);
* at most ``max_bytes + 1`` bytes are read, so the limit holds for what is
  actually read, whatever ``st_size`` claims.

Every refusal is a :class:`FileRefused`, an :class:`OSError` whose ``strerror``
says why in words a finding can carry, so callers that already turn
``OSError`` into an SRC001 finding keep working unchanged.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["FileRefused", "file_kind", "is_within", "read_regular", "resolved_roots"]

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20


class FileRefused(OSError):
    """A file auditor will not read (not regular, outside the roots, too large); ``strerror`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.strerror = reason

    def __str__(self) -> str:
        return self.strerror or ""


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words (for messages)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolved_roots(paths: Iterable[Path]) -> tuple[Path, ...]:
    """What a scan may read from: each folder given, resolved; for each file given, the folder it is named
    in (so that the parameters file beside it can be read) and the file itself.

    A file given explicitly is followed when it is a link (the user named it), but the folder the link
    points into is not a root: a committed ``x.json`` -> ``/proc/self/status`` handed over by
    ``git ls-files | xargs auditor scan`` must not let a Bicep ``loadTextContent`` or a Terraform
    ``file()`` read ``/proc/self/environ`` beside it.
    """
    roots: list[Path] = []
    for path in paths:
        try:
            real = path.resolve()
            if real.is_dir():
                roots.append(real)
            else:
                roots += [path.absolute().parent.resolve(), real]
        except (OSError, RuntimeError, ValueError):  # unresolvable: reported when it is read
            continue
    return tuple(dict.fromkeys(roots))


def is_within(path: Path, roots: Sequence[Path]) -> bool:
    """Whether the (already resolved) ``path`` is one of ``roots`` or below one."""
    return any(path == root or path.is_relative_to(root) for root in roots)


def read_regular(path: Path, *, max_bytes: int, roots: Sequence[Path] | None = None) -> bytes:
    """The bytes of the regular file ``path``; raises :class:`OSError` (often :class:`FileRefused`).

    ``roots``: when given, ``path`` after resolving every link must lie inside one of them.
    """
    try:
        real = Path(os.path.realpath(path, strict=True))
    except RuntimeError:  # a symlink loop on older Pythons
        raise FileRefused("symbolic link loop") from None
    except ValueError as exc:  # e.g. an embedded NUL
        raise FileRefused(f"invalid file name ({exc})") from None
    if roots is not None and not is_within(real, roots):
        raise FileRefused("symbolic link to a file outside the scanned paths: not followed")
    mode = os.stat(real).st_mode
    if not stat.S_ISREG(mode):
        raise FileRefused(f"{file_kind(mode)}, not a regular file: not read")
    fd = os.open(real, _OPEN_FLAGS)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # replaced between the check and the open
            raise FileRefused(f"{file_kind(opened.st_mode)}, not a regular file: not read")
        if opened.st_size > max_bytes:
            raise FileRefused(f"file is {opened.st_size} bytes, larger than the {max_bytes} byte limit")
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:  # grew while being read
            raise FileRefused(f"file is larger than the {max_bytes} byte limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


def display_path(path: Path) -> str:
    """Path relative to the current directory when below it, always ``/``-separated."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    if rel.startswith(".." + os.sep) or rel == "..":
        rel = str(path)
    return rel.replace(os.sep, "/")
