"""``node.serve(environ, start_response)``: the core's WSGI answer, through a real WSGI server
(wsgiref in a thread) and called directly; and the framework-free rules it is built on."""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from genro_storage_django.core import StorageManager
from genro_storage_django.core.http.conditional import parse_etags, precondition_status
from genro_storage_django.core.http.headers import http_date, parse_http_date
from genro_storage_django.core.http.streams import CHUNK_SIZE
from genro_storage_django.core.http.wsgi import WsgiBody, serve_wsgi

BIG = os.urandom(CHUNK_SIZE * 2 + 10)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    manager = StorageManager(
        {"disk": {"type": "local", "path": str(tmp_path / "disk")}, "mem": {"type": "memory"}}
    )
    manager.node("disk:docs/a.txt").write_text("Hello World")
    manager.node("disk:docs/report.pdf").write_bytes(b"%PDF-1.4")
    manager.node("mem:big.bin").write_bytes(BIG)
    return manager


@pytest.fixture
def server(manager: StorageManager) -> Iterator[WSGIServer]:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        mount, _, path = environ["PATH_INFO"].lstrip("/").partition("/")
        node = manager.node(f"{mount}:{path}")
        if environ.get("QUERY_STRING") == "download":
            return node.serve(environ, start_response, download_name="renamed.pdf")
        return node.serve(environ, start_response, cache_max_age=60)

    httpd = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(10)


