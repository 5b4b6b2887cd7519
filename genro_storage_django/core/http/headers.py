"""The header values of a file response: ``Content-Type``, ``ETag``, ``Content-Disposition``
and HTTP dates, with no web framework.
"""

from __future__ import annotations

import functools
import mimetypes
import re
import unicodedata
from email.utils import formatdate, mktime_tz, parsedate_tz
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from ..backends.base import StatResult
    from ..node import StorageNode

__all__ = [
    "content_disposition",
    "content_type_of",
    "entity_tag",
    "http_date",
    "parse_http_date",
]

#: An entity-tag's characters (RFC 9110 8.8.3: etagc, without obs-text), no quote and no "W/".
_ETAG_SAFE = re.compile(r"(?!W/)[\x21\x23-\x7e]+\Z")

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


@functools.lru_cache(maxsize=1024)
def http_date(timestamp: int) -> str:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` (RFC 9110 5.6.7)."""
    return formatdate(timestamp, usegmt=True)


def parse_http_date(value: str | None) -> int | None:
    """The epoch seconds of an HTTP date in any of its three forms, or None when it is not one."""
    if not value:
        return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return mktime_tz(parsed)
    except (OverflowError, ValueError):
        return None
