"""Refusing transfers whose source and destination share storage.

Copying a tree into itself re-reads what it writes; a move then deletes the
source, copies included; a sync with ``--delete`` prunes the source's own files.
Mount names cannot tell: a relative mount, two local mounts whose roots nest, an
``fsspec`` mount over a local directory all reach the same bytes under other
names. The decision is made on :class:`~.backends.base.PhysicalLocation`, as
rclone refuses overlapping remotes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends.base import PhysicalLocation
from .errors import OverlappingPathsError

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["overlaps", "refuse_overlap"]


def overlaps(first: PhysicalLocation, second: PhysicalLocation) -> bool:
    """True when one location is the other or holds it (whole path components)."""
    if first.store != second.store:
        return False
    shorter, longer = sorted((first.path.rstrip("/"), second.path.rstrip("/")), key=len)
    return not shorter or longer == shorter or longer.startswith(shorter + "/")


def refuse_overlap(source: StorageNode, destination: StorageNode, *, tree: bool) -> None:
    """Raise :class:`OverlappingPathsError` when ``source`` and ``destination`` share storage.

    For a ``tree`` either one holding the other is refused; for a file, only the same
    file (a writer that truncates its target would empty the source as it reads it).
    """
    where = source.backend.physical_location(source.location)
    target = destination.backend.physical_location(destination.location)
    if tree and overlaps(where, target):
        raise OverlappingPathsError(
            f"source and destination overlap: {source.fullpath} and {destination.fullpath} "
            "are on the same storage, one inside the other"
        )
    if not tree and where == target:
        raise OverlappingPathsError(
            f"source and destination overlap: {source.fullpath} and {destination.fullpath} "
            "are the same file"
        )
