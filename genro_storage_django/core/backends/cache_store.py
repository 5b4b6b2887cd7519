"""The copies a ``cache`` mount keeps: content and validators on the store, a lock per entry.

Layout on the store mount: ``data/<path>`` holds the copy, ``meta/<path>.json`` what the
origin said of it when it was fetched (ETag, size, time) and when. An entry counts only
when its metadata is there: a fill removes the metadata first, writes the content
atomically (the store's own writer), then writes the metadata, so a reader never takes
a half-filled copy and a process killed mid-fill leaves no entry, only the store's
temporary file.

Fills of one entry are serialised by ``fcntl.flock`` on a lock file per entry in a
local directory: a lock taken through separate open files excludes other threads of
the process as well as other processes, so concurrent readers of a cold object cause
one origin download.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from ..paths import join
from .base import Backend, StatResult

__all__ = ["CacheStore", "Entry", "Validator"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Validator:
    """What tells one version of an origin file from another: its ETag, else size and time."""

    etag: str | None
    size: int
    mtime: float | None

    @classmethod
    def of(cls, stat: StatResult) -> Validator:
        return cls(stat.etag, stat.size, stat.mtime)

    def matches(self, other: Validator) -> bool:
        if self.etag is not None and other.etag is not None:
            return self.etag == other.etag and self.size == other.size
        return self.size == other.size and self.mtime == other.mtime


@dataclass(frozen=True)
class Entry:
    validator: Validator
    fetched: float


class CacheStore:
    """The entries of one cache mount under ``base`` on the store ``backend()`` returns."""

    def __init__(self, backend: Callable[[], Backend], base: str, lock_dir: str) -> None:
        self._backend = backend
        self._base = base
        self.lock_dir = lock_dir

    @property
    def store(self) -> Backend:
        return self._backend()

    def _data(self, path: str) -> str:
        return self.store.locate(join(self._base, "data", path))

    def _meta(self, path: str) -> str:
        return self.store.locate(join(self._base, "meta", path + ".json"))

    def entry(self, path: str) -> Entry | None:
        try:
            fields = json.loads(self.store.read_bytes(self._meta(path)))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, ValueError):
            return None
        return Entry(Validator(fields["etag"], fields["size"], fields["mtime"]), fields["fetched"])

    def open_data(self, path: str) -> IO[bytes]:
        return self.store.open_read(self._data(path))

    def read_data(self, path: str) -> bytes:
        return self.store.read_bytes(self._data(path))

    def touch(self, path: str) -> None:
        """Mark the entry used now: eviction takes the least recently used first."""
        with contextlib.suppress(OSError):
            self.store.set_mtime(self._data(path), None)

    def fill(self, path: str, source: IO[bytes], validator: Validator) -> int:
        """Copy ``source`` in as the entry of ``path``; the bytes copied."""
        store = self.store
        with contextlib.suppress(FileNotFoundError):
            store.remove_file(self._meta(path))
        copied = 0
        with store.open_writer(self._data(path)) as writer:
            while chunk := source.read(_CHUNK):
                writer.write(chunk)
                copied += len(chunk)
        self._write_meta(path, Entry(validator, time.time()))
        return copied

    def refresh(self, path: str, entry: Entry) -> None:
        """The origin still has what the entry holds: trust it for another ``ttl``."""
        self._write_meta(path, Entry(entry.validator, time.time()))

    def _write_meta(self, path: str, entry: Entry) -> None:
        fields = {
            "etag": entry.validator.etag,
            "size": entry.validator.size,
            "mtime": entry.validator.mtime,
            "fetched": entry.fetched,
        }
        self.store.write_bytes(self._meta(path), json.dumps(fields).encode())

    def drop(self, path: str) -> bool:
        """Forget the entry of ``path``; True if there was one."""
        store = self.store
        found = False
        for location in (self._meta(path), self._data(path)):
            try:
                store.remove_file(location)
            except (FileNotFoundError, IsADirectoryError):
                continue
            found = True
        return found

    def usage(self) -> list[tuple[str, StatResult]]:
        """Every copy, as (path, stat of its content)."""
        store = self.store
        data = join(self._base, "data")
        return [
            (path.removeprefix(data + "/"), stat)
            for path, stat in store.walk_files(store.locate(data))
        ]

    def drop_tree(self, path: str) -> None:
        prefix = f"{path}/" if path else ""
        for cached, _stat in self.usage():
            if cached.startswith(prefix):
                self.drop(cached)

    @contextlib.contextmanager
    def locked(self, path: str) -> Iterator[None]:
        """Hold the entry's lock: one fill at a time, across threads and processes."""
        os.makedirs(self.lock_dir, exist_ok=True)
        name = hashlib.sha256(path.encode()).hexdigest()[:32] + ".lock"
        descriptor = os.open(os.path.join(self.lock_dir, name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock
