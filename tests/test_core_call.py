"""``node.call(...)``: external programs run on local copies of nodes, real processes only."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from genro_storage_django.core import StorageError, StorageManager, StoragePermissionError
from genro_storage_django.core.errors import (
    CommandFailedError,
    CommandNotFoundError,
    CommandRefusedError,
    CommandTimeoutError,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX programs")


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    return StorageManager(
        {
            "disk": {"type": "local", "path": str(tmp_path / "disk")},
            "mem": {"type": "memory"},
            "ro": {"type": "relative", "path": "mem:shared", "permissions": "readonly"},
        }
    )


def test_local_nodes_are_their_own_files(manager: StorageManager, tmp_path: Path) -> None:
    node = manager.node("disk:notes.txt")
    node.write_text("Hello\nWorld\n")
    assert node.call("cat", node, return_output=True) == "Hello\nWorld\n"
    assert node.call("wc", "-l", node, return_output=True, text=True).split()[0] == "2"
    assert node.call("cat", tmp_path / "disk/notes.txt", return_output=True) == "Hello\nWorld\n"
    assert node.call("true") is None


def test_an_output_in_a_new_local_folder_is_created(manager: StorageManager) -> None:
    source = manager.node("disk:in.txt")
    source.write_text("data")
    output = manager.node("disk:made/here/out.txt")
    source.call("cp", source, output)
    assert output.read_text() == "data"


def test_a_read_only_local_mount_gives_programs_copies(tmp_path: Path) -> None:
    (tmp_path / "shelf").mkdir()
    (tmp_path / "shelf" / "kept.txt").write_text("original")
    manager = StorageManager(
        {"shelf": {"type": "local", "path": str(tmp_path / "shelf"), "permissions": "readonly"}}
    )
    node = manager.node("shelf:new/folder/out.txt")
    node.call("true", node)
    assert not (tmp_path / "shelf/new").exists()  # no output folder made
    kept = manager.node("shelf:kept.txt")
    assert kept.call("cat", kept, return_output=True) == "original"
    with pytest.raises(StoragePermissionError):
        kept.call("sh", "-c", 'echo changed > "$1"', "sh", kept)
    assert (tmp_path / "shelf" / "kept.txt").read_text() == "original"  # the file itself


def test_cloud_like_nodes_are_staged_and_changed_ones_uploaded(
    manager: StorageManager,
) -> None:
    manager.node("mem:shared/input.txt").write_text("from a read-only mount")
    source = manager.node("ro:input.txt")
    output = manager.node("mem:results/output.txt")
    # Input on a read-only mount: read, left unchanged, so not uploaded (which would be refused).
    source.call("cp", source, output)
    assert output.read_text() == "from a read-only mount"
    appended = manager.node("mem:log.txt")
    appended.write_text("line 1\n")
    appended.call("sh", "-c", 'echo "line 2" >> "$1"', "sh", appended)
    assert appended.read_text() == "line 1\nline 2\n"
    never_made = manager.node("mem:never.txt")
    never_made.call("true", never_made)  # an output the program did not make: nothing uploaded
    assert not never_made.exists()


def test_a_change_to_a_read_only_node_is_refused(manager: StorageManager) -> None:
    manager.node("mem:shared/input.txt").write_text("original")
    node = manager.node("ro:input.txt")
    with pytest.raises(StoragePermissionError):
        node.call("sh", "-c", 'echo changed > "$1"', "sh", node)
    assert node.read_text() == "original"


def test_a_failed_program_uploads_nothing(manager: StorageManager) -> None:
    output = manager.node("mem:partial.txt")
    with pytest.raises(CommandFailedError) as caught:
        output.call(
            "sh",
            "-c",
            'echo half > "$1"; echo oops >&2; exit 3',
            "sh",
            output,
            stderr=subprocess.PIPE,
        )
    assert isinstance(caught.value, subprocess.CalledProcessError)
    assert isinstance(caught.value, StorageError)
    assert caught.value.returncode == 3
    assert caught.value.stderr == b"oops\n"
    assert not output.exists()
    with pytest.raises(subprocess.CalledProcessError):
        output.call("false")


def test_missing_or_unrunnable_programs(manager: StorageManager, tmp_path: Path) -> None:
    node = manager.node("disk:x")
    with pytest.raises(CommandNotFoundError, match="command not found") as caught:
        node.call("nonexistent_command_xyz", node)
    assert isinstance(caught.value, FileNotFoundError)
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(CommandNotFoundError, match="not executable"):
        node.call(script)


def test_timeout_and_shell(manager: StorageManager) -> None:
    node = manager.node("disk:x")
    with pytest.raises(CommandTimeoutError) as caught:
        node.call("sleep", "10", timeout=0.1)
    assert isinstance(caught.value, subprocess.TimeoutExpired)
    with pytest.raises(CommandRefusedError, match="never runs a shell") as refused:
        node.call("echo hi", shell=True)
    assert isinstance(refused.value, ValueError)
    with pytest.raises(CommandRefusedError, match="needs a program"):
        node.call()


def test_callback_runs_after_success_in_both_modes(manager: StorageManager) -> None:
    node = manager.node("mem:made.txt")
    calls: list[str] = []
    node.call("sh", "-c", 'echo made > "$1"', "sh", node, callback=lambda: calls.append("sync"))
    assert calls == ["sync"]
    done = threading.Event()

    def finished() -> None:
        # The upload is done before the callback: the file is there.
        calls.append(node.read_text())
        done.set()

    assert (
        node.call("sh", "-c", 'echo again > "$1"', "sh", node, callback=finished, async_mode=True)
        is None
    )
    assert done.wait(10)
    assert calls == ["sync", "again\n"]


def test_a_background_failure_is_logged_and_skips_the_callback(manager: StorageManager) -> None:
    called: list[bool] = []
    messages: list[str] = []
    failed = threading.Event()

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())
            failed.set()

    logger = logging.getLogger("genro_storage_django.core.commands")
    recorder = Recorder(logging.ERROR)
    logger.addHandler(recorder)
    try:
        manager.node("disk:x").call("false", callback=lambda: called.append(True), async_mode=True)
        assert failed.wait(10)
    finally:
        logger.removeHandler(recorder)
    assert messages == ["call(false) failed in the background"]
    assert called == []
