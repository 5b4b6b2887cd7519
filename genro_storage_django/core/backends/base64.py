"""``base64`` mounts: the path is the content (``b64:SGVsbG8=`` reads ``b"Hello"``).

Handy for inline data in configuration or tests. Whitespace in the data is dropped (MIME
wraps base64 in lines). Use the URL-safe alphabet (``-`` and ``_``) for data holding ``/``:
``/`` is a path separator and repeated ones are collapsed.

A write publishes nothing anywhere: the data becomes the node's new path (genro-storage's
behaviour), in the standard alphabet unless that holds a ``/``, then the URL-safe one, so
that the node's ``fullpath`` always names the same content again. There are no
directories, so nothing can be created or deleted.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import re
import time
from typing import IO, Any

from ..capabilities import BackendCapabilities
from .base import AtomicWriter, Backend, StatResult

__all__ = ["Base64Backend"]

_WHITESPACE = re.compile(r"\s+")
_TO_STANDARD = str.maketrans("-_", "+/")
_READ_ONLY = "Base64 mounts are read-only: a write gives the node a new path instead"


def encode(data: bytes) -> str:
    """The path of ``data``: the standard alphabet when it makes a valid path, else URL-safe."""
    standard = base64.b64encode(data).decode("ascii")
    if "/" not in standard:
        return standard
    return base64.urlsafe_b64encode(data).decode("ascii")


class _PathWriter(AtomicWriter):
    """Collects the data; on commit the encoded data is where it is published."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = io.BytesIO()

    def write(self, data: Any) -> int:
        return self._buffer.write(data)

    def _commit(self) -> None:
        self._published_at(encode(self._buffer.getvalue()))

    def _abort(self) -> None:
        self._buffer = io.BytesIO()


class Base64Backend(Backend):
    type_name = "base64"
    # The path is the content: nothing to list or delete, and a write gives a new path.
    declared_capabilities = BackendCapabilities(
        delete=False, mkdir=False, list_dir=False, directories=False
    )
    root_is_directory = False  # "b64:" is empty content: no file, and nowhere to list

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Inline data has no time of its own: the mount's creation stands for it, stable
        # for the life of the mount, so syncs comparing times see nothing change.
        self._created = time.time()

    def prepare_path(self, raw: str) -> str:
        return _WHITESPACE.sub("", raw)

    def locate(self, path: str) -> str:
        return path

    def relative(self, location: str) -> str:
        return location

    def _decode(self, location: str) -> bytes:
        if not location:
            raise FileNotFoundError(errno.ENOENT, "base64 content cannot be empty", location)
        # Either alphabet (or a mix): the URL-safe characters mapped to the standard ones,
        # then decoded strictly, so that a stray character is refused, not skipped.
        standard = location.translate(_TO_STANDARD)
        padded = standard + "=" * (-len(standard) % 4)
        try:
            return base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            raise FileNotFoundError(errno.ENOENT, "Invalid base64 content", location) from None

    def stat(self, location: str) -> StatResult:
        data = self._decode(location)
        return StatResult(
            name=location.rsplit("/", 1)[-1], kind="file", size=len(data), mtime=self._created
        )

    def listdir(self, location: str) -> list[StatResult]:
        if location:
            raise NotADirectoryError(errno.ENOTDIR, "base64 content is a file", location)
        return []

    def open_read(self, location: str) -> IO[bytes]:
        return io.BytesIO(self._decode(location))

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        return _PathWriter()

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        raise PermissionError(errno.EROFS, _READ_ONLY, location)

    def remove_file(self, location: str) -> None:
        raise PermissionError(errno.EROFS, _READ_ONLY, location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        raise PermissionError(errno.EROFS, _READ_ONLY, location)
