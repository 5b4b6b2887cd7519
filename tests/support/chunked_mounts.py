"""What the tests of the ``sqlite`` and ``database`` mounts share: real child processes.

A child gets a mount config ``m`` and, for a ``database`` mount, the Django
``DATABASES`` to set up first (the same database the test reads). It writes part of a
file and waits to be killed, writes files beside other writers, or streams a large
file through the mount and reports how much its memory grew.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import threading
from typing import Any

from genro_storage_django.core import StorageNode
from genro_storage_django.core.backends.chunked import CHUNK_BYTES

from .stopped_child import StoppedChild

__all__ = ["ChildWriter", "concurrent_processes", "concurrent_threads", "memory_growth"]

_SETUP = textwrap.dedent(
    """
    import hashlib, json, sys, time
    spec = json.loads(sys.argv[1])
    if spec["databases"]:
        import django
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["genro_storage_django"],
            DATABASES=spec["databases"],
            USE_TZ=True,
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        )
        django.setup()
    from genro_storage_django.core import StorageManager
    from genro_storage_django.core.backends.chunked import CHUNK_BYTES
    manager = StorageManager({"m": spec["mount"]})
    """
)

_PARTIAL_WRITE = _SETUP + textwrap.dedent(
    """
    stream = manager.node("m:" + spec["name"]).open("wb")
    stream.write(b"partial!" * (spec["chunks"] * CHUNK_BYTES // 8) + b"+")
    print("writing", flush=True)
    time.sleep(600)
    """
)

_WRITES = _SETUP + textwrap.dedent(
    """
    me = spec["name"]
    for index in range(spec["count"]):
        manager.node(f"m:{me}/f{index}.txt").write_bytes(f"{me}-{index}".encode())
        manager.node("m:shared.bin").write_bytes(me.encode() * 1000)
    """
)

_LARGE = _SETUP + textwrap.dedent(
    """
    def kib(field):
        # VmHWM, the peak RSS, is this process's own; ru_maxrss would carry the peak of
        # the test process this child was forked from.
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field))
    node = manager.node("m:large.bin")
    node.write_bytes(b"warm" * 700_000)  # two chunks: both code paths imported and run
    node.read_bytes()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current RSS
    baseline = kib("VmRSS:")
    piece = bytes(range(256)) * (CHUNK_BYTES // 256)
    written = hashlib.md5()
    with node.open("wb") as stream:
        for _ in range(spec["megabytes"]):
            stream.write(piece)
            written.update(piece)
    read = hashlib.md5()
    with node.open("rb") as stream:
        while data := stream.read(CHUNK_BYTES):
            read.update(data)
    assert read.digest() == written.digest()
    print((kib("VmHWM:") - baseline) * 1024)
    """
)


def _spec(mount: dict[str, Any], databases: dict[str, Any] | None, **more: Any) -> str:
    return json.dumps({"mount": mount, "databases": databases, **more})


class ChildWriter(StoppedChild):
    """A real process stopped half-way through a write of ``chunks`` full chunks and more."""

    def __init__(
        self,
        mount: dict[str, Any],
        name: str,
        *,
        chunks: int,
        databases: dict[str, Any] | None = None,
    ) -> None:
        spec = _spec(mount, databases, name=name, chunks=chunks)
        super().__init__([sys.executable, "-c", _PARTIAL_WRITE, spec])


def _check_writes(root: StorageNode, names: list[str], count: int) -> None:
    for name in names:
        assert sorted(n.path for n in (root / name).iterdir()) == sorted(
            f"{name}/f{index}.txt" for index in range(count)
        )
        for index in range(count):
            assert (root / name / f"f{index}.txt").read_bytes() == f"{name}-{index}".encode()
    shared = (root / "shared.bin").read_bytes()
    # One writer's whole content: never a mix of two.
    assert shared in {name.encode() * 1000 for name in names}


def concurrent_threads(root: StorageNode, writers: int = 6, count: int = 20) -> None:
    names = [f"t{number}" for number in range(writers)]
    large = bytes(range(256)) * (CHUNK_BYTES // 256 + 1)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for index in range(count):
                (root / name / f"f{index}.txt").write_bytes(f"{name}-{index}".encode())
                (root / "shared.bin").write_bytes(name.encode() * 1000)
            (root / name / "large.bin").write_bytes(large)  # staged: more than one chunk
            (root / name / "large.bin").delete()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _check_writes(root, names, count)
    digest = hashlib.md5(large).hexdigest()
    (root / "check.bin").write_bytes(large)
    assert (root / "check.bin").md5hash() == digest


def concurrent_processes(
    root: StorageNode,
    mount: dict[str, Any],
    databases: dict[str, Any] | None = None,
    writers: int = 4,
    count: int = 20,
) -> None:
    names = [f"p{number}" for number in range(writers)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITES, _spec(mount, databases, name=name, count=count)]
        )
        for name in names
    ]
    assert [child.wait(timeout=120) for child in children] == [0] * writers
    _check_writes(root, names, count)


def memory_growth(
    mount: dict[str, Any], megabytes: int, databases: dict[str, Any] | None = None
) -> int:
    """Bytes by which a child's peak RSS grew while ``megabytes`` went in and out."""
    done = subprocess.run(
        [sys.executable, "-c", _LARGE, _spec(mount, databases, megabytes=megabytes)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return int(done.stdout.strip())
