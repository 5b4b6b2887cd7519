"""Pytest plugin: real databases for the ``database`` mount, beside the test database.

- ``postgresql_server``  a PostgreSQL server (Debian's ``postgresql``) in a temporary
  directory on a free port, one per session -> its Django ``DATABASES`` entry
- ``files_database``     parametrised over ``sqlite`` (a database file, so that threads
  and child processes share it) and ``postgresql``: a database alias with this app's
  tables migrated (once per session) and emptied before each test; one kind alone:
  ``files_database_sqlite``, ``files_database_postgresql``

The aliases are added to ``settings.DATABASES`` and Django's connections while a session
uses them: the mount's ``using`` and child processes (``tests/support/chunked_mounts.py``)
name them like any other. PostgreSQL refuses to run as root: as root the server runs as the
``postgres`` user.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from tests.support.server_process import HOST, free_port

__all__ = ["PG_BIN", "running_postgresql"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def running_postgresql() -> Iterator[dict[str, Any]]:
    """A PostgreSQL server with an empty database ``gsd``: its ``DATABASES`` entry."""
    if not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL is not installed ({PG_BIN}); apt-get install postgresql")
    directory = Path(tempfile.mkdtemp(prefix="gsd-postgresql-"))
    data = directory / "data"
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    port = free_port()
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data)]
    try:
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        run = functools.partial(subprocess.run, stdout=subprocess.DEVNULL, check=True)
        run(_as_postgres([*initdb, "--no-sync", "-E", "UTF8", "--locale=C"]))
        options = f"-p {port} -k {directory} -c listen_addresses={HOST} -c fsync=off"
        run(_as_postgres([*pg_ctl, "-o", options, "-w", "-l", str(directory / "log"), "start"]))
        try:
            import psycopg

            with psycopg.connect(
                host=HOST, port=port, user="postgres", dbname="postgres", autocommit=True
            ) as admin:
                admin.execute("CREATE DATABASE gsd")
            yield {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "gsd",
                "USER": "postgres",
                "HOST": HOST,
                "PORT": str(port),
            }
        finally:
            run(_as_postgres([*pg_ctl, "-m", "fast", "stop"]))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[dict[str, Any]]:
    with running_postgresql() as config:
        yield config


@contextmanager
def database_alias(alias: str, config: dict[str, Any]) -> Iterator[str]:
    """``alias`` in settings.DATABASES and Django's connections, migrated."""
    full = {**connections.settings["default"], "TEST": {}, "OPTIONS": {}, **config}
    # connections.settings is settings.DATABASES itself once Django has filled it in; set
    # both all the same, in case a version copies it.
    settings.DATABASES[alias] = full
    connections.settings[alias] = full
    try:
        call_command("migrate", "genro_storage_django", database=alias, verbosity=0)
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        connections.settings.pop(alias, None)
        settings.DATABASES.pop(alias, None)


@pytest.fixture(scope="session")
def _files_sqlite(
    tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any
) -> Iterator[str]:
    path = tmp_path_factory.mktemp("files-db") / "files.sqlite3"
    config = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {"timeout": 30},
    }
    with django_db_blocker.unblock(), database_alias("files_sqlite", config) as alias:
        yield alias


@pytest.fixture(scope="session")
def _files_postgresql(postgresql_server: dict[str, Any], django_db_blocker: Any) -> Iterator[str]:
    with (
        django_db_blocker.unblock(),
        database_alias("files_postgresql", postgresql_server) as alias,
    ):
        yield alias


def _emptied(alias: str, django_db_blocker: Any) -> Iterator[str]:
    from genro_storage_django.models import StoredChunk, StoredFile

    with django_db_blocker.unblock():
        StoredChunk.objects.using(alias).all().delete()
        StoredFile.objects.using(alias).all().delete()
        yield alias
        connections[alias].close()


@pytest.fixture
def files_database_sqlite(_files_sqlite: str, django_db_blocker: Any) -> Iterator[str]:
    yield from _emptied(_files_sqlite, django_db_blocker)


@pytest.fixture
def files_database_postgresql(_files_postgresql: str, django_db_blocker: Any) -> Iterator[str]:
    yield from _emptied(_files_postgresql, django_db_blocker)


@pytest.fixture(params=["sqlite", "postgresql"])
def files_database(request: pytest.FixtureRequest) -> str:
    """An empty database alias for ``database`` mounts (see the module docstring)."""
    alias: str = request.getfixturevalue(f"files_database_{request.param}")
    return alias
