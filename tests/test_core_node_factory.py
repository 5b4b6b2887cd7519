"""StorageNode subclasses: ``StorageManager(node_class=...)`` and the ``_create_node`` hook
keep a subclass (and its constructor's extra arguments) through every node a node makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import (
    StorageManager,
    StorageNode,
    StorageNotFoundError,
    UnsafePathError,
)
from genro_storage_django.core.manager import Mount


class TaggedNode(StorageNode):
    """A subclass with the base constructor: ``node_class`` is all it needs."""

    def tag(self) -> str:
        return f"tagged {self.fullpath}"


class TenantNode(StorageNode):
    """A subclass with one more constructor argument, passed on by its hook."""

    def __init__(self, manager: StorageManager, mount: Mount | str, path: str, tenant: str):
        super().__init__(manager, mount, path)
        self.tenant = tenant

    def _create_node(self, manager: StorageManager, mount: Mount, path: str) -> StorageNode:
        return TenantNode(manager, mount, path, self.tenant)


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    manager = StorageManager({"m": {"type": "local", "path": str(tmp_path)}}, node_class=TaggedNode)
    for path in ("docs/a.txt", "docs/sub/b.txt"):
        manager.node("m", path).write_text(path)
    return manager


def test_the_manager_makes_nodes_of_its_class(manager: StorageManager) -> None:
    node = manager.node("m:docs/a.txt")
    assert type(node) is TaggedNode
    assert node.tag() == "tagged m:docs/a.txt"
    assert repr(node) == "TaggedNode('m:docs/a.txt')"
    assert type(manager.resolve("m:docs")) is TaggedNode
    assert type(StorageManager().node_class) is type(StorageNode)  # the default


def test_every_node_a_node_makes_keeps_its_class(manager: StorageManager) -> None:
    docs = manager.node("m:docs")
    made: list[Any] = [
        docs.parent,
        docs.child("a.txt"),
        docs / "sub",
        docs.child("a.txt").with_name("c.txt"),
        docs.child("a.txt").with_suffix(".md"),
        *docs.children(),
        *docs.iterdir(),
        *(node for node, _stat in docs.scandir()),
        *(node for node, _stat in docs.walk_files()),
        *docs.glob("**/*.txt"),
        *(directory for directory, _dirs, _files in docs.walk()),
    ]
    assert all(type(node) is TaggedNode for node in made), made


def test_copies_and_moves_give_back_nodes_of_the_class(manager: StorageManager) -> None:
    copied = manager.node("m:docs/a.txt").copy_to("m:copy.txt")
    assert type(copied) is TaggedNode
    moved = manager.node("m:copy.txt")
    assert moved.move_to("m:moved.txt") is moved
    assert type(moved) is TaggedNode


def test_a_hook_passes_on_extra_constructor_arguments(manager: StorageManager) -> None:
    # genro-storage's way: the mount given by name, the path as typed (normalised here).
    node = TenantNode(manager, "m", "docs/", "acme")
    assert node.fullpath == "m:docs"
    nested = node.child("sub").child("b.txt")
    assert [type(n) for n in (nested, nested.parent, nested.parent.parent)] == [TenantNode] * 3
    assert {n.tenant for n in (nested, nested.parent, *node.children())} == {"acme"}
    assert nested.read_text() == "docs/sub/b.txt"


def test_a_node_made_by_mount_name_obeys_the_path_rules(manager: StorageManager) -> None:
    with pytest.raises(UnsafePathError):
        StorageNode(manager, "m", "docs/../../etc/passwd")
    with pytest.raises(StorageNotFoundError, match="nowhere"):
        StorageNode(manager, "nowhere", "x")
    assert StorageNode(manager, "m", "docs//a.txt/").path == "docs/a.txt"
