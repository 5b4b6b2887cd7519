"""Read-only HTTP(S) mounts: the files under a base URL, through fsspec's HTTP filesystem.

HTTP has no metadata or listing API, so this backend decides by convention:

* ``stat`` is one HEAD. A path the server redirects to ``path/`` (what static file
  servers do for directories) is a directory; anything else that answers is a file.
* A directory lists the links of its index page that stay below it (``Apache``,
  ``nginx autoindex`` and Python's ``http.server`` pages work); each listed file
  costs one HEAD more, for its size. Servers without index pages list nothing.
* The MD5 comes from a ``Content-MD5`` or ``Digest: md5=`` header when the server
  sends one; else :meth:`StorageNode.md5hash` streams the file.
"""

from __future__ import annotations

import base64
import binascii
import errno
import posixpath
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import IO, Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

from ..capabilities import BackendCapabilities
from ..config import invalid
from ..listing import OnSkip
from .base import AtomicWriter, Backend, StatResult
from .fsspec_base import FsspecBackend
from .object_store import READ_BLOCK_SIZE

__all__ = ["HTTPBackend"]


class HTTPBackend(FsspecBackend):
    type_name = "http"
    required_keys = frozenset({"base_url"})
    optional_keys = frozenset({"options"})
    extra = "http"
    requires = ("aiohttp",)
    # Reads through GET and range requests; the URL of a file is the file on the server.
    declared_capabilities = BackendCapabilities.read_only(directories=False, public_urls=True)
    read_options: ClassVar[Mapping[str, Any]] = {
        "block_size": READ_BLOCK_SIZE,
        "cache_type": "readahead",
    }

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        base_url = options["base_url"]
        if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https"):
            raise invalid(options["name"], "base_url", "base_url must be an http(s) URL")
        if urlsplit(base_url).query or urlsplit(base_url).fragment:
            raise invalid(options["name"], "base_url", "base_url cannot hold '?' or '#'")
        if not isinstance(options.get("options", {}), Mapping):
            raise invalid(options["name"], "options", "options must be a dict")

    def create_filesystem(self) -> Any:
        from fsspec.implementations.http import HTTPFileSystem

        # encoded=True: locations are quoted here, once; aiohttp must not requote them.
        return HTTPFileSystem(encoded=True, **dict(self.options.get("options") or {}))

    def root_path(self) -> str:
        return str(self.options["base_url"]).rstrip("/")

    def locate(self, path: str) -> str:
        # Quote here so a literal '%', '?' or '#' in a name is never read as URL syntax.
        return quote(path)

    def relative(self, location: str) -> str:
        return unquote(location)

    def _strip(self, name: str) -> str:
        return name.removeprefix(self.root).strip("/")

    # -- metadata ----------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        if not location:
            return StatResult(name="", kind="directory")
        info = self.fs.info(location)
        final = str(info.get("url") or "")
        if final.endswith("/") and not location.endswith("/"):
            return StatResult(name=posixpath.basename(self.relative(location)), kind="directory")
        return self.to_stat(info, location)

    def exists(self, location: str) -> bool:
        return Backend.exists(self, location)

    def listdir(self, location: str) -> list[StatResult]:
        if not self.stat(location).is_dir:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", location)
        result = []
        for link in self._links(location):
            path = link.rstrip("/")
            if link.endswith("/"):
                name = posixpath.basename(self.relative(path))
                result.append(StatResult(name=name, kind="directory"))
            else:
                result.append(self.to_stat(self.fs.info(path), path))
        return result

    def _links(self, location: str) -> list[str]:
        """Locations linked from a directory's index page, directly below it."""
        start = f"{location}/" if location else ""
        found = []
        for entry in self.fs.ls(location, detail=False):
            path = self._strip(entry) + ("/" if entry.endswith("/") else "")
            inner = path[len(start) :].rstrip("/") if path.startswith(start) else ""
            # Sorting links ("?C=N;O=D") and anchors are not entries.
            if inner and "/" not in inner and "?" not in inner and "#" not in inner:
                found.append(path)
        return found

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        stack = [location]
        while stack:
            directory = stack.pop()
            try:
                entries = self.listdir(directory)
            except (FileNotFoundError, NotADirectoryError):  # a link to a page that is gone
                continue
            for entry in entries:
                child = self.join_location(directory, quote(entry.name))
                if entry.is_dir:
                    stack.append(child)
                else:
                    yield self.relative(child), entry

    def _mtime(self, info: Mapping[str, Any]) -> float | None:
        value = info.get("Last-Modified")
        if not value:
            return None
        try:
            return parsedate_to_datetime(str(value)).timestamp()
        except (TypeError, ValueError):
            return None

    def _etag(self, info: Mapping[str, Any]) -> str | None:
        value = info.get("ETag")
        return str(value).removeprefix("W/").strip('"') if value else None

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        encoded = info.get("Content-MD5")
        for part in str(info.get("Digest") or "").split(","):
            algorithm, _, value = part.strip().partition("=")
            if algorithm.lower() == "md5":
                encoded = value
        if not encoded:
            return None
        try:
            digest = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            return None
        return digest.hex() if len(digest) == 16 else None

    def _content_type(self, info: Mapping[str, Any]) -> str | None:
        value = info.get("mimetype")
        return str(value) if value else None

    # -- content -----------------------------------------------------------------
    def open_read(self, location: str) -> IO[bytes]:
        found = self.stat(location)
        if found.is_dir:
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        # The size from our HEAD spares the file its own.
        return self.fs.open(  # type: ignore[no-any-return]
            location, "rb", size=found.size, **self.read_options
        )

    def read_bytes(self, location: str) -> bytes:
        if self.stat(location).is_dir:
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        return super().read_bytes(location)

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        raise PermissionError(errno.EROFS, "http mounts are read-only", location)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        raise PermissionError(errno.EROFS, "http mounts are read-only", location)

    def remove_file(self, location: str) -> None:
        raise PermissionError(errno.EROFS, "http mounts are read-only", location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        raise PermissionError(errno.EROFS, "http mounts are read-only", location)

    def can_copy_within(self, other: Backend) -> bool:
        return False

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        return f"{self.root}/{location}"
