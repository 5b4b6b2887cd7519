"""Pytest plugin: real protocol servers for the storage tests, one of each per session.

Loaded with ``-p tests.servers`` (addopts in pyproject.toml), so every test module can use the
fixtures without a conftest.py import:

- ``s3_server``      moto's S3 server, a child process           -> :class:`S3Server`
- ``gcs_server``     gcp-storage-emulator in memory, a child     -> :class:`GCSServer`
- ``azurite_server`` Azurite blob service, a node child process  -> :class:`AzureServer`
- ``http_server``    stdlib HTTP server with Range, a thread     -> :class:`HTTPFileServer`

Each binds 127.0.0.1 on a free port, is ready (answers HTTP) when the fixture returns, and is
stopped at session end; the teardown raises if its thread, process or port is still alive, so
a leak shows up as a test error instead of a stray process. The fixtures are thin wrappers of
the context managers ``running_s3``, ``running_gcs``, ``running_azurite`` and ``running_http``,
which the benchmarks use outside pytest. The heavy libraries are imported inside them: loading
this plugin costs nothing to test runs that use no server.
See EMULATORS.md in the shared notes for the versions and quirks these fixtures work around.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import pytest

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
AZURITE_DEFAULT_BIN = REPO_ROOT / ".cache" / "node" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_NPM_COMMAND = "npm install --no-audit --no-fund --prefix .cache/node azurite@3.35.0"
# Azurite's well-known development account (public, documented by Microsoft).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
START_TIMEOUT = 60.0


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    key: str = "testing"
    secret: str = "testing"
    log_path: Path | None = None  # moto's request log (one line per request)

    def requests(self) -> list[tuple[str, str, int]]:
        """Every request the server has answered so far: (method, path and query, status)."""
        if self.log_path is None:
            return []
        text = self.log_path.read_text(errors="replace")
        return [(m[1], m[2], int(m[3])) for m in _WERKZEUG_REQUEST.finditer(text)]

    @property
    def storage_options(self) -> dict[str, Any]:
        """Keyword arguments for ``s3fs.S3FileSystem`` (no region: see EMULATORS.md)."""
        return {
            "key": self.key,
            "secret": self.secret,
            "client_kwargs": {"endpoint_url": self.endpoint_url},
        }


@dataclass(frozen=True)
class GCSServer:
    endpoint_url: str
    project: str = "test"

    @property
    def storage_options(self) -> dict[str, Any]:
        """Keyword arguments for ``gcsfs.GCSFileSystem``."""
        return {"token": "anon", "project": self.project, "endpoint_url": self.endpoint_url}


@dataclass(frozen=True)
class AzureServer:
    endpoint_url: str  # the blob endpoint, account included
    connection_string: str
    account_name: str = AZURE_ACCOUNT
    account_key: str = AZURE_KEY

    @property
    def storage_options(self) -> dict[str, Any]:
        """Keyword arguments for ``adlfs.AzureBlobFileSystem``."""
        return {"connection_string": self.connection_string}


@dataclass(frozen=True)
class HTTPFileServer:
    base_url: str  # ends with "/"
    root: Path  # the served directory: write files here, read them over HTTP

    def url(self, relative: str) -> str:
        return self.base_url + relative.lstrip("/")


# --------------------------------------------------------------------------- helpers


def _free_port() -> int:
    # For servers that cannot bind port 0 and report it back. Tiny race, fine on a test box.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((HOST, port)) == 0


# Never send 127.0.0.1 requests through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _wait_until_answers(
    url: str, alive: Callable[[], bool] = lambda: True, timeout: float = START_TIMEOUT
) -> None:
    """Poll ``url`` until the server answers anything over HTTP (an error status counts)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with _OPENER.open(url, timeout=2.0) as response:
                response.read()
            return
        except urllib.error.HTTPError as exc:  # it answered, just not 2xx
            exc.close()
            return
        except OSError:
            if not alive():
                raise RuntimeError(f"server died before answering {url}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from {url} after {timeout:.0f} s") from None
            time.sleep(0.05)


def _check_stopped(what: str, port: int, thread: threading.Thread | None = None) -> None:
    """Teardown check: raise if the server's thread or listening port survived."""
    if thread is not None:
        thread.join(timeout=10)
        if thread.is_alive():
            raise RuntimeError(f"{what}: server thread {thread.name!r} still alive after stop")
    if _port_open(port):
        raise RuntimeError(f"{what}: port {port} still accepts connections after stop")


# --------------------------------------------------------------------------- processes
# Every emulator runs in its own process, never in a thread of the test process: an
# in-process moto keeps each object in this process's memory and copies all of it for every
# ranged GET (measured: +120 MB RSS to read a 100 MB object), so the RSS bounds the cloud
# tests assert would measure the server, not the client. Processes also keep the GIL free
# for the client in the benchmarks.


