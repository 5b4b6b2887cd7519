"""The abstract backend every mount type implements.

A backend works on *locations*: the strings :meth:`Backend.locate` returns for a
normalised mount-relative path, checked to stay inside the mount root. The node
asks for a location once and passes it back to every other call, so the hot
paths (``exists``, ``read_bytes``) pay for path safety only once per node.

Backends raise the builtin exceptions (FileNotFoundError, IsADirectoryError, ...);
the node turns them into the storage errors with the mount name in the message.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, ClassVar

from ..capabilities import BackendCapabilities
from .atomic import AtomicWriter
from .entries import Kind, PhysicalLocation, StatResult

if TYPE_CHECKING:
    from ..config import MountContext
    from ..listing import OnSkip
    from ..uploads import PresignedUpload
    from .local_tree import DiskRoot

__all__ = [
    "MAX_EXPIRY",
    "AtomicWriter",
    "Backend",
    "Kind",
    "PhysicalLocation",
    "StatResult",
    "to_timestamp",
]

#: What backends declared before :class:`BackendCapabilities` said it.
_REPLACED_BY_CAPABILITIES = ("read_only", "has_directories", "keeps_mtime")

#: Longest lifetime of a signed URL or upload (S3 SigV4 and GCS V4 cap it at 7 days).
MAX_EXPIRY = 7 * 24 * 3600
DEFAULT_EXPIRY = 3600


class Backend(ABC):
    """One mount's access to a storage system.

    Subclasses declare their configuration keys; the manager validates a mount's
    config against them before constructing the backend.
    """

    type_name: ClassVar[str] = ""
    required_keys: ClassVar[frozenset[str]] = frozenset()
    optional_keys: ClassVar[frozenset[str]] = frozenset()
    #: Other spellings of keys (genro-storage's ``base_path`` for ``path``): a config
    #: may use either, and the backend sees the key under its own name.
    key_aliases: ClassVar[Mapping[str, str]] = {}
    #: The pip extra that installs what this backend imports, and those modules.
    extra: ClassVar[str | None] = None
    requires: ClassVar[tuple[str, ...]] = ()
    #: What every backend of this type can do. The manager reads it from the class (a
    #: ``readonly`` type allows only ``permissions: readonly``); an instance refines it
    #: from its configuration in :attr:`capabilities`.
    declared_capabilities: ClassVar[BackendCapabilities] = BackendCapabilities()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Attributes that ``declared_capabilities`` replaced: a backend still setting them
        # would be ignored without a word, so it is refused where it is written.
        replaced = [name for name in _REPLACED_BY_CAPABILITIES if name in vars(cls)]
        if replaced:
            raise TypeError(
                f"{cls.__qualname__} sets {', '.join(replaced)}: declare "
                "declared_capabilities = BackendCapabilities(...) (readonly, directories, "
                "keeps_mtime) instead"
            )

    #: The mount root is a directory that always exists, even before anything created it.
    root_is_directory: ClassVar[bool] = True

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        self.mount_name = mount_name
        self.options = options
        self.context = context

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        """Check option values; raise StorageConfigError(key=...) on a bad one."""

    @classmethod
    def implementation(cls, options: Mapping[str, Any]) -> type[Backend]:
        """The class that serves these (validated) options: this one, unless a form of
        the options needs another (a ``local`` mount whose ``path`` is a callable)."""
        return cls

    @property
    def capabilities(self) -> BackendCapabilities:
        """What this backend can do (permissions aside: see ``Mount.capabilities``)."""
        return self.declared_capabilities

    # -- locations ---------------------------------------------------------
    def prepare_path(self, raw: str) -> str:
        """A path as a caller wrote it, before the path rules normalise it: base64 mounts
        drop the whitespace of wrapped data. This default leaves it as it is."""
        return raw

    @abstractmethod
    def locate(self, path: str) -> str:
        """The backend location of a normalised path; raise UnsafePathError on escape."""

    def listed_location(self, path: str) -> str | None:
        """The location of a path this backend's own listing returned, if it can say
        without another safety check (None: the node calls :meth:`locate`)."""
        return None

    @abstractmethod
    def relative(self, location: str) -> str:
        """The inverse of :meth:`locate`: mount-relative path of a backend location."""

    def resolve_location(self, location: str) -> tuple[Backend, str]:
        """The backend that really holds ``location``, and the location there.

        A mount built on other mounts answers with the parent that has the file, so the
        transfer engine can copy server-side between mounts on one store. Every other
        backend holds its own locations: this default.
        """
        return self, location

    def physical_location(self, location: str) -> PhysicalLocation:
        """Where ``location`` is on the storage itself, so that two mounts can tell
        whether their trees overlap. This default knows only its own mount: no other
        backend object is taken for the same store."""
        return PhysicalLocation(("backend", id(self)), location)

    # -- metadata ----------------------------------------------------------
    @abstractmethod
    def stat(self, location: str) -> StatResult:
        """One metadata call; FileNotFoundError when nothing is there."""

    def exists(self, location: str) -> bool:
        try:
            self.stat(location)
        except FileNotFoundError:
            return False
        return True

    def is_file(self, location: str) -> bool:
        """True when a file (not a directory) is at ``location``.

        Object stores override it with one request where ``stat`` needs two for a
        missing key (a HEAD, then a listing looking for a "directory").
        """
        try:
            return self.stat(location).is_file
        except (FileNotFoundError, NotADirectoryError):
            return False

    @abstractmethod
    def listdir(self, location: str) -> list[StatResult]:
        """Entries directly inside a directory; FileNotFoundError if it is not one."""

    def files_among(self, location: str, names: Sequence[str]) -> list[str]:
        """Which of ``names`` are files directly inside the directory ``location``.

        One listing here; a backend where a lookup per name costs less than listing a
        big directory (local disk) overrides it. A mount built on another asks it.
        """
        holder, where = self.resolve_location(location)
        if holder is not self:
            return holder.files_among(where, names)
        try:
            entries = self.listdir(location)
        except (FileNotFoundError, NotADirectoryError):
            return []
        wanted = set(names)
        return [entry.name for entry in entries if entry.is_file and entry.name in wanted]

    def directory_stamp(self, location: str) -> Hashable | None:
        """A value that changes whenever an entry of the directory ``location`` is added,
        removed or renamed, so a caller may keep a listing of it while the value holds;
        None when the backend has no such value, or cannot vouch for it right now."""
        return None

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        """Every file below ``location`` as (mount-relative path, stat), any order.

        ``on_skip(path, reason)`` hears of the entries left out (see
        :mod:`~genro_storage_django.core.listing`); this walk, over a store without
        links, leaves none out. It keeps a stack rather than recursing, so no depth
        of directories exhausts Python's recursion limit. A directory that is not
        there (or is gone by the time the walk reaches it) holds no files: the walk of
        a missing directory is empty, as on every built-in backend.
        """
        stack = [location]
        while stack:
            directory = stack.pop()
            try:
                entries = self.listdir(directory)
            except FileNotFoundError:
                continue
            for entry in entries:
                child = self.join_location(directory, entry.name)
                if entry.is_dir:
                    stack.append(child)
                else:
                    yield self.relative(child), entry

    def join_location(self, location: str, name: str) -> str:
        return f"{location.rstrip('/')}/{name}" if location else name

    def disk_root(self) -> DiskRoot | None:
        """The local directory of the mount root, when the mount stores files on the
        local disk: symlinks there must not lead out of it (None elsewhere)."""
        return None

    def identity(self, location: str) -> Hashable | None:
        """What tells this directory from every other, whatever path leads to it, where
        links can make two paths one directory (None: paths never alias)."""
        return None

    # -- content -----------------------------------------------------------
    @abstractmethod
    def open_read(self, location: str) -> IO[bytes]:
        """A streaming binary reader (seekable where the backend allows)."""

    @abstractmethod
    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        """A writer that replaces ``location`` atomically on commit."""

    def read_bytes(self, location: str) -> bytes:
        with self.open_read(location) as stream:
            return stream.read()

    def write_bytes(self, location: str, data: bytes) -> str | None:
        """Write ``data`` at ``location``; the location it went to when the store chose
        another (base64 mounts, where the data is the path), else None."""
        with self.open_writer(location) as writer:
            writer.write(data)
        return writer.relocated_to

    def batch_writes(self) -> contextlib.AbstractContextManager[None]:
        """A scope whose writes and deletes the backend may publish together when it
        ends (a tree copy or sync opens one on its destination). A backend where each
        write rewrites a whole container (an archive) overrides it; this default
        publishes every write at once."""
        return contextlib.nullcontext()

    # -- tree --------------------------------------------------------------
    @abstractmethod
    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None: ...

    @abstractmethod
    def remove_file(self, location: str) -> None:
        """Delete one file; FileNotFoundError if it is missing."""

    @abstractmethod
    def remove_dir(self, location: str, *, recursive: bool) -> None:
        """Delete a directory; OSError(ENOTEMPTY) when not empty and not recursive."""

    def touch(self, location: str) -> None:
        if self.exists(location):
            self.set_mtime(location, None)
        else:
            self.write_bytes(location, b"")

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        """Set (None: now) the modification time; False when the backend cannot
        (``capabilities.keeps_mtime`` says which, before any file is there)."""
        return False

    # -- transfers ---------------------------------------------------------
    def can_copy_within(self, other: Backend) -> bool:
        """True when a copy from this backend to ``other`` can stay server-side."""
        return False

    def copy_within(self, source: str, target: str, other: Backend) -> None:
        raise NotImplementedError

    def copy_files_within(
        self, copies: Sequence[tuple[str, str, float | None]], other: Backend
    ) -> list[Exception | None]:
        """Copy several ``(source, target, mtime)`` files server-side, one outcome each.

        An outcome is ``None`` for a file copied (with ``mtime`` set where ``other``
        keeps times) or the exception that stopped it; one failure does not stop the
        others. This default copies one file after the other; a backend that can
        publish a batch more cheaply than its files one by one overrides it.
        """
        outcomes: list[Exception | None] = []
        for source, target, mtime in copies:
            try:
                self.copy_within(source, target, other)
                if mtime is not None:
                    other.set_mtime(target, mtime)
            except Exception as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    def move_within(self, source: str, target: str, other: Backend) -> None:
        """Default: server-side copy, then delete the source."""
        self.copy_within(source, target, other)
        self.remove_file(source)

    # -- extras ------------------------------------------------------------
    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        """A URL that fetches the file, signed when the backend can sign; else None."""
        return None

    def presigned_upload(
        self, location: str, *, expires_in: int, max_size: int | None, content_type: str | None
    ) -> PresignedUpload | None:
        """A request a browser sends to store a file at ``location``; None when the
        store cannot sign one (``expires_in`` is already checked by :meth:`expiry`)."""
        return None

    @staticmethod
    def expiry(expires_in: int | None) -> int:
        """``expires_in`` checked: signed requests live at most seven days."""
        seconds = DEFAULT_EXPIRY if expires_in is None else int(expires_in)
        if not 0 < seconds <= MAX_EXPIRY:
            raise ValueError(f"expires_in must be between 1 and {MAX_EXPIRY} seconds")
        return seconds

    def local_file(self, location: str) -> str | None:
        """The real local filesystem path of ``location``, when there is one."""
        return None

    def async_source(self, location: str) -> tuple[Any, str] | None:
        """``(fsspec async filesystem, path)`` to read ``location`` without a thread, for
        the ASGI file responses; None (this default) when the store has none."""
        return None

    def invalidate(self, location: str) -> None:
        """Forget any cached listing that covers ``location`` (object-store caches)."""

    def describe(self) -> str:
        return self.type_name


def to_timestamp(value: Any) -> float | None:
    """Epoch seconds from what backends report as a time: a number, a datetime, ISO text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None
