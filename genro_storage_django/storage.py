"""``MountStorage``: a Django ``Storage`` on one mount of ``settings.STORAGE_MOUNTS``.

The storage holds only the mount's name. Each call looks the mount up in the
current manager (:func:`genro_storage_django.conf.get_manager`), so
``override_settings`` switches it and migrations never touch the storage system.
Every name goes through the core's path normaliser: an unsafe one raises
``SuspiciousFileOperation``.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import IO, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import connections
from django.db.models.fields.files import FieldFile
from django.utils.deconstruct import deconstructible

from . import conf
from .core import StorageManager, StorageNode, StorageNotFoundError, normalize
from .core.backends.base import to_timestamp
from .core.datastore import DataStore
from .core.manager import Mount
from .core.paths import is_valid_mount_name, join

__all__ = ["MountFile", "MountStorage", "UrlBuilder", "mount", "node_for", "set_url_builder"]

#: ``builder(node)`` returns the URL of ``node`` or None to fall back to the mount's own.
UrlBuilder = Callable[[StorageNode], "str | None"]

_LISTED_DIRECTORIES_MAX = 4096


def set_url_builder(builder: UrlBuilder | None) -> None:
    """Install the function ``MountStorage.url()`` asks first (None removes it).

    This is the extension point of the file-serving views: they install a builder
    that returns their URL (signed where the mount's ``serve`` option asks for it)
    for the mounts they serve, and None for the others. Without a builder, or when
    it returns None, the URL is the mount's own: ``base_url`` + name on local
    mounts, a presigned URL on private cloud mounts, a plain one on public ones.
    """
    MountStorage.url_builder = builder


class MountFile(File):  # type: ignore[type-arg]
    """A Django ``File`` streaming from (or atomically writing to) a node."""

    def __init__(self, node: StorageNode, mode: str = "rb") -> None:
        self.node = node
        super().__init__(node.open(mode), name=node.path)
        self.mode = mode

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> MountFile:
        """Rewind when open, else reopen the node (a storage name is not a local path)."""
        if not self.closed:
            self.seek(0)
        else:
            self.mode = mode or self.mode
            self.file = self.node.open(self.mode)
        return self


@deconstructible(path="genro_storage_django.storage.MountStorage")
class MountStorage(Storage):
    """Django storage on the mount named ``mount`` (``MountStorage(mount="uploads")``)."""

    #: Set through :func:`set_url_builder` (the file-serving views' extension point).
    url_builder: ClassVar[UrlBuilder | None] = None

    def __init__(self, *, mount: str | None = None, **options: Any) -> None:
        if options:
            raise ImproperlyConfigured(
                f"MountStorage: unknown option(s) {', '.join(sorted(options))}; "
                "the only option is 'mount' (per-mount options go in STORAGE_MOUNTS)"
            )
        if not is_valid_mount_name(mount):
            raise ImproperlyConfigured(
                f"MountStorage needs the name of a mount of settings.STORAGE_MOUNTS "
                f"as its 'mount' option (got {mount!r})"
            )
        self.mount_name: str = str(mount)
        # Directories listdir() saw on object stores, as (backend id, path): see exists().
        self._listed_directories: set[tuple[int, str]] = set()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MountStorage):
            return NotImplemented
        return self.mount_name == other.mount_name

    def __hash__(self) -> int:
        return hash((MountStorage, self.mount_name))

    def __repr__(self) -> str:
        return f"MountStorage(mount={self.mount_name!r})"

    # -- the core ------------------------------------------------------------------
    @property
    def manager(self) -> StorageManager:
        return conf.get_manager()

    def get_mount(self) -> Mount:
        """The mount as currently configured (ImproperlyConfigured if it is gone)."""
        return self._lookup(conf.get_manager())

    def node(self, name: str | os.PathLike[str] = "") -> StorageNode:
        """The core's node for ``name``: stream, copy or inspect it directly."""
        manager = conf.get_manager()
        return manager.node_class(manager, self._lookup(manager), normalize(name))

    def _lookup(self, manager: StorageManager) -> Mount:
        try:
            return manager.get_mount(self.mount_name)
        except StorageNotFoundError:
            raise ImproperlyConfigured(
                f"MountStorage: settings.STORAGE_MOUNTS has no mount {self.mount_name!r}"
            ) from None

    # -- reading and writing -------------------------------------------------------
    def _open(self, name: str, mode: str = "rb") -> MountFile:
        return MountFile(self.node(name), mode)

    def _save(self, name: str, content: IO[Any]) -> str:
        """Stream the content's chunks into the node's atomic writer.

        Text chunks are written as UTF-8. Without ``file_overwrite`` the create is
        exclusive where that is cheap (mounts with real directories): a name taken
        since get_available_name() chose it gets another name. Object stores rely on
        get_available_name()'s check alone (one request, as django-storages): two
        uploads racing for one new name, the last wins.
        """
        node = self.node(name)
        backend = node.backend
        exclusive = backend.capabilities.directories and not conf.file_overwrite(node.mount)
        chunks = content.chunks if isinstance(content, File) else File(content).chunks
        _release_idle_connections(content)
        while True:
            try:
                with node.open("xb" if exclusive else "wb") as target:
                    # chunks() without a size: subclasses may override it without one.
                    for chunk in chunks():
                        # Text content (ContentFile("..."), StringIO, a file opened in
                        # text mode) is stored as UTF-8, as Django's own storages do.
                        target.write(chunk.encode() if isinstance(chunk, str) else chunk)
            except FileExistsError:
                # Taken between get_available_name() and now: pick another name.
                other = self.get_available_name(node.path)
                if other == node.path:
                    raise
                node = self.node(other)
                continue
            _consume_temporary_file(content)
            return node.path

    def delete(self, name: str) -> None:
        if not name:
            raise ValueError("The name must be given to delete().")
        self.node(name).delete()

    # -- names -------------------------------------------------------------------------
    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        dirname, basename = posixpath.split(str(filename).replace("\\", "/"))
        return join(normalize(dirname), self.get_valid_name(basename))

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """Django's rule (a new name while taken), or the name itself on
        ``file_overwrite`` mounts, truncated to ``max_length`` either way."""
        name = normalize(str(name).replace("\\", "/"))
        if not conf.file_overwrite(self.get_mount()):
            return super().get_available_name(name, max_length)
        if max_length is None or len(name) <= max_length:
            return name
        dirname, basename = posixpath.split(name)
        ext = "".join(PurePosixPath(basename).suffixes)
        root = basename.removesuffix(ext)
        cut = len(name) - max_length
        if cut >= len(root):
            raise SuspiciousFileOperation(
                f'Storage can not find an available filename for "{name}". Please make sure '
                'that the corresponding file field allows sufficient "max_length".'
            )
        return posixpath.join(dirname, root[:-cut] + ext)

    # -- metadata -------------------------------------------------------------------
    def exists(self, name: str) -> bool:
        """Whether ``name`` is taken.

        On object stores a "directory" is only a key prefix, and a file can still be
        saved at its name, so Django's contract ("False if the name is available for a
        new file") makes ``exists`` a question about files: one HEAD request. A prefix
        that :meth:`listdir` just reported as a directory counts too, which is what
        ``collectstatic --clear`` needs to walk the tree. On local disk a dangling
        symlink counts as taken: saving over it would fail, so another name is chosen.
        """
        node = self.node(name)
        backend = node.backend
        if backend.capabilities.directories or not node.path:
            local = backend.local_file(node.location)  # located once, kept by the node
            # A dangling symlink still holds its name: lexists, as FileSystemStorage.
            return node.exists() if local is None else os.path.lexists(local)
        return node.is_file() or (id(node.backend), node.path) in self._listed_directories

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        node = self.node(path)
        directories: list[str] = []
        files: list[str] = []
        for child, entry in node.scandir():
            (directories if entry.is_dir else files).append(child.basename)
        if directories and not node.backend.capabilities.directories:
            seen = self._listed_directories
            if len(seen) > _LISTED_DIRECTORIES_MAX:
                seen.clear()
            seen.update((id(node.backend), join(node.path, name)) for name in directories)
        return directories, files

    def size(self, name: str) -> int:
        return self.node(name).size()

    def path(self, name: str) -> str:
        """The real file path on local mounts; NotImplementedError elsewhere (Django's rule)."""
        node = self.node(name)
        backend = node.backend
        local = backend.local_file(backend.locate(node.path))
        if local is None:
            raise NotImplementedError("This backend doesn't support absolute paths.")
        return local

    def url(self, name: str | None) -> str:
        node = self.node(name or "")
        builder = MountStorage.url_builder
        if builder is not None:
            built = builder(node)
            if built is not None:
                return built
        url = node.url()
        if url is None:
            raise ValueError(
                f"mount {node.mount_name!r} gives no URLs: set its base_url, or serve it "
                "through the package's views"
            )
        return url

    def get_modified_time(self, name: str) -> datetime:
        mtime = self.node(name).stat().mtime
        if mtime is None:
            raise NotImplementedError(f"mount {self.mount_name!r} reports no modification time")
        return _datetime(mtime)

    def get_created_time(self, name: str) -> datetime:
        local = self._local_stat(name)
        if local is not None:
            return _datetime(local.st_ctime)
        extra = self.node(name).stat().extra
        for key in ("created", "timeCreated", "creation_time", "CreationDate"):
            value = to_timestamp(extra.get(key))
            if value is not None:
                return _datetime(value)
        raise NotImplementedError(f"mount {self.mount_name!r} reports no creation time")

    def get_accessed_time(self, name: str) -> datetime:
        local = self._local_stat(name)
        if local is None:
            raise NotImplementedError(f"mount {self.mount_name!r} reports no access time")
        return _datetime(local.st_atime)

    def _local_stat(self, name: str) -> os.stat_result | None:
        try:
            path = self.path(name)
        except NotImplementedError:
            return None
        try:
            return os.stat(path)
        except FileNotFoundError:
            raise StorageNotFoundError(
                f"cannot stat {self.mount_name}:{normalize(name)}: no such file or directory"
            ) from None


#: Saves of at least this many bytes (or of unknown size) first close idle DB connections.
RELEASE_CONNECTIONS_AT = 8 * 2**20


def _release_idle_connections(content: IO[Any]) -> None:
    """Close this thread's idle database connections before a long upload.

    A request keeps the connection its middleware or view opened until it ends, so
    while a large file streams to a bucket it would hold a database slot (or a
    pooler's server connection) doing nothing; the next query opens a new one. A
    connection in a transaction (``atomic()``, ``ATOMIC_REQUESTS``, autocommit off)
    is left alone: closing it would lose the transaction.
    """
    try:
        size = getattr(content, "size", None)
    except (OSError, AttributeError, ValueError):
        size = None  # File.size of a stream that cannot tell
    if isinstance(size, int) and size < RELEASE_CONNECTIONS_AT:
        return
    for connection in connections.all(initialized_only=True):
        if (
            connection.connection is not None
            and not connection.in_atomic_block
            and connection.autocommit
        ):
            connection.close()


def mount(name: str) -> MountStorage:
    """The storage of mount ``name``: ``FileField(storage=mount("uploads"))``."""
    return MountStorage(mount=name)


def datastore(path: str, *, allow_pickle: bool = False) -> DataStore:
    """A :class:`~.core.datastore.DataStore` on the configured mounts:
    ``datastore("reports:2026")["sales"] = frame``."""
    return conf.get_manager().datastore(path, allow_pickle=allow_pickle)


def node_for(fieldfile: FieldFile) -> StorageNode:
    """The core node behind a model's file: ``node_for(instance.document)``."""
    if not fieldfile:
        raise ValueError(f"The '{fieldfile.field.name}' attribute has no file associated with it.")
    storage = fieldfile.storage
    if not isinstance(storage, MountStorage):
        raise TypeError(
            f"field {fieldfile.field.name!r} stores its files in {type(storage).__name__}, "
            "not in a MountStorage: it has no node"
        )
    return storage.node(fieldfile.name or "")


def _consume_temporary_file(content: IO[Any]) -> None:
    """Remove a saved upload's temporary file, as Django's own storages do.

    A large upload arrives as a ``TemporaryUploadedFile`` on disk; once its content
    is in the mount the temporary copy is only a second one (``FileSystemStorage``
    moves it, ``InMemoryStorage`` deletes it). The open handle keeps working.
    """
    temporary_file_path = getattr(content, "temporary_file_path", None)
    if callable(temporary_file_path):
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary_file_path())


def _datetime(timestamp: float) -> datetime:
    """Aware (UTC) when USE_TZ, naive local time otherwise, as Django's own storages."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc if settings.USE_TZ else None)
