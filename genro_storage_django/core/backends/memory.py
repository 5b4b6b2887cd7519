"""In-process memory mounts: each mount owns a private store.

fsspec's ``MemoryFileSystem`` keeps one store per process by default, so two
memory mounts would see each other's files; this subclass gives every instance
its own and is never shared through fsspec's instance cache.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Hashable, Mapping
from typing import IO, Any

from fsspec.implementations.memory import MemoryFileSystem

from ..capabilities import BackendCapabilities
from ..config import invalid, refuse_nul_path
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
    #: A directory inside the mount's own store: only a prefix, since no other mount
    #: shares the store, accepted so that genro-storage configurations load as they are.
    optional_keys = frozenset({"path"})
    key_aliases = {"base_path": "path"}
    declared_capabilities = BackendCapabilities(temporary=True, copy_optimization=True)
    writer_class = BufferedPutWriter

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        path = options.get("path", "")
        if not isinstance(path, str):
            raise invalid(options["name"], "path", f"path must be a string (got {path!r})")
        refuse_nul_path(options)

    def create_filesystem(self) -> Any:
        return PrivateMemoryFileSystem()

    def root_path(self) -> str:
        return "/" + str(self.options.get("path", "")).strip("/")

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
        # Store keys are full paths: the info's name is the mount-relative one.
        stored = self.base_fs.store.get(self.base_fs._strip_protocol(self.full_path(info["name"])))  # noqa: SLF001
        when = getattr(stored, "modified", None) or info.get("created")
        if when is None:
            return None
        # fsspec gives a file's "created" as a datetime, a listed directory's as a float.
        return when if isinstance(when, float) else when.timestamp()
