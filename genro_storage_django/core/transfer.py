"""The one streaming transfer engine behind every copy and move.

* Within one storage system (two local mounts, two mounts on the same S3
  account) the backend copies server-side: no bytes pass through the process.
* Across systems the content streams in 1 MiB chunks from a reader into an
  atomic writer, so memory stays flat and the destination path only ever holds
  a complete file; the byte count is checked before the writer publishes.
* A move deletes its source only after the destination is verified (size, and
  MD5 when the destination reports one); a failed copy never deletes anything.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .backends.base import StatResult
from .backends.relative import unwrap
from .errors import StorageError, StorageNotFoundError, TransferError
from .globbing import compile_filters
from .node import CHUNK_SIZE
from .reports import FileTransfer, TransferCallback, TransferReport, as_callback
from .skips import SkipFunction, SkipStrategy, skip_reason

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = [
    "FileTransfer",
    "SkipStrategy",
    "TransferCallback",
    "TransferReport",
    "copy",
    "move",
    "transfer_files",
]


_T = TypeVar("_T")

#: A server-side batch (see :meth:`Backend.copy_files_within`) holds at most this
#: many files and, unless it is one larger file, this many bytes.
BATCH_FILES = 64
BATCH_BYTES = 8 << 20


@dataclass
class _Plan:
    """The options of one copy/move, resolved once."""

    skip: SkipStrategy
    skip_fn: SkipFunction | None
    accept: Callable[[str], bool] | None
    node_filter: Callable[[StorageNode], bool] | None
    callback: TransferCallback
    on_file: Callable[[StorageNode, StorageNode], Any] | None
    on_skip: Callable[[StorageNode, str], Any] | None
    workers: int
    preserve_mtime: bool
    verify: bool
    lock: threading.Lock = field(default_factory=threading.Lock)


def copy(
    source: StorageNode,
    destination: StorageNode,
    *,
    skip: SkipStrategy | str | SkipFunction = SkipStrategy.NEVER,
    skip_fn: SkipFunction | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    filter: Callable[[StorageNode], bool] | None = None,  # genro-storage's name
    progress: TransferCallback | Callable[[int, int], Any] | None = None,
    on_file: Callable[[StorageNode, StorageNode], Any] | None = None,
    on_skip: Callable[[StorageNode, str], Any] | None = None,
    workers: int = 1,
    preserve_mtime: bool = False,
) -> TransferReport:
    """Copy a file to the file ``destination``, or a directory tree into ``destination``.

    Include/exclude globs and ``filter`` apply to the files of a tree (paths relative
    to ``source``). ``progress`` is a :class:`TransferCallback` or a plain callable
    ``(files_done, files_total)``. Errors on single files of a tree are collected in
    the report; a single-file copy raises them.
    """
    plan = _make_plan(
        skip,
        skip_fn,
        include,
        exclude,
        filter,
        progress,
        on_file,
        on_skip,
        workers,
        preserve_mtime,
        verify=False,
    )
    return _run(source, destination, plan, delete_source=False)


def move(
    source: StorageNode,
    destination: StorageNode,
    *,
    progress: TransferCallback | Callable[[int, int], Any] | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    workers: int = 1,
) -> TransferReport:
    """Move a file or tree: copy, verify each file, then delete each verified source."""
    source._require("delete")
    plan = _make_plan(
        SkipStrategy.NEVER,
        None,
        include,
        exclude,
        None,
        progress,
        None,
        None,
        workers,
        preserve_mtime=True,
        verify=True,
    )
    return _run(source, destination, plan, delete_source=True)


def _make_plan(
    skip: SkipStrategy | str | SkipFunction,
    skip_fn: SkipFunction | None,
    include: Iterable[str] | str | None,
    exclude: Iterable[str] | str | None,
    node_filter: Callable[[StorageNode], bool] | None,
    progress: TransferCallback | Callable[[int, int], Any] | None,
    on_file: Callable[[StorageNode, StorageNode], Any] | None,
    on_skip: Callable[[StorageNode, str], Any] | None,
    workers: int,
    preserve_mtime: bool,
    verify: bool,
) -> _Plan:
    if callable(skip) and not isinstance(skip, str):
        skip_fn, strategy = skip, SkipStrategy.CUSTOM
    else:
        try:
            strategy = SkipStrategy(skip)
        except ValueError:
            choices = ", ".join(s.value for s in SkipStrategy)
            raise ValueError(f"unknown skip strategy {skip!r}: use one of {choices}") from None
    if strategy is SkipStrategy.CUSTOM and skip_fn is None:
        raise ValueError("skip='custom' needs skip_fn")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    return _Plan(
        skip=strategy,
        skip_fn=skip_fn,
        accept=compile_filters(include, exclude),
        node_filter=node_filter,
        callback=as_callback(progress),
        on_file=on_file,
        on_skip=on_skip,
        workers=workers,
        preserve_mtime=preserve_mtime,
        verify=verify,
    )


def _run(
    source: StorageNode, destination: StorageNode, plan: _Plan, *, delete_source: bool
) -> TransferReport:
    destination._require("write")
    started = time.monotonic()
    report = TransferReport(source, destination)
    source_stat = source.stat()
    if source_stat.is_dir:
        _copy_tree(source, destination, plan, report, delete_source)
    else:
        if source == destination:
            raise TransferError(f"cannot copy {source.fullpath} onto itself")
        plan.callback.on_start(1, source_stat.size)
        destination_stat = destination._stat_or_none()
        if destination_stat is not None and destination_stat.is_dir:
            raise TransferError(
                f"cannot copy {source.fullpath} to {destination.fullpath}: it is a directory"
            )
        _transfer_one(
            source, source_stat, destination, destination_stat, plan, report, delete_source
        )
        report.raise_for_errors()
    report.seconds = time.monotonic() - started
    return report


def _copy_tree(
    source: StorageNode,
    destination: StorageNode,
    plan: _Plan,
    report: TransferReport,
    delete_source: bool,
) -> None:
    inside = destination.mount_name == source.mount_name and (
        not source.path
        or destination.path == source.path
        or destination.path.startswith(source.path + "/")
    )
    if inside:
        raise TransferError(f"cannot copy {source.fullpath} into itself ({destination.fullpath})")
    existing = _index(destination) if plan.skip is not SkipStrategy.NEVER else {}
    work: list[FileTransfer] = []
    for relative, entry in source._walk_entries():
        if plan.accept and not plan.accept(relative):
            continue
        node = source._listed_below(relative)
        if plan.node_filter and not plan.node_filter(node):
            continue
        work.append(FileTransfer(node, entry, destination.child(relative), existing.get(relative)))
    plan.callback.on_start(len(work), sum(item.source_stat.size for item in work))
    _execute(work, plan, report, delete_source)
    if delete_source and not report.errors and not report.skipped:
        # Every file moved: drop the now empty directories left behind.
        source.delete(recursive=True)


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
    plan = _make_plan(
        SkipStrategy.NEVER,
        None,
        None,
        None,
        None,
        progress,
        None,
        None,
        workers,
        preserve_mtime,
        verify=False,
    )
    plan.callback.on_start(len(items), sum(item.source_stat.size for item in items))
    started = time.monotonic()
    within: list[FileTransfer] = []
    streamed: list[FileTransfer] = []
    for item in items:
        same_system = unwrap(item.source.backend).can_copy_within(unwrap(item.target.backend))
        (within if same_system else streamed).append(item)
    _in_parallel(_batches(within), lambda batch: _copy_batch(batch, plan, report), plan.workers)
    _execute(streamed, plan, report, delete_source=False)
    report.seconds += time.monotonic() - started
    return report


def _execute(
    items: Sequence[FileTransfer], plan: _Plan, report: TransferReport, delete_source: bool
) -> None:
    def one(item: FileTransfer) -> None:
        _transfer_one(
            item.source,
            item.source_stat,
            item.target,
            item.target_stat,
            plan,
            report,
            delete_source,
        )

    _in_parallel(items, one, plan.workers)


def _in_parallel(work: Sequence[_T], function: Callable[[_T], None], workers: int) -> None:
    if workers == 1 or len(work) < 2:
        for piece in work:
            function(piece)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(function, work))


def _batches(items: Sequence[FileTransfer]) -> list[list[FileTransfer]]:
    """Consecutive items between the same two backends, in batches of bounded size.

    The byte bound gives a large file a batch of its own, so that concurrent
    transfers share the large files out rather than one worker getting them all.
    """
    batches: list[list[FileTransfer]] = []
    batch_bytes = 0
    for item in items:
        current = batches[-1] if batches else None
        if (
            current is None
            or len(current) >= BATCH_FILES
            or batch_bytes + item.source_stat.size > BATCH_BYTES
            or current[0].source.backend is not item.source.backend
            or current[0].target.backend is not item.target.backend
        ):
            batches.append([item])
            batch_bytes = item.source_stat.size
        else:
            current.append(item)
            batch_bytes += item.source_stat.size
    return batches


def _copy_batch(batch: Sequence[FileTransfer], plan: _Plan, report: TransferReport) -> None:
    """Copy a batch server-side through the backend's :meth:`copy_files_within`."""
    copies: list[tuple[str, str, float | None]] = []
    started: list[FileTransfer] = []
    for item in batch:
        try:
            mtime = item.source_stat.mtime if plan.preserve_mtime else None
            copies.append((item.source._loc(), item.target._loc(), mtime))
        except Exception as exc:
            _failed(item.source, item.target, exc, plan, report)
            continue
        started.append(item)
        plan.callback.on_file_start(item.source, item.target, item.source_stat.size)
    # A batch shares its two backends (see _batches).
    source_store = unwrap(batch[0].source.backend)
    outcomes = source_store.copy_files_within(copies, unwrap(batch[0].target.backend))
    for item, outcome in zip(started, outcomes, strict=True):
        if outcome is None:
            plan.callback.on_bytes(item.source_stat.size)
            _copied(item.source, item.target, item.source_stat.size, plan, report, False)
            continue
        try:
            item.source._fail(outcome, f"copy to {item.target.fullpath} from")
        except Exception as mapped:
            _failed(item.source, item.target, mapped, plan, report)


