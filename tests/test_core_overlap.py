"""Copies, moves and syncs between trees that overlap on the storage itself are refused.

The mounts' names may differ (a relative mount, two local mounts whose roots nest, an
``fsspec`` mount over a local directory): what counts is where the bytes are.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from genro_storage_django.core import (
    OverlappingPathsError,
    StorageError,
    StorageManager,
    StorageNode,
)
from genro_storage_django.core.backends.base import PhysicalLocation
from genro_storage_django.core.overlap import overlaps
from genro_storage_django.core.sync import sync

FILES = ("a.txt", "thumbs/b.png", "thumbs/deep/c.png", "d/e.txt")


def fill(root: StorageNode) -> dict[str, bytes]:
    contents = {}
    for path in FILES:
        contents[path] = path.encode() * 10
        root.child(path).write_bytes(contents[path])
    return contents


def snapshot(root: StorageNode) -> dict[str, bytes]:
    prefix = len(root.path) + 1 if root.path else 0
    return {node.path[prefix:]: node.read_bytes() for node, _stat in root.walk_files()}


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "cache" / "thumbs").mkdir(parents=True)
    return StorageManager(
        {
            "uploads": {"type": "local", "path": str(tmp_path / "uploads")},
            "inner": {"type": "local", "path": str(tmp_path / "uploads" / "cache")},
            "disk": {"type": "fsspec", "protocol": "file", "path": str(tmp_path / "uploads")},
            "thumbs": {"type": "relative", "path": "uploads:cache/thumbs"},
            "mem": {"type": "memory"},
            "mem2": {"type": "memory"},
            "memrel": {"type": "relative", "path": "mem:cache/thumbs"},
        }
    )


def test_move_into_a_relative_mount_inside_the_tree_keeps_every_file(
    manager: StorageManager,
) -> None:
    cache = manager.node("uploads:cache")
    before = fill(cache)
    with pytest.raises(OverlappingPathsError, match="source and destination overlap"):
        cache.move_to("thumbs:")
    assert snapshot(cache) == before


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        ("uploads:cache", "thumbs:"),  # the destination is inside, through a relative mount
        ("thumbs:", "uploads:cache"),  # the source is inside the destination
        ("uploads:", "inner:"),  # nested local roots
        ("inner:", "uploads:cache/d"),
        ("disk:cache", "uploads:cache/d"),  # an fsspec mount over the same directory
        ("uploads:cache", "uploads:cache"),
        ("mem:cache", "memrel:x"),
    ],
)
def test_tree_copies_and_moves_between_overlapping_trees_are_refused(
    manager: StorageManager, source: str, destination: str
) -> None:
    root = manager.node(source.partition(":")[0] + ":")
    fill(manager.node("uploads:cache"))
    fill(manager.node("mem:cache"))
    before = snapshot(root)
    for operation in ("copy_to", "move_to"):
        with pytest.raises(OverlappingPathsError, match="overlap"):
            getattr(manager.node(source), operation)(destination)
    with pytest.raises(OverlappingPathsError, match="overlap"):
        sync(manager.node(source), manager.node(destination), delete=True)
    assert snapshot(root) == before


def test_a_symlinked_directory_inside_the_tree_is_seen_through(
    manager: StorageManager, tmp_path: Path
) -> None:
    cache = manager.node("uploads:cache")
    before = fill(cache)
    os.symlink(tmp_path / "uploads" / "cache" / "d", tmp_path / "uploads" / "link")
    with pytest.raises(OverlappingPathsError):
        sync(cache, manager.node("uploads:link/backup"))
    assert snapshot(cache) == before


def test_a_file_onto_itself_through_another_mount_is_refused(manager: StorageManager) -> None:
    fill(manager.node("uploads:cache"))
    for source, destination in [
        ("uploads:cache/a.txt", "inner:a.txt"),
        ("inner:thumbs/b.png", "thumbs:b.png"),
        ("disk:cache/a.txt", "uploads:cache/a.txt"),
    ]:
        original = manager.node(source).read_bytes()
        with pytest.raises(OverlappingPathsError, match="same file"):
            manager.node(source).copy_to(destination)
        with pytest.raises(OverlappingPathsError, match="same file"):
            manager.node(source).move_to(destination)
        with pytest.raises(OverlappingPathsError, match="same file"):
            sync(manager.node(source), manager.node(destination))
        assert manager.node(source).read_bytes() == original


def test_siblings_and_other_stores_do_not_overlap(manager: StorageManager) -> None:
    fill(manager.node("uploads:cache"))
    manager.node("uploads:cache").copy_to("uploads:cache-old")
    assert snapshot(manager.node("uploads:cache-old")) == snapshot(manager.node("uploads:cache"))
    manager.node("uploads:cache").copy_to("mem:cache")
    manager.node("mem:cache").copy_to("mem2:cache")
    assert snapshot(manager.node("mem2:cache")) == snapshot(manager.node("uploads:cache"))
    assert sync(manager.node("inner:d"), manager.node("uploads:elsewhere")).ok
    # A backend that says nothing of its store is a store of its own.
    manager.add_mount({"name": "b64", "type": "base64"})
    manager.node("b64:SGVsbG8=").copy_to("mem:hello.txt")
    assert manager.node("mem:hello.txt").read_bytes() == b"Hello"


def test_a_move_between_two_memory_mounts_keeps_the_file(manager: StorageManager) -> None:
    manager.node("mem:f.txt").write_bytes(b"payload")
    manager.node("mem:f.txt").move_to("mem2:g.txt")
    assert manager.node("mem2:g.txt").read_bytes() == b"payload"
    assert not manager.node("mem:f.txt").exists()
    manager.node("mem2:g.txt").copy_to("mem:back.txt")
    assert manager.node("mem:back.txt").read_bytes() == b"payload"
    assert not manager.node("mem2:back.txt").exists()


def test_fsspec_mounts_with_equal_arguments_share_a_store() -> None:
    # fsspec's "memory" protocol keeps one store per process, unlike the memory type.
    manager = StorageManager(
        {
            "outer": {"type": "fsspec", "protocol": "memory", "path": "/overlap-test"},
            "inner": {"type": "fsspec", "protocol": "memory", "path": "/overlap-test/in"},
        }
    )
    manager.node("outer:in/f.txt").write_bytes(b"f")
    with pytest.raises(OverlappingPathsError):
        sync(manager.node("inner:"), manager.node("outer:"), delete=True)
    assert manager.node("inner:f.txt").read_bytes() == b"f"
    manager.node("outer:").delete(recursive=True)


def test_overlap_is_a_storage_and_a_value_error() -> None:
    assert issubclass(OverlappingPathsError, StorageError)
    assert issubclass(OverlappingPathsError, ValueError)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("bucket/data", "bucket/data/x", True),
        ("bucket/data", "bucket/data", True),
        ("bucket/data", "bucket/data-old", False),
        ("", "anything/below", True),
        ("a/b", "a", True),
    ],
)
def test_overlaps_compares_whole_path_components(first: str, second: str, expected: bool) -> None:
    assert overlaps(PhysicalLocation("s", first), PhysicalLocation("s", second)) is expected
    assert not overlaps(PhysicalLocation("s", first), PhysicalLocation("t", second))


@pytest.mark.parametrize(
    ("kind", "first", "second", "expected"),
    [
        ("s3", None, "https://s3.amazonaws.com", True),
        ("s3", None, "https://s3.eu-west-1.amazonaws.com/", True),
        ("s3", "https://s3.amazonaws.com", "https://s3.dualstack.us-east-1.amazonaws.com", True),
        ("s3", "http://127.0.0.1:9000/", "HTTP://127.0.0.1:9000", True),
        ("s3", "https://minio.example:443", "https://Minio.Example", True),
        ("s3", "http://minio.example:80", "http://minio.example", True),
        ("s3", "http://127.0.0.1:9000", "http://127.0.0.1:9001", False),
        ("s3", None, "https://minio.example", False),
        ("s3", None, "https://s3.cn-north-1.amazonaws.com.cn", False),
        ("gcs", None, "https://storage.googleapis.com", True),
        ("gcs", None, "http://127.0.0.1:4443", False),
    ],
)
def test_one_bucket_through_two_spellings_of_its_endpoint(
    kind: str, first: str | None, second: str | None, expected: bool
) -> None:
    # Two spellings of one service would otherwise read as two stores: a sync with
    # --delete from a prefix into the bucket's root would then prune its own source.
    def mount(prefix: str, endpoint: str | None) -> dict[str, object]:
        config: dict[str, object] = {"type": kind, "bucket": "acme", "prefix": prefix}
        config |= {"key": "k", "secret": "s"} if kind == "s3" else {"token": "anon"}
        return config | ({"endpoint_url": endpoint} if endpoint else {})

    manager = StorageManager({"outer": mount("", first), "inner": mount("in", second)})
    if expected:
        with pytest.raises(OverlappingPathsError):
            sync(manager.node("inner:"), manager.node("outer:"), delete=True)
    inner, outer = manager.node("inner:"), manager.node("outer:")
    found = overlaps(
        inner.backend.physical_location(inner.location),
        outer.backend.physical_location(outer.location),
    )
    assert found is expected
