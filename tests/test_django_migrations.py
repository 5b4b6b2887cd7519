"""Migrations write MountStorage stably, and never touch the storage to do it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.migrations.writer import MigrationWriter
from pytest_django.fixtures import Settings

from genro_storage_django import conf, mount


def makemigrations_check() -> str:
    out = io.StringIO()
    call_command("makemigrations", "testapp", "--check", "--dry-run", stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_models_match_their_migrations_twice_over() -> None:
    # --check exits non-zero (SystemExit) when a new migration would be written.
    assert "No changes detected" in makemigrations_check()
    assert "No changes detected" in makemigrations_check()


def test_serialised_form_is_stable() -> None:
    text, imports = MigrationWriter.serialize(mount("uploads"))
    assert text == "genro_storage_django.storage.MountStorage(mount='uploads')"
    assert imports == {"import genro_storage_django.storage"}
    assert MigrationWriter.serialize(mount("uploads")) == (text, imports)


@pytest.mark.django_db
def test_migrations_do_not_build_the_manager(settings: Settings) -> None:
    # Switching the mounts away (even to nothing) changes no migration, and building the
    # migration state never reads STORAGE_MOUNTS.
    settings.STORAGE_MOUNTS = {}
    conf.reset_manager()
    assert "No changes detected" in makemigrations_check()
    assert conf._cache.manager is None


def test_the_written_migration_names_the_storage() -> None:
    migration = Path(__file__).parent / "testapp" / "migrations" / "0001_initial.py"
    text = migration.read_text(encoding="utf-8")
    assert text.count('storage=genro_storage_django.storage.MountStorage(mount="uploads")') == 3
