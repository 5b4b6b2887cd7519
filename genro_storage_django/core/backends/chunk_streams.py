"""The writer and the reader of chunked mounts (see :mod:`.chunked`)."""

from __future__ import annotations

import errno
import hashlib
import io
import posixpath
import time
from typing import Any

from .atomic import AtomicWriter
from .chunk_store import CHUNK_BYTES, STALE_AFTER, ChunkStore

__all__ = ["ChunkReader", "ChunkWriter", "publish"]


def _ancestors(path: str) -> list[str]:
    parents = []
    while (path := posixpath.dirname(path)) != "":
        parents.append(path)
    return parents


def publish(
    store: ChunkStore,
    path: str,
    content: bytes | int,
    size: int,
    md5: str,
    *,
    exclusive: bool,
) -> None:
    """Make ``path`` the new file in one transaction: ``content`` is its only chunk, or
    the id of the staged row that holds all its chunks."""
    with store.transaction():
        old = store.file(path)
        if old is not None:
            if exclusive:
                raise FileExistsError(errno.EEXIST, "already exists", path)
            # A file was there: its parents are directories, its path no directory.
            if isinstance(content, bytes):
                # One row rewritten in place: a small file replaced costs what a raw
                # blob update does.
                store.rewrite(old.id, size, time.time(), md5, content)
                if old.size > CHUNK_BYTES:
                    store.delete_chunks(old.id)
                return
            store.delete_files([old.id])
        else:
            if store.has_file_below(path + "/"):
                raise IsADirectoryError(errno.EISDIR, "is a directory", path)
            if store.any_file(_ancestors(path)):
                raise NotADirectoryError(errno.ENOTDIR, "a parent is a file", path)
        if isinstance(content, bytes):
            store.insert_file(path, size, time.time(), md5, None, content)
        elif not store.publish(content, path, size, time.time(), md5):
            raise _abandoned(path)


def _abandoned(path: str) -> OSError:
    return OSError(
        errno.ESTALE, f"write abandoned: idle for more than {STALE_AFTER:.0f} seconds", path
    )


class ChunkWriter(AtomicWriter):
    """Buffers one chunk; a longer content is staged chunk by chunk (module docstring)."""

    def __init__(self, store: ChunkStore, path: str, exclusive: bool) -> None:
        super().__init__()
        self.store = store
        self.path = path
        self.exclusive = exclusive
        self.buffer = bytearray()
        self.digest = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self.staged: int | None = None
        #: Chunks staged so far (chunk 0 in the staged row itself).
        self.chunks = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.digest.update(view)
        self.size += len(view)
        self.buffer += view
        # Strictly more than a chunk: content of exactly one chunk stays a one-transaction write.
        while len(self.buffer) > CHUNK_BYTES:
            self._stage(bytes(self.buffer[:CHUNK_BYTES]))
            del self.buffer[:CHUNK_BYTES]
        return len(view)

    def _stage(self, data: bytes) -> None:
        now = time.time()
        if self.staged is None:
            with self.store.transaction():
                abandoned = self.store.stale_staged(now - STALE_AFTER)
                if abandoned:
                    self.store.delete_files(abandoned)
                self.staged = self.store.insert_file(None, 0, now, "", now, data)
            self.chunks = 1
            return
        with self.store.transaction():
            if not self.store.touch_staged(self.staged, now):
                raise _abandoned(self.path)
            self.store.insert_chunk(self.staged, self.chunks, data)
        self.chunks += 1

    def _commit(self) -> None:
        if self.staged is not None:
            # The last chunk goes in before the swap, so that the swap stays short.
            self._stage(bytes(self.buffer))
        publish(
            self.store,
            self.path,
            bytes(self.buffer) if self.staged is None else self.staged,
            self.size,
            self.digest.hexdigest(),
            exclusive=self.exclusive,
        )

    def _abort(self) -> None:
        if self.staged is not None:
            self.store.delete_files([self.staged])


class ChunkReader(io.RawIOBase):
    """A seekable reader of a file's chunks, one chunk in memory at a time."""

    def __init__(self, store: ChunkStore, path: str, file_id: int, size: int, first: bytes) -> None:
        super().__init__()
        self.store = store
        self.path = path
        self.file_id = file_id
        self.size = size
        self.position = 0
        self.index = 0
        self.current = first

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.size:
            return 0
        index, start = divmod(self.position, CHUNK_BYTES)
        if index != self.index:
            data = self.store.chunk(self.file_id, index)
            if data is None:
                raise OSError(errno.ESTALE, "the file was replaced while being read", self.path)
            self.index, self.current = index, data
        piece = memoryview(self.current)[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)

    def close(self) -> None:
        if not self.closed:
            self.store.release()
        super().close()
