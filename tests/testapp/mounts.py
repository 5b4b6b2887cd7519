"""Helpers of the Django tests: mount configurations of each kind, and the requests the moto
S3 server answered (from its own request log, whoever the client is)."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import S3Server

KINDS = ["local", "memory", pytest.param("s3", marks=pytest.mark.cloud)]
BUCKET = "django-tests"

_buckets_made: set[str] = set()
_lock = threading.Lock()


def s3_config(server: S3Server, **extra: Any) -> dict[str, Any]:
    """An S3 mount on a fresh prefix of the test bucket (made on first use)."""
    with _lock:
        if server.endpoint_url not in _buckets_made:
            import s3fs

            fs = s3fs.S3FileSystem(**server.storage_options)
            if not fs.exists(BUCKET):
                fs.mkdir(BUCKET)
            _buckets_made.add(server.endpoint_url)
    return {
        "type": "s3",
        "bucket": BUCKET,
        "prefix": f"t-{uuid.uuid4().hex[:12]}",
        "endpoint_url": server.endpoint_url,
        "key": server.key,
        "secret": server.secret,
        **extra,
    }


def mount_config(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, **extra: Any
) -> dict[str, Any]:
    """A fresh, empty mount of ``kind``: local (under tmp_path), memory or s3."""
    if kind == "local":
        root = tmp_path / f"local-{uuid.uuid4().hex[:8]}"
        root.mkdir()
        return {"type": "local", "path": str(root), "base_url": "/media/", **extra}
    if kind == "memory":
        return {"type": "memory", **extra}
    if kind == "s3":
        return s3_config(request.getfixturevalue("s3_server"), **extra)
    raise ValueError(kind)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REQUEST = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')


def answered(server: S3Server) -> list[tuple[str, str, int]]:
    """Every request the server answered: (method, path and query, status).

    Read from the server's own log; werkzeug styles the lines of non-200 answers with ANSI
    colour codes, stripped here.
    """
    assert server.log_path is not None
    text = _ANSI.sub("", server.log_path.read_text(errors="replace"))
    return [(m[1], m[2], int(m[3])) for m in _REQUEST.finditer(text)]


@contextmanager
def server_requests(server: S3Server) -> Iterator[list[tuple[str, str, int]]]:
    """The requests the moto server answered during the block (filled when it ends).

    werkzeug writes each line before it sends the response, so every request a call made
    is in the log once the call has returned.
    """
    before = len(answered(server))
    seen: list[tuple[str, str, int]] = []
    yield seen
    seen.extend(answered(server)[before:])