def _die_with_parent() -> Callable[[], None]:
    """preexec_fn: the kernel kills the child when its parent (pytest) dies, even by SIGKILL.

    libc is looked up here, in the parent: the child only makes one system call between fork
    and exec. PR_SET_PDEATHSIG fires when the forking *thread* exits: fixtures run in pytest's
    main thread, so that is the process lifetime.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


@contextmanager
def _server_process(
    what: str,
    command: list[str],
    workdir: Path,
    *,
    port: int | None = None,
    port_pattern: re.Pattern[str] | None = None,
    ready_path: str = "/",
) -> Iterator[tuple[int, Path]]:
    """Run ``command`` until the block ends; yield (port, log file).

    The port is given, or read from the log with ``port_pattern``. The server is ready when
    ``ready_path`` answers over HTTP. On exit the process group is terminated, and anything
    left of it, or a port still listening, raises: a leak is an error, not a stray process.
    """
    log_path = workdir / f"{what.split(maxsplit=1)[0].lower()}.log"
    # stdout to a file, not a pipe: Azurite dies of EPIPE if a pipe's reader goes away.
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,  # where it would put anything
            preexec_fn=_die_with_parent(),  # noqa: PLW1509 - no other threads fork here
            start_new_session=True,  # own process group: killed as a whole below
        )

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-2000:]

    try:
        deadline = time.monotonic() + START_TIMEOUT
        while port is None:
            assert port_pattern is not None
            match = port_pattern.search(log_path.read_text(errors="replace"))
            if match:
                port = int(match.group(1))
            elif process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_tail()}")
            elif time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not report its port:\n{log_tail()}")
            else:
                time.sleep(0.05)
        try:
            _wait_until_answers(
                f"http://{HOST}:{port}{ready_path}", alive=lambda: process.poll() is None
            )
        except RuntimeError:
            raise RuntimeError(f"{what} died while starting:\n{log_tail()}") from None
        yield port, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    try:  # anything left in its process group is a leak
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        pass
    else:
        os.killpg(process.pid, signal.SIGKILL)
        raise RuntimeError(f"{what} left processes in group {process.pid} (now killed)")
    _check_stopped(what, port)


def _fail_unless(check: Callable[[], object]) -> None:
    """A missing prerequisite fails the test with its hint, without a traceback."""
    try:
        check()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (str) or unset (None) environment variables for the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------- S3 (moto)

_WERKZEUG_RUNNING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
_WERKZEUG_REQUEST = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')


@contextmanager
def running_s3(workdir: Path) -> Iterator[S3Server]:
    """moto's S3 server in a child process, with botocore isolated from the developer's AWS
    setup for the block: fake keys, no profile, no config files, no EC2 metadata probe."""
    missing = str(workdir / "does-not-exist")
    isolated: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_SECURITY_TOKEN": None,
        "AWS_ENDPOINT_URL": None,
    }
    # Give the IP: moto listens on 0.0.0.0 by default. Werkzeug logs one line per request
    # to the log file: S3Server.requests() reads them (the tests count GETs with it).
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", "0"]
    with (
        _environment(isolated),
        _server_process(
            "moto S3 server",
            command,
            workdir,
            port_pattern=_WERKZEUG_RUNNING,
            ready_path="/moto-api/",
        ) as (port, log_path),
    ):
        yield S3Server(endpoint_url=f"http://{HOST}:{port}", log_path=log_path)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_s3(tmp_path_factory.mktemp("moto")) as server:
        yield server


# --------------------------------------------------------------------------- GCS


def check_gcs_environment() -> None:
    if os.environ.get("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT") != "false":
        raise RuntimeError(
            "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false is not set: run pytest with "
            "'-p tests._environment' (pyproject addopts does it) so it is set before gcsfs loads"
        )


@contextmanager
def running_gcs(workdir: Path) -> Iterator[GCSServer]:
    """gcp-storage-emulator (in memory) in a child process; gcsfs made to give up on HTTP 501
    at once for the block (the emulator has no moveTo and gcsfs would retry it ~33 s)."""
    check_gcs_environment()
    import gcsfs.retry

    port = _free_port()  # the emulator cannot bind port 0 and report it back
    command = [
        sys.executable, "-m", "gcp_storage_emulator", "start",
        "--host", HOST, "--port", str(port), "--in-memory", "--quiet",
    ]  # fmt: skip
    removed = {code for code in (501, "501") if code in gcsfs.retry.errs}
    gcsfs.retry.errs.difference_update(removed)
    try:
        with _server_process("GCS emulator", command, workdir, port=port):
            yield GCSServer(endpoint_url=f"http://{HOST}:{port}")
    finally:
        gcsfs.retry.errs.update(removed)


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GCSServer]:
    _fail_unless(check_gcs_environment)
    with running_gcs(tmp_path_factory.mktemp("gcs")) as server:
        yield server


# --------------------------------------------------------------------------- Azure (Azurite)


def azurite_bin() -> Path:
    configured = os.environ.get("AZURITE_BIN")
    path = Path(configured) if configured else AZURITE_DEFAULT_BIN
    if not os.access(path, os.X_OK):
        raise RuntimeError(
            f"Azurite not found at {path}. Run scripts/test once (it installs it), or from the "
            f"repository root: {AZURITE_NPM_COMMAND}"
        )
    return path


_AZURITE_LISTENS = re.compile(r"listens on http://127\.0\.0\.1:(\d+)")


@contextmanager
def running_azurite(workdir: Path) -> Iterator[AzureServer]:
    """Azurite's blob service (in memory) in a child process."""
    command = [
        str(azurite_bin()),
        "--blobHost", HOST,
        "--blobPort", "0",
        "--inMemoryPersistence",
        "--extentMemoryLimit", "1024",  # MB; the default is half the machine's RAM
        "--skipApiVersionCheck",  # newer azure-storage-blob than this Azurite knows
        "--loose",
        "--disableTelemetry",
    ]  # fmt: skip
    with _server_process(
        "Azurite",
        command,
        workdir,
        port_pattern=_AZURITE_LISTENS,
        ready_path=f"/{AZURE_ACCOUNT}?comp=list",
    ) as (port, _log):
        endpoint = f"http://{HOST}:{port}/{AZURE_ACCOUNT}"
        yield AzureServer(
            endpoint_url=endpoint,
            connection_string=(
                f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};"
                f"AccountKey={AZURE_KEY};BlobEndpoint={endpoint};"
            ),
        )


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureServer]:
    _fail_unless(azurite_bin)
    with running_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


