"""``StorageNode``: a pathlib-like handle on one path of one mount.

A node is a value: it names ``mount:path`` and compares and hashes by that name
(never by content). It touches the backend only when a method asks it to; the
backend location is computed (and its safety checked) on first use and kept.
"""

from __future__ import annotations

import errno
import hashlib
import io
import mimetypes
import os
import posixpath
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, NoReturn, Protocol

from . import errors
from .backends.base import AtomicWriter, Backend, StatResult
from .backends.local_tree import make_dirs
from .errors import raise_as_storage_error
from .globbing import compile_glob
from .listing import (
    UNSAFE_NAME,
    OnSkip,
    is_safe_name,
    safe_entries,
    skipped,
    walk_backend,
    walk_tree,
)
from .modes import CHUNK_SIZE, TextWriter, parse_mode
from .paths import join
from .transfer import TransferReport, copy, move
from .uploads import PresignedUpload, check_upload

if TYPE_CHECKING:
    from .manager import Mount, StorageManager

__all__ = ["StorageNode", "UrlSigner"]

_ROOT_STAT = StatResult(name="", kind="directory")


class UrlSigner(Protocol):
    """``StorageManager.url_signer``: makes the URLs of :meth:`StorageNode.signed_url`."""

    def __call__(
        self,
        node: StorageNode,
        *,
        expires_in: int | None,
        download: bool,
        filename: str | None,
    ) -> str | None: ...


