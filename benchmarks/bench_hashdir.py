"""A ``hashdir`` mount against a ``local`` mount holding the same files in one directory.

Run: ``scripts/bench hashdir`` (``--files 10000``).

``--files`` files of 1 KB written, read back, and looked up (``exists()`` of a missing
path), then the whole tree walked. Both mounts write with ``fsync: false``, so the rows
compare the work of each layout rather than the disk's flushes. A new path in a hashdir
writes two files, each by an atomic replace (its name, then its content): targets <= 3.0x
for the writes of new files, <= 1.5x for reads and lookups. The walk reads every name
file: it is printed, without a target.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from genro_storage_django.core import StorageManager

from ._harness import Row, print_rows


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(manager: StorageManager, mount: str, count: int) -> dict[str, float]:
    payload = os.urandom(1024)
    nodes = [manager.node(f"{mount}:files/f{index:05d}.bin") for index in range(count)]
    missing = [manager.node(f"{mount}:files/missing{index:05d}.bin") for index in range(count)]
    return {
        "write": timed(lambda: [node.write_bytes(payload) for node in nodes]),
        "read": timed(lambda: [node.read_bytes() for node in nodes]),
        "exists": timed(lambda: [node.exists() for node in missing]),
        "walk": timed(lambda: list(manager.node(f"{mount}:").walk_files())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hashdir-") as scratch:
        root = Path(scratch)
        (root / "local").mkdir()
        manager = StorageManager(
            {
                "local": {"type": "local", "path": str(root / "local"), "fsync": False},
                "hashed": {"type": "hashdir", "path": str(root / "hashed"), "fsync": False},
            }
        )
        local = measure(manager, "local", args.files)
        hashed = measure(manager, "hashed", args.files)
    per_file = f"{args.files:,} files of 1 KB"
    met = print_rows(
        f"hashdir vs local, {per_file}",
        [
            Row("write each (new) file", hashed["write"], local["write"], 3.0),
            Row("read each file", hashed["read"], local["read"], 1.5),
            Row("exists() of a missing path, each", hashed["exists"], local["exists"], 1.5),
            Row("walk_files() of the whole tree", hashed["walk"], local["walk"], None),
        ],
    )
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
