"""Finding names below a :class:`~genro_storage_django.core.StorageNode`: ``glob``, and the
two lookups a caller that keeps what it listed needs (``files_among``, ``directory_stamp``).

A mixin of ``StorageNode`` that uses the node's public interface only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, NoReturn

from . import errors
from .globbing import compile_glob
from .listing import is_safe_name
from .paths import join

if TYPE_CHECKING:
    import os

    from .backends.base import Backend, StatResult
    from .listing import OnSkip
    from .node import StorageNode

__all__ = ["NodeLookups"]


class NodeLookups:
    """Globs and name lookups in a directory."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by StorageNode

        @property
        def backend(self) -> Backend: ...
        @property
        def location(self) -> str: ...
        def child(self, *parts: str | os.PathLike[str]) -> StorageNode: ...
        def raise_for(self, exc: BaseException, action: str) -> NoReturn: ...
        def walk_entries(self, on_skip: OnSkip | None = None) -> list[tuple[str, StatResult]]: ...

    def glob(self, pattern: str) -> list[StorageNode]:
        """Files and directories below this node matching ``pattern`` (``**`` aware)."""
        join("", pattern)  # a pattern obeys the path rules too: no '..', no absolute
        matches = compile_glob(pattern)
        found: set[str] = set()
        for relative, _entry in self.walk_entries():
            parts = relative.split("/")
            for depth in range(1, len(parts) + 1):
                candidate = "/".join(parts[:depth])
                if matches(candidate):
                    found.add(candidate)
        return [self.child(path) for path in sorted(found)]

    def files_among(self, names: Iterable[str]) -> list[str]:
        """Which of ``names`` (single names, no ``/``) are files directly in this directory.

        What a lookup of a few candidate names costs on each backend: a stat per name on
        local disk, one listing of the directory elsewhere.
        """
        candidates = list(names)
        for name in candidates:
            if "/" in name or not is_safe_name(name):
                raise errors.UnsafePathError(f"not a single safe name: {name!r}")
        try:
            return self.backend.files_among(self.location, candidates)
        except Exception as exc:
            self.raise_for(exc, "list")

    def directory_stamp(self) -> Hashable | None:
        """A value that changes whenever an entry of this directory is added, removed or
        renamed, or None when the backend cannot vouch for one (then list again): lets a
        caller keep what a listing told while the stamp holds."""
        try:
            return self.backend.directory_stamp(self.location)
        except Exception as exc:
            self.raise_for(exc, "stat")
