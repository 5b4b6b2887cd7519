"""End to end: the file view behind real servers on 127.0.0.1, a WSGI one (gunicorn, sync
workers) and an ASGI one (uvicorn), downloaded through an HTTP client with ranges.

The servers run tests/serving_site in child processes (tests/support/serving_servers.py); each is
stopped at the end of the module, and a process or port left behind fails the teardown.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.test import override_settings

from genro_storage_django.serving.signing import make_query
from tests import serving_site
from tests.support.serving_servers import (
    SiteServer,
    make_site_root,
    parse_byteranges,
    running_gunicorn,
    running_uvicorn,
    sha256_of,
    write_random_file,
)

SIZE = 3 * 1024 * 1024 + 12345
SPARSE_SIZE = 512 * 1024 * 1024


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_site_root(tmp_path_factory.mktemp("site"))
    write_random_file(root / "public" / "data.bin", SIZE)
    (root / "public" / "docs").mkdir()
    (root / "public" / "docs" / "Résumé été.txt").write_text("héllo wörld\n")
    (root / "signed" / "secret.txt").write_bytes(b"secret content")
    (root / "outside.txt").write_bytes(b"outside the mounts")
    with open(root / "public" / "sparse.bin", "wb") as sparse:
        sparse.truncate(SPARSE_SIZE)  # no disk used: more than socket buffers ever hold
    return root


@pytest.fixture(scope="module")
def content(site_root: Path) -> bytes:
    return (site_root / "public" / "data.bin").read_bytes()


@pytest.fixture(scope="module", params=["gunicorn", "uvicorn"])
def server(
    request: pytest.FixtureRequest, site_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SiteServer]:
    workdir = tmp_path_factory.mktemp(request.param)
    runner = running_gunicorn if request.param == "gunicorn" else running_uvicorn
    with runner(site_root, workdir) as running:
        yield running


def fetch(
    server: SiteServer, path: str, method: str = "GET", **headers: str
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = server.connection()
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_whole_file(server: SiteServer, content: bytes) -> None:
    response, body = fetch(server, "/files/public/data.bin")
    assert response.status == 200
    assert body == content
    assert response.getheader("Content-Length") == str(SIZE)
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert response.getheader("Accept-Ranges") == "bytes"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("ETag")
    assert response.getheader("Last-Modified")


def test_ranges(server: SiteServer, content: bytes) -> None:
    response, body = fetch(server, "/files/public/data.bin", Range="bytes=1000-1999")
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes 1000-1999/{SIZE}"
    assert body == content[1000:2000]
    response, body = fetch(server, "/files/public/data.bin", Range="bytes=-70000")
    assert response.status == 206 and body == content[-70000:]
    response, body = fetch(server, "/files/public/data.bin", Range="bytes=2000000-")
    assert response.status == 206 and body == content[2000000:]
    response, body = fetch(server, "/files/public/data.bin", Range="bytes=0-9,1048570-1048600,-3")
    assert response.status == 206
    assert int(response.getheader("Content-Length") or 0) == len(body)
    parts = parse_byteranges(response.getheader("Content-Type") or "", body)
    assert [part for _, part in parts] == [content[0:10], content[1048570:1048601], content[-3:]]
    response, _ = fetch(server, "/files/public/data.bin", Range=f"bytes={SIZE}-")
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{SIZE}"
    response, body = fetch(server, "/files/public/data.bin", Range="bytes=oops")
    assert response.status == 200 and body == content


def test_resume_a_download_with_if_range(server: SiteServer, content: bytes) -> None:
    head, _ = fetch(server, "/files/public/data.bin", method="HEAD")
    etag = head.getheader("ETag") or ""
    received = b""
    while len(received) < SIZE:  # in 1 MB pieces, as a download manager resumes
        end = min(len(received) + 1_000_000, SIZE) - 1
        headers = {"Range": f"bytes={len(received)}-{end}", "If-Range": etag}
        response, body = fetch(server, "/files/public/data.bin", **headers)
        assert response.status == 206
        received += body
    assert received == content
    response, body = fetch(
        server, "/files/public/data.bin", Range="bytes=0-9", **{"If-Range": '"stale"'}
    )
    assert response.status == 200 and body == content


def test_head_and_conditional(server: SiteServer) -> None:
    response, body = fetch(server, "/files/public/data.bin", method="HEAD")
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Length") == str(SIZE)
    etag = response.getheader("ETag") or ""
    response, body = fetch(server, "/files/public/data.bin", **{"If-None-Match": etag})
    assert response.status == 304 and body == b""
    response, _ = fetch(server, "/files/public/data.bin", **{"If-Match": '"other"'})
    assert response.status == 412


def test_unicode_name_and_disposition(server: SiteServer) -> None:
    response, body = fetch(
        server, "/files/public/docs/R%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.txt?download=1"
    )
    assert response.status == 200
    assert body == "héllo wörld\n".encode()
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert response.getheader("Content-Disposition") == (
        'attachment; filename="Resume ete.txt"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.txt"
    )


def test_signed_urls(server: SiteServer) -> None:
    with override_settings(SECRET_KEY=serving_site.SECRET_KEY):
        good = "/files/signed/secret.txt?" + make_query("signed", "secret.txt", expires_in=60)
        expired = "/files/signed/secret.txt?" + make_query(
            "signed", "secret.txt", expires_in=60, now=time.time() - 600
        )
    response, body = fetch(server, good)
    assert response.status == 200 and body == b"secret content"
    assert fetch(server, good.replace("sig=", "sig=x"))[0].status == 403
    assert fetch(server, expired)[0].status == 403
    assert fetch(server, "/files/signed/secret.txt")[0].status == 403


@pytest.mark.parametrize(
    "path",
    [
        "/files/public/../outside.txt",
        "/files/public/%2e%2e/outside.txt",
        "/files/public/..%2Foutside.txt",
        "/files/public/%2Fetc%2Fpasswd",
        "/files/public/a%00b",
        "/files/nomount/data.bin",
        "/files/public/docs",
    ],
)
def test_unsafe_paths(server: SiteServer, path: str) -> None:
    response, body = fetch(server, path)
    assert response.status in (400, 404)  # 400: the server refused the request line itself
    assert b"outside the mounts" not in body


@pytest.mark.parametrize("ranged", [False, True])
def test_an_abandoned_download_releases_the_file(
    server: SiteServer, site_root: Path, ranged: bool
) -> None:
    path = str(site_root / "public" / "sparse.bin")

    def holders() -> list[int]:
        return [
            process.pid
            for process in server.processes()
            if any(opened.path == path for opened in process.open_files())
        ]

    connection = server.connection()
    headers = {"Range": "bytes=10-,0-0"} if ranged else {}
    connection.request("GET", "/files/public/sparse.bin", headers=headers)
    response = connection.getresponse()
    assert response.status == (206 if ranged else 200)
    response.read(1 << 20)
    assert holders(), "the server should be sending the file"
    response.close()
    connection.close()
    deadline = time.monotonic() + 10
    while holders() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not holders()


# -- bounded memory under ASGI ------------------------------------------------------------------

BIG_SIZE = 200 * 1024 * 1024
CLIENTS = 10
RSS_LIMIT = 48 * 1024 * 1024


@pytest.mark.slow
def test_asgi_memory_stays_bounded(tmp_path: Path) -> None:
    """10 clients download a 200 MB file at once from uvicorn; the server's RSS must not grow
    by more than a few chunks per download (it would grow by the file size if it buffered)."""
    root = make_site_root(tmp_path / "site")
    write_random_file(root / "public" / "big.bin", BIG_SIZE, seed=7)
    digest = sha256_of(root / "public" / "big.bin")
    with running_uvicorn(root, tmp_path) as server:
        (process,) = server.processes()
        fetch(server, "/files/public/data-warmup-404")  # import everything once
        fetch(server, "/files/public/big.bin", Range="bytes=0-999")
        baseline = process.memory_info().rss
        peak = baseline
        results: list[tuple[int, str]] = []
        errors: list[BaseException] = []
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    peak = max(peak, process.memory_info().rss)
                except psutil.NoSuchProcess:
                    return
                time.sleep(0.01)

        def download() -> None:
            try:
                connection = server.connection(timeout=120)
                connection.request("GET", "/files/public/big.bin")
                response = connection.getresponse()
                assert response.status == 200
                hasher = hashlib.sha256()
                buffer = bytearray(1 << 20)
                view = memoryview(buffer)
                total = 0
                while count := response.readinto(buffer):
                    hasher.update(view[:count])
                    total += count
                connection.close()
                results.append((total, hasher.hexdigest()))
            except BaseException as exc:
                errors.append(exc)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        clients = [threading.Thread(target=download) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=300)
        done.set()
        sampler.join()
    assert not errors, errors
    assert results == [(BIG_SIZE, digest)] * CLIENTS
    growth = peak - baseline
    assert growth < RSS_LIMIT, f"server RSS grew by {growth / 2**20:.1f} MB"
