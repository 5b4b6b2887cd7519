"""Pytest plugin: real protocol servers for the storage tests, one of each per session.

Loaded with ``-p tests.support.servers`` (addopts in pyproject.toml), so every test module
can use the fixtures without a conftest.py import:

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

import functools
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support.http_range import JoiningHTTPServer, RangeRequestHandler, parse_range
from tests.support.server_process import (
    HOST,
    check_stopped,
    environment,
    fail_unless,
    free_port,
    server_process,
    wait_until_answers,
)

# test_servers.py checks the Range parser under its old name.
_parse_range = parse_range

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_DEFAULT_BIN = REPO_ROOT / ".cache" / "node" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_NPM_COMMAND = "npm install --no-audit --no-fund --prefix .cache/node azurite@3.35.0"
# Azurite's well-known development account (public, documented by Microsoft).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


# --------------------------------------------------------------------------- results


class Request(NamedTuple):
    """One request a server answered, from its own log."""

    method: str
    path: str  # with the query string; Azurite's log gives the whole URL's path
    status: int | None  # None where the log does not say (Azurite)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# http.server/werkzeug access lines: "GET /bucket/key?x=1 HTTP/1.1" 200 -
_ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')
# Azurite's --debug log: "RequestMethod=GET RequestURL=http://127.0.0.1/account/container/blob"
_AZURITE_LINE = re.compile(r"RequestMethod=([A-Z]+) RequestURL=https?://[^/\s]+(\S*)")


def _read_requests(log_path: Path | None, pattern: re.Pattern[str]) -> list[Request]:
    if log_path is None:
        return []
    text = _ANSI.sub("", log_path.read_text(errors="replace"))
    return [
        Request(m[1], m[2], int(m[3]) if m.re.groups >= 3 else None) for m in pattern.finditer(text)
    ]


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    key: str = "testing"
    secret: str = "testing"
    log_path: Path | None = None  # moto's request log (one line per request)

    def requests(self) -> list[Request]:
        """Every request the server has answered so far (each is logged before its answer)."""
        return _read_requests(self.log_path, _ACCESS_LINE)

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
    log_path: Path | None = None  # the emulator's log: one access line per request

    def requests(self) -> list[Request]:
        return _read_requests(self.log_path, _ACCESS_LINE)

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
    log_path: Path | None = None  # Azurite's --debug log

    def requests(self) -> list[Request]:
        return _read_requests(self.log_path, _AZURITE_LINE)

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


# --------------------------------------------------------------------------- S3 (moto)

_WERKZEUG_RUNNING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")


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
        environment(isolated),
        server_process(
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
            "'-p tests.support.environment' (pyproject addopts does it) so it is set before "
            "gcsfs loads"
        )


@contextmanager
def running_gcs(workdir: Path) -> Iterator[GCSServer]:
    """gcp-storage-emulator (in memory) in a child process; gcsfs made to give up on HTTP 501
    at once for the block (the emulator has no moveTo and gcsfs would retry it ~33 s)."""
    check_gcs_environment()
    import gcsfs.retry

    port = free_port()  # the emulator cannot bind port 0 and report it back
    # Not --quiet: its log has one access line per request (GCSServer.requests()).
    command = [
        sys.executable, "-m", "gcp_storage_emulator", "start",
        "--host", HOST, "--port", str(port), "--in-memory",
    ]  # fmt: skip
    removed = {code for code in (501, "501") if code in gcsfs.retry.errs}
    gcsfs.retry.errs.difference_update(removed)
    try:
        with server_process("GCS emulator", command, workdir, port=port) as (_port, log_path):
            yield GCSServer(endpoint_url=f"http://{HOST}:{port}", log_path=log_path)
    finally:
        gcsfs.retry.errs.update(removed)


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GCSServer]:
    fail_unless(check_gcs_environment)
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
        "--debug", str(workdir / "azurite-requests.log"),  # AzureServer.requests() reads it
    ]  # fmt: skip
    with server_process(
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
            log_path=workdir / "azurite-requests.log",
        )


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureServer]:
    fail_unless(azurite_bin)
    with running_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


# --------------------------------------------------------------------------- HTTP


@contextmanager
def running_http(root: Path) -> Iterator[HTTPFileServer]:
    """A static file server on ``root`` (directory listings, Range), in a thread: it streams
    from disk in 64 KiB chunks, so unlike the emulators it adds nothing to this process's RSS."""
    handler = functools.partial(RangeRequestHandler, directory=str(root))
    server = JoiningHTTPServer((HOST, 0), handler)
    port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="http-file-server", daemon=True)
    thread.start()
    try:
        base_url = f"http://{HOST}:{port}/"
        wait_until_answers(base_url)
        yield HTTPFileServer(base_url=base_url, root=root)
    finally:
        server.shutdown()
        server.server_close()
    check_stopped("HTTP file server", port, thread)


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPFileServer]:
    with running_http(tmp_path_factory.mktemp("http-root")) as server:
        yield server
