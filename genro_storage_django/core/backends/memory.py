"""In-process memory mounts: each mount owns a private store.

fsspec's ``MemoryFileSystem`` keeps one store per process by default, so two
memory mounts would see each other's files; this subclass gives every instance
its own and is never shared through fsspec's instance cache.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Hashable
from typing import IO, Any

from fsspec.implementations.memory import MemoryFileSystem

from .base import Backend
from .fsspec_base import FsspecBackend
from .writers import BufferedPutWriter

__all__ = ["MemoryBackend"]


class PrivateMemoryFileSystem(MemoryFileSystem):  # type: ignore[misc]
    cachable = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store: dict[str, Any] = {}
        self.pseudo_dirs: list[str] = [""]


class MemoryBackend(FsspecBackend):
    type_name = "memory"
    writer_class = BufferedPutWriter

    def create_filesystem(self) -> Any:
        return PrivateMemoryFileSystem()

    def store_identity(self) -> Hashable:
        return ("memory", id(self.base_fs))

    def can_copy_within(self, other: Backend) -> bool:
        # Two stores built with the same (empty) arguments are still two stores: a copy
        # made by this one's filesystem would land in its own store, not in ``other``.
        return isinstance(other, MemoryBackend) and other.base_fs is self.base_fs

    def open_read(self, location: str) -> IO[bytes]:
        # The store keeps one BytesIO per file: hand out a private copy so two
        # readers never share a position.
        return io.BytesIO(self.read_bytes(location))

    def read_bytes(self, location: str) -> bytes:
        try:
            return super().read_bytes(location)
        except FileNotFoundError:
            # fsspec reports a directory read as a file as missing; say what it is, as
            # local mounts do (asked only on failure: a read costs no extra lookup).
            if self.fs.isdir(location):
                raise IsADirectoryError(errno.EISDIR, "is a directory", location) from None
            raise

    def _mtime(self, info: Any) -> float | None:
        stored = self.base_fs.store.get(info["name"])
        when = getattr(stored, "modified", None) or info.get("created")
        return when.timestamp() if when is not None else None
