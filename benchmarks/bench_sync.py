"""``manage.py storage_sync`` against rclone (Debian's package), same data, same run.

Run: ``scripts/bench sync`` (needs ``rclone`` on PATH: ``apt-get install rclone``).

Whole-process wall times, medians of ``--runs`` runs each:

* local -> local, 10,000 files of 4 KB in 100 directories plus 20 files of 10 MB:
  first sync (also to a mount with ``fsync: false``), no-op re-run, re-run after
  touching 100 files: targets <= 1.0x rclone. Django's own start-up
  (``manage.py diffsettings``) is printed beside the no-op for reference.
* local -> S3 (moto server), 1,000 files of 4 KB: first sync and no-op re-run
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from ._harness import Row, Timing, print_rows

SETTINGS = textwrap.dedent(
    """
    import os
    SECRET_KEY = "bench"
    USE_TZ = True
    INSTALLED_APPS = ["genro_storage_django"]
    STORAGE_MOUNTS = {
        "src": {"type": "local", "path": os.environ["BENCH_SRC"]},
        "dst": {
            "type": "local", "path": os.environ["BENCH_DST"],
            "fsync": os.environ.get("BENCH_FSYNC", "1") == "1",
        },
    }
    if os.environ.get("BENCH_S3"):
        STORAGE_MOUNTS["s3"] = {
            "type": "s3", "bucket": "bench", "endpoint_url": os.environ["BENCH_S3"],
            "key": "testing", "secret": "testing",
        }
    """
)


def make_tree(root: Path, small: int, directories: int, large: int, large_mb: int) -> None:
    payload = os.urandom(4096)
    for index in range(small):
        folder = root / f"dir{index % directories:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file{index:05d}.bin").write_bytes(payload[index % 64 :] + payload[: index % 64])
    block = os.urandom(1 << 20)
    for index in range(large):
        with open(root / f"large{index:02d}.bin", "wb") as stream:
            for _ in range(large_mb):
                stream.write(block)


def storage_sync(source: str, destination: str) -> list[str]:
    """The measured command line: the same options rclone gets (4 transfers, no progress)."""
    return [
        sys.executable,
        "-m",
        "django",
        "storage_sync",
        source,
        destination,
        "--no-progress",
        "--transfers",
        "4",
    ]


def timed(command: list[str], env: dict[str, str]) -> float:
    # The previous run's dirty pages must not be written back during this one.
    os.sync()
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def median_of(
    runs: int, prepare: Callable[[], None], command: list[str], env: dict[str, str]
) -> Timing:
    times = []
    for _ in range(runs):
        prepare()
        times.append(timed(command, env))
    return Timing(times)


def touch_some(root: Path, count: int) -> None:
    files = sorted(root.rglob("file*.bin"))
    now = time.time()
    for path in random.Random(7).sample(files, count):
        os.utime(path, (now, now))


def local_rows(
    scratch: Path, runs: int, env: dict[str, str], args: argparse.Namespace
) -> list[Row]:
    source = scratch / "src"
    make_tree(source, args.files, 100, args.large, args.large_mb)
    env = {**env, "BENCH_SRC": str(source)}
    first: dict[str, list[float]] = {"ours": [], "no fsync": [], "rclone": []}
    targets: dict[str, Path] = {}
    # Every first sync writes a new directory, and the runs alternate: deleting ten
    # thousand files just before a run (on a disk mounted with online discard) or a
    # drift of the disk's speed would otherwise weigh on one side only.
    for run in range(runs):
        for side, times in first.items():
            targets[side] = scratch / f"{side.replace(' ', '-')}-{run}"
            if side == "rclone":
                command = ["rclone", "sync", str(source), str(targets[side]), "--transfers", "4"]
                side_env = env
            else:
                command = storage_sync("src:", "dst:")
                side_env = {
                    **env,
                    "BENCH_DST": str(targets[side]),
                    "BENCH_FSYNC": "1" if side == "ours" else "0",
                }
            times.append(timed(command, side_env))
    ours_env = {**env, "BENCH_DST": str(targets["ours"])}
    ours = storage_sync("src:", "dst:")
    theirs = ["rclone", "sync", str(source), str(targets["rclone"]), "--transfers", "4"]
    startup = [sys.executable, "-m", "django", "diffsettings"]

    def nothing() -> None:
        return None

    def touched() -> None:
        touch_some(source, 100)

    label = f"first sync, {args.files} x 4 KB + {args.large} x {args.large_mb} MB"
    rclone_first = Timing(first["rclone"])
    return [
        Row(label, Timing(first["ours"]), rclone_first, 1.0),
        Row(
            "  the same, mount with fsync: false",
            Timing(first["no fsync"]),
            rclone_first,
            1.0,
        ),
        Row(
            "no-op re-run",
            median_of(runs, nothing, ours, ours_env),
            median_of(runs, nothing, theirs, env),
            1.0,
        ),
        Row(
            "  Django start-up alone (manage.py diffsettings)",
            median_of(runs, nothing, startup, ours_env),
            median_of(runs, nothing, theirs, env),
            None,
        ),
        Row(
            "re-run after touching 100 files",
            median_of(runs, touched, ours, ours_env),
            median_of(runs, touched, theirs, env),
            1.0,
        ),
    ]


def s3_rows(scratch: Path, runs: int, env: dict[str, str]) -> list[Row]:
    from tests.support.servers import running_s3

    source = scratch / "s3-src"
    make_tree(source, 1000, 10, 0, 0)
    with running_s3(scratch) as server:
        import s3fs

        fs = s3fs.S3FileSystem(
            key="testing", secret="testing", client_kwargs={"endpoint_url": server.endpoint_url}
        )
        fs.mkdir("bench")
        env = {
            # moto speaks plain HTTP: a CA bundle from the machine only makes rclone fail.
            **{k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"},
            "BENCH_SRC": str(source),
            "BENCH_DST": str(scratch / "unused"),
            "BENCH_S3": server.endpoint_url,
            "RCLONE_CONFIG_MOTO_TYPE": "s3",
            "RCLONE_CONFIG_MOTO_PROVIDER": "Other",
            "RCLONE_CONFIG_MOTO_ENDPOINT": server.endpoint_url,
            "RCLONE_CONFIG_MOTO_ACCESS_KEY_ID": "testing",
            "RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY": "testing",
        }
        ours = storage_sync("src:", "s3:ours")
        theirs = ["rclone", "sync", str(source), "moto:bench/rclone", "--transfers", "4"]

        def empty(prefix: str) -> Callable[[], None]:
            def wipe() -> None:
                if fs.exists(f"bench/{prefix}"):
                    fs.rm(f"bench/{prefix}", recursive=True)

            return wipe

        rows = [
            Row(
                "local -> S3 (moto), first sync, 1,000 x 4 KB",
                median_of(runs, empty("ours"), ours, env),
                median_of(runs, empty("rclone"), theirs, env),
                1.0,
            )
        ]
        rows.append(
            Row(
                "local -> S3 (moto), no-op re-run",
                median_of(runs, lambda: None, ours, env),
                median_of(runs, lambda: None, theirs, env),
                1.0,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--large-mb", type=int, default=10)
    parser.add_argument("--skip-s3", action="store_true")
    args = parser.parse_args()
    if shutil.which("rclone") is None:
        sys.exit("rclone is not installed: apt-get install rclone")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as directory:
        scratch = Path(directory)
        (scratch / "bench_sync_settings.py").write_text(SETTINGS)
        # Measure a deployed install: with PYTHONDONTWRITEBYTECODE set (or the sources
        # newer than their bytecode) every run would compile the package again.
        compileall.compile_dir("genro_storage_django", quiet=1)
        compileall.compile_dir(str(scratch), quiet=1)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench_sync_settings",
            "PYTHONPATH": os.pathsep.join([str(scratch), os.getcwd()]),
            "RCLONE_CONFIG": str(scratch / "no-rclone.conf"),
        }
        rows = local_rows(scratch, args.runs, env, args)
        if not args.skip_s3:
            rows += s3_rows(scratch, args.runs, env)
        met = print_rows("storage_sync vs rclone (whole-process wall time, medians)", rows)
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