# --------------------------------------------------------------------------- HTTP

_UNSATISFIABLE = (-1, -1)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as inclusive (first, last); None to ignore the header (RFC 9110
    allows ignoring malformed or multi-part ranges); _UNSATISFIABLE for a 416."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or not (match[1] or match[2]):
        return None
    if match[1]:
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        if last < first:
            return None
        if first >= size:
            return _UNSATISFIABLE
        return first, (min(last, size - 1) if match[2] else size - 1)
    suffix = int(match[2])  # "bytes=-N": the last N bytes
    if suffix == 0 or size == 0:
        return _UNSATISFIABLE
    return max(size - suffix, 0), size - 1


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus single ``Range: bytes=`` requests (206/416), as fsspec's
    HTTPFileSystem sends them for ``cat_file(start=, end=)`` and random-access reads.
    HTTP/1.0 (the default) closes each connection, so no handler thread outlives its request.
    """

    timeout = 30  # a client that connects and sends nothing cannot block the teardown
    _remaining: int | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one stderr line per request otherwise

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self) -> Any:
        self._remaining = None
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if header is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        span = _parse_range(header, size)
        if span is None:
            return super().send_head()
        if span == _UNSATISFIABLE:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        first, last = span
        source = open(path, "rb")  # noqa: SIM115 - closed by the caller, as in the base class
        source.seek(first)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        self._remaining = last - first + 1
        return source

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        if self._remaining is None:
            super().copyfile(source, outputfile)
            return
        while self._remaining > 0:
            chunk = source.read(min(self._remaining, 1 << 16))
            if not chunk:
                break
            outputfile.write(chunk)
            self._remaining -= len(chunk)


class _JoiningHTTPServer(ThreadingHTTPServer):
    # Non-daemon handler threads, joined by server_close(): nothing survives the session.
    daemon_threads = False
    block_on_close = True


@contextmanager
def running_http(root: Path) -> Iterator[HTTPFileServer]:
    """A static file server on ``root`` (directory listings, Range), in a thread: it streams
    from disk in 64 KiB chunks, so unlike the emulators it adds nothing to this process's RSS."""
    handler = functools.partial(RangeRequestHandler, directory=str(root))
    server = _JoiningHTTPServer((HOST, 0), handler)
    port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="http-file-server", daemon=True)
    thread.start()
    try:
        base_url = f"http://{HOST}:{port}/"
        _wait_until_answers(base_url)
        yield HTTPFileServer(base_url=base_url, root=root)
    finally:
        server.shutdown()
        server.server_close()
    _check_stopped("HTTP file server", port, thread)


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPFileServer]:
    with running_http(tmp_path_factory.mktemp("http-root")) as server:
        yield server
