"""``sqlite`` mounts: every file of the mount in one SQLite database file.

``{"type": "sqlite", "path": "/srv/files.sqlite3"}``. Small files are cheaper there than
one file each on disk. The mount logic is :mod:`.chunked`'s; here are its queries over
the standard library's :mod:`sqlite3`. The database is in WAL mode (readers never wait
for the writer) with ``synchronous=NORMAL``: a killed process loses nothing committed, a
power cut may lose the last commits but never mixes two versions of a file. Each thread
has its own connection, and a process made by ``fork`` opens its own; writers of
several processes take turns through SQLite's lock, waiting up to ``timeout`` seconds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..config import invalid, refuse_nul_path
from .chunk_store import ChunkStore, FileRow
from .chunked import ChunkedBackend

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["SQLiteBackend", "SQLiteChunkStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS file (
    id INTEGER PRIMARY KEY,
    path TEXT UNIQUE,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    md5 TEXT NOT NULL,
    staged REAL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS file_staged ON file (staged) WHERE staged IS NOT NULL;
CREATE TABLE IF NOT EXISTS chunk (
    file_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (file_id, idx)
);
"""
_FILE = "SELECT id, path, size, mtime, md5 FROM file"
#: "/" + 1: the paths that start with "dir/" sort between "dir/" and "dir0".
_AFTER_SLASH = chr(ord("/") + 1)


def _end_of(prefix: str) -> str:
    return prefix[:-1] + _AFTER_SLASH if prefix else "\U0010ffff"


def _os_error(exc: sqlite3.Error, path: str) -> OSError:
    # "database is locked" past the timeout, a corrupt or unreadable file: storage errors.
    return OSError(errno.EIO, f"SQLite: {exc}", path)


