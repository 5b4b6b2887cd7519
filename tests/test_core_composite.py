"""Mounts built on other mounts: the manager and the transfer engine know no type by name.

``FirstOfBackend`` (tests/support/composite_mounts.py) exists only in the tests: if the manager
or the copy engine still special-cased ``relative``, these tests would fail for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from genro_storage_django.core import (
    OverlappingPathsError,
    Permissions,
    StorageConfigError,
    StorageManager,
    sync,
    validate_mounts,
)
from genro_storage_django.core.backends import Backend, default_registry
from genro_storage_django.core.backends.local import LocalBackend
from genro_storage_django.core.transfer import copy
from tests.support.composite_mounts import FirstOfBackend


class CountingLocal(LocalBackend):
    """Counts streamed reads and server-side batches, to tell the two apart."""

    type_name = "counting-local"
    streamed_reads = 0
    batches: list[int] = []  # one record shared by the test's instances

    def open_read(self, location: str) -> IO[bytes]:
        CountingLocal.streamed_reads += 1
        return super().open_read(location)

    def copy_files_within(
        self, copies: Sequence[tuple[str, str, float | None]], other: Backend
    ) -> list[Exception | None]:
        CountingLocal.batches.append(len(copies))
        return super().copy_files_within(copies, other)


def make_manager(tmp_path: Path, mounts: Any) -> StorageManager:
    manager = StorageManager()
    manager.register_backend_type("first-of", FirstOfBackend)
    manager.register_backend_type("counting-local", CountingLocal)
    manager.configure(mounts)
    return manager


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    CountingLocal.streamed_reads = 0
    CountingLocal.batches = []
    return make_manager(
        tmp_path,
        [
            # Listed before its parents: the manager installs the parents first.
            {"name": "u", "type": "first-of", "parents": ["a", "b"]},
            {"name": "a", "type": "counting-local", "path": str(tmp_path / "a")},
            {"name": "b", "type": "counting-local", "path": str(tmp_path / "b")},
            {"name": "out", "type": "counting-local", "path": str(tmp_path / "out")},
        ],
    )


def test_parents_installed_first_and_reads_go_to_the_holding_parent(
    manager: StorageManager,
) -> None:
    manager.node("a:shared.txt").write_bytes(b"from a")
    manager.node("b:shared.txt").write_bytes(b"from b")
    manager.node("b:only-b/x.txt").write_bytes(b"x")
    assert manager.node("u:shared.txt").read_bytes() == b"from a"
    assert manager.node("u:only-b/x.txt").read_bytes() == b"x"
    assert [n.basename for n in manager.node("u:").children()] == ["only-b", "shared.txt"]
    manager.node("u:new.txt").write_bytes(b"new")
    assert manager.node("a:new.txt").read_bytes() == b"new"
    assert manager.get_backend("u").parent_mounts == ("a", "b")  # type: ignore[attr-defined]


def test_a_copy_through_the_composite_stays_server_side(manager: StorageManager) -> None:
    manager.node("b:doc.bin").write_bytes(b"d" * 3000)
    CountingLocal.streamed_reads = 0
    report = copy(manager.node("u:doc.bin"), "out:doc.bin")
    assert report.ok
    assert CountingLocal.streamed_reads == 0
    assert manager.node("out:doc.bin").read_bytes() == b"d" * 3000


def test_a_sync_batches_per_holding_parent(manager: StorageManager) -> None:
    for index in range(3):
        manager.node(f"a:tree/a{index}.txt").write_bytes(b"a" * index)
    for index in range(2):
        manager.node(f"b:tree/b{index}.txt").write_bytes(b"b" * index)
    CountingLocal.streamed_reads = 0
    report = sync(manager.node("u:tree"), manager.node("out:tree"))
    assert report.ok
    assert CountingLocal.streamed_reads == 0
    assert sorted(CountingLocal.batches) == [2, 3]
    landed = sorted(n.basename for n, _stat in manager.node("out:tree").walk_files())
    assert landed == ["a0.txt", "a1.txt", "a2.txt", "b0.txt", "b1.txt"]


def test_overlap_is_seen_through_the_composite(manager: StorageManager) -> None:
    manager.node("b:same.txt").write_bytes(b"same")
    with pytest.raises(OverlappingPathsError, match="same file"):
        manager.node("u:same.txt").copy_to("b:same.txt")


def test_a_missing_parent_is_refused_naming_it(tmp_path: Path) -> None:
    mounts = {
        "a": {"type": "memory"},
        "u": {"type": "first-of", "parents": ["a", "ghost"]},
    }
    with pytest.raises(StorageConfigError, match="Parent mount 'ghost' not found for mount 'u'"):
        make_manager(tmp_path, mounts)
    problems = make_manager(tmp_path, {}).check(mounts)
    assert [(p.code, p.mount, p.key) for p in problems] == [("unknown_parent", "u", "parents")]


def test_a_cycle_is_refused_naming_it(tmp_path: Path) -> None:
    mounts = {
        "a": {"type": "memory"},
        "u1": {"type": "first-of", "parents": ["a", "u2"]},
        "u2": {"type": "first-of", "parents": ["u3"]},
        "u3": {"type": "relative", "path": "u1:sub"},
    }
    with pytest.raises(StorageConfigError, match=r"form a cycle: u1 -> u2 -> u3 -> u1"):
        make_manager(tmp_path, mounts)


def test_a_loop_is_reported_for_its_own_mounts_only(tmp_path: Path) -> None:
    mounts = {
        "a": {"type": "memory"},
        "d": {"type": "first-of", "parents": ["a"]},
        "e": {"type": "first-of", "parents": ["d"]},
        "x": {"type": "first-of", "parents": ["d", "e", "y"]},  # d reached twice: no cycle
        "y": {"type": "first-of", "parents": ["z"]},
        "z": {"type": "first-of", "parents": ["y"]},
    }
    problems = make_manager(tmp_path, {}).check(mounts)
    assert [(p.mount, p.message) for p in problems] == [
        ("y", "mount 'y': mounts built on other mounts form a cycle: y -> z -> y"),
        ("z", "mount 'z': mounts built on other mounts form a cycle: z -> y -> z"),
    ]


def test_validate_mounts_takes_known_names_alone() -> None:
    registry = default_registry.copy()
    registry.register("first-of", FirstOfBackend)
    config = {"name": "u", "type": "first-of", "parents": ["a"]}
    assert validate_mounts([config], registry, known={"a"}) == []
    assert [p.code for p in validate_mounts([config], registry)] == ["unknown_parent"]


@pytest.mark.parametrize(
    "child",
    [{"type": "first-of", "parents": ["a"]}, {"type": "relative", "path": "a:x"}],
    ids=["first-of", "relative"],
)
def test_a_cycle_through_existing_mounts_is_refused(tmp_path: Path, child: Any) -> None:
    # Accepted before, and the permission refresh then recursed without end.
    manager = make_manager(tmp_path, {"a": {"type": "memory"}, "u": child})
    with pytest.raises(StorageConfigError, match=r"form a cycle: a -> u -> a"):
        manager.add_mount({"name": "a", "type": "relative", "path": "u:x"})
    assert manager.get_mount("a").type_name == "memory"  # nothing changed


def test_permissions_combine_and_follow_a_replaced_parent(tmp_path: Path) -> None:
    manager = make_manager(
        tmp_path,
        [
            {"name": "a", "type": "memory", "permissions": "delete"},
            {"name": "b", "type": "memory", "permissions": "readwrite"},
            {"name": "u", "type": "first-of", "parents": ["a", "b"]},
            {"name": "r", "type": "relative", "path": "u:sub"},
        ],
    )
    assert manager.get_mount("u").permissions is Permissions.READWRITE
    assert manager.get_mount("r").permissions is Permissions.READWRITE
    manager.add_mount({"name": "a", "type": "memory", "permissions": "readonly"})
    assert manager.get_mount("u").permissions is Permissions.READONLY
    assert manager.get_mount("r").permissions is Permissions.READONLY
    with pytest.raises(StorageConfigError, match="parent of first-of mount 'u'"):
        manager.delete_mount("b")
    manager.configure([{"name": "v", "type": "first-of", "parents": ["b"]}])  # b exists
    assert manager.get_mount("v").permissions is Permissions.READWRITE


class OwnPermissions(FirstOfBackend):
    """Writes nothing to its parents, so it keeps its own permissions."""

    type_name = "own-permissions"

    @classmethod
    def combine_permissions(
        cls, own: Permissions, parents: Mapping[str, Permissions]
    ) -> Permissions:
        return own


def test_a_composite_may_keep_its_own_permissions(tmp_path: Path) -> None:
    manager = StorageManager()
    manager.register_backend_type("own-permissions", OwnPermissions)
    manager.configure(
        {
            "a": {"type": "memory", "permissions": "readonly"},
            "u": {"type": "own-permissions", "parents": ["a"]},
        }
    )
    assert manager.get_mount("u").permissions is Permissions.DELETE


class HoldsItsOwn(FirstOfBackend):
    """A composite whose files are its own (an archive, say): nothing to look through."""

    type_name = "holds-its-own"

    def resolve_location(self, location: str) -> tuple[Backend, str]:
        return self, location


def test_a_composite_holding_its_own_files_is_its_own_store(tmp_path: Path) -> None:
    manager = StorageManager()
    manager.register_backend_type("holds-its-own", HoldsItsOwn)
    manager.configure({"a": {"type": "memory"}, "h": {"type": "holds-its-own", "parents": ["a"]}})
    own = manager.get_backend("h").physical_location("x")
    assert own.path == "x"
    assert own.store != manager.get_backend("a").physical_location("x").store


def test_optional_features_have_defaults_on_every_backend(manager: StorageManager) -> None:
    plain = manager.get_backend("a")
    assert plain.resolve_location("x") == (plain, "x")
    assert plain.async_source("x") is None
    relative = StorageManager(
        {"m": {"type": "memory"}, "r": {"type": "relative", "path": "m:sub"}}
    ).get_backend("r")
    assert relative.async_source(relative.locate("f")) is None
