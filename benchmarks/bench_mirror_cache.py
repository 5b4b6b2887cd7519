"""Mirror writes and cache hits against their baselines, measured in the same run.

Run: ``scripts/bench mirror_cache`` (``--write-mb 1024 --read-mb 64 --rounds 5``).

- A mirror write of ``--write-mb`` MB (1 MiB chunks through ``node.open("wb")``) to three
  local children, against the same write to each child's mount alone: the baseline is the
  slowest child. Target: <= 1.2x its time, and the process grows by <= 64 MB meanwhile.
  The children are on one disk here (three times the bytes to the same device); on
  separate disks or stores the children write in parallel.
- A cache hit read of a ``--read-mb`` MB object (``read_bytes`` through the cache mount,
  origin on moto's S3) against reading the copy through the store mount directly. Target:
  <= 1.05x with ``validate: immutable``; with ``etag`` each hit also asks the origin (one
  HEAD), shown without a target. Then the same hit against fsspec's ``simplecache`` on the
  same origin object (its copy already made), without a target.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import fsspec

from genro_storage_django.core import StorageManager
from tests.support.servers import running_s3

from ._harness import Row, Timing, median_seconds, peak_rss_growth, print_rows

_CHUNK = 1 << 20
BUCKET = "bench-cache"


def timed_rounds(function: Any, rounds: int) -> Timing:
    return Timing([median_seconds(function, repeat=1, min_time=0) for _ in range(rounds)])


def mirror_rows(scratch: Path, megabytes: int, rounds: int) -> list[Row]:
    chunk = os.urandom(_CHUNK)
    mounts: dict[str, Any] = {}
    for name in ("a", "b", "c"):
        (scratch / name).mkdir()
        mounts[name] = {"type": "local", "path": str(scratch / name), "fsync": False}
    mounts["m"] = {
        "type": "mirror",
        "mounts": ["a", "b", "c"],
        "journal_dir": str(scratch / "journal"),
        "timeout": 30,
    }
    manager = StorageManager(mounts)

    def write(mount: str) -> None:
        with manager.node(f"{mount}:big.bin").open("wb") as stream:
            for _ in range(megabytes):
                stream.write(chunk)

    alone = max(timed_rounds(lambda name=name: write(name), rounds) for name in "abc")
    mirrored = timed_rounds(lambda: write("m"), rounds)
    grown = peak_rss_growth(lambda: write("m"))
    return [
        Row(f"mirror write {megabytes} MB to 3 local children vs slowest", mirrored, alone, 1.2),
        Row("  RSS growth during that write", grown, None, 64 * 2**20, unit="MB"),
    ]


def cache_rows(scratch: Path, megabytes: int, rounds: int) -> list[Row]:
    data = os.urandom(megabytes << 20)
    with running_s3(scratch) as server:
        fsspec.filesystem("s3", **server.storage_options).mkdir(BUCKET)
        origin = {
            "type": "s3",
            "bucket": BUCKET,
            "endpoint_url": server.endpoint_url,
            "key": server.key,
            "secret": server.secret,
        }
        (scratch / "store").mkdir()
        store = {"type": "local", "path": str(scratch / "store")}
        manager = StorageManager(
            {
                "origin": origin,
                "store": store,
                "fixed": {"type": "cache", "origin": "origin", "store": "store",
                          "validate": "immutable"},
                "checked": {"type": "cache", "origin": "origin", "store": "store",
                            "validate": "etag"},
            }
        )  # fmt: skip
        manager.node("origin:object.bin").write_bytes(data)
        for cache in ("fixed", "checked"):
            assert manager.node(f"{cache}:object.bin").read_bytes() == data  # filled
        direct = manager.node("store:fixed/data/object.bin")
        baseline = median_seconds(direct.read_bytes, repeat=rounds)
        fixed = median_seconds(manager.node("fixed:object.bin").read_bytes, repeat=rounds)
        checked = median_seconds(manager.node("checked:object.bin").read_bytes, repeat=rounds)
        url = f"simplecache::s3://{BUCKET}/object.bin"
        options = {
            "s3": server.storage_options,
            "simplecache": {"cache_storage": str(scratch / "simplecache")},
        }

        def simplecache_read() -> bytes:
            with fsspec.open(url, "rb", **options) as stream:
                return stream.read()  # type: ignore[no-any-return]

        assert simplecache_read() == data  # filled
        theirs = median_seconds(simplecache_read, repeat=rounds)
    return [
        Row(f"cache hit read {megabytes} MB (immutable) vs store", fixed, baseline, 1.05),
        Row(f"cache hit read {megabytes} MB (etag: one HEAD) vs store", checked, baseline, None),
        Row("cache hit read (immutable) vs fsspec simplecache hit", fixed, theirs, None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-mb", type=int, default=1024, help="size of the mirror write")
    parser.add_argument("--read-mb", type=int, default=64, help="size of the cached object")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mirror-") as scratch:
        met = print_rows("Mirror writes", mirror_rows(Path(scratch), args.write_mb, args.rounds))
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as scratch:
        rows = cache_rows(Path(scratch), args.read_mb, args.rounds)
        met = print_rows("Cache hits", rows) and met
    print("\nall targets met" if met else "\nsome targets NOT met")


if __name__ == "__main__":
    main()