def _index(destination: StorageNode) -> dict[str, StatResult]:
    """Existing destination files by relative path: one listing instead of a call per file."""
    found = destination._stat_or_none()
    if found is None or not found.is_dir:
        return {}
    return dict(destination._walk_entries())


def _transfer_one(
    source: StorageNode,
    source_stat: StatResult,
    target: StorageNode,
    target_stat: StatResult | None,
    plan: _Plan,
    report: TransferReport,
    delete_source: bool,
) -> None:
    try:
        reason = skip_reason(source, source_stat, target, target_stat, plan.skip, plan.skip_fn)
        if reason is not None:
            with plan.lock:
                report.skipped.append((source.fullpath, reason))
            plan.callback.on_file_done(source, target, "skipped", reason)
            if plan.on_skip is not None:
                plan.on_skip(source, reason)
            return
        plan.callback.on_file_start(source, target, source_stat.size)
        source_gone = _copy_file(source, source_stat, target, plan)
        if delete_source and not source_gone:
            source._mount.backend.remove_file(source._loc())
            source._mount.backend.invalidate(source._loc())
    except Exception as exc:
        _failed(source, target, exc, plan, report)
        return
    _copied(source, target, source_stat.size, plan, report, delete_source)


def _copied(
    source: StorageNode,
    target: StorageNode,
    size: int,
    plan: _Plan,
    report: TransferReport,
    delete_source: bool,
) -> None:
    with plan.lock:
        report.copied.append(source.fullpath)
        report.bytes += size
        if delete_source:
            report.deleted.append(source.fullpath)
    plan.callback.on_file_done(source, target, "copied")
    if plan.on_file is not None:
        plan.on_file(source, target)


