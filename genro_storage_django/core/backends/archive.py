"""Archive mounts: the members of one zip or tar file as a mount (see :mod:`.zip`, :mod:`.tar`).

``path`` names the archive: a file on another mount (``"backups:2026/site.zip"``) or
a local absolute path. The archive is read through that mount, so the mount may be
anything that can open a file (a local disk, a bucket); its index of members is kept
until the archive changes (its size, time or tag).

Writes never leave a half-written archive: a write goes into a copy of the archive
(new members appended to it; replaced and deleted ones dropped from it), and the copy
replaces the archive through the parent mount's own atomic writer. Every write is a
new copy, so many writes are batched: inside :meth:`ArchiveBackend.batch_writes`
(a tree copy or sync into the mount opens one) they all go into one copy, published
when the batch ends, and a copy of 10,000 files builds the archive once.

When the archive is on this machine's disk, a process holds it from the first change
of a batch to its publication (:class:`~.local_lock.FileLock`), and another process's
changes wait, then build on what it published. Elsewhere (a bucket) two processes
writing one archive each publish their own copy, and the last one wins.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import threading
import time
from abc import abstractmethod
from collections.abc import Hashable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from ..capabilities import BackendCapabilities
from ..config import invalid
from ..errors import StorageError
from ..listing import OnSkip, skipped
from ..modes import CHUNK_SIZE
from ..paths import normalize, split_fullpath
from .archive_writes import ArchiveBuilder, MemberWriter
from .base import AtomicWriter, Backend, StatResult
from .composite import CompositeBackend
from .local import LocalBackend
from .local_lock import FileLock

if TYPE_CHECKING:
    from ..config import MountContext
    from .archive_index import ArchiveIndex, Member

__all__ = ["ArchiveBackend"]


class ArchiveBackend(CompositeBackend):
    """What zip and tar mounts share: the parent file, the index, writes and batches."""

    required_keys = frozenset({"path"})
    parent_key = "path"
    # Directories are implied by member names; times are the archive's (never set); no
    # URL, no local file: members are read through the archive.
    declared_capabilities = BackendCapabilities(directories=False)

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        path = str(options["path"])
        self._local: LocalBackend | None = None
        self.parent_name: str | None = None
        if os.path.isabs(path):
            directory, self.archive_path = os.path.split(path)
            self._local = LocalBackend(mount_name, {"path": directory}, context)
        else:
            self.parent_name, raw = split_fullpath(path)
            self.archive_path = normalize(raw)
        self._lock = threading.RLock()
        # (the archive's signature, its index); the index alone is current while a batch
        # is open, as it then holds this process's unpublished writes.
        self._index: tuple[Hashable, ArchiveIndex] | None = None
        self._builder: ArchiveBuilder | None = None
        self._changes: dict[str, bool] = {}
        self._depth = 0
        # Held from the first change of a batch until it is published (local disk only).
        self._file_lock: FileLock | None = None

    # -- configuration ---------------------------------------------------------------------
    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        name, path = options["name"], options["path"]
        problem = cls._path_problem(name, path)
        if problem is None:
            problem = cls.name_problem(os.path.basename(str(path).rpartition(":")[2]))
        if problem is not None:
            raise invalid(name, "path", f"{problem} (got {path!r})", code="archive_path")

    @staticmethod
    def _path_problem(name: str, path: Any) -> str | None:
        shape = "path must be 'mount:dir/archive' or an absolute local path"
        if not isinstance(path, str) or "\x00" in path:
            return shape
        if os.path.isabs(path):
            return shape if path.endswith(("/", os.sep)) else None
        try:
            parent, raw = split_fullpath(path)
            if not normalize(raw):
                return shape
        except StorageError:
            return shape
        return "an archive mount cannot be inside itself" if parent == name else None

    @classmethod
    def name_problem(cls, filename: str) -> str | None:
        """What is wrong with the archive's file name for this format (None: nothing)."""
        return None

    @classmethod
    def parent_names(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        path = str(options["path"])
        return () if os.path.isabs(path) else (split_fullpath(path)[0],)

    # -- the format ------------------------------------------------------------------------
    @abstractmethod
    def scan(self, stream: IO[bytes]) -> list[Member]:
        """Every member of the archive read from the seekable ``stream``."""

    @abstractmethod
    def open_member(self, stream: IO[bytes], member: Member) -> IO[bytes]:
        """A reader of ``member`` that owns ``stream`` (a fresh reader of the archive)."""

    @abstractmethod
    def new_builder(self, old: IO[bytes] | None) -> ArchiveBuilder: ...

    # -- the archive file ------------------------------------------------------------------
    def archive(self) -> tuple[Backend, str]:
        """The backend holding the archive file and its location there."""
        holder = self._local or self.parent_backend(str(self.parent_name))
        return holder, holder.locate(self.archive_path)

    def _signature(self) -> Hashable:
        holder, location = self.archive()
        try:
            found = holder.stat(location)
        except FileNotFoundError:
            return None
        if found.is_dir:
            raise IsADirectoryError(errno.EISDIR, "the archive is a directory", location)
        return (found.size, found.mtime, found.etag)

    def _open_archive(self) -> IO[bytes]:
        holder, location = self.archive()
        stream = holder.open_read(location)
        if stream.seekable():
            return stream
        with stream:
            copy: IO[bytes] = tempfile.TemporaryFile(prefix="genro-storage-")  # noqa: SIM115
            shutil.copyfileobj(stream, copy, CHUNK_SIZE)
        copy.seek(0)
        return copy

    def index(self) -> ArchiveIndex:
        from .archive_index import ArchiveIndex

        with self._lock:
            if self._builder is not None and self._index is not None:
                return self._index[1]
            signature = self._signature()
            if self._index is None or self._index[0] != signature:
                members = []
                if signature is not None:
                    with self._open_archive() as stream:
                        members = self.scan(stream)
                self._index = (signature, ArchiveIndex(members))
            return self._index[1]

    # -- locations and metadata ------------------------------------------------------------
    def locate(self, path: str) -> str:
        return path

    def relative(self, location: str) -> str:
        return location

    def stat(self, location: str) -> StatResult:
        return self.index().stat(location)

    def listdir(self, location: str, on_skip: OnSkip | None = None) -> list[StatResult]:
        index = self.index()
        entries = index.listdir(location)
        self._report(index.left_out_below(location, direct=True), on_skip)
        return entries

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        index = self.index()
        if location not in index.children:
            return
        self._report(index.left_out_below(location, direct=False), on_skip)
        for member in list(index.files_below(location)):
            yield member.name, index.stat(member.name)

    def _report(self, left_out: list[tuple[str, str]], on_skip: OnSkip | None) -> None:
        for name, reason in left_out:
            skipped(on_skip, f"{self.mount_name}:{name}", reason)

    # -- reading ---------------------------------------------------------------------------
    def open_read(self, location: str) -> IO[bytes]:
        with self._lock:
            member = self._member(location)
            if member.ref is None:
                # Written in the open batch: only a published archive can be read.
                self._publish()
                member = self._member(location)
            stream = self._open_archive()
        try:
            return self.open_member(stream, member)
        except BaseException:
            stream.close()
            raise

    def _member(self, location: str) -> Member:
        index = self.index()
        member = index.files.get(location)
        if member is None:
            if location in index.children:
                raise IsADirectoryError(errno.EISDIR, "is a directory", location)
            raise FileNotFoundError(errno.ENOENT, "no such member", location)
        return member

    # -- writing ---------------------------------------------------------------------------
    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        self._check_writable(self.index(), location)
        return MemberWriter(self, location, exclusive)

    def _check_writable(self, index: ArchiveIndex, location: str) -> None:
        if location in index.children:
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        parent = location
        while "/" in parent:
            parent = parent.rpartition("/")[0]
            if parent in index.files:
                raise NotADirectoryError(errno.ENOTDIR, "a parent is a file", location)

    def commit_member(self, location: str, source: IO[bytes], *, exclusive: bool) -> None:
        """Add the content of ``source`` (read from its start) as the file ``location``."""
        from .archive_index import Member

        with self._changing() as index:
            if exclusive and location in index.files:
                raise FileExistsError(errno.EEXIST, "already exists", location)
            self._check_writable(index, location)
            size = source.seek(0, os.SEEK_END)
            source.seek(0)
            now = time.time()
            self._start().add(location, source, size, now)
            self._changes[location] = True
            index.add_file(Member(location, "file", size, now))

    def remove_file(self, location: str) -> None:
        with self._changing() as index:
            self._member(location)
            self._drop(index, [location])

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        with self._changing() as index:
            if location in index.files:
                raise NotADirectoryError(errno.ENOTDIR, "is a file", location)
            if location not in index.children:
                raise FileNotFoundError(errno.ENOENT, "no such directory", location)
            files = [member.name for member in index.files_below(location)]
            if files and not recursive:
                raise OSError(errno.ENOTEMPTY, "directory not empty", location)
            self._drop(index, files + index.directories_below(location))

    def _drop(self, index: ArchiveIndex, names: list[str]) -> None:
        if names:
            self._start()
        for name in names:
            self._changes[name] = False
            index.remove(name)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[ArchiveIndex]:
        """A change to the archive: on this machine's disk, other processes wait from the
        first change of a batch to its publication, and the change is checked against
        what they published before."""
        with self._lock:
            if self._file_lock is None:
                holder, location = self.archive()
                local = holder.local_file(location)
                lock = FileLock(local) if local is not None else None
                if lock is not None and lock.acquire():
                    self._file_lock = lock
            try:
                yield self.index()
            except BaseException:
                if self._depth == 0 or self._builder is None:
                    self._discard()  # a batch keeps what its earlier changes built
                raise
            if self._builder is None:
                self._let_go()  # nothing changed: nothing to publish
            else:
                self._publish_unless_batched()

    def _discard(self) -> None:
        builder, self._builder, self._changes, self._index = self._builder, None, {}, None
        if builder is not None:
            builder.close()
        self._let_go()

    def _let_go(self) -> None:
        lock, self._file_lock = self._file_lock, None
        if lock is not None:
            lock.release()

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        # As in object stores, directories are what the members' names imply.
        index = self.index()
        if location in index.files or (location in index.children and location and not exist_ok):
            raise FileExistsError(errno.EEXIST, "already exists", location)

    # -- batches ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def batch_writes(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                self._publish_unless_batched()

    def _start(self) -> ArchiveBuilder:
        if self._builder is None:
            old = None if self._signature() is None else self._open_archive()
            self._builder = self.new_builder(old)
        return self._builder

    def _publish_unless_batched(self) -> None:
        if self._depth == 0:
            self._publish()

    def _publish(self) -> None:
        """Write the batch's archive over the old one, through the parent's atomic writer."""
        builder, changes = self._builder, self._changes
        self._builder, self._changes, self._index = None, {}, None
        if builder is None:
            return
        try:
            built = builder.finish(changes)
            built.seek(0)
            holder, location = self.archive()
            with holder.open_writer(location) as target:
                shutil.copyfileobj(built, target, CHUNK_SIZE)
        finally:
            builder.close()
            self._let_go()

    # -- what an archive cannot do ----------------------------------------------------------
    def describe(self) -> str:
        where = self.options["path"]
        return f"{self.type_name} ({where})"
