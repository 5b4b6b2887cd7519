"""The shared implementation of every backend that sits on an fsspec filesystem.

The mount root is applied by fsspec's own ``DirFileSystem``, so a backend's
``fs`` (what ``manager.get_backend(name).fs`` returns) is already confined to the
mount and its paths are the mount-relative ones. Locations are those paths.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import re
import time
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any, ClassVar

from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem

from ..capabilities import BackendCapabilities
from ..listing import OnSkip
from ..paths import is_temp_name
from .base import AtomicWriter, Backend, Kind, PhysicalLocation, StatResult, to_timestamp
from .writers import TempRenameWriter, temp_sibling

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["FsspecBackend", "has_glob"]

_GLOB = re.compile(r"[*?\[]")


def has_glob(path: str) -> bool:
    """True when fsspec would read ``path`` as a glob pattern in ``rm``/``copy``/``mv``.

    Those calls expand such paths instead of using them literally, so deleting a
    directory named ``t*`` would delete ``t1`` and ``tX``: names like these must go
    through the single-path calls (``rm_file``, ``cp_file``) that never expand.
    """
    return _GLOB.search(path) is not None


class FsspecBackend(Backend):
    """A backend over ``DirFileSystem(root, base_filesystem)``."""

    # Two mounts on one fsspec filesystem copy between them with its own ``cp_file``.
    declared_capabilities = BackendCapabilities(copy_optimization=True)
    writer_class: ClassVar[type[AtomicWriter]] = TempRenameWriter
    #: Extra ``fs.open(..., "rb")`` arguments (block size, cache type) for streaming reads.
    read_options: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.base_fs = self.create_filesystem()
        # _strip_protocol: fsspec's classmethod for exactly this, meant for its users.
        stripped = self.base_fs._strip_protocol(self.root_path())  # noqa: SLF001
        self.root: str = stripped.rstrip("/")
        # DirFileSystem treats an empty path as "not given": "/" means the whole fs.
        self.fs = DirFileSystem(path=self.root or "/", fs=self.base_fs)

    # -- what subclasses provide ----------------------------------------------
    def create_filesystem(self) -> Any:
        raise NotImplementedError

    def root_path(self) -> str:
        """The mount root inside the base filesystem."""
        return ""

    # -- locations ---------------------------------------------------------------
    def locate(self, path: str) -> str:
        return path

    def relative(self, location: str) -> str:
        return location

    def full_path(self, location: str) -> str:
        """The path in the base filesystem (for server-side copies between mounts)."""
        if not location:
            return self.root
        return f"{self.root}/{location}" if self.root else location

    def physical_location(self, location: str) -> PhysicalLocation:
        local = self.local_file(location)
        if local is not None:
            return PhysicalLocation.on_disk(local)
        return PhysicalLocation(self.store_identity(), self.full_path(location).strip("/"))

    def store_identity(self) -> Hashable:
        """What tells this storage system apart from others (not the mount root).

        The protocol and the filesystem's arguments: mounts made with equal arguments
        reach the same system (fsspec's own ``memory`` protocol is one store per
        process). Object stores override it to leave credentials out, since two sets
        of keys can reach one bucket.
        """
        return (self.protocol_name, repr(sorted(self.base_fs.storage_options.items())))

    @property
    def protocol_name(self) -> str:
        protocol = self.base_fs.protocol
        return protocol if isinstance(protocol, str) else str(protocol[0])

    # -- metadata --------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        return self.to_stat(self.fs.info(location), location)

    def exists(self, location: str) -> bool:
        return bool(self.fs.exists(location))

    def listdir(self, location: str) -> list[StatResult]:
        entries = self.fs.ls(location, detail=True)
        if len(entries) == 1 and entries[0].get("type") != "directory":
            only = self._strip(entries[0]["name"])
            if only == location:
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", location)
        if not entries and location and not self.fs.isdir(location):
            raise FileNotFoundError(errno.ENOENT, "no such directory", location)
        result = []
        for info in entries:
            path = self._strip(info["name"])
            if path == location or is_temp_name(posixpath.basename(path)):
                continue
            result.append(self.to_stat(info, path))
        return result

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        if location and not self.fs.isdir(location):
            return
        found = self.fs.find(location, detail=True)
        for name, info in found.items():
            path = self._strip(name)
            if info.get("type") == "directory" or is_temp_name(posixpath.basename(path)):
                continue
            yield self.relative(path), self.to_stat(info, path)

    def to_stat(self, info: Mapping[str, Any], location: str) -> StatResult:
        """Turn an fsspec info dict into a StatResult; backends add their own fields."""
        kind: Kind = "directory" if info.get("type") == "directory" else "file"
        return StatResult(
            name=posixpath.basename(self.relative(location).rstrip("/")),
            kind=kind,
            size=int(info.get("size") or 0) if kind == "file" else 0,
            mtime=self._mtime(info),
            etag=self._etag(info),
            md5=self._md5(info),
            content_type=self._content_type(info),
            extra=info,
        )

    def _mtime(self, info: Mapping[str, Any]) -> float | None:
        for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
            value = info.get(key)
            if value is not None:
                return to_timestamp(value)
        return None

    def _etag(self, info: Mapping[str, Any]) -> str | None:
        value = info.get("ETag") or info.get("etag")
        return str(value).strip('"') if value else None

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        return None

    def _content_type(self, info: Mapping[str, Any]) -> str | None:
        value = info.get("ContentType") or info.get("contentType") or info.get("content_type")
        return str(value) if value else None

    def _strip(self, name: str) -> str:
        """An fsspec result name made mount-relative (DirFileSystem already did most)."""
        return name.strip("/")

    # -- content ---------------------------------------------------------------
    def open_read(self, location: str) -> IO[bytes]:
        if self.fs.isdir(location):
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        return self.fs.open(location, "rb", **self.read_options)  # type: ignore[no-any-return]

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        return self.writer_class(self.fs, location, exclusive=exclusive)  # type: ignore[call-arg]

    def read_bytes(self, location: str) -> bytes:
        return self.fs.cat_file(location)  # type: ignore[no-any-return]

    # -- tree ------------------------------------------------------------------
    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        if self.fs.exists(location):
            if exist_ok and self.fs.isdir(location):
                return
            raise FileExistsError(errno.EEXIST, "already exists", location)
        parent = posixpath.dirname(location)
        real_parent = self.declared_capabilities.directories
        if parent and not parents and real_parent and not self.fs.isdir(parent):
            raise FileNotFoundError(errno.ENOENT, "parent directory missing", location)
        self.fs.makedirs(location, exist_ok=True)

    def remove_file(self, location: str) -> None:
        if not self.fs.isfile(location):
            if self.fs.isdir(location):
                raise IsADirectoryError(errno.EISDIR, "is a directory", location)
            raise FileNotFoundError(errno.ENOENT, "no such file", location)
        self.fs.rm_file(location)
        self.invalidate(location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        if not recursive and self.fs.ls(location, detail=False):
            raise OSError(errno.ENOTEMPTY, "directory not empty", location)
        if recursive and has_glob(self.full_path(location)):
            self._remove_tree_literally(location)
        elif recursive:
            self.fs.rm(location, recursive=True)
        elif self.declared_capabilities.directories or self.fs.exists(location):
            self.fs.rmdir(location)
        self.invalidate(location)

    def _remove_tree_literally(self, location: str) -> None:
        """Delete a tree whose path holds glob characters, one literal path at a time."""
        found = self.fs.find(location, withdirs=True, detail=True)
        directories = [location]
        for name, info in found.items():
            if info.get("type") == "directory":
                directories.append(name)
            else:
                self.fs.rm_file(name)
        if self.declared_capabilities.directories:
            for directory in sorted(set(directories), key=len, reverse=True):
                # Implicit in some stores (memory): gone with its files.
                with contextlib.suppress(FileNotFoundError):
                    self.fs.rmdir(directory)

    # -- transfers -------------------------------------------------------------
    def can_copy_within(self, other: Backend) -> bool:
        """Same storage system and same credentials: the source's client can copy there.

        fsspec hands out one instance per set of arguments (per thread), so equal
        arguments usually mean the same object; comparing them also covers mounts
        made in different threads.
        """
        if not isinstance(other, FsspecBackend):
            return False
        mine, theirs = self.base_fs, other.base_fs
        if mine is theirs:
            return True
        try:
            return type(mine) is type(theirs) and bool(
                mine.storage_options == theirs.storage_options
            )
        except Exception:  # options that cannot be compared: assume different stores
            return False

    def copy_within(self, source: str, target: str, other: Backend) -> None:
        assert isinstance(other, FsspecBackend)
        destination = other.full_path(target)
        if issubclass(other.writer_class, TempRenameWriter):
            # A plain filesystem shows a copy while it grows: copy beside, then rename.
            self._make_parent(destination)
            temporary = temp_sibling(destination)
            try:
                self.base_fs.cp_file(self.full_path(source), temporary)
                self.base_fs.mv(temporary, destination)
            except BaseException:
                if self.base_fs.exists(temporary):
                    self.base_fs.rm_file(temporary)
                raise
        else:
            # cp_file, not copy(): copy() reads glob characters in the name as a pattern.
            self.base_fs.cp_file(self.full_path(source), destination)
        other.invalidate(target)

    def move_within(self, source: str, target: str, other: Backend) -> None:
        assert isinstance(other, FsspecBackend)
        destination = other.full_path(target)
        if other.declared_capabilities.directories:
            self._make_parent(destination)
        origin = self.full_path(source)
        if has_glob(origin) or has_glob(destination):
            # mv() would expand the names as patterns: copy and delete literally.
            self.base_fs.cp_file(origin, destination)
            self.base_fs.rm_file(origin)
        else:
            self.base_fs.mv(origin, destination)
        self.invalidate(source)
        other.invalidate(target)

    def _make_parent(self, full_path: str) -> None:
        parent = posixpath.dirname(full_path)
        if parent:
            self.base_fs.makedirs(parent, exist_ok=True)

    def local_file(self, location: str) -> str | None:
        if isinstance(self.base_fs, LocalFileSystem):
            return self.full_path(location)
        return None

    @property
    def capabilities(self) -> BackendCapabilities:
        if isinstance(self.base_fs, LocalFileSystem):
            # Files on this machine's disk: real paths, settable times, links inside the root.
            return replace(
                self.declared_capabilities, keeps_mtime=True, local_files=True, symbolic_links=True
            )
        return self.declared_capabilities

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        local = self.local_file(location)
        if local is None:
            return False
        when = time.time() if mtime is None else mtime
        os.utime(local, (when, when))
        return True

    def async_source(self, location: str) -> tuple[Any, str] | None:
        """(async filesystem, path) for reading without threads, when fsspec has one."""
        if getattr(self.base_fs, "async_impl", False):
            return self.base_fs, self.full_path(location)
        return None

    def invalidate(self, location: str) -> None:
        cache = getattr(self.base_fs, "dircache", None)
        if cache is not None and not getattr(cache, "use_listings_cache", True):
            return  # nothing is ever cached: nothing to forget (the object stores' default)
        # Every ancestor too: a new or deleted file changes its parents' listings, and
        # not every filesystem (adlfs) drops those when told about the file.
        path = self.full_path(location)
        while True:
            self.base_fs.invalidate_cache(path)
            parent = posixpath.dirname(path)
            if not parent or parent == path:
                break
            path = parent

    def describe(self) -> str:
        return f"{self.type_name} ({self.protocol_name}://{self.root})"
