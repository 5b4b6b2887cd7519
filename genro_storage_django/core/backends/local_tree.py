"""Directory trees on the local disk: confined to a root, walked and built without recursion.

Every mount kind that stores files in a local directory (``local``, ``fsspec`` with
``protocol: file``, and ``relative`` mounts over either) goes through a
:class:`DiskRoot`, so a symlink leads nowhere outside the mount's root directory
whichever kind the mount is.

Nothing here recurses: ``os.makedirs`` and ``shutil.rmtree`` call themselves once
per level and raise ``RecursionError`` about a thousand directories deep, and a
tree that deep is only a ``mkdir -p`` away. A walk follows symlinks to
directories inside the root, so it remembers the directories it is inside, by
``(st_dev, st_ino)``, and reports a link back to one of them as a loop instead of
going round it.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
from collections.abc import Iterator

from ..errors import NOT_EMPTY, WRITE_IN_PROGRESS, UnsafePathError
from ..listing import SYMLINK_LOOP, OnSkip, skipped
from ..paths import is_temp_name
from .base import StatResult
from .local_temps import remove_if_stale, sweep

__all__ = ["DiskRoot", "identity", "make_dir", "make_dirs", "remove_dir", "remove_tree", "to_stat"]


class DiskRoot:
    """A local directory that symlinks below it must not lead out of."""

    __slots__ = ("label", "root")

    def __init__(self, root: str, label: str) -> None:
        #: The real path (symlinks resolved) of the directory.
        self.root = os.path.realpath(root)
        #: ``mount:`` prefix for messages and skip reports.
        self.label = label

    def check(self, path: str, location: str) -> None:
        """Refuse ``location`` (the disk path of the mount path ``path``) if it leads out.

        The full ``realpath`` runs only when an existing component of ``path`` below
        the root is a symlink: one ``lstat`` per component otherwise.
        """
        if path and self._crosses_symlink(path) and self.escapes(location):
            raise UnsafePathError(f"{self.label}{path} resolves outside the mount root (symlink)")

    def _crosses_symlink(self, path: str) -> bool:
        current = self.root
        for part in path.split("/"):
            current = current + os.sep + part
            try:
                mode = os.lstat(current).st_mode
            except (FileNotFoundError, NotADirectoryError):
                return False
            except OSError as exc:
                if exc.errno == errno.ENAMETOOLONG:
                    return False  # nothing by that name exists, so no symlink either
                raise
            if stat_module.S_ISLNK(mode):
                return True
        return False

    def escapes(self, location: str) -> bool:
        real = os.path.realpath(location)
        return real != self.root and not real.startswith(self.root + os.sep)

    def listdir(self, location: str, path: str) -> list[StatResult]:
        """The entries of the directory ``location`` (the mount path ``path``), without
        temporary files and escaping symlinks; a link that resolves to itself is logged."""
        prefix = f"{self.label}{path}/" if path else self.label
        entries = []
        with os.scandir(location) as scan:
            for entry in scan:
                if self._left_out(entry):
                    continue
                try:
                    entries.append(to_stat(entry.name, entry.stat()))
                except FileNotFoundError:  # dangling symlink or deleted meanwhile
                    continue
                except OSError as exc:
                    if exc.errno != errno.ELOOP:
                        raise
                    skipped(None, prefix + entry.name, SYMLINK_LOOP)
        return entries

    def _left_out(self, entry: os.DirEntry[str]) -> bool:
        """Whether listings leave ``entry`` out: a temporary file (removed here once
        stale) or a symlink leading out of the root."""
        if is_temp_name(entry.name):
            remove_if_stale(entry.path)
            return True
        return entry.is_symlink() and self.escapes(entry.path)

    def walk_files(
        self, top: str, prefix: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        """Every file below the directory ``top`` as (``prefix`` + relative path, stat).

        ``prefix`` is ``top``'s mount path followed by ``/`` (empty for the root):
        the paths grow with the walk, with no conversion from disk paths per file.
        """
        try:
            top_id = _identity(os.stat(top))
        except (FileNotFoundError, NotADirectoryError):
            return
        # A link to a directory above ``top`` would walk ``top`` again: a loop too.
        inside = self._above(top, prefix)
        # (directory, its prefix, its identity); a None directory marks leaving one.
        stack: list[tuple[str | None, str, tuple[int, int]]] = [(top, prefix, top_id)]
        while stack:
            directory, base, identity = stack.pop()
            if directory is None:
                inside.discard(identity)
                continue
            inside.add(identity)
            stack.append((None, "", identity))
            try:
                scan = os.scandir(directory)
            except (FileNotFoundError, NotADirectoryError):
                continue
            with scan:
                for entry in scan:
                    if self._left_out(entry):
                        continue
                    name = entry.name
                    try:
                        if entry.is_dir():
                            child = _identity(entry.stat())
                            if child in inside:
                                skipped(on_skip, f"{self.label}{base}{name}", SYMLINK_LOOP)
                            else:
                                stack.append((entry.path, f"{base}{name}/", child))
                        elif entry.is_file():
                            yield base + name, to_stat(name, entry.stat())
                    except OSError as exc:
                        if exc.errno != errno.ELOOP:
                            raise
                        skipped(on_skip, f"{self.label}{base}{name}", SYMLINK_LOOP)

    @staticmethod
    def _above(top: str, prefix: str) -> set[tuple[int, int]]:
        """The identities of the directories from the root down to ``top``'s parent
        (``prefix``, ``top``'s mount path, tells how many there are)."""
        found = set()
        for _level in range(prefix.count("/")):
            top = os.path.dirname(top)
            found.add(identity(top))
        return found


def identity(location: str) -> tuple[int, int]:
    """What tells one directory from another, whatever path leads to it."""
    return _identity(os.stat(location))


def _identity(result: os.stat_result) -> tuple[int, int]:
    return result.st_dev, result.st_ino


def make_dirs(path: str, mode: int | None = None, *, exist_ok: bool = True) -> None:
    """``os.makedirs`` without recursion, giving ``mode`` to each directory it creates.

    ``os.makedirs`` filters its mode through the umask (and ignores it for the
    intermediate directories), so the mode is set with ``chmod`` afterwards, only on
    the directories made here: a directory another process created keeps its own.
    """
    missing = []
    current = path
    while not os.path.exists(current):  # ends at "/" at the latest: paths are absolute
        missing.append(current)
        current = os.path.dirname(current)
    if not missing:
        if exist_ok and os.path.isdir(path):
            return
        raise FileExistsError(errno.EEXIST, "already exists", path)
    for directory in reversed(missing):
        try:
            os.mkdir(directory)
        except FileExistsError:
            # Made meanwhile by another writer: fine if it is a directory.
            if not os.path.isdir(directory):
                raise
            continue
        if mode is not None:
            os.chmod(directory, mode)


def make_dir(path: str, *, parents: bool, exist_ok: bool, mode: int | None = None) -> None:
    """A mount's ``mkdir`` on the local disk."""
    if parents:
        make_dirs(path, mode, exist_ok=exist_ok)
        return
    try:
        os.mkdir(path)
    except FileExistsError:
        if not (exist_ok and os.path.isdir(path)):
            raise
    else:
        if mode is not None:
            os.chmod(path, mode)


def remove_dir(path: str, *, recursive: bool, keep: bool) -> None:
    """A mount's ``remove_dir`` on the local disk; ``keep`` empties ``path`` but keeps it."""
    if keep:
        if not recursive:
            sweep(path)  # stale temporary files do not make a directory non-empty
        entries = os.listdir(path)
        if entries and not recursive:
            raise _not_empty(entries, path)
        for entry in entries:
            child = os.path.join(path, entry)
            if os.path.isdir(child) and not os.path.islink(child):
                remove_tree(child)
            else:
                os.unlink(child)
    elif os.path.islink(path):
        os.unlink(path)  # the link goes, never what it points to
    elif recursive:
        remove_tree(path)
    else:
        try:
            os.rmdir(path)
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY:
                raise
            sweep(path)  # stale temporary files do not make a directory non-empty
            try:
                os.rmdir(path)
            except OSError as again:
                if again.errno != errno.ENOTEMPTY:
                    raise
                raise _not_empty(os.listdir(path), path) from None


def _not_empty(entries: list[str], path: str) -> OSError:
    """ENOTEMPTY, saying so when the only entries are temporary files listings hide."""
    only_temps = all(is_temp_name(name) for name in entries)
    return OSError(errno.ENOTEMPTY, WRITE_IN_PROGRESS if only_temps else NOT_EMPTY, path)


def remove_tree(path: str) -> None:
    """``shutil.rmtree`` without recursion; a symlink below ``path`` goes, never its target."""
    stack = [(path, False)]
    while stack:
        directory, emptied = stack.pop()
        if emptied:
            os.rmdir(directory)
            continue
        stack.append((directory, True))
        with os.scandir(directory) as scan:
            for entry in scan:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, False))
                else:
                    os.unlink(entry.path)


def to_stat(name: str, result: os.stat_result) -> StatResult:
    is_dir = stat_module.S_ISDIR(result.st_mode)
    return StatResult(
        name=name,
        kind="directory" if is_dir else "file",
        size=0 if is_dir else result.st_size,
        mtime=result.st_mtime,
        etag=f"{result.st_mtime_ns:x}-{result.st_size:x}",
    )
