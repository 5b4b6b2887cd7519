"""``node.serve(environ, start_response)``: a file as a WSGI response, no framework needed.

What is sent is what :func:`.reply.plan_reply` decides (conditional requests, ranges,
``Content-Disposition``...), the same answer the Django file view gives. The body streams
in chunks; a whole local file goes through the server's ``wsgi.file_wrapper`` when it has
one (``sendfile``). A missing file or a directory is 404, a method other than GET and HEAD
405. Who may fetch which node is the caller's business: ``serve`` sends the node it is
called on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Any, cast

from .reply import plan_reply
from .streams import CHUNK_SIZE, Segment, SyncBody

if TYPE_CHECKING:
    from ..node import StorageNode

__all__ = ["NodeServing", "StartResponse", "WsgiBody", "serve_wsgi"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class NodeServing:
    """``serve`` of a ``StorageNode``."""

    __slots__ = ()

    def serve(
        self,
        environ: Mapping[str, Any],
        start_response: StartResponse,
        download: bool = False,
        download_name: str | None = None,
        cache_max_age: int | None = None,
    ) -> Iterable[bytes]:
        """Answer the WSGI request ``environ`` with this file (genro-storage's signature).

        ``download_name`` implies ``download`` (``Content-Disposition: attachment``);
        ``cache_max_age`` sends ``Cache-Control: max-age=<seconds>``.
        """
        return serve_wsgi(
            cast("StorageNode", self),  # NodeServing is mixed into StorageNode only
            environ,
            start_response,
            download=download or download_name is not None,
            filename=download_name,
            cache_control=None if cache_max_age is None else f"max-age={cache_max_age}",
        )


def serve_wsgi(
    node: StorageNode,
    environ: Mapping[str, Any],
    start_response: StartResponse,
    *,
    download: bool = False,
    filename: str | None = None,
    cache_control: str | None = None,
) -> Iterable[bytes]:
    """The WSGI response for ``node``; ``filename`` names a download (default: basename)."""
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return _plain(start_response, HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", "GET, HEAD")])
    stat = node.stat_or_none()
    if stat is None or not stat.is_file:
        return _plain(start_response, HTTPStatus.NOT_FOUND)
    reply = plan_reply(
        node,
        stat,
        environ,
        method,
        download=download,
        filename=filename,
        cache_control=cache_control,
    )
    status = f"{reply.status} {HTTPStatus(reply.status).phrase}"
    if reply.layout is None:
        # 304 has no body and must not announce one; 412 and 416 have an empty one.
        length = [] if reply.status == HTTPStatus.NOT_MODIFIED else [("Content-Length", "0")]
        start_response(status, [*reply.headers, *length])
        return [b""]
    start_response(status, reply.headers)
    if method == "HEAD":
        return [b""]
    wrapper = environ.get("wsgi.file_wrapper")
    local = node.backend.local_file(node.location) if reply.status == HTTPStatus.OK else None
    if wrapper is not None and local is not None:
        return cast("Iterable[bytes]", wrapper(open(local, "rb"), CHUNK_SIZE))
    return WsgiBody(lambda: node.open("rb"), reply.layout.segments)


class WsgiBody(SyncBody):
    """The streamed body, with ``len()``: how many chunks it yields (PEP 3333 lets a server
    ask), one per literal segment and one per started ``CHUNK_SIZE`` of each range."""

    def __init__(self, opener: Callable[[], IO[bytes]], segments: list[Segment]) -> None:
        super().__init__(opener, segments)
        self._chunks = sum(
            1 if isinstance(segment, bytes) else -(-segment.length // CHUNK_SIZE)
            for segment in segments
        )

    def __len__(self) -> int:
        return self._chunks


def _plain(
    start_response: StartResponse, status: HTTPStatus, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = status.phrase.encode("ascii")
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    start_response(f"{status.value} {status.phrase}", [*headers, *(extra or [])])
    return [body]
