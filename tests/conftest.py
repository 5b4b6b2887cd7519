"""Shared fixtures: fresh mounts of every kind for the conformance suite, and a fixed umask.

``writable_root`` is the root node of a new, empty, writable mount. It is
parametrised over every mount kind in ``MOUNT_KINDS``; the cloud kinds (issue
"cloud backends") add themselves to that list, so the same conformance tests run
unchanged against them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import StorageManager, StorageNode
from tests.support.cloud import CLOUD_BUCKET, CLOUD_KINDS, cloud_config
from tests.support.composite_mounts import FirstOfBackend

_counter = itertools.count()


def _local(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"type": "local", "path": str(tmp_path / "local-root")}


def _memory(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"type": "memory"}


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"type": "sqlite", "path": str(tmp_path / "files.sqlite3")}


def _database(kind: str) -> Callable[[Path, pytest.FixtureRequest], dict[str, Any]]:
    def factory(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {"type": "database", "using": request.getfixturevalue(f"files_database_{kind}")}

    return factory


def _hashdir(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"type": "hashdir", "path": str(tmp_path / "hashdir-root"), "levels": 2}


def _fsspec_file(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    root = tmp_path / "fsspec-root"
    root.mkdir()
    return {"type": "fsspec", "protocol": "file", "path": str(root)}


# -- cloud kinds -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def s3_bucket(s3_server: Any) -> str:
    import s3fs

    s3fs.S3FileSystem(**s3_server.storage_options).mkdir(CLOUD_BUCKET)
    return CLOUD_BUCKET


@pytest.fixture(scope="session")
def gcs_bucket(gcs_server: Any) -> str:
    import gcsfs

    gcsfs.GCSFileSystem(**gcs_server.storage_options).mkdir(CLOUD_BUCKET)
    return CLOUD_BUCKET


@pytest.fixture(scope="session")
def azure_container(azurite_server: Any) -> str:
    import adlfs

    adlfs.AzureBlobFileSystem(**azurite_server.storage_options).mkdir(CLOUD_BUCKET)
    return CLOUD_BUCKET


def _cloud(kind: str) -> Callable[[Path, pytest.FixtureRequest], dict[str, Any]]:
    def factory(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
        return cloud_config(kind, request)

    return factory


#: name -> mount config factory
MOUNT_KINDS: dict[str, Callable[[Path, pytest.FixtureRequest], dict[str, Any]]] = {
    "local": _local,
    "memory": _memory,
    "fsspec-file": _fsspec_file,
    "sqlite": _sqlite,
    "database-sqlite": _database("sqlite"),
    "database-postgresql": _database("postgresql"),
    "hashdir": _hashdir,
    **{kind: _cloud(kind) for kind in CLOUD_KINDS},
}


#: archive kind -> (mount type, archive file name)
ARCHIVES = {
    "zip": ("zip", "site.zip"),
    "tar": ("tar", "site.tar"),
    "tgz": ("tar", "site.tar.gz"),
    "txz": ("tar", "site.tar.xz"),
}


def make_manager(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StorageManager:
    """A manager with one mount ``m`` of ``kind``; ``relative-<kind>`` nests it,
    ``first-of-<kind>`` puts it first under a composite whose second parent is memory,
    ``<archive>-of-<kind>`` is an archive (:data:`ARCHIVES`) on it and ``<archive>-path``
    an archive at a local path."""
    archive, _, inner = kind.partition("-")
    if archive in ARCHIVES:
        mount_type, filename = ARCHIVES[archive]
        if inner == "path":
            return StorageManager({"m": {"type": mount_type, "path": str(tmp_path / filename)}})
        base = MOUNT_KINDS[inner.removeprefix("of-")](tmp_path, request)
        archived = {"type": mount_type, "path": f"base:archives/{filename}"}
        return StorageManager({"base": base, "m": archived})
    if kind.startswith("relative-"):
        inner = kind.removeprefix("relative-")
        manager = StorageManager({"base": MOUNT_KINDS[inner](tmp_path, request)})
        manager.add_mount({"name": "m", "type": "relative", "path": "base:nested/deeper"})
        return manager
    if kind.startswith("first-of-"):
        inner = kind.removeprefix("first-of-")
        manager = StorageManager()
        manager.register_backend_type(FirstOfBackend.type_name, FirstOfBackend)
        manager.configure(
            {
                "base": MOUNT_KINDS[inner](tmp_path, request),
                "spare": {"type": "memory"},
                "m": {"type": "first-of", "parents": ["base", "spare"]},
            }
        )
        return manager
    if kind.startswith("mirror-"):
        return mirror_manager(kind, tmp_path, request)
    if kind.startswith("cache-"):
        return cache_manager(kind, tmp_path, request)
    return StorageManager({"m": MOUNT_KINDS[kind](tmp_path, request)})


def mirror_manager(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StorageManager:
    """``mirror-<policy>-<kind>+<kind>...``: a mirror ``m`` of children ``c0``, ``c1``...
    of those kinds, its journal in ``tmp_path/journal``."""
    _mirror, policy, children = kind.split("-", 2)
    configs: dict[str, Any] = {}
    for index, child in enumerate(children.split("+")):
        child_root = tmp_path / f"child-{index}"
        child_root.mkdir()
        configs[f"c{index}"] = MOUNT_KINDS[child](child_root, request)
    configs["m"] = {
        "type": "mirror",
        "mounts": list(configs),
        "write": policy,
        "journal_dir": str(tmp_path / "journal"),
    }
    return StorageManager(configs)


def cache_manager(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StorageManager:
    """``cache-<validate>-<kind>``: a cache ``m`` over an origin of that kind, its copies
    in a local directory (on a memory mount when the origin is memory)."""
    _cache, validate, origin = kind.split("-", 2)
    configs: dict[str, Any] = {"origin": MOUNT_KINDS[origin](tmp_path, request)}
    cache = {"type": "cache", "origin": "origin", "validate": validate, "ttl": 30}
    if origin == "memory":
        configs["scratch"] = {"type": "memory"}
        cache["store"] = "scratch"
    else:
        cache["path"] = str(tmp_path / "cache")
    return StorageManager({**configs, "m": cache})


def _on_cloud(kind: str) -> bool:
    return any(part in CLOUD_KINDS for part in kind.replace("+", "-").split("-"))


def all_kinds() -> list[Any]:
    composites = ["relative-local", "relative-memory", "relative-s3"]
    composites += ["first-of-local", "first-of-memory"]
    for archive in ("zip", "tar"):
        composites += [f"{archive}-of-local", f"{archive}-of-memory", f"{archive}-path"]
    composites += ["tgz-of-local", "txz-of-memory"]  # the compressed tars: the same code
    composites += ["zip-of-s3"]  # an archive read by ranges from a bucket, uploaded whole
    composites += ["mirror-all-local+memory", "mirror-primary-memory+local"]
    composites += ["mirror-quorum-local+memory+s3", "mirror-all-s3+gcs+azure"]
    composites += ["cache-etag-local", "cache-ttl-memory", "cache-etag-s3", "cache-immutable-gcs"]
    return [
        pytest.param(kind, id=kind, marks=[pytest.mark.cloud] if _on_cloud(kind) else [])
        for kind in [*MOUNT_KINDS, *composites]
    ]


@pytest.fixture(params=all_kinds())
def writable_root(request: pytest.FixtureRequest, tmp_path: Path) -> StorageNode:
    manager = make_manager(request.param, tmp_path, request)
    return manager.node("m:")


@pytest.fixture
def local_manager(tmp_path: Path) -> StorageManager:
    (tmp_path / "root").mkdir()
    return StorageManager({"disk": {"type": "local", "path": str(tmp_path / "root")}})


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique names for objects shared across tests (buckets, prefixes)."""
    return lambda stem: f"{stem}-{next(_counter)}"


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask for the test, whatever the one the run started with: modes the
    tests expect from "the umask decides" are those of 022."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)
