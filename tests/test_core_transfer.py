"""The transfer engine: server-side vs streaming, skip strategies, filters, failures."""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from pathlib import Path
from typing import IO, Any

import pytest

from genro_storage_django.core import (
    SkipStrategy,
    StatResult,
    StorageManager,
    StorageNode,
    StoragePermissionError,
    TransferCallback,
    TransferError,
)
from genro_storage_django.core.backends import AtomicWriter
from genro_storage_django.core.backends.local import LocalBackend
from genro_storage_django.core.backends.memory import MemoryBackend
from genro_storage_django.core.transfer import copy, move


class CountingLocal(LocalBackend):
    """A local backend that counts streamed reads, to tell server-side copies apart."""

    type_name = "counting-local"
    streamed_reads = 0

    def open_read(self, location: str) -> IO[bytes]:
        CountingLocal.streamed_reads += 1
        return super().open_read(location)


class FailingWriter(AtomicWriter):
    def __init__(self, inner: AtomicWriter) -> None:
        super().__init__()
        self._inner = inner
        self._written = 0

    def write(self, data: Any) -> int:
        self._written += len(data)
        if self._written > 1000:
            raise OSError("disk on fire")
        return self._inner.write(data)

    def _commit(self) -> None:
        self._inner.commit()

    def _abort(self) -> None:
        self._inner.abort()


class FlakyMemory(MemoryBackend):
    """Fails every write of a file whose name contains 'bad', after 1000 bytes."""

    type_name = "flaky"

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        writer = super().open_writer(location, exclusive=exclusive)
        return FailingWriter(writer) if "bad" in location else writer


class LyingMemory(MemoryBackend):
    """Reports a wrong MD5 for what it stores: a corrupted upload, as a move would see it."""

    type_name = "lying"

    def stat(self, location: str) -> StatResult:
        real = super().stat(location)
        return StatResult(real.name, real.kind, real.size, real.mtime, md5="0" * 32)


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    manager = StorageManager()
    for backend in (CountingLocal, FlakyMemory, LyingMemory):
        manager.register_backend_type(backend.type_name, backend)
    (tmp_path / "other").mkdir()
    manager.configure(
        {
            "disk": {"type": "local", "path": str(tmp_path / "disk")},
            "disk2": {"type": "counting-local", "path": str(tmp_path / "disk2")},
            "mem": {"type": "memory"},
            "files": {"type": "fsspec", "protocol": "file", "path": str(tmp_path / "other")},
            "flaky": {"type": "flaky"},
            "lying": {"type": "lying"},
        }
    )
    return manager


def populate(root: StorageNode, size: int = 2000) -> dict[str, bytes]:
    content = {}
    for path in ("a.txt", "bad.txt", "sub/b.pdf", "sub/deep/c.txt", "sub/deep/bad.pdf"):
        data = os.urandom(size)
        root.child(path).write_bytes(data)
        content[path] = data
    return content


def test_copy_between_local_mounts_is_server_side(manager: StorageManager) -> None:
    manager.node("disk2:src.bin").write_bytes(b"x" * 5000)
    CountingLocal.streamed_reads = 0
    manager.node("disk2:src.bin").copy_to("disk:dst.bin")
    manager.node("disk2:src.bin").copy_to("disk2:dst.bin")
    assert CountingLocal.streamed_reads == 0
    assert manager.node("disk:dst.bin").read_bytes() == b"x" * 5000
    manager.node("disk2:src.bin").copy_to("mem:dst.bin")
    assert CountingLocal.streamed_reads == 1  # another system: streamed


@pytest.mark.parametrize(
    "route", [("disk", "mem", "files", "disk"), ("mem", "files", "disk2", "mem")]
)
def test_tree_round_trip_across_backends(manager: StorageManager, route: tuple[str, ...]) -> None:
    content = populate(manager.node(f"{route[0]}:start"))
    for source, target in itertools.pairwise(route):
        report = copy(
            manager.node(f"{source}:start" if source == route[0] else f"{source}:hop"),
            f"{target}:hop" if target != route[0] else f"{target}:end",
        )
        assert report.ok
        assert len(report.copied) == 5
        assert report.bytes == sum(len(d) for d in content.values())
    end = manager.node(f"{route[-1]}:end")
    assert {n.path.removeprefix("end/"): n.read_bytes() for n, _s in end.walk_files()} == content


