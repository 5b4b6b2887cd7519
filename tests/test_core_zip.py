"""zip mounts beyond the conformance suite: hostile member names, appends and rebuilds,
batches, and what an archive cannot do."""

from __future__ import annotations

import io
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path
from typing import IO

import pytest

from genro_storage_django.core import (
    StorageConfigError,
    StorageError,
    StorageManager,
    StoragePermissionError,
    UnsafePathError,
    sync,
)
from genro_storage_django.core.backends.base import AtomicWriter
from genro_storage_django.core.backends.local import LocalBackend
from genro_storage_django.core.transfer import copy
from tests.support.backend_errors import check_file_and_directory_errors

#: Member names no mount path can spell, each a way out of an extraction directory.
HOSTILE = ["../x", "/etc/passwd", "C:\\x", "ok/../../up", "nul\x00.txt"]


def raw_zip(members: list[tuple[str, bytes]], *, flags: int = 0) -> bytes:
    """A zip holding ``members`` under names zipfile would refuse or rewrite: each is
    written under a placeholder of the same length, then the bytes are swapped."""
    buffer = io.BytesIO()
    placeholders = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, (name, data) in enumerate(members):
            placeholder = (f"{number:02d}" + "Q" * len(name.encode()))[: len(name.encode())]
            placeholders.append((placeholder.encode(), name.encode()))
            archive.writestr(placeholder, data)
    raw = buffer.getvalue()
    for placeholder, name in placeholders:
        raw = raw.replace(placeholder, name)
    if flags:
        # Local header and central directory keep the general purpose flags at +6 and +8.
        raw = raw.replace(b"PK\x03\x04\x14\x00\x00\x00", b"PK\x03\x04\x14\x00" + bytes([flags, 0]))
        raw = raw.replace(
            b"PK\x01\x02\x14\x03\x14\x00\x00\x00", b"PK\x01\x02\x14\x03\x14\x00" + bytes([flags, 0])
        )
    return raw


def zip_mount(tmp_path: Path, content: bytes | None = None) -> StorageManager:
    root = tmp_path / "disk"
    root.mkdir()
    if content is not None:
        (root / "site.zip").write_bytes(content)
    return StorageManager(
        {
            "disk": {"type": "local", "path": str(root)},
            "z": {"type": "zip", "path": "disk:site.zip"},
        }
    )


def test_hostile_names_are_reported_never_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content = raw_zip([(name, b"evil") for name in HOSTILE] + [("fine.txt", b"ok")])
    manager = zip_mount(tmp_path, content)
    root = manager.node("z:")
    seen: list[tuple[str, str]] = []
    with caplog.at_level(logging.WARNING, "genro_storage_django.listing"):
        assert [child.path for child in root.children()] == ["fine.txt"]
        listed = [node.path for node, _stat in root.walk_files(on_skip=lambda *s: seen.append(s))]
    assert listed == ["fine.txt"]
    shown = ["z:../x", "z:/etc/passwd", "z:C:\\x", "z:ok/../../up", "z:nul\\x00.txt"]
    assert seen == [(path, "unsafe-name") for path in shown]
    assert sum("skipped z:../x" in message for message in caplog.messages) == 2
    listed_seen: list[tuple[str, str]] = []
    assert len(list(root.scandir(on_skip=lambda *s: listed_seen.append(s)))) == 1
    assert listed_seen == seen
    for name in HOSTILE:
        with pytest.raises(UnsafePathError):
            root.child(name)
    # zipfile would cut the NUL name short on a rewrite: the archive is not rewritten.
    with pytest.raises(StorageError, match="NUL in a member name"):
        (root / "fine.txt").write_bytes(b"replaced")
    assert (tmp_path / "disk" / "site.zip").read_bytes() == content


def test_hostile_members_survive_rebuilds_unread(tmp_path: Path) -> None:
    hostile = [name for name in HOSTILE if "\x00" not in name]
    manager = zip_mount(tmp_path, raw_zip([(name, b"evil") for name in hostile] + [("f", b"")]))
    manager.node("z:f").write_bytes(b"replaced")
    manager.node("z:new").write_bytes(b"appended")
    with zipfile.ZipFile(tmp_path / "disk" / "site.zip") as archive:
        assert [info.orig_filename for info in archive.infolist()] == [*hostile, "f", "new"]
        assert archive.read("f") == b"replaced"
    # Nothing was written outside the archive.
    assert os.listdir(tmp_path) == ["disk"]
    assert os.listdir(tmp_path / "disk") == ["site.zip"]