class StorageNode:
    __slots__ = ("_location", "_manager", "_mount", "_path")

    def __init__(self, manager: StorageManager, mount: Mount, path: str) -> None:
        self._manager = manager
        self._mount = mount
        self._path = path
        self._location: str | None = None

    # -- naming ------------------------------------------------------------------
    @property
    def manager(self) -> StorageManager:
        return self._manager

    @property
    def mount(self) -> Mount:
        return self._mount

    @property
    def backend(self) -> Backend:
        return self._mount.backend

    @property
    def mount_name(self) -> str:
        return self._mount.name

    @property
    def path(self) -> str:
        """The normalised path inside the mount ("" for the mount root)."""
        return self._path

    @property
    def fullpath(self) -> str:
        return f"{self._mount.name}:{self._path}"

    @property
    def basename(self) -> str:
        return posixpath.basename(self._path)

    name = basename

    @property
    def stem(self) -> str:
        base = self.basename
        dot = base.rfind(".")
        return base[:dot] if dot > 0 else base

    @property
    def suffix(self) -> str:
        base = self.basename
        dot = base.rfind(".")
        return base[dot:] if 0 < dot < len(base) - 1 else ""

    @property
    def parent(self) -> StorageNode:
        return StorageNode(self._manager, self._mount, posixpath.dirname(self._path))

    @property
    def dirname(self) -> str:
        """The parent's full path (``mount:dir``)."""
        return self.parent.fullpath

    @property
    def mimetype(self) -> str:
        guessed, _encoding = mimetypes.guess_type(self.basename, strict=False)
        return guessed or "application/octet-stream"

    def child(self, *parts: str | os.PathLike[str]) -> StorageNode:
        return StorageNode(self._manager, self._mount, join(self._path, *parts))

    def __truediv__(self, part: str | os.PathLike[str]) -> StorageNode:
        return self.child(part)

    def with_name(self, name: str) -> StorageNode:
        return self.parent.child(name)

    def with_suffix(self, suffix: str) -> StorageNode:
        return self.with_name(self.stem + suffix)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StorageNode):
            return NotImplemented
        return (
            self._manager is other._manager
            and self._mount.name == other._mount.name
            and self._path == other._path
        )

    def __hash__(self) -> int:
        return hash((self._mount.name, self._path))

    def __repr__(self) -> str:
        return f"StorageNode({self.fullpath!r})"

    def __str__(self) -> str:
        return self.fullpath

    # -- metadata ----------------------------------------------------------------
    @property
    def location(self) -> str:
        """The backend's location of this path, checked to stay inside the mount (cached).

        For layers above the core that call the backend directly (the file view)."""
        return self._loc()

    def _loc(self) -> str:
        location = self._location
        if location is None:
            location = self._location = self._mount.backend.locate(self._path)
        return location

    def stat(self) -> StatResult:
        """Size, mtime, kind, etag, MD5 and content type from one backend call."""
        try:
            return self._mount.backend.stat(self._loc())
        except FileNotFoundError as exc:
            if not self._path:
                return _ROOT_STAT
            self._fail(exc, "stat")
        except Exception as exc:
            self._fail(exc, "stat")

    def exists(self) -> bool:
        # A mount root always exists, even before anything created its directory.
        return not self._path or self._mount.backend.exists(self._loc())

    def is_file(self) -> bool:
        return bool(self._path) and self._mount.backend.is_file(self._loc())

    def is_dir(self) -> bool:
        found = self.stat_or_none()
        return found is not None and found.is_dir

    def size(self) -> int:
        return self.stat().size

    def mtime(self) -> float | None:
        return self.stat().mtime

    def stat_or_none(self) -> StatResult | None:
        """The stat, or None when nothing is at this path (a mount root always is).

        What the transfer engine asks of a destination before deciding to copy."""
        try:
            return self._mount.backend.stat(self._loc())
        except (FileNotFoundError, NotADirectoryError):
            return None if self._path else _ROOT_STAT
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                return None  # no name that long can exist
            self._fail(exc, "stat")

    # transfer.py and sync.py still call the private name; it goes when they move over
    # to stat_or_none (issue 13).
    _stat_or_none = stat_or_none

    # -- content -----------------------------------------------------------------
    def open(
        self,
        mode: str = "rb",
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> IO[Any]:
        """Open for streaming: ``r``/``rb`` read; ``w``, ``x``, ``a`` (+``b``) write atomically.

        A write is published when the file is closed; leaving a ``with`` block
        through an exception discards it and leaves the previous content in place.
        """
        kind, binary = parse_mode(mode)
        if kind == "r":
            try:
                reader = self._mount.backend.open_read(self._loc())
            except Exception as exc:
                self._fail(exc, "open")
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
        self._require("write")
        backend = self._mount.backend
        try:
            writer = backend.open_writer(self._loc(), exclusive=exclusive)
        except Exception as exc:
            self._fail(exc, "write")
        writer.error_context = f"cannot write {self.fullpath}"
        if append and backend.exists(self._loc()):
            try:
                with backend.open_read(self._loc()) as previous:
                    while chunk := previous.read(CHUNK_SIZE):
                        writer.write(chunk)
            except BaseException:
                writer.abort()
                raise
        return writer

    def read_bytes(self) -> bytes:
        try:
            return self._mount.backend.read_bytes(self._loc())
        except Exception as exc:
            self._fail(exc, "read")

    def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self.read_bytes().decode(encoding, errors)

    def write_bytes(self, data: bytes | bytearray | memoryview) -> int:
        self._require("write")
        try:
            self._mount.backend.write_bytes(self._loc(), bytes(data))
        except Exception as exc:
            self._fail(exc, "write")
        self._mount.backend.invalidate(self._loc())
        return len(data)

    def write_text(self, text: str, encoding: str = "utf-8", errors: str = "strict") -> int:
        self.write_bytes(text.encode(encoding, errors))
        return len(text)

    def read(self, mode: str = "r", encoding: str = "utf-8") -> str | bytes:
        """genro-storage spelling: text by default, bytes with ``mode="rb"``."""
        return self.read_bytes() if "b" in mode else self.read_text(encoding)

    def write(self, data: str | bytes, encoding: str = "utf-8") -> int:
        """genro-storage spelling: writes text or bytes, whichever it is given."""
        if isinstance(data, str):
            return self.write_text(data, encoding)
        return self.write_bytes(data)

    def touch(self) -> None:
        self._require("write")
        try:
            self._mount.backend.touch(self._loc())
        except Exception as exc:
            self._fail(exc, "touch")
        self._mount.backend.invalidate(self._loc())

    # -- directories -------------------------------------------------------------
    def scandir(self, on_skip: OnSkip | None = None) -> Iterator[tuple[StorageNode, StatResult]]:
        """The entries directly inside this directory with their stat, sorted by name.

        An entry whose name the path rules refuse is left out, logged and passed to
        ``on_skip(path, reason)`` (see :mod:`~genro_storage_django.core.listing`).
        """
        try:
            entries = self._mount.backend.listdir(self._loc())
        except FileNotFoundError as exc:
            if self._path:
                self._fail(exc, "list")
            entries = []
        except Exception as exc:
            self._fail(exc, "list")
        base = f"{self._path}/" if self._path else ""
        for entry in sorted(entries, key=lambda e: e.name):
            if is_safe_name(entry.name):
                yield self._listed(base + entry.name), entry
            else:
                skipped(on_skip, f"{self._mount.name}:{base}{entry.name}", UNSAFE_NAME)

    def _listed(self, path: str) -> StorageNode:
        """A node for a path the backend's listing returned: its location needs no check."""
        node = StorageNode(self._manager, self._mount, path)
        node._location = self._mount.backend.listed_location(path)
        return node

    def _listed_below(self, relative: str) -> StorageNode:
        """:meth:`_listed` for a path relative to this directory."""
        return self._listed(f"{self._path}/{relative}" if self._path else relative)

    def iterdir(self) -> Iterator[StorageNode]:
        for child, _entry in self.scandir():
            yield child

    def children(self) -> list[StorageNode]:
        return list(self.iterdir())

    def walk(
        self, top_down: bool = True, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[StorageNode, list[StorageNode], list[StorageNode]]]:
        """Like ``Path.walk``: (directory, its sub-directories, its files) per directory.

        A symlink back to a directory the walk is inside is reported as a loop to
        ``on_skip``, not followed; entries with refused names are reported too.
        """
        return walk_tree(self, top_down, on_skip)

    def walk_files(self, on_skip: OnSkip | None = None) -> Iterator[tuple[StorageNode, StatResult]]:
        """Every file below this directory with its stat (one listing on object stores).

        Entries left out (refused names, symlink loops) go to ``on_skip(path, reason)``.
        """
        for relative, entry in self._walk_entries(on_skip):
            yield self._listed_below(relative), entry

    def _walk_entries(self, on_skip: OnSkip | None = None) -> list[tuple[str, StatResult]]:
        """:meth:`walk_files` as paths relative to this directory, building no nodes.

        A sync of ten thousand files compares stats and builds nodes only for the
        files it copies or deletes.
        """
        try:
            found = list(
                safe_entries(
                    walk_backend(self._mount.backend, self._loc(), on_skip),
                    self._mount.name,
                    on_skip,
                )
            )
        except Exception as exc:
            self._fail(exc, "list")
        if not self._path:
            return found
        prefix = len(self._path) + 1
        return [(path[prefix:], entry) for path, entry in found]

    def glob(self, pattern: str) -> list[StorageNode]:
        """Files and directories below this node matching ``pattern`` (``**`` aware)."""
        join("", pattern)  # a pattern obeys the path rules too: no '..', no absolute
        matches = compile_glob(pattern)
        found: set[str] = set()
        for relative, _entry in self._walk_entries():
            parts = relative.split("/")
            for depth in range(1, len(parts) + 1):
                candidate = "/".join(parts[:depth])
                if matches(candidate):
                    found.add(candidate)
        return [self.child(path) for path in sorted(found)]

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self._require("write")
        # The mount root counts as existing, so its direct children need no `parents`.
        parents = parents or "/" not in self._path
        try:
            self._mount.backend.mkdir(self._loc(), parents=parents, exist_ok=exist_ok)
        except Exception as exc:
            self._fail(exc, "mkdir")

    def delete(self, recursive: bool = False) -> bool:
        """Delete the file or directory; True if something was deleted.

        A missing path is not an error. A non-empty directory needs ``recursive=True``.
        """
        self._require("delete")
        backend = self._mount.backend
        found = self.stat_or_none()
        if found is None:
            return False
        try:
            if found.is_dir:
                backend.remove_dir(self._loc(), recursive=recursive)
            else:
                backend.remove_file(self._loc())
        except FileNotFoundError:
            return False
        except Exception as exc:
            self._fail(exc, "delete")
        backend.invalidate(self._loc())
        return True

    # -- transfers ---------------------------------------------------------------
    def copy_to(self, dest: StorageNode | str, **options: Any) -> TransferReport:
        """Copy this file or directory tree to ``dest`` (see :func:`transfer.copy`)."""
        return copy(self, self._manager.resolve(dest), **options)

    def move_to(self, dest: StorageNode | str, **options: Any) -> TransferReport:
        """Move: copy, verify, then delete the source (see :func:`transfer.move`)."""
        return move(self, self._manager.resolve(dest), **options)

    def md5hash(self) -> str:
        """The MD5 hex digest: the backend's when it is a true MD5, else streamed."""
        found = self.stat()
        if found.is_dir:
            self._fail(IsADirectoryError(errno.EISDIR, "is a directory"), "md5")
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
            raise ValueError(f"local_path mode must be 'r', 'w' or 'rw', not {mode!r}")
        writing = "w" in mode
        if writing:
            self._require("write")
        direct = self._mount.backend.local_file(self._loc())
        if direct is not None:
            if writing:
                make_dirs(os.path.dirname(direct), exist_ok=True)
            yield direct
            return
        with tempfile.TemporaryDirectory(prefix="genro-storage-") as scratch:
            local = os.path.join(scratch, self.basename or "content")
            if "r" in mode and (mode == "r" or self.exists()):
                with self.open("rb") as source, open(local, "wb") as target:
                    while chunk := source.read(CHUNK_SIZE):
                        target.write(chunk)
            yield local
            if writing and os.path.exists(local):
                with open(local, "rb") as source, self.open("wb") as target:
                    while chunk := source.read(CHUNK_SIZE):
                        target.write(chunk)

    def url(self, expires_in: int | None = None) -> str | None:
        """A URL for the file: ``base_url`` + path, presigned on cloud mounts, else None."""
        return self._mount.backend.url(self._loc(), self._path, expires_in)

    def presigned_upload(
        self,
        *,
        expires_in: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
    ) -> PresignedUpload:
        """A request a browser can send to store this file directly (docs/core.md)."""
        self._require("write")
        upload = self._mount.backend.presigned_upload(
            self._loc(),
            expires_in=Backend.expiry(expires_in),
            max_size=max_size,
            content_type=content_type,
        )
        if upload is None:
            raise errors.StorageError(
                f"cannot presign an upload to {self.fullpath}: {self._mount.backend.type_name} "
                "mounts take uploads through the server only"
            )
        return upload

    def verify_upload(
        self,
        *,
        expected_size: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
    ) -> StatResult:
        """The stat of a direct upload, once checked: :class:`UploadVerificationError`
        when its size or type is not the announced one."""
        found = self.stat()
        check_upload(
            self.fullpath,
            found,
            expected_size=expected_size,
            max_size=max_size,
            content_type=content_type,
        )
        return found

    def signed_url(
        self,
        expires_in: int | None = None,
        *,
        download: bool = False,
        filename: str | None = None,
    ) -> str:
        """A URL that lets whoever holds it fetch the file until it expires.

        The core signs nothing itself: it asks the manager's ``url_signer``. The
        Django app installs one on the manager of ``STORAGE_MOUNTS`` (a signed URL of
        its file view, see docs/serving.md). Raises :class:`StorageError` when there
        is no signer or the signer cannot make a URL (a mount that is not served).
        """
        signer = self._manager.url_signer
        if signer is None:
            raise errors.StorageError(
                f"cannot sign a URL for {self.fullpath}: this manager has no url_signer "
                "(the Django app installs one on the manager of settings.STORAGE_MOUNTS)"
            )
        url = signer(self, expires_in=expires_in, download=download, filename=filename)
        if url is None:
            raise errors.StorageError(
                f"cannot sign a URL for {self.fullpath}: mount {self.mount_name!r} is not served"
            )
        return url

    # -- errors ------------------------------------------------------------------
    def _require(self, action: str) -> None:
        permissions = self._mount.permissions
        allowed = permissions.can_delete if action == "delete" else permissions.can_write
        if not allowed:
            raise errors.StoragePermissionError(
                f"cannot {action} {self.fullpath}: mount {self._mount.name!r} "
                f"is {permissions.value}"
            )

    def _fail(self, exc: BaseException, action: str) -> NoReturn:
        """Re-raise a backend exception as a storage error naming ``mount:path``."""
        # "archive: (mount root): ..." rather than "archive:: ...".
        where = f"{self.fullpath} (mount root)" if not self._path else self.fullpath
        raise_as_storage_error(exc, f"cannot {action} {where}")
