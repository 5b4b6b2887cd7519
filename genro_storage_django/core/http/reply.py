"""What to answer a GET or HEAD of a file: status, headers and body layout, with no web
framework. The Django file view (``serving.responses.serve_node``) and the WSGI
``node.serve()`` both send what :func:`plan_reply` decides.

* conditional requests (:mod:`.conditional`): 304 with the validators, or 412;
* ``Range`` (:mod:`.ranges`), honoured only when ``If-Range`` passes: one range or several
  (``multipart/byteranges``) answer 206, none satisfiable 416 with ``bytes */size``;
* every answer that sends the file carries ``ETag``/``Last-Modified``, ``Accept-Ranges``,
  ``X-Content-Type-Options: nosniff``, the ``Cache-Control`` asked for and a
  ``Content-Disposition`` (``inline``, or ``attachment`` for a download).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .conditional import CONDITIONAL_HEADERS, if_range_passes, precondition_status
from .headers import content_disposition, content_type_of, entity_tag, http_date
from .ranges import RangeNotSatisfiable, parse_range_header
from .streams import Layout, layout_for

if TYPE_CHECKING:
    from ..backends.base import StatResult
    from ..node import StorageNode

__all__ = ["Reply", "file_headers", "plan_reply"]

_NOSNIFF = ("X-Content-Type-Options", "nosniff")


@dataclass(frozen=True)
class Reply:
    """An answer: ``layout`` is the body of a 200 or 206, None for 304, 412 and 416."""

    status: int
    headers: list[tuple[str, str]]
    layout: Layout | None = None


def plan_reply(
    node: StorageNode,
    stat: StatResult,
    environ: Mapping[str, Any],
    method: str,
    *,
    download: bool = False,
    filename: str | None = None,
    cache_control: str | None = None,
) -> Reply:
    """The answer to ``method`` (GET or HEAD) of the file ``node`` whose stat is ``stat``;
    ``environ`` holds the request headers under their WSGI names (``HTTP_RANGE``...)."""
    etag = entity_tag(stat.etag)
    last_modified = int(stat.mtime) if stat.mtime is not None else None
    validators = []
    if etag:
        validators.append(("ETag", etag))
    if last_modified is not None:
        validators.append(("Last-Modified", http_date(last_modified)))
    caching = [("Cache-Control", cache_control)] if cache_control else []

    if any(name in environ for name in CONDITIONAL_HEADERS):
        status = precondition_status(environ, method, etag, last_modified)
        if status == 304:
            # RFC 9110 15.4.5: a 304 carries the validators and Cache-Control a 200 would.
            return Reply(304, [*validators, *caching, _NOSNIFF])
        if status is not None:
            return Reply(status, [_NOSNIFF])

    common = file_headers(node, download=download, filename=filename, cache_control=cache_control)
    header = environ.get("HTTP_RANGE")
    if header and not if_range_passes(environ.get("HTTP_IF_RANGE"), etag, last_modified):
        header = None
    try:
        ranges = parse_range_header(header, stat.size)
    except RangeNotSatisfiable:
        return Reply(416, [("Content-Range", f"bytes */{stat.size}"), *validators, *common])
    layout = layout_for(ranges, stat.size, content_type_of(node, stat))
    headers = [
        ("Content-Type", layout.content_type),
        ("Content-Length", str(layout.content_length)),
    ]
    if layout.content_range:
        headers.append(("Content-Range", layout.content_range))
    return Reply(200 if ranges is None else 206, [*headers, *validators, *common], layout)


def file_headers(
    node: StorageNode,
    *,
    download: bool = False,
    filename: str | None = None,
    cache_control: str | None = None,
) -> list[tuple[str, str]]:
    """The headers of every answer that sends the file, whoever sends it (this process
    or, offloaded, the web server)."""
    headers = [("Accept-Ranges", "bytes"), _NOSNIFF]
    if cache_control:
        headers.append(("Cache-Control", cache_control))
    name = filename or node.basename or "download"
    headers.append(("Content-Disposition", content_disposition(download, name)))
    return headers