def test_links_and_duplicated_names_are_left_out(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("dup.txt", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("dup.txt", b"second")
        archive.writestr("clash", b"a file named like a directory")
        archive.writestr("clash/inside.txt", b"x")
    manager = zip_mount(tmp_path, buffer.getvalue())
    seen: list[tuple[str, str]] = []
    listed = [
        node.path for node, _s in manager.node("z:").walk_files(on_skip=lambda *s: seen.append(s))
    ]
    assert listed == ["clash/inside.txt"]
    assert sorted(seen) == [
        ("z:clash", "duplicate-name"),
        ("z:dup.txt", "duplicate-name"),
        ("z:dup.txt", "duplicate-name"),
        ("z:link", "special-member"),
    ]
    assert not manager.node("z:link").exists()
    assert not manager.node("z:dup.txt").exists()
    # Writing the name settles it: one member, the new content.
    manager.node("z:dup.txt").write_bytes(b"third")
    assert manager.node("z:dup.txt").read_bytes() == b"third"
    with zipfile.ZipFile(tmp_path / "disk" / "site.zip") as archive:
        assert [info.filename for info in archive.infolist()].count("dup.txt") == 1
        assert "link" in archive.namelist()


def test_directory_members_of_other_tools(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("docs/", b"")
        archive.writestr("docs/a.txt", b"a")
        archive.writestr("empty/", b"")
    manager = zip_mount(tmp_path, buffer.getvalue())
    assert [c.path for c in manager.node("z:").children()] == ["docs", "empty"]
    assert manager.node("z:empty").is_dir()
    assert manager.node("z:empty").delete() is True
    assert manager.node("z:docs").delete(recursive=True) is True
    with zipfile.ZipFile(tmp_path / "disk" / "site.zip") as archive:
        assert archive.namelist() == []


def test_a_new_member_is_appended_to_the_archive_bytes(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("old.bin", os.urandom(5000))
        start_of_directory = archive.start_dir
    original = buffer.getvalue()
    manager = zip_mount(tmp_path, original)
    manager.node("z:new.txt").write_bytes(b"new")
    written = (tmp_path / "disk" / "site.zip").read_bytes()
    assert written[:start_of_directory] == original[:start_of_directory]
    assert manager.node("z:old.bin").read_bytes() == zipfile.ZipFile(buffer).read("old.bin")


def test_a_failed_rebuild_leaves_the_archive_as_it_was(tmp_path: Path) -> None:
    content = raw_zip([("secret.txt", b"ciphertext"), ("plain.txt", b"p")], flags=0x1)
    manager = zip_mount(tmp_path, content)
    with pytest.raises(StoragePermissionError, match="the member is encrypted"):
        manager.node("z:secret.txt").read_bytes()
    with pytest.raises(StorageError):
        manager.node("z:plain.txt").write_bytes(b"needs a rebuild")
    assert (tmp_path / "disk" / "site.zip").read_bytes() == content
    assert [c.path for c in manager.node("z:").children()] == ["plain.txt", "secret.txt"]


def test_an_aborted_write_leaves_the_archive_untouched(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)
    manager.node("z:a.txt").write_bytes(b"a")
    before = (tmp_path / "disk" / "site.zip").read_bytes()
    with pytest.raises(RuntimeError), manager.node("z:b.txt").open("wb") as stream:
        stream.write(b"half")
        raise RuntimeError("client went away")
    assert (tmp_path / "disk" / "site.zip").read_bytes() == before


class CountingLocal(LocalBackend):
    """A local mount that counts the files it publishes."""

    published: list[str] = []

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        self.published.append(os.path.basename(location))
        return super().open_writer(location, exclusive=exclusive)


def zip_on(tmp_path: Path, disk: type[LocalBackend]) -> StorageManager:
    """A zip mount ``z`` on a mount ``disk`` of the local kind ``disk``, and ``mem``."""
    (tmp_path / "disk").mkdir()
    manager = StorageManager()
    manager.register_backend_type("disk-kind", disk)
    manager.configure(
        {
            "disk": {"type": "disk-kind", "path": str(tmp_path / "disk")},
            "z": {"type": "zip", "path": "disk:out/site.zip"},
            "mem": {"type": "memory"},
        }
    )
    return manager


def counting_manager(tmp_path: Path) -> StorageManager:
    CountingLocal.published = []
    return zip_on(tmp_path, CountingLocal)


def test_tree_copies_moves_and_syncs_rebuild_once(tmp_path: Path) -> None:
    manager = counting_manager(tmp_path)
    for number in range(300):
        manager.node(f"mem:tree/{number % 7}/f{number}.txt").write_bytes(b"%d" % number)
    report = copy(manager.node("mem:tree"), "z:copy", workers=4)
    assert len(report.copied) == 300
    assert CountingLocal.published == ["site.zip"]
    assert manager.node("z:copy/3/f3.txt").read_bytes() == b"3"
    manager.node("z:copy").move_to("mem:back")
    assert CountingLocal.published == ["site.zip"] * 2
    assert not manager.node("z:copy").exists()
    assert len(list(manager.node("mem:back").walk_files())) == 300
    manager.node("z:stale.txt").write_bytes(b"gone after the sync")
    CountingLocal.published = []
    sync(manager.node("mem:back"), manager.node("z:"), delete=True)
    assert CountingLocal.published == ["site.zip"] * 2  # the copies, then the deletions
    assert not manager.node("z:stale.txt").exists()
    assert len(list(manager.node("z:").walk_files())) == 300


def test_a_batch_publishes_before_reading_what_it_wrote(tmp_path: Path) -> None:
    manager = counting_manager(tmp_path)
    node = manager.node("z:a.txt")
    with node.backend.batch_writes():
        node.write_bytes(b"pending")
        assert node.size() == 7
        assert CountingLocal.published == []
        assert node.read_bytes() == b"pending"
        assert CountingLocal.published == ["site.zip"]
        manager.node("z:b.txt").write_bytes(b"b")
    assert CountingLocal.published == ["site.zip"] * 2


def test_writes_by_another_manager_are_seen(tmp_path: Path) -> None:
    first = zip_mount(tmp_path)
    first.node("z:one.txt").write_bytes(b"1")
    assert [c.path for c in first.node("z:").children()] == ["one.txt"]
    second = StorageManager(
        {
            "d": {"type": "local", "path": str(tmp_path / "disk")},
            "y": {"type": "zip", "path": "d:site.zip"},
        }
    )
    second.node("y:two.txt").write_bytes(b"22")
    assert [c.path for c in first.node("z:").children()] == ["one.txt", "two.txt"]


def test_what_an_archive_cannot_do(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)
    node = manager.node("z:a.txt")
    node.write_bytes(b"a")
    assert node.url() is None
    assert node.backend.local_file(node.location) is None
    capabilities = node.capabilities
    assert not (capabilities.keeps_mtime or capabilities.local_files or capabilities.directories)
    assert not (capabilities.presigned_urls or capabilities.public_urls)
    assert capabilities.seek_support and capabilities.atomic_operations
    with pytest.raises(StorageError, match="take uploads through the server only"):
        node.presigned_upload()
    assert node.backend.describe() == "zip (disk:site.zip)"


def test_an_archive_at_a_local_path(tmp_path: Path) -> None:
    manager = StorageManager({"z": {"type": "zip", "path": str(tmp_path / "new" / "a.zip")}})
    manager.node("z:x/y.txt").write_bytes(b"y")
    with zipfile.ZipFile(tmp_path / "new" / "a.zip") as archive:
        assert archive.read("x/y.txt") == b"y"


def test_the_archive_file_must_be_a_file(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)
    manager.node("disk:site.zip/inner").write_bytes(b"")
    with pytest.raises(StorageError, match="directory"):
        manager.node("z:").children()


@pytest.mark.parametrize(
    "path",
    [42, "disk:", "disk:../x.zip", "z:self.zip", "/tmp/dir/", "/tmp/a\x00.zip", "no-mount"],
)
def test_bad_archive_paths(path: object) -> None:
    mounts = {"disk": {"type": "memory"}, "z": {"type": "zip", "path": path}}
    with pytest.raises(StorageConfigError, match="'z'"):
        StorageManager(mounts)
    assert [problem.code for problem in StorageManager().check(mounts)] == ["archive_path"]


def test_reading_from_a_parent_without_seek(tmp_path: Path) -> None:
    """An archive on a store whose reader cannot seek is read from a local copy."""

    class Unseekable(io.RawIOBase):
        def __init__(self, inner: IO[bytes]) -> None:
            self.inner = inner

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            data = self.inner.read(len(buffer))
            buffer[: len(data)] = data
            return len(data)

        def close(self) -> None:
            self.inner.close()
            super().close()

    class StreamOnly(LocalBackend):
        def open_read(self, location: str) -> IO[bytes]:
            return Unseekable(super().open_read(location))  # type: ignore[return-value]

    manager = zip_on(tmp_path, StreamOnly)
    manager.node("z:a.txt").write_bytes(b"abc" * 1000)
    with manager.node("z:a.txt").open("rb") as stream:
        stream.seek(2999)
        assert stream.read() == b"c"


def test_errors_of_members_and_directories(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)
    manager.node("z:d/f.txt").write_bytes(b"f")
    backend = manager.node("z:").backend
    check_file_and_directory_errors(backend)
    with pytest.raises(NotADirectoryError):
        backend.remove_dir("d/f.txt", recursive=True)
    with pytest.raises(FileNotFoundError):
        backend.remove_dir("missing", recursive=True)
    with pytest.raises(OSError, match="not empty"):
        backend.remove_dir("d", recursive=False)
    with backend.batch_writes():
        pass  # a batch that wrote nothing publishes nothing
    assert (tmp_path / "disk" / "site.zip").stat().st_size > 0


def test_a_corrupt_or_changed_archive_is_an_error(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path, b"this is not a zip file")
    with pytest.raises(StorageError, match="not a readable zip archive"):
        manager.node("z:").children()
    (tmp_path / "disk" / "site.zip").unlink()
    manager.node("z:a.txt").write_bytes(b"a" * 100)
    member = manager.node("z:a.txt")
    assert member.size() == 100
    # Another tool rewrites the archive with the same size and time but other offsets:
    # the stale index's header offset no longer points at this member's header.
    backend = member.backend
    index = backend.index()
    index.files["a.txt"].ref.header_offset += 1
    with pytest.raises(StorageError, match="no local header"):
        member.read_bytes()
    index.files["a.txt"].ref.header_offset -= 1
    index.files["a.txt"].ref.orig_filename = "b.txt"
    with pytest.raises(StorageError, match="names another file"):
        member.read_bytes()


def test_a_relative_mount_on_an_archive_reports_too(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path, raw_zip([("d/../../x", b"evil"), ("d/ok", b"ok")]))
    manager.add_mount({"name": "r", "type": "relative", "path": "z:d"})
    seen: list[tuple[str, str]] = []
    listed = [
        node.path for node, _s in manager.node("r:").scandir(on_skip=lambda *s: seen.append(s))
    ]
    assert listed == ["ok"]
    assert seen == [("z:d/../../x", "unsafe-name")]


def test_threads_writing_one_archive_lose_nothing(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)

    def write(worker: int) -> None:
        for number in range(10):
            manager.node(f"z:w{worker}/f{number}.txt").write_bytes(b"%d" % number)

    workers = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(list(manager.node("z:").walk_files())) == 40
    with zipfile.ZipFile(tmp_path / "disk" / "site.zip") as archive:
        assert len(archive.namelist()) == 40


def test_processes_writing_one_archive_lose_nothing(tmp_path: Path) -> None:
    """On the local disk a writer holds the archive from its first change to its
    publication: the others wait, then build on what it published."""
    (tmp_path / "disk").mkdir()
    go = tmp_path / "go"
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from genro_storage_django.core import StorageManager
        manager = StorageManager({{
            "disk": {{"type": "local", "path": {str(tmp_path / "disk")!r}}},
            "z": {{"type": "zip", "path": "disk:site.zip"}},
        }})
        while not Path({str(go)!r}).exists():
            time.sleep(0.01)
        for number in range(15):
            manager.node(f"z:{{sys.argv[1]}}/f{{number}}.txt").write_bytes(b"x" * 1000)
        """
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, name]) for name in ("a", "b")]
    go.touch()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    with zipfile.ZipFile(tmp_path / "disk" / "site.zip") as archive:
        assert len(archive.namelist()) == 30
    assert os.listdir(tmp_path / "disk") == ["site.zip"]  # the lock's file went with it


def test_two_mounts_of_one_archive(tmp_path: Path) -> None:
    """Threads writing through two mounts of one archive take turns; one thread cannot
    hold it through both at once (it would wait for itself)."""
    first = zip_mount(tmp_path)
    second = StorageManager(
        {
            "d": {"type": "local", "path": str(tmp_path / "disk")},
            "y": {"type": "zip", "path": "d:site.zip"},
        }
    )

    def write(manager: StorageManager, mount: str) -> None:
        for number in range(10):
            manager.node(f"{mount}:{mount}/f{number}.txt").write_bytes(b"x")

    workers = [
        threading.Thread(target=write, args=(manager, mount))
        for manager, mount in ((first, "z"), (second, "y"))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(list(first.node("z:").walk_files())) == 20
    with first.node("z:").backend.batch_writes():
        first.node("z:held.txt").write_bytes(b"held")
        with pytest.raises(StorageError, match="another mount"):
            second.node("y:waits-for-itself.txt").write_bytes(b"x")
    assert first.node("z:held.txt").exists()
    assert not first.node("z:waits-for-itself.txt").exists()


def test_kill_mid_batch_keeps_the_old_archive(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)
    manager.node("z:old.txt").write_bytes(b"old")
    before = (tmp_path / "disk" / "site.zip").read_bytes()
    started = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from genro_storage_django.core import StorageManager
        manager = StorageManager({{
            "disk": {{"type": "local", "path": {str(tmp_path / "disk")!r}}},
            "z": {{"type": "zip", "path": "disk:site.zip"}},
        }})
        with manager.node("z:").backend.batch_writes():
            manager.node("z:old.txt").write_bytes(b"new")
            Path({str(started)!r}).touch()
            number = 0
            while True:
                number += 1
                manager.node(f"z:more/{{number}}.txt").write_bytes(b"more")
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
    assert (tmp_path / "disk" / "site.zip").read_bytes() == before
    assert [c.path for c in manager.node("disk:").children()] == ["site.zip"]  # lock hidden
    # The kernel let go of the dead writer's lock: the next write goes through.
    manager.node("z:after.txt").write_bytes(b"after")
    assert [c.path for c in manager.node("z:").children()] == ["after.txt", "old.txt"]
    assert manager.node("z:old.txt").read_bytes() == b"old"


def test_a_change_that_fails_midway_publishes_nothing(tmp_path: Path) -> None:
    manager = zip_mount(tmp_path)
    manager.node("z:a.txt").write_bytes(b"a")
    before = (tmp_path / "disk" / "site.zip").read_bytes()
    backend = manager.node("z:").backend

    class Failing(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("the disk under the spool failed")

    with pytest.raises(OSError, match="spool failed"):
        backend.commit_member("b.txt", Failing(b"data"), exclusive=False)  # type: ignore[attr-defined]
    assert (tmp_path / "disk" / "site.zip").read_bytes() == before
    assert [c.path for c in manager.node("z:").children()] == ["a.txt"]
    # In a batch, the member cut short is left out; what the batch wrote before stays.
    with backend.batch_writes():
        manager.node("z:a.txt").write_bytes(b"new a")
        with pytest.raises(OSError, match="spool failed"):
            backend.commit_member("a.txt", Failing(b"data"), exclusive=False)  # type: ignore[attr-defined]
    with zipfile.ZipFile(tmp_path / "disk" / "site.zip") as archive:
        assert [info.filename for info in archive.infolist()] == ["a.txt"]
        assert archive.read("a.txt") == b"new a"
    # Nothing to drop is no change: the archive is not rewritten.
    (tmp_path / "other").mkdir()
    empty = zip_mount(tmp_path / "other")
    empty.node("z:").backend.remove_dir("", recursive=True)
    assert not (tmp_path / "other" / "disk" / "site.zip").exists()
    assert backend.relative("a.txt") == "a.txt"
