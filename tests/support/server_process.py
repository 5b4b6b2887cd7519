"""Process and network helpers of tests/support/servers.py: free ports, readiness polling, child
processes that die with the test run, and the leak checks of every teardown."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 60.0


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    # For servers that cannot bind port 0 and report it back. Tiny race, fine on a test box.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((HOST, port)) == 0


# Never send 127.0.0.1 requests through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_until_answers(
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


def check_stopped(what: str, port: int, thread: threading.Thread | None = None) -> None:
    """Teardown check: raise if the server's thread or listening port survived."""
    if thread is not None:
        thread.join(timeout=10)
        if thread.is_alive():
            raise RuntimeError(f"{what}: server thread {thread.name!r} still alive after stop")
    if port_open(port):
        raise RuntimeError(f"{what}: port {port} still accepts connections after stop")


# --------------------------------------------------------------------------- processes
# Every emulator runs in its own process, never in a thread of the test process: an
# in-process moto keeps each object in this process's memory and copies all of it for every
# ranged GET (measured: +120 MB RSS to read a 100 MB object), so the RSS bounds the cloud
# tests assert would measure the server, not the client. Processes also keep the GIL free
# for the client in the benchmarks.


def die_with_parent() -> Callable[[], None]:
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
def server_process(
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
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - no other threads fork here
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
            wait_until_answers(
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
    check_stopped(what, port)


def fail_unless(check: Callable[[], object]) -> None:
    """A missing prerequisite fails the test with its hint, without a traceback."""
    try:
        check()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
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
