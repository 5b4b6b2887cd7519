"""hashdir mounts beyond the conformance suite: the layout on disk, crash states, names
that do not belong, copies to and from other mounts."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from genro_storage_django.core import StorageConfigError, StorageManager
from genro_storage_django.core.transfer import copy
from tests.support.backend_errors import check_file_and_directory_errors


def hashdir(tmp_path: Path, levels: int = 2) -> StorageManager:
    root = tmp_path / "objects"
    return StorageManager({"h": {"type": "hashdir", "path": str(root), "levels": levels}})


def place(root: Path, logical: str, levels: int = 2) -> Path:
    digest = hashlib.sha256(logical.encode()).hexdigest()
    return root.joinpath(*[digest[2 * i : 2 * i + 2] for i in range(levels)], digest)


def test_files_are_spread_by_the_hash_of_their_path(tmp_path: Path) -> None:
    manager = hashdir(tmp_path)
    for number in range(300):
        manager.node(f"h:docs/q{number}.pdf").write_bytes(b"%d" % number)
    root = tmp_path / "objects"
    content = place(root, "docs/q7.pdf")
    assert content.read_bytes() == b"7"
    assert Path(f"{content}.name").read_text() == "docs/q7.pdf"
    assert Path(f"{place(root, 'docs/')}.name").read_text() == "docs/"
    # The root holds fan-out directories only, and no leaf holds more than a few files.
    assert all(len(name) == 2 for name in os.listdir(root))
    largest = max(len(files) for _dir, _dirs, files in os.walk(root) if files)
    assert largest <= 8
    listed = [child.path for child in manager.node("h:docs").children()]
    assert len(listed) == 300
    assert listed[:2] == ["docs/q0.pdf", "docs/q1.pdf"]
    assert [child.path for child in manager.node("h:").children()] == ["docs"]


def test_one_level(tmp_path: Path) -> None:
    manager = hashdir(tmp_path, levels=1)
    manager.node("h:a/b.txt").write_bytes(b"b")
    assert place(tmp_path / "objects", "a/b.txt", levels=1).read_bytes() == b"b"


def test_a_name_without_its_content_is_no_entry(tmp_path: Path) -> None:
    """What a crash between the two steps of a write or a delete leaves behind."""
    manager = hashdir(tmp_path)
    manager.node("h:kept.txt").write_bytes(b"kept")
    manager.node("h:gone.txt").write_bytes(b"gone")
    # A delete that stopped after removing the content:
    place(tmp_path / "objects", "gone.txt").unlink()
    # A write that stopped after recording the name:
    manager.node("h:").backend.publish_names("new.txt")  # type: ignore[attr-defined]
    assert [child.path for child in manager.node("h:").children()] == ["kept.txt"]
    assert not manager.node("h:gone.txt").exists()
    assert not manager.node("h:new.txt").exists()
    manager.node("h:new.txt").write_bytes(b"completed")
    assert [child.path for child in manager.node("h:").children()] == ["kept.txt", "new.txt"]


def test_kill_mid_write_keeps_the_old_content(tmp_path: Path) -> None:
    manager = hashdir(tmp_path)
    manager.node("h:big.bin").write_bytes(b"old content")
    started = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from genro_storage_django.core import StorageManager
        manager = StorageManager(
            {{"h": {{"type": "hashdir", "path": {str(tmp_path / "objects")!r}}}}}
        )
        with manager.node("h:big.bin").open("wb") as stream:
            stream.write(b"new" * 100_000)
            Path({str(started)!r}).touch()
            while True:
                stream.write(b"more" * 10_000)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert child.poll() is None, "the writer died on its own"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert manager.node("h:big.bin").read_bytes() == b"old content"
    assert [child.path for child in manager.node("h:").children()] == ["big.bin"]


def test_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    manager = hashdir(tmp_path)

    def write(worker: int) -> None:
        for number in range(40):
            manager.node(f"h:shared/w{worker}/f{number}.txt").write_bytes(b"%d" % number)

    workers = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(list(manager.node("h:shared").walk_files())) == 160


def test_name_files_that_do_not_belong_are_reported(tmp_path: Path) -> None:
    manager = hashdir(tmp_path)
    manager.node("h:fine.txt").write_bytes(b"fine")
    root = tmp_path / "objects"
    # A name file whose path climbs out, at the place that path hashes to, with content:
    escaping = place(root, "../x")
    escaping.parent.mkdir(parents=True, exist_ok=True)
    escaping.write_bytes(b"evil")
    Path(f"{escaping}.name").write_text("../x")
    # A name file copied to another object's place: it does not name its own place.
    moved = place(root, "fine.txt")
    Path(f"{place(root, 'other')}.name").parent.mkdir(parents=True, exist_ok=True)
    Path(f"{place(root, 'other')}.name").write_text("fine.txt")
    seen: list[tuple[str, str]] = []
    assert [c.path for c in manager.node("h:").children()] == ["fine.txt"]
    walked = [n.path for n, _s in manager.node("h:").walk_files(on_skip=lambda *s: seen.append(s))]
    assert walked == ["fine.txt"]
    assert sorted(seen) == [("h:../x", "unsafe-name"), ("h:fine.txt", "unsafe-name")]
    assert moved.read_bytes() == b"fine"


def test_copies_to_and_from_other_mounts(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    manager = StorageManager(
        {
            "disk": {"type": "local", "path": str(tmp_path / "disk")},
            "h": {"type": "hashdir", "path": str(tmp_path / "objects")},
            "mem": {"type": "memory"},
        }
    )
    for path in ("a.txt", "b/c.txt", "b/d/e.txt"):
        manager.node(f"disk:tree/{path}").write_bytes(path.encode())
    report = copy(manager.node("disk:tree"), "h:copied")
    assert sorted(report.copied) == ["disk:tree/a.txt", "disk:tree/b/c.txt", "disk:tree/b/d/e.txt"]
    copy(manager.node("h:copied"), "mem:back")
    assert manager.node("mem:back/b/d/e.txt").read_bytes() == b"b/d/e.txt"
    manager.node("h:copied/b").move_to("h:moved")
    assert sorted(n.path for n, _s in manager.node("h:").walk_files()) == [
        "copied/a.txt",
        "moved/c.txt",
        "moved/d/e.txt",
    ]
    assert manager.node("h:copied/a.txt").md5hash() == hashlib.md5(b"a.txt").hexdigest()


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"path": "relative/objects"}, "not_absolute"),
        ({"path": "/srv/a\x00b"}, "nul_in_path"),
        ({"path": "/srv/objects", "levels": 0}, "invalid_value"),
        ({"path": "/srv/objects", "levels": True}, "invalid_value"),
        ({"path": "/srv/objects", "levels": 5}, "invalid_value"),
        ({"path": "/srv/objects", "fsync": "no"}, "invalid_value"),
    ],
)
def test_bad_options(options: dict[str, object], code: str) -> None:
    mounts = {"h": {"type": "hashdir", **options}}
    with pytest.raises(StorageConfigError):
        StorageManager(mounts)
    assert [problem.code for problem in StorageManager().check(mounts)] == [code]


def test_errors_of_files_and_directories(tmp_path: Path) -> None:
    manager = hashdir(tmp_path)
    manager.node("h:d/f.txt").write_bytes(b"f")
    backend = manager.node("h:").backend
    check_file_and_directory_errors(backend)
    with pytest.raises(IsADirectoryError):
        backend.remove_file("d")
    assert backend.set_mtime("d", None) is False
    assert backend.set_mtime("d/f.txt", None) is True
    assert backend.relative(backend.locate("d/f.txt")) == "d/f.txt"
    assert backend.describe() == f"hashdir ({tmp_path / 'objects'}, 2 levels)"
