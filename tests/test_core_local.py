"""Local disk specifics: atomic writes under SIGKILL, file modes, hidden temporaries."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from genro_storage_django.core import StorageManager

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
