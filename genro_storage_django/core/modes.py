"""Opening modes of ``StorageNode.open`` and the text layer over atomic writers."""

from __future__ import annotations

import io

__all__ = ["TextWriter", "parse_mode"]


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
        raise ValueError(
            f"unsupported mode {mode!r}: use r, w, x or a, optionally with b "
            "(read-write '+' modes are not available on object stores)"
        )
    return kinds.pop(), "b" in mode
