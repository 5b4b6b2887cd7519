"""What a transfer reports as it runs (callbacks) and when it ends (reports)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .backends.base import StatResult
from .errors import TransferError

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["FileTransfer", "TransferCallback", "TransferReport", "as_callback"]


class TransferCallback:
    """Progress hooks; subclass and override what you need (all default to no-ops)."""

    def on_start(self, total_files: int, total_bytes: int) -> None: ...

    def on_file_start(self, source: StorageNode, destination: StorageNode, size: int) -> None: ...

    def on_bytes(self, count: int) -> None: ...

    def on_file_done(
        self, source: StorageNode, destination: StorageNode, outcome: str, detail: str = ""
    ) -> None:
        """``outcome`` is ``copied``, ``skipped`` (detail: the reason) or ``failed``."""


@dataclass
class TransferReport:
    """What a copy or move did, file by file."""

    source: StorageNode
    destination: StorageNode
    copied: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise a :class:`~.errors.TransferError` carrying this report if a file failed."""
        if self.errors:
            path, message = self.errors[0]
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            raise TransferError(f"{path}: {message}{more}", report=self)


@dataclass(frozen=True)
class FileTransfer:
    """One planned file copy: the source with its stat, the target with its (if any)."""

    source: StorageNode
    source_stat: StatResult
    target: StorageNode
    target_stat: StatResult | None = None


def as_callback(progress: TransferCallback | Callable[[int, int], Any] | None) -> TransferCallback:
    if progress is None:
        return TransferCallback()
    if isinstance(progress, TransferCallback):
        return progress
    return _CountingCallback(progress)


class _CountingCallback(TransferCallback):
    """Adapts a plain ``progress(files_done, files_total)`` callable."""

    def __init__(self, progress: Callable[[int, int], Any]) -> None:
        self._progress = progress
        self._total = 0
        self._done = 0
        self._lock = threading.Lock()

    def on_start(self, total_files: int, total_bytes: int) -> None:
        self._total = total_files

    def on_file_done(
        self, source: StorageNode, destination: StorageNode, outcome: str, detail: str = ""
    ) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        self._progress(done, self._total)
