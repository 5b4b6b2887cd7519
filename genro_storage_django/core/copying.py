"""How the transfer engine copies the files it has chosen.

One file at a time (:func:`copy_one`: server-side within one storage system,
streamed in chunks across systems, verified before a move deletes its source),
several at once (:func:`copy_each`, on worker threads), or, for a sync's copies
within one system, in batches through :meth:`Backend.copy_files_within`
(:func:`copy_batched`).
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .backends.base import Backend, StatResult
from .errors import StorageError, StorageNotFoundError, TransferError, raise_as_storage_error
from .modes import CHUNK_SIZE
from .reports import FileTransfer, TransferCallback, TransferReport
from .skips import SkipFunction, SkipStrategy, skip_reason
from .tree_copy import FileFilters

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["CopyPlan", "copy_batched", "copy_each", "copy_one"]

_T = TypeVar("_T")

#: A server-side batch (see :meth:`Backend.copy_files_within`) holds at most this
#: many files and, unless it is one larger file, this many bytes.
BATCH_FILES = 64
BATCH_BYTES = 8 << 20


@dataclass
class CopyPlan:
    """The options of one copy, move or sync, resolved once."""

    skip: SkipStrategy
    skip_fn: SkipFunction | None
    accept: Callable[[str], bool] | None
    filters: FileFilters
    callback: TransferCallback
    on_file: Callable[[StorageNode], Any] | None
    on_copied: Callable[[StorageNode, StorageNode], Any] | None
    on_skip: Callable[[StorageNode, str], Any] | None
    workers: int
    preserve_mtime: bool
    empty_directories: bool
    verify: bool
    lock: threading.Lock = field(default_factory=threading.Lock)


def _holders(source: StorageNode, target: StorageNode) -> tuple[Backend, str, Backend, str]:
    """The backends that really hold ``source`` and ``target``, with their locations there."""
    source_store, source_location = source.backend.resolve_location(source.location)
    target_store, target_location = target.backend.resolve_location(target.location)
    return source_store, source_location, target_store, target_location


def copy_each(
    items: Sequence[FileTransfer], plan: CopyPlan, report: TransferReport, delete_source: bool
) -> None:
    """:func:`copy_one` for every item, on ``plan.workers`` threads."""

    def one(item: FileTransfer) -> None:
        copy_one(
            item.source,
            item.source_stat,
            item.target,
            item.target_stat,
            plan,
            report,
            delete_source,
        )

    _in_parallel(items, one, plan.workers)


@dataclass(frozen=True)
class _Within:
    """An item to copy server-side, with the backends that hold its two ends."""

    item: FileTransfer
    source_store: Backend
    target_store: Backend
    copy: tuple[str, str, float | None]  # (source location, target location, mtime)


def copy_batched(items: Sequence[FileTransfer], plan: CopyPlan, report: TransferReport) -> None:
    """Copy items, those that stay within one storage system in batches.

    The backends that hold each item's ends are found once (composite mounts looked
    through); an item they cannot copy server-side, or whose ends cannot be found, goes
    to :func:`copy_each`, which reports the failure for its file.
    """
    within: list[_Within] = []
    streamed: list[FileTransfer] = []
    for item in items:
        try:
            source_store, source_location, target_store, target_location = _holders(
                item.source, item.target
            )
        except Exception:
            streamed.append(item)
            continue
        if not source_store.can_copy_within(target_store):
            streamed.append(item)
            continue
        mtime = item.source_stat.mtime if plan.preserve_mtime else None
        copy = (source_location, target_location, mtime)
        within.append(_Within(item, source_store, target_store, copy))
    _in_parallel(_batches(within), lambda batch: _copy_batch(batch, plan, report), plan.workers)
    copy_each(streamed, plan, report, delete_source=False)


def _in_parallel(work: Sequence[_T], function: Callable[[_T], None], workers: int) -> None:
    if workers == 1 or len(work) < 2:
        for piece in work:
            function(piece)
    else:
        # Each piece runs in a copy of the caller's context: a mount whose root depends on
        # a context variable (a tenant's directory) must see the caller's value there too.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(contextvars.copy_context().run, function, p) for p in work]
            for future in futures:
                future.result()


def _batches(items: Sequence[_Within]) -> list[list[_Within]]:
    """Consecutive items between the same two backends, in batches of bounded size.

    The byte bound gives a large file a batch of its own, so that concurrent
    transfers share the large files out rather than one worker getting them all.
    """
    batches: list[list[_Within]] = []
    batch_bytes = 0
    for within in items:
        size = within.item.source_stat.size
        current = batches[-1] if batches else None
        if (
            current is None
            or len(current) >= BATCH_FILES
            or batch_bytes + size > BATCH_BYTES
            or current[0].source_store is not within.source_store
            or current[0].target_store is not within.target_store
        ):
            batches.append([within])
            batch_bytes = size
        else:
            current.append(within)
            batch_bytes += size
    return batches


def _copy_batch(batch: Sequence[_Within], plan: CopyPlan, report: TransferReport) -> None:
    """Copy a batch server-side through its backend's :meth:`copy_files_within`."""
    for within in batch:
        item = within.item
        plan.callback.on_file_start(item.source, item.target, item.source_stat.size)
    # A batch shares its two backends (see _batches).
    outcomes = batch[0].source_store.copy_files_within(
        [within.copy for within in batch], batch[0].target_store
    )
    for within, outcome in zip(batch, outcomes, strict=True):
        item = within.item
        if outcome is None:
            plan.callback.on_bytes(item.source_stat.size)
            _copied(item.source, item.target, item.source_stat.size, plan, report, False)
            continue
        try:
            raise_as_storage_error(outcome, _copy_failure(item.source, item.target))
        except Exception as mapped:
            _failed(item.source, item.target, mapped, plan, report)


