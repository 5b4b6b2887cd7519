"""Virtual nodes (``iternode``, ``diffnode``) and ZIP archives of nodes (``zip``, ``zip_to``)."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from genro_storage_django.core import (
    StorageError,
    StorageManager,
    StorageNotFoundError,
    UnsafePathError,
)
from genro_storage_django.core.archive import Member, write_zip
from genro_storage_django.core.errors import VirtualNodeError
from genro_storage_django.core.virtual import DiffNode, IterNode


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    return StorageManager(
        {"mem": {"type": "memory"}, "disk": {"type": "local", "path": str(tmp_path / "disk")}}
    )


def written(manager: StorageManager, path: str, data: bytes | str) -> None:
    node = manager.node(path)
    if isinstance(data, str):
        node.write_text(data)
    else:
        node.write_bytes(data)


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


# -- iternode --------------------------------------------------------------------------
def test_iternode_reads_its_sources_in_order_when_read(manager: StorageManager) -> None:
    written(manager, "mem:a.txt", "one ")
    written(manager, "disk:b.txt", "two")
    joined = manager.iternode(manager.node("mem:a.txt"), "disk:b.txt")
    written(manager, "mem:a.txt", "ONE ")  # after building: the read sees it
    assert joined.read() == "ONE two"
    assert joined.read(mode="rb") == b"ONE two"
    assert joined.read_text() == "ONE two"
    with joined.open("r") as stream:
        assert stream.read() == "ONE two"


def test_iternode_append_extend_and_nesting(manager: StorageManager) -> None:
    for name in "abcd":
        written(manager, f"mem:{name}", name)
    joined = manager.iternode()
    assert joined.read_bytes() == b""
    joined.append(manager.node("mem:a"))
    joined.extend(manager.node("mem:b"), manager.iternode("mem:c", "mem:d"))
    assert joined.read_bytes() == b"abcd"
    assert len(joined.sources) == 3
    assert joined.manager is manager
    with joined.open("rb") as stream:  # closed half-way: the source being read is closed too
        assert stream.read(1) == b"a"
    assert joined.fullpath == "iternode(mem:a, mem:b, iternode(mem:c, mem:d))"


def test_iternode_streams_into_copy_to_and_returns_the_destination(
    manager: StorageManager,
) -> None:
    big = os.urandom(3 * 1024 * 1024 + 7)  # more than one chunk of each source
    written(manager, "mem:big1", big)
    written(manager, "disk:big2", big[::-1])
    dest = manager.iternode("mem:big1", "disk:big2").copy_to("disk:out/joined.bin")
    assert dest == manager.node("disk:out/joined.bin")
    assert dest.read_bytes() == big + big[::-1]


def test_iternode_is_virtual_and_refuses_writes(manager: StorageManager) -> None:
    written(manager, "mem:a", "x")
    joined = manager.iternode("mem:a")
    assert (joined.exists(), joined.is_file(), joined.is_dir()) == (False, False, False)
    assert (joined.path, joined.basename) == ("", "")
    assert joined.ext_attributes == (None, None, False)  # as a node with nothing there
    with joined.open() as text:  # text by default, as a node's open()
        assert text.read() == "x"
    assert repr(joined) == "<iternode(mem:a)>"
    for attempt in (
        lambda: joined.write("y"),
        lambda: joined.write_text("y"),
        lambda: joined.write_bytes(b"y"),
        lambda: joined.delete(),
        lambda: joined.open("wb"),
    ):
        with pytest.raises(VirtualNodeError, match="virtual node has no path") as caught:
            attempt()
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, StorageError)
    assert manager.node("mem:a").read_text() == "x"


def test_iternode_of_a_missing_file_fails_when_read(manager: StorageManager) -> None:
    joined = manager.iternode("mem:missing.txt")
    with pytest.raises(StorageNotFoundError, match=r"mem:missing\.txt"):
        joined.read_bytes()


# -- diffnode --------------------------------------------------------------------------
def test_diffnode_is_a_lazy_unified_diff(manager: StorageManager) -> None:
    written(manager, "mem:v1", "a\nb\nc\n")
    written(manager, "disk:v2", "a\nb\nc\n")
    diff = manager.diffnode("mem:v1", "disk:v2")
    assert isinstance(diff, DiffNode)
    assert diff.read() == ""
    written(manager, "disk:v2", "a\nB\nc\n")
    assert diff.read_text() == ("--- mem:v1\n+++ disk:v2\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")
    assert diff.fullpath == "diffnode(mem:v1, disk:v2)"
    saved = diff.copy_to("mem:changes.diff")
    assert saved.read_bytes() == diff.read_bytes()
    with pytest.raises(VirtualNodeError):
        diff.write("x")


@pytest.mark.parametrize("content", [b"\x00\x01text", b"\xff\xfe not utf-8"])
def test_diffnode_refuses_binary_files(manager: StorageManager, content: bytes) -> None:
    written(manager, "mem:text", "text\n")
    written(manager, "mem:binary", content)
    with pytest.raises(VirtualNodeError, match=r"cannot diff .*mem:binary is binary") as caught:
        manager.diffnode("mem:text", "mem:binary").read()
    assert isinstance(caught.value, ValueError)


# -- zip ----------------------------------------------------------------------------------
def test_zip_of_a_file_holds_it_under_its_name(manager: StorageManager) -> None:
    written(manager, "disk:docs/report.txt", "content")
    archive = manager.node("disk:docs/report.txt").zip()
    assert archive[:2] == b"PK"
    assert members(archive) == {"report.txt": b"content"}


def test_zip_of_a_directory_holds_its_tree_with_dates(
    manager: StorageManager, tmp_path: Path
) -> None:
    for path in ("top.txt", "sub/deep/inner.txt"):
        written(manager, f"disk:tree/{path}", path)
    os.utime(tmp_path / "disk/tree/top.txt", (1_000_000_000, 1_000_000_000))  # 2001
    os.utime(tmp_path / "disk/tree/sub/deep/inner.txt", (0, 0))  # before ZIP's 1980 epoch
    archive = manager.node("disk:tree").zip()
    assert members(archive) == {"sub/deep/inner.txt": b"sub/deep/inner.txt", "top.txt": b"top.txt"}
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.getinfo("top.txt").date_time[0] == 2001
        assert opened.getinfo("sub/deep/inner.txt").date_time == (1980, 1, 1, 0, 0, 0)
        assert opened.getinfo("top.txt").compress_type == zipfile.ZIP_DEFLATED


def test_zip_of_a_missing_node_is_not_found(manager: StorageManager) -> None:
    with pytest.raises(StorageNotFoundError, match="mem:nothing"):
        manager.node("mem:nothing").zip()


def test_zip_of_an_iternode_names_each_source(manager: StorageManager) -> None:
    written(manager, "mem:a/same.txt", "first")
    written(manager, "disk:b/same.txt", "second")
    written(manager, "disk:folder/x/y.txt", "deep")
    written(manager, "mem:old", "1\n")
    written(manager, "mem:new", "2\n")
    sources = manager.iternode(
        "mem:a/same.txt",
        "disk:b/same.txt",
        "disk:folder",
        manager.diffnode("mem:old", "mem:new"),
    )
    assert members(sources.zip()) == {
        "same.txt": b"first",
        "same-2.txt": b"second",  # two sources of one name: both kept
        "folder/x/y.txt": b"deep",
        "part-4": manager.diffnode("mem:old", "mem:new").read_bytes(),
    }
    assert members(manager.iternode().zip()) == {}


def test_zip_to_streams_into_a_node_or_a_file(manager: StorageManager, tmp_path: Path) -> None:
    big = os.urandom(2 * 1024 * 1024)
    written(manager, "mem:tree/big.bin", big)
    written(manager, "mem:tree/small.txt", "small")
    tree = manager.node("mem:tree")
    tree.zip_to("disk:archives/tree.zip")
    assert members(manager.node("disk:archives/tree.zip").read_bytes()) == {
        "big.bin": big,
        "small.txt": b"small",
    }
    tree.zip_to(manager.node("mem:tree.zip"))  # a memory file (and its stream) too
    assert members(manager.node("mem:tree.zip").read_bytes())["big.bin"] == big
    with open(tmp_path / "direct.zip", "wb") as stream:
        manager.iternode("mem:tree/small.txt").zip_to(stream)
    assert members((tmp_path / "direct.zip").read_bytes()) == {"small.txt": b"small"}


def test_zip_member_names_never_climb_out(manager: StorageManager) -> None:
    written(manager, "mem:x", "x")
    source = manager.node("mem:x")
    for name in ("../evil", "/etc/passwd", "a/../../b"):
        with pytest.raises(UnsafePathError):
            write_zip(manager, io.BytesIO(), [Member(name, source)])
    buffer = io.BytesIO()
    write_zip(manager, buffer, [Member("./a//b", source), Member("", source)])
    assert sorted(members(buffer.getvalue())) == ["a/b", "content"]


def test_virtual_classes_are_what_the_manager_builds(manager: StorageManager) -> None:
    assert isinstance(manager.iternode(), IterNode)


def test_zip_to_and_copy_to_hold_a_chunk_not_the_tree(tmp_path: Path) -> None:
    manager = StorageManager({"disk": {"type": "local", "path": str(tmp_path / "disk")}})
    block = os.urandom(1 << 20)
    for index in range(4):  # 4 files of 8 MiB: 32 MiB in all
        with manager.node(f"disk:tree/f{index}.bin").open("wb") as stream:
            for _ in range(8):
                stream.write(block)
    tracemalloc.start()
    try:
        manager.node("disk:tree").zip_to("disk:out/tree.zip")
        _, zip_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sources = [f"disk:tree/f{index}.bin" for index in range(4)]
        manager.iternode(*sources).copy_to("disk:out/joined.bin")
        _, copy_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert zip_peak < 8 << 20, zip_peak
    assert copy_peak < 8 << 20, copy_peak
    assert manager.node("disk:out/joined.bin").size() == 32 << 20
    with zipfile.ZipFile(tmp_path / "disk/out/tree.zip") as opened:
        assert [info.file_size for info in opened.infolist()] == [8 << 20] * 4