def test_skip_strategies(manager: StorageManager) -> None:
    source = manager.node("mem:src")
    target = manager.node("disk:dst")
    populate(source)
    first = copy(source, target)
    assert len(first.copied) == 5
    for strategy, reason in (
        ("exists", "exists"),
        (SkipStrategy.SIZE, "same size"),
        ("hash", "same md5"),
        ("mtime", "same size and mtime"),
    ):
        report = copy(source, target, skip=strategy)
        assert report.copied == [], strategy
        assert sorted(report.skipped) == sorted(
            (f"mem:src/{p}", reason)
            for p in ("a.txt", "bad.txt", "sub/b.pdf", "sub/deep/c.txt", "sub/deep/bad.pdf")
        )
    # Same size, other content: only hash finds it; size is fooled.
    source.child("a.txt").write_bytes(os.urandom(2000))
    assert copy(source, target, skip="size").copied == []
    assert copy(source, target, skip="hash").copied == ["mem:src/a.txt"]
    assert target.child("a.txt").read_bytes() == source.child("a.txt").read_bytes()
    # A newer source beats mtime.
    time.sleep(0.1)
    source.child("sub/b.pdf").write_bytes(b"newer")
    assert copy(source, target, skip="mtime").copied == ["mem:src/sub/b.pdf"]
    assert copy(source, target, skip="never").copied != []


def test_custom_skip_and_callbacks(manager: StorageManager) -> None:
    source = manager.node("mem:src")
    populate(source)
    seen_files: list[str] = []
    seen_sources: list[str] = []
    seen_skips: list[tuple[str, str]] = []
    progress: list[tuple[int, int]] = []

    def skip_pdfs(src: StorageNode, dst: StorageNode) -> bool | str:
        return "pdf is skipped" if src.suffix == ".pdf" else False

    report = copy(
        source,
        "disk:out",
        skip=skip_pdfs,
        on_copied=lambda s, d: seen_files.append(d.fullpath),
        on_file=lambda s: seen_sources.append(s.fullpath),
        on_skip=lambda s, why: seen_skips.append((s.basename, why)),
        progress=lambda done, total: progress.append((done, total)),
    )
    assert sorted(seen_files) == ["disk:out/a.txt", "disk:out/bad.txt", "disk:out/sub/deep/c.txt"]
    assert sorted(seen_sources) == ["mem:src/a.txt", "mem:src/bad.txt", "mem:src/sub/deep/c.txt"]
    assert sorted(seen_skips) == [("b.pdf", "pdf is skipped"), ("bad.pdf", "pdf is skipped")]
    assert progress[-1] == (5, 5)
    assert [done for done, _total in progress] == [1, 2, 3, 4, 5]
    assert len(report.skipped) == 2
    custom = copy(source, "disk:out2", skip="custom", skip_fn=lambda s, d: s.suffix == ".txt")
    assert {reason for _p, reason in custom.skipped} == {"custom"}
    assert len(custom.copied) == 2


def test_bad_skip_arguments(manager: StorageManager) -> None:
    manager.node("mem:f").write_bytes(b"1")
    with pytest.raises(ValueError, match="unknown skip strategy"):
        manager.node("mem:f").copy_to("mem:g", skip="sometimes")
    with pytest.raises(ValueError, match="requires skip_fn"):
        manager.node("mem:f").copy_to("mem:g", skip="custom")
    with pytest.raises(ValueError, match="workers"):
        manager.node("mem:f").copy_to("mem:g", workers=0)


def test_transfer_callback_object_sees_bytes(manager: StorageManager) -> None:
    class Recorder(TransferCallback):
        def __init__(self) -> None:
            self.totals: tuple[int, int] | None = None
            self.bytes = 0
            self.outcomes: list[str] = []
            self.started: list[int] = []

        def on_start(self, total_files: int, total_bytes: int) -> None:
            self.totals = (total_files, total_bytes)

        def on_file_start(self, source: StorageNode, destination: StorageNode, size: int) -> None:
            self.started.append(size)

        def on_bytes(self, count: int) -> None:
            self.bytes += count

        def on_file_done(
            self, source: StorageNode, destination: StorageNode, outcome: str, detail: str = ""
        ) -> None:
            self.outcomes.append(outcome)

    recorder = Recorder()
    data = os.urandom(3 * 1024 * 1024 + 17)
    manager.node("mem:big.bin").write_bytes(data)
    manager.node("mem:big.bin").copy_to("disk:big.bin", progress=recorder)
    assert recorder.totals == (1, len(data))
    assert recorder.bytes == len(data)
    assert recorder.started == [len(data)]
    assert recorder.outcomes == ["copied"]


