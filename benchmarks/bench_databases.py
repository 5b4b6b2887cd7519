"""Files in databases: the ``sqlite`` and ``database`` mounts against their baselines.

Run: ``.venv/bin/python -m benchmarks.bench_databases`` (or ``scripts/bench databases``).

* 10,000 files of 10 KB written, one write (one transaction) each: ``sqlite`` mount vs raw
  ``sqlite3`` (``INSERT OR REPLACE`` of a blob keyed by path, WAL, one commit per file,
  the mount's own pragmas)                                             target <= 1.2x
* the same files read back: ``sqlite`` mount vs raw ``sqlite3``          (shown)
* the same files read back: ``sqlite`` mount vs ``local`` mount           target <= 1.0x
  (and written: ``local`` with and without fsync, shown)
* 1 GB (``--database-mb``) written and read back through a ``database`` mount on a SQLite
  file and, when Debian's PostgreSQL is installed, on a PostgreSQL server: time and peak RSS
  growth                                                               target <= 16 MB
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genro_storage_django.core import StorageManager

from ._harness import Row, Timing, print_rows

FILES = 10_000
SIZE = 10 * 1024


def _paired(
    ours: Callable[[], object], baseline: Callable[[], object], repeat: int
) -> tuple[Timing, Timing]:
    """Per-file seconds of ``repeat`` whole passes of each side, the sides taking turns:
    on a shared machine, load that comes and goes weighs on both alike."""
    rounds: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for side, function in zip(rounds, (ours, baseline), strict=True):
            start = time.perf_counter()
            function()
            side.append((time.perf_counter() - start) / FILES)
    return Timing(rounds[0]), Timing(rounds[1])


class RawSQLite:
    """The baseline: one table of blobs keyed by path, nothing else."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE blob (path TEXT PRIMARY KEY, data BLOB NOT NULL)")

    def write(self, names: list[str], data: bytes) -> None:
        for name in names:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR REPLACE INTO blob VALUES (?, ?)", (name, data))
            self.db.execute("COMMIT")

    def read(self, names: list[str]) -> None:
        for name in names:
            self.db.execute("SELECT data FROM blob WHERE path = ?", (name,)).fetchone()


def small_files(scratch: Path, repeat: int) -> list[Row]:
    (scratch / "local").mkdir()
    (scratch / "local-nofsync").mkdir()
    manager = StorageManager(
        {
            "db": {"type": "sqlite", "path": str(scratch / "files.sqlite3")},
            "disk": {"type": "local", "path": str(scratch / "local")},
            "fast": {"type": "local", "path": str(scratch / "local-nofsync"), "fsync": False},
        }
    )
    raw = RawSQLite(scratch / "raw.sqlite3")
    data = os.urandom(SIZE)
    # 100 directories of 100 files: a realistic tree, and no directory of 10,000 entries.
    names = [f"d{index % 100:02d}/f{index}.bin" for index in range(FILES)]

    def mount_pass(mount: str, write: bool) -> Callable[[], None]:
        nodes = [manager.node(f"{mount}:{name}") for name in names]
        if write:
            return lambda: [node.write_bytes(data) for node in nodes] and None
        return lambda: [node.read_bytes() for node in nodes] and None

    raw.write(names, data)  # the first pass creates; the measured ones replace
    for mount in ("db", "disk", "fast"):
        mount_pass(mount, write=True)()
    writes, reads = mount_pass("db", write=True), mount_pass("db", write=False)
    cases = [
        ("10 KB write: sqlite mount / raw sqlite3", writes, lambda: raw.write(names, data), 1.2),
        ("10 KB write: sqlite mount / local (fsync)", writes, mount_pass("disk", True), None),
        (
            "10 KB write: sqlite mount / local (fsync: false)",
            writes,
            mount_pass("fast", True),
            None,
        ),
        ("10 KB read: sqlite mount / raw sqlite3", reads, lambda: raw.read(names), None),
        ("10 KB read: sqlite mount / local mount", reads, mount_pass("disk", False), 1.0),
    ]
    return [Row(name, *_paired(ours, base, repeat), target) for name, ours, base, target in cases]


def _kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def peak_growth(function: Callable[[], object]) -> int:
    """Bytes the peak RSS (the kernel's VmHWM, reset first: nothing a sampler can miss)
    grew above the RSS at the start while ``function`` ran. Linux only."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    baseline = _kib("VmRSS:")
    function()
    return (_kib("VmHWM:") - baseline) * 1024


def _configure_django(databases: dict[str, Any]) -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(
        INSTALLED_APPS=["genro_storage_django"],
        DATABASES=databases,
        USE_TZ=True,
    )
    django.setup()
    for alias in databases:
        call_command("migrate", "genro_storage_django", database=alias, verbosity=0)


def large_file(alias: str, megabytes: int) -> tuple[Row, Row]:
    manager = StorageManager({"db": {"type": "database", "using": alias}})
    node = manager.node("db:large.bin")
    piece = os.urandom(1 << 20)
    node.write_bytes(piece * 2)  # warm: both the one-chunk and the staged paths
    node.read_bytes()
    timings: dict[str, float] = {}

    def through() -> None:
        start = time.perf_counter()
        with node.open("wb") as stream:
            for _ in range(megabytes):
                stream.write(piece)
        timings["write"] = time.perf_counter() - start
        digest = hashlib.md5(usedforsecurity=False)
        start = time.perf_counter()
        with node.open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
        timings["read"] = time.perf_counter() - start

    growth = peak_growth(through)
    assert node.size() == megabytes << 20
    write, read = (megabytes / timings[phase] for phase in ("write", "read"))
    speed = f"write {write:.0f} MB/s, read {read:.0f} MB/s"
    return (
        Row(
            f"{megabytes} MB through database ({alias}): {speed}",
            timings["write"] + timings["read"],
            None,
            None,
        ),
        Row(f"{megabytes} MB through database ({alias}): peak RSS", growth, None, 16 * 2**20, "MB"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the 10,000 files")
    parser.add_argument(
        "--database-mb", type=int, default=1024, help="size of the large file (0: none)"
    )
    args = parser.parse_args()
    met = True
    with tempfile.TemporaryDirectory(prefix="bench-databases-") as scratch:
        met = print_rows(
            "10,000 files of 10 KB (per file)", small_files(Path(scratch), args.repeat)
        )
        from tests.support.databases import PG_BIN, running_postgresql

        databases: dict[str, Any] = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{scratch}/django.sqlite3"}
        }
        with contextlib.ExitStack() as stack:
            if not args.database_mb:
                databases.clear()
            elif (PG_BIN / "pg_ctl").exists():
                databases["postgresql"] = stack.enter_context(running_postgresql())
            if databases:
                _configure_django(databases)
                rows = [row for alias in databases for row in large_file(alias, args.database_mb)]
                met = print_rows("one large file through database mounts", rows) and met
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
