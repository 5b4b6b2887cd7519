"""Atomic writers for fsspec filesystems, one per way a filesystem can publish a file.

* :class:`StreamingUploadWriter` for object stores (S3, GCS, Azure): an upload
  becomes visible only when it completes, so streaming straight into it is atomic;
  aborting cancels the multipart/resumable upload.
* :class:`TempRenameWriter` for filesystems with real files (sftp, smb, ``file``):
  write a hidden sibling, then rename it over the target.
* :class:`BufferedPutWriter` for in-memory stores: keep the bytes, put them at once.
"""

from __future__ import annotations

import io
import posixpath
import uuid
from typing import Any

from .base import AtomicWriter

__all__ = ["TEMP_MARKER", "BufferedPutWriter", "StreamingUploadWriter", "TempRenameWriter"]

#: Temporary siblings carry this marker; listings hide them.
TEMP_MARKER = ".gsd-tmp-"


def temp_sibling(path: str) -> str:
    head, name = posixpath.split(path)
    return posixpath.join(head, f".{name}{TEMP_MARKER}{uuid.uuid4().hex[:12]}")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TEMP_MARKER in name


class StreamingUploadWriter(AtomicWriter):
    def __init__(self, fs: Any, path: str, *, exclusive: bool = False) -> None:
        super().__init__()
        self._file = fs.open(path, "xb" if exclusive else "wb")

    def write(self, data: Any) -> int:
        self._file.write(data)
        return len(memoryview(data))

    def _commit(self) -> None:
        self._file.close()

    def _abort(self) -> None:
        try:
            self._file.discard()
        finally:
            # fsspec files close (and so publish) themselves when garbage-collected.
            self._file.closed = True


class TempRenameWriter(AtomicWriter):
    def __init__(self, fs: Any, path: str, *, exclusive: bool = False) -> None:
        super().__init__()
        self._fs = fs
        self._path = path
        self._exclusive = exclusive
        self._temp = temp_sibling(path)
        parent = posixpath.dirname(path)
        if parent:
            fs.makedirs(parent, exist_ok=True)
        self._file = fs.open(self._temp, "wb")

    def write(self, data: Any) -> int:
        self._file.write(data)
        return len(memoryview(data))

    def _commit(self) -> None:
        self._file.close()
        if self._exclusive and self._fs.exists(self._path):
            raise FileExistsError(self._path)
        self._fs.mv(self._temp, self._path)

    def _abort(self) -> None:
        try:
            self._file.close()
        finally:
            if self._fs.exists(self._temp):
                self._fs.rm_file(self._temp)


class BufferedPutWriter(AtomicWriter):
    def __init__(self, fs: Any, path: str, *, exclusive: bool = False) -> None:
        super().__init__()
        self._fs = fs
        self._path = path
        self._exclusive = exclusive
        self._buffer = io.BytesIO()

    def write(self, data: Any) -> int:
        return self._buffer.write(data)

    def _commit(self) -> None:
        if self._exclusive and self._fs.exists(self._path):
            raise FileExistsError(self._path)
        self._fs.pipe_file(self._path, self._buffer.getvalue())

    def _abort(self) -> None:
        self._buffer = io.BytesIO()
