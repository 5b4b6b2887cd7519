"""A composite mount that exists only in the tests: nothing in the package names it.

``FirstOfBackend`` (type ``first-of``) builds on several parent mounts: it reads a
path from the first parent that holds it and writes to the first parent. The
composite tests and the conformance suite (kind ``first-of-<kind>``) use it to show
that the manager and the transfer engine handle any composite, not just ``relative``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import IO, Any

from genro_storage_django.core import (
    AtomicWriter,
    Backend,
    BackendCapabilities,
    CompositeBackend,
    StatResult,
)
from genro_storage_django.core.config import invalid
from genro_storage_django.core.paths import normalize

__all__ = ["FirstOfBackend"]


class FirstOfBackend(CompositeBackend):
    type_name = "first-of"
    required_keys = frozenset({"parents"})

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        parents = options["parents"]
        if not (isinstance(parents, list) and parents and all(isinstance(p, str) for p in parents)):
            raise invalid(options["name"], "parents", "parents must be a list of mount names")

    @classmethod
    def parent_names(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(options["parents"])

    @property
    def capabilities(self) -> BackendCapabilities:
        # The first parent's, less what this mount does not pass on to it (times, local
        # paths, URLs, uploads): the conformance suite checks every flag on it.
        first = self.parent_backend(self.parent_mounts[0]).capabilities
        return dataclasses.replace(
            first,
            keeps_mtime=False,
            local_files=False,
            symbolic_links=False,
            presigned_urls=False,
            public_urls=False,
            presigned_uploads=False,
        )

    def resolve_location(self, location: str) -> tuple[Backend, str]:
        parents = [self.parent_backend(name) for name in self.parent_mounts]
        for parent in parents:
            inner = parent.locate(location)
            if parent.exists(inner):
                return parent.resolve_location(inner)
        return parents[0], parents[0].locate(location)

    def locate(self, path: str) -> str:
        return normalize(path)

    def relative(self, location: str) -> str:
        return location

    def stat(self, location: str) -> StatResult:
        holder, inner = self.resolve_location(location)
        return holder.stat(inner)

    def listdir(self, location: str) -> list[StatResult]:
        merged: dict[str, StatResult] = {}
        for name in reversed(self.parent_mounts):
            parent = self.parent_backend(name)
            inner = parent.locate(location)
            if parent.exists(inner):
                merged.update({entry.name: entry for entry in parent.listdir(inner)})
        if not merged and not self.exists(location):
            raise FileNotFoundError(location)
        return sorted(merged.values(), key=lambda entry: entry.name)

    def open_read(self, location: str) -> IO[bytes]:
        holder, inner = self.resolve_location(location)
        return holder.open_read(inner)

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        holder, inner = self._first(location)
        return holder.open_writer(inner, exclusive=exclusive)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        holder, inner = self._first(location)
        holder.mkdir(inner, parents=parents, exist_ok=exist_ok)

    def remove_file(self, location: str) -> None:
        holder, inner = self.resolve_location(location)
        holder.remove_file(inner)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        holder, inner = self.resolve_location(location)
        holder.remove_dir(inner, recursive=recursive)

    def _first(self, location: str) -> tuple[Backend, str]:
        first = self.parent_backend(self.parent_mounts[0])
        return first, first.locate(location)
