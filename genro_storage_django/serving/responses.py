"""Build the HTTP response that sends a node: conditional, ranged, streamed or offloaded.

:func:`serve_node` is what the file view calls once a request is authorised; it
can be used from any view that has a node. It never holds a whole file in memory. What to
answer (304/412, 206 with one range or ``multipart/byteranges``, 416, the headers) is
decided by the core's :func:`~genro_storage_django.core.http.reply.plan_reply`, the same
decision ``node.serve()`` sends over plain WSGI; this module turns it into Django responses:

* whole local files under WSGI through ``FileResponse`` (so ``wsgi.file_wrapper``
  and sendfile apply); everything else through a streaming body, an async one
  under ASGI (see :mod:`genro_storage_django.core.http.streams`);
* offload to nginx (``X-Accel-Redirect``), Apache (``X-Sendfile``), or a
  redirect to a short-lived presigned URL on cloud mounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.core.handlers.asgi import ASGIRequest
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from ..core.http.headers import content_disposition, content_type_of, entity_tag
from ..core.http.reply import Reply, file_headers, plan_reply
from ..core.http.streams import CHUNK_SIZE, AsyncBody, Layout, SyncBody

if TYPE_CHECKING:
    from ..core import StatResult, StorageNode

__all__ = [
    "ServeOptions",
    "content_disposition",
    "content_type_of",
    "entity_tag",
    "serve_node",
]

#: Lifetime of the presigned URL a cloud mount redirects to.
REDIRECT_EXPIRES_IN = 60


@dataclass(frozen=True)
class ServeOptions:
    """How to send one file; the view fills it from the mount's settings and the URL."""

    download: bool = False
    filename: str | None = None
    cache_control: str | None = None
    offload: str | None = None  # "x-accel-redirect", "x-sendfile" or "redirect"
    offload_prefix: str = ""


def serve_node(
    request: HttpRequest,
    node: StorageNode,
    options: ServeOptions | None = None,
    stat: StatResult | None = None,
) -> HttpResponseBase:
    """The response for GET or HEAD of ``node`` (a file that exists)."""
    options = options or ServeOptions()
    stat = stat or node.stat()
    reply = plan_reply(
        node,
        stat,
        request.META,
        request.method or "GET",
        download=options.download,
        filename=options.filename,
        cache_control=options.cache_control,
    )
    if reply.status in (304, 412):
        return _headers_only(reply)
    # The web server answers Range itself: an offloaded file ignores the reply's ranges.
    offloaded = _offload(node, stat, options)
    if offloaded is not None:
        return offloaded
    if reply.layout is None:
        return _headers_only(reply)  # 416
    response = _body_response(request, node, reply.layout, whole=reply.status == 200)
    response.status_code = reply.status
    for name, value in reply.headers:
        response[name] = value
    return response


def _headers_only(reply: Reply) -> HttpResponseBase:
    response = (
        HttpResponseNotModified() if reply.status == 304 else HttpResponse(status=reply.status)
    )
    for name, value in reply.headers:
        response[name] = value
    return response


def _body_response(
    request: HttpRequest, node: StorageNode, layout: Layout, whole: bool
) -> HttpResponseBase:
    if request.method == "HEAD":
        return HttpResponse()
    if isinstance(request, ASGIRequest):
        return StreamingHttpResponse(
            AsyncBody(
                lambda: node.open("rb"), layout.segments, node.backend.async_source(node.location)
            )
        )
    local = _local_file(node) if whole else None
    if local is not None:
        # FileResponse hands the open file to wsgi.file_wrapper: the server can sendfile().
        # Unbuffered: the server sends from the descriptor, or reads CHUNK_SIZE blocks.
        return _LocalFileResponse(open(local, "rb", buffering=0), content_type=layout.content_type)
    return StreamingHttpResponse(SyncBody(lambda: node.open("rb"), layout.segments))


class _LocalFileResponse(FileResponse):
    """A FileResponse whose headers serve_node sets (no second type guess, no disposition of
    its own); read in chunks, not 4 KiB blocks, by servers without ``wsgi.file_wrapper``."""

    block_size = CHUNK_SIZE

    def set_headers(self, filelike: Any) -> None:
        pass


def _local_file(node: StorageNode) -> str | None:
    # The node's location was computed (and its safety checked) by the stat: reuse it.
    return node.backend.local_file(node.location)


def _offload(node: StorageNode, stat: StatResult, options: ServeOptions) -> HttpResponseBase | None:
    if options.offload is None:
        return None
    response: HttpResponseBase
    if options.offload == "redirect":
        if options.download:
            # A presigned URL carries no Content-Disposition: stream it ourselves instead.
            return None
        url = node.url(expires_in=REDIRECT_EXPIRES_IN)
        if url is None:
            return None
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    local = _local_file(node)
    if local is None:
        return None
    # The web server sends the bytes and answers Range itself; the headers set here
    # (type, disposition, caching) are kept on the response it sends.
    response = HttpResponse()
    response["Content-Type"] = content_type_of(node, stat)
    if options.offload == "x-accel-redirect":
        response["X-Accel-Redirect"] = options.offload_prefix.rstrip("/") + "/" + quote(node.path)
    else:
        # Percent-encoded: a header holds no raw UTF-8, and Apache's mod_xsendfile
        # unescapes the value (XSendFileUnescape, on by default).
        response["X-Sendfile"] = quote(local)
    for name, value in file_headers(
        node,
        download=options.download,
        filename=options.filename,
        cache_control=options.cache_control,
    ):
        response[name] = value
    return response
