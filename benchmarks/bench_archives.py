"""Copying a tree of small files into a new archive mount: time linear in the file count.

Run: ``scripts/bench archives`` (``--files 10000``).

For each archive type, a tree of ``--files`` files of 1 KB on a local mount is copied
into a new archive on another local mount (``node.copy_to``, one write batch), and the
same archive is written by the standard library alone (``zipfile``/``tarfile`` adding
the files one by one) as the baseline. Targets: the copy <= 2.0x the standard library,
and the time per file of the full copy <= 1.5x that of a copy of a quarter of the files
(a rebuild per file would make it about 4x).
"""

from __future__ import annotations

import argparse
import os
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from genro_storage_django.core import StorageManager

from ._harness import Row, print_rows

#: mount type, archive file name, the standard library's writer of that archive
KINDS: dict[str, tuple[str, str, Callable[[Path, Path], None]]] = {}


def _zip_baseline(tree: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as target:
        for path in sorted(tree.rglob("*.bin")):
            target.write(path, path.relative_to(tree).as_posix())


def _tar_baseline(tree: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as target:
        for path in sorted(tree.rglob("*.bin")):
            target.add(path, path.relative_to(tree).as_posix())


KINDS["zip"] = ("zip", "out.zip", _zip_baseline)
KINDS["tar.gz"] = ("tar", "out.tar.gz", _tar_baseline)


def make_tree(root: Path, count: int) -> None:
    payload = os.urandom(1024)
    for index in range(count):
        folder = root / f"dir{index % 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file{index:05d}.bin").write_bytes(payload[index % 64 :] + payload[: index % 64])


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def copy_into_archive(scratch: Path, tree: Path, mount_type: str, filename: str) -> float:
    out = Path(tempfile.mkdtemp(dir=scratch))
    manager = StorageManager(
        {
            "src": {"type": "local", "path": str(tree)},
            "out": {"type": "local", "path": str(out), "fsync": False},
            "archive": {"type": mount_type, "path": f"out:{filename}"},
        }
    )
    return timed(lambda: manager.node("src:").copy_to("archive:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    all_met = True
    with tempfile.TemporaryDirectory(prefix="bench-archives-") as scratch_name:
        scratch = Path(scratch_name)
        full, quarter = scratch / "full", scratch / "quarter"
        make_tree(full, args.files)
        make_tree(quarter, args.files // 4)
        for kind, (mount_type, filename, baseline) in KINDS.items():
            ours = copy_into_archive(scratch, full, mount_type, filename)
            small = copy_into_archive(scratch, quarter, mount_type, filename)
            target = scratch / f"baseline-{filename}"
            started = time.perf_counter()
            baseline(full, target)
            library = time.perf_counter() - started
            per_file, per_file_small = ours / args.files, small / (args.files // 4)
            all_met &= print_rows(
                f"{kind}: copy {args.files:,} files of 1 KB into a new archive",
                [
                    Row(f"copy_to a new {kind} mount", ours, library, 2.0),
                    Row(
                        f"per file: {args.files:,} vs {args.files // 4:,} files",
                        per_file,
                        per_file_small,
                        1.5,
                    ),
                ],
            )
    raise SystemExit(0 if all_met else 1)


if __name__ == "__main__":
    main()
