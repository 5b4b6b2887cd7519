"""genro-storage's ways of writing a mount: ``base_path``, the ``parent:sub`` shorthand,
``protocol``, memory mounts with a path, and mounts configured again."""

from __future__ import annotations

from pathlib import Path

import pytest

from genro_storage_django.core import (
    StorageConfigError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)


def test_base_path_is_another_name_of_path(tmp_path: Path) -> None:
    manager = StorageManager(
        [
            {"name": "disk", "protocol": "local", "base_path": str(tmp_path)},
            {"name": "scratch", "type": "memory", "base_path": "/data"},
            {"name": "sub", "type": "relative", "base_path": "disk:sub"},
        ]
    )
    manager.node("sub:f.txt").write_text("x")
    assert (tmp_path / "sub" / "f.txt").read_text() == "x"
    # The backend sees the key under its own name.
    assert manager.get_mount("disk").config["path"] == str(tmp_path)
    assert "base_path" not in manager.get_mount("disk").config
    assert manager.check({"o": {"type": "s3", "bucket": "b", "base_path": "in/here"}}) == []


def test_base_path_and_path_together_are_refused(tmp_path: Path) -> None:
    problems = StorageManager().check(
        {"disk": {"type": "local", "path": str(tmp_path), "base_path": "/elsewhere"}}
    )
    assert [(p.code, p.key) for p in problems] == [("invalid_value", "base_path")]


def test_a_path_naming_a_parent_makes_a_relative_mount() -> None:
    manager = StorageManager([{"name": "data", "protocol": "memory", "base_path": "/data"}])
    manager.configure(
        [
            {"name": "projects", "path": "data:projects"},
            {"name": "a", "path": "projects:a", "permissions": "readonly"},
        ]
    )
    assert manager.get_mount("a").type_name == "relative"
    manager.node("projects:a/f.txt").write_text("nested")
    assert manager.node("a:f.txt").read_text() == "nested"
    assert manager.node("data:projects/a/f.txt").read_text() == "nested"
    with pytest.raises(StoragePermissionError):
        manager.node("a:f.txt").write_text("no")
    with pytest.raises(StorageConfigError, match="Parent mount 'missing' not found for mount 'x'"):
        manager.configure([{"name": "x", "path": "missing:sub"}])
    with pytest.raises(StorageConfigError, match="Invalid permissions 'all' for mount 'y'"):
        manager.configure([{"name": "y", "path": "data:sub", "permissions": "all"}])


def test_memory_path_is_a_directory_of_the_mount_s_own_store() -> None:
    manager = StorageManager(
        {"a": {"type": "memory", "path": "/data"}, "b": {"type": "memory", "path": "/data"}}
    )
    manager.node("a:x/f.txt").write_bytes(b"1")
    assert manager.get_backend("a").fs.fs.exists("/data/x/f.txt")
    assert not manager.node("b:x/f.txt").exists()  # each memory mount keeps its own store
    assert manager.node("a:x/f.txt").mtime() == manager.node("a:x").children()[0].mtime()
    assert [child.name for child in manager.node("a:").children()] == ["x"]


def test_missing_name_and_type_are_named() -> None:
    with pytest.raises(StorageConfigError, match="missing required field: 'name'"):
        StorageManager([{"protocol": "local", "path": "/tmp"}])
    with pytest.raises(StorageConfigError, match="'test': missing required field: 'protocol'"):
        StorageManager([{"name": "test", "path": "/tmp"}])
    with pytest.raises(ValueError, match="Unknown storage type 'unknown'"):
        StorageManager([{"name": "test", "protocol": "unknown"}])


def test_an_unknown_mount_lists_the_known_ones() -> None:
    manager = StorageManager({"a": {"type": "memory"}, "b": {"type": "memory"}})
    known = r"Mount point 'c' not found \(mounts: 'a', 'b'\)"
    with pytest.raises(StorageNotFoundError, match=known):
        manager.node("c:file.txt")


def test_a_mount_configured_again_refuses_writes_through_older_nodes() -> None:
    manager = StorageManager({"a": {"type": "memory"}, "child": {"path": "a:sub"}})
    before, child_before = manager.node("a:f.txt"), manager.node("child:f.txt")
    before.write_bytes(b"1")
    manager.configure({"a": {"type": "memory", "permissions": "readonly"}})
    # The older node must not keep the wider rights of the replaced configuration,
    # nor must a node of a mount built on it.
    for node in (before, child_before):
        with pytest.raises(StoragePermissionError, match="configured again"):
            node.write_bytes(b"2")
    with pytest.raises(StoragePermissionError, match="is readonly"):
        manager.node("a:f.txt").write_bytes(b"2")
    assert not manager.node("a:f.txt").exists()  # a memory mount configured again starts empty
    manager.delete_mount("child")
    with pytest.raises(StoragePermissionError, match="or removed"):
        child_before.delete()
