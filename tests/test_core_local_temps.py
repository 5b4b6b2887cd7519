"""Temporary files of killed writes on local mounts: swept once stale, never while written."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from genro_storage_django.core import DirectoryNotEmptyError, StorageManager
from genro_storage_django.core.backends import local_temps
from genro_storage_django.core.paths import is_temp_name, temp_name
from tests.support.stopped_child import StoppedChild

# Writes part of a file through the node API, says so, then waits to be killed.
WRITER = textwrap.dedent(
    """
    import sys, time
    from genro_storage_django.core import StorageManager
    root, name, kind = sys.argv[1:]
    config = {"type": "local", "path": root} if kind == "local" else {
        "type": "fsspec", "protocol": "file", "path": root}
    stream = StorageManager({"d": config}).node("d:" + name).open("wb")
    stream.write(b"partial" * 1000)
    stream.flush()
    print("writing", flush=True)
    time.sleep(600)
    """
)


class Writer(StoppedChild):
    """A real writer process, stopped half-way through a write."""

    def __init__(self, root: Path, name: str, kind: str = "local") -> None:
        super().__init__([sys.executable, "-c", WRITER, str(root), name, kind])


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for writer in started:
        if writer.process.poll() is None:
            writer.kill()


def temps(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if is_temp_name(name))


@pytest.fixture
def stale_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every temporary file counts as old enough: only the writer's lock protects it."""
    monkeypatch.setattr(local_temps, "STALE_TEMP_AGE", 0.0)


def manager_on(root: Path, kind: str = "local") -> StorageManager:
    if kind == "local":
        return StorageManager({"d": {"type": "local", "path": str(root)}})
    return StorageManager({"d": {"type": "fsspec", "protocol": "file", "path": str(root)}})


@pytest.mark.parametrize("kind", ["local", "fsspec"])  # fsspec: a mount over the local disk
def test_a_killed_writers_temp_is_swept_by_a_listing(
    tmp_path: Path, writers: list[Writer], stale_now: None, kind: str
) -> None:
    (tmp_path / "sub").mkdir()
    writers.append(live := Writer(tmp_path, "sub/report.bin", kind))
    manager = manager_on(tmp_path, kind)
    assert len(temps(tmp_path / "sub")) == 1
    assert list(manager.node("d:sub").children()) == []
    assert len(temps(tmp_path / "sub")) == 1  # its writer is alive: kept, however old
    live.kill()
    assert list(manager.node("d:sub").children()) == []
    assert temps(tmp_path / "sub") == []


def test_a_killed_writers_temp_is_swept_by_a_walk(
    tmp_path: Path, writers: list[Writer], stale_now: None
) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "kept.txt").write_bytes(b"x")
    writers.append(live := Writer(tmp_path, "a/b/new.bin"))
    live.kill()
    manager = manager_on(tmp_path)
    assert [node.path for node, _stat in manager.node("d:").walk_files()] == ["a/b/kept.txt"]
    assert temps(tmp_path / "a" / "b") == []


def test_young_temps_are_kept(tmp_path: Path, writers: list[Writer]) -> None:
    writers.append(live := Writer(tmp_path, "report.bin"))
    live.kill()
    manager = manager_on(tmp_path)
    assert list(manager.node("d:").children()) == []
    assert len(temps(tmp_path)) == 1  # younger than STALE_TEMP_AGE: perhaps still wanted
    with pytest.raises(DirectoryNotEmptyError):
        manager.node("d:").delete()


def test_a_copy_keeping_an_old_mtime_is_not_stale(tmp_path: Path) -> None:
    old = tmp_path / temp_name()
    old.write_bytes(b"being copied")
    os.utime(old, (1_000_000_000, 1_000_000_000))  # as a copy keeping the source's time does
    assert not local_temps.remove_if_stale(str(old))  # its ctime is now: kept
    assert old.exists()


def test_delete_of_a_directory_holding_only_stale_temps(
    tmp_path: Path, writers: list[Writer], stale_now: None
) -> None:
    (tmp_path / "sub").mkdir()
    writers.append(first := Writer(tmp_path, "sub/a.bin"))
    writers.append(second := Writer(tmp_path, "b.bin"))
    first.kill()
    second.kill()
    manager = manager_on(tmp_path)
    assert manager.node("d:sub").delete() is True
    assert not (tmp_path / "sub").exists()
    manager.node("d:").delete()  # the mount root: emptied, kept
    assert os.listdir(tmp_path) == []


def test_delete_keeps_a_directory_a_live_writer_is_writing_into(
    tmp_path: Path, writers: list[Writer], stale_now: None
) -> None:
    (tmp_path / "sub").mkdir()
    writers.append(Writer(tmp_path, "sub/a.bin"))
    manager = manager_on(tmp_path)
    assert manager.node("d:sub").children() == []  # the temporary file is hidden...
    # ...so the error says what holds the directory, not "use recursive=True".
    with pytest.raises(DirectoryNotEmptyError, match="a write in progress"):
        manager.node("d:sub").delete()
    assert len(temps(tmp_path / "sub")) == 1
    (tmp_path / "sub" / "listed.txt").write_text("x")
    with pytest.raises(DirectoryNotEmptyError, match=r"use recursive=True"):
        manager.node("d:sub").delete()


def test_a_write_sweeps_its_directory_now_and_then(
    tmp_path: Path, writers: list[Writer], stale_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    writers.append(live := Writer(tmp_path, "report.bin"))
    live.kill()
    manager = manager_on(tmp_path)
    manager.node("d:other.txt").write_bytes(b"new")
    assert temps(tmp_path) == []
    writers.append(again := Writer(tmp_path, "report.bin"))
    again.kill()
    manager.node("d:other.txt").write_bytes(b"newer")
    assert len(temps(tmp_path)) == 1  # swept a moment ago: not scanned again so soon
    monkeypatch.setattr(local_temps, "SWEEP_INTERVAL", 0.0)
    manager.node("d:other.txt").write_bytes(b"newest")
    assert temps(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["other.txt"]


def test_the_memory_of_swept_directories_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_temps, "REMEMBERED_DIRECTORIES", 2)
    manager = manager_on(tmp_path)
    for index in range(5):
        manager.node(f"d:dir{index}/f.txt").write_bytes(b"x")
    assert [path.read_bytes() for path in sorted(tmp_path.glob("dir*/f.txt"))] == [b"x"] * 5


def test_only_regular_temp_files_are_swept(tmp_path: Path, stale_now: None) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not ours")
    root = tmp_path / "root"
    root.mkdir()
    (root / temp_name()).symlink_to(outside)
    (root / temp_name()).mkdir()
    assert list(manager_on(root).node("d:").children()) == []
    assert len(temps(root)) == 2
    assert outside.read_bytes() == b"not ours"
    assert not local_temps.remove_if_stale(str(root / temp_name()))  # already gone
    local_temps.sweep(str(root / "missing"))  # nothing to sweep: no error


def test_a_temp_of_an_earlier_version_is_swept(tmp_path: Path, stale_now: None) -> None:
    earlier = tmp_path / ".report.pdf.gsd-tmp-0123456789ab"
    earlier.write_bytes(b"left by a killed write of an earlier version")
    assert list(manager_on(tmp_path).node("d:").children()) == []
    assert not earlier.exists()
