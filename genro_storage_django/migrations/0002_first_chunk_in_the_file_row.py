# Chunk 0 of a file moves into its row (genro_storage_django.models).

from django.db import migrations, models


def move_first_chunks(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Files written before: their chunk 0 moves from the chunk table into their row.
    files = apps.get_model("genro_storage_django", "StoredFile").objects
    chunks = apps.get_model("genro_storage_django", "StoredChunk").objects
    alias = schema_editor.connection.alias
    for chunk in chunks.using(alias).filter(index=0).iterator():
        files.using(alias).filter(id=chunk.file_id).update(data=chunk.data)
    chunks.using(alias).filter(index=0).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("genro_storage_django", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="storedfile",
            name="data",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(move_first_chunks, migrations.RunPython.noop),
    ]
