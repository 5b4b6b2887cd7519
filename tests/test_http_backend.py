"""The read-only ``http`` mount against a real HTTP server (``http_server``: Python's
http.server with directory index pages and single Range requests)."""

from __future__ import annotations

import base64
import hashlib
import os
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from genro_storage_django.core import (
    StorageIsADirectoryError,
    StorageManager,
    StorageNotADirectoryError,
    StorageNotFoundError,
    StoragePermissionError,
    UnsafePathError,
)
from genro_storage_django.core.transfer import copy
from tests.support.servers import HTTPFileServer

pytestmark = pytest.mark.cloud

SPECIAL = ("sp ace.txt", "per%20cent.txt", "hash#tag.txt", "what?.txt", "caffè.txt")
BIG = bytes(range(256)) * 8192  # 2 MiB: a seek far into it is a Range request


@pytest.fixture
def site(http_server: HTTPFileServer) -> tuple[StorageManager, Path]:
    """A fresh directory of the served tree, mounted as ``web`` (and ``mem`` beside it)."""
    name = f"site-{uuid.uuid4().hex[:8]}"
    root = http_server.root / name
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "hello.txt").write_bytes(b"hello over http")
    (root / "docs" / "big.bin").write_bytes(BIG)
    (root / "docs" / "deep" / "leaf.txt").write_bytes(b"leaf")
    for special in SPECIAL:
        (root / "docs" / special).write_bytes(special.encode())
    manager = StorageManager(
        {"web": {"type": "http", "base_url": http_server.url(name)}, "mem": {"type": "memory"}}
    )
    return manager, root


def test_read_exists_and_kinds(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    node = manager.node("web:hello.txt")
    assert node.exists()
    assert node.is_file()
    assert not node.is_dir()
    assert node.read_bytes() == b"hello over http"
    assert node.read_text() == "hello over http"
    assert manager.node("web:docs").is_dir()
    assert manager.node("web:").is_dir()
    assert not manager.node("web:nope.txt").exists()
    with pytest.raises(StorageNotFoundError, match=r"web:nope\.txt"):
        manager.node("web:nope.txt").read_bytes()


def test_stat_from_one_head(site: tuple[StorageManager, Path]) -> None:
    manager, root = site
    stat = manager.node("web:hello.txt").stat()
    assert stat.size == len(b"hello over http")
    assert stat.content_type == "text/plain"
    # Last-Modified has one-second resolution.
    assert stat.mtime is not None
    assert abs(stat.mtime - int((root / "hello.txt").stat().st_mtime)) <= 1
    assert stat.md5 is None  # this server sends no Content-MD5


def test_stream_and_seek_use_ranges(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    node = manager.node("web:docs/big.bin")
    with node.open("rb") as stream:
        stream.seek(1_000_000)
        assert stream.read(100) == BIG[1_000_000:1_000_100]
        stream.seek(10)
        assert stream.read(10) == BIG[10:20]
    with node.open("rb") as stream:
        chunks = []
        while chunk := stream.read(300_000):
            chunks.append(chunk)
    assert b"".join(chunks) == BIG


def test_md5hash_streams_and_is_right(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    assert manager.node("web:docs/big.bin").md5hash() == hashlib.md5(BIG).hexdigest()


def test_md5_from_headers_when_the_server_sends_one(site: tuple[StorageManager, Path]) -> None:
    backend = site[0].get_backend("web")
    digest = hashlib.md5(b"x").digest()
    encoded = base64.b64encode(digest).decode()
    assert backend._md5({"Content-MD5": encoded}) == digest.hex()  # type: ignore[attr-defined]
    header = {"Digest": f"sha-256=abc, md5={encoded}"}
    assert backend._md5(header) == digest.hex()  # type: ignore[attr-defined]
    assert backend._md5({"Content-MD5": "not base64!"}) is None  # type: ignore[attr-defined]


def test_listing_from_the_index_page(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    assert [c.basename for c in manager.node("web:").children()] == ["docs", "hello.txt"]
    entries = {node.basename: stat for node, stat in manager.node("web:docs").scandir()}
    assert sorted(entries) == sorted(["big.bin", "deep", *SPECIAL])
    assert entries["deep"].is_dir
    assert entries["big.bin"].size == len(BIG)  # listed files carry their real size
    files = sorted((n.path, s.size) for n, s in manager.node("web:").walk_files())
    assert ("docs/deep/leaf.txt", 4) in files
    assert ("docs/per%20cent.txt", len(b"per%20cent.txt")) in files
    assert len(files) == 8
    assert [n.path for n in manager.node("web:").glob("**/*.bin")] == ["docs/big.bin"]
    with pytest.raises(StorageNotADirectoryError):
        manager.node("web:hello.txt").children()
    with pytest.raises(StorageNotFoundError):
        manager.node("web:missing").children()


def test_special_names_are_read_literally(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    for name in SPECIAL:
        assert manager.node("web:docs", name).read_bytes() == name.encode()


def test_directories_are_not_files(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    with pytest.raises(StorageIsADirectoryError):
        manager.node("web:docs").open("rb")
    with pytest.raises(StorageIsADirectoryError):
        manager.node("web:docs").read_bytes()
    with pytest.raises(StorageIsADirectoryError):
        manager.node("web:docs").md5hash()


def test_url_is_the_plain_file_url(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    url = manager.node("web:docs/sp ace.txt").url(expires_in=60)
    assert url is not None
    assert url.endswith("/docs/sp%20ace.txt")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        assert response.read() == b"sp ace.txt"


def test_writes_are_refused(site: tuple[StorageManager, Path]) -> None:
    manager, root = site
    node = manager.node("web:hello.txt")
    for attempt in (
        lambda: node.write_bytes(b"x"),
        lambda: node.open("wb"),
        lambda: node.delete(),
        lambda: node.touch(),
        lambda: manager.node("web:new").mkdir(),
        lambda: manager.node("mem:f.txt").copy_to("web:f.txt"),
        lambda: node.move_to("mem:moved.txt"),
    ):
        with pytest.raises(StoragePermissionError, match="readonly"):
            attempt()
    # The backend refuses too, whatever the caller.
    backend = manager.get_backend("web")
    with pytest.raises(PermissionError):
        backend.open_writer(backend.locate("x"))
    with pytest.raises(PermissionError):
        backend.remove_file(backend.locate("hello.txt"))
    assert (root / "hello.txt").read_bytes() == b"hello over http"


def test_copy_out_of_http_streams(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    report = copy(manager.node("web:docs"), "mem:copied")
    assert sorted(report.copied) == sorted(f"web:docs/{n}" for n in _docs_files())
    assert manager.node("mem:copied/big.bin").read_bytes() == BIG
    assert manager.node("mem:copied/deep/leaf.txt").read_bytes() == b"leaf"


def test_unsafe_paths(site: tuple[StorageManager, Path]) -> None:
    manager, _root = site
    for bad in ("../etc/passwd", "%2e%2e/x", "a/../../b"):
        with pytest.raises(UnsafePathError):
            manager.node(f"web:{bad}")


def test_a_changed_file_is_seen_at_once(site: tuple[StorageManager, Path]) -> None:
    manager, root = site
    node = manager.node("web:hello.txt")
    assert node.size() == len(b"hello over http")
    (root / "hello.txt").write_bytes(b"changed")
    os.utime(root / "hello.txt", (time.time() + 5, time.time() + 5))
    assert node.size() == len(b"changed")
    assert node.read_bytes() == b"changed"


def _docs_files() -> list[str]:
    return ["big.bin", "deep/leaf.txt", *SPECIAL]
