"""Shared fixtures: fresh mounts of every kind for the conformance suite.

``writable_root`` is the root node of a new, empty, writable mount. It is
parametrised over every mount kind in ``MOUNT_KINDS``; the cloud kinds (issue
"cloud backends") add themselves to that list, so the same conformance tests run
unchanged against them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import StorageManager, StorageNode

_counter = itertools.count()


def _local(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"type": "local", "path": str(tmp_path / "local-root")}


def _memory(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"type": "memory"}


def _fsspec_file(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    root = tmp_path / "fsspec-root"
    root.mkdir()
    return {"type": "fsspec", "protocol": "file", "path": str(root)}


#: name -> (mount config factory, parent mounts to configure first)
MOUNT_KINDS: dict[str, Callable[[Path, pytest.FixtureRequest], dict[str, Any]]] = {
    "local": _local,
    "memory": _memory,
    "fsspec-file": _fsspec_file,
}


def make_manager(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StorageManager:
    """A manager with one mount ``m`` of ``kind``; ``relative-<kind>`` nests it."""
    if kind.startswith("relative-"):
        inner = kind.removeprefix("relative-")
        manager = StorageManager({"base": MOUNT_KINDS[inner](tmp_path, request)})
        manager.add_mount({"name": "m", "type": "relative", "path": "base:nested/deeper"})
        return manager
    return StorageManager({"m": MOUNT_KINDS[kind](tmp_path, request)})


def all_kinds() -> list[Any]:
    kinds = [*MOUNT_KINDS, "relative-local", "relative-memory"]
    return [pytest.param(kind, id=kind) for kind in kinds]


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
