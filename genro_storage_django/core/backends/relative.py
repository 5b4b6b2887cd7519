"""``relative`` mounts: a sub-tree of another mount (``path: "parent:sub/dir"``).

Every operation is the parent's, on the parent location of ``sub/dir/<path>``;
the parent is looked up by name on each use, so reconfiguring the parent is seen
at once. The first :class:`~.composite.CompositeBackend`: the manager gives it the
stricter of its own and its parent's permissions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from ..capabilities import BackendCapabilities
from ..config import invalid
from ..errors import StorageError
from ..listing import OnSkip, list_backend, walk_backend
from ..paths import join, normalize, split_fullpath
from .base import AtomicWriter, Backend, StatResult
from .composite import CompositeBackend
from .local_tree import DiskRoot

if TYPE_CHECKING:
    from ..config import MountContext
    from ..uploads import PresignedUpload

__all__ = ["RelativeBackend", "RelativeMountBackend"]


class RelativeBackend(CompositeBackend):
    type_name = "relative"
    required_keys = frozenset({"path"})
    parent_key = "path"
    key_aliases = {"base_path": "path"}

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.parent_name, raw = split_fullpath(options["path"])
        self.sub = normalize(raw)
        # (parent backend, its confined sub-directory): recomputed when the parent changes.
        self._disk: tuple[Backend, DiskRoot | None] | None = None

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        path = options["path"]
        try:
            if not isinstance(path, str):
                raise TypeError
            parent, raw = split_fullpath(path)
            normalize(raw)
        except (StorageError, TypeError):
            raise invalid(
                options["name"], "path", f"path must be 'parent:sub/dir' (got {path!r})"
            ) from None
        if parent == options["name"]:
            raise invalid(options["name"], "path", "a relative mount cannot be its own parent")

    @classmethod
    def parent_names(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        return (split_fullpath(options["path"])[0],)

    @property
    def parent(self) -> Backend:
        return self.parent_backend(self.parent_name)

    def resolve_location(self, location: str) -> tuple[Backend, str]:
        # A relative location is already the parent's: ask it, through any chain.
        return self.parent.resolve_location(location)

    @property
    def capabilities(self) -> BackendCapabilities:
        # Every operation is the parent's; the manager takes off what permissions forbid.
        return self.parent.capabilities

    @property
    def fs(self) -> Any:
        from fsspec.implementations.dirfs import DirFileSystem

        parent_fs = getattr(self.parent, "fs", None)
        return DirFileSystem(path=self.sub, fs=parent_fs) if parent_fs is not None else None

    def locate(self, path: str) -> str:
        location = self.parent.locate(join(self.sub, path))
        disk = self.disk_root()
        if disk is not None:
            # The parent allows any link inside its own root; this mount only inside sub.
            disk.check(path, self._disk_path(location))
        return location

    def listed_location(self, path: str) -> str | None:
        return self.parent.listed_location(join(self.sub, path))

    def disk_root(self) -> DiskRoot | None:
        """The parent's directory ``sub`` when the parent is on the local disk."""
        parent = self.parent
        cached = self._disk
        if cached is None or cached[0] is not parent:
            disk = None
            if parent.disk_root() is not None:
                disk = DiskRoot(self._disk_path(parent.locate(self.sub)), f"{self.mount_name}:")
            cached = self._disk = (parent, disk)
        return cached[1]

    def _disk_path(self, location: str) -> str:
        local = self.parent.local_file(location)
        assert local is not None, "a mount on the local disk has local files"
        return local

    def identity(self, location: str) -> Hashable | None:
        return self.parent.identity(location)

    def relative(self, location: str) -> str:
        return self._strip_sub(self.parent.relative(location))

    def _strip_sub(self, inner: str) -> str:
        if not self.sub:
            return inner
        return "" if inner == self.sub else inner.removeprefix(self.sub + "/")

    def stat(self, location: str) -> StatResult:
        return self.parent.stat(location)

    def exists(self, location: str) -> bool:
        return self.parent.exists(location)

    def is_file(self, location: str) -> bool:
        return self.parent.is_file(location)

    def listdir(self, location: str, on_skip: OnSkip | None = None) -> list[StatResult]:
        disk = self.disk_root()
        if disk is not None:
            return disk.listdir(self._disk_path(location), self.relative(location))
        # A parent that reports what its listing leaves out (an archive) reports it here too.
        return list_backend(self.parent, location, on_skip)

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        disk = self.disk_root()
        if disk is not None:
            start = self.relative(location)
            yield from disk.walk_files(
                self._disk_path(location), start + "/" if start else "", on_skip
            )
            return
        for inner, entry in walk_backend(self.parent, location, on_skip):
            yield self._strip_sub(inner), entry

    def open_read(self, location: str) -> IO[bytes]:
        return self.parent.open_read(location)

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        return self.parent.open_writer(location, exclusive=exclusive)

    def read_bytes(self, location: str) -> bytes:
        return self.parent.read_bytes(location)

    def batch_writes(self) -> contextlib.AbstractContextManager[None]:
        return self.parent.batch_writes()

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        self.parent.mkdir(location, parents=parents, exist_ok=exist_ok)

    def remove_file(self, location: str) -> None:
        self.parent.remove_file(location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        self.parent.remove_dir(location, recursive=recursive)

    def touch(self, location: str) -> None:
        self.parent.touch(location)

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        return self.parent.set_mtime(location, mtime)

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        return self.parent.url(location, join(self.sub, path), expires_in)

    def presigned_upload(
        self, location: str, *, expires_in: int, max_size: int | None, content_type: str | None
    ) -> PresignedUpload | None:
        return self.parent.presigned_upload(
            location, expires_in=expires_in, max_size=max_size, content_type=content_type
        )

    def local_file(self, location: str) -> str | None:
        return self.parent.local_file(location)

    def async_source(self, location: str) -> tuple[Any, str] | None:
        return self.parent.async_source(location)

    def invalidate(self, location: str) -> None:
        self.parent.invalidate(location)

    def describe(self) -> str:
        return f"relative ({self.parent_name}:{self.sub})"


#: genro-storage's name of the class.
RelativeMountBackend = RelativeBackend
