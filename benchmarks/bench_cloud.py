"""Cloud mounts against bare fsspec, on the emulators (moto, gcp-storage-emulator, Azurite).

Run: ``.venv/bin/python -m benchmarks.bench_cloud`` (or ``scripts/bench cloud``). The
emulators start in child processes, as in the tests (tests/support/servers.py).

* per backend: 100 x (4 KB put + get) through nodes vs the same calls on the bare
  filesystem (``pipe_file`` + ``cat_file``), rounds interleaved          target <= 1.10x
* peak RSS growth of a 100 MB file copied local -> s3 -> gcs -> azure -> local,
  one row per hop, and of reading it back from each store               target < 32 MB
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import tests.support.environment  # noqa: F401 - sets what gcsfs reads on import, before it loads
from genro_storage_django.core import StorageManager
from tests.support.servers import running_azurite, running_gcs, running_s3

from ._harness import Row, Timing, peak_rss_growth, print_rows

KINDS = ("s3", "gcs", "azure")
BUCKET = "bench"
SMALL = 4096
OPS = 100


def bare_filesystem(kind: str, server: Any) -> Any:
    if kind == "s3":
        import s3fs

        return s3fs.S3FileSystem(**server.storage_options)
    if kind == "gcs":
        import gcsfs

        return gcsfs.GCSFileSystem(**server.storage_options)
    import adlfs

    return adlfs.AzureBlobFileSystem(**server.storage_options)


def mount_config(kind: str, server: Any, prefix: str) -> dict[str, Any]:
    if kind == "s3":
        return {
            "type": "s3",
            "bucket": BUCKET,
            "prefix": prefix,
            "endpoint_url": server.endpoint_url,
            "key": server.key,
            "secret": server.secret,
        }
    if kind == "gcs":
        return {
            "type": "gcs",
            "bucket": BUCKET,
            "prefix": prefix,
            "endpoint_url": server.endpoint_url,
            "token": "anon",
            "project": server.project,
        }
    return {
        "type": "azure",
        "container": BUCKET,
        "prefix": prefix,
        "connection_string": server.connection_string,
    }


def small_ops_rows(manager: StorageManager, servers: dict[str, Any], rounds: int) -> list[Row]:
    """Each round times OPS pairs on each side, alternating pair by pair, so a server that
    slows down or speeds up during the round (moto does) weighs on both sides alike."""
    rows = []
    data = os.urandom(SMALL)
    for kind in KINDS:
        bare = bare_filesystem(kind, servers[kind])
        base = f"{BUCKET}/baseline-{kind}"

        def ours(index: int, kind: str = kind) -> None:
            node = manager.node(f"{kind}:small/{index}.bin")
            node.write_bytes(data)
            node.read_bytes()

        def baseline(index: int, bare: Any = bare, base: str = base) -> None:
            path = f"{base}/small/{index}.bin"
            bare.pipe_file(path, data)
            bare.cat_file(path)

        mine, theirs = [], []
        for round_number in range(rounds + 1):  # round 0 warms connections and caches
            sums = [0.0, 0.0]
            for index in range(OPS):
                for side, function in enumerate((ours, baseline)):
                    started = time.perf_counter()
                    function(index)
                    sums[side] += time.perf_counter() - started
            if round_number:
                mine.append(sums[0])
                theirs.append(sums[1])
        rows.append(
            Row(
                f"{kind}: {OPS} x (4 KB put + get), node / bare fs",
                Timing(mine),
                Timing(theirs),
                1.10,
            )
        )
    return rows


def memory_rows(manager: StorageManager, scratch: Path, megabytes: int) -> list[Row]:
    with open(scratch / "source.bin", "wb") as stream:
        for _ in range(megabytes):
            stream.write(os.urandom(2**20))
    chain = ["local:source.bin", "s3:big.bin", "gcs:big.bin", "azure:big.bin", "local:back.bin"]
    rows = []
    limit = 32 * 2**20
    for source, target in itertools.pairwise(chain):
        gc.collect()
        growth = peak_rss_growth(lambda s=source, t=target: manager.node(s).copy_to(t))
        name = f"peak RSS, {megabytes} MB copy {source.split(':')[0]} -> {target.split(':')[0]}"
        rows.append(Row(name, growth, None, limit, unit="MB"))
    assert (scratch / "back.bin").read_bytes() == (scratch / "source.bin").read_bytes()
    for kind in KINDS:

        def read(kind: str = kind) -> None:
            with manager.node(f"{kind}:big.bin").open("rb") as stream:
                while stream.read(2**20):
                    pass

        gc.collect()
        rows.append(
            Row(
                f"peak RSS, {megabytes} MB read from {kind}",
                peak_rss_growth(read),
                None,
                limit,
                unit="MB",
            )
        )
    return rows


def run(scratch: Path, megabytes: int, rounds: int) -> bool:
    with ExitStack() as stack:
        servers = {
            "s3": stack.enter_context(running_s3(scratch)),
            "gcs": stack.enter_context(running_gcs(scratch)),
            "azure": stack.enter_context(running_azurite(scratch)),
        }
        for kind in KINDS:
            bare_filesystem(kind, servers[kind]).mkdir(BUCKET)
        (scratch / "local").mkdir()
        manager = StorageManager(
            {
                "local": {"type": "local", "path": str(scratch / "local")},
                **{kind: mount_config(kind, servers[kind], "mounted") for kind in KINDS},
            }
        )
        small = small_ops_rows(manager, servers, rounds)
        memory = memory_rows(manager, scratch / "local", megabytes)
    met = print_rows("cloud mounts: node API vs bare fsspec", small)
    return print_rows("cloud mounts: peak RSS growth", memory) and met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copy-mb", type=int, default=100, help="size of the copied file")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    args, _others = parser.parse_known_args()  # scripts/bench passes every benchmark's flags
    with tempfile.TemporaryDirectory(prefix="bench-cloud-") as scratch:
        met = run(Path(scratch), args.copy_mb, args.rounds)
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
