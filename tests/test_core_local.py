"""Local disk specifics: atomic writes under SIGKILL, file modes, hidden temporaries."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from genro_storage_django.core import StorageConfigError, StorageManager

WRITER = textwrap.dedent(
    """
    import sys, time
    from genro_storage_django.core import StorageManager
    root, name, api = sys.argv[1], sys.argv[2], sys.argv[3]
    manager = StorageManager({"d": {"type": api, "path": root}}
                             if api == "local" else
                             {"d": {"type": "fsspec", "protocol": "file", "path": root}})
    chunk = b"N" * 65536
    with manager.node("d:" + name).open("wb") as stream:
        for index in range(10_000):
            stream.write(chunk)
            if index == 20:
                print("writing", flush=True)
            time.sleep(0.001)
    """
)


@pytest.mark.parametrize("api", ["local", "fsspec"])
def test_killed_writer_never_leaves_a_torn_file(tmp_path: Path, api: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    target = root / "report.bin"
    target.write_bytes(b"previous complete version")
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), "report.bin", api],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "writing"
    time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"previous complete version"
    manager = StorageManager({"d": {"type": "local", "path": str(root)}})
    # The orphaned temporary sibling exists on disk but never shows in listings.
    assert [c.basename for c in manager.node("d:").children()] == ["report.bin"]
    assert [n.path for n, _s in manager.node("d:").walk_files()] == ["report.bin"]
    assert any(name != "report.bin" for name in os.listdir(root))


def test_new_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        manager = StorageManager({"d": {"type": "local", "path": str(tmp_path)}})
        manager.node("d:f.txt").write_bytes(b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o640


def test_exclusive_create_never_overwrites(tmp_path: Path) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path)}})
    node = manager.node("d:once.txt")
    with node.open("xb") as stream:
        stream.write(b"first")
    writer = node.open("xb")
    writer.write(b"second")
    (tmp_path / "once.txt").write_bytes(b"raced")
    with pytest.raises(FileExistsError):
        writer.close()
    assert (tmp_path / "once.txt").read_bytes() == b"raced"
    assert os.listdir(tmp_path) == ["once.txt"]


def test_unclosed_writer_publishes_nothing(tmp_path: Path) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path)}})
    writer = manager.node("d:dropped.txt").open("wb")
    writer.write(b"never closed")
    del writer
    assert os.listdir(tmp_path) == []


def test_deleting_the_root_keeps_the_mount(tmp_path: Path) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path / "r")}})
    manager.node("d:a/b.txt").write_bytes(b"1")
    manager.node("d:c.txt").write_bytes(b"2")
    (tmp_path / "r" / "link").symlink_to(tmp_path / "r" / "c.txt")
    root = manager.node("d:")
    with pytest.raises(OSError, match="not empty"):
        root.delete()
    assert root.delete(recursive=True)
    assert (tmp_path / "r").is_dir()
    assert os.listdir(tmp_path / "r") == []
    assert root.delete() is True  # an empty root: nothing to refuse


def test_delete_a_symlinked_directory_removes_the_link(tmp_path: Path) -> None:
    (tmp_path / "r" / "real").mkdir(parents=True)
    (tmp_path / "r" / "real" / "keep.txt").write_text("keep")
    (tmp_path / "r" / "alias").symlink_to(tmp_path / "r" / "real")
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path / "r")}})
    assert manager.node("d:alias/keep.txt").read_text() == "keep"
    assert manager.node("d:alias").delete(recursive=True)
    assert not (tmp_path / "r" / "alias").exists()
    assert (tmp_path / "r" / "real" / "keep.txt").read_text() == "keep"


def test_copying_a_directory_as_a_file_fails_and_leaves_nothing(tmp_path: Path) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path)}})
    manager.node("d:tree/a.txt").write_bytes(b"a")
    backend = manager.get_backend("d")
    with pytest.raises(IsADirectoryError):
        backend.copy_within(str(tmp_path / "tree"), str(tmp_path / "copy.txt"), backend)
    assert sorted(os.listdir(tmp_path)) == ["tree"]


def test_copy_without_sendfile_goes_through_user_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path)}})
    payload = os.urandom(3 * (1 << 20) + 17)
    (tmp_path / "source.bin").write_bytes(payload)

    def refuse(*args: object) -> int:
        raise OSError(22, "sendfile not supported here")

    monkeypatch.setattr(os, "sendfile", refuse)
    with manager.node("d:target.bin").open("wb") as writer:
        writer.write(b"head:")  # buffered bytes must land before the copied ones
        writer.copy_from(str(tmp_path / "source.bin"))
        writer.write(b":tail")
    assert (tmp_path / "target.bin").read_bytes() == b"head:" + payload + b":tail"


def test_a_copy_failing_half_way_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path)}})
    (tmp_path / "source.bin").write_bytes(os.urandom(3 << 20))
    real_sendfile = os.sendfile
    calls = []

    def fail_second_chunk(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        calls.append(offset)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real_sendfile(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "sendfile", fail_second_chunk)
    with pytest.raises(OSError, match="No space"):
        manager.node("d:source.bin").copy_to(manager.node("d:target.bin"))
    assert sorted(os.listdir(tmp_path)) == ["source.bin"]


@pytest.mark.parametrize("durable", [True, False])
def test_fsync_before_publishing_unless_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    manager = StorageManager({"d": {"type": "local", "path": str(tmp_path), "fsync": durable}})
    (tmp_path / "source.txt").write_bytes(b"copied")
    published_at_fsync: list[list[str]] = []
    real_fsync = os.fsync

    def record(fd: int) -> None:
        published_at_fsync.append(sorted(n for n in os.listdir(tmp_path) if n[0] != "."))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    manager.node("d:target.txt").write_bytes(b"written")
    manager.node("d:source.txt").copy_to(manager.node("d:copy.txt"))
    # When on, the data is made durable while still under its temporary name.
    expected = [["source.txt"], ["source.txt", "target.txt"]]
    assert published_at_fsync == (expected if durable else [])
    assert (tmp_path / "target.txt").read_bytes() == b"written"
    assert (tmp_path / "copy.txt").read_bytes() == b"copied"


@pytest.mark.parametrize(
    "config",
    [
        {"protocol": "dir", "options": {"path": "{root}", "target_protocol": "file"}},
        {"protocol": "simplecache", "path": "{root}", "options": {"target_protocol": "file"}},
        {"protocol": "filecache", "path": "{root}", "options": {"target_protocol": "file"}},
        {
            "protocol": "simplecache",
            "options": {
                "target_protocol": "dir",
                "target_options": {"path": "{root}", "target_protocol": "file"},
            },
        },
    ],
    ids=["dir", "simplecache", "filecache", "cache-over-dir"],
)
def test_fsspec_wrappers_over_the_local_disk_are_refused(
    tmp_path: Path, config: dict[str, object]
) -> None:
    # Through a wrapper the disk's symlink check is out of reach: a link inside the root
    # would read, write and delete outside it. Only the file protocol itself is kept in.
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "escape").symlink_to(outside)
    filled = json.loads(json.dumps(config).replace("{root}", str(root)))
    with pytest.raises(StorageConfigError, match=r"mount 'w'.*local disk.*'protocol': 'file'"):
        StorageManager({"w": {"type": "fsspec", **filled}})
    assert (outside / "secret.txt").read_bytes() == b"secret"
