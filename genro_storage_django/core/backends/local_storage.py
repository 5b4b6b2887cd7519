"""``LocalStorage``: genro-storage's local backend object, used on its own.

genro-storage code builds one with a directory (or a callable naming one, see
:mod:`.local_routed`) and calls it with paths: ``LocalStorage(root).read_text("a/b.txt")``.
Here it is a one-mount :class:`~genro_storage_django.core.StorageManager`, so the same
path safety, atomic writes and errors apply as to any mount.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..node import StorageNode

__all__ = ["LocalStorage"]


class LocalStorage:
    """A local directory (or a callable giving one) read and written by path."""

    def __init__(
        self,
        path: str | os.PathLike[str] | Callable[..., Any],
        base_url: str | None = None,
    ) -> None:
        from ..manager import StorageManager  # the manager imports the backends

        config: dict[str, Any] = {"type": "local", "path": path}
        if base_url is not None:
            config["base_url"] = base_url
        self.manager = StorageManager({"local": config})

    @property
    def base_path(self) -> str:
        """The directory (for a callable path, the one it names now)."""
        backend = self.manager.get_backend("local")
        return str(getattr(backend, "base_path"))  # noqa: B009 (local backends both have it)

    def node(self, path: str = "") -> StorageNode:
        return self.manager.node("local", path) if path else self.manager.node("local")

    def exists(self, path: str) -> bool:
        return self.node(path).exists()

    def is_file(self, path: str) -> bool:
        return self.node(path).is_file()

    def is_dir(self, path: str) -> bool:
        return self.node(path).is_dir()

    def read_bytes(self, path: str) -> bytes:
        return self.node(path).read_bytes()

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        return self.node(path).read_text(encoding)

    def write_bytes(self, path: str, data: bytes) -> None:
        self.node(path).write_bytes(data)

    def write_text(self, path: str, text: str, encoding: str = "utf-8") -> None:
        self.node(path).write_text(text, encoding)

    def list_dir(self, path: str = "") -> list[str]:
        return [child.name for child in self.node(path).children()]

    def delete(self, path: str, recursive: bool = False) -> None:
        self.node(path).delete(recursive=recursive)
