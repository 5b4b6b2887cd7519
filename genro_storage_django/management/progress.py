"""A terminal progress line for transfers: files, bytes, rate; redrawn at most 10 times a second."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, TextIO

from ..core import TransferCallback

if TYPE_CHECKING:
    from ..core import StorageNode

__all__ = ["ProgressLine", "human_bytes"]


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(count) < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


class ProgressLine(TransferCallback):
    """Draws ``files 12/100  4.1 MB/20.0 MB  3.2 MB/s`` on one line of ``stream``."""

    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self._stream = stream
        self._interval = interval
        self._lock = threading.Lock()
        self._files_total = self._bytes_total = 0
        self._files_done = self._bytes_done = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def on_start(self, total_files: int, total_bytes: int) -> None:
        with self._lock:
            self._files_total, self._bytes_total = total_files, total_bytes
            self._started = time.monotonic()
        self._draw(force=True)

    def on_bytes(self, count: int) -> None:
        with self._lock:
            self._bytes_done += count
        self._draw()

    def on_file_done(
        self, source: StorageNode, destination: StorageNode, outcome: str, detail: str = ""
    ) -> None:
        with self._lock:
            self._files_done += 1
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        self._stream.write("\n")
        self._stream.flush()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._drawn < self._interval:
                return
            self._drawn = now
            elapsed = max(now - self._started, 1e-6)
            line = (
                f"files {self._files_done}/{self._files_total}  "
                f"{human_bytes(self._bytes_done)}/{human_bytes(self._bytes_total)}  "
                f"{human_bytes(self._bytes_done / elapsed)}/s"
            )
        self._stream.write("\r" + line.ljust(60))
        self._stream.flush()
