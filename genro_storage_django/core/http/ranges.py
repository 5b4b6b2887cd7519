"""``Range`` request headers (RFC 9110 section 14): parsing and satisfiability.

The rules, and why:

* A header that is not ``bytes=`` followed by valid range specs is ignored: the
  client gets the whole file with 200, as the RFC asks of an unparsable header.
* More than :data:`MAX_RANGES` specs is ignored the same way: many tiny ranges
  are a known way to make a server do a lot of work for little output.
* Overlapping or nearly adjacent ranges are merged (the RFC allows it), so a
  response never sends the same bytes twice.
* When no range can be satisfied the answer is 416 with ``bytes */size``.
* Numbers of any length are accepted without converting thousands of digits
  (Python refuses ``int()`` past 4,300 of them): a number longer than any file
  size is read as "past the end", so a huge first byte is 416 and a huge last
  byte or suffix means "to the end".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_RANGES", "ByteRange", "RangeNotSatisfiable", "parse_range_header"]

MAX_RANGES = 16
#: Ranges closer than this are served as one part: a part's headers cost about as much.
MERGE_GAP = 80

_SPEC = re.compile(r"^\s*([0-9]*)\s*-\s*([0-9]*)\s*$")
#: More digits than any file size has (2**63 has 19): such a number is only "past the end".
_MAX_DIGITS = 19
_PAST_ANY_END: int = 10**_MAX_DIGITS


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range, as in ``Content-Range: bytes start-end/size``."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeNotSatisfiable(Exception):
    """Every range of a valid header lies past the end of the file."""


def parse_range_header(header: str | None, size: int) -> list[ByteRange] | None:
    """The ranges to serve, or None to serve the whole file.

    Raises :class:`RangeNotSatisfiable` when the header is valid but no range
    overlaps the file.
    """
    if not header:
        return None
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parts = specs.split(",")
    if len(parts) > MAX_RANGES:
        return None
    ranges: list[ByteRange] = []
    for part in parts:
        match = _SPEC.match(part)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if not first:
            suffix = _number(last)
            if suffix > 0 and size > 0:
                ranges.append(ByteRange(max(size - suffix, 0), size - 1))
            continue
        start = _number(first)
        end = _number(last) if last else size - 1
        if last and end < start:
            return None  # "5-2" is a syntax error: ignore the whole header
        if start < size:
            ranges.append(ByteRange(start, min(end, size - 1)))
    if not ranges:
        raise RangeNotSatisfiable
    return _merge(ranges)


def _number(digits: str) -> int:
    significant = digits.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        return _PAST_ANY_END
    return int(significant or "0")


def _merge(ranges: list[ByteRange]) -> list[ByteRange]:
    ordered = sorted(ranges, key=lambda r: r.start)
    merged = [ordered[0]]
    for current in ordered[1:]:
        last = merged[-1]
        if current.start <= last.end + 1 + MERGE_GAP:
            merged[-1] = ByteRange(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return merged