@contextlib.contextmanager
def _as_os_errors(path: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _os_error(exc, path) from exc


class SQLiteChunkStore(ChunkStore):
    def __init__(
        self, path: str, timeout: float = 30.0, connection: sqlite3.Connection | None = None
    ) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._fixed = connection
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    def identity(self) -> Hashable:
        return ("sqlite", os.path.realpath(self.path))

    # -- connections -------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        if self._fixed is not None:
            return self._fixed
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            # A connection must never cross a fork: the child opens its own.
            local.connection = self._connect()
            local.pid = os.getpid()
        connection: sqlite3.Connection = local.connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        with _as_os_errors(self.path):
            # Autocommit: transactions are the explicit BEGIN IMMEDIATE of transaction().
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA synchronous=NORMAL")
            with self._schema_lock:
                if not self._schema_ready:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
                    self._schema_ready = True
        return connection

    # The two hot paths catch the errors inline: a context manager per query would
    # cost as much as the query of a small file.
    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise _os_error(exc, self.path) from exc

    def _run(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, parameters)
        except sqlite3.Error as exc:
            raise _os_error(exc, self.path) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        db = self.db
        with _as_os_errors(self.path):
            db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        with _as_os_errors(self.path):
            db.execute("COMMIT")

    def snapshot(self) -> SQLiteChunkStore:
        connection = self._connect()
        # A deferred BEGIN takes its snapshot at the first read, which comes next.
        connection.execute("BEGIN")
        return SQLiteChunkStore(self.path, self.timeout, connection)

    def release(self) -> None:
        if self._fixed is not None:
            self._fixed.close()

    # -- queries -----------------------------------------------------------------------
    def file(self, path: str) -> FileRow | None:
        rows = self._rows(_FILE + " WHERE path = ?", (path,))
        return FileRow(*rows[0]) if rows else None

    def first_chunk(self, path: str) -> tuple[int, int, bytes] | None:
        rows = self._rows("SELECT id, size, data FROM file WHERE path = ?", (path,))
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def chunk(self, file_id: int, index: int) -> bytes | None:
        if index == 0:
            rows = self._rows("SELECT data FROM file WHERE id = ?", (file_id,))
        else:
            rows = self._rows(
                "SELECT data FROM chunk WHERE file_id = ? AND idx = ?", (file_id, index)
            )
        return rows[0][0] if rows else None

    def files_below(self, prefix: str) -> list[FileRow]:
        rows = self._rows(
            _FILE + " WHERE path >= ? AND path < ? ORDER BY path", (prefix, _end_of(prefix))
        )
        return [FileRow(*row) for row in rows]

    def has_file_below(self, prefix: str) -> bool:
        rows = self._rows(
            "SELECT 1 FROM file WHERE path >= ? AND path < ? LIMIT 1", (prefix, _end_of(prefix))
        )
        return bool(rows)

    def any_file(self, paths: Sequence[str]) -> bool:
        if not paths:
            return False
        marks = ", ".join("?" * len(paths))
        return bool(self._rows(f"SELECT 1 FROM file WHERE path IN ({marks}) LIMIT 1", paths))

    def insert_file(
        self, path: str | None, size: int, mtime: float, md5: str, staged: float | None, data: bytes
    ) -> int:
        cursor = self._run(
            "INSERT INTO file (path, size, mtime, md5, staged, data) VALUES (?, ?, ?, ?, ?, ?)",
            (path, size, mtime, md5, staged, data),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def rewrite(self, file_id: int, size: int, mtime: float, md5: str, data: bytes) -> None:
        self._run(
            "UPDATE file SET size = ?, mtime = ?, md5 = ?, data = ? WHERE id = ?",
            (size, mtime, md5, data, file_id),
        )

    def insert_chunk(self, file_id: int, index: int, data: bytes) -> None:
        self._run("INSERT INTO chunk (file_id, idx, data) VALUES (?, ?, ?)", (file_id, index, data))

    def delete_chunks(self, file_id: int) -> None:
        self._run("DELETE FROM chunk WHERE file_id = ?", (file_id,))

    def touch_staged(self, file_id: int, when: float) -> bool:
        cursor = self._run(
            "UPDATE file SET staged = ? WHERE id = ? AND staged IS NOT NULL", (when, file_id)
        )
        return cursor.rowcount == 1

    def publish(self, file_id: int, path: str, size: int, mtime: float, md5: str) -> bool:
        cursor = self._run(
            "UPDATE file SET path = ?, size = ?, mtime = ?, md5 = ?, staged = NULL"
            " WHERE id = ? AND staged IS NOT NULL",
            (path, size, mtime, md5, file_id),
        )
        return cursor.rowcount == 1

    def delete_files(self, file_ids: Sequence[int]) -> None:
        # SQLite caps the parameters of one statement: delete in batches.
        for start in range(0, len(file_ids), 500):
            batch = file_ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            self._run(f"DELETE FROM chunk WHERE file_id IN ({marks})", batch)
            self._run(f"DELETE FROM file WHERE id IN ({marks})", batch)

    def stale_staged(self, before: float) -> list[int]:
        return [row[0] for row in self._rows("SELECT id FROM file WHERE staged < ?", (before,))]

    def set_mtime(self, path: str, mtime: float) -> bool:
        return self._run("UPDATE file SET mtime = ? WHERE path = ?", (mtime, path)).rowcount == 1


class SQLiteBackend(ChunkedBackend):
    type_name = "sqlite"
    required_keys = frozenset({"path"})
    optional_keys = frozenset({"timeout"})
    store: SQLiteChunkStore

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.store = SQLiteChunkStore(os.fspath(options["path"]), options.get("timeout", 30.0))

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        name, path = options["name"], options["path"]
        if not isinstance(path, (str, os.PathLike)) or not os.path.isabs(path):
            raise invalid(
                name, "path", f"path must be an absolute path (got {path!r})", code="not_absolute"
            )
        refuse_nul_path(options)
        if os.path.isdir(path):
            raise invalid(name, "path", f"path {os.fspath(path)!r} is a directory, not a file")
        if not os.path.isdir(os.path.dirname(os.fspath(path))):
            raise invalid(name, "path", f"the directory of {os.fspath(path)!r} does not exist")
        timeout = options.get("timeout", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise invalid(name, "timeout", f"timeout must be seconds >= 0 (got {timeout!r})")

    def describe(self) -> str:
        return f"sqlite ({self.store.path})"
