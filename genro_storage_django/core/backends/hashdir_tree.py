"""Where a ``hashdir`` mount keeps each logical path, and how its names are read back.

A logical path ``p`` is kept under ``<root>/ab/cd/<h>`` (one two-hex-digit directory per
level), ``h`` being the SHA-256 of ``p`` in UTF-8:

* ``<h>`` holds a file's bytes;
* ``<h>.name`` holds ``p`` itself: the index of logical names, one small file per
  entry, beside its object. A directory has only a name file, holding ``p/``.

Each file is written whole by an atomic replace, name before content, and deleted
content before name: a crash leaves at worst a name without content, which listings
ignore (and the next write of that path completes). No entry is ever listed that cannot
be read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..listing import is_safe_path

__all__ = ["HashLayout", "Listed"]

_NAME_FILE = re.compile(r"[0-9a-f]{64}\.name")
_NAME_SUFFIX = ".name"
_FAN_OUT = re.compile(r"[0-9a-f]{2}")


@dataclass(frozen=True, slots=True)
class Listed:
    """One entry the tree holds: its logical path, and its content file (None: a directory)."""

    path: str
    content: str | None


class HashLayout:
    """The disk places of logical paths below ``root``, ``levels`` fan-out directories deep."""

    def __init__(self, root: str, levels: int) -> None:
        self.root = root
        self.levels = levels

    def place(self, logical: str) -> str:
        """The content file of ``logical`` (a directory is ``logical + "/"``)."""
        digest = hashlib.sha256(logical.encode("utf-8", "surrogateescape")).hexdigest()
        fan_out = [digest[2 * level : 2 * level + 2] for level in range(self.levels)]
        return os.path.join(self.root, *fan_out, digest)

    @staticmethod
    def name_file(place: str) -> str:
        return place + _NAME_SUFFIX

    def scan(self) -> Iterator[tuple[Listed | None, str]]:
        """Every entry as ``(Listed, "")``, and every name file that does not name a
        safe path of its own place as ``(None, what it holds)``."""
        for directory in self._leaves():
            try:
                with os.scandir(directory) as found:
                    names = {entry.name for entry in found}
            except FileNotFoundError:
                continue  # emptied and removed since the walk above listed it
            for name in names:
                if not _NAME_FILE.fullmatch(name):
                    continue  # content files, a write's temporary file
                place = os.path.join(directory, name[: -len(_NAME_SUFFIX)])
                yield from self._entry(place, names)

    def _entry(self, place: str, names: set[str]) -> Iterator[tuple[Listed | None, str]]:
        try:
            with open(self.name_file(place), "rb") as stream:
                raw = stream.read()
        except FileNotFoundError:
            return  # deleted by another process since the listing
        logical = raw.decode("utf-8", "surrogateescape")
        if self.place(logical) != place:
            # Tampered with, or not this layout's: it names some other place.
            yield None, logical
            return
        is_dir = logical.endswith("/")
        logical = logical.removesuffix("/")
        if not is_safe_path(logical):
            yield None, logical
        elif is_dir:
            yield Listed(logical, None), ""
        elif os.path.basename(place) in names:
            yield Listed(logical, place), ""
        # else: a name written before a content that never came (a crash): not an entry.

    def _leaves(self) -> Iterator[str]:
        """The fan-out directories at the deepest level that exist."""
        level = [self.root]
        for _depth in range(self.levels):
            below = []
            for directory in level:
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    below += [
                        os.path.join(directory, name)
                        for name in sorted(os.listdir(directory))
                        if _FAN_OUT.fullmatch(name)
                    ]
            level = below
        yield from level
