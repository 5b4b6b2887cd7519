"""``cache`` mounts: a fast store in front of a slow origin mount.

``{"type": "cache", "origin": "archive", "path": "/var/cache/archive", "validate": "etag",
"ttl": 60, "max_size": "2 GB"}``. A read is served from the store when it holds a valid
copy, otherwise from the origin, filling the store on the way (:mod:`.cache_store`:
atomic fills, one download per entry across threads and processes). ``validate`` says
when a copy is valid: ``etag`` asks the origin about the file on every read (one
metadata request: its ETag, else size and time), ``ttl`` trusts a copy for ``ttl``
seconds and then asks, ``immutable`` never asks. ``max_size`` bounds the store: the
least recently used copies go first. Writes and deletes go to the origin, then drop
the copy, so a read through the mount after a write never sees the old content.
Metadata and listings are always the origin's.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..capabilities import BackendCapabilities
from ..config import invalid
from ..paths import normalize
from .atomic import AtomicWriter
from .base import Backend, StatResult
from .cache_store import CacheStore, Entry, Validator
from .composite import CompositeBackend
from .local_dir import local_directory

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["CacheBackend", "CacheInfo", "parse_size"]

T = TypeVar("T")

VALIDATIONS = ("etag", "ttl", "immutable")
DEFAULT_TTL = 60.0
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(value: Any) -> int:
    """Bytes from ``2_000_000``, ``"2 GB"`` (10**9) or ``"512 MiB"`` (2**20); ValueError else."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match is None or match[2].lower() not in _UNITS:
        raise ValueError(value)
    size = int(float(match[1]) * _UNITS[match[2].lower()])
    if size <= 0:
        raise ValueError(value)
    return size


@dataclass(frozen=True)
class CacheInfo:
    """What a cache mount has done in this process, and the store's size now."""

    hits: int
    misses: int
    origin_bytes: int
    evictions: int
    size: int


