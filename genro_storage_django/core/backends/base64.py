"""``base64`` mounts: the path is the content (``b64:SGVsbG8=`` reads ``b"Hello"``).

Handy for inline data in configuration or tests. Use the URL-safe alphabet
(``-`` and ``_``): ``/`` is a path separator and repeated ones are collapsed.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
from typing import IO

from ..capabilities import BackendCapabilities
from .base import AtomicWriter, Backend, StatResult

__all__ = ["Base64Backend"]


class Base64Backend(Backend):
    type_name = "base64"
    # The path is the content: nothing to list, nothing to write at a path.
    declared_capabilities = BackendCapabilities.read_only(list_dir=False, directories=False)

    def locate(self, path: str) -> str:
        return path

    def relative(self, location: str) -> str:
        return location

    def _decode(self, location: str) -> bytes:
        padded = location + "=" * (-len(location) % 4)
        try:
            if "-" in padded or "_" in padded:
                return base64.urlsafe_b64decode(padded)
            return base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            raise FileNotFoundError(errno.ENOENT, "not valid base64 content", location) from None

    def stat(self, location: str) -> StatResult:
        if not location:
            return StatResult(name="", kind="directory")
        data = self._decode(location)
        return StatResult(name=location.rsplit("/", 1)[-1], kind="file", size=len(data))

    def listdir(self, location: str) -> list[StatResult]:
        if location:
            raise NotADirectoryError(errno.ENOTDIR, "base64 content is a file", location)
        return []

    def open_read(self, location: str) -> IO[bytes]:
        if not location:
            raise IsADirectoryError(errno.EISDIR, "the base64 mount root", location)
        return io.BytesIO(self._decode(location))

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        raise PermissionError(errno.EROFS, "base64 mounts are read-only", location)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        raise PermissionError(errno.EROFS, "base64 mounts are read-only", location)

    def remove_file(self, location: str) -> None:
        raise PermissionError(errno.EROFS, "base64 mounts are read-only", location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        raise PermissionError(errno.EROFS, "base64 mounts are read-only", location)
