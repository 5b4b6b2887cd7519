"""The repair journal of a ``mirror`` mount: which children missed which write or delete.

Each record is one small JSON file, written atomically by the mount that keeps the
journal (a local directory by default, any mount with ``journal``), so it survives a
crash or a restart and two processes never write the same record. Names start with
the time in nanoseconds: listing them in name order replays the changes in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from ..paths import join
from .base import Backend, Kind

__all__ = ["JournalEntry", "Operation", "RepairJournal", "default_journal_dir"]

Operation = Literal["write", "delete"]


def default_journal_dir() -> str:
    """Where journals go when a mirror names neither ``journal`` nor ``journal_dir``:
    ``$XDG_STATE_HOME/genro-storage-django/mirror-journal`` (``~/.local/state`` by default)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return os.path.join(state, "genro-storage-django", "mirror-journal")


@dataclass(frozen=True)
class JournalEntry:
    """One change that some children missed: ``has`` hold its outcome, ``missing`` do not."""

    key: str
    op: Operation
    path: str
    has: tuple[str, ...]
    missing: tuple[str, ...]
    kind: Kind = "file"
    time: float = 0.0

    def to_json(self) -> bytes:
        fields = asdict(self)
        del fields["key"]
        return json.dumps(fields, sort_keys=True).encode()

    @classmethod
    def from_json(cls, key: str, data: bytes) -> JournalEntry:
        fields = json.loads(data)
        return cls(
            key=key,
            op=fields["op"],
            path=fields["path"],
            has=tuple(fields["has"]),
            missing=tuple(fields["missing"]),
            kind=fields.get("kind", "file"),
            time=fields.get("time", 0.0),
        )


class RepairJournal:
    """The records of one mirror, under ``base`` on the mount ``backend()`` returns."""

    def __init__(self, backend: Callable[[], Backend], base: str | Callable[[], str]) -> None:
        self._backend = backend
        # A callable base is asked on first use: it may need mounts not installed yet.
        self._base_source = base
        self._base_value: str | None = base if isinstance(base, str) else None
        self._lock = threading.Lock()
        # path -> the latest record of it this process knows: reads skip the children
        # that missed it. Loaded from the journal on first use.
        self._pending: dict[str, JournalEntry] | None = None

    @property
    def _base(self) -> str:
        if self._base_value is None:
            source = self._base_source
            self._base_value = source if isinstance(source, str) else source()
        return self._base_value

    def add(
        self,
        op: Operation,
        path: str,
        has: Sequence[str],
        missing: Sequence[str],
        kind: Kind = "file",
    ) -> JournalEntry:
        now = time.time()
        key = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.json"
        entry = JournalEntry(key, op, path, tuple(has), tuple(missing), kind, now)
        backend = self._backend()
        backend.write_bytes(backend.locate(join(self._base, key)), entry.to_json())
        with self._lock:
            if self._pending is not None:
                self._pending[path] = entry
        return entry

    def entries(self) -> list[JournalEntry]:
        """Every record, oldest first."""
        backend = self._backend()
        try:
            listed = backend.listdir(backend.locate(self._base))
        except FileNotFoundError:
            return []
        entries = []
        for stat in sorted(listed, key=lambda stat: stat.name):
            if stat.is_file and stat.name.endswith(".json"):
                location = backend.locate(join(self._base, stat.name))
                entries.append(JournalEntry.from_json(stat.name, backend.read_bytes(location)))
        return entries

    def remove(self, entries: Iterable[JournalEntry]) -> None:
        backend = self._backend()
        removed = []
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):  # another repair got there first
                backend.remove_file(backend.locate(join(self._base, entry.key)))
            removed.append(entry)
        with self._lock:
            if self._pending is not None:
                for entry in removed:
                    if self._pending.get(entry.path) == entry:
                        del self._pending[entry.path]

    def pending(self, path: str) -> JournalEntry | None:
        """The latest record of ``path`` not yet repaired, as far as this process knows."""
        with self._lock:
            loaded = self._pending
        if loaded is None:
            latest = {entry.path: entry for entry in self.entries()}
            with self._lock:
                if self._pending is None:
                    self._pending = latest
                loaded = self._pending
        return loaded.get(path)

    def describe(self) -> str:
        return f"{self._backend().mount_name}:{self._base}"
