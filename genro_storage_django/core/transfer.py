"""The one streaming transfer engine behind every copy, move and sync.

This module chooses what to copy (a file, or a tree's files after filters and skip
strategies) and reports; :mod:`.copying` moves the bytes.

* Within one storage system (two local mounts, two mounts on the same S3
  account) the backend copies server-side: no bytes pass through the process.
* Across systems the content streams in 1 MiB chunks from a reader into an
  atomic writer, so memory stays flat and the destination path only ever holds
  a complete file; the byte count is checked before the writer publishes.
* A move deletes its source only after the destination is verified (size, and
  MD5 when the destination reports one); a failed copy never deletes anything.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .backends.base import StatResult
from .copying import CopyPlan, copy_batched, copy_each, copy_one
from .errors import DirectoryNotEmptyError, StorageNotFoundError, TransferError
from .globbing import compile_filters
from .listing import SYMLINK_ALIAS, through_links
from .overlap import refuse_overlap
from .reports import FileTransfer, TransferCallback, TransferReport, as_callback
from .skips import SkipFunction, SkipStrategy
from .tree_copy import FileFilters, make_empty_directories, select_files

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = [
    "CopyOptions",
    "FileTransfer",
    "SkipStrategy",
    "TransferCallback",
    "TransferReport",
    "copy",
    "move",
    "transfer_files",
]


@dataclass(frozen=True)
class CopyOptions:
    """How :func:`copy` copies: each field is the keyword of the same name.

    Include/exclude globs and the filters choose among the files of a tree (paths
    relative to the source): ``filter(node, relative_path)`` (genro-storage's) and
    ``node_filter(node)`` say True to copy. ``progress`` is a :class:`TransferCallback`
    or a plain callable ``(files_done, files_total)``. ``skip`` is a
    :class:`SkipStrategy` (or its value), or a function ``(source, destination) -> bool``
    that says which files to skip. After each file copied, ``on_file(source)``
    (genro-storage's) and ``on_copied(source, destination)``; for each file skipped or
    filtered out, ``on_skip(source, reason)``. ``empty_directories=False`` leaves out the
    source's empty directories, and the second listing of the source that finds them.
    """

    skip: SkipStrategy | str | SkipFunction = SkipStrategy.NEVER
    skip_fn: SkipFunction | None = None
    include: Iterable[str] | str | None = None
    exclude: Iterable[str] | str | None = None
    filter: Callable[[StorageNode, str], bool] | None = None
    node_filter: Callable[[StorageNode], bool] | None = None
    progress: TransferCallback | Callable[[int, int], Any] | None = None
    on_file: Callable[[StorageNode], Any] | None = None
    on_copied: Callable[[StorageNode, StorageNode], Any] | None = None
    on_skip: Callable[[StorageNode, str], Any] | None = None
    workers: int = 1
    preserve_mtime: bool = False
    empty_directories: bool = True

    def plan(self, *, verify: bool) -> CopyPlan:
        """The options checked and resolved once for the engine (``verify``: moves)."""
        skip_fn = self.skip_fn
        if callable(self.skip) and not isinstance(self.skip, str):
            skip_fn, strategy = self.skip, SkipStrategy.CUSTOM
        else:
            try:
                strategy = SkipStrategy(self.skip)
            except ValueError:
                choices = ", ".join(s.value for s in SkipStrategy)
                raise ValueError(
                    f"unknown skip strategy {self.skip!r}: use one of {choices}"
                ) from None
        if strategy is SkipStrategy.CUSTOM and skip_fn is None:
            raise ValueError("skip='custom' requires skip_fn (a function (source, destination))")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        return CopyPlan(
            skip=strategy,
            skip_fn=skip_fn,
            accept=compile_filters(self.include, self.exclude),
            filters=FileFilters(self.filter, self.node_filter),
            callback=as_callback(self.progress),
            on_file=self.on_file,
            on_copied=self.on_copied,
            on_skip=self.on_skip,
            workers=self.workers,
            preserve_mtime=self.preserve_mtime,
            empty_directories=self.empty_directories,
            verify=verify,
        )


def copy(
    source: StorageNode,
    destination: StorageNode | str,
    options: CopyOptions | None = None,
    **fields: Any,
) -> TransferReport:
    """Copy a file to the file ``destination``, or a directory tree into ``destination``
    (a node or a ``"mount:path"`` of ``source``'s manager), and report what it did.

    ``options`` and keyword ``fields`` are :class:`CopyOptions` (fields override it).
    Errors on single files of a tree are collected in the report (see
    :meth:`TransferReport.raise_for_errors`); a single-file copy raises them. A missing
    source raises :class:`~.errors.StorageNotFoundError` (a ``FileNotFoundError``). A
    source and destination that overlap on the storage (one tree inside the other, or
    the same file, through any mounts) raise :class:`~.errors.OverlappingPathsError`
    before anything is copied.
    """
    chosen = replace(options or CopyOptions(), **fields)
    target = source.manager.resolve(destination)
    return _run(source, target, chosen.plan(verify=False), delete_source=False)


def move(
    source: StorageNode,
    destination: StorageNode | str,
    *,
    progress: TransferCallback | Callable[[int, int], Any] | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    workers: int = 1,
) -> TransferReport:
    """Move a file or tree: copy, verify each file, then delete each verified source."""
    source.require("delete")
    options = CopyOptions(
        include=include, exclude=exclude, progress=progress, workers=workers, preserve_mtime=True
    )
    target = source.manager.resolve(destination)
    return _run(source, target, options.plan(verify=True), delete_source=True)


def _run(
    source: StorageNode, destination: StorageNode, plan: CopyPlan, *, delete_source: bool
) -> TransferReport:
    destination.require("write")
    started = time.monotonic()
    report = TransferReport(source, destination)
    try:
        source_stat = source.stat()
    except StorageNotFoundError as exc:
        # genro-storage's words, which its users' code may match.
        raise StorageNotFoundError(
            f"Source not found: {source.fullpath} (to {destination.fullpath})"
        ) from exc
    refuse_overlap(source, destination, tree=source_stat.is_dir)
    if source_stat.is_dir:
        with batched(source, destination):
            _copy_tree(source, destination, plan, report, delete_source)
    else:
        plan.callback.on_start(1, source_stat.size)
        destination_stat = destination.stat_or_none()
        if destination_stat is not None and destination_stat.is_dir:
            raise TransferError(
                f"cannot copy {source.fullpath} to {destination.fullpath}: it is a directory"
            )
        copy_one(source, source_stat, destination, destination_stat, plan, report, delete_source)
        report.raise_for_errors()
    report.seconds = time.monotonic() - started
    return report


def _copy_tree(
    source: StorageNode,
    destination: StorageNode,
    plan: CopyPlan,
    report: TransferReport,
    delete_source: bool,
) -> None:
    existing = _index(destination) if plan.skip is not SkipStrategy.NEVER else {}
    # Entries the walk leaves out (refused names, loops) are reported as skipped.
    listed = source.walk_entries(on_skip=lambda path, reason: report.skipped.append((path, reason)))
    work = select_files(source, destination, listed, existing, plan, report)
    plan.callback.on_start(len(work), sum(item.source_stat.size for item in work))
    if plan.empty_directories:
        # Before the files: a move may take a directory's last file, and the directory too.
        make_empty_directories(source, destination, report)
    if delete_source:
        # A file reached through a symlinked directory is copied, never deleted: by
        # that name it may be a file outside the tree, or one of the tree's own.
        prefix = len(source.path) + 1 if source.path else 0
        linked = through_links(source, [item.source.path[prefix:] for item in work])
        kept = [item for item in work if item.source.path[prefix:] in linked]
        report.skipped.extend((item.source.fullpath, SYMLINK_ALIAS) for item in kept)
        # A copy, not a server-side move: a move plan renames where it can.
        copy_each(kept, replace(plan, verify=False), report, delete_source=False)
        work = [item for item in work if item.source.path[prefix:] not in linked]
    copy_each(work, plan, report, delete_source)
    if delete_source and not report.errors:
        _remove_emptied(source)


def _remove_emptied(source: StorageNode) -> None:
    """Remove the directories a move emptied, deepest first.

    Never a recursive delete: what the move did not take (files its filters left out,
    names the path rules refuse, symlinks leading out of the mount, another
    process's write in progress) keeps its directory.
    """
    if not (source.backend.capabilities.directories and source.exists()):
        return  # object stores, memory: a directory can go with its last file
    prefix = len(source.path) + 1 if source.path else 0
    directories = [directory for directory, _dirs, _files in source.walk(top_down=False)]
    # A symlinked directory (and what is below it) is the link's target: the link stays.
    linked = through_links(source, [directory.path[prefix:] for directory in directories])
    for directory in directories:
        if directory.path[prefix:] not in linked:
            with contextlib.suppress(DirectoryNotEmptyError):
                directory.delete()


def transfer_files(
    items: Sequence[FileTransfer],
    report: TransferReport,
    *,
    workers: int = 1,
    progress: TransferCallback | Callable[[int, int], Any] | None = None,
    preserve_mtime: bool = False,
) -> TransferReport:
    """Copy files already planned by the caller (a sync), adding outcomes to ``report``.

    No skip logic runs here: the caller decided what to copy. Copies that can stay
    within one storage system go in batches through the backend's
    :meth:`~genro_storage_django.core.backends.base.Backend.copy_files_within`
    (on local disk, one journal commit makes a whole batch durable); the others
    stream file by file.
    """
    options = CopyOptions(progress=progress, workers=workers, preserve_mtime=preserve_mtime)
    plan = options.plan(verify=False)
    plan.callback.on_start(len(items), sum(item.source_stat.size for item in items))
    started = time.monotonic()
    with batched(*{id(item.target.backend): item.target for item in items}.values()):
        copy_batched(items, plan, report)
    report.seconds += time.monotonic() - started
    return report


@contextlib.contextmanager
def batched(*nodes: StorageNode) -> Iterator[None]:
    """One write batch (:meth:`~.backends.base.Backend.batch_writes`) on the backend of
    each of ``nodes`` while the block runs: an archive is rebuilt once, not per file."""
    with contextlib.ExitStack() as stack:
        for node in nodes:
            stack.enter_context(node.backend.batch_writes())
        yield


def _index(destination: StorageNode) -> dict[str, StatResult]:
    """Existing destination files by relative path: one listing instead of a call per file."""
    found = destination.stat_or_none()
    if found is None or not found.is_dir:
        return {}
    return dict(destination.walk_entries())
