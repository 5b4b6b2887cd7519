"""``cache`` mounts on real origins: S3 (moto, whose request log counts the downloads) and
the local disk; validation, eviction, write-through, one download for concurrent readers
in threads and in processes, and a fill killed by SIGKILL.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import StorageConfigError, StorageManager
from genro_storage_django.core.backends.cache import CacheBackend, CacheInfo, parse_size
from tests.support.cloud import cloud_config, server_of


def cache_of(manager: StorageManager, name: str) -> CacheBackend:
    backend = manager.get_backend(name)
    assert isinstance(backend, CacheBackend)
    return backend


def gets_of(request: pytest.FixtureRequest, config: dict[str, Any], path: str) -> int:
    """The GETs moto answered for ``path`` of the mount ``config``."""
    key = f"/{config['bucket']}/{config['prefix']}/{path}"
    return sum(
        1
        for seen in server_of("s3", request).requests()
        if seen.method == "GET" and seen.path.split("?")[0] == key
    )


@pytest.mark.cloud
def test_what_each_validation_sees_of_an_overwrite(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    origin = cloud_config("s3", request)
    caches = {
        validate: {"type": "cache", "origin": "origin", "validate": validate, "ttl": 30,
                   "path": str(tmp_path / validate)}
        for validate in ("etag", "ttl", "immutable")
    }  # fmt: skip
    manager = StorageManager({"origin": origin, **caches})
    manager.node("origin:doc.txt").write_bytes(b"version 1")
    for validate in caches:
        assert manager.node(f"{validate}:doc.txt").read_bytes() == b"version 1"
    before = manager.node("origin:doc.txt").stat()
    manager.node("origin:doc.txt").write_bytes(b"version 2")  # same size, same second
    assert manager.node("origin:doc.txt").size() == before.size
    assert manager.node("etag:doc.txt").read_bytes() == b"version 2"
    assert manager.node("ttl:doc.txt").read_bytes() == b"version 1"  # trusted for 30 s
    assert manager.node("immutable:doc.txt").read_bytes() == b"version 1"
    assert cache_of(manager, "etag").cache_info() == CacheInfo(0, 2, 18, 0, 9)
    # The ttl expires: the copy is checked, found stale and fetched again.
    manager.add_mount({**caches["ttl"], "name": "ttl", "ttl": 0.2})
    time.sleep(0.3)
    assert manager.node("ttl:doc.txt").read_bytes() == b"version 2"
    # Deleted at the origin: etag says so at once.
    manager.node("origin:doc.txt").delete()
    with pytest.raises(FileNotFoundError):
        manager.node("etag:doc.txt").read_bytes()


def test_a_ttl_copy_still_valid_is_trusted_again(tmp_path: Path) -> None:
    (tmp_path / "origin").mkdir()
    manager = StorageManager(
        {
            "origin": {"type": "local", "path": str(tmp_path / "origin")},
            "c": {"type": "cache", "origin": "origin", "path": str(tmp_path / "c"),
                  "validate": "ttl", "ttl": 0.1},
        }
    )  # fmt: skip
    manager.node("origin:a.txt").write_bytes(b"same")
    for _ in range(3):
        assert manager.node("c:a.txt").read_bytes() == b"same"
        time.sleep(0.15)
    info = cache_of(manager, "c").cache_info()
    assert (info.hits, info.misses) == (2, 1)


def test_least_recently_used_copies_are_evicted(tmp_path: Path) -> None:
    (tmp_path / "origin").mkdir()
    manager = StorageManager(
        {
            "origin": {"type": "local", "path": str(tmp_path / "origin")},
            "c": {"type": "cache", "origin": "origin", "path": str(tmp_path / "c"),
                  "max_size": "3 kB"},
        }
    )  # fmt: skip
    for name in "abcd":
        manager.node(f"origin:{name}.bin").write_bytes(name.encode() * 1000)
    for name in "abca":  # a, b, c filled, a used again: b is the least recently used
        manager.node(f"c:{name}.bin").read_bytes()
        time.sleep(0.01)
    assert manager.node("c:d.bin").read_bytes() == b"d" * 1000
    cached = sorted(p.name for p in (tmp_path / "c" / "data").iterdir())
    assert cached == ["a.bin", "c.bin", "d.bin"]
    assert cache_of(manager, "c").cache_info() == CacheInfo(1, 4, 4000, 1, 3000)
    manager.node("c:b.bin").read_bytes()  # a miss again, and c goes
    assert sorted(p.name for p in (tmp_path / "c" / "data").iterdir()) == [
        "a.bin", "b.bin", "d.bin"
    ]  # fmt: skip


def test_writes_and_deletes_go_through(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "origin": {"type": "memory"},
            "scratch": {"type": "memory"},
            "c": {"type": "cache", "origin": "origin", "store": "scratch",
                  "validate": "immutable"},
        }
    )  # fmt: skip
    node = manager.node("c:dir/a.txt")
    node.write_bytes(b"one")
    assert node.read_bytes() == b"one"
    node.write_bytes(b"two")  # never a stale hit after a write through the cache
    assert node.read_bytes() == b"two"
    assert manager.node("origin:dir/a.txt").read_bytes() == b"two"
    assert manager.node("scratch:c/data/dir/a.txt").read_bytes() == b"two"
    node.delete()
    assert not manager.node("scratch:c/data/dir/a.txt").exists()
    with pytest.raises(FileNotFoundError):
        node.read_bytes()
    manager.node("c:dir/b.txt").write_bytes(b"b")
    manager.node("c:dir/b.txt").read_bytes()
    manager.node("c:dir").delete(recursive=True)
    assert not manager.node("scratch:c/data/dir/b.txt").exists()
    assert cache_of(manager, "c").describe() == "cache (origin; validate=immutable)"


@pytest.mark.cloud
def test_threads_reading_a_cold_object_download_it_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    origin = cloud_config("s3", request)
    manager = StorageManager(
        {"origin": origin, "c": {"type": "cache", "origin": "origin", "path": str(tmp_path)}}
    )
    data = os.urandom(3 << 20)
    manager.node("origin:cold.bin").write_bytes(data)
    start = threading.Barrier(8)
    wrong: list[int] = []

    def reader(index: int) -> None:
        start.wait()
        for _ in range(20):
            if manager.node("c:cold.bin").read_bytes() != data:
                wrong.append(index)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert gets_of(request, origin, "cold.bin") == 1
    info = cache_of(manager, "c").cache_info()
    assert (info.misses, info.hits, info.origin_bytes) == (1, 159, len(data))


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from genro_storage_django.core import StorageManager

    mounts, go, digest = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    manager = StorageManager(mounts)
    import hashlib
    while not go.exists():
        time.sleep(0.005)
    for _ in range(50):
        assert hashlib.md5(manager.node("c:cold.bin").read_bytes()).hexdigest() == digest
    """
)


