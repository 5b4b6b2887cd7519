"""What a chunked mount asks of its database: :class:`ChunkStore` (see :mod:`.chunked`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

__all__ = ["CHUNK_BYTES", "STALE_AFTER", "ChunkStore", "FileRow"]

#: Size of every chunk but a file's last. Fixed: the readers find byte ``n`` in chunk
#: ``n // CHUNK_BYTES`` without asking the store how a file was cut.
CHUNK_BYTES = 1 << 20
#: Seconds a staged write may stay idle before another write removes it as abandoned.
STALE_AFTER = 3600.0


@dataclass(slots=True)
class FileRow:
    id: int
    path: str
    size: int
    mtime: float
    md5: str


class ChunkStore(ABC):
    """The queries a chunked mount needs from its database.

    ``path`` arguments are mount-relative paths ("" is the root). Methods called inside
    :meth:`transaction` must join it; outside one, each is its own transaction.
    """

    @abstractmethod
    def identity(self) -> Hashable:
        """Equal for two stores on the same database (overlap checks, server-side copies)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction that other writers wait for: committed on a normal exit."""

    @abstractmethod
    def file(self, path: str) -> FileRow | None: ...

    @abstractmethod
    def first_chunk(self, path: str) -> tuple[int, int, bytes] | None:
        """The id and size of the file at ``path`` and its chunk 0, in one query (chunk 0
        is kept in the file's row, so that a small file is one row): what a read needs,
        and no more, since a small file's read is this query and nothing else."""

    @abstractmethod
    def chunk(self, file_id: int, index: int) -> bytes | None:
        """Chunk ``index`` of a file (0 included); None when the file is gone."""

    @abstractmethod
    def files_below(self, prefix: str) -> list[FileRow]:
        """Every file whose path starts with ``prefix`` ("" or ending with "/")."""

    @abstractmethod
    def has_file_below(self, prefix: str) -> bool: ...

    @abstractmethod
    def any_file(self, paths: Sequence[str]) -> bool:
        """Whether a file is at one of ``paths``."""

    @abstractmethod
    def insert_file(
        self, path: str | None, size: int, mtime: float, md5: str, staged: float | None, data: bytes
    ) -> int:
        """A new file row with its chunk 0 (``path`` None: staged, ``staged`` its last
        activity); its id."""

    @abstractmethod
    def rewrite(self, file_id: int, size: int, mtime: float, md5: str, data: bytes) -> None:
        """Give a file new content of one chunk, in place."""

    @abstractmethod
    def insert_chunk(self, file_id: int, index: int, data: bytes) -> None:
        """Chunk ``index`` (1 or more) of a file."""

    @abstractmethod
    def delete_chunks(self, file_id: int) -> None:
        """Delete the chunks after chunk 0 of a file."""

    @abstractmethod
    def touch_staged(self, file_id: int, when: float) -> bool:
        """Record activity on a staged row; False when it is gone (abandoned)."""

    @abstractmethod
    def publish(self, file_id: int, path: str, size: int, mtime: float, md5: str) -> bool:
        """Give a staged row its path and metadata; False when it is gone."""

    @abstractmethod
    def delete_files(self, file_ids: Sequence[int]) -> None:
        """Delete file rows and their chunks."""

    @abstractmethod
    def stale_staged(self, before: float) -> list[int]:
        """Staged rows idle since before ``before``."""

    @abstractmethod
    def set_mtime(self, path: str, mtime: float) -> bool: ...

    def snapshot(self) -> ChunkStore:
        """A store whose reads all see one moment, for a reader of many chunks (this
        default: the store itself, whose reader then notices a replaced file)."""
        return self

    def release(self) -> None:
        """End what :meth:`snapshot` began."""
