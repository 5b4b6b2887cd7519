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
import shutil
import stat as stat_module
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from ..config import invalid
from ..errors import UnsafePathError
from .base import AtomicWriter, Backend, PhysicalLocation, StatResult
from .local_writer import LocalAtomicWriter, Modes, make_directories, make_durable
from .writers import is_temp_name

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["LocalBackend"]


class LocalBackend(Backend):
    type_name = "local"
    required_keys = frozenset({"path"})
    optional_keys = frozenset({"base_url", "fsync", "file_permissions", "directory_permissions"})

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.root: str = os.path.realpath(options["path"])
        self.base_url: str | None = options.get("base_url")
        self.fsync: bool = options.get("fsync", True)
        self.modes = Modes(options.get("file_permissions"), options.get("directory_permissions"))

    @functools.cached_property
    def fs(self) -> Any:
        """fsspec's local filesystem, for callers that want one (imported on first use)."""
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        path = options["path"]
        if not isinstance(path, (str, os.PathLike)) or not os.path.isabs(path):
            raise invalid(
                options["name"],
                "path",
                f"path must be an absolute path (got {path!r})",
                code="not_absolute",
            )
        if "\0" in os.fsdecode(path):
            # The OS refuses it only when the mount is first used: say so at configuration.
            raise invalid(
                options["name"], "path", f"path holds a NUL byte ({path!r})", code="nul_in_path"
            )
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
        if self._crosses_symlink(path) and self._escapes(location):
            raise UnsafePathError(
                f"{self.mount_name}:{path} resolves outside the mount root (symlink)"
            )
        return location

    def listed_location(self, path: str) -> str:
        # Listings skip symlinks that escape: what they return is safe as it is.
        return self.root + os.sep + path if path else self.root

    def relative(self, location: str) -> str:
        return location[len(self.root) + 1 :].replace(os.sep, "/")

    def physical_location(self, location: str) -> PhysicalLocation:
        return PhysicalLocation.on_disk(location)

    def _crosses_symlink(self, path: str) -> bool:
        """Whether an existing component below the root is a symlink.

        Only then can the path lead elsewhere, so the full ``realpath`` check runs only
        then: one ``lstat`` per existing component instead of a resolution per call.
        """
        current = self.root
        for part in path.split("/"):
            current = current + os.sep + part
            try:
                mode = os.lstat(current).st_mode
            except (FileNotFoundError, NotADirectoryError):
                return False
            if stat_module.S_ISLNK(mode):
                return True
        return False

    def _escapes(self, location: str) -> bool:
        real = os.path.realpath(location)
        return real != self.root and not real.startswith(self.root + os.sep)

    # -- metadata ----------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        return _to_stat(os.path.basename(location), os.stat(location))

    def exists(self, location: str) -> bool:
        return os.path.exists(location)

    def listdir(self, location: str) -> list[StatResult]:
        entries = []
        with os.scandir(location) as scan:
            for entry in scan:
                if is_temp_name(entry.name):
                    continue
                if entry.is_symlink() and self._escapes(entry.path):
                    continue
                try:
                    entries.append(_to_stat(entry.name, entry.stat()))
                except FileNotFoundError:  # dangling symlink or deleted meanwhile
                    continue
        return entries

    def walk_files(self, location: str) -> Iterator[tuple[str, StatResult]]:
        start = self.relative(location)
        # Relative paths grow with the walk: no per-file conversion from OS paths.
        stack = [(location, start + "/" if start else "")]
        while stack:
            directory, prefix = stack.pop()
            try:
                scan = os.scandir(directory)
            except (FileNotFoundError, NotADirectoryError):
                continue
            with scan:
                for entry in scan:
                    name = entry.name
                    if is_temp_name(name):
                        continue
                    if entry.is_symlink() and self._escapes(entry.path):
                        continue
                    if entry.is_dir():
                        stack.append((entry.path, prefix + name + "/"))
                    elif entry.is_file():
                        yield prefix + name, _to_stat(name, entry.stat())

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
        if parents:
            make_directories(location, self.modes.directory, exist_ok=exist_ok)
            return
        try:
            os.mkdir(location)
        except FileExistsError:
            if not (exist_ok and os.path.isdir(location)):
                raise
        else:
            if self.modes.directory is not None:
                os.chmod(location, self.modes.directory)

    def remove_file(self, location: str) -> None:
        if os.path.isdir(location) and not os.path.islink(location):
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        os.unlink(location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        if location == self.root:
            # Empty the root but keep it: the mount must go on existing.
            entries = os.listdir(location)
            if entries and not recursive:
                raise OSError(errno.ENOTEMPTY, "directory not empty", location)
            for entry in entries:
                child = os.path.join(location, entry)
                if os.path.isdir(child) and not os.path.islink(child):
                    shutil.rmtree(child)
                else:
                    os.unlink(child)
            return
        if os.path.islink(location):
            os.unlink(location)  # the link goes, never what it points to
        elif recursive:
            shutil.rmtree(location)
        else:
            os.rmdir(location)

    @property
    def keeps_mtime(self) -> bool:
        return True

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
        make_directories(os.path.dirname(target), other.modes.directory)
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


def _to_stat(name: str, result: os.stat_result) -> StatResult:
    is_dir = stat_module.S_ISDIR(result.st_mode)
    return StatResult(
        name=name,
        kind="directory" if is_dir else "file",
        size=0 if is_dir else result.st_size,
        mtime=result.st_mtime,
        etag=f"{result.st_mtime_ns:x}-{result.st_size:x}",
    )
