"""``zip`` mounts: the members of a zip file (``{"type": "zip", "path": "backups:site.zip"}``).

A member is read straight from the archive: its local header is found from the
central directory, so opening one member of a 10,000-member zip reads a few bytes
more than the member, and the reader seeks (forward by decompressing, backward by
starting the member over), which HTTP Range requests on a served member need.

New members are appended to a copy of the archive (its bytes copied as they are);
replacing or deleting a member rebuilds the copy without the members it drops
(recompressing the ones it keeps). See :mod:`.archive` for batches and publishing.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import stat
import struct
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Mapping
from typing import IO

from ..modes import CHUNK_SIZE
from .archive import ArchiveBackend
from .archive_index import Member
from .archive_writes import ArchiveBuilder

__all__ = ["ZipBackend"]

_LOCAL_HEADER = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = 30
_UTF8_NAME = 0x800
_ENCRYPTED = 0x1


class ZipBackend(ArchiveBackend):
    type_name = "zip"

    def scan(self, stream: IO[bytes]) -> list[Member]:
        try:
            with zipfile.ZipFile(stream) as archive:
                return [_member(info) for info in archive.infolist()]
        except zipfile.BadZipFile as exc:
            raise OSError(errno.EIO, f"not a readable zip archive: {exc}") from None

    def open_member(self, stream: IO[bytes], member: Member) -> IO[bytes]:
        info: zipfile.ZipInfo = member.ref
        if info.flag_bits & _ENCRYPTED:
            raise PermissionError(errno.EACCES, "the member is encrypted", member.name)
        stream.seek(info.header_offset)
        header = stream.read(_LOCAL_HEADER_SIZE)
        if len(header) != _LOCAL_HEADER_SIZE or header[:4] != _LOCAL_HEADER:
            raise OSError(errno.EIO, "no local header: the archive changed", member.name)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        stored = stream.read(name_length)
        encoding = "utf-8" if info.flag_bits & _UTF8_NAME else "cp437"
        if stored != info.orig_filename.encode(encoding):
            raise OSError(errno.EIO, "the local header names another file", member.name)
        stream.seek(extra_length, 1)
        return zipfile.ZipExtFile(stream, "r", info, None, True)  # type: ignore[return-value]

    def new_builder(self, old: IO[bytes] | None) -> ArchiveBuilder:
        return ZipBuilder(old)


def _member(info: zipfile.ZipInfo) -> Member:
    # zipfile cuts a name at a NUL byte; the name as stored is what the rules judge.
    name = info.orig_filename.rstrip("/")
    if info.is_dir():
        return Member(name, "directory", ref=info)
    regular = stat.S_IFMT(info.external_attr >> 16) in (0, stat.S_IFREG)
    return Member(name, "file" if regular else "special", info.file_size, _mtime(info), info)


def _mtime(info: zipfile.ZipInfo) -> float:
    """The member's time: zip keeps local time, to two seconds, without a zone (a DOS
    date, 1980 to 2107, which mktime takes even when its day or month is 0)."""
    return time.mktime((*info.date_time, 0, 0, -1))


class ZipBuilder(ArchiveBuilder):
    """A copy of the archive in a temporary file, new members appended as they come."""

    def __init__(self, old: IO[bytes] | None) -> None:
        super().__init__(old)
        if old is not None:
            shutil.copyfileobj(old, self.temp, CHUNK_SIZE)
        #: Positions of members a failed add() left cut short.
        self.broken: set[int] = set()
        self.zip = zipfile.ZipFile(
            self.temp, "a" if old is not None else "w", zipfile.ZIP_DEFLATED, allowZip64=True
        )
        if any("\x00" in info.orig_filename for info in self.zip.infolist()):
            # zipfile writes such a name cut at the NUL: a rewrite would rename the member.
            self.zip.close()
            raise OSError(errno.EINVAL, "cannot rewrite an archive with a NUL in a member name")

    def add(self, name: str, source: IO[bytes], size: int, mtime: float) -> None:
        info = zipfile.ZipInfo(name, time.localtime(mtime)[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        info.file_size = size
        position = len(self.zip.infolist())
        try:
            with warnings.catch_warnings():
                # A name written twice: finish() keeps the last member of that name.
                warnings.simplefilter("ignore", UserWarning)
                with self.zip.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as target:
                    shutil.copyfileobj(source, target, CHUNK_SIZE)
        except BaseException:
            if len(self.zip.infolist()) > position:
                self.broken.add(position)  # a member cut short: finish() leaves it out
            raise

    def finish(self, changes: Mapping[str, bool]) -> IO[bytes]:
        infos = self.zip.infolist()
        self.zip.close()
        kept = [
            (p, info.filename.rstrip("/")) for p, info in enumerate(infos) if p not in self.broken
        ]
        counts = Counter(name for _position, name in kept)
        if not self.broken and all(changes[name] and counts[name] == 1 for name in changes):
            return self.temp  # only new names: the appended copy is the archive
        last = {name: position for position, name in kept}
        rebuilt: IO[bytes] = tempfile.TemporaryFile(prefix="genro-storage-")  # noqa: SIM115
        self.temp.seek(0)
        with (
            zipfile.ZipFile(self.temp) as source,
            zipfile.ZipFile(rebuilt, "w", allowZip64=True) as target,
        ):
            for position, info in enumerate(source.infolist()):
                name = info.filename.rstrip("/")
                state = changes.get(name)
                if position in self.broken or state is False:
                    continue
                if state is True and last[name] != position:
                    continue
                _copy_member(source, target, info)
        self.temp.close()
        self.temp = rebuilt
        return rebuilt

    def close(self) -> None:
        # A discarded build's directory is written into a file about to be deleted.
        with contextlib.suppress(ValueError, OSError):
            self.zip.close()
        super().close()


def _copy_member(source: zipfile.ZipFile, target: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.comment = info.comment
    copy.file_size = info.file_size
    if info.is_dir():
        target.writestr(copy, b"")
        return
    if info.flag_bits & _ENCRYPTED:
        raise PermissionError(
            errno.EACCES, "cannot rebuild around an encrypted member", info.filename
        )
    with warnings.catch_warnings():
        # Members sharing a name the batch did not touch are kept as they were.
        warnings.simplefilter("ignore", UserWarning)
        with (
            source.open(info) as reader,
            target.open(copy, "w", force_zip64=info.file_size >= zipfile.ZIP64_LIMIT) as writer,
        ):
            shutil.copyfileobj(reader, writer, CHUNK_SIZE)
