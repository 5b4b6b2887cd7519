"""What a tree copy does besides copying files: choosing them, and empty directories.

The files of a tree pass the include/exclude globs, then ``filter(node, relative_path)``
(genro-storage's signature) and ``node_filter(node)``. Each file left out goes to
``on_skip(node, reason)``. A filter that raises leaves its file out too, as in
genro-storage, but never silently: with an ``on_skip`` the file is reported there and in
the report's ``skipped`` (reason ``filter error: ...``); without one it is an error of
the copy, which then raises once the other files are copied. Either way it is logged.

Empty directories of the source are made at the destination when both mounts have real
directories (local disk, memory, fsspec filesystems with directories); object stores
keep no empty directories, so there they are not copied. Finding them takes a second
listing of the source tree, a third more time for a copy of 5,000 local files that
copies nothing (``skip="size"``): ``empty_directories=False`` leaves it out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .backends.base import StatResult
from .errors import StorageError
from .reports import FileTransfer, TransferReport

if TYPE_CHECKING:
    from .copying import CopyPlan
    from .node import StorageNode

__all__ = [
    "EXCLUDED_BY_FILTER",
    "EXCLUDED_BY_GLOBS",
    "FileFilters",
    "make_empty_directories",
    "select_files",
]

logger = logging.getLogger("genro_storage_django.transfer")

#: Why a file the include/exclude globs leave out is not copied.
EXCLUDED_BY_GLOBS = "excluded by include/exclude"
#: Why a file a filter function said False to is not copied.
EXCLUDED_BY_FILTER = "excluded by filter"


@dataclass(frozen=True)
class FileFilters:
    """The filter functions of a copy: genro-storage's ``filter(node, relative_path)``
    and this project's ``node_filter(node)``; a file is copied when both say True."""

    filter: Callable[[StorageNode, str], bool] | None = None
    node_filter: Callable[[StorageNode], bool] | None = None

    def __bool__(self) -> bool:
        return self.filter is not None or self.node_filter is not None

    def refusal(self, node: StorageNode, relative: str) -> tuple[str, bool] | None:
        """None to copy ``node``; else (why not, whether a filter raised)."""
        try:
            if self.filter is not None and not self.filter(node, relative):
                return EXCLUDED_BY_FILTER, False
            if self.node_filter is not None and not self.node_filter(node):
                return EXCLUDED_BY_FILTER, False
        except Exception as exc:
            return f"filter error: {type(exc).__name__}: {exc}", True
        return None


def select_files(
    source: StorageNode,
    destination: StorageNode,
    listed: Sequence[tuple[str, StatResult]],
    existing: dict[str, StatResult],
    plan: CopyPlan,
    report: TransferReport,
) -> list[FileTransfer]:
    """The files of the walk ``listed`` (relative to ``source``) that the copy takes."""
    work: list[FileTransfer] = []
    for relative, entry in listed:
        if plan.accept and not plan.accept(relative):
            if plan.on_skip is not None:  # a node only for someone who asks
                plan.on_skip(source.listed_below(relative), EXCLUDED_BY_GLOBS)
            continue
        node = source.listed_below(relative)
        refused = plan.filters.refusal(node, relative) if plan.filters else None
        if refused is not None:
            _left_out(node, *refused, plan, report)
            continue
        work.append(FileTransfer(node, entry, destination.child(relative), existing.get(relative)))
    return work


def _left_out(
    node: StorageNode, reason: str, failed: bool, plan: CopyPlan, report: TransferReport
) -> None:
    if failed:
        logger.warning("not copied %s: %s", node.fullpath, reason)
        if plan.on_skip is None:
            report.errors.append((node.fullpath, reason))
            return
        report.skipped.append((node.fullpath, reason))
    if plan.on_skip is not None:
        plan.on_skip(node, reason)


def make_empty_directories(
    source: StorageNode, destination: StorageNode, report: TransferReport
) -> None:
    """Make at ``destination`` the directories of the tree ``source`` that hold nothing.

    A directory that holds files (or directories) comes with them; making the empty
    leaves also makes the empty directories above them. A directory that cannot be
    made is an error of the copy, reported as a file's would be.
    """
    if not (
        source.backend.capabilities.directories and destination.backend.capabilities.directories
    ):
        return
    prefix = len(source.path) + 1 if source.path else 0
    # What this walk leaves out, the walk of the files reported already: only logged here.
    for directory, dirs, files in source.walk():
        if dirs or files:
            continue
        relative = directory.path[prefix:]
        target = destination.child(relative) if relative else destination
        try:
            target.mkdir(parents=True, exist_ok=True)
        except StorageError as exc:
            report.errors.append((directory.fullpath, str(exc)))
