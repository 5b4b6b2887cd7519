"""Core node benchmarks against the direct baselines, measured in the same run.

Run: ``.venv/bin/python -m benchmarks.bench_core`` (or ``scripts/bench core``).

* 1 MB local read: ``node.read_bytes()`` vs ``Path.read_bytes()``          target <= 1.05x
* ``exists()`` on a built node vs ``os.path.exists``                        target <= 3x
* 1 KB atomic write + read vs hand-written tmp + fsync + rename + read      target <= 1.15x
* peak RSS growth of a 200 MB streamed copy, local -> ``fsspec`` (file)     target <= 16 MB
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from genro_storage_django.core import StorageManager

from ._harness import Row, median_seconds, peak_rss_growth, print_rows


def hand_written_atomic_write(path: str, data: bytes) -> None:
    temporary = path + ".tmp"
    with open(temporary, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def run(scratch: Path, copy_megabytes: int) -> bool:
    (scratch / "local").mkdir()
    (scratch / "other").mkdir()
    manager = StorageManager(
        {
            "disk": {"type": "local", "path": str(scratch / "local")},
            "elsewhere": {"type": "fsspec", "protocol": "file", "path": str(scratch / "other")},
        }
    )
    rows = []

    megabyte = os.urandom(1 << 20)
    node = manager.node("disk:read/1mb.bin")
    node.write_bytes(megabyte)
    plain = scratch / "local" / "read" / "1mb.bin"
    rows.append(
        Row(
            "1 MB read: node.read_bytes / Path.read_bytes",
            median_seconds(node.read_bytes, repeat=15),
            median_seconds(plain.read_bytes, repeat=15),
            1.05,
        )
    )

    present = manager.node("disk:read/1mb.bin")
    present.exists()
    plain_path = str(plain)
    rows.append(
        Row(
            "exists(): node.exists / os.path.exists",
            median_seconds(present.exists),
            median_seconds(lambda: os.path.exists(plain_path)),
            3.0,
        )
    )

    kilobyte = os.urandom(1024)
    target = manager.node("disk:write/1kb.bin")
    baseline_path = str(scratch / "local" / "baseline-1kb.bin")

    def ours() -> None:
        target.write_bytes(kilobyte)
        target.read_bytes()

    def baseline() -> None:
        hand_written_atomic_write(baseline_path, kilobyte)
        with open(baseline_path, "rb") as stream:
            stream.read()

    ours()
    rows.append(
        Row(
            "1 KB atomic write+read / tmp+fsync+rename+read",
            median_seconds(ours, repeat=9),
            median_seconds(baseline, repeat=9),
            1.15,
        )
    )

    source = scratch / "local" / "big.bin"
    with open(source, "wb") as stream:
        block = os.urandom(1 << 20)
        for _ in range(copy_megabytes):
            stream.write(block)
    growth = peak_rss_growth(lambda: manager.node("disk:big.bin").copy_to("elsewhere:big.bin"))
    assert (scratch / "other" / "big.bin").stat().st_size == copy_megabytes << 20
    rows.append(
        Row(
            f"peak RSS growth, {copy_megabytes} MB copy local -> fsspec(file)",
            growth,
            None,
            16 * 2**20,
            unit="MB",
        )
    )
    return print_rows("core node vs direct baselines", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copy-mb", type=int, default=200, help="size of the streamed copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-core-") as scratch:
        met = run(Path(scratch), args.copy_mb)
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
