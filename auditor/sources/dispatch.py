"""The dispatcher: every scanned file, read once, to the source that claims it.

Discovery walks the scanned paths (skipping VCS and dependency folders), drops
what ``exclude`` names, refuses what must not be read (a link out of the
scanned roots, a FIFO, a device: SRC001, never a hang), and then gives each file
to a source: a text file by its suffix (Terraform ``.tf``), a JSON file, parsed
once, to the first source whose ``claims_document`` takes it (a Terraform plan,
else ARM). Every source adds to one :class:`InventoryBuilder`; no source knows
another. This module is not a source: it is the one place that knows them all.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

from auditor import model as m
from auditor.files import display_path, file_kind, is_within, resolved_roots
from auditor.records import record
from auditor.sources.arm.loader import JSON_SUFFIXES, ArmSource
from auditor.sources.bicep.source import BICEP_SUFFIXES, BicepSource
from auditor.sources.core.builder import InventoryBuilder
from auditor.sources.core.parameters import ParametersProblem
from auditor.sources.core.reading import SharedParses, read_json
from auditor.sources.terraform.source import TERRAFORM_SUFFIXES, TerraformSource

SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", ".tox"})
_READ_SUFFIXES = JSON_SUFFIXES | TERRAFORM_SUFFIXES | BICEP_SUFFIXES


class FileScan:
    """One scan of files: discovery, refusals, dispatch to the sources, one inventory."""

    excluded: int = 0  # discovered files the exclude patterns dropped (set by scan)

    def __init__(
        self,
        parameters: dict[str | None, Path] | None = None,
        exclude: list[str] | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        jobs: int = 1,
    ) -> None:
        self.parameters = parameters or {}
        self.exclude = exclude or []
        self.subscription = subscription
        self.resource_group = resource_group
        #: worker processes reading JSON and Terraform files (1: all in this process; see _fragments)
        self.jobs = jobs
        self.builder = InventoryBuilder()

    def include(self, inventory: m.Inventory) -> None:
        """Add another inventory's elements (a live scan's) before :meth:`scan` finishes."""
        self.builder.include(inventory)

    def scan(self, paths: Iterable[Path]) -> m.Inventory:
        """Read, classify and evaluate every file under ``paths``.

        Only regular files inside the scanned roots are read (:mod:`auditor.files`): a link out of
        them, a FIFO, a device or a folder that cannot be listed is an SRC001 problem, never a hang or a
        silent gap. Files dropped by ``exclude`` are counted in :attr:`excluded`.
        """
        paths = list(paths)
        roots = resolved_roots(paths)
        builder = self.builder
        arm = ArmSource(self.parameters, self.subscription, self.resource_group, roots=roots)
        bicep = BicepSource(self.parameters, self.subscription, self.resource_group, roots=roots)
        self.excluded = 0
        explicit = set(paths)
        found = []
        for path in discover(paths, on_error=lambda exc: _unlistable(builder, exc)):
            if self.exclude and _excluded(display_path(path), self.exclude):
                self.excluded += 1
                continue
            found.append(path)
        scanned_bicep = {p for p in found if p.suffix.lower() == ".bicep"}
        added_twins: set[Path] = set()
        work: list[Path] = []  # read by a FileTask (here or in a worker), in the order found
        plan: list[tuple[Path, str | None]] = []  # every file, with what the loop below does with it
        for path in found:
            suffix = path.suffix.lower()
            refusal = _refusal(path, roots, path in explicit or suffix in _READ_SUFFIXES)
            if refusal is None and (suffix in JSON_SUFFIXES or suffix in TERRAFORM_SUFFIXES):
                work.append(path)
            plan.append((path, refusal))
        task = FileTask(self.parameters, self.exclude, self.subscription, self.resource_group, roots)
        if len(work) > 1:
            task.shared = SharedParses(json_sizes(work))
        here = _bicep_seconds(plan, bicep.text_suffixes) if self.jobs > 1 and len(work) > 1 else 0.0
        fragments = _fragments(task, work, self.jobs, here)  # worker processes, if any, are reading now
        try:
            for path, refusal in plan:  # meanwhile, translate the Bicep files (evaluated at bicep.finish)
                if refusal is None and path.suffix.lower() in bicep.text_suffixes:
                    bicep.translate(path, display_path(path))
            for path, refusal in plan:
                display = display_path(path)
                suffix = path.suffix.lower()
                if refusal == "skip":
                    continue
                if refusal is not None:
                    builder.unreadable(display, refusal)
                    continue
                if suffix in bicep.text_suffixes:
                    bicep.add_file(path, display, builder)
                    continue
                if suffix not in JSON_SUFFIXES and suffix not in TERRAFORM_SUFFIXES:
                    builder.file(display, "not-ours", _skip_reason(path))
                    continue
                fragment = next(fragments)
                builder.absorb(fragment.builder)
                for key, problem in fragment.parameter_problems.items():
                    arm.parameter_problems.setdefault(key, problem)
                twin = fragment.twin
                if twin is not None and twin not in scanned_bicep and twin not in added_twins:
                    added_twins.add(twin)
                    bicep.add_file(twin, display_path(twin), builder)
        finally:
            fragments.close()  # workers still reading (the scan failed) are stopped now
        for source in (arm, bicep):
            source.finish(builder)
        return builder.finish()


def json_sizes(paths: list[Path]) -> dict[int, int]:
    """How many of the JSON files among ``paths`` have each size (a file that cannot be sized counts
    for nothing): only files that share their size with another may share a parse. Counted for the
    files one process reads (with ``--jobs``, each its own share), so a kept parse is dropped once that
    process has read the last file of its size."""
    sizes: dict[int, int] = {}
    for path in paths:
        if path.suffix.lower() in JSON_SUFFIXES:
            try:
                size = os.stat(path).st_size
            except OSError:
                continue
            sizes[size] = sizes.get(size, 0) + 1
    return sizes


def _bicep_seconds(plan: list[tuple[Path, str | None]], suffixes: frozenset[str]) -> float:
    """What translating the scan's Bicep files will cost this process (it reads them itself meanwhile),
    for the work plan."""
    from auditor.sources.work_plan import BICEP_SECONDS_PER_BYTE, size_of

    return sum(size_of(p) for p, refusal in plan if refusal is None and p.suffix.lower() in suffixes) * (
        BICEP_SECONDS_PER_BYTE
    )


class WorkerError(RuntimeError):
    """A worker process of ``--jobs`` died while reading files: the scan cannot be complete (exit 2)."""


@record(frozen=False)
class Fragment:
    """What reading one JSON or Terraform file added: its own builder's elements (detached from the
    parse, see :mod:`auditor.sources.core.detach`), the parameters-file problems it met first, and the
    Bicep file it was compiled from when that is scanned instead (the dispatcher adds it, once)."""

    builder: InventoryBuilder
    parameter_problems: dict[str, ParametersProblem]
    twin: Path | None = None


class FileTask:
    """Reads JSON and Terraform files one by one, each into a builder of its own (a :class:`Fragment`).

    The same code runs in the scanning process (``--jobs 1``, small scans) and in worker processes, so
    the inventory does not depend on where a file was read: a file's fragment is a function of the file
    and the scan's options, never of what else the process read before (the ARM source's parameters
    cache and the Terraform module cache only save work). The dispatcher absorbs the fragments in the
    order the files were found, so elements, file records and findings come in the same order either way.
    """

    def __init__(
        self,
        parameters: dict[str | None, Path],
        exclude: list[str],
        subscription: str | None,
        resource_group: str | None,
        roots: tuple[Path, ...],
    ) -> None:
        self.parameters = parameters
        self.exclude = exclude
        self.subscription = subscription
        self.resource_group = resource_group
        self.roots = roots
        self._sources: tuple[TerraformSource, ArmSource] | None = None
        #: identical JSON files share one parse (set by the scan when it reads several files)
        self.shared: SharedParses | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_sources": None}  # a worker makes its own sources

    def chunk(self, paths: list[Path]) -> list[Fragment]:
        """The fragments of ``paths`` (a worker's unit of work: the files of one folder)."""
        return [self.one(p) for p in paths]

    def one(self, path: Path) -> Fragment:
        """The fragment of one file."""
        if self._sources is None:
            arm = ArmSource(self.parameters, self.subscription, self.resource_group, roots=self.roots)
            self._sources = (TerraformSource(roots=self.roots), arm)
        terraform, arm = self._sources
        builder = InventoryBuilder()
        known = set(arm.parameter_problems)
        twin = None
        display = display_path(path)
        if path.suffix.lower() in terraform.text_suffixes:
            terraform.add_file(path, display, builder)
        else:
            parsed = read_json(path, builder, self.roots, self.shared)
            twin = _bicep_twin(path, parsed.doc) if parsed is not None else None
            if twin is not None and self._readable_twin(twin):
                # the same verdict whether the folder or only the JSON is scanned: the Bicep file is read
                builder.file(
                    display, "not-ours", f"compiled from {twin.name} beside it, which is scanned instead"
                )
            else:
                twin = None
                if parsed is not None:
                    source = terraform if terraform.claims_document(parsed.doc) else arm
                    source.add_document(parsed, builder)
        builder.detach()
        problems = {k: v for k, v in arm.parameter_problems.items() if k not in known}
        return Fragment(builder, problems, twin)

    def _readable_twin(self, twin: Path) -> bool:
        """Whether the Bicep twin of a compiled JSON can be scanned in its place: inside the scanned roots,
        not excluded, a regular file auditor may read (else the JSON is scanned as it is)."""
        if self.exclude and _excluded(display_path(twin), self.exclude):
            return False
        return _refusal(twin, self.roots, True) is None


def _fragments(
    task: FileTask, paths: list[Path], jobs: int, local_seconds: float
) -> Generator[Fragment, None, None]:
    """The fragments of ``paths`` in order: read here, or shared with ``jobs - 1`` worker processes when the
    work plan (:mod:`auditor.sources.work_plan`) estimates that they pay."""
    if jobs > 1 and len(paths) > 1:
        from auditor.sources.work_plan import plan

        shared = plan(paths, jobs, local_seconds)
        if shared is not None:
            from auditor.sources.parallel import fragments_in_workers

            return fragments_in_workers(task, paths, shared)
    return (task.one(p) for p in paths)


def _unlistable(builder: InventoryBuilder, exc: OSError) -> None:
    """A folder os.walk could not list: nothing in it was checked."""
    display = display_path(Path(exc.filename)) if exc.filename else "?"
    builder.unreadable(display, exc.strerror or str(exc), what="cannot list folder")


def discover(paths: Iterable[Path], on_error: Callable[[OSError], None] | None = None) -> Iterator[Path]:
    """Every file under ``paths`` (anything given explicitly that is not a folder is yielded as it is, so
    a FIFO or a device named on the command line is reported, not silently walked), sorted, skipping VCS
    dirs. A link to a folder is yielded, not walked (a link out of the scanned roots is then reported);
    ``on_error`` hears of folders that could not be listed."""
    for root in paths:
        try:
            is_dir = root.is_dir()
        except OSError:  # e.g. a name too long: reported when it is read
            is_dir = False
        if not is_dir:
            yield root
            continue
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
            kept = []
            for d in sorted(dirnames):
                if d in SKIP_DIRS:
                    continue
                if os.path.islink(os.path.join(dirpath, d)):
                    found.append(Path(dirpath) / d)  # os.walk does not follow it; scan() decides
                else:
                    kept.append(d)
            dirnames[:] = kept
            found.extend(Path(dirpath) / f for f in filenames)
        yield from sorted(found)


def _refusal(path: Path, roots: tuple[Path, ...], would_read: bool) -> str | None:
    """Why a discovered ``path`` is not read (None: go on; ``"skip"``: nothing to say).

    ``would_read``: it was named explicitly or has a suffix auditor reads; other files are never opened,
    so they are only recorded as not ours (a FIFO named ``notes.txt`` is harmless).
    """
    try:
        st = path.stat()
    except OSError as exc:  # a broken link, a name too long, a link loop
        return exc.strerror or str(exc)
    if not would_read and not stat.S_ISDIR(st.st_mode):
        return None
    try:
        real = Path(os.path.realpath(path, strict=True))
    except (OSError, RuntimeError, ValueError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    if not is_within(real, roots):
        return "symbolic link to a path outside the scanned paths: not followed"
    if stat.S_ISDIR(st.st_mode):  # a link to a folder inside the roots: its files are scanned where they are
        return "skip"
    if not stat.S_ISREG(st.st_mode):
        return f"{file_kind(st.st_mode)}, not a regular file: not read"
    return None


def _excluded(display: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(display, p) for p in patterns)


def _skip_reason(path: Path) -> str:
    return "not a file type auditor reads"


def _bicep_twin(path: Path, doc: object) -> Path | None:
    """The ``main.bicep`` that ``bicep build`` compiled ``main.json`` from, when it lies beside it: each
    problem is reported once, on the Bicep line a pull request changes (README "Bicep").

    Decided by the files on disk, not by what else the scan was given, so that scanning the JSON alone
    or its whole folder gives the same verdict.
    """
    if not isinstance(doc, dict):
        return None
    metadata = doc.get("metadata")
    generator = metadata.get("_generator") if isinstance(metadata, dict) else None
    name = generator.get("name") if isinstance(generator, dict) else None
    if not (isinstance(name, str) and name.lower() == "bicep"):
        return None
    twins = [path.with_suffix(".bicep")]
    if (
        path.name.lower() == "azuredeploy.json"
    ):  # the Azure quickstarts' convention: main.bicep → azuredeploy.json
        twins.append(path.with_name("main.bicep"))
    for twin in twins:
        try:
            if twin.is_file():
                return twin
        except OSError:
            continue
    return None
