"""The emulator fixtures of tests/support/servers.py work with the bare fsspec filesystems.

That the servers are gone after the session is checked by each fixture's teardown, which
raises (a test error) when a thread, process or port survives the stop.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import fsspec
import pytest

from tests.support.servers import AzureServer, GCSServer, HTTPFileServer, S3Server, _parse_range

pytestmark = pytest.mark.cloud

PAYLOAD = b"genro-storage-django " * 50 + bytes(range(256))


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _round_trip(fs: fsspec.AbstractFileSystem, bucket: str, tmp_path: Path) -> None:
    """mkdir bucket, put a local file, ls, cat, get it back, rm: the same on every backend."""
    source = tmp_path / "source.bin"
    source.write_bytes(PAYLOAD)
    fs.mkdir(bucket)
    fs.put(str(source), f"{bucket}/dir/source.bin")
    fs.pipe(f"{bucket}/dir/small.txt", b"hello")
    fs.invalidate_cache()

    assert sorted(fs.ls(f"{bucket}/dir", detail=False)) == [
        f"{bucket}/dir/small.txt",
        f"{bucket}/dir/source.bin",
    ]
    assert fs.info(f"{bucket}/dir/source.bin")["size"] == len(PAYLOAD)
    assert fs.cat(f"{bucket}/dir/small.txt") == b"hello"

    target = tmp_path / "target.bin"
    fs.get(f"{bucket}/dir/source.bin", str(target))
    assert target.read_bytes() == PAYLOAD

    fs.rm(f"{bucket}/dir", recursive=True)
    fs.invalidate_cache()
    assert not fs.exists(f"{bucket}/dir/source.bin")


def _port_from(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def _assert_loopback_only(url: str) -> None:
    host = url.split("://", 1)[1].split(":", 1)[0]
    assert host == "127.0.0.1"
    with socket.create_connection((host, _port_from(url)), timeout=2):
        pass


def test_s3_round_trip(s3_server: S3Server, tmp_path: Path) -> None:
    import s3fs

    _assert_loopback_only(s3_server.endpoint_url)
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in os.environ
    fs = s3fs.S3FileSystem(**s3_server.storage_options)
    bucket = _unique("bkt")
    _round_trip(fs, bucket, tmp_path)
    assert bucket in fs.ls("", detail=False)


def test_gcs_round_trip(gcs_server: GCSServer, tmp_path: Path) -> None:
    import gcsfs
    import gcsfs.retry

    _assert_loopback_only(gcs_server.endpoint_url)
    assert 501 not in gcsfs.retry.errs
    fs = gcsfs.GCSFileSystem(**gcs_server.storage_options)
    bucket = _unique("bkt")
    _round_trip(fs, bucket, tmp_path)
    fs.invalidate_cache()
    assert bucket in [name.rstrip("/") for name in fs.ls("", detail=False)]


def test_gcs_move_does_not_retry_501(gcs_server: GCSServer) -> None:
    """The emulator lacks moveTo: gcsfs must fall back to copy+delete at once, not after ~33 s."""
    import time

    import gcsfs

    fs = gcsfs.GCSFileSystem(**gcs_server.storage_options)
    bucket = _unique("mv")
    fs.mkdir(bucket)
    fs.pipe(f"{bucket}/a", b"x")
    started = time.monotonic()
    fs.mv(f"{bucket}/a", f"{bucket}/b")
    assert time.monotonic() - started < 5
    fs.invalidate_cache()
    assert fs.cat(f"{bucket}/b") == b"x"
    assert not fs.exists(f"{bucket}/a")


def test_azure_round_trip(azurite_server: AzureServer, tmp_path: Path) -> None:
    import adlfs

    _assert_loopback_only(azurite_server.endpoint_url)
    assert azurite_server.endpoint_url.endswith("/devstoreaccount1")
    fs = adlfs.AzureBlobFileSystem(**azurite_server.storage_options)
    container = _unique("ctr")  # Azure container names: 3-63 characters
    _round_trip(fs, container, tmp_path)
    assert container in [name.rstrip("/") for name in fs.ls("", detail=False)]


def test_http_get_head_and_range(http_server: HTTPFileServer) -> None:
    from fsspec.implementations.http import HTTPFileSystem

    _assert_loopback_only(http_server.base_url)
    (http_server.root / "sub").mkdir(exist_ok=True)
    (http_server.root / "sub" / "data.bin").write_bytes(PAYLOAD)
    url = http_server.url("sub/data.bin")
    fs = HTTPFileSystem()

    assert fs.cat_file(url) == PAYLOAD  # GET
    assert fs.info(url)["size"] == len(PAYLOAD)  # HEAD
    assert fs.cat_file(url, start=10, end=30) == PAYLOAD[10:30]  # Range
    assert fs.cat_file(url, start=-16) == PAYLOAD[-16:]  # suffix Range
    with fs.open(url, "rb", block_size=64) as handle:  # random access: Range per block
        handle.seek(len(PAYLOAD) - 100)
        assert handle.read(50) == PAYLOAD[-100:-50]
    assert not fs.exists(http_server.url("sub/missing.bin"))


def test_http_range_status_codes(http_server: HTTPFileServer) -> None:
    import urllib.request

    (http_server.root / "ten.txt").write_bytes(b"0123456789")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def fetch(range_header: str) -> tuple[int, bytes, str | None]:
        request = urllib.request.Request(
            http_server.url("ten.txt"), headers={"Range": range_header}
        )
        try:
            with opener.open(request, timeout=5) as response:
                return response.status, response.read(), response.headers["Content-Range"]
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read(), exc.headers["Content-Range"]

    assert fetch("bytes=2-4") == (206, b"234", "bytes 2-4/10")
    assert fetch("bytes=7-") == (206, b"789", "bytes 7-9/10")
    assert fetch("bytes=8-100") == (206, b"89", "bytes 8-9/10")
    assert fetch("bytes=-3") == (206, b"789", "bytes 7-9/10")
    assert fetch("bytes=10-") == (416, b"", "bytes */10")
    assert fetch("bytes=1-2,4-5") == (200, b"0123456789", None)  # multi-range: ignored


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-0", 5, (0, 0)),
        ("bytes=0-", 5, (0, 4)),
        ("bytes=-10", 5, (0, 4)),
        ("bytes=5-", 5, (-1, -1)),
        ("bytes=-0", 5, (-1, -1)),
        ("bytes=0-", 0, (-1, -1)),
        ("bytes=3-1", 5, None),
        ("bytes=-", 5, None),
        ("items=0-1", 5, None),
    ],
)
def test_parse_range(header: str, size: int, expected: tuple[int, int] | None) -> None:
    assert _parse_range(header, size) == expected
