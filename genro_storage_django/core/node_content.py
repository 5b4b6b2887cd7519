"""What a :class:`~genro_storage_django.core.StorageNode` reads and writes: streams, whole
contents, checksums and local copies for external tools.

A mixin of ``StorageNode``, kept apart so that the node's naming, listing and transfer
methods and its content methods each stay readable; it uses the node's public interface only.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, NoReturn

from .backends.base import AtomicWriter, Backend, StatResult
from .backends.local_tree import make_dirs
from .errors import ContentTypeError, InvalidModeError, NotAFileError
from .modes import CHUNK_SIZE, TextWriter, parse_mode

__all__ = ["NodeContent"]


class NodeContent:
    """Reading and writing the content at a node's path."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by StorageNode

        @property
        def backend(self) -> Backend: ...
        @property
        def location(self) -> str: ...
        @property
        def basename(self) -> str: ...
        @property
        def fullpath(self) -> str: ...
        def stat(self) -> StatResult: ...
        def stat_or_none(self) -> StatResult | None: ...
        def exists(self) -> bool: ...
        def require(self, action: str) -> None: ...
        def raise_for(self, exc: BaseException, action: str) -> NoReturn: ...
        def relocate(self, location: str) -> None: ...

    def open(
        self,
        mode: str = "r",
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> IO[Any]:
        """Open for streaming: ``r``/``rb`` read; ``w``, ``x``, ``a`` (+``b``) write atomically.

        Text (``"r"``) by default, as ``pathlib.Path.open`` and genro-storage. A write is
        published when the file is closed; leaving a ``with`` block through an exception
        discards it and leaves the previous content in place.
        """
        kind, binary = parse_mode(mode)
        if kind == "r":
            try:
                reader = self.backend.open_read(self.location)
            except Exception as exc:
                self.raise_for(exc, "open")
            if binary:
                return reader
            return io.TextIOWrapper(
                reader, encoding=encoding or "utf-8", errors=errors, newline=newline
            )
        writer = self._open_writer(exclusive=kind == "x", append=kind == "a")
        if binary:
            return writer  # type: ignore[return-value]
        return TextWriter(
            writer,  # type: ignore[arg-type]
            encoding=encoding or "utf-8",
            errors=errors,
            newline=newline,
        )

    def _open_writer(self, *, exclusive: bool = False, append: bool = False) -> AtomicWriter:
        self.require("write")
        backend = self.backend
        try:
            writer = backend.open_writer(self.location, exclusive=exclusive)
        except Exception as exc:
            self.raise_for(exc, "write")
        writer.error_context = f"cannot write {self.fullpath}"
        writer.on_relocated = self.relocate
        if append and backend.exists(self.location):
            try:
                with backend.open_read(self.location) as previous:
                    shutil.copyfileobj(previous, writer, CHUNK_SIZE)
            except BaseException:
                writer.abort()
                raise
        return writer

    def read_bytes(self) -> bytes:
        try:
            return self.backend.read_bytes(self.location)
        except Exception as exc:
            self.raise_for(exc, "read")

    def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self.read_bytes().decode(encoding, errors)

    def write_bytes(
        self, data: bytes | bytearray | memoryview, *, skip_if_unchanged: bool = False
    ) -> bool:
        """Write ``data`` atomically; False when ``skip_if_unchanged`` found it there already."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ContentTypeError(
                f"cannot write {self.fullpath}: bytes expected, not {type(data).__name__}"
            )
        self.require("write")
        payload = bytes(data)
        if skip_if_unchanged and self._holds(payload):
            return False
        try:
            moved = self.backend.write_bytes(self.location, payload)
        except Exception as exc:
            self.raise_for(exc, "write")
        self.backend.invalidate(self.location)
        if moved is not None:
            self.relocate(moved)
        return True

    def write_text(
        self,
        text: str,
        encoding: str = "utf-8",
        errors: str = "strict",
        *,
        skip_if_unchanged: bool = False,
    ) -> bool:
        """Write ``text`` encoded; False when ``skip_if_unchanged`` found it there already."""
        if not isinstance(text, str):
            raise ContentTypeError(
                f"cannot write {self.fullpath}: str expected, not {type(text).__name__}"
            )
        return self.write_bytes(text.encode(encoding, errors), skip_if_unchanged=skip_if_unchanged)

    def _holds(self, data: bytes) -> bool:
        """Whether the file already holds exactly ``data``: sizes first, then the store's
        MD5 when it has one, else the content itself, streamed."""
        found = self.stat_or_none()
        if found is None or not found.is_file or found.size != len(data):
            return False
        if found.md5:
            return found.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
        view = memoryview(data)
        offset = 0
        with self.open("rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                if view[offset : offset + len(chunk)] != chunk:
                    return False
                offset += len(chunk)
        return offset == len(data)

    def read(self, mode: str = "r", encoding: str = "utf-8") -> str | bytes:
        """genro-storage spelling: text with ``mode="r"`` (the default), bytes with ``"rb"``."""
        if mode == "r":
            return self.read_text(encoding)
        if mode == "rb":
            return self.read_bytes()
        raise InvalidModeError(f"read mode must be 'r' (text) or 'rb' (bytes), not {mode!r}")

    def write(
        self,
        data: str | bytes,
        mode: str | None = None,
        encoding: str = "utf-8",
        skip_if_unchanged: bool = False,
    ) -> bool:
        """genro-storage spelling: ``mode="w"`` writes text, ``"wb"`` bytes; without a mode,
        whichever ``data`` is. True when written, False when ``skip_if_unchanged`` found
        the content there already."""
        if mode is None:
            mode = "w" if isinstance(data, str) else "wb"
        if mode == "w":
            if not isinstance(data, str):
                raise ContentTypeError(
                    f"cannot write {self.fullpath}: mode 'w' writes str, not {type(data).__name__}"
                )
            return self.write_text(data, encoding, skip_if_unchanged=skip_if_unchanged)
        if mode == "wb":
            if isinstance(data, str):
                raise ContentTypeError(
                    f"cannot write {self.fullpath}: mode 'wb' writes bytes, not str"
                )
            return self.write_bytes(data, skip_if_unchanged=skip_if_unchanged)
        raise InvalidModeError(f"write mode must be 'w' (text) or 'wb' (bytes), not {mode!r}")

    def touch(self) -> None:
        self.require("write")
        try:
            self.backend.touch(self.location)
        except Exception as exc:
            self.raise_for(exc, "touch")
        self.backend.invalidate(self.location)

    def md5hash(self) -> str:
        """The MD5 hex digest: the backend's when it is a true MD5, else streamed."""
        found = self.stat()
        if found.is_dir:
            raise NotAFileError(f"Cannot compute hash of directory {self.fullpath}")
        if found.md5:
            return found.md5
        digest = hashlib.md5(usedforsecurity=False)
        with self.open("rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_path(self, mode: str = "r") -> Iterator[str]:
        """A real local file path for external tools, for the duration of the block.

        On local mounts it is the file itself. Elsewhere it is a temporary copy:
        downloaded first for ``r``/``rw``, uploaded when the block ends without
        an exception for ``w``/``rw``.
        """
        if mode not in ("r", "w", "rw"):
            raise InvalidModeError(f"local_path mode must be 'r', 'w' or 'rw', not {mode!r}")
        writing = "w" in mode
        if writing:
            self.require("write")
        direct = self.backend.local_file(self.location)
        if direct is not None:
            if writing:
                make_dirs(os.path.dirname(direct), exist_ok=True)
            yield direct
            return
        with tempfile.TemporaryDirectory(prefix="genro-storage-") as scratch:
            local = os.path.join(scratch, self.basename or "content")
            if "r" in mode and (mode == "r" or self.exists()):
                with self.open("rb") as source, open(local, "wb") as target:
                    shutil.copyfileobj(source, target, CHUNK_SIZE)
            yield local
            if writing and os.path.exists(local):
                with open(local, "rb") as source, self.open("wb") as target:
                    shutil.copyfileobj(source, target, CHUNK_SIZE)