@pytest.mark.cloud
def test_processes_reading_a_cold_object_download_it_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    origin = cloud_config("s3", request)
    # ttl: the reads after the fill ask the origin nothing (etag would HEAD each one).
    cache = {"type": "cache", "origin": "origin", "path": str(tmp_path), "validate": "ttl"}
    mounts = {"origin": origin, "c": cache}
    data = os.urandom(4 << 20)
    StorageManager(mounts).node("origin:cold.bin").write_bytes(data)
    go = tmp_path / "go"
    command = [sys.executable, "-c", READER, json.dumps(mounts), str(go)]
    readers = [subprocess.Popen([*command, hashlib.md5(data).hexdigest()]) for _ in range(8)]
    time.sleep(1)  # all started and waiting
    go.touch()
    assert [reader.wait(timeout=120) for reader in readers] == [0] * 8
    assert gets_of(request, origin, "cold.bin") == 1


FILLER = textwrap.dedent(
    """
    import sys
    from genro_storage_django.core import StorageManager

    origin, cache = sys.argv[1], sys.argv[2]
    manager = StorageManager({
        "origin": {"type": "local", "path": origin},
        "c": {"type": "cache", "origin": "origin", "path": cache},
    })
    manager.node("c:big.bin").read_bytes()
    """
)


def test_a_fill_killed_leaves_no_entry(tmp_path: Path) -> None:
    origin, cache = tmp_path / "origin", tmp_path / "cache"
    origin.mkdir()
    chunk = os.urandom(1 << 20)
    with open(origin / "big.bin", "wb") as handle:
        for _ in range(256):
            handle.write(chunk)
    filler = subprocess.Popen([sys.executable, "-c", FILLER, str(origin), str(cache)])
    deadline = time.monotonic() + 60
    data = cache / "data"
    # Kill it once the copy is being written: a temporary file in the entry's directory.
    while not (data.is_dir() and any(data.iterdir())):
        assert filler.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    filler.send_signal(signal.SIGKILL)
    filler.wait()
    assert not (cache / "meta" / "big.bin.json").exists()
    manager = StorageManager(
        {
            "origin": {"type": "local", "path": str(origin)},
            "c": {"type": "cache", "origin": "origin", "path": str(cache)},
        }
    )
    read = manager.node("c:big.bin").read_bytes()
    assert len(read) == 256 << 20 and read[-(1 << 20) :] == chunk
    assert cache_of(manager, "c").cache_info().misses == 1


@pytest.mark.parametrize(
    ("cache", "message"),
    [
        ({"origin": "c"}, "another mount"),
        ({"origin": "o"}, "either store"),
        ({"origin": "o", "store": "s", "path": "/tmp"}, "either store"),
        ({"origin": "o", "store": "o"}, "other than the cache"),
        ({"origin": "o", "path": "rel"}, "absolute"),
        ({"origin": "o", "store": "s", "validate": "never"}, "validate must be"),
        ({"origin": "o", "store": "s", "ttl": "long"}, "ttl must be"),
        ({"origin": "o", "store": "s", "max_size": "2 parsecs"}, "max_size must be"),
        ({"origin": "o", "store": "s", "max_size": 0}, "max_size must be"),
        ({"origin": "gone", "store": "s"}, "'gone' not found"),
    ],
)
def test_bad_configurations(cache: dict[str, Any], message: str) -> None:
    mounts = {"o": {"type": "memory"}, "s": {"type": "memory"}, "c": {"type": "cache", **cache}}
    with pytest.raises(StorageConfigError, match=message):
        StorageManager(mounts)


def test_sizes() -> None:
    assert parse_size("2 GB") == 2 * 10**9
    assert parse_size("512MiB") == 512 * 2**20
    assert parse_size(1234) == 1234
    assert parse_size("1.5 kB") == 1500