class CacheBackend(CompositeBackend):
    type_name = "cache"
    required_keys = frozenset({"origin"})
    optional_keys = frozenset({"store", "path", "validate", "ttl", "max_size"})
    parent_key = "origin"

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.origin_name: str = options["origin"]
        self.validate: str = options.get("validate", "etag")
        self.ttl = float(options.get("ttl", DEFAULT_TTL))
        self.max_size = parse_size(options["max_size"]) if "max_size" in options else None
        store_name = options.get("store")
        if store_name:
            self.store = CacheStore(
                lambda: self.parent_backend(store_name),
                mount_name,
                _lock_dir(self.parent_backend(store_name), mount_name),
            )
        else:
            root = str(options["path"])
            self.store = CacheStore(
                local_directory(root, "cache-store", context), "", os.path.join(root, "locks")
            )
        self._lock = threading.Lock()
        self._hits = self._misses = self._origin_bytes = self._evictions = 0

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        name = options["name"]
        origin, store, path = options["origin"], options.get("store"), options.get("path")
        if not isinstance(origin, str) or origin == name:
            raise invalid(name, "origin", "origin must be the name of another mount")
        if (store is None) == (path is None):
            raise invalid(name, "store", "a cache needs either store (a mount) or path")
        if store is not None and (not isinstance(store, str) or store in (name, origin)):
            raise invalid(name, "store", "store must be a mount other than the cache and origin")
        if path is not None and not (isinstance(path, (str, os.PathLike)) and os.path.isabs(path)):
            raise invalid(name, "path", "path must be an absolute path", code="not_absolute")
        if options.get("validate", "etag") not in VALIDATIONS:
            raise invalid(name, "validate", f"validate must be one of {', '.join(VALIDATIONS)}")
        ttl = options.get("ttl", DEFAULT_TTL)
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl < 0:
            raise invalid(name, "ttl", "ttl must be a number of seconds")
        if "max_size" in options:
            try:
                parse_size(options["max_size"])
            except (TypeError, ValueError):
                raise invalid(
                    name, "max_size", "max_size must be bytes or a size such as '2 GB'"
                ) from None

    @classmethod
    def parent_names(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        store = options.get("store")
        return (options["origin"], store) if store else (options["origin"],)

    @property
    def origin(self) -> Backend:
        return self.parent_backend(self.origin_name)

    @property
    def capabilities(self) -> BackendCapabilities:
        # The origin's, except what would bypass the cache: a server-side copy or a
        # direct upload to the origin would leave a stale copy behind.
        return dataclasses.replace(
            self.origin.capabilities,
            copy_optimization=False,
            local_files=False,
            symbolic_links=False,
            presigned_uploads=False,
        )

    # -- locations and metadata: the origin's --------------------------------------
    def locate(self, path: str) -> str:
        self.origin.locate(path)  # the origin's own path safety
        return normalize(path)

    def relative(self, location: str) -> str:
        return location

    def _at_origin(self, location: str) -> str:
        return self.origin.locate(location)

    def stat(self, location: str) -> StatResult:
        return self.origin.stat(self._at_origin(location))

    def exists(self, location: str) -> bool:
        return self.origin.exists(self._at_origin(location))

    def is_file(self, location: str) -> bool:
        return self.origin.is_file(self._at_origin(location))

    def listdir(self, location: str) -> list[StatResult]:
        return self.origin.listdir(self._at_origin(location))

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        return self.origin.url(self._at_origin(location), path, expires_in)

    # -- reads: from the store when it holds a valid copy ----------------------------
    def open_read(self, location: str) -> IO[bytes]:
        return self._served(location, self.store.open_data)

    def read_bytes(self, location: str) -> bytes:
        return self._served(location, self.store.read_data)

    def _served(self, location: str, read: Callable[[str], T]) -> T:
        """``read(location)`` of a valid copy, filled from the origin first if need be."""
        asked: StatResult | None = None
        entry = self.store.entry(location)
        if entry is not None:
            valid, asked = self._valid(location, entry, asked)
            if valid and (hit := self._hit(location, read)) is not None:
                return hit[0]
        with self.store.locked(location):
            # Another thread or process may have filled it while this one waited.
            entry = self.store.entry(location)
            if entry is not None:
                valid, asked = self._valid(location, entry, asked)
                if valid and (hit := self._hit(location, read)) is not None:
                    return hit[0]
            self._fill(location, asked)
        self._evict(keep=location)
        return read(location)

    def _valid(
        self, location: str, entry: Entry, asked: StatResult | None
    ) -> tuple[bool, StatResult | None]:
        """Whether ``entry`` may be served, and the origin's stat if it was asked."""
        if self.validate == "immutable":
            return True, asked
        if self.validate == "ttl" and time.time() - entry.fetched < self.ttl:
            return True, asked
        if asked is None:
            try:
                asked = self.origin.stat(self._at_origin(location))
            except FileNotFoundError:
                self.store.drop(location)
                raise
        valid = entry.validator.matches(Validator.of(asked))
        if valid and self.validate == "ttl":
            self.store.refresh(location, entry)
        return valid, asked

    def _hit(self, location: str, read: Callable[[str], T]) -> tuple[T] | None:
        try:
            found = read(location)
        except FileNotFoundError:
            return None  # evicted between the metadata and the content: fill again
        self.store.touch(location)
        with self._lock:
            self._hits += 1
        return (found,)

    def _fill(self, location: str, asked: StatResult | None) -> None:
        origin = self.origin
        inner = self._at_origin(location)
        stat = asked if asked is not None else origin.stat(inner)
        if stat.is_dir:
            raise IsADirectoryError(location)
        with origin.open_read(inner) as source:
            copied = self.store.fill(location, source, Validator.of(stat))
        with self._lock:
            self._misses += 1
            self._origin_bytes += copied

    def _evict(self, keep: str) -> None:
        if self.max_size is None:
            return
        entries = self.store.usage()
        total = sum(stat.size for _path, stat in entries)
        # Least recently used first (a hit sets the copy's time), the newest copy kept.
        for path, stat in sorted(entries, key=lambda item: item[1].mtime or 0.0):
            if total <= self.max_size:
                break
            if path != keep and self.store.drop(path):
                total -= stat.size
                with self._lock:
                    self._evictions += 1

    def cache_info(self) -> CacheInfo:
        size = sum(stat.size for _path, stat in self.store.usage())
        with self._lock:
            return CacheInfo(self._hits, self._misses, self._origin_bytes, self._evictions, size)

    # -- writes: to the origin, then the copy goes ---------------------------------
    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        writer = self.origin.open_writer(self._at_origin(location), exclusive=exclusive)
        return _DropAfter(writer, self, location)

    def forget(self, location: str) -> None:
        """Drop the copy of ``location``, under its lock: a fill in progress ends first."""
        with self.store.locked(location):
            self.store.drop(location)

    def remove_file(self, location: str) -> None:
        self.origin.remove_file(self._at_origin(location))
        self.forget(location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        self.origin.remove_dir(self._at_origin(location), recursive=recursive)
        self.store.drop_tree(location)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        self.origin.mkdir(self._at_origin(location), parents=parents, exist_ok=exist_ok)

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        return self.origin.set_mtime(self._at_origin(location), mtime)

    def invalidate(self, location: str) -> None:
        self.origin.invalidate(self._at_origin(location))

    def describe(self) -> str:
        return f"cache ({self.origin_name}; validate={self.validate})"


class _DropAfter(AtomicWriter):
    """The origin's writer; once it committed, the cached copy goes."""

    def __init__(self, inner: AtomicWriter, cache: CacheBackend, location: str) -> None:
        super().__init__()
        self._inner = inner
        self._cache = cache
        self._location = location

    def write(self, data: Any) -> int:
        return self._inner.write(data)

    def _commit(self) -> None:
        self._inner.commit()
        self._cache.forget(self._location)

    def _abort(self) -> None:
        self._inner.abort()


def _lock_dir(store: Backend, mount_name: str) -> str:
    """Next to the copies when the store is on this disk, else in the temporary directory
    (processes of one machine share it: the locks only order this machine's fills)."""
    root = store.local_file(store.locate(""))
    if root is not None:
        return os.path.join(root, mount_name, "locks")
    return os.path.join(tempfile.gettempdir(), "genro-storage-django-cache", mount_name)
