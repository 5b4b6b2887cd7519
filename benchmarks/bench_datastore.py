"""The data store against doing the same by hand on the mount's files, in the same run.

Run: ``.venv/bin/python -m benchmarks.bench_datastore`` (or ``scripts/bench datastore``).

* 1,000 small JSON values: ``store[k] = v`` / ``json.dumps`` + ``node.write_bytes``    <= 1.10x
* the same, read back: ``store[k]`` / ``node.read_bytes`` + ``json.loads``              <= 1.10x
  (twice: within a second of the writes, and once the directory has been left alone)
* one pandas DataFrame (``--frame-mb``, 100): ``store[k] = df`` / ``pyarrow`` by hand  <= 1.10x
* the same, read back                                                                 <= 1.10x

Both sides run on one local mount, as configured by default (each write made durable);
rounds alternate between them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from genro_storage_django.core import StorageManager
from genro_storage_django.core.backends.local import RACY_SECONDS

from ._harness import Row, Timing, print_rows

VALUES = 1000


def paired(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int
) -> tuple[Timing, Timing]:
    mine: list[float] = []
    base: list[float] = []
    for _ in range(rounds):
        for function, times in ((ours, mine), (theirs, base)):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
    return Timing(mine), Timing(base)


def run(scratch: Path, frame_megabytes: int, rounds: int) -> bool:
    manager = StorageManager({"disk": {"type": "local", "path": str(scratch)}})
    store = manager.datastore("disk:store")
    by_hand = manager.node("disk:by-hand")
    values = [
        {"id": index, "name": f"item {index}", "tags": ["a", "b"], "score": index / 7}
        for index in range(VALUES)
    ]
    keys = [f"values/{index:04d}" for index in range(VALUES)]
    names = [f"by-hand/values/{index:04d}.json" for index in range(VALUES)]

    def store_writes() -> None:
        for key, value in zip(keys, values, strict=True):
            store[key] = value

    # By hand as a user writes it: a node per access, from the mount's path.
    def hand_writes() -> None:
        for name, value in zip(names, values, strict=True):
            manager.node("disk", name).write_bytes(json.dumps(value).encode())

    def store_reads() -> None:
        for key in keys:
            store[key]

    def hand_reads() -> None:
        for name in names:
            json.loads(manager.node("disk", name).read_bytes())

    rows = []
    write = paired(store_writes, hand_writes, rounds)
    rows.append(Row(f"{VALUES} JSON values, write: store / by hand", *write, 1.10))
    # Within a second of a change to a directory its listing cannot be kept (a stat per
    # format then); after that, one listing serves every read. Both are measured.
    read = paired(store_reads, hand_reads, rounds)
    rows.append(Row("  read, within a second of the writes", *read, 1.10))
    time.sleep(RACY_SECONDS + 0.1)
    read = paired(store_reads, hand_reads, rounds)
    rows.append(Row("  read, the directory unchanged since", *read, 1.10))

    count = frame_megabytes * 2**20 // 24  # three 8-byte columns
    generator = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": generator.integers(0, 1 << 40, count),
            "b": generator.random(count),
            "c": generator.integers(0, 1000, count),
        }
    )
    frame_node = by_hand / "frame.parquet"

    def store_frame_write() -> None:
        store["frame"] = frame

    def hand_frame_write() -> None:
        with frame_node.open("wb") as stream:
            pq.write_table(pa.Table.from_pandas(frame), stream)

    def store_frame_read() -> None:
        store["frame"]

    def hand_frame_read() -> None:
        with frame_node.open("rb") as stream:
            pq.read_table(stream).to_pandas()

    frame_rounds = max(3, rounds // 2)
    label = f"{frame_megabytes} MB DataFrame"
    rows.append(
        Row(
            f"{label}, write: store / pyarrow",
            *paired(store_frame_write, hand_frame_write, frame_rounds),
            1.10,
        )
    )
    rows.append(
        Row(
            f"{label}, read: store / pyarrow",
            *paired(store_frame_read, hand_frame_read, frame_rounds),
            1.10,
        )
    )
    return print_rows("data store vs by hand on the same mount", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frame-mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-datastore-") as scratch:
        met = run(Path(scratch), args.frame_mb, args.rounds)
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
