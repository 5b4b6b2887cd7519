"""Response bodies that stream a node's bytes: whole, one range, or multipart/byteranges.

A body is a list of *segments*: literal bytes (multipart part headers) or byte
ranges of the file. :class:`SyncBody` iterates them for WSGI. Under ASGI Django
reads a synchronous iterator to the end before sending anything, so
:class:`AsyncBody` is an async iterator: it reads through the backend's async
filesystem when there is one (S3, GCS, Azure) and otherwise hands each chunk
read to a worker thread, one chunk at a time, so memory stays at one chunk per
download whatever the file size.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from .ranges import ByteRange

__all__ = ["CHUNK_SIZE", "AsyncBody", "Layout", "Segment", "SyncBody", "layout_for"]

CHUNK_SIZE = 256 * 1024
Segment = bytes | ByteRange


@dataclass(frozen=True)
class Layout:
    """What a response body holds and its headers' view of it."""

    segments: list[Segment]
    content_length: int
    content_type: str
    content_range: str | None = None


def layout_for(ranges: list[ByteRange] | None, size: int, content_type: str) -> Layout:
    """The body layout: whole file, one range, or ``multipart/byteranges``."""
    if ranges is None:
        return Layout([ByteRange(0, size - 1)] if size else [], size, content_type)
    if len(ranges) == 1:
        only = ranges[0]
        return Layout([only], only.length, content_type, only.content_range(size))
    boundary = secrets.token_hex(16)
    segments: list[Segment] = []
    for index, part in enumerate(ranges):
        separator = "" if index == 0 else "\r\n"
        head = (
            f"{separator}--{boundary}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Range: {part.content_range(size)}\r\n\r\n"
        )
        segments += [head.encode("latin-1"), part]
    segments.append(f"\r\n--{boundary}--\r\n".encode("latin-1"))
    length = sum(len(s) if isinstance(s, bytes) else s.length for s in segments)
    return Layout(segments, length, f"multipart/byteranges; boundary={boundary}")


class SyncBody:
    """Iterates the segments, opening the file on first use and closing it at the end."""

    def __init__(self, opener: Callable[[], IO[bytes]], segments: list[Segment]) -> None:
        self._opener = opener
        self._segments = segments
        self._stream: IO[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        for segment in self._segments:
            if isinstance(segment, bytes):
                yield segment
                continue
            if self._stream is None:
                self._stream = self._opener()
            self._stream.seek(segment.start)
            remaining = segment.length
            while remaining > 0:
                data = self._stream.read(min(CHUNK_SIZE, remaining))
                if not data:
                    return  # the file shrank while being sent: stop short
                remaining -= len(data)
                yield data
        self.close()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class AsyncBody:
    """The async twin of :class:`SyncBody`, for ASGI servers.

    ``async_source`` is ``(filesystem, path)`` of an fsspec async filesystem, read
    with ranged requests on fsspec's own event loop; without it every chunk is
    read by ``opener()``'s stream in a worker thread.
    """

    def __init__(
        self,
        opener: Callable[[], IO[bytes]],
        segments: list[Segment],
        async_source: tuple[Any, str] | None = None,
    ) -> None:
        self._opener = opener
        self._segments = segments
        self._async_source = async_source

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._async_source is not None:
            async for chunk in self._from_async_fs(*self._async_source):
                yield chunk
            return
        stream: IO[bytes] | None = None
        try:
            for segment in self._segments:
                if isinstance(segment, bytes):
                    yield segment
                    continue
                if stream is None:
                    stream = await asyncio.to_thread(self._opener)
                await asyncio.to_thread(stream.seek, segment.start)
                remaining = segment.length
                while remaining > 0:
                    data = await asyncio.to_thread(stream.read, min(CHUNK_SIZE, remaining))
                    if not data:
                        return
                    remaining -= len(data)
                    yield data
        finally:
            if stream is not None:
                await asyncio.to_thread(stream.close)

    async def _from_async_fs(self, fs: Any, path: str) -> AsyncIterator[bytes]:
        for segment in self._segments:
            if isinstance(segment, bytes):
                yield segment
                continue
            position, end = segment.start, segment.end + 1
            while position < end:
                stop = min(position + CHUNK_SIZE * 4, end)
                # fsspec's async filesystems live on fsspec's own loop thread: run the
                # coroutine there and await its result here without blocking a thread.
                future = asyncio.run_coroutine_threadsafe(
                    # fsspec names the coroutine methods of async filesystems with a "_".
                    fs._cat_file(path, start=position, end=stop),  # noqa: SLF001
                    fs.loop,
                )
                data = await asyncio.wrap_future(future)
                if not data:
                    return
                position += len(data)
                yield data
