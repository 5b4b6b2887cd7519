"""One-way sync between two directories of any mounts, compared the way rclone does.

:func:`plan_sync` lists both sides once and decides, file by file, what to copy
and what to delete; :func:`sync` runs that plan through the transfer engine:
copies first (keeping modification times where the destination can), deletions
after, and only when every copy succeeded.

Comparisons (``compare=``):

* ``size-mtime`` (default): copy when sizes differ or modification times differ by
  a second or more (:data:`.compare.MTIME_TOLERANCE`, the rule ``copy_to(skip="mtime")``
  shares). Object stores cannot set a file's time (it is the upload
  time), so there a destination at least as new as its source counts as current;
  a second sync therefore copies nothing.
* ``checksum``: copy when sizes differ, or when the MD5s differ (computed only
  for files of equal size, from the backend's checksum where it is a true MD5).
* ``size-only``: copy when sizes differ.

``update`` skips files whose destination is newer; ``ignore_existing`` skips every
file that exists at the destination.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .backends.base import StatResult
from .compare import current_reason, is_newer, same_content
from .errors import StorageError, TransferError
from .globbing import compile_filters
from .listing import SYMLINK_ALIAS, OnSkip, through_links
from .overlap import refuse_overlap
from .transfer import FileTransfer, TransferCallback, TransferReport, batched, transfer_files

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["Compare", "SyncOptions", "SyncPlan", "SyncReport", "plan_sync", "sync"]

RETIME = "retime"
_SKIP = "skip:"


class Compare(str, enum.Enum):
    SIZE_MTIME = "size-mtime"
    CHECKSUM = "checksum"
    SIZE_ONLY = "size-only"


@dataclass
class SyncPlan:
    """What a sync would do: copies with their reason, skips with theirs, deletions."""

    source: StorageNode
    destination: StorageNode
    copies: list[tuple[FileTransfer, str]] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)
    #: Same content, other time: only the destination's time is set.
    retimes: list[FileTransfer] = field(default_factory=list)
    deletions: list[StorageNode] = field(default_factory=list)
    source_files: int = 0


@dataclass
class SyncReport:
    """The outcome of a sync (or, with ``dry_run``, of its plan)."""

    copied: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "copied": self.copied,
            "skipped": [{"path": path, "reason": reason} for path, reason in self.skipped],
            "deleted": self.deleted,
            "bytes": self.bytes,
            "errors": [{"path": path, "error": message} for path, message in self.errors],
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class SyncOptions:
    """How :func:`sync` decides and acts: each field is the keyword of the same name."""

    compare: Compare | str = Compare.SIZE_MTIME
    #: skip files whose destination is newer
    update: bool = False
    #: skip every file that exists at the destination
    ignore_existing: bool = False
    #: delete destination files the source does not have (after every copy succeeded)
    delete: bool = False
    max_delete: int | None = None
    allow_empty_source: bool = False
    include: Iterable[str] | str | None = None
    exclude: Iterable[str] | str | None = None
    dry_run: bool = False
    transfers: int = 4

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "compare", Compare(self.compare))
        except ValueError:
            choices = ", ".join(mode.value for mode in Compare)
            raise ValueError(f"unknown compare {self.compare!r}: use one of {choices}") from None
        if self.max_delete is not None and self.max_delete < 0:
            raise ValueError(f"max_delete must be 0 or more (got {self.max_delete})")


def plan_sync(
    source: StorageNode,
    destination: StorageNode,
    options: SyncOptions | None = None,
    **fields: Any,
) -> SyncPlan:
    """List both sides once and decide every file's fate. Changes nothing.

    ``options`` and keyword ``fields`` are :class:`SyncOptions` (fields override it)."""
    chosen = replace(options or SyncOptions(), **fields)
    accept = compile_filters(chosen.include, chosen.exclude)
    plan = SyncPlan(source, destination)
    keeps_times = destination.backend.capabilities.keeps_mtime
    source_stat = source.stat()
    refuse_overlap(source, destination, tree=source_stat.is_dir)
    if not source_stat.is_dir:
        # A single file: the destination is the target file itself.
        target_stat = destination.stat_or_none()
        if target_stat is not None and target_stat.is_dir:
            raise TransferError(f"{destination.fullpath} is a directory, {source.fullpath} a file")
        plan.source_files = 1
        item = FileTransfer(source, source_stat, destination, target_stat)
        _record(plan, item, _verdict(source_stat, target_stat, chosen, keeps_times))
        return plan

    # Entries the listings leave out are reported and never deleted: a refused name
    # cannot be told apart from the path the rules would make of it.
    def left_out(path: str, reason: str) -> None:
        plan.skips.append((path, reason))

    sources = _listing(source, accept, left_out)
    targets = _listing(destination, accept, left_out)
    plan.source_files = len(sources)
    label = f"{source.fullpath}/" if source.path else source.fullpath
    for relative in sorted(sources):
        stat = sources[relative]
        existing = targets.get(relative)
        verdict = _verdict(stat, existing, chosen, keeps_times)
        if isinstance(verdict, str) and verdict.startswith(_SKIP):
            # The common case of a re-run: decided on the stats, no nodes built.
            plan.skips.append((label + relative, verdict.removeprefix(_SKIP)))
            continue
        item = FileTransfer(
            source.listed_below(relative), stat, destination.child(relative), existing
        )
        _record(plan, item, verdict)
    if chosen.delete:
        plan.deletions = _not_through_links(plan, sorted(targets.keys() - sources))
    return plan


def _not_through_links(plan: SyncPlan, relatives: list[str]) -> list[StorageNode]:
    """The destination files to delete, less those its listing reached through a
    symlinked directory (an extra file is deleted by its own name)."""
    linked = through_links(plan.destination, relatives)
    chosen = []
    for relative in relatives:
        node = plan.destination.listed_below(relative)
        if relative in linked:
            plan.skips.append((node.fullpath, SYMLINK_ALIAS))
        else:
            chosen.append(node)
    return chosen


def sync(
    source: StorageNode,
    destination: StorageNode,
    options: SyncOptions | None = None,
    *,
    progress: TransferCallback | Callable[[int, int], Any] | None = None,
    confirm_delete: Callable[[list[StorageNode]], bool] | None = None,
    **fields: Any,
) -> SyncReport:
    """Make ``destination`` match ``source``: copy what differs, then (``delete``) prune.

    ``options`` and keyword ``fields`` are :class:`SyncOptions` (fields override it).
    Deletions happen after the copies, only if every copy succeeded, never when the
    source is empty unless ``allow_empty_source``, at most ``max_delete`` of them
    (past that the rest are reported as errors), and only if ``confirm_delete``
    (when given) accepts the list. Trees that overlap on the storage itself (one
    inside the other, through any mounts) raise :class:`~.errors.OverlappingPathsError`
    before anything is listed or changed.
    """
    chosen = replace(options or SyncOptions(), **fields)
    started = time.monotonic()
    destination.require("write")
    if chosen.delete:
        destination.require("delete")
    plan = plan_sync(source, destination, chosen)
    dry_run = chosen.dry_run
    report = SyncReport(skipped=list(plan.skips), dry_run=dry_run)
    if dry_run:
        report.copied = [item.source.fullpath for item, _why in plan.copies]
        report.bytes = sum(item.source_stat.size for item, _why in plan.copies)
        report.deleted = [node.fullpath for node in plan.deletions]
    else:
        transferred = transfer_files(
            [item for item, _why in plan.copies],
            TransferReport(source, destination),
            workers=chosen.transfers,
            progress=progress,
            preserve_mtime=True,
        )
        report.copied = sorted(transferred.copied)
        report.errors = list(transferred.errors)
        report.bytes = transferred.bytes
        for item in plan.retimes:
            if item.source_stat.mtime is not None:
                item.target.backend.set_mtime(item.target.location, item.source_stat.mtime)
        if plan.deletions:
            with batched(destination):
                _prune(plan, report, chosen, confirm_delete)
    report.seconds = time.monotonic() - started
    return report


def _prune(
    plan: SyncPlan,
    report: SyncReport,
    options: SyncOptions,
    confirm_delete: Callable[[list[StorageNode]], bool] | None,
) -> None:
    where = plan.destination.fullpath
    if report.errors:
        report.errors.append((where, "not deleting anything: some copies failed"))
        return
    if plan.source_files == 0 and not options.allow_empty_source:
        report.errors.append(
            (where, "not deleting anything: the source is empty (force to allow it)")
        )
        return
    if confirm_delete is not None and not confirm_delete(plan.deletions):
        report.errors.append((where, "deletion not confirmed"))
        return
    limit = len(plan.deletions) if options.max_delete is None else options.max_delete
    for node in plan.deletions[:limit]:
        try:
            node.delete()
        except StorageError as exc:
            report.errors.append((node.fullpath, str(exc)))
        else:
            report.deleted.append(node.fullpath)
    if len(plan.deletions) > limit:
        report.errors.append(
            (
                where,
                f"--max-delete {limit} reached: {len(plan.deletions) - limit} "
                "file(s) left undeleted",
            )
        )


def _listing(
    root: StorageNode, accept: Callable[[str], bool] | None, on_skip: OnSkip
) -> dict[str, StatResult]:
    """Files below ``root`` by relative path; a missing directory lists as empty."""
    found = root.stat_or_none()
    if found is None or not found.is_dir:
        return {}
    entries = root.walk_entries(on_skip)
    if accept is None:
        return dict(entries)
    return {relative: stat for relative, stat in entries if accept(relative)}


def _record(plan: SyncPlan, item: FileTransfer, verdict: str | tuple[str, str]) -> None:
    if isinstance(verdict, tuple):
        same, differs = verdict
        assert item.target_stat is not None
        content_matches = same_content(item.source, item.source_stat, item.target, item.target_stat)
        verdict = same if content_matches else differs
    if verdict == RETIME:
        plan.retimes.append(item)
        plan.skips.append((item.source.fullpath, "same content, mtime updated"))
    elif verdict.startswith(_SKIP):
        plan.skips.append((item.source.fullpath, verdict.removeprefix(_SKIP)))
    else:
        plan.copies.append((item, verdict))


def _verdict(
    source: StatResult,
    target: StatResult | None,
    options: SyncOptions,
    keeps_times: bool,
) -> str | tuple[str, str]:
    """A reason to copy, ``"skip:<reason>"``, or, when only the content can tell,
    the pair (verdict if the content is the same, verdict if it differs)."""
    if target is None:
        return "new"
    if options.ignore_existing:
        return "skip:exists"
    if options.update and is_newer(target, source):
        return "skip:destination newer"
    if target.size != source.size:
        return "size differs"
    if options.compare is Compare.SIZE_ONLY:
        return "skip:same size"
    if options.compare is Compare.CHECKSUM:
        return ("skip:same checksum", "checksum differs")
    # A store that cannot keep times holds the upload time: newer is current there.
    current = current_reason(source, target, newer_is_current=not keeps_times)
    if current is not None:
        return _SKIP + current
    if not keeps_times:
        return "mtime differs"
    # Times differ but the destination can keep times: as rclone does, compare the
    # content, and when it is the same only fix the time instead of copying.
    return (RETIME, "content differs")
