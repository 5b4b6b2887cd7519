"""S3 checksum options against a server that refuses botocore's new default checksums.

Since boto3 1.36, botocore adds a CRC to every upload and asks for one on reads
("when_supported"); S3-compatible servers that predate those headers answer 400. The
mount keys ``request_checksum_calculation`` / ``response_checksum_validation`` set
botocore's options of the same names. The strict server here is moto behind a small
proxy that refuses any request carrying those headers, as such servers do.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from genro_storage_django.core import StorageConfigError, StorageError, StorageManager
from tests._server_process import HOST
from tests.cloud import cloud_config

pytestmark = pytest.mark.cloud

_REFUSED = (
    b"<Error><Code>InvalidArgument</Code><Message>x-amz-checksum-* unsupported</Message></Error>"
)
_HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive"}


def _strict_handler(upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Strict(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            names = {name.lower() for name in self.headers}
            if any(name.startswith(("x-amz-checksum-", "x-amz-sdk-checksum")) for name in names):
                self.send_response(400)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(_REFUSED)))
                self.end_headers()
                self.wfile.write(_REFUSED)
                return
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                # A HEAD's Content-Length is the object's size: kept as the server sent it.
                if name.lower() not in _HOP_BY_HOP and (
                    self.command == "HEAD" or name.lower() != "content-length"
                ):
                    self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = relay

    return Strict


@pytest.fixture
def strict_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    upstream = request.getfixturevalue("s3_server").endpoint_url
    server = ThreadingHTTPServer((HOST, 0), _strict_handler(upstream))
    thread = threading.Thread(target=server.serve_forever, name="strict-s3", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_default_checksums_are_refused(
    request: pytest.FixtureRequest, strict_endpoint: str
) -> None:
    config = cloud_config("s3", request, endpoint_url=strict_endpoint, retries=0)
    node = StorageManager({"m": config}).node("m:f.txt")
    with pytest.raises(StorageError):
        node.write_bytes(b"refused")


def test_when_required_works_with_such_a_server(
    request: pytest.FixtureRequest, strict_endpoint: str
) -> None:
    config = cloud_config(
        "s3",
        request,
        endpoint_url=strict_endpoint,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    root = StorageManager({"m": config}).node("m:")
    (root / "small.txt").write_bytes(b"accepted")
    with (root / "streamed.bin").open("wb") as stream:
        stream.write(b"x" * 100_000)
    assert (root / "small.txt").read_bytes() == b"accepted"
    with (root / "streamed.bin").open("rb") as stream:
        assert stream.read() == b"x" * 100_000
    assert (root / "small.txt").is_file()  # the synchronous client's HEAD
    assert [child.name for child in root.children()] == ["small.txt", "streamed.bin"]
    assert (root / "small.txt").delete()


def test_checksum_values_are_validated(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, request_checksum_calculation="never")
    with pytest.raises(StorageConfigError, match="request_checksum_calculation"):
        StorageManager({"m": config})
