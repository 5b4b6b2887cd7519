"""FileLock: a waiter that locked a lock file its holder removed starts over."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from genro_storage_django.core.backends.local_lock import FileLock


def test_a_waiter_locks_the_file_that_is_there(tmp_path: Path) -> None:
    lock = FileLock(str(tmp_path / "site.zip"))
    # Another holder (its own open file, as another process would have) holds the lock.
    other = os.open(lock.path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other, fcntl.LOCK_EX)
    acquired = threading.Event()
    waiter = threading.Thread(target=lambda: lock.acquire() and acquired.set())
    waiter.start()
    time.sleep(0.2)
    assert not acquired.is_set()
    # The holder lets go as FileLock does: removes the file, then unlocks it.
    os.unlink(lock.path)
    os.close(other)
    waiter.join(timeout=10)
    assert acquired.is_set()
    assert os.path.exists(lock.path)  # a new file, the one the waiter holds
    lock.release()
    assert not os.path.exists(lock.path)


def test_no_lock_where_the_directory_is_missing(tmp_path: Path) -> None:
    assert FileLock(str(tmp_path / "missing" / "site.zip")).acquire() is False
