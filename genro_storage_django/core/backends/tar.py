"""``tar`` mounts: the members of a tar file, plain or compressed (``.tar``, ``.tar.gz``,
``.tgz``, ``.tar.xz``, ``.txz``, ``.tar.bz2``, ``.tbz2``: the suffix says which).

A plain tar keeps each member's bytes as they are at a known offset: a member is read
(and seeks) as a slice of the archive. A compressed tar is one compressed stream:
reading a member decompresses from the start of the archive up to it, and seeking
backwards starts over, so serving members of a large ``.tar.gz`` costs far more than
of a zip or a plain tar.

Every change rebuilds the archive: the members kept are copied (and, compressed,
compressed again) into a new archive with the new ones. See :mod:`.archive` for
batches, which make many changes one rebuild.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import lzma
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from typing import IO, Any

from ..modes import CHUNK_SIZE
from .archive import ArchiveBackend
from .archive_index import Member
from .archive_writes import ArchiveBuilder

__all__ = ["TarBackend"]

#: suffix -> tarfile's compression name ("" for none)
SUFFIXES = {
    ".tar": "",
    ".tar.gz": "gz",
    ".tgz": "gz",
    ".tar.xz": "xz",
    ".txz": "xz",
    ".tar.bz2": "bz2",
    ".tbz2": "bz2",
}
_DECOMPRESSORS: dict[str, Any] = {
    "gz": lambda stream: gzip.GzipFile(fileobj=stream, mode="rb"),
    "xz": lzma.LZMAFile,
    "bz2": bz2.BZ2File,
}


def compression_of(filename: str) -> str | None:
    """The compression the archive's file name says, None when it is no tar name."""
    lowered = filename.lower()
    for suffix, compression in SUFFIXES.items():
        if lowered.endswith(suffix):
            return compression
    return None


class TarBackend(ArchiveBackend):
    type_name = "tar"

    @classmethod
    def name_problem(cls, filename: str) -> str | None:
        if compression_of(filename) is None:
            return "a tar archive's name must end in " + ", ".join(SUFFIXES)
        return None

    @property
    def compression(self) -> str:
        return compression_of(self.archive_path) or ""

    def scan(self, stream: IO[bytes]) -> list[Member]:
        try:
            with tarfile.open(fileobj=stream, mode="r:*") as archive:
                return [_member(info) for info in archive]
        except tarfile.TarError as exc:
            raise OSError(errno.EIO, f"not a readable tar archive: {exc}") from None

    def open_member(self, stream: IO[bytes], member: Member) -> IO[bytes]:
        info: tarfile.TarInfo = member.ref
        if not self.compression:
            return io.BufferedReader(_Slice(stream, info.offset_data, info.size), CHUNK_SIZE)
        content = _DECOMPRESSORS[self.compression](stream)
        return io.BufferedReader(_Slice(content, info.offset_data, info.size, stream), CHUNK_SIZE)

    def new_builder(self, old: IO[bytes] | None) -> ArchiveBuilder:
        return TarBuilder(old, self.compression)


def _member(info: tarfile.TarInfo) -> Member:
    name = info.name.rstrip("/")
    if info.isdir():
        return Member(name, "directory", ref=info)
    if info.isreg():
        return Member(name, "file", info.size, float(info.mtime), info)
    return Member(name, "special", ref=info)


class _Slice(io.RawIOBase):
    """``size`` bytes of ``stream`` from ``start``, seekable; closing it closes ``stream``
    and the ``owned`` streams below it."""

    def __init__(self, stream: IO[bytes], start: int, size: int, *owned: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self._start = start
        self._size = size
        self._position = 0
        self._owned = owned

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        self._stream.seek(self._start + self._position)
        data = self._stream.read(wanted)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if not self.closed:
            try:
                self._stream.close()
            finally:
                for owned in self._owned:
                    owned.close()
                super().close()


class TarBuilder(ArchiveBuilder):
    """New members are staged in one temporary file; :meth:`finish` writes the archive:
    the old members the batch kept, then the new ones."""

    def __init__(self, old: IO[bytes] | None, compression: str) -> None:
        super().__init__(old)
        self.compression = compression
        # Closed by close(), with the archive.
        self.staged: IO[bytes] = tempfile.TemporaryFile(prefix="genro-storage-")  # noqa: SIM115
        #: name -> (offset in ``staged``, size, mtime) of the last write of that name
        self.added: dict[str, tuple[int, int, float]] = {}

    def add(self, name: str, source: IO[bytes], size: int, mtime: float) -> None:
        offset = self.staged.seek(0, os.SEEK_END)
        shutil.copyfileobj(source, self.staged, CHUNK_SIZE)
        self.added[name] = (offset, size, mtime)

    def finish(self, changes: Mapping[str, bool]) -> IO[bytes]:
        mode: Any = f"w:{self.compression}" if self.compression else "w"
        with tarfile.open(fileobj=self.temp, mode=mode, format=tarfile.PAX_FORMAT) as target:
            if self.old is not None:
                with tarfile.open(fileobj=self.old, mode="r:*") as source:
                    for info in source:
                        if info.name.rstrip("/") not in changes:
                            target.addfile(info, source.extractfile(info) if info.isreg() else None)
            for name, (offset, size, mtime) in self.added.items():
                if changes.get(name):
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = size, mtime, 0o644
                    self.staged.seek(offset)
                    target.addfile(info, self.staged)
        return self.temp

    def close(self) -> None:
        self.staged.close()
        super().close()
