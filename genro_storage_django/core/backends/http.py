"""Read-only HTTP(S) mounts: files under a base URL, read through fsspec's HTTP filesystem."""

from __future__ import annotations

import errno
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ..config import invalid
from .base import AtomicWriter
from .fsspec_base import FsspecBackend

__all__ = ["HTTPBackend"]


class HTTPBackend(FsspecBackend):
    type_name = "http"
    required_keys = frozenset({"base_url"})
    extra = "http"
    requires = ("aiohttp",)
    read_only = True
    has_directories = False

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        base_url = options["base_url"]
        if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https"):
            raise invalid(options["name"], "base_url", "base_url must be an http(s) URL")

    def create_filesystem(self) -> Any:
        from fsspec.implementations.http import HTTPFileSystem

        return HTTPFileSystem()

    def root_path(self) -> str:
        return str(self.options["base_url"]).rstrip("/")

    def locate(self, path: str) -> str:
        # Quote here so a literal '%' or '?' in a name is never read as URL syntax.
        return quote(path)

    def relative(self, location: str) -> str:
        return unquote(location)

    def _strip(self, name: str) -> str:
        return name.removeprefix(self.root).strip("/")

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        raise PermissionError(errno.EROFS, "http mounts are read-only", location)

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        return f"{self.root}/{location}"
