"""An exclusive lock between processes on one file of the local disk, held across calls.

The lock is an ``flock`` on a hidden sibling of the file, named like a write's temporary
file (listings never show it) and removed when the lock is let go, so nothing is left
beside the file. A waiter may so lock a sibling that was removed meanwhile: it checks
that the name still leads to the file it locked, and starts over when not. A process
that dies holding the lock loses it with its descriptors; the sibling it leaves is swept
as a stale temporary file (:mod:`.local_temps`).

``flock`` does not tell one process's holders apart, so within a process the lock is
also a thread lock per file: another thread waits for it, and the thread already
holding it (through another mount of the same file) gets an error rather than waiting
for itself forever.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import threading

from ..paths import TEMP_PREFIX

__all__ = ["FileLock"]

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_REGISTRY = threading.Lock()
#: lock file -> (its thread lock, the thread holding it or None)
_IN_PROCESS: dict[str, tuple[threading.Lock, list[int | None]]] = {}


class FileLock:
    """The lock of the local file ``target`` (which need not exist)."""

    def __init__(self, target: str) -> None:
        directory, name = os.path.split(target)
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
        self.path = os.path.join(directory, TEMP_PREFIX + digest)
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Wait for the lock; False (not locked) when ``target``'s directory does not exist,
        which no other process can have written into either."""
        with _REGISTRY:
            thread_lock, holder = _IN_PROCESS.setdefault(self.path, (threading.Lock(), [None]))
        if holder[0] == threading.get_ident():
            raise OSError(errno.EDEADLK, "already being written through another mount", self.path)
        thread_lock.acquire()
        holder[0] = threading.get_ident()
        locked = False
        try:
            locked = self._lock_file()
        finally:
            if not locked:
                holder[0] = None
                thread_lock.release()
        return locked

    def _lock_file(self) -> bool:
        while self._fd is None:
            try:
                fd = os.open(self.path, _OPEN_FLAGS, 0o600)
            except FileNotFoundError:
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _same_file(os.fstat(fd), self.path):
                    self._fd = fd
                    continue
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # let go by its holder and removed: lock the new one
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
            finally:
                os.close(fd)
                thread_lock, holder = _IN_PROCESS[self.path]
                holder[0] = None
                thread_lock.release()


def _same_file(locked: os.stat_result, path: str) -> bool:
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (locked.st_dev, locked.st_ino)