def test_include_exclude_and_filter(manager: StorageManager) -> None:
    source = manager.node("mem:src")
    populate(source)
    only_txt = copy(source, "disk:a", include="*.txt", exclude=["bad*"])
    assert sorted(only_txt.copied) == ["mem:src/a.txt", "mem:src/sub/deep/c.txt"]
    deep = copy(source, "disk:b", include=["sub/**"])
    assert len(deep.copied) == 3
    filtered = copy(source, "disk:c", node_filter=lambda node: "deep" not in node.path)
    assert sorted(filtered.copied) == ["mem:src/a.txt", "mem:src/bad.txt", "mem:src/sub/b.pdf"]
    by_path = copy(source, "disk:d", filter=lambda node, relative: relative.startswith("sub/"))
    assert sorted(by_path.copied) == [
        "mem:src/sub/b.pdf",
        "mem:src/sub/deep/bad.pdf",
        "mem:src/sub/deep/c.txt",
    ]


def test_parallel_workers_copy_everything(manager: StorageManager) -> None:
    source = manager.node("mem:many")
    for index in range(40):
        source.child(f"d{index % 4}/f{index}.bin").write_bytes(os.urandom(100 + index))
    report = copy(source, "disk:many", workers=4)
    assert len(report.copied) == 40
    for node, _stat in source.walk_files():
        assert manager.node("disk:many", node.path.removeprefix("many/")).read_bytes() == (
            node.read_bytes()
        )


def test_failed_files_are_reported_and_never_left_partial(manager: StorageManager) -> None:
    content = populate(manager.node("disk:src"))
    report = copy(manager.node("disk:src"), "flaky:dst")
    assert not report.ok
    assert sorted(path for path, _m in report.errors) == [
        "disk:src/bad.txt",
        "disk:src/sub/deep/bad.pdf",
    ]
    assert all("disk on fire" in message for _p, message in report.errors)
    assert len(report.copied) == 3
    assert not manager.node("flaky:dst/bad.txt").exists()
    assert not manager.node("flaky:dst/sub/deep/bad.pdf").exists()
    assert manager.node("flaky:dst/a.txt").read_bytes() == content["a.txt"]
    with pytest.raises(TransferError, match="and 1 more"):
        report.raise_for_errors()


def test_failed_single_copy_raises_and_keeps_old_destination(manager: StorageManager) -> None:
    manager.node("flaky:bad.bin").write_bytes(b"old")
    manager.node("disk:bad.bin").write_bytes(os.urandom(5000))
    with pytest.raises(TransferError, match="disk on fire"):
        manager.node("disk:bad.bin").copy_to("flaky:bad.bin")
    assert manager.node("flaky:bad.bin").read_bytes() == b"old"


def test_failed_move_never_deletes_the_source(manager: StorageManager) -> None:
    content = populate(manager.node("disk:src"))
    report = move(manager.node("disk:src"), "flaky:dst")
    assert sorted(report.deleted) == [
        "disk:src/a.txt",
        "disk:src/sub/b.pdf",
        "disk:src/sub/deep/c.txt",
    ]
    assert manager.node("disk:src/bad.txt").read_bytes() == content["bad.txt"]
    assert manager.node("disk:src/sub/deep/bad.pdf").read_bytes() == content["sub/deep/bad.pdf"]
    assert not manager.node("disk:src/a.txt").exists()
    assert manager.node("flaky:dst/a.txt").read_bytes() == content["a.txt"]
    with pytest.raises(TransferError):
        manager.node("disk:src/bad.txt").move_to("flaky:single-bad.txt")
    assert manager.node("disk:src/bad.txt").exists()


