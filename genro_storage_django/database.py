"""``database`` mounts: a mount's files in the Django database, through the ORM.

``{"type": "database", "using": "default"}`` stores files in this app's two tables
(:mod:`genro_storage_django.models`), so it works where there is a database and no
writable disk or bucket. The mount logic is the ``sqlite`` mount's
(:mod:`genro_storage_django.core.backends.chunked`); here are its queries as ORM calls.

Each chunk of a long write is its own short transaction: no transaction stays open
while an upload streams in. The swap that publishes a file serialises with the other
writers: on PostgreSQL through a transaction-scoped advisory lock, on SQLite by taking
the write lock first (a reader's snapshot can then never block the upgrade). A stream
open on a file of several chunks reads chunk after chunk in their own queries: if the
file is replaced meanwhile, the next read fails rather than mix two versions.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction

from .core.backends.chunk_store import ChunkStore, FileRow
from .core.backends.chunked import ChunkedBackend
from .core.config import invalid
from .models import CHUNK_TABLE, FILE_TABLE, StoredChunk, StoredFile

if TYPE_CHECKING:
    from .core.config import MountContext

__all__ = ["DatabaseBackend", "OrmChunkStore", "tables_missing"]

_FILE_FIELDS = ("id", "path", "size", "mtime", "md5")
#: The key of the PostgreSQL advisory lock that publishing writers take ("gsd" in ASCII).
_LOCK_KEY = 0x677364
MIGRATE_HINT = "run: manage.py migrate genro_storage_django --database {using}"


def tables_missing(using: str) -> bool:
    """Whether the database has not got this app's tables (its migration not applied)."""
    with connections[using].cursor() as cursor:
        names = set(connections[using].introspection.table_names(cursor))
    return not {FILE_TABLE, CHUNK_TABLE} <= names


class OrmChunkStore(ChunkStore):
    def __init__(self, using: str) -> None:
        self.using = using
        self.files = StoredFile.objects.using(using)
        self.chunks = StoredChunk.objects.using(using)

    def identity(self) -> Hashable:
        config = settings.DATABASES[self.using]
        return ("database", config.get("ENGINE"), str(config.get("NAME")), config.get("HOST"))

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except DatabaseError as exc:
            hint = f" ({MIGRATE_HINT.format(using=self.using)})" if self._no_tables() else ""
            raise OSError(errno.EIO, f"database {self.using!r}: {exc}{hint}") from exc

    def _no_tables(self) -> bool:
        try:
            return tables_missing(self.using)
        except DatabaseError:
            return False

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._errors(), transaction.atomic(using=self.using):
            connection = connections[self.using]
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
                elif connection.vendor == "sqlite":
                    table = connection.ops.quote_name(FILE_TABLE)
                    cursor.execute(f"UPDATE {table} SET id = id WHERE id = 0")
            yield

    # -- queries -----------------------------------------------------------------------
    def file(self, path: str) -> FileRow | None:
        with self._errors():
            rows = list(self.files.filter(path=path).values_list(*_FILE_FIELDS)[:1])
        return FileRow(*rows[0]) if rows else None

    def first_chunk(self, path: str) -> tuple[int, int, bytes] | None:
        with self._errors():
            rows = list(self.files.filter(path=path).values_list("id", "size", "data")[:1])
        return (rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def chunk(self, file_id: int, index: int) -> bytes | None:
        with self._errors():
            if index == 0:
                rows = list(self.files.filter(id=file_id).values_list("data")[:1])
            else:
                found = self.chunks.filter(file_id=file_id, index=index)
                rows = list(found.values_list("data")[:1])
        return bytes(rows[0][0]) if rows else None

    def files_below(self, prefix: str) -> list[FileRow]:
        with self._errors():
            rows = self.files.filter(path__startswith=prefix).order_by("path")
            return [FileRow(*row) for row in rows.values_list(*_FILE_FIELDS)]

    def has_file_below(self, prefix: str) -> bool:
        with self._errors():
            return bool(self.files.filter(path__startswith=prefix).exists())

    def any_file(self, paths: Sequence[str]) -> bool:
        with self._errors():
            return bool(paths) and bool(self.files.filter(path__in=paths).exists())

    def insert_file(
        self, path: str | None, size: int, mtime: float, md5: str, staged: float | None, data: bytes
    ) -> int:
        with self._errors():
            row = self.files.create(
                path=path, size=size, mtime=mtime, md5=md5, staged=staged, data=data
            )
        return int(row.pk)

    def rewrite(self, file_id: int, size: int, mtime: float, md5: str, data: bytes) -> None:
        with self._errors():
            self.files.filter(id=file_id).update(size=size, mtime=mtime, md5=md5, data=data)

    def insert_chunk(self, file_id: int, index: int, data: bytes) -> None:
        with self._errors():
            self.chunks.create(file_id=file_id, index=index, data=data)

    def delete_chunks(self, file_id: int) -> None:
        with self._errors():
            self.chunks.filter(file_id=file_id).delete()

    def touch_staged(self, file_id: int, when: float) -> bool:
        with self._errors():
            updated = self.files.filter(id=file_id, staged__isnull=False).update(staged=when)
        return int(updated) == 1

    def publish(self, file_id: int, path: str, size: int, mtime: float, md5: str) -> bool:
        with self._errors():
            staged = self.files.filter(id=file_id, staged__isnull=False)
            updated = staged.update(path=path, size=size, mtime=mtime, md5=md5, staged=None)
        return int(updated) == 1

    def delete_files(self, file_ids: Sequence[int]) -> None:
        with self._errors():
            for start in range(0, len(file_ids), 500):
                batch = list(file_ids[start : start + 500])
                self.chunks.filter(file_id__in=batch).delete()
                self.files.filter(id__in=batch).delete()

    def stale_staged(self, before: float) -> list[int]:
        with self._errors():
            return list(self.files.filter(staged__lt=before).values_list("id", flat=True))

    def set_mtime(self, path: str, mtime: float) -> bool:
        with self._errors():
            updated = self.files.filter(path=path).update(mtime=mtime)
        return int(updated) == 1


class DatabaseBackend(ChunkedBackend):
    type_name = "database"
    optional_keys = frozenset({"using"})
    store: OrmChunkStore

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.store = OrmChunkStore(options.get("using", "default"))

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        using = options.get("using", "default")
        if not isinstance(using, str) or using not in settings.DATABASES:
            known = ", ".join(sorted(settings.DATABASES)) or "none"
            raise invalid(
                options["name"],
                "using",
                f"using {using!r} is not a database of settings.DATABASES ({known})",
                code="unknown_database",
            )

    def describe(self) -> str:
        return f"database ({self.store.using})"
