"""MountStorage.save() holds no idle database connection while a large file streams.

The suite's database is SQLite in memory, whose connections Django never closes, so the
check runs in a child process on a SQLite file: a connection really opens and closes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_CHILD = """
import json, sys
import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    INSTALLED_APPS=["genro_storage_django"],
    STORAGE_MOUNTS={"m": {"type": "memory"}},
    USE_TZ=True,
)
django.setup()
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from genro_storage_django.storage import RELEASE_CONNECTIONS_AT, MountStorage


class Watched(File):
    # Records, while its chunks stream, whether the thread holds a database connection.
    def __init__(self, total):
        super().__init__(None, name="big.bin")
        self.total = total
        self.held = []

    @property
    def size(self):
        return self.total

    def chunks(self, chunk_size=None):
        for _ in range(3):
            self.held.append(connection.connection is not None)
            yield b"x" * (self.total // 3)


class Unsized(Watched):
    @property
    def size(self):
        raise OSError("cannot tell")


storage = MountStorage(mount="m")
found = {}
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (n integer)")
large = Watched(RELEASE_CONNECTIONS_AT + 3)
storage.save("large.bin", large)
found["large"] = large.held
small = Watched(3)
connection.ensure_connection()
storage.save("small.bin", small)
found["small"] = small.held
unsized = Unsized(3)
storage.save("unsized.bin", unsized)
found["unsized"] = unsized.held
inside = Watched(RELEASE_CONNECTIONS_AT + 3)
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    storage.save("inside.bin", inside)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (2)")
found["atomic"] = inside.held
manual = Watched(RELEASE_CONNECTIONS_AT + 3)
connection.set_autocommit(False)
storage.save("manual.bin", manual)
connection.commit()
connection.set_autocommit(True)
found["manual"] = manual.held
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM t")
    found["rows"] = cursor.fetchone()[0]
print(json.dumps(found))
"""


def test_a_large_save_releases_the_idle_connection(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "db.sqlite3")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["large"] == [False, False, False]  # closed before the first chunk
    assert found["small"] == [True, True, True]  # a small save keeps it: reopening costs more
    assert found["unsized"] == [False, False, False]  # a size it cannot tell counts as large
    assert found["atomic"] == [True, True, True]  # a transaction is never cut
    assert found["rows"] == 2  # and commits whole
    assert found["manual"] == [True, True, True]  # nor is one opened with autocommit off


@pytest.mark.django_db
def test_a_large_save_on_the_suite_database() -> None:
    """In memory, Django keeps the connection open (closing it would drop the database):
    the release is harmless there, and the save completes."""
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test import override_settings

    from genro_storage_django.storage import RELEASE_CONNECTIONS_AT, MountStorage

    with override_settings(STORAGE_MOUNTS={"m": {"type": "memory"}}):
        connection.ensure_connection()
        storage = MountStorage(mount="m")
        name = storage.save("big.bin", ContentFile(b"x" * RELEASE_CONNECTIONS_AT))
        assert storage.size(name) == RELEASE_CONNECTIONS_AT
        assert connection.connection is not None
