"""``sqlite`` mounts: what the conformance suite does not say about one database file.

Writes killed half-way by a real ``kill -9``, writers in threads and processes, readers
during a replacement, bounded memory, and the mount's options.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest

from genro_storage_django.core import (
    StorageConfigError,
    StorageError,
    StorageIsADirectoryError,
    StorageManager,
    StorageNode,
    StorageNotADirectoryError,
    StorageNotFoundError,
)
from genro_storage_django.core.backends.chunk_store import CHUNK_BYTES, STALE_AFTER, ChunkStore
from genro_storage_django.core.backends.chunk_streams import publish
from genro_storage_django.core.backends.sqlite import SQLiteBackend, SQLiteChunkStore
from tests.support.chunked_mounts import (
    ChildWriter,
    concurrent_processes,
    concurrent_threads,
    memory_growth,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "files.sqlite3"


@pytest.fixture
def root(db_path: Path) -> StorageNode:
    return StorageManager({"m": {"type": "sqlite", "path": str(db_path)}}).node("m:")


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as db:
        value: int = db.execute(sql).fetchone()[0]
    return value


def test_kill_9_mid_write_leaves_the_old_content(root: StorageNode, db_path: Path) -> None:
    node = root / "big.bin"
    node.write_bytes(b"old content")
    writer = ChildWriter({"type": "sqlite", "path": str(db_path)}, "big.bin", chunks=3)
    writer.kill()
    assert node.read_bytes() == b"old content"
    assert node.md5hash() == hashlib.md5(b"old content").hexdigest()
    # The killed write left a staged row with its chunks, which no path names.
    assert _count(db_path, "SELECT count(*) FROM file WHERE staged IS NOT NULL") == 1
    assert [n.path for n, _s in root.walk_files()] == ["big.bin"]


def test_an_abandoned_write_is_removed_by_a_later_one(root: StorageNode, db_path: Path) -> None:
    ChildWriter({"type": "sqlite", "path": str(db_path)}, "big.bin", chunks=2).kill()
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE file SET staged = staged - ?", (STALE_AFTER + 1,))
    (root / "other.bin").write_bytes(b"x" * (CHUNK_BYTES + 1))
    assert _count(db_path, "SELECT count(*) FROM file WHERE staged IS NOT NULL") == 0
    # Only the new file's chunks are left: chunk 0 in its row, chunk 1 in the chunk table.
    assert _count(db_path, "SELECT count(*) FROM chunk") == 1


def test_a_write_idle_too_long_fails_rather_than_publish(root: StorageNode, db_path: Path) -> None:
    node = root / "slow.bin"
    node.write_bytes(b"before")
    stream = node.open("wb")
    stream.write(b"a" * (CHUNK_BYTES + 1))
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM file WHERE staged IS NOT NULL")  # as a later write would
    with pytest.raises(StorageError, match="write abandoned"):
        stream.close()
    assert node.read_bytes() == b"before"


@pytest.mark.parametrize("size", [0, 10, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 5])
def test_sizes_around_the_chunk(root: StorageNode, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    node = root / "f.bin"
    with node.open("wb") as stream:
        for start in range(0, size, 300_000):
            stream.write(data[start : start + 300_000])
    assert node.size() == size
    assert node.read_bytes() == data
    assert node.md5hash() == hashlib.md5(data).hexdigest()
    node.write_bytes(data)
    assert node.read_bytes() == data
    with node.open("rb") as stream:
        stream.seek(-3, 2)
        assert stream.read() == data[-3:]
        stream.seek(max(size - CHUNK_BYTES - 2, 0))
        assert stream.read(4) == data[max(size - CHUNK_BYTES - 2, 0) :][:4]


def test_a_reader_keeps_reading_the_file_it_opened(root: StorageNode) -> None:
    node = root / "r.bin"
    old, new = b"o" * (2 * CHUNK_BYTES + 7), b"n" * (3 * CHUNK_BYTES)
    node.write_bytes(old)
    with node.open("rb") as stream:
        first = stream.read(10)
        node.write_bytes(new)  # published while the reader is half-way
        rest = stream.read()
    assert first + rest == old
    assert node.read_bytes() == new


def test_reader_seek_errors(root: StorageNode) -> None:
    (root / "s.bin").write_bytes(b"s" * (CHUNK_BYTES + 1))
    with (root / "s.bin").open("rb") as stream:
        assert stream.seek(5, 1) == 5
        with pytest.raises((ValueError, OSError)):
            stream.seek(-10)


def test_writes_from_threads_lose_nothing(root: StorageNode) -> None:
    concurrent_threads(root)


def test_writes_from_processes_lose_nothing(root: StorageNode, db_path: Path) -> None:
    concurrent_processes(root, {"type": "sqlite", "path": str(db_path)})


def test_memory_stays_flat_through_a_large_file(db_path: Path) -> None:
    growth = memory_growth({"type": "sqlite", "path": str(db_path)}, megabytes=96)
    assert growth < 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"


def test_files_and_directories_never_share_a_path(root: StorageNode) -> None:
    (root / "a" / "b.txt").write_bytes(b"1")
    with pytest.raises(StorageIsADirectoryError):
        (root / "a").write_bytes(b"over a directory")
    with pytest.raises(StorageNotADirectoryError):
        (root / "a" / "b.txt" / "c").write_bytes(b"below a file")
    with pytest.raises(StorageNotADirectoryError):
        (root / "a" / "b.txt").children()
    with pytest.raises(NotADirectoryError):
        root.backend.remove_dir("a/b.txt", recursive=True)
    with pytest.raises(StorageIsADirectoryError):
        (root / "a").read_bytes()
    with pytest.raises(StorageIsADirectoryError):
        root.read_bytes()
    assert (root / "a").stat().is_dir
    (root / "a").mkdir(exist_ok=True)
    assert (root / "a" / "b.txt").read_bytes() == b"1"


def test_touch_sets_the_time(root: StorageNode) -> None:
    node = root / "t.txt"
    node.write_bytes(b"t")
    node.backend.set_mtime(node.location, 1_700_000_000.0)
    assert node.mtime() == 1_700_000_000.0
    with pytest.raises(FileNotFoundError):
        node.backend.set_mtime("missing", None)


def test_a_locked_database_is_a_storage_error(db_path: Path) -> None:
    manager = StorageManager({"m": {"type": "sqlite", "path": str(db_path), "timeout": 0}})
    node = manager.node("m:f.txt")
    node.write_bytes(b"1")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match="database is locked"):
            node.write_bytes(b"2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert node.read_bytes() == b"1"


def test_two_mounts_on_one_file_overlap(db_path: Path) -> None:
    manager = StorageManager(
        {
            "a": {"type": "sqlite", "path": str(db_path)},
            "b": {"type": "sqlite", "path": str(db_path)},
        }
    )
    manager.node("a:x/f.txt").write_bytes(b"f")
    assert manager.node("b:x/f.txt").read_bytes() == b"f"
    with pytest.raises(StorageError, match="the same file"):
        manager.node("a:x/f.txt").copy_to("b:x/f.txt")


def test_thread_started_before_first_use(root: StorageNode) -> None:
    # Each thread opens its own connection, whenever it first uses the mount.
    results: list[bytes] = []
    (root / "shared.txt").write_bytes(b"shared")
    thread = threading.Thread(target=lambda: results.append((root / "shared.txt").read_bytes()))
    thread.start()
    thread.join()
    assert results == [b"shared"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"path": "relative.sqlite3"}, "absolute"),
        ({"path": "/"}, "is a directory"),
        ({"path": "/no/such/dir/f.sqlite3"}, "does not exist"),
        ({"path": "/tmp/f.sqlite3", "timeout": -1}, "timeout"),
        ({"path": "/tmp/f.sqlite3", "timeout": True}, "timeout"),
        ({"path": "/tmp/a\x00b"}, "NUL"),
    ],
)
def test_bad_options(config: dict[str, object], message: str) -> None:
    with pytest.raises(StorageConfigError, match=message):
        StorageManager({"m": {"type": "sqlite", **config}})


class ReaderWithoutSnapshot(SQLiteChunkStore):
    """The default of stores that cannot hold a snapshot (the database mount's case)."""

    def snapshot(self) -> ChunkStore:
        return ChunkStore.snapshot(self)

    def release(self) -> None:
        ChunkStore.release(self)


def test_without_a_snapshot_a_replaced_file_fails_the_reader(root: StorageNode) -> None:
    backend = root.backend
    assert isinstance(backend, SQLiteBackend)
    backend.store = ReaderWithoutSnapshot(backend.store.path)
    node = root / "r.bin"
    node.write_bytes(b"o" * (2 * CHUNK_BYTES))
    with node.open("rb") as stream:
        stream.read(10)
        node.write_bytes(b"n" * (2 * CHUNK_BYTES))
        with pytest.raises(OSError, match="replaced while being read"):
            stream.read()


class DeletedBeforeSnapshot(SQLiteChunkStore):
    """A file deleted between a reader's first query and its snapshot."""

    def snapshot(self) -> SQLiteChunkStore:
        with self.transaction():
            self.delete_files([row.id for row in self.files_below("")])
        return super().snapshot()


def test_a_file_deleted_while_opened_is_missing(root: StorageNode) -> None:
    backend = root.backend
    assert isinstance(backend, SQLiteBackend)
    (root / "gone.bin").write_bytes(b"g" * (CHUNK_BYTES + 1))
    backend.store = DeletedBeforeSnapshot(backend.store.path)
    with pytest.raises(StorageNotFoundError):
        (root / "gone.bin").open("rb")


def test_backend_calls_the_node_checks_first(root: StorageNode) -> None:
    # The node asks before it calls these; a caller of the backend still gets the errors.
    backend = root.backend
    assert isinstance(backend, SQLiteBackend)
    (root / "file").write_bytes(b"1")
    with pytest.raises(FileExistsError):
        backend.mkdir("file", parents=True, exist_ok=True)
    with pytest.raises(FileNotFoundError):
        backend.remove_file("missing")
    assert backend.capabilities.keeps_mtime
    (root / "dir" / "f").write_bytes(b"f")
    with pytest.raises(FileExistsError):
        backend.mkdir("dir", parents=False, exist_ok=False)
    assert backend.relative("dir/f") == "dir/f"
    assert backend.describe() == f"sqlite ({backend.store.path})"
    writer = backend.open_writer("late", exclusive=True)
    writer.write(b"mine")
    (root / "late").write_bytes(b"theirs")
    with pytest.raises(FileExistsError):
        writer.close()
    assert (root / "late").read_bytes() == b"theirs"
    with pytest.raises(OSError, match="write abandoned"):
        publish(backend.store, "never", 12345, 0, "", exclusive=False)
    assert not (root / "never").exists()


def test_a_large_file_replaced_by_a_small_one_leaves_no_chunk(
    root: StorageNode, db_path: Path
) -> None:
    node = root / "shrinks.bin"
    node.write_bytes(b"L" * (2 * CHUNK_BYTES + 1))
    assert _count(db_path, "SELECT count(*) FROM chunk") == 2
    node.write_bytes(b"small")
    assert _count(db_path, "SELECT count(*) FROM chunk") == 0
    assert node.read_bytes() == b"small"


def test_a_broken_database_is_a_storage_error(root: StorageNode, db_path: Path) -> None:
    (root / "f.txt").write_bytes(b"1")
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TABLE file")
    with pytest.raises(StorageError, match="no such table"):
        (root / "f.txt").read_bytes()
    with pytest.raises(StorageError, match="no such table"):
        (root / "g.txt").write_bytes(b"2")
