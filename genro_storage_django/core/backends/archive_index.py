"""The member index of an archive mount: the archive's names as a tree of mount paths.

An archive names its members with whatever bytes its writer chose. Only a member whose
name is a mount path as it is (:func:`~..listing.is_safe_path`) becomes a file of the
mount; the others stay in the archive, untouched, and are reported where a listing
would have shown them (:attr:`ArchiveIndex.left_out`): names that climb out or are
absolute (``../x``, ``/etc/passwd``, ``C:\\x``), names with NUL or other refused
characters, a name given to several members (which of them a tool extracts differs
from tool to tool), and links or devices in a tar. None is ever read, written or
followed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..listing import DUPLICATE_NAME, SPECIAL_MEMBER, UNSAFE_NAME, is_safe_path
from .base import StatResult

__all__ = ["ArchiveIndex", "Member"]


@dataclass(slots=True)
class Member:
    """One archive member as its format reports it.

    ``name`` has no trailing ``/``; ``ref`` is the format's own record (a ``ZipInfo``,
    a ``TarInfo``), None for a member written in a batch not yet published.
    """

    name: str
    kind: Literal["file", "directory", "special"]
    size: int = 0
    mtime: float | None = None
    ref: Any = None


class ArchiveIndex:
    """Files and directories of an archive by mount path, and what was left out."""

    def __init__(self, members: Iterable[Member]) -> None:
        self.files: dict[str, Member] = {}
        #: directory path -> names directly inside it ("" is the root).
        self.children: dict[str, set[str]] = {"": set()}
        #: Directories named by a member of their own (``docs/`` in a zip).
        self.explicit: set[str] = set()
        #: (directory it would be listed in, raw name, reason) of each member left out.
        self.left_out: list[tuple[str, str, str]] = []
        members = list(members)
        counts = Counter(m.name for m in members if m.kind != "directory")
        for member in members:
            reason = self._refusal(member, counts)
            if reason is not None:
                self.left_out.append((_home(member.name), member.name, reason))
            elif member.kind == "directory":
                self._add_directory(member.name)
            else:
                self.add_file(member)
        # A file whose path is also a directory (``a`` and ``a/b``) cannot be a node.
        for path in [p for p in self.files if p in self.children]:
            self.left_out.append((_home(path), path, DUPLICATE_NAME))
            del self.files[path]
        # Reported in the nearest directory that exists (``ok/../../up`` alone: the root).
        self.left_out = [(self._existing(h), n, r) for h, n, r in self.left_out]

    def _existing(self, path: str) -> str:
        while path not in self.children:
            path = path.rpartition("/")[0]
        return path

    @staticmethod
    def _refusal(member: Member, counts: Counter[str]) -> str | None:
        if not member.name or not is_safe_path(member.name):
            return UNSAFE_NAME
        if member.kind == "special":
            return SPECIAL_MEMBER
        if member.kind == "file" and counts[member.name] > 1:
            return DUPLICATE_NAME
        return None

    # -- changes a write or delete makes before the archive is published ------------------
    def add_file(self, member: Member) -> None:
        self.files[member.name] = member
        self._link(member.name)

    def _add_directory(self, path: str) -> None:
        self.explicit.add(path)
        self.children.setdefault(path, set())
        self._link(path)

    def _link(self, path: str) -> None:
        """Record ``path`` in its directory, and the directories above that are new."""
        while path:
            parent, _, name = path.rpartition("/")
            siblings = self.children.get(parent)
            if siblings is not None:
                siblings.add(name)
                return
            self.children[parent] = {name}
            path = parent

    def remove(self, path: str) -> None:
        """Forget the file or explicit directory ``path``; directories it emptied go too."""
        self.files.pop(path, None)
        self.explicit.discard(path)
        while path and path not in self.explicit and not self.children.get(path):
            self.children.pop(path, None)
            parent, _, name = path.rpartition("/")
            self.children.get(parent, set()).discard(name)
            path = parent

    # -- queries ---------------------------------------------------------------------------
    def stat(self, path: str) -> StatResult:
        member = self.files.get(path)
        if member is not None:
            return _file_stat(member)
        if path in self.children:
            return StatResult(name=path.rpartition("/")[2], kind="directory")
        raise FileNotFoundError(path)

    def listdir(self, path: str) -> list[StatResult]:
        if path in self.files:
            raise NotADirectoryError(path)
        names = self.children.get(path)
        if names is None:
            raise FileNotFoundError(path)
        base = f"{path}/" if path else ""
        return [self.stat(base + name) for name in sorted(names)]

    def files_below(self, path: str) -> Iterator[Member]:
        if not path:
            yield from self.files.values()
            return
        prefix = path + "/"
        yield from (m for p, m in self.files.items() if p.startswith(prefix))

    def directories_below(self, path: str) -> list[str]:
        """The explicit directory members at or below ``path``, deepest first."""
        prefix = path + "/" if path else ""
        found = [d for d in self.explicit if d == path or d.startswith(prefix)]
        return sorted(found, key=len, reverse=True)

    def left_out_below(self, path: str, *, direct: bool) -> list[tuple[str, str]]:
        """(raw name, reason) of the members left out that a listing of ``path`` (only
        that directory when ``direct``, else its whole tree) would have shown."""
        prefix = path + "/" if path else ""
        return [
            (name, reason)
            for home, name, reason in self.left_out
            if home == path or (not direct and (not path or home.startswith(prefix)))
        ]


def _home(name: str) -> str:
    """The directory a listing would show ``name`` in: its leading safe segments."""
    segments = name.split("/")
    safe: list[str] = []
    for segment in segments[:-1]:
        if not is_safe_path(segment):
            break
        safe.append(segment)
    return "/".join(safe)


def _file_stat(member: Member) -> StatResult:
    return StatResult(
        name=member.name.rpartition("/")[2], kind="file", size=member.size, mtime=member.mtime
    )
