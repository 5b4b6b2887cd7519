"""genro-storage's conveniences on a :class:`~genro_storage_django.core.StorageNode`: the
extension without its dot, the ``(mtime, size, isdir)`` tuple, the disk path of a local
file, the application URL, data URIs, and filling a file from a URL.

A mixin of ``StorageNode`` that uses the node's public interface only.
"""

from __future__ import annotations

import base64
import http.client
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, cast

from .errors import (
    InvalidURLError,
    NotAFileError,
    StorageError,
    StorageUnavailableError,
    TransferError,
)
from .modes import CHUNK_SIZE

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["NodeExtras"]


class NodeExtras:
    """Small helpers genro-storage users call on nodes."""

    __slots__ = ()

    @property
    def _node(self) -> StorageNode:
        return cast("StorageNode", self)  # NodeExtras is mixed into StorageNode only

    @property
    def ext(self) -> str:
        """The extension without its dot (``"pdf"``), ``""`` when there is none."""
        return self._node.suffix[1:]

    def splitext(self) -> tuple[str, str]:
        """``(path without the extension, extension with its dot)``, as ``os.path.splitext``
        of the mount-relative path: ``("docs/report", ".pdf")``."""
        node = self._node
        return (node.path[: -len(node.suffix)], node.suffix) if node.suffix else (node.path, "")

    @property
    def ext_attributes(self) -> tuple[float | None, int | None, bool]:
        """``(mtime, size, is_dir)`` from one stat: ``(None, None, False)`` when nothing is
        there, and a ``None`` size for a directory."""
        found = self._node.stat_or_none()
        if found is None:
            return None, None, False
        return found.mtime, None if found.is_dir else found.size, found.is_dir

    @property
    def resolved_path(self) -> str | None:
        """The absolute disk path on local mounts (the file need not exist yet), else None.

        For a path to give an external tool on any mount, use ``local_path()``."""
        node = self._node
        return node.backend.local_file(node.location)

    def internal_url(self, nocache: bool = False) -> str | None:
        """The file's URL under the mount's ``base_url`` (local and http mounts), else
        None. ``nocache=True`` adds ``?mtime=<seconds>``, so that browsers fetch a changed
        file again rather than their cached copy."""
        node = self._node
        if "base_url" not in node.mount.config:
            return None
        url = node.url()
        if url is None or not nocache:
            return url
        mtime = node.stat().mtime
        return url if mtime is None else f"{url}?mtime={int(mtime)}"

    def to_base64(self, mime: str | None = None, include_uri: bool = True) -> str:
        """The content in base64: a ``data:`` URI by default (``mime`` guessed from the
        name unless given), the bare base64 text with ``include_uri=False``."""
        node = self._node
        if node.stat().is_dir:
            raise NotAFileError(f"Cannot encode directory {node.fullpath} as base64")
        encoded = base64.b64encode(node.read_bytes()).decode("ascii")
        if not include_uri:
            return encoded
        return f"data:{mime or node.mimetype};base64,{encoded}"

    def fill_from_url(self, url: str, timeout: float = 30) -> None:
        """Download ``url`` (``http://`` or ``https://``) into this file, streamed and
        atomic: a failed download leaves the previous content in place."""
        node = self._node
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidURLError(
                f"Invalid URL {url!r} for {node.fullpath}: only http:// and https:// are fetched"
            )
        node.require("write")  # refused before anything is downloaded
        where = f"Failed to download {_without_query(url)} into {node.fullpath}"
        try:
            with (
                urllib.request.urlopen(url, timeout=timeout) as response,
                node.open("wb") as target,
            ):
                # A response is a buffered stream: a read shorter than asked is its end...
                while chunk := response.read(CHUNK_SIZE):
                    target.write(chunk)
                    if len(chunk) < CHUNK_SIZE:
                        break
                # ...or the connection's, before the announced length (which reads of a
                # given size do not raise for): then the write is dropped.
                missing = response.length
                if isinstance(missing, int) and missing > 0:
                    raise http.client.IncompleteRead(b"", missing)
        except urllib.error.HTTPError as exc:
            raise TransferError(f"{where}: HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise StorageUnavailableError(f"{where}: {exc.reason}") from exc
        except StorageError:
            raise  # the write's own errors (permissions...) as they are
        except (OSError, http.client.HTTPException) as exc:
            # The connection broke, or timed out, once the answer had started.
            raise StorageUnavailableError(f"{where}: {type(exc).__name__}") from exc


def _without_query(url: str) -> str:
    """``url`` for a message: a query string may hold a token, so it is left out."""
    return url.split("?", 1)[0]
