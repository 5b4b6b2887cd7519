"""An HTTP relay in front of an emulator that refuses chosen requests, in a thread (and
:func:`serving_in_thread`, which runs it and the tests' other small HTTP servers).

Plays the S3-compatible servers and restricted accounts the emulators cannot: a server
that answers 400 to botocore's checksum headers, a key that may read objects but not ask
about its bucket. Every request it sees is recorded (method, path, header names).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.support.server_process import HOST

__all__ = ["Relay", "Seen", "running_relay", "serving_in_thread"]

_HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive"}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: frozenset[str]  # lower-case names


#: Decides a request's fate: None relays it, else the (status, XML body) to answer.
Refusal = Callable[[Seen], tuple[int, bytes] | None]


@dataclass
class Relay:
    endpoint_url: str
    seen: list[Seen] = field(default_factory=list)


def _handler(upstream: str, refuse: Refusal, relay: Relay) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, frozenset(n.lower() for n in self.headers))
            relay.seen.append(seen)
            refused = refuse(seen)
            if refused is not None:
                status, text = refused
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(text)
                return
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                upstream_answer = connection.getresponse()
                data = upstream_answer.read()
            finally:
                connection.close()
            self.send_response(upstream_answer.status)
            for name, value in upstream_answer.getheaders():
                # A HEAD's Content-Length is the object's size: kept as the server sent it.
                if name.lower() not in _HOP_BY_HOP and (
                    self.command == "HEAD" or name.lower() != "content-length"
                ):
                    self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = answer

    return Handler


@contextmanager
def serving_in_thread(handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[str]:
    """A threaded HTTP server of ``handler`` on a free port, for the block: its base URL."""
    server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def running_relay(upstream: str, refuse: Refusal) -> Iterator[Relay]:
    relay = Relay(endpoint_url="")
    with serving_in_thread(_handler(upstream, refuse, relay), "relay") as base_url:
        relay.endpoint_url = base_url
        yield relay