def _failed(
    source: StorageNode, target: StorageNode, exc: Exception, plan: _Plan, report: TransferReport
) -> None:
    message = str(exc) if isinstance(exc, StorageError) else f"{type(exc).__name__}: {exc}"
    with plan.lock:
        report.errors.append((source.fullpath, message))
    plan.callback.on_file_done(source, target, "failed", message)


def _copy_file(
    source: StorageNode, source_stat: StatResult, target: StorageNode, plan: _Plan
) -> bool:
    """Copy one file; True when a server-side move already removed the source."""
    source_backend = source._mount.backend
    target_backend = target._mount.backend
    source_store, target_store = unwrap(source_backend), unwrap(target_backend)
    if source_store.can_copy_within(target_store):
        try:
            if plan.verify:
                source_store.move_within(source._loc(), target._loc(), target_store)
            else:
                source_store.copy_within(source._loc(), target._loc(), target_store)
        except Exception as exc:
            source._fail(exc, f"copy to {target.fullpath} from")
        plan.callback.on_bytes(source_stat.size)
        if plan.verify:
            _ensure_present(target, source_stat)
            return True
        _finish(source_stat, target, plan)
        return False
    digest = hashlib.md5(usedforsecurity=False) if plan.verify else None
    written = 0
    try:
        with source_backend.open_read(source._loc()) as reader:
            writer = target_backend.open_writer(target._loc())
            try:
                while chunk := reader.read(CHUNK_SIZE):
                    writer.write(chunk)
                    written += len(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    plan.callback.on_bytes(len(chunk))
                if written != source_stat.size:
                    raise TransferError(
                        f"read {written} bytes of {source.fullpath}, expected {source_stat.size}"
                    )
            except BaseException:
                writer.abort()
                raise
            writer.commit()
    except StorageError:
        raise
    except Exception as exc:
        raise TransferError(
            f"cannot copy {source.fullpath} to {target.fullpath}: {type(exc).__name__}: {exc}"
        ) from exc
    target_backend.invalidate(target._loc())
    if digest is not None:
        _verify(target, source_stat, digest.hexdigest())
    _finish(source_stat, target, plan)
    return False


def _finish(source_stat: StatResult, target: StorageNode, plan: _Plan) -> None:
    if plan.preserve_mtime and source_stat.mtime is not None:
        target._mount.backend.set_mtime(target._loc(), source_stat.mtime)


def _verify(target: StorageNode, source_stat: StatResult, digest: str) -> None:
    """Check the published destination before a move may delete its source."""
    landed = target.stat()
    problem = None
    if landed.size != source_stat.size:
        problem = f"size {landed.size}, expected {source_stat.size}"
    elif landed.md5 is not None and landed.md5 != digest:
        problem = f"MD5 {landed.md5}, expected {digest}"
    if problem:
        target._mount.backend.remove_file(target._loc())
        raise TransferError(f"verification of {target.fullpath} failed: {problem}")


def _ensure_present(target: StorageNode, source_stat: StatResult) -> None:
    try:
        landed = target.stat()
    except StorageNotFoundError:
        raise TransferError(f"{target.fullpath} is missing after the move") from None
    if landed.size != source_stat.size:
        raise TransferError(f"{target.fullpath} has size {landed.size} after the move")