def copy_one(
    source: StorageNode,
    source_stat: StatResult,
    target: StorageNode,
    target_stat: StatResult | None,
    plan: CopyPlan,
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
            source.backend.remove_file(source.location)
            source.backend.invalidate(source.location)
    except Exception as exc:
        _failed(source, target, exc, plan, report)
        return
    _copied(source, target, source_stat.size, plan, report, delete_source)


def _copied(
    source: StorageNode,
    target: StorageNode,
    size: int,
    plan: CopyPlan,
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
        plan.on_file(source)
    if plan.on_copied is not None:
        plan.on_copied(source, target)


def _failed(
    source: StorageNode, target: StorageNode, exc: Exception, plan: CopyPlan, report: TransferReport
) -> None:
    message = str(exc) if isinstance(exc, StorageError) else f"{type(exc).__name__}: {exc}"
    with plan.lock:
        report.errors.append((source.fullpath, message))
    plan.callback.on_file_done(source, target, "failed", message)


def _copy_file(
    source: StorageNode, source_stat: StatResult, target: StorageNode, plan: CopyPlan
) -> bool:
    """Copy one file; True when a server-side move already removed the source."""
    source_backend = source.backend
    target_backend = target.backend
    source_store, source_location, target_store, target_location = _holders(source, target)
    if source_store.can_copy_within(target_store):
        try:
            if plan.verify:
                source_store.move_within(source_location, target_location, target_store)
            else:
                source_store.copy_within(source_location, target_location, target_store)
        except Exception as exc:
            raise_as_storage_error(exc, _copy_failure(source, target))
        plan.callback.on_bytes(source_stat.size)
        if plan.verify:
            _ensure_present(target, source_stat)
            return True
        _finish(source_stat, target, plan)
        return False
    digest = hashlib.md5(usedforsecurity=False) if plan.verify else None
    written = 0
    try:
        with source_backend.open_read(source.location) as reader:
            writer = target_backend.open_writer(target.location)
            writer.on_relocated = target.relocate  # base64 targets: the data is the path
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
    target_backend.invalidate(target.location)
    if digest is not None:
        _verify(target, source_stat, digest.hexdigest())
    _finish(source_stat, target, plan)
    return False


def _copy_failure(source: StorageNode, target: StorageNode) -> str:
    return f"cannot copy to {target.fullpath} from {source.fullpath}"


def _finish(source_stat: StatResult, target: StorageNode, plan: CopyPlan) -> None:
    if plan.preserve_mtime and source_stat.mtime is not None:
        target.backend.set_mtime(target.location, source_stat.mtime)


def _verify(target: StorageNode, source_stat: StatResult, digest: str) -> None:
    """Check the published destination before a move may delete its source."""
    landed = target.stat()
    problem = None
    if landed.size != source_stat.size:
        problem = f"size {landed.size}, expected {source_stat.size}"
    elif landed.md5 is not None and landed.md5 != digest:
        problem = f"MD5 {landed.md5}, expected {digest}"
    if problem:
        target.backend.remove_file(target.location)
        raise TransferError(f"verification of {target.fullpath} failed: {problem}")


def _ensure_present(target: StorageNode, source_stat: StatResult) -> None:
    try:
        landed = target.stat()
    except StorageNotFoundError:
        raise TransferError(f"{target.fullpath} is missing after the move") from None
    if landed.size != source_stat.size:
        raise TransferError(f"{target.fullpath} has size {landed.size} after the move")
