"""When a destination file is current: the one rule ``copy_to(skip=...)`` and ``sync`` share.

A destination is current when its size is the source's and its modification time is
the same within :data:`MTIME_TOLERANCE` (or newer, where the caller accepts a newer
copy: a store that sets the upload time, or ``skip="mtime"``); with checksums, when
the sizes and then the MD5s match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends.base import StatResult

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["MTIME_TOLERANCE", "current_reason", "is_newer", "same_content"]

#: Modification times closer than this many seconds count as the same. Filesystems
#: keep coarse times (FAT two seconds, SMB and HTTP ``Last-Modified`` dates whole
#: seconds, some object stores whole seconds), so a tighter window would copy again
#: files that only lost their sub-second part on the way; rclone's default window is
#: the coarsest precision of the two sides for the same reason.
MTIME_TOLERANCE = 1.0


def current_reason(source: StatResult, target: StatResult, *, newer_is_current: bool) -> str | None:
    """Why ``target`` already holds ``source``'s file, judged on size and time, or None.

    Without a time on either side the size alone decides. A destination newer than the
    tolerance counts as current only when ``newer_is_current``: a sync to a disk, which
    keeps the source's times, treats a newer destination as changed.
    """
    if target.size != source.size:
        return None
    if source.mtime is None or target.mtime is None:
        return "same size"
    difference = target.mtime - source.mtime
    if abs(difference) < MTIME_TOLERANCE:
        return "same size and mtime"
    if difference > 0 and newer_is_current:
        return "same size, uploaded after the source changed"
    return None


def is_newer(target: StatResult, source: StatResult) -> bool:
    """Whether ``target`` is newer than ``source`` by at least the tolerance."""
    return (
        target.mtime is not None
        and source.mtime is not None
        and target.mtime - source.mtime >= MTIME_TOLERANCE
    )


def same_content(
    source: StorageNode, source_stat: StatResult, target: StorageNode, target_stat: StatResult
) -> bool:
    """Whether the MD5s match: the backend's where it is a true MD5, else streamed.

    Callers compare sizes first, so files of different sizes are never read.
    """
    return (source_stat.md5 or source.md5hash()) == (target_stat.md5 or target.md5hash())
