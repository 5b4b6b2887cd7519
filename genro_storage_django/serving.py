"""Build the HTTP response that sends a node: conditional, ranged, streamed or offloaded.

:func:`serve_node` is what the file view calls once a request is authorised; it
can be used from any view that has a node. It never holds a whole file in memory:

* RFC 9110 conditional requests through Django's ``get_conditional_response``
  (304 and 412), with ``If-Range`` evaluated here (Django leaves it out);
* single ranges (206), multiple ranges (206 ``multipart/byteranges``), and 416;
* whole local files under WSGI through ``FileResponse`` (so ``wsgi.file_wrapper``
  and sendfile apply); everything else through a streaming body, an async one
  under ASGI (see :mod:`genro_storage_django.streams`);
* offload to nginx (``X-Accel-Redirect``), Apache/lighttpd (``X-Sendfile``), or a
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
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

from .ranges import RangeNotSatisfiable, parse_range_header
from .streams import AsyncBody, SyncBody, layout_for

if TYPE_CHECKING:
    from .core import StatResult, StorageNode

__all__ = ["ServeOptions", "serve_node"]

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
    etag = f'"{stat.etag}"' if stat.etag else None
    last_modified = int(stat.mtime) if stat.mtime is not None else None
    validators = HttpResponse()
    _set_validators(validators, etag, last_modified)
    conditional = get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=validators
    )
    if conditional is not None and conditional is not validators:
        _common_headers(conditional, node, options)
        return conditional

    offloaded = _offload(node, options)
    if offloaded is not None:
        _set_validators(offloaded, etag, last_modified)
        return offloaded

    header = request.headers.get("Range") if request.method in ("GET", "HEAD") else None
    if header and not _if_range_passes(request, etag, last_modified):
        header = None
    try:
        ranges = parse_range_header(header, stat.size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{stat.size}"
        _set_validators(refused, etag, last_modified)
        _common_headers(refused, node, options)
        return refused

    layout = layout_for(ranges, stat.size, _content_type(node, stat))
    response = _body_response(request, node, layout, whole=ranges is None)
    response.status_code = 200 if ranges is None else 206
    response["Content-Type"] = layout.content_type
    response["Content-Length"] = str(layout.content_length)
    if layout.content_range:
        response["Content-Range"] = layout.content_range
    _set_validators(response, etag, last_modified)
    _common_headers(response, node, options)
    return response


def _body_response(
    request: HttpRequest, node: StorageNode, layout: Any, whole: bool
) -> HttpResponseBase:
    if request.method == "HEAD":
        return HttpResponse()
    if isinstance(request, ASGIRequest):
        return StreamingHttpResponse(
            AsyncBody(lambda: node.open("rb"), layout.segments, _async_source(node))
        )
    local = node.backend.local_file(node.backend.locate(node.path))
    if whole and local is not None:
        # FileResponse hands the open file to wsgi.file_wrapper: the server can sendfile().
        return FileResponse(open(local, "rb"))
    return StreamingHttpResponse(SyncBody(lambda: node.open("rb"), layout.segments))


def _async_source(node: StorageNode) -> tuple[Any, str] | None:
    source = getattr(node.backend, "async_source", None)
    return source(node.backend.locate(node.path)) if callable(source) else None


def _offload(node: StorageNode, options: ServeOptions) -> HttpResponseBase | None:
    if options.offload is None:
        return None
    response: HttpResponseBase
    if options.offload == "redirect":
        url = node.url(expires_in=REDIRECT_EXPIRES_IN)
        if url is None:
            return None
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    local = node.backend.local_file(node.backend.locate(node.path))
    if local is None:
        return None
    response = HttpResponse()
    response["Content-Type"] = _content_type(node, None)
    if options.offload == "x-accel-redirect":
        response["X-Accel-Redirect"] = options.offload_prefix.rstrip("/") + "/" + quote(node.path)
    else:
        response["X-Sendfile"] = local
    _common_headers(response, node, options)
    return response


def _if_range_passes(request: HttpRequest, etag: str | None, last_modified: int | None) -> bool:
    """RFC 9110 13.1.5: serve the range only if the representation is the one asked for."""
    condition = request.headers.get("If-Range")
    if not condition:
        return True
    if condition.startswith('"') or condition.startswith("W/"):
        # A strong comparison: weak tags never match.
        return etag is not None and condition == etag
    when = parse_http_date_safe(condition)
    return when is not None and last_modified is not None and when == last_modified


def _content_type(node: StorageNode, stat: StatResult | None) -> str:
    content_type = node.mimetype
    if content_type == "application/octet-stream" and stat and stat.content_type:
        content_type = stat.content_type
    if content_type.startswith("text/") and "charset" not in content_type:
        content_type += "; charset=utf-8"
    return content_type


def _set_validators(
    response: HttpResponseBase, etag: str | None, last_modified: int | None
) -> None:
    if etag:
        response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)


def _common_headers(response: HttpResponseBase, node: StorageNode, options: ServeOptions) -> None:
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    if options.cache_control:
        response["Cache-Control"] = options.cache_control
    disposition = content_disposition_header(
        options.download, options.filename or node.basename or "download"
    )
    if disposition:
        response["Content-Disposition"] = disposition
