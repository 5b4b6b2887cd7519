"""The write side of archive mounts: the new archive a batch builds, and a member's writer."""

from __future__ import annotations

import tempfile
from abc import abstractmethod
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from ..modes import CHUNK_SIZE
from .base import AtomicWriter

if TYPE_CHECKING:
    from .archive import ArchiveBackend

__all__ = ["ArchiveBuilder", "MemberWriter"]


class ArchiveBuilder:
    """The new archive a batch of writes builds: a format's subclass fills it."""

    def __init__(self, old: IO[bytes] | None) -> None:
        #: The archive being replaced, open for reading (None: there was none).
        self.old = old
        # Closed by close(), once the batch is published.
        self.temp: IO[bytes] = tempfile.TemporaryFile(prefix="genro-storage-")  # noqa: SIM115

    @abstractmethod
    def add(self, name: str, source: IO[bytes], size: int, mtime: float) -> None:
        """Add the file ``name`` with ``size`` bytes read from ``source``."""

    @abstractmethod
    def finish(self, changes: Mapping[str, bool]) -> IO[bytes]:
        """The complete new archive; ``changes`` maps each name the batch wrote (True) or
        deleted (False) to its last state: older members of those names are dropped."""

    def close(self) -> None:
        if self.old is not None:
            self.old.close()
        self.temp.close()


class MemberWriter(AtomicWriter):
    """Spools a member's content (in memory up to 1 MiB, then on disk) until commit."""

    def __init__(self, backend: ArchiveBackend, location: str, exclusive: bool) -> None:
        super().__init__()
        self._backend = backend
        self._location = location
        self._exclusive = exclusive
        self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed on commit or abort)
            max_size=CHUNK_SIZE, prefix="genro-storage-"
        )

    def write(self, data: Any) -> int:
        return self._spool.write(data)

    def _commit(self) -> None:
        with self._spool:
            self._backend.commit_member(self._location, self._spool, exclusive=self._exclusive)

    def _abort(self) -> None:
        self._spool.close()
