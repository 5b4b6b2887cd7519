"""ZIP archives of nodes: ``node.zip()`` (a file or a whole tree) and ``iternode.zip()``;
:class:`NodeArchive` is the mixin of ``StorageNode`` that gives it ``zip`` and ``zip_to``.

Each member is streamed into the archive from its source in chunks, so an archive of a big
tree holds one chunk in memory at a time when it is written to a node or a file object with
``zip_to``; ``zip()`` gives the whole archive as bytes for small ones. Member names are the
paths the walk returned (already checked by the path rules) and are normalised again here, so
no member name is absolute or climbs out with ``..``: extracting the archive cannot write
outside the folder it is extracted into.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol, Union, cast

from .modes import CHUNK_SIZE
from .paths import normalize

if TYPE_CHECKING:
    from .manager import StorageManager
    from .node import StorageNode

__all__ = [
    "Member",
    "NodeArchive",
    "ZipTarget",
    "archive_members",
    "node_members",
    "write_zip",
]

#: Where an archive goes: a node (or its ``mount:path``), or a binary file object.
ZipTarget = Union["StorageNode", str, IO[bytes]]

#: The earliest time a ZIP entry can carry.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class Readable(Protocol):
    """What a member's content comes from: a file node or a virtual node."""

    @property
    def fullpath(self) -> str: ...
    def open(self, mode: str = "rb") -> IO[Any]: ...


@dataclass(frozen=True)
class Member:
    """One file of an archive: its name inside it, where its bytes come from, its stat."""

    name: str
    source: Readable
    mtime: float | None = None
    size: int | None = None


class NodeArchive:
    """``zip`` and ``zip_to`` of a ``StorageNode``."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by StorageNode

        @property
        def manager(self) -> StorageManager: ...

    def zip(self) -> bytes:
        """A ZIP archive of this file (under its name) or of every file below this
        directory (under their relative paths), as bytes: for big trees use :meth:`zip_to`."""
        buffer = io.BytesIO()
        self.zip_to(buffer)
        return buffer.getvalue()

    def zip_to(self, target: ZipTarget) -> None:
        """Stream the archive of :meth:`zip` into a node (written atomically) or a binary
        file object, one chunk of one file in memory at a time."""
        node = cast("StorageNode", self)  # NodeArchive is mixed into StorageNode only
        write_zip(self.manager, target, node_members(node))


def node_members(node: StorageNode, under_own_name: bool = False) -> Iterator[Member]:
    """A file as one member named by its basename; a directory as every file below it,
    named by its path relative to the directory (after ``<its name>/`` when
    ``under_own_name``)."""
    found = node.stat()
    if not found.is_dir:
        yield Member(node.basename or "content", node, found.mtime, found.size)
        return
    prefix = f"{node.basename}/" if under_own_name and node.basename else ""
    for relative, entry in node.walk_entries():
        yield Member(prefix + relative, node.listed_below(relative), entry.mtime, entry.size)


def archive_members(sources: Iterable[Any]) -> Iterator[Member]:
    """The members of an iternode's archive: each file node under its basename, each
    directory node's files under ``<directory name>/``, each virtual source as ``part-<n>``."""
    for index, source in enumerate(sources, start=1):
        if source.exists():
            yield from node_members(source, under_own_name=True)
        else:
            # A missing file fails here, when its bytes are read, naming it; a virtual one
            # (which never "exists") is read.
            yield Member(f"part-{index}", source)


def write_zip(manager: StorageManager, target: ZipTarget, members: Iterable[Member]) -> None:
    """Write a deflated ZIP of ``members`` to ``target``; a node is written atomically."""
    if isinstance(target, (str, NodeArchive)):
        # A NodeArchive is a StorageNode: the mixin is the class this module can name.
        with manager.resolve(target).open("wb") as sink:
            _write_members(sink, members)
        return
    _write_members(target, members)


def _write_members(sink: IO[bytes], members: Iterable[Member]) -> None:
    # A sink that cannot seek (a cloud upload stream) gets data descriptors: zipfile's own choice.
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        used: set[str] = set()
        for member in members:
            info = zipfile.ZipInfo(_unique(_safe_name(member.name), used), _date_time(member))
            info.compress_type = zipfile.ZIP_DEFLATED
            if member.size is not None:
                info.file_size = member.size  # lets zipfile pick ZIP64 up front for big files
            with member.source.open("rb") as source, archive.open(info, "w") as entry:
                shutil.copyfileobj(source, entry, CHUNK_SIZE)


def _safe_name(name: str) -> str:
    # Names come from checked paths; normalising again keeps that true of any caller's names.
    return normalize(name) or "content"


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``stem-2.ext``... when two sources share a basename (zipfile would
    otherwise write two entries of one name, and an extractor keeps only one)."""
    candidate, count = name, 1
    while candidate in used:
        count += 1
        stem, ext = posixpath.splitext(name)
        candidate = f"{stem}-{count}{ext}"
    used.add(candidate)
    return candidate


def _date_time(member: Member) -> tuple[int, int, int, int, int, int]:
    stamp = time.localtime(member.mtime if member.mtime is not None else time.time())
    when = (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)
    return max(when, _ZIP_EPOCH)
