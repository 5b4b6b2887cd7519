"""Local disk mounts.

Hot paths call ``os`` directly rather than going through fsspec: ``exists`` on a
built node is one ``stat`` and a read is one ``open``. Locations are absolute OS
paths, checked once per node by :meth:`LocalBackend.locate` to resolve (symlinks
followed) inside the mount root. Writes are atomic: a temporary sibling is
written, fsynced (unless the mount sets ``fsync: false``) and renamed over the
target with ``os.replace`` (see :mod:`.local_writer`).
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import time
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from ..capabilities import BackendCapabilities
from ..config import invalid, refuse_nul_path
from ..listing import OnSkip
from .base import AtomicWriter, Backend, PhysicalLocation, StatResult
from .local_routed import RoutedLocalBackend, callable_shape_error
from .local_tree import DiskRoot, identity, make_dir, make_dirs, remove_dir, to_stat
from .local_writer import LocalAtomicWriter, Modes, make_durable

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["CallableRootBackend", "LocalBackend", "LocalStorage"]

#: A directory changed less than this long ago (seconds) gets no stamp: see directory_stamp.
RACY_SECONDS = 1.0


class LocalBackend(Backend):
    type_name = "local"
    required_keys = frozenset({"path"})
    optional_keys = frozenset(
        {"base_url", "fsync", "file_permissions", "directory_permissions", "within"}
    )
    key_aliases = {"base_path": "path"}
    declared_capabilities = BackendCapabilities(
        symbolic_links=True, copy_optimization=True, keeps_mtime=True, local_files=True
    )

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.disk = DiskRoot(options["path"], f"{mount_name}:")
        self.root: str = self.disk.root
        self.base_url: str | None = options.get("base_url")
        self.fsync: bool = options.get("fsync", True)
        self.modes = Modes(options.get("file_permissions"), options.get("directory_permissions"))

    @property
    def base_path(self) -> str:
        """The mount root (genro-storage's name for it)."""
        return self.root

    @functools.cached_property
    def fs(self) -> Any:
        """fsspec's local filesystem, for callers that want one (imported on first use)."""
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()

    @classmethod
    def implementation(cls, options: Mapping[str, Any]) -> type[Backend]:
        return CallableRootBackend if callable(options["path"]) else cls

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        path = options["path"]
        within = options.get("within")
        if callable(path):
            # Called on each use, never here: what it returns is checked then.
            shape = callable_shape_error(path)
            if shape is not None:
                raise invalid(options["name"], "path", shape)
            if within is not None and (
                not isinstance(within, (str, os.PathLike)) or not os.path.isabs(within)
            ):
                raise invalid(
                    options["name"], "within", f"within must be an absolute path (got {within!r})"
                )
            path = within or os.sep
        elif within is not None:
            raise invalid(options["name"], "within", "within confines a callable path only")
        if not isinstance(path, (str, os.PathLike)) or not os.path.isabs(path):
            raise invalid(
                options["name"],
                "path",
                f"path must be an absolute path (got {path!r})",
                code="not_absolute",
            )
        refuse_nul_path(options)
        base_url = options.get("base_url")
        if base_url is not None and not isinstance(base_url, str):
            raise invalid(options["name"], "base_url", "base_url must be a string")
        if not isinstance(options.get("fsync", True), bool):
            raise invalid(options["name"], "fsync", "fsync must be true or false")
        for key in ("file_permissions", "directory_permissions"):
            mode = options.get(key)
            if mode is not None and (
                isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777
            ):
                raise invalid(
                    options["name"], key, f"{key} must be a mode such as 0o644 (got {mode!r})"
                )

    # -- locations ---------------------------------------------------------------
    def locate(self, path: str) -> str:
        if not path:
            return self.root
        location = self.root + os.sep + path
        self.disk.check(path, location)
        return location

    def listed_location(self, path: str) -> str:
        # Listings skip symlinks that escape: what they return is safe as it is.
        return self.root + os.sep + path if path else self.root

    def relative(self, location: str) -> str:
        return location[len(self.root) + 1 :].replace(os.sep, "/")

    def physical_location(self, location: str) -> PhysicalLocation:
        return PhysicalLocation.on_disk(location)

    def disk_root(self) -> DiskRoot:
        return self.disk

    def identity(self, location: str) -> tuple[int, int]:
        return identity(location)

    # -- metadata ----------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        return to_stat(os.path.basename(location), os.stat(location))

    def exists(self, location: str) -> bool:
        return os.path.exists(location)

    def listdir(self, location: str) -> list[StatResult]:
        return self.disk.listdir(location, self.relative(location))

    def directory_stamp(self, location: str) -> Hashable | None:
        try:
            status = os.stat(location)
        except OSError:
            return None
        # A directory's time ticks coarsely (a jiffy, up to a second on some filesystems):
        # two changes within one tick leave it equal, so a directory changed that lately
        # gets no stamp (git's "racily clean" rule).
        if time.time() - status.st_mtime < RACY_SECONDS:
            return None
        return (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns)

    def files_among(self, location: str, names: Sequence[str]) -> list[str]:
        # A stat per name: a few names cost less than listing a directory of thousands.
        found = []
        for name in names:
            try:
                if stat.S_ISREG(os.stat(os.path.join(location, name)).st_mode):
                    found.append(name)
            except OSError:
                continue  # missing, or a name too long to exist
        return found

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        start = self.relative(location)
        return self.disk.walk_files(location, start + "/" if start else "", on_skip)

    # -- content -----------------------------------------------------------------
    def open_read(self, location: str) -> IO[bytes]:
        return open(location, "rb")

    def read_bytes(self, location: str) -> bytes:
        with open(location, "rb") as stream:
            return stream.read()

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        return LocalAtomicWriter(location, exclusive=exclusive, fsync=self.fsync, modes=self.modes)

    # -- tree ----------------------------------------------------------------------
    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        make_dir(location, parents=parents, exist_ok=exist_ok, mode=self.modes.directory)

    def remove_file(self, location: str) -> None:
        if os.path.isdir(location) and not os.path.islink(location):
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        os.unlink(location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        # The root is emptied but kept: the mount must go on existing.
        remove_dir(location, recursive=recursive, keep=location == self.root)

    @property
    def capabilities(self) -> BackendCapabilities:
        return replace(self.declared_capabilities, public_urls=self.base_url is not None)

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        when = time.time() if mtime is None else mtime
        os.utime(location, (when, when))
        return True

    # -- transfers -------------------------------------------------------------------
    def can_copy_within(self, other: Backend) -> bool:
        return isinstance(other, LocalBackend)

    def copy_within(self, source: str, target: str, other: Backend) -> None:
        assert isinstance(other, LocalBackend)
        with other.open_writer(target) as writer:
            assert isinstance(writer, LocalAtomicWriter)
            writer.copy_from(source)

    def copy_files_within(
        self, copies: Sequence[tuple[str, str, float | None]], other: Backend
    ) -> list[Exception | None]:
        """Stage every file of the batch, make them durable together, then publish them.

        A file's fsync forces a journal commit and waits for it. Here the whole batch
        is written first, then made durable at once (see :func:`~.local_writer.make_durable`), so
        it costs about one commit instead of one per file. No file is renamed into
        place before the batch is durable; a file whose copy or sync failed is
        dropped, and the others are published all the same.
        """
        assert isinstance(other, LocalBackend)
        outcomes: list[Exception | None] = [None] * len(copies)
        staged: list[tuple[int, LocalAtomicWriter]] = []
        try:
            for index, (source, target, mtime) in enumerate(copies):
                try:
                    writer = LocalAtomicWriter(target, fsync=False, modes=other.modes)
                except OSError as exc:
                    outcomes[index] = exc
                    continue
                try:
                    writer.copy_from(source)
                    if mtime is not None:
                        writer.set_mtime(mtime)
                except Exception as exc:
                    writer.abort()
                    outcomes[index] = exc
                except BaseException:
                    writer.abort()
                    raise
                else:
                    staged.append((index, writer))
            if other.fsync:
                failures = make_durable([writer for _index, writer in staged])
                for (index, writer), failure in zip(staged, failures, strict=True):
                    if failure is not None:
                        writer.abort()
                        outcomes[index] = failure
            for index, writer in staged:
                if outcomes[index] is None:
                    try:
                        writer.commit()
                    except Exception as exc:
                        outcomes[index] = exc
        finally:
            # Interrupted (KeyboardInterrupt, or an error while aborting): whatever
            # is still staged is dropped, never published.
            for _index, writer in staged:
                writer.abort()
        return outcomes

    def move_within(self, source: str, target: str, other: Backend) -> None:
        if os.path.isdir(source):
            raise IsADirectoryError(errno.EISDIR, "is a directory", source)
        assert isinstance(other, LocalBackend)  # can_copy_within() chose this path
        make_dirs(os.path.dirname(target), other.modes.directory)
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            super().move_within(source, target, other)
            return
        if other.modes.file is not None:
            # A rename keeps the source's mode: give the file the one of its new mount.
            os.chmod(target, other.modes.file)

    # -- extras --------------------------------------------------------------------
    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        if self.base_url is None:
            return None
        # The characters Django's filepath_to_uri leaves as they are: URLs of a local
        # mount match those FileSystemStorage gives for the same names.
        return self.base_url.rstrip("/") + "/" + quote(path, safe="/~!*()'")

    def local_file(self, location: str) -> str | None:
        return location

    def describe(self) -> str:
        return f"local ({self.root})"


class CallableRootBackend(RoutedLocalBackend):
    """A ``local`` mount whose ``path`` is a callable (see :mod:`.local_routed`)."""

    local_class = LocalBackend


# genro-storage's name for a local backend used on its own; defined apart (it builds a manager).
from .local_storage import LocalStorage  # noqa: E402
