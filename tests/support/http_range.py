"""The static file server of the ``http_server`` fixture: Python's http.server plus single
``Range: bytes=`` requests (206/416), as fsspec's HTTPFileSystem sends them."""

from __future__ import annotations

import os
import re
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO

_UNSATISFIABLE = (-1, -1)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as inclusive (first, last); None to ignore the header (RFC 9110
    allows ignoring malformed or multi-part ranges); _UNSATISFIABLE for a 416."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or not (match[1] or match[2]):
        return None
    if match[1]:
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        if last < first:
            return None
        if first >= size:
            return _UNSATISFIABLE
        return first, (min(last, size - 1) if match[2] else size - 1)
    suffix = int(match[2])  # "bytes=-N": the last N bytes
    if suffix == 0 or size == 0:
        return _UNSATISFIABLE
    return max(size - suffix, 0), size - 1


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus single ``Range: bytes=`` requests (206/416), as fsspec's
    HTTPFileSystem sends them for ``cat_file(start=, end=)`` and random-access reads.
    HTTP/1.0 (the default) closes each connection, so no handler thread outlives its request.
    """

    timeout = 30  # a client that connects and sends nothing cannot block the teardown
    _remaining: int | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one stderr line per request otherwise

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self) -> Any:
        self._remaining = None
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if header is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        span = parse_range(header, size)
        if span is None:
            return super().send_head()
        if span == _UNSATISFIABLE:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        first, last = span
        source = open(path, "rb")  # noqa: SIM115 - closed by the caller, as in the base class
        source.seek(first)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        self._remaining = last - first + 1
        return source

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        if self._remaining is None:
            super().copyfile(source, outputfile)
            return
        while self._remaining > 0:
            chunk = source.read(min(self._remaining, 1 << 16))
            if not chunk:
                break
            outputfile.write(chunk)
            self._remaining -= len(chunk)


class JoiningHTTPServer(ThreadingHTTPServer):
    # Non-daemon handler threads, joined by server_close(): nothing survives the session.
    daemon_threads = False
    block_on_close = True