def fetch(
    server: WSGIServer, path: str, method: str = "GET", **headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        connection.request(
            method, path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_a_local_file_is_served_with_its_headers(server: WSGIServer) -> None:
    status, headers, body = fetch(server, "/disk/docs/a.txt")
    assert (status, body) == (200, b"Hello World")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Content-Length"] == "11"
    assert headers["Cache-Control"] == "max-age=60"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"].startswith('inline; filename="a.txt"')
    assert headers["ETag"].startswith('"')
    assert parse_http_date(headers["Last-Modified"]) is not None


def test_conditional_requests(server: WSGIServer) -> None:
    _, headers, _ = fetch(server, "/disk/docs/a.txt")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, not_modified, body = fetch(server, "/disk/docs/a.txt", If_None_Match=etag)
    assert (status, body) == (304, b"")
    assert not_modified["ETag"] == etag
    assert not_modified["Cache-Control"] == "max-age=60"
    assert fetch(server, "/disk/docs/a.txt", If_Modified_Since=modified)[0] == 304
    assert fetch(server, "/disk/docs/a.txt", If_None_Match='"other"')[0] == 200
    status, _, body = fetch(server, "/disk/docs/a.txt", If_Match='"other"')
    assert (status, body) == (412, b"")


def test_ranges(server: WSGIServer) -> None:
    status, headers, body = fetch(server, "/disk/docs/a.txt", Range="bytes=6-")
    assert (status, body, headers["Content-Range"]) == (206, b"World", "bytes 6-10/11")
    status, headers, body = fetch(server, "/mem/big.bin", Range="bytes=0-0,-1")
    assert status == 206
    assert headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    size = len(BIG)
    assert f"Content-Range: bytes 0-0/{size}\r\n\r\n".encode() + BIG[:1] in body
    assert f"Content-Range: bytes {size - 1}-{size - 1}/{size}\r\n\r\n".encode() + BIG[-1:] in body
    status, headers, body = fetch(server, "/disk/docs/a.txt", Range="bytes=50-")
    assert (status, body, headers["Content-Range"]) == (416, b"", "bytes */11")
    stale = fetch(server, "/disk/docs/a.txt", Range="bytes=6-", If_Range='"stale"')
    assert (stale[0], stale[2]) == (200, b"Hello World")


def test_a_cloud_like_file_streams_in_chunks(server: WSGIServer) -> None:
    status, headers, body = fetch(server, "/mem/big.bin")
    assert (status, body) == (200, BIG)
    assert headers["Content-Type"] == "application/octet-stream"
    assert "ETag" not in headers  # memory files have no version tag
    status, _, body = fetch(server, "/mem/big.bin", Range=f"bytes={CHUNK_SIZE}-{CHUNK_SIZE + 4}")
    assert (status, body) == (206, BIG[CHUNK_SIZE : CHUNK_SIZE + 5])


def test_head_download_missing_directory_and_other_methods(server: WSGIServer) -> None:
    status, headers, body = fetch(server, "/disk/docs/a.txt", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, "11", b"")
    status, headers, _ = fetch(server, "/disk/docs/report.pdf?download")
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith('attachment; filename="renamed.pdf"')
    assert fetch(server, "/disk/docs/missing.txt")[::2] == (404, b"Not Found")
    assert fetch(server, "/disk/docs")[::2] == (404, b"Not Found")
    status, headers, body = fetch(server, "/disk/docs/a.txt", method="POST")
    assert (status, headers["Allow"], body) == (405, "GET, HEAD", b"Method Not Allowed")


def test_called_directly_the_body_is_a_sized_iterable(manager: StorageManager) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append((status, dict(headers)))

    body = manager.node("mem:big.bin").serve({}, start_response)
    assert isinstance(body, WsgiBody)
    assert len(body) == 3  # two full chunks and ten bytes
    assert b"".join(body) == BIG
    body.close()
    assert seen[0][0] == "200 OK"
    # A local file without a server's file_wrapper streams the same way.
    local = serve_wsgi(manager.node("disk:docs/a.txt"), {"REQUEST_METHOD": "GET"}, start_response)
    assert list(local) == [b"Hello World"]
    assert manager.node("disk:docs/a.txt").serve({}, start_response, download=True) is not None
    assert seen[-1][1]["Content-Disposition"].startswith('attachment; filename="a.txt"')


def test_precondition_rules_beyond_get() -> None:
    etag, when = '"v1"', 1_000_000
    later, earlier = http_date(when + 10), http_date(when - 10)
    assert precondition_status({"HTTP_IF_NONE_MATCH": "W/" + etag}, "PUT", etag, when) == 412
    assert precondition_status({"HTTP_IF_NONE_MATCH": "*"}, "GET", etag, when) == 304
    assert precondition_status({"HTTP_IF_NONE_MATCH": "*"}, "GET", None, when) is None
    assert precondition_status({"HTTP_IF_MATCH": "*"}, "GET", None, when) == 412
    assert precondition_status({"HTTP_IF_MATCH": "*"}, "GET", etag, when) is None
    assert precondition_status({"HTTP_IF_MATCH": "W/" + etag}, "GET", "W/" + etag, when) == 412
    assert precondition_status({"HTTP_IF_UNMODIFIED_SINCE": earlier}, "GET", etag, when) == 412
    assert precondition_status({"HTTP_IF_UNMODIFIED_SINCE": later}, "GET", etag, when) is None
    assert precondition_status({"HTTP_IF_UNMODIFIED_SINCE": later}, "GET", etag, None) == 412
    assert precondition_status({"HTTP_IF_MODIFIED_SINCE": later}, "PUT", etag, when) is None
    assert precondition_status({"HTTP_IF_MODIFIED_SINCE": later}, "GET", etag, None) is None
    assert parse_etags('"a", W/"b", bad, "c') == ['"a"', 'W/"b"']


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),
        ("Sun Nov  6 08:49:37 1994 GMT", 784111777),
        ("not a date", None),
        ("", None),
        (None, None),
        ("Sun, 06 Nov 99999999999 08:49:37", None),  # past what the platform's time holds
    ],
)
def test_http_dates(value: str | None, expected: int | None) -> None:
    assert parse_http_date(value) == expected
    if expected is not None:
        assert http_date(expected) == "Sun, 06 Nov 1994 08:49:37 GMT"
