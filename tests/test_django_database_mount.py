"""``database`` mounts on SQLite and PostgreSQL: what the conformance suite does not say.

``files_database`` (tests/support/databases.py) is a real database alias, a SQLite file or
a PostgreSQL server, emptied for each test.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import Warning
from django.core.management import call_command
from django.db import connections
from pytest_django.fixtures import Settings

from genro_storage_django.checks import check_database_tables, check_storage_mounts
from genro_storage_django.core import StorageError, StorageManager, StorageNode
from genro_storage_django.core.backends.chunk_store import CHUNK_BYTES, STALE_AFTER
from genro_storage_django.models import StoredChunk, StoredFile
from tests.support.chunked_mounts import (
    ChildWriter,
    concurrent_processes,
    concurrent_threads,
    memory_growth,
)


def _mount(alias: str) -> dict[str, Any]:
    return {"type": "database", "using": alias}


@pytest.fixture
def root(files_database: str) -> StorageNode:
    return StorageManager({"m": _mount(files_database)}).node("m:")


def _child_databases(alias: str) -> dict[str, Any]:
    """The alias as a child process's only database."""
    config = dict(settings.DATABASES[alias])
    config.pop("TEST", None)
    return {"default": config}


def test_kill_9_mid_write_leaves_the_old_content(root: StorageNode, files_database: str) -> None:
    node = root / "big.bin"
    node.write_bytes(b"old content")
    ChildWriter(
        _mount("default"), "big.bin", chunks=2, databases=_child_databases(files_database)
    ).kill()
    assert node.read_bytes() == b"old content"
    staged = StoredFile.objects.using(files_database).filter(staged__isnull=False)
    assert staged.count() == 1
    # A later long write removes it once it has been idle long enough.
    staged.update(staged=0.0)
    (root / "other.bin").write_bytes(b"x" * (CHUNK_BYTES + 1))
    assert not StoredFile.objects.using(files_database).filter(staged__lt=STALE_AFTER).exists()
    assert [n.path for n, _s in root.walk_files()] == ["big.bin", "other.bin"]


def test_writes_from_threads_lose_nothing(root: StorageNode) -> None:
    concurrent_threads(root, writers=4, count=10)


def test_writes_from_processes_lose_nothing(root: StorageNode, files_database: str) -> None:
    concurrent_processes(
        root, _mount("default"), _child_databases(files_database), writers=3, count=10
    )


def test_memory_stays_flat_through_a_large_file(files_database: str) -> None:
    growth = memory_growth(_mount("default"), 64, _child_databases(files_database))
    assert growth < 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"


def test_a_replaced_file_fails_the_reader_rather_than_mix(root: StorageNode) -> None:
    node = root / "r.bin"
    old = b"o" * (2 * CHUNK_BYTES)
    node.write_bytes(old)
    with node.open("rb") as stream:
        assert stream.read(10) == old[:10]
        node.write_bytes(b"n" * (2 * CHUNK_BYTES))
        with pytest.raises(OSError, match="replaced while being read"):
            stream.read()
    assert node.md5hash() == hashlib.md5(b"n" * (2 * CHUNK_BYTES)).hexdigest()


def test_seeks_back_and_shrinks(root: StorageNode, files_database: str) -> None:
    data = bytes(range(256)) * (2 * CHUNK_BYTES // 256) + b"tail"
    node = root / "s.bin"
    node.write_bytes(data)
    with node.open("rb") as stream:
        stream.seek(CHUNK_BYTES + 5)
        assert stream.read(3) == data[CHUNK_BYTES + 5 : CHUNK_BYTES + 8]
        stream.seek(7)  # back to chunk 0, which is in the file's row
        assert stream.read(3) == data[7:10]
    node.write_bytes(b"small")
    assert not StoredChunk.objects.using(files_database).exists()


def test_rows_are_what_the_files_are(root: StorageNode, files_database: str) -> None:
    (root / "a" / "b.txt").write_bytes(b"hello")
    row = StoredFile.objects.using(files_database).get(path="a/b.txt")
    assert (row.size, row.md5, bytes(row.data)) == (5, hashlib.md5(b"hello").hexdigest(), b"hello")
    assert str(row) == "a/b.txt"
    assert not StoredChunk.objects.using(files_database).exists()  # one row for a small file
    (root / "a" / "b.txt").write_bytes(b"h" * (CHUNK_BYTES + 1))
    chunk = StoredChunk.objects.using(files_database).get()
    assert str(chunk) == "chunk 1 of a/b.txt"
    assert root.backend.describe() == f"database ({files_database})"


def test_unknown_using_is_a_check_error(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {"db": {"type": "database", "using": "nope"}}
    errors = check_storage_mounts(None)
    assert [e.id for e in errors] == ["genro_storage_django.E015"]
    assert "'nope' is not a database of settings.DATABASES" in errors[0].msg


def test_table_check_leaves_a_bad_setting_to_the_mounts_check(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = 42
    assert check_database_tables(None, databases=["default"]) == []


def test_missing_tables_are_a_warning_and_a_clear_error(
    settings: Settings, files_database_sqlite: str
) -> None:
    with connections[files_database_sqlite].schema_editor() as editor:
        editor.delete_model(StoredChunk)
        editor.delete_model(StoredFile)
    try:
        settings.STORAGE_MOUNTS = {"db": _mount(files_database_sqlite)}
        assert check_database_tables(None) == []  # the database checks ran without it
        messages = check_database_tables(None, databases=[files_database_sqlite])
        assert [(type(m), m.id) for m in messages] == [(Warning, "genro_storage_django.W002")]
        node = StorageManager({"m": _mount(files_database_sqlite)}).node("m:f.txt")
        with pytest.raises(StorageError, match=r"manage\.py migrate genro_storage_django"):
            node.write_bytes(b"1")
    finally:
        with connections[files_database_sqlite].schema_editor() as editor:
            editor.create_model(StoredFile)
            editor.create_model(StoredChunk)
    assert check_database_tables(None, databases=[files_database_sqlite]) == []


def test_the_second_migration_moves_chunk_0_into_the_file_row(files_database_sqlite: str) -> None:
    alias = files_database_sqlite
    call_command("migrate", "genro_storage_django", "0001", database=alias, verbosity=0)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "INSERT INTO genro_storage_file (id, path, size, mtime, md5, staged)"
                " VALUES (1, 'old.txt', 3, 0, '', NULL)"
            )
            cursor.execute(
                'INSERT INTO genro_storage_chunk (file_id, "index", data) VALUES (1, 0, %s)',
                [b"old"],
            )
    finally:
        call_command("migrate", "genro_storage_django", database=alias, verbosity=0)
    node = StorageManager({"m": _mount(alias)}).node("m:old.txt")
    assert node.read_bytes() == b"old"
    assert not StoredChunk.objects.using(alias).exists()
    StoredFile.objects.using(alias).all().delete()
