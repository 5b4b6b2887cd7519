# The tables of database mounts (genro_storage_django.models).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StoredFile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("path", models.TextField(null=True, unique=True)),
                ("size", models.BigIntegerField()),
                ("mtime", models.FloatField()),
                ("md5", models.CharField(max_length=32)),
                ("staged", models.FloatField(db_index=True, null=True)),
            ],
            options={
                "db_table": "genro_storage_file",
            },
        ),
        migrations.CreateModel(
            name="StoredChunk",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("index", models.IntegerField()),
                ("data", models.BinaryField()),
                (
                    "file",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chunks",
                        to="genro_storage_django.storedfile",
                    ),
                ),
            ],
            options={
                "db_table": "genro_storage_chunk",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("file", "index"), name="genro_storage_chunk_order"
                    )
                ],
            },
        ),
    ]
