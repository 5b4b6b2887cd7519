"""Atomic writers for fsspec filesystems, one per way a filesystem can publish a file.

* :class:`StreamingUploadWriter` for object stores (S3, GCS, Azure): an upload
  becomes visible only when it completes, so streaming straight into it is atomic;
  aborting cancels the multipart/resumable upload.
* :class:`TempRenameWriter` for filesystems with real files (sftp, smb, ``file``):
  write a hidden sibling, then rename it over the target.
* :class:`BufferedPutWriter` for in-memory stores: keep the bytes, put them at once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import posixpath
from collections.abc import Callable
from typing import Any

from ..paths import temp_name
from .base import AtomicWriter
from .cloud_errors import reraise
from .local_temps import hold

__all__ = ["BufferedPutWriter", "StreamingUploadWriter", "TempRenameWriter"]

logger = logging.getLogger(__name__)


def temp_sibling(path: str) -> str:
    return posixpath.join(posixpath.dirname(path), temp_name())


class StreamingUploadWriter(AtomicWriter):
    """Stream into an object-store upload; nothing is visible until :meth:`commit`.

    ``open_options`` go to ``fs.open`` (the part size as ``block_size``, the content
    type): the writer holds at most one part in memory, so a 100 MB upload stays
    within a few parts' worth of RSS. Aborting cancels what the store keeps of an
    unfinished upload: the S3 multipart upload, the GCS resumable session; Azure's
    uncommitted blocks are never visible and expire on their own after a week.
    ``on_commit`` runs once the object exists (the backend's ``after_upload``);
    ``translate`` is the backend's mapping of SDK errors to storage errors.
    """

    def __init__(
        self,
        fs: Any,
        path: str,
        *,
        exclusive: bool = False,
        on_commit: Callable[[], None],
        translate: Callable[[Exception], BaseException],
        **open_options: Any,
    ):
        super().__init__()
        self._file = fs.open(path, "xb" if exclusive else "wb", **open_options)
        self._on_commit = on_commit
        # Parts are sent from write() and the last one from close(): the store's failures
        # surface there, so the backend's translation of SDK errors applies there too.
        self._translate = translate

    def write(self, data: Any) -> int:
        try:
            self._file.write(data)
        except Exception as exc:
            reraise(exc, self._translate)
        return len(memoryview(data))

    def _commit(self) -> None:
        try:
            self._file.close()
            self._on_commit()
        except Exception as exc:
            reraise(exc, self._translate)

    def _abort(self) -> None:
        try:
            self._file.discard()
        except Exception:
            # Never mask the error that made us abort. The object was not published
            # either way; what is left is an upload the store bills until it expires.
            logger.warning(
                "could not cancel the upload of %s; an S3 bucket keeps unfinished "
                "multipart uploads until a lifecycle rule removes them",
                getattr(self._file, "path", "?"),
                exc_info=True,
            )
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
        # On the local disk the file is held as LocalAtomicWriter holds its own, so the
        # sweep of stale temporary files passes it by; elsewhere it has no descriptor.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            hold(self._file.fileno())

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
