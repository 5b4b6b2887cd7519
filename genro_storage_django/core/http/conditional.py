"""Conditional requests (RFC 9110 13): which answer the validators of a file call for.

The rules are the RFC's, in its order (13.2.2), and the ones Django's
``get_conditional_response`` applies: ``If-Match`` (strong comparison) then, without it,
``If-Unmodified-Since`` may fail with 412; ``If-None-Match`` (weak comparison) then,
without it, ``If-Modified-Since`` may answer 304 to a GET or HEAD (412 to other methods).
``If-Range`` decides whether a ``Range`` applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .headers import parse_http_date

__all__ = ["CONDITIONAL_HEADERS", "if_range_passes", "parse_etags", "precondition_status"]

#: The request headers (WSGI names) that make a request conditional; If-Range goes with Range.
CONDITIONAL_HEADERS = (
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)
_ETAG = re.compile(r'\A((?:W/)?"[^"]*")\Z')
_SAFE_METHODS = ("GET", "HEAD")


def parse_etags(header: str) -> list[str]:
    """The entity-tags of an ``If-Match``/``If-None-Match`` value (``["*"]`` for ``*``);
    malformed ones are left out."""
    if header.strip() == "*":
        return ["*"]
    found = (_ETAG.match(part.strip()) for part in header.split(","))
    return [match[1] for match in found if match]


def precondition_status(
    environ: Mapping[str, Any], method: str, etag: str | None, last_modified: int | None
) -> int | None:
    """304 or 412 when the request's preconditions call for it, else None (send the file)."""
    if_match = parse_etags(environ.get("HTTP_IF_MATCH", ""))
    if if_match:
        if not _strong_match(etag, if_match):
            return 412
    else:
        unmodified_since = parse_http_date(environ.get("HTTP_IF_UNMODIFIED_SINCE"))
        if unmodified_since is not None and not (
            last_modified is not None and last_modified <= unmodified_since
        ):
            return 412
    if_none_match = parse_etags(environ.get("HTTP_IF_NONE_MATCH", ""))
    if if_none_match:
        if _weak_match(etag, if_none_match):
            return 304 if method in _SAFE_METHODS else 412
    elif method in _SAFE_METHODS:
        modified_since = parse_http_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        if (
            modified_since is not None
            and last_modified is not None
            and last_modified <= modified_since
        ):
            return 304
    return None


def _strong_match(etag: str | None, tags: list[str]) -> bool:
    if not etag:
        return False  # no current representation's tag: nothing can match, not even "*"
    if tags == ["*"]:
        return True
    return not etag.startswith("W/") and etag in tags


def _weak_match(etag: str | None, tags: list[str]) -> bool:
    if not etag:
        return False
    if tags == ["*"]:
        return True
    return etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in tags}


def if_range_passes(condition: str | None, etag: str | None, last_modified: int | None) -> bool:
    """RFC 9110 13.1.5: serve the range only if the representation is the one asked for."""
    if not condition:
        return True
    if condition.startswith('"') or condition.startswith("W/"):
        # A strong comparison: weak tags never match.
        return etag is not None and condition == etag
    when = parse_http_date(condition)
    return when is not None and last_modified is not None and when == last_modified
