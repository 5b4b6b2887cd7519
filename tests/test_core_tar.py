"""tar mounts beyond the conformance suite: hostile members, compressed archives, rebuilds."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from genro_storage_django.core import StorageConfigError, StorageError, StorageManager

#: Names no mount path can spell, each a way out of an extraction directory.
HOSTILE = ["../x", "/etc/passwd", "C:\\x", "ok/../../up"]


def member(
    name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    return info, data


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes]], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode, format=tarfile.PAX_FORMAT) as archive:  # type: ignore[call-overload]
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def tar_mount(tmp_path: Path, filename: str, content: bytes | None = None) -> StorageManager:
    root = tmp_path / "disk"
    root.mkdir()
    if content is not None:
        (root / filename).write_bytes(content)
    return StorageManager(
        {
            "disk": {"type": "local", "path": str(root)},
            "t": {"type": "tar", "path": f"disk:{filename}"},
        }
    )


def test_hostile_and_special_members_are_reported_and_kept(tmp_path: Path) -> None:
    members = [member(name, b"evil") for name in HOSTILE]
    members += [
        member("link", kind=tarfile.SYMTYPE),
        member("hard", kind=tarfile.LNKTYPE),
        member("fifo", kind=tarfile.FIFOTYPE),
        member("device", kind=tarfile.CHRTYPE),
        member("dup.txt", b"one"),
        member("dup.txt", b"two"),
        member("docs/", kind=tarfile.DIRTYPE),
        member("docs/fine.txt", b"fine"),
    ]
    content = tar_bytes(members)
    manager = tar_mount(tmp_path, "site.tar", content)
    seen: list[tuple[str, str]] = []
    walked = [n.path for n, _s in manager.node("t:").walk_files(on_skip=lambda *s: seen.append(s))]
    assert walked == ["docs/fine.txt"]
    assert sorted(seen) == sorted(
        [(f"t:{name}", "unsafe-name") for name in HOSTILE]
        + [(f"t:{name}", "special-member") for name in ("link", "hard", "fifo", "device")]
        + [("t:dup.txt", "duplicate-name")] * 2
    )
    assert [c.path for c in manager.node("t:").children()] == ["docs"]
    # A rebuild keeps every member it does not change, as it was, and writes nothing else.
    manager.node("t:docs/fine.txt").write_bytes(b"replaced")
    with tarfile.open(tmp_path / "disk" / "site.tar") as archive:
        names = [(info.name, info.type) for info in archive]
        assert archive.extractfile("docs/fine.txt").read() == b"replaced"  # type: ignore[union-attr]
    assert names == [(info.name.rstrip("/"), info.type) for info, _d in members[:-1]] + [
        ("docs/fine.txt", tarfile.REGTYPE)
    ]
    assert os.listdir(tmp_path) == ["disk"]
    assert os.listdir(tmp_path / "disk") == ["site.tar"]


@pytest.mark.parametrize("filename", ["a.tar", "a.tar.gz", "a.tgz", "a.tar.xz", "a.tar.bz2"])
def test_each_compression_reads_seeks_and_rebuilds(tmp_path: Path, filename: str) -> None:
    data = os.urandom(200_000)
    manager = tar_mount(tmp_path, filename)
    manager.node("t:big.bin").write_bytes(data)
    manager.node("t:small.txt").write_bytes(b"small")
    with manager.node("t:big.bin").open("rb") as stream:
        stream.seek(150_000)
        assert stream.read(10) == data[150_000:150_010]
        stream.seek(-5, os.SEEK_END)
        assert stream.read() == data[-5:]
        stream.seek(10)
        assert stream.read(10) == data[10:20]
        stream.seek(0)
        with pytest.raises(ValueError, match="negative seek"):
            stream.seek(-1, os.SEEK_CUR)
    with tarfile.open(tmp_path / "disk" / filename) as archive:  # the suffix's compression
        assert archive.getnames() == ["big.bin", "small.txt"]
    manager.node("t:big.bin").delete()
    assert [c.path for c in manager.node("t:").children()] == ["small.txt"]


def test_a_batch_writes_each_name_once(tmp_path: Path) -> None:
    manager = tar_mount(tmp_path, "b.tar.gz")
    node = manager.node("t:a.txt")
    with node.backend.batch_writes():
        node.write_bytes(b"1")
        node.write_bytes(b"22")
        manager.node("t:b.txt").write_bytes(b"b")
        manager.node("t:b.txt").delete()
    with tarfile.open(tmp_path / "disk" / "b.tar.gz") as archive:
        assert archive.getnames() == ["a.txt"]
    assert node.read_bytes() == b"22"


def test_a_corrupt_archive_is_an_error_and_is_left_alone(tmp_path: Path) -> None:
    manager = tar_mount(tmp_path, "c.tar.gz", b"not gzip at all")
    with pytest.raises(StorageError, match="not a readable tar archive"):
        manager.node("t:").children()
    assert (tmp_path / "disk" / "c.tar.gz").read_bytes() == b"not gzip at all"


def test_a_tar_needs_a_tar_name() -> None:
    mounts = {"disk": {"type": "memory"}, "t": {"type": "tar", "path": "disk:backup.zip"}}
    with pytest.raises(StorageConfigError, match=r"must end in \.tar"):
        StorageManager(mounts)
    assert [problem.code for problem in StorageManager().check(mounts)] == ["archive_path"]


def test_an_archive_inside_an_archive(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    manager = StorageManager(
        {
            "disk": {"type": "local", "path": str(tmp_path / "disk")},
            "outer": {"type": "zip", "path": "disk:outer.zip"},
            "inner": {"type": "tar", "path": "outer:in/inner.tar.gz"},
        }
    )
    manager.node("inner:a/b.txt").write_bytes(b"nested")
    assert [c.path for c in manager.node("outer:in").children()] == ["in/inner.tar.gz"]
    with manager.node("inner:a/b.txt").open("rb") as stream:
        stream.seek(3)
        assert stream.read() == b"ted"
