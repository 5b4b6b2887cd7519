"""Atomic writes to local disk, and making a batch of them durable at once.

A :class:`LocalAtomicWriter` writes a hidden temporary sibling and renames it over
its target on commit; :func:`make_durable` syncs many writers with one ``syncfs``
per filesystem where the kernel allows it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import stat
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, NamedTuple, cast

from ..paths import temp_name
from .base import AtomicWriter
from .local_temps import hold, sweep_for_write
from .local_tree import make_dirs

__all__ = ["LocalAtomicWriter", "Modes", "make_durable"]

_COPY_CHUNK = 1 << 20
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC
_READ_FLAGS = os.O_RDONLY | _CLOEXEC


class Modes(NamedTuple):
    """Permission bits of new files and directories; None leaves them to the umask."""

    file: int | None = None
    directory: int | None = None


_UMASK_MODES = Modes()


class LocalAtomicWriter(AtomicWriter):
    """Temporary sibling, fsync, ``os.replace``: readers see the old or the new file.

    Without ``fsync`` a killed process still leaves no torn file (the kernel keeps
    what was written), but after a power loss a new file may be found empty.

    The writer holds a bare descriptor and builds a buffered stream only when
    :meth:`write` is first called: a kernel copy (:meth:`copy_from`) needs none,
    and skipping it saves the ``fstat``, ``ioctl`` and ``lseek`` that opening a
    Python file object costs for every file of a sync.
    """

    def __init__(
        self,
        target: str,
        *,
        exclusive: bool = False,
        fsync: bool = True,
        modes: Modes = _UMASK_MODES,
    ) -> None:
        directory = os.path.dirname(target)
        sweep_for_write(directory)
        temporary = os.path.join(directory, temp_name())
        try:
            # Mode 0o666 lets the kernel apply the process's umask, as open() would.
            fd = os.open(temporary, _CREATE_FLAGS, 0o666)
        except FileNotFoundError:
            make_dirs(directory, modes.directory)
            fd = os.open(temporary, _CREATE_FLAGS, 0o666)
        hold(fd)
        self._temp = temporary
        self._fd = fd
        self._stream: BinaryIO | None = None
        # Armed only now: a failure above leaves nothing behind to abort.
        super().__init__()
        self._target = target
        self._exclusive = exclusive
        self._fsync = fsync
        self._file_mode = modes.file

    def write(self, data: Any) -> int:
        if self._stream is None:
            self._stream = open(self._fd, "wb", closefd=False)  # noqa: SIM115
        return self._stream.write(data)

    def copy_from(self, source: str) -> None:
        """Copy a local file's content in the kernel (sendfile) where it can."""
        self._flush_buffer()
        source_fd = os.open(source, _READ_FLAGS)
        try:
            offset = 0
            try:
                while sent := os.sendfile(self._fd, source_fd, offset, _COPY_CHUNK):
                    offset += sent
            except OSError:
                if offset:
                    raise
                # No sendfile between these two files: copy through user space (a
                # directory given as the source fails here, with IsADirectoryError).
                while chunk := os.read(source_fd, _COPY_CHUNK):
                    self.write(chunk)
        finally:
            os.close(source_fd)

    def set_mtime(self, mtime: float) -> None:
        """Give the file its modification time before it is published."""
        self._flush_buffer()  # a later flush would move the time again
        os.utime(self._fd, (mtime, mtime))

    def sync(self) -> None:
        """Make the written bytes durable now (a commit then needs no fsync)."""
        self._flush_buffer()
        os.fsync(self._fd)
        self._fsync = False

    def prepare_batch_sync(self) -> tuple[int, int]:
        """Hand buffered bytes to the OS for a batch sync (:func:`make_durable`); the
        descriptor to sync and its filesystem's device."""
        self._flush_buffer()
        return self._fd, os.fstat(self._fd).st_dev

    def mark_durable(self) -> None:
        """A batch sync made the bytes durable: the commit needs no fsync of its own."""
        self._fsync = False

    def _flush_buffer(self) -> None:
        if self._stream is not None:
            self._stream.flush()

    def _commit(self) -> None:
        self._flush_buffer()
        mode = self._file_mode if self._file_mode is not None else self._replaced_mode()
        if mode is not None:
            # Before the rename: the file is published with its mode.
            os.fchmod(self._fd, mode)
        if self._fsync:
            os.fsync(self._fd)
        # Renamed before it is closed: the writer's lock keeps a sweep off it until then.
        if self._exclusive:
            # link() fails if the target exists, where replace() would overwrite it.
            os.link(self._temp, self._target)
            os.unlink(self._temp)
        else:
            os.replace(self._temp, self._target)
        self._close()

    def _replaced_mode(self) -> int | None:
        """The permission bits of the regular file this write replaces, if any: an overwrite
        is a new inode, which would otherwise take the umask's bits (a 0o600 secret would
        become readable by all)."""
        if self._exclusive:
            return None
        try:
            status = os.lstat(self._target)
        except FileNotFoundError:
            return None
        return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else None

    def _abort(self) -> None:
        self._close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp)

    def _close(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            if self._stream is not None:
                # closefd=False: the stream flushes, the descriptor is closed below.
                with contextlib.suppress(OSError):
                    self._stream.close()
        finally:
            os.close(fd)


def make_durable(writers: Sequence[LocalAtomicWriter]) -> list[Exception | None]:
    """Make every writer's bytes durable; the failure (or None) of each writer.

    With ``syncfs`` one call per filesystem flushes the whole batch: a single
    journal commit and device flush, where an fsync per file can cost one each.
    Elsewhere, or for a single file, each writer is fsynced.
    """
    syncfs = _syncfs()
    if syncfs is None or len(writers) < 2:
        failures: list[Exception | None] = []
        for writer in writers:
            try:
                writer.sync()
            except Exception as exc:
                failures.append(exc)
            else:
                failures.append(None)
        return failures
    # A mount point below the root puts some files on another filesystem: one syncfs each.
    by_device: dict[int, tuple[int, list[int]]] = {}
    for position, writer in enumerate(writers):
        fd, device = writer.prepare_batch_sync()
        by_device.setdefault(device, (fd, []))[1].append(position)
    result: list[Exception | None] = [None] * len(writers)
    for fd, positions in by_device.values():
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            for position in positions:
                result[position] = OSError(code, f"syncfs: {os.strerror(code)}")
        else:
            for position in positions:
                writers[position].mark_durable()
    return result


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs``, where the kernel reports write-back errors through it.

    Linux reports them since 5.8; before that ``syncfs`` returned 0 even when
    write-back failed, so older kernels keep an fsync per file.
    """
    release = re.match(r"(\d+)\.(\d+)", os.uname().release) if sys.platform == "linux" else None
    if release is None or (int(release[1]), int(release[2])) < (5, 8):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)
