"""The ``fsspec`` mount type: any fsspec filesystem by protocol (sftp, zip, webdav, file...).

Over the local disk (``protocol: file``) the mount keeps to its root as a ``local``
mount does: a symlink leads nowhere outside it (see :mod:`.local_tree`), and trees
are listed, made and deleted without recursion.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import fsspec
from fsspec.implementations.local import LocalFileSystem
from fsspec.spec import AbstractFileSystem

from ..config import invalid, refuse_nul_path
from ..errors import StorageConfigError
from ..listing import OnSkip
from .base import AtomicWriter, StatResult
from .fsspec_base import FsspecBackend
from .local_tree import DiskRoot, identity, make_dir, make_dirs, remove_dir

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["GenericFsspecBackend", "wrapped_disk_error", "wraps_the_local_disk"]


def wraps_the_local_disk(fs: Any) -> bool:
    """True when ``fs`` is a wrapper (``dir``, the caches...) around a local filesystem,
    at any depth: the wrapped filesystem is its ``fs``, by fsspec's convention."""
    inner = getattr(fs, "fs", None)
    while isinstance(inner, AbstractFileSystem) and inner is not fs:
        if isinstance(inner, LocalFileSystem):
            return True
        fs, inner = inner, getattr(inner, "fs", None)
    return False


def _is_local(protocol: str) -> bool:
    try:
        return issubclass(fsspec.get_filesystem_class(protocol), LocalFileSystem)
    except (ValueError, ImportError):
        return False  # not a protocol: the wrapper's own construction says so


def wrapped_disk_error(mount_name: str, protocol: str) -> StorageConfigError:
    return invalid(
        mount_name,
        "protocol",
        f"protocol {protocol!r} wraps the local disk, where a symlink inside the root "
        "would lead out of it; for a directory on this machine use "
        "{'type': 'fsspec', 'protocol': 'file', 'path': ...} or type 'local'",
    )


class GenericFsspecBackend(FsspecBackend):
    type_name = "fsspec"
    required_keys = frozenset({"protocol"})
    optional_keys = frozenset({"path", "options"})
    key_aliases = {"base_path": "path"}

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.disk: DiskRoot | None = None
        if isinstance(self.base_fs, LocalFileSystem):
            self.disk = DiskRoot(self.root or os.sep, f"{mount_name}:")
        elif wraps_the_local_disk(self.base_fs):
            raise wrapped_disk_error(mount_name, options["protocol"])

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        protocol = options["protocol"]
        if not isinstance(protocol, str) or not protocol:
            raise invalid(options["name"], "protocol", "protocol must be a non-empty string")
        if not isinstance(options.get("options", {}), Mapping):
            raise invalid(options["name"], "options", "options must be a dict")
        refuse_nul_path(options)
        try:
            fsspec.get_filesystem_class(protocol)
        except (ValueError, ImportError) as exc:
            raise invalid(
                options["name"],
                "protocol",
                f"fsspec cannot load protocol {protocol!r}: {exc}",
                code="missing_extra",
            ) from exc
        # Reported by manage.py check too, which builds no filesystem; a wrapper given
        # its target otherwise (an fs instance) is refused when the mount is built.
        target = options.get("options", {}).get("target_protocol")
        if isinstance(target, str) and _is_local(target):
            raise wrapped_disk_error(options["name"], protocol)

    def create_filesystem(self) -> Any:
        return fsspec.filesystem(self.options["protocol"], **self.options.get("options", {}))

    def root_path(self) -> str:
        return str(self.options.get("path", ""))

    # -- the local disk: what differs from the fsspec calls ------------------------
    def locate(self, path: str) -> str:
        if self.disk is not None:
            self.disk.check(path, self.full_path(path))
        return path

    def listed_location(self, path: str) -> str | None:
        # The disk listings skip symlinks that escape: what they return is safe.
        return path if self.disk is not None else None

    def disk_root(self) -> DiskRoot | None:
        return self.disk

    def identity(self, location: str) -> tuple[int, int] | None:
        return identity(self.full_path(location)) if self.disk is not None else None

    def listdir(self, location: str) -> list[StatResult]:
        if self.disk is None:
            return super().listdir(location)
        return self.disk.listdir(self.full_path(location), location)

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        if self.disk is None:
            return super().walk_files(location, on_skip)
        prefix = f"{location}/" if location else ""
        return self.disk.walk_files(self.full_path(location), prefix, on_skip)

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        if self.disk is not None:
            self._make_parent(self.full_path(location))
        return super().open_writer(location, exclusive=exclusive)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        if self.disk is None:
            super().mkdir(location, parents=parents, exist_ok=exist_ok)
        else:
            make_dir(self.full_path(location), parents=parents, exist_ok=exist_ok)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        if self.disk is None:
            super().remove_dir(location, recursive=recursive)
        else:
            remove_dir(self.full_path(location), recursive=recursive, keep=not location)

    def _make_parent(self, full_path: str) -> None:
        if self.disk is None:
            super()._make_parent(full_path)
        elif parent := posixpath.dirname(full_path):
            make_dirs(parent, exist_ok=True)
