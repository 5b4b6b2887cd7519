"""I/O primitives of the node and the copy engine: the chunk size of streamed copies,
the opening modes of ``StorageNode.open`` and the text layer over atomic writers.

A leaf module (it imports only the core's errors), so the node and the transfer engine
both import it at the top and neither needs the other to be imported first.
"""

from __future__ import annotations

import io

from .errors import InvalidModeError

__all__ = ["CHUNK_SIZE", "TextWriter", "parse_mode"]

#: Bytes read at a time when a file streams between backends: large enough that the
#: per-call overhead of a cloud SDK is small, small enough that memory stays flat.
CHUNK_SIZE = 1 << 20


class TextWriter(io.TextIOWrapper):
    """Text layer over an atomic writer that discards, not publishes, on an exception."""

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
            return
        raw = self.detach()
        raw.abort()  # type: ignore[attr-defined]


def parse_mode(mode: str) -> tuple[str, bool]:
    kinds = set(mode) & set("rwxa")
    if (
        len(kinds) != 1
        or set(mode) - set("rwxabt")
        or ("b" in mode and "t" in mode)
        or (len(mode) != len(set(mode)))
    ):
        raise InvalidModeError(
            f"unsupported mode {mode!r}: use r, w, x or a, optionally with b "
            "(read-write '+' modes are not available on object stores)"
        )
    return kinds.pop(), "b" in mode
