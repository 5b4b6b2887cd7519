"""Temporary files that killed writes leave on local disk, and their removal.

A write killed before its commit (SIGKILL, a crash, a power loss) leaves its
temporary sibling behind (:func:`~genro_storage_django.core.paths.is_temp_name`).
Listings never show it; it is removed when its directory is next listed, written
to or deleted, once it is *stale*:

* neither its data nor its metadata changed for :data:`STALE_TEMP_AGE` seconds.
  Both ``st_mtime`` and ``st_ctime`` count: a copy keeping the source's
  modification time sets the temporary file's ``mtime`` back, but nothing can set
  ``ctime`` back;
* and no live writer holds it: every writer keeps an exclusive ``flock`` on its
  temporary file for as long as it exists, which the kernel drops when the writer's
  process ends, however it ends. A writer idle for longer than the age keeps its file.

A write to a directory sweeps it at most once per :data:`SWEEP_INTERVAL` in a
process: scanning a large directory before every file of a sync would cost more than
the sync. Listings cost nothing extra: they meet the temporary files anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time

from ..paths import is_temp_name

__all__ = [
    "REMEMBERED_DIRECTORIES",
    "STALE_TEMP_AGE",
    "SWEEP_INTERVAL",
    "hold",
    "remove_if_stale",
    "sweep",
    "sweep_for_write",
]

#: A temporary file unchanged for this long (seconds) and not held by a writer is removed.
STALE_TEMP_AGE = 3600.0
#: A directory is swept before a write at most this often (seconds) per process.
SWEEP_INTERVAL = 600.0
#: Directories swept lately are remembered (with when) up to this many, then forgotten at once.
REMEMBERED_DIRECTORIES = 4096
_swept: dict[str, float] = {}
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def hold(fd: int) -> None:
    """Mark a writer's temporary file as in use for as long as ``fd`` stays open."""
    # A filesystem without locks fails here: its temporary files are then never swept,
    # since remove_if_stale cannot take the lock either.
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_if_stale(path: str) -> bool:
    """Remove one temporary file if it is stale and no writer holds it; True if removed."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    age = time.time() - max(info.st_mtime, info.st_ctime)
    if not stat.S_ISREG(info.st_mode) or age < STALE_TEMP_AGE:
        return False
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False  # published or removed by someone else meanwhile
        return True
    finally:
        os.close(fd)


def sweep(directory: str) -> None:
    """Remove the stale temporary files directly inside ``directory`` (best effort)."""
    try:
        with os.scandir(directory) as scan:
            temporary = [entry.path for entry in scan if is_temp_name(entry.name)]
    except OSError:
        return  # missing or unreadable: the operation that asked reports it, if it cares
    for path in temporary:
        remove_if_stale(path)


def sweep_for_write(directory: str) -> None:
    """Sweep ``directory`` before a write, unless this process swept it lately."""
    now = time.monotonic()
    last = _swept.get(directory)
    if last is not None and now - last < SWEEP_INTERVAL:
        return
    if len(_swept) >= REMEMBERED_DIRECTORIES:
        _swept.clear()
    _swept[directory] = now
    sweep(directory)
