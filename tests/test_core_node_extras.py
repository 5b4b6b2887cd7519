"""genro-storage's node conveniences (core/node_extras.py): ``ext``, ``splitext()``,
``ext_attributes``, ``resolved_path``, ``internal_url()``, ``to_base64()`` and
``fill_from_url()`` over real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from genro_storage_django.core import (
    InvalidURLError,
    NotAFileError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
    StorageUnavailableError,
    TransferError,
)
from tests.support.server_process import HOST
from tests.support.servers import HTTPFileServer


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    return StorageManager(
        {
            "disk": {"type": "local", "path": str(tmp_path / "disk")},
            "pub": {"type": "local", "path": str(tmp_path / "pub"), "base_url": "/assets/"},
            "mem": {"type": "memory"},
            "ro": {"type": "memory", "permissions": "readonly"},
        }
    )


def test_ext_and_splitext(manager: StorageManager) -> None:
    assert manager.node("mem:docs/report.pdf").ext == "pdf"
    assert manager.node("mem:docs/report.pdf").splitext() == ("docs/report", ".pdf")
    assert manager.node("mem:archive.tar.gz").splitext() == ("archive.tar", ".gz")
    assert manager.node("mem:README").ext == ""
    assert manager.node("mem:a.b/README").splitext() == ("a.b/README", "")
    assert manager.node("mem:.profile").splitext() == (".profile", "")


def test_ext_attributes(manager: StorageManager) -> None:
    node = manager.node("disk:entry.txt")
    assert node.ext_attributes == (None, None, False)
    node.write_bytes(b"first")
    mtime, size, is_dir = node.ext_attributes
    assert isinstance(mtime, float) and (size, is_dir) == (5, False)
    node.delete()
    assert node.ext_attributes == (None, None, False)
    folder = manager.node("disk:folder")
    folder.mkdir()
    mtime, size, is_dir = folder.ext_attributes
    assert mtime is not None and (size, is_dir) == (None, True)


def test_resolved_path(manager: StorageManager, tmp_path: Path) -> None:
    future = manager.node("disk:a/b/future.txt")
    assert future.resolved_path == str((tmp_path / "disk" / "a" / "b" / "future.txt").resolve())
    assert manager.node("mem:x.txt").resolved_path is None


def test_internal_url(manager: StorageManager) -> None:
    node = manager.node("pub:img/logo one.png")
    node.write_bytes(b"png")
    assert node.internal_url() == "/assets/img/logo%20one.png"
    stamp = int(node.mtime() or 0)
    assert node.internal_url(nocache=True) == f"/assets/img/logo%20one.png?mtime={stamp}"
    manager.node("mem:x.txt").write("x")
    assert manager.node("mem:x.txt").internal_url(nocache=True) is None
    assert manager.node("disk:x.txt").internal_url() is None


def test_to_base64(manager: StorageManager) -> None:
    node = manager.node("mem:hello.txt")
    node.write("Hello World")
    encoded = base64.b64encode(b"Hello World").decode()
    assert node.to_base64() == f"data:text/plain;base64,{encoded}"
    assert node.to_base64(include_uri=False) == encoded
    assert node.to_base64(mime="application/custom").startswith("data:application/custom;")
    with pytest.raises(StorageNotFoundError):
        manager.node("mem:missing.txt").to_base64()
    manager.node("mem:folder").mkdir()
    with pytest.raises(NotAFileError, match="Cannot encode directory") as caught:
        manager.node("mem:folder").to_base64()
    assert isinstance(caught.value, ValueError)


def test_fill_from_url(manager: StorageManager, http_server: HTTPFileServer) -> None:
    payload = bytes(range(256)) * 5000  # more than one 1 MiB chunk
    (http_server.root / "fill.bin").write_bytes(payload)
    node = manager.node("disk:downloads/fill.bin")
    node.fill_from_url(http_server.url("fill.bin"), timeout=10)
    assert node.read_bytes() == payload
    (http_server.root / "small.txt").write_bytes(b"small")
    node.fill_from_url(http_server.url("small.txt"))
    assert node.read_bytes() == b"small"
    (http_server.root / "empty.txt").write_bytes(b"")
    node.fill_from_url(http_server.url("empty.txt"))
    assert node.read_bytes() == b""


def test_fill_from_url_errors(manager: StorageManager, http_server: HTTPFileServer) -> None:
    node = manager.node("mem:file.txt")
    node.write("previous")
    for url in ("not-a-url", "ftp://example.com/file.txt", "file:///etc/passwd"):
        with pytest.raises(InvalidURLError, match="Invalid URL") as invalid:
            node.fill_from_url(url)
        assert isinstance(invalid.value, ValueError)
    with pytest.raises(TransferError, match="HTTP 404") as missing:
        node.fill_from_url(http_server.url("missing.txt?token=secret"))
    assert "secret" not in str(missing.value)
    assert isinstance(missing.value, OSError)
    with pytest.raises(StoragePermissionError):
        manager.node("ro:file.txt").fill_from_url(http_server.url("missing.txt"))
    assert node.read_text() == "previous"


def test_fill_from_url_unreachable(manager: StorageManager) -> None:
    node = manager.node("mem:file.txt")
    with socket.socket() as listener:  # bound, never listening: the connection is refused
        listener.bind((HOST, 0))
        port = listener.getsockname()[1]
        with pytest.raises(StorageUnavailableError, match="Failed to download") as refused:
            node.fill_from_url(f"http://{HOST}:{port}/file.txt")
    assert isinstance(refused.value, OSError)
    assert not node.exists()


class _TruncatingHandler(BaseHTTPRequestHandler):
    """Announces 100 000 bytes, sends 10 and hangs up: a download broken half-way."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def truncating_url() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _TruncatingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/broken"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_fill_from_url_broken_download_keeps_the_file(
    manager: StorageManager, truncating_url: str
) -> None:
    node = manager.node("disk:kept.txt")
    node.write("kept")
    with pytest.raises(StorageUnavailableError, match="Failed to download"):
        node.fill_from_url(truncating_url, timeout=5)
    assert node.read_text() == "kept"
