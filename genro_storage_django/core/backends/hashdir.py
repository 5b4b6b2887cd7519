"""``hashdir`` mounts: a local tree whose files are spread over hashed fan-out directories.

``{"type": "hashdir", "path": "/srv/objects", "levels": 2}`` keeps ``docs/q3.pdf`` as
``/srv/objects/ab/cd/<sha256 of the path>`` (see :mod:`.hashdir_tree`), so no directory
holds more than a share of the files however many there are; nodes, listings and walks
still use the logical paths. Reading, writing or deleting a file by its path costs what
it costs on a ``local`` mount; a directory is a small marker, so telling one exists is
one ``stat`` too. Listings and walks read the whole index (one small name file per
entry): the layout is for stores used by path, not for browsing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from ..capabilities import BackendCapabilities
from ..config import invalid, refuse_nul_path
from ..listing import UNSAFE_NAME, OnSkip, skipped
from .base import AtomicWriter, Backend, PhysicalLocation, StatResult
from .hashdir_tree import HashLayout, Listed
from .local_tree import to_stat
from .local_writer import LocalAtomicWriter

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["HashdirBackend"]

_DIRECTORY = StatResult(name="", kind="directory")


class HashdirBackend(Backend):
    type_name = "hashdir"
    required_keys = frozenset({"path"})
    optional_keys = frozenset({"levels", "fsync"})
    # No local files: a program writing a new file under its hashed name would leave it
    # out of the index, so local_path() works on a copy (and the file views stream).
    declared_capabilities = BackendCapabilities(keeps_mtime=True)

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.root = os.path.realpath(options["path"])
        self.levels: int = options.get("levels", 2)
        self.fsync: bool = options.get("fsync", True)
        self.layout = HashLayout(self.root, self.levels)

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        path = options["path"]
        if not isinstance(path, (str, os.PathLike)) or not os.path.isabs(path):
            raise invalid(
                options["name"], "path", f"path must be an absolute path (got {path!r})",
                code="not_absolute",
            )  # fmt: skip
        refuse_nul_path(options)
        levels = options.get("levels", 2)
        if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 4:
            raise invalid(options["name"], "levels", f"levels must be 1 to 4 (got {levels!r})")
        if not isinstance(options.get("fsync", True), bool):
            raise invalid(options["name"], "fsync", "fsync must be true or false")

    # -- locations: the logical paths themselves -----------------------------------------
    def locate(self, path: str) -> str:
        return path

    def relative(self, location: str) -> str:
        return location

    def physical_location(self, location: str) -> PhysicalLocation:
        return PhysicalLocation(("hashdir", self.root), location)

    def _content(self, location: str) -> str:
        return self.layout.place(location)

    def _is_dir(self, location: str) -> bool:
        if not location:
            return True
        return os.path.exists(self.layout.name_file(self.layout.place(location + "/")))

    # -- metadata ------------------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        try:
            return to_stat(posixpath.basename(location), os.stat(self._content(location)))
        except FileNotFoundError:
            if self._is_dir(location):
                return StatResult(name=posixpath.basename(location), kind="directory")
            raise

    def listdir(self, location: str, on_skip: OnSkip | None = None) -> list[StatResult]:
        self._require_dir(location)
        prefix = f"{location}/" if location else ""
        found = []
        for entry in self._entries(on_skip if not location else None):
            name = entry.path[len(prefix) :]
            if entry.path.startswith(prefix) and name and "/" not in name:
                with contextlib.suppress(FileNotFoundError):  # deleted since the scan
                    found.append(self._stat_of(entry, name))
        return found

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        prefix = f"{location}/" if location else ""
        for entry in self._entries(on_skip if not location else None):
            if entry.content is not None and entry.path.startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    yield entry.path, self._stat_of(entry, posixpath.basename(entry.path))

    def _entries(self, on_skip: OnSkip | None) -> list[Listed]:
        """The index, read whole; name files naming no safe path of their place are
        reported (at the root: they tell nothing of where they belong)."""
        entries = []
        for entry, refused in self.layout.scan():
            if entry is None:
                skipped(on_skip, f"{self.mount_name}:{refused}", UNSAFE_NAME)
            else:
                entries.append(entry)
        return entries

    @staticmethod
    def _stat_of(entry: Listed, name: str) -> StatResult:
        if entry.content is None:
            return StatResult(name=name, kind="directory")
        return to_stat(name, os.stat(entry.content))

    def _require_dir(self, location: str) -> None:
        if not self._is_dir(location):
            if os.path.exists(self._content(location)):
                raise NotADirectoryError(errno.ENOTDIR, "is a file", location)
            raise FileNotFoundError(errno.ENOENT, "no such directory", location)

    # -- content -------------------------------------------------------------------------
    def open_read(self, location: str) -> IO[bytes]:
        try:
            return open(self._content(location), "rb")
        except FileNotFoundError:
            if self._is_dir(location):
                raise IsADirectoryError(errno.EISDIR, "is a directory", location) from None
            raise

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        if self._is_dir(location):
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        self._refuse_file_above(location)
        content = LocalAtomicWriter(self._content(location), exclusive=exclusive, fsync=self.fsync)
        return _HashdirWriter(self, location, content)

    def _refuse_file_above(self, location: str) -> None:
        parent = posixpath.dirname(location)
        while parent:
            if os.path.exists(self._content(parent)):
                raise NotADirectoryError(errno.ENOTDIR, "a parent is a file", location)
            parent = posixpath.dirname(parent)

    def publish_names(self, location: str) -> None:
        """Record the directories above ``location`` and its own name, before its content."""
        parents = []
        parent = posixpath.dirname(location)
        while parent:
            parents.append(parent + "/")
            parent = posixpath.dirname(parent)
        for name in [*reversed(parents), location]:
            self._write_name(name)

    def _write_name(self, logical: str) -> None:
        name_file = self.layout.name_file(self.layout.place(logical))
        encoded = logical.encode("utf-8", "surrogateescape")
        with contextlib.suppress(FileNotFoundError), open(name_file, "rb") as stream:
            if stream.read() == encoded:
                return
        with LocalAtomicWriter(name_file, fsync=self.fsync) as writer:
            writer.write(encoded)

    # -- tree ----------------------------------------------------------------------------
    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        if os.path.exists(self._content(location)) or (self._is_dir(location) and not exist_ok):
            raise FileExistsError(errno.EEXIST, "already exists", location)
        parent = posixpath.dirname(location)
        if not (parents or self._is_dir(parent)):
            self._require_dir(parent)
        self._refuse_file_above(location)
        if location:
            self.publish_names(location + "/")

    def remove_file(self, location: str) -> None:
        content = self._content(location)
        if not os.path.exists(content) and self._is_dir(location):
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        os.unlink(content)  # content first: a name left alone is no entry
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.layout.name_file(content))

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        self._require_dir(location)
        prefix = f"{location}/" if location else ""
        below = [entry for entry in self._entries(None) if entry.path.startswith(prefix)]
        if below and not recursive:
            raise OSError(errno.ENOTEMPTY, "directory not empty", location)
        for entry in below:
            if entry.content is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.remove_file(entry.path)
        directories = [entry.path for entry in below if entry.content is None]
        if location:
            directories.append(location)
        for directory in sorted(directories, key=len, reverse=True):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.layout.name_file(self.layout.place(directory + "/")))

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        content = self._content(location)
        if not os.path.isfile(content):
            return False
        os.utime(content, None if mtime is None else (mtime, mtime))
        return True

    def describe(self) -> str:
        return f"hashdir ({self.root}, {self.levels} levels)"


class _HashdirWriter(AtomicWriter):
    """The content's own atomic writer; on commit the names are recorded first."""

    def __init__(self, backend: HashdirBackend, location: str, content: AtomicWriter) -> None:
        super().__init__()
        self._backend = backend
        self._location = location
        self._content = content

    def write(self, data: Any) -> int:
        return self._content.write(data)

    def _commit(self) -> None:
        self._backend.publish_names(self._location)
        self._content.commit()

    def _abort(self) -> None:
        self._content.abort()
