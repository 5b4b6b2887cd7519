"""Real WSGI and ASGI servers running :mod:`tests.serving_site` as child processes, for the
end-to-end tests and benchmarks/bench_serving.py.

``running_gunicorn(root, workdir)`` and ``running_uvicorn(root, workdir)`` start the server
on a free 127.0.0.1 port serving the directory ``root`` (its ``public/`` and ``signed/``
mounts), wait until it answers, yield a :class:`SiteServer`, and stop it at the end of the
block; a process or port left behind raises (see tests/support/server_process.py).
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.support.server_process import HOST, environment, free_port, server_process

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SiteServer:
    port: int
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def processes(self) -> list[psutil.Process]:
        """The server's processes (master and workers): children of this process with the
        server's port on their command line."""
        found: dict[int, psutil.Process] = {}
        for child in psutil.Process().children(recursive=True):
            try:
                arguments = child.cmdline()
            except psutil.NoSuchProcess:
                continue
            if str(self.port) in arguments or f"{HOST}:{self.port}" in arguments:
                found[child.pid] = child
        return list(found.values())


def _site_environment(
    root: Path, extra: dict[str, str | None] | None = None
) -> dict[str, str | None]:
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {
        "PYTHONPATH": pythonpath,
        "DJANGO_SETTINGS_MODULE": "tests.serving_site",
        "GSD_SERVING_ROOT": str(root),
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


@functools.cache
def _gunicorn_has_control_socket() -> bool:
    # gunicorn 24+ opens a control socket under ~/.gunicorn by default: never in a test.
    text = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return "--no-control-socket" in text


@contextmanager
def running_gunicorn(
    root: Path, workdir: Path, *, workers: int = 2, whitenoise: bool = False
) -> Iterator[SiteServer]:
    """gunicorn with sync workers (``wsgi.file_wrapper``: sendfile for FileResponse)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    if _gunicorn_has_control_socket():
        command.append("--no-control-socket")
    command.append("tests.serving_site.app:wsgi_application()")
    extra: dict[str, str | None] = {"GSD_WHITENOISE": "1" if whitenoise else None}
    with ExitStack() as stack:
        with environment(_site_environment(root, extra)):
            found_port, log = stack.enter_context(
                server_process("gunicorn", command, workdir, port=port)
            )
        yield SiteServer(found_port, log)


@contextmanager
def running_uvicorn(root: Path, workdir: Path) -> Iterator[SiteServer]:
    """uvicorn (one process, asyncio): Django's ASGI handler, the view's async bodies."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "tests.serving_site.app:asgi_application",
        "--host",
        HOST,
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "5",
    ]
    with ExitStack() as stack:
        with environment(_site_environment(root)):
            found_port, log = stack.enter_context(
                server_process("uvicorn", command, workdir, port=port)
            )
        yield SiteServer(found_port, log)


def make_site_root(root: Path) -> Path:
    """The directories the serving site's mounts need, under ``root``."""
    for name in ("public", "signed"):
        (root / name).mkdir(parents=True, exist_ok=True)
    return root


def write_random_file(path: Path, size: int, *, seed: int = 0) -> bytes | None:
    """A file of ``size`` pseudo-random bytes, written in 1 MiB blocks; its content is
    returned when it is small enough (<= 8 MiB) to compare whole."""
    import random

    generator = random.Random(seed)
    block = generator.randbytes(1 << 20)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as target:
        remaining = size
        index = 0
        while remaining > 0:
            # Vary each block cheaply so ranges of different blocks differ.
            piece = (index.to_bytes(8, "big") + block)[: min(len(block), remaining)]
            target.write(piece)
            remaining -= len(piece)
            index += 1
    return path.read_bytes() if size <= 8 << 20 else None


def parse_byteranges(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """(Content-Range, part body) of each part of a multipart/byteranges body."""
    match = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", content_type)
    assert match, content_type
    delimiter = b"--" + match.group(1).encode()
    assert body.endswith(delimiter + b"--\r\n")
    parts = []
    for chunk in body.split(delimiter)[1:-1]:
        assert chunk.startswith(b"\r\n")
        head, _, part = chunk[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        assert part.endswith(b"\r\n")
        parts.append((headers["Content-Range"], part[:-2]))
    return parts


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
