"""Mounts whose files are rows of a database: one row per file, its content in chunks.

Shared by the ``sqlite`` mount (core, stdlib :mod:`sqlite3`) and the Django layer's
``database`` mount (the ORM): each implements :class:`ChunkStore`, a dozen primitive
queries, and :class:`ChunkedBackend` makes a mount of them.

A write never holds a transaction for its whole length. Content that fits in one chunk
is published in one short transaction with its row. Longer content is *staged*: a row
with no path receives the chunks, one short transaction each, and the commit then, in
one short transaction, deletes the file the path named and gives the staged row the
path. A reader sees the old file or the new one; a writer killed half-way leaves a
staged row that no path names, removed by a later write once it has been idle for
:data:`STALE_AFTER` seconds. Directories are implied by paths, as in object stores.
"""

from __future__ import annotations

import errno
import hashlib
import io
import posixpath
import time
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from ..capabilities import BackendCapabilities
from .base import AtomicWriter, Backend, PhysicalLocation, StatResult
from .chunk_store import CHUNK_BYTES, STALE_AFTER, ChunkStore, FileRow
from .chunk_streams import ChunkReader, ChunkWriter, publish

if TYPE_CHECKING:
    from ..listing import OnSkip

__all__ = ["CHUNK_BYTES", "STALE_AFTER", "ChunkStore", "ChunkedBackend", "FileRow"]

_ROOT = StatResult(name="", kind="directory")


class ChunkedBackend(Backend):
    """A mount over a :class:`ChunkStore`; subclasses build :attr:`store`."""

    # Each row keeps its file's MD5 and time; directories are only implied by paths.
    declared_capabilities = BackendCapabilities(
        directories=False, keeps_mtime=True, hash_on_metadata=True
    )
    store: ChunkStore

    # -- locations ---------------------------------------------------------------------
    def locate(self, path: str) -> str:
        # The node's path is already normalised and safe; rows are keyed by it as it is.
        return path

    def relative(self, location: str) -> str:
        return location

    def physical_location(self, location: str) -> PhysicalLocation:
        return PhysicalLocation(self.store.identity(), location)

    # -- metadata ----------------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        if not location:
            return _ROOT
        row = self.store.file(location)
        if row is not None:
            return self._file_stat(row)
        if self.store.has_file_below(location + "/"):
            return StatResult(name=posixpath.basename(location), kind="directory")
        raise FileNotFoundError(errno.ENOENT, "no such file", location)

    def is_file(self, location: str) -> bool:
        return bool(location) and self.store.file(location) is not None

    @staticmethod
    def _file_stat(row: FileRow) -> StatResult:
        return StatResult(
            name=posixpath.basename(row.path),
            kind="file",
            size=row.size,
            mtime=row.mtime,
            md5=row.md5,
            etag=row.md5,
        )

    def listdir(self, location: str) -> list[StatResult]:
        if location and self.store.file(location) is not None:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", location)
        prefix = location + "/" if location else ""
        rows = self.store.files_below(prefix)
        if not rows and location:
            raise FileNotFoundError(errno.ENOENT, "no such directory", location)
        entries: dict[str, StatResult] = {}
        for row in rows:
            name, slash, _rest = row.path[len(prefix) :].partition("/")
            if slash:
                entries.setdefault(name, StatResult(name=name, kind="directory"))
            else:
                entries[name] = self._file_stat(row)
        return sorted(entries.values(), key=lambda entry: entry.name)

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        # One query for the whole tree: the paths are the listing.
        for row in self.store.files_below(location + "/" if location else ""):
            yield row.path, self._file_stat(row)

    # -- content -----------------------------------------------------------------------
    def read_bytes(self, location: str) -> bytes:
        # A file of one chunk is one query and no stream object.
        found = self.store.first_chunk(location)
        if found is None:
            raise self._missing(location)
        _file_id, size, data = found
        if size <= len(data):
            return data
        with self.open_read(location) as stream:
            return stream.read()

    def open_read(self, location: str) -> IO[bytes]:
        found = self.store.first_chunk(location)
        if found is None:
            raise self._missing(location)
        _file_id, size, data = found
        if size <= len(data):
            return io.BytesIO(data)
        snapshot = self.store.snapshot()
        try:
            if snapshot is not self.store:
                # The file may have been replaced since the first query: read it anew
                # inside the snapshot, where it cannot change any more.
                found = snapshot.first_chunk(location)
                if found is None:
                    raise self._missing(location)
        except BaseException:
            snapshot.release()
            raise
        return io.BufferedReader(ChunkReader(snapshot, location, *found), CHUNK_BYTES)

    def _missing(self, location: str) -> OSError:
        if not location or self.store.has_file_below(location + "/"):
            return IsADirectoryError(errno.EISDIR, "is a directory", location)
        return FileNotFoundError(errno.ENOENT, "no such file", location)

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        if exclusive and self.store.file(location) is not None:
            raise FileExistsError(errno.EEXIST, "already exists", location)
        return ChunkWriter(self.store, location, exclusive)

    def write_bytes(self, location: str, data: bytes) -> None:
        if len(data) > CHUNK_BYTES:
            super().write_bytes(location, data)
            return
        # The common case of small files in one transaction, without a writer object.
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        publish(self.store, location, data, len(data), digest, exclusive=False)

    # -- tree --------------------------------------------------------------------------
    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        # Nothing to create: a directory is there once a file is below it.
        if location and self.store.file(location) is not None:
            raise FileExistsError(errno.EEXIST, "already exists", location)
        if location and not exist_ok and self.store.has_file_below(location + "/"):
            raise FileExistsError(errno.EEXIST, "already exists", location)

    def remove_file(self, location: str) -> None:
        with self.store.transaction():
            row = self.store.file(location)
            if row is None:
                raise self._missing(location)
            self.store.delete_files([row.id])

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        if location and self.store.file(location) is not None:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", location)
        with self.store.transaction():
            rows = self.store.files_below(location + "/" if location else "")
            if rows and not recursive:
                raise OSError(errno.ENOTEMPTY, "directory not empty", location)
            self.store.delete_files([row.id for row in rows])

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        if not self.store.set_mtime(location, time.time() if mtime is None else mtime):
            raise self._missing(location)
        return True
