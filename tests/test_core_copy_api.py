"""What ``copy_to``/``move_to`` return and raise, their callbacks with genro-storage's
signatures, filters, and the empty directories of a tree."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from genro_storage_django.core import (
    StorageManager,
    StorageNode,
    StorageNotFoundError,
    TransferError,
)
from genro_storage_django.core.backends.memory import MemoryBackend
from genro_storage_django.core.transfer import copy


class FlatMemory(MemoryBackend):
    """A memory store that, like an object store, keeps no empty directories."""

    type_name = "flat-memory"
    declared_capabilities = dataclasses.replace(
        MemoryBackend.declared_capabilities, directories=False
    )


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    manager = StorageManager()
    manager.register_backend_type(FlatMemory.type_name, FlatMemory)
    manager.configure(
        {
            "src": {"type": "local", "path": str(tmp_path / "src")},
            "dst": {"type": "local", "path": str(tmp_path / "dst")},
            "mem": {"type": "memory"},
            "flat": {"type": "flat-memory"},
        }
    )
    for path in ("a.txt", "b.log", "sub/c.txt", "sub/deep/d.txt"):
        manager.node("src:tree", path).write_text(path)
    return manager


def test_copy_to_returns_the_destination_node(manager: StorageManager) -> None:
    destination = manager.node("dst:copy.txt")
    assert manager.node("src:tree/a.txt").copy_to(destination) is destination
    by_name = manager.node("src:tree").copy_to("dst:tree")
    assert isinstance(by_name, StorageNode)
    assert by_name.fullpath == "dst:tree"
    assert by_name.child("sub/deep/d.txt").read_text() == "sub/deep/d.txt"


def test_move_to_retargets_the_node(manager: StorageManager) -> None:
    node = manager.node("src:tree/a.txt")
    old_location = node.location  # computed for the old name: the move must drop it
    assert node.move_to("dst:moved/a.txt") is node
    assert node.fullpath == "dst:moved/a.txt"
    assert node.read_text() == "a.txt"
    assert node.location == manager.node("dst:moved/a.txt").location != old_location
    assert not manager.node("src:tree/a.txt").exists()


def test_a_failed_move_keeps_the_node_name(manager: StorageManager) -> None:
    node = manager.node("src:tree/a.txt")
    manager.node("dst:taken").mkdir()
    with pytest.raises(TransferError):
        node.move_to("dst:taken")
    assert node.fullpath == "src:tree/a.txt"
    assert node.exists()


def test_a_tree_with_failed_files_raises_after_copying_the_others(
    manager: StorageManager,
) -> None:
    # A directory where a file should land: that file fails, the others are copied.
    manager.node("dst:tree/sub/c.txt").mkdir(parents=True)
    with pytest.raises(TransferError, match=r"src:tree/sub/c\.txt") as raised:
        manager.node("src:tree").copy_to("dst:tree")
    report = raised.value.report
    assert report is not None
    assert [path for path, _message in report.errors] == ["src:tree/sub/c.txt"]
    assert sorted(report.copied) == ["src:tree/a.txt", "src:tree/b.log", "src:tree/sub/deep/d.txt"]
    assert manager.node("dst:tree/a.txt").read_text() == "a.txt"
    # The functional API returns the same report instead of raising.
    again = copy(manager.node("src:tree"), "dst:tree")
    assert [path for path, _message in again.errors] == ["src:tree/sub/c.txt"]


def test_a_missing_source_is_file_not_found(manager: StorageManager) -> None:
    with pytest.raises(FileNotFoundError, match="Source not found: src:nothing") as raised:
        manager.node("src:nothing").copy_to("dst:x")
    assert isinstance(raised.value, StorageNotFoundError)
    with pytest.raises(StorageNotFoundError, match="Source not found"):
        manager.node("src:nothing").move_to("dst:x")


def test_callbacks_with_genro_signatures(manager: StorageManager) -> None:
    copied: list[str] = []
    pairs: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    progress: list[tuple[int, int]] = []
    manager.node("dst:tree/a.txt").write_text("a.txt")
    manager.node("src:tree").copy_to(
        "dst:tree",
        skip="hash",
        include="*.txt",
        on_file=lambda source: copied.append(source.path),
        on_copied=lambda source, target: pairs.append((source.path, target.path)),
        on_skip=lambda source, reason: skipped.append((source.path, reason)),
        progress=lambda done, total: progress.append((done, total)),
    )
    assert sorted(copied) == ["tree/sub/c.txt", "tree/sub/deep/d.txt"]
    assert sorted(pairs) == [
        ("tree/sub/c.txt", "tree/sub/c.txt"),
        ("tree/sub/deep/d.txt", "tree/sub/deep/d.txt"),
    ]
    # Left out by the globs, then skipped as unchanged: both heard of.
    assert sorted(skipped) == [
        ("tree/a.txt", "same md5"),
        ("tree/b.log", "excluded by include/exclude"),
    ]
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_filters_see_the_relative_path_and_report_what_they_leave_out(
    manager: StorageManager,
) -> None:
    skipped: list[tuple[str, str]] = []
    report = copy(
        manager.node("src:tree"),
        "dst:tree",
        filter=lambda node, relative: relative.startswith("sub/"),
        node_filter=lambda node: node.basename != "d.txt",
        on_skip=lambda source, reason: skipped.append((source.path, reason)),
    )
    assert report.copied == ["src:tree/sub/c.txt"]
    assert sorted(skipped) == [
        ("tree/a.txt", "excluded by filter"),
        ("tree/b.log", "excluded by filter"),
        ("tree/sub/deep/d.txt", "excluded by filter"),
    ]
    assert report.skipped == []  # not copied by choice: no entry of the report


def _bad_filter(node: StorageNode, relative: str) -> bool:
    if relative == "b.log":
        raise ValueError("cannot judge logs")
    return True


def test_a_raising_filter_skips_its_file_when_on_skip_listens(
    manager: StorageManager, caplog: pytest.LogCaptureFixture
) -> None:
    skipped: list[tuple[str, str]] = []
    with caplog.at_level(logging.WARNING, logger="genro_storage_django.transfer"):
        manager.node("src:tree").copy_to(
            "dst:tree",
            filter=_bad_filter,
            on_skip=lambda source, reason: skipped.append((source.path, reason)),
        )
    reason = "filter error: ValueError: cannot judge logs"
    assert skipped == [("tree/b.log", reason)]
    assert not manager.node("dst:tree/b.log").exists()
    assert manager.node("dst:tree/sub/deep/d.txt").exists()
    assert f"not copied src:tree/b.log: {reason}" in caplog.text
    report = copy(manager.node("src:tree"), "mem:tree", filter=_bad_filter, on_skip=print)
    assert report.skipped == [("src:tree/b.log", reason)]
    assert report.ok


def test_a_raising_filter_is_an_error_when_nobody_listens(manager: StorageManager) -> None:
    with pytest.raises(TransferError, match=r"src:tree/b\.log: filter error") as raised:
        manager.node("src:tree").copy_to("dst:tree", filter=_bad_filter)
    assert raised.value.report is not None
    assert len(raised.value.report.copied) == 3  # the others are copied
    assert not manager.node("dst:tree/b.log").exists()


@pytest.mark.parametrize("target", ["dst:out", "mem:out"])
def test_empty_directories_are_copied(manager: StorageManager, target: str) -> None:
    manager.node("src:tree/empty").mkdir()
    manager.node("src:tree/sub/nothing/below").mkdir(parents=True)
    manager.node("src:tree").copy_to(target, include="*.log")
    out = manager.node(target)
    assert out.child("empty").is_dir()
    assert out.child("empty").children() == []
    assert out.child("sub/nothing/below").is_dir()
    assert not out.child("sub/deep").exists()  # not empty: it holds a file left out
    assert [node.path for node, _stat in out.walk_files()] == ["out/b.log"]


def test_empty_directories_can_be_left_out(manager: StorageManager) -> None:
    manager.node("src:tree/empty").mkdir()
    report = copy(manager.node("src:tree"), "dst:tree", empty_directories=False)
    assert len(report.copied) == 4
    assert not manager.node("dst:tree/empty").exists()


def test_an_empty_tree_is_copied_as_an_empty_directory(manager: StorageManager) -> None:
    manager.node("src:void").mkdir()
    copied = manager.node("src:void").copy_to("dst:void")
    assert copied.is_dir()
    assert copied.children() == []


def test_a_move_takes_empty_directories_along(manager: StorageManager) -> None:
    manager.node("src:tree/empty").mkdir()
    moved = manager.node("src:tree")
    moved.move_to("dst:tree")
    assert manager.node("dst:tree/empty").is_dir()
    assert not manager.node("src:tree").exists()
    assert moved.fullpath == "dst:tree"


def test_no_empty_directories_where_the_destination_has_none(manager: StorageManager) -> None:
    manager.node("src:tree/empty").mkdir()
    report = copy(manager.node("src:tree"), "flat:tree")
    assert report.ok
    assert len(report.copied) == 4
    assert not manager.node("flat:tree/empty").exists()


def test_an_empty_directory_that_cannot_be_made_is_an_error(manager: StorageManager) -> None:
    manager.node("src:tree/empty").mkdir()
    manager.node("dst:tree/empty").write_text("a file in the way")
    with pytest.raises(TransferError, match="src:tree/empty") as raised:
        manager.node("src:tree").copy_to("dst:tree")
    assert raised.value.report is not None
    assert len(raised.value.report.copied) == 4