def test_move_verifies_the_checksum_before_deleting(manager: StorageManager) -> None:
    manager.node("disk:precious.bin").write_bytes(b"precious")
    with pytest.raises(TransferError, match=r"verification .* failed: MD5"):
        manager.node("disk:precious.bin").move_to("lying:precious.bin")
    assert manager.node("disk:precious.bin").read_bytes() == b"precious"
    assert not manager.node("lying:precious.bin").exists()


def test_move_across_backends_keeps_mtime(manager: StorageManager, tmp_path: Path) -> None:
    node = manager.node("mem:m.txt")
    node.write_bytes(b"moving")
    mtime = node.mtime()
    report = move(node, "disk:moved/m.txt")
    assert report.deleted == ["mem:m.txt"]
    assert not node.exists()
    moved = manager.node("disk:moved/m.txt")
    assert moved.read_bytes() == b"moving"
    assert mtime is not None and abs((moved.mtime() or 0) - mtime) < 0.01


def test_move_between_local_mounts_renames(manager: StorageManager) -> None:
    manager.node("disk2:r.txt").write_bytes(b"rename me")
    CountingLocal.streamed_reads = 0
    manager.node("disk2:r.txt").move_to("disk:r/renamed.txt")
    assert CountingLocal.streamed_reads == 0
    assert not manager.node("disk2:r.txt").exists()
    assert manager.node("disk:r/renamed.txt").read_bytes() == b"rename me"


def test_copy_preserving_mtime(manager: StorageManager) -> None:
    node = manager.node("disk:old.txt")
    node.write_bytes(b"old")
    os.utime(node.backend.locate(node.path), (1_000_000_000, 1_000_000_000))
    node.copy_to("files:old.txt", preserve_mtime=True)
    assert manager.node("files:old.txt").mtime() == pytest.approx(1_000_000_000, abs=1)


def test_permissions_are_checked_before_any_byte_moves(manager: StorageManager) -> None:
    manager.add_mount({"name": "ro", "type": "relative", "path": "mem:", "permissions": "readonly"})
    manager.node("mem:x.txt").write_bytes(b"x")
    with pytest.raises(StoragePermissionError):
        manager.node("mem:x.txt").copy_to("ro:y.txt")
    with pytest.raises(StoragePermissionError):
        manager.node("ro:x.txt").move_to("disk:x.txt")
    assert not manager.node("disk:x.txt").exists()


def test_streamed_copy_keeps_content_exact(manager: StorageManager) -> None:
    data = os.urandom(5 * 1024 * 1024 + 3)
    manager.node("mem:five.bin").write_bytes(data)
    manager.node("mem:five.bin").copy_to("files:five.bin")
    assert hashlib.md5(manager.node("files:five.bin").read_bytes()).hexdigest() == (
        hashlib.md5(data).hexdigest()
    )


@pytest.mark.parametrize("kind", ["local", "fsspec"])
def test_a_move_never_deletes_through_a_symlinked_directory(tmp_path: Path, kind: str) -> None:
    # m:d/link -> ../keep: the walk of m:d lists m:keep's file as m:d/link/precious.txt.
    # The move takes a copy, but m:keep is not the tree being moved: its file and the
    # link stay.
    (tmp_path / "m" / "d").mkdir(parents=True)
    (tmp_path / "m" / "keep").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "m" / "d" / "a.txt").write_bytes(b"a")
    (tmp_path / "m" / "keep" / "precious.txt").write_bytes(b"precious")
    (tmp_path / "m" / "d" / "link").symlink_to("../keep")

    def config(path: Path) -> dict[str, str]:
        if kind == "local":
            return {"type": "local", "path": str(path)}
        return {"type": "fsspec", "protocol": "file", "path": str(path)}

    manager = StorageManager({"m": config(tmp_path / "m"), "o": config(tmp_path / "out")})
    report = move(manager.node("m:d"), "o:d")
    assert report.ok, report.errors
    assert report.deleted == ["m:d/a.txt"]
    assert ("m:d/link/precious.txt", "symlink-alias") in report.skipped
    assert (tmp_path / "m" / "keep" / "precious.txt").read_bytes() == b"precious"
    assert (tmp_path / "m" / "d" / "link").is_symlink()
    assert manager.node("o:d/link/precious.txt").read_bytes() == b"precious"
    assert not (tmp_path / "m" / "d" / "a.txt").exists()
