"""Range header parsing and body layouts (no HTTP: the view tests cover the wire)."""

from __future__ import annotations

import asyncio
import io

import pytest

from genro_storage_django.core.http.ranges import (
    MAX_RANGES,
    ByteRange,
    RangeNotSatisfiable,
    parse_range_header,
)
from genro_storage_django.core.http.streams import AsyncBody, SyncBody, layout_for


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", [(0, 99)]),
        ("bytes=100-", [(100, 999)]),
        ("bytes=-100", [(900, 999)]),
        ("bytes=-5000", [(0, 999)]),
        ("bytes=990-5000", [(990, 999)]),
        ("BYTES = 0-0", [(0, 0)]),
        ("bytes=0-9, 500-509", [(0, 9), (500, 509)]),
        ("bytes=500-509,0-9", [(0, 9), (500, 509)]),
        ("bytes=0-99,50-150", [(0, 150)]),
        ("bytes=0-9,20-29", [(0, 29)]),  # a gap smaller than a part header is merged
        ("bytes=0-9,2000-3000", [(0, 9)]),  # unsatisfiable specs are dropped
    ],
)
def test_satisfiable_ranges(header: str, expected: list[tuple[int, int]]) -> None:
    ranges = parse_range_header(header, 1000)
    assert ranges is not None
    assert [(r.start, r.end) for r in ranges] == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes",
        "items=0-9",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=9-5",
        "bytes=0-9,x",
        "bytes=0-9;1-2",
        "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES + 1)),
    ],
)
def test_invalid_headers_are_ignored(header: str | None) -> None:
    assert parse_range_header(header, 1000) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=0-"])
def test_unsatisfiable(header: str) -> None:
    size = 0 if header == "bytes=0-" else 1000
    with pytest.raises(RangeNotSatisfiable):
        parse_range_header(header, size)


HUGE = "9" * 5000  # past int()'s 4,300-digit limit


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"bytes=0-{HUGE}", [(0, 999)]),  # a huge last byte: to the end
        (f"bytes=-{HUGE}", [(0, 999)]),  # a huge suffix: the whole file
        (f"bytes=10-{'0' * 5000}20", [(10, 20)]),  # leading zeros do not make a number big
        (f"bytes={HUGE}-,0-9", [(0, 9)]),  # a huge first byte is past the end: dropped
    ],
)
def test_huge_numbers(header: str, expected: list[tuple[int, int]]) -> None:
    ranges = parse_range_header(header, 1000)
    assert ranges is not None
    assert [(r.start, r.end) for r in ranges] == expected


def test_huge_numbers_unsatisfiable_or_ignored() -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range_header(f"bytes={HUGE}-", 1000)
    assert parse_range_header(f"bytes={HUGE}-5", 1000) is None  # last < first: a syntax error
    assert parse_range_header("bytes=\u0661-\u0662", 1000) is None  # only ASCII digits


def test_byte_range_helpers() -> None:
    part = ByteRange(10, 19)
    assert part.length == 10
    assert part.content_range(100) == "bytes 10-19/100"


DATA = bytes(range(256)) * 8  # 2048 bytes


def opener() -> io.BytesIO:
    return io.BytesIO(DATA)


def test_whole_and_single_range_layouts() -> None:
    whole = layout_for(None, len(DATA), "text/plain")
    assert whole.content_length == len(DATA)
    assert whole.content_range is None
    assert b"".join(SyncBody(opener, whole.segments)) == DATA
    empty = layout_for(None, 0, "text/plain")
    assert empty.segments == []
    assert b"".join(SyncBody(opener, empty.segments)) == b""
    single = layout_for([ByteRange(100, 199)], len(DATA), "text/plain")
    assert single.content_range == "bytes 100-199/2048"
    assert b"".join(SyncBody(opener, single.segments)) == DATA[100:200]


def test_multipart_layout_is_well_formed() -> None:
    layout = layout_for([ByteRange(0, 9), ByteRange(1000, 1099)], len(DATA), "image/png")
    boundary = layout.content_type.split("boundary=")[1]
    body = b"".join(SyncBody(opener, layout.segments))
    assert len(body) == layout.content_length
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    parts = body.split(f"--{boundary}".encode())[1:-1]
    assert len(parts) == 2
    head, payload = parts[1].split(b"\r\n\r\n", 1)
    assert b"Content-Range: bytes 1000-1099/2048" in head
    assert b"Content-Type: image/png" in head
    assert payload == DATA[1000:1100] + b"\r\n"


def test_sync_body_stops_when_the_file_shrinks() -> None:
    body = SyncBody(lambda: io.BytesIO(DATA[:50]), [ByteRange(0, 99)])
    assert b"".join(body) == DATA[:50]


def test_async_body_matches_sync_body() -> None:
    layout = layout_for([ByteRange(0, 9), ByteRange(1000, 1099)], len(DATA), "text/plain")

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in AsyncBody(opener, layout.segments)])

    assert asyncio.run(collect()) == b"".join(SyncBody(opener, layout.segments))
