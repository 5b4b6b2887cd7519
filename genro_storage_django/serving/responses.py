"""Build the HTTP response that sends a node: conditional, ranged, streamed or offloaded.

:func:`serve_node` is what the file view calls once a request is authorised; it
can be used from any view that has a node. It never holds a whole file in memory:

* RFC 9110 conditional requests through Django's ``get_conditional_response``
  (304 and 412), with ``If-Range`` evaluated here (Django leaves it out);
* single ranges (206), multiple ranges (206 ``multipart/byteranges``), and 416;
* whole local files under WSGI through ``FileResponse`` (so ``wsgi.file_wrapper``
  and sendfile apply); everything else through a streaming body, an async one
  under ASGI (see :mod:`genro_storage_django.serving.streams`);
* offload to nginx (``X-Accel-Redirect``), Apache (``X-Sendfile``), or a
  redirect to a short-lived presigned URL on cloud mounts.
"""

from __future__ import annotations

import functools
import mimetypes
import re
import unicodedata
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
from django.utils.http import http_date, parse_http_date_safe

from .ranges import RangeNotSatisfiable, parse_range_header
from .streams import CHUNK_SIZE, AsyncBody, SyncBody, layout_for

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

#: The request headers that make a request conditional (If-Range only matters with Range).
_CONDITIONAL_HEADERS = (
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)
#: An entity-tag's characters (RFC 9110 8.8.3: etagc, without obs-text), no quote and no "W/".
_ETAG_SAFE = re.compile(r"(?!W/)[\x21\x23-\x7e]+\Z")


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
    etag = entity_tag(stat.etag)
    last_modified = int(stat.mtime) if stat.mtime is not None else None
    meta = request.META
    if any(name in meta for name in _CONDITIONAL_HEADERS):
        validators = HttpResponse()
        _set_validators(validators, etag, last_modified)
        if options.cache_control:
            # Django's 304 copies Cache-Control (RFC 9110 15.4.5 asks for it) from here.
            validators["Cache-Control"] = options.cache_control
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=validators
        )
        if conditional is not None and conditional is not validators:
            conditional["X-Content-Type-Options"] = "nosniff"
            return conditional

    offloaded = _offload(node, stat, options)
    if offloaded is not None:
        return offloaded

    header = meta.get("HTTP_RANGE")
    if header and not _if_range_passes(meta.get("HTTP_IF_RANGE"), etag, last_modified):
        header = None
    try:
        ranges = parse_range_header(header, stat.size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{stat.size}"
        _set_validators(refused, etag, last_modified)
        _common_headers(refused, node, options)
        return refused

    layout = layout_for(ranges, stat.size, content_type_of(node, stat))
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
    _common_headers(response, node, options)
    return response


def _if_range_passes(condition: str | None, etag: str | None, last_modified: int | None) -> bool:
    """RFC 9110 13.1.5: serve the range only if the representation is the one asked for."""
    if not condition:
        return True
    if condition.startswith('"') or condition.startswith("W/"):
        # A strong comparison: weak tags never match.
        return etag is not None and condition == etag
    when = parse_http_date_safe(condition)
    return when is not None and last_modified is not None and when == last_modified


#: What a compressed file is served as: its own type would tell the browser to unpack it.
_ENCODED_TYPES = {
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip",
    "compress": "application/x-compress",
    "gzip": "application/gzip",
    "xz": "application/x-xz",
}


def content_type_of(node: StorageNode, stat: StatResult | None = None) -> str:
    """The ``Content-Type`` of a node: from its name, else from the backend's metadata.

    ``x.tar.gz`` is ``application/gzip``, not ``application/x-tar``: the bytes are
    compressed and no ``Content-Encoding`` is sent. Text types get ``charset=utf-8``.
    """
    content_type = _type_of_name(node.basename)
    if content_type == "application/octet-stream" and stat is not None and stat.content_type:
        content_type = _with_charset(stat.content_type)
    return content_type


@functools.lru_cache(maxsize=1024)
def _type_of_name(name: str) -> str:
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding:
        return _ENCODED_TYPES.get(encoding, "application/octet-stream")
    return _with_charset(guessed or "application/octet-stream")


def _with_charset(content_type: str) -> str:
    if content_type.startswith("text/") and "charset" not in content_type:
        return content_type + "; charset=utf-8"
    return content_type


def entity_tag(tag: str | None) -> str | None:
    """The backend's version tag as a strong HTTP entity-tag (quoted, header-safe)."""
    if not tag:
        return None
    if _ETAG_SAFE.match(tag):
        return f'"{tag}"'
    cleaned = "".join(ch for ch in tag.removeprefix("W/").strip('"') if 0x21 <= ord(ch) <= 0x7E)
    cleaned = cleaned.replace('"', "")
    return f'"{cleaned}"' if cleaned else None


@functools.lru_cache(maxsize=1024)
def content_disposition(download: bool, filename: str) -> str:
    """RFC 6266: ``filename*`` (UTF-8, percent-encoded) with an ASCII ``filename`` fallback.

    ``attachment`` for a download, else ``inline``. The fallback keeps printable ASCII,
    drops accents (``é`` -> ``e``) and replaces anything else with ``_``, so neither
    parameter can carry a quote, a backslash or a line break into the header.
    """
    kind = "attachment" if download else "inline"
    fallback = _ascii_filename(filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _ascii_filename(filename: str) -> str:
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", filename):
        if unicodedata.combining(char):
            continue  # the accent of a decomposed letter
        kept.append(char if " " <= char <= "~" and char not in '"\\' else "_")
    return "".join(kept).strip() or "download"


def _set_validators(
    response: HttpResponseBase, etag: str | None, last_modified: int | None
) -> None:
    if etag:
        response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = _http_date(last_modified)


@functools.lru_cache(maxsize=1024)
def _http_date(timestamp: int) -> str:
    return http_date(timestamp)


def _common_headers(response: HttpResponseBase, node: StorageNode, options: ServeOptions) -> None:
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    if options.cache_control:
        response["Cache-Control"] = options.cache_control
    response["Content-Disposition"] = content_disposition(
        options.download, options.filename or node.basename or "download"
    )
