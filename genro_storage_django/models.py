"""The tables of ``database`` mounts (:mod:`genro_storage_django.database`).

A file is a :class:`StoredFile` row holding its first 1 MiB of content, and the rest is
:class:`StoredChunk` rows of 1 MiB (the last one shorter); a row with no ``path`` is a
write in progress (``staged`` is the time of its last chunk). Every ``database`` mount
of one database shares these tables.
"""

from __future__ import annotations

from django.db import models

__all__ = ["CHUNK_TABLE", "FILE_TABLE", "StoredChunk", "StoredFile"]

FILE_TABLE = "genro_storage_file"
CHUNK_TABLE = "genro_storage_chunk"


class StoredFile(models.Model):
    # NULL, not "", for a staged row: several writes in progress must not collide on
    # the unique path.
    path = models.TextField(unique=True, null=True)  # noqa: DJ001
    size = models.BigIntegerField()
    mtime = models.FloatField()
    md5 = models.CharField(max_length=32)
    staged = models.FloatField(null=True, db_index=True)
    #: Chunk 0, in the row itself: a small file is one row.
    data = models.BinaryField(default=b"")

    class Meta:
        db_table = FILE_TABLE

    def __str__(self) -> str:
        return self.path or f"(write in progress #{self.pk})"


class StoredChunk(models.Model):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        db_table = CHUNK_TABLE
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="genro_storage_chunk_order")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.file}"
