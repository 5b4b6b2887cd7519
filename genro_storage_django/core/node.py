"""``StorageNode``: a pathlib-like handle on one path of one mount.

A node is a value: it names ``mount:path`` and compares and hashes by that name
(never by content). It touches the backend only when a method asks it to; the
backend location is computed (and its safety checked) on first use and kept.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

from . import errors
from .archive import NodeArchive
from .backends.base import Backend, StatResult
from .capabilities import BackendCapabilities
from .commands import NodeCommands
from .errors import raise_as_storage_error
from .http.wsgi import NodeServing
from .listing import (
    UNSAFE_NAME,
    OnSkip,
    is_safe_name,
    list_backend,
    safe_entries,
    skipped,
    walk_backend,
    walk_tree,
)
from .node_content import NodeContent
from .node_extras import NodeExtras
from .node_links import NodeLinks, UrlSigner
from .node_lookups import NodeLookups
from .node_transfers import NodeTransfers
from .paths import join, normalize

if TYPE_CHECKING:
    from .manager import Mount, StorageManager

__all__ = ["StorageNode", "UrlSigner"]

_ROOT_STAT = StatResult(name="", kind="directory")


class StorageNode(
    NodeContent,
    NodeLinks,
    NodeLookups,
    NodeTransfers,
    NodeArchive,
    NodeCommands,
    NodeServing,
    NodeExtras,
):
    """A pathlib-like handle on ``mount:path``: naming, stat, listings and directories
    here; content in :class:`NodeContent`, links in :class:`NodeLinks`, globs and name
    lookups in :class:`NodeLookups`, copies and moves in
    :class:`NodeTransfers`, archives in :class:`NodeArchive`, external programs in
    :class:`NodeCommands`, WSGI serving in :class:`NodeServing`, genro-storage's
    conveniences in :class:`NodeExtras`.

    ``mount`` is a :class:`~.manager.Mount` (``path`` then normalised already) or a mount
    name (``path`` then normalised here); nodes a node makes come from :meth:`_create_node`.

    ``require``, ``raise_for``, ``stat_or_none``, ``walk_entries``, ``listed_below`` and
    ``relocate`` are the interface the transfer engine and the mixins use
    (docs/architecture.md).
    """

    __slots__ = ("_location", "_manager", "_mount", "_path")

    def __init__(self, manager: StorageManager, mount: Mount | str, path: str) -> None:
        if isinstance(mount, str):
            mount = manager.get_mount(mount)
            path = normalize(mount.backend.prepare_path(path))
        self._manager = manager
        self._mount = mount
        self._path = path
        self._location: str | None = None

    def _create_node(self, manager: StorageManager, mount: Mount, path: str) -> StorageNode:
        """genro-storage's hook making every node a node makes: a subclass whose constructor
        takes more arguments overrides it to pass them on (docs/core.md, "Subclassing")."""
        return type(self)(manager, mount, path)

    def _retarget(self, destination: StorageNode) -> None:
        """Name ``destination`` from now on (a move's last step, see :meth:`move_to`)."""
        self._mount = destination.mount
        self._path = destination.path
        self._location = None  # the old name's: found again on first use

    # -- naming ------------------------------------------------------------------
    @property
    def manager(self) -> StorageManager:
        return self._manager

    @property
    def mount(self) -> Mount:
        return self._mount

    @property
    def backend(self) -> Backend:
        return self._mount.backend

    @property
    def capabilities(self) -> BackendCapabilities:
        """What can be done here: the backend's capabilities less what the mount's
        permissions forbid (:class:`~.capabilities.BackendCapabilities`)."""
        return self._mount.capabilities

    @property
    def mount_name(self) -> str:
        return self._mount.name

    @property
    def path(self) -> str:
        """The normalised path inside the mount ("" for the mount root)."""
        return self._path

    @property
    def fullpath(self) -> str:
        return f"{self._mount.name}:{self._path}"

    @property
    def basename(self) -> str:
        return posixpath.basename(self._path)

    name = basename

    @property
    def stem(self) -> str:
        base = self.basename
        dot = base.rfind(".")
        return base[:dot] if dot > 0 else base

    @property
    def suffix(self) -> str:
        base = self.basename
        dot = base.rfind(".")
        return base[dot:] if 0 < dot < len(base) - 1 else ""

    @property
    def parent(self) -> StorageNode:
        return self._create_node(self._manager, self._mount, posixpath.dirname(self._path))

    @property
    def dirname(self) -> str:
        """The parent's full path (``mount:dir``)."""
        return self.parent.fullpath

    @property
    def mimetype(self) -> str:
        guessed, _encoding = mimetypes.guess_type(self.basename, strict=False)
        return guessed or "application/octet-stream"

    def child(self, *parts: str | os.PathLike[str]) -> StorageNode:
        return self._create_node(self._manager, self._mount, join(self._path, *parts))

    def __truediv__(self, part: str | os.PathLike[str]) -> StorageNode:
        return self.child(part)

    def with_name(self, name: str) -> StorageNode:
        return self.parent.child(name)

    def with_suffix(self, suffix: str) -> StorageNode:
        return self.with_name(self.stem + suffix)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StorageNode):
            return NotImplemented
        return (
            self._manager is other._manager
            and self._mount.name == other._mount.name
            and self._path == other._path
        )

    def __hash__(self) -> int:
        return hash((self._mount.name, self._path))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fullpath!r})"

    def __str__(self) -> str:
        return self.fullpath

    def relocate(self, location: str) -> None:
        """Point this node at ``location``, where a write published its content.

        On base64 mounts the path is the data, so a write gives the node a new path (and
        a new hash: a node in a set or dict keeps its old place)."""
        self._path = self._mount.backend.relative(location)
        self._location = location

    # -- metadata ----------------------------------------------------------------
    @property
    def location(self) -> str:
        """The backend's location of this path, checked to stay inside the mount (cached).

        For layers above the core that call the backend directly (the file view)."""
        return self._loc()

    def _loc(self) -> str:
        location = self._location
        if location is None:
            location = self._location = self._mount.backend.locate(self._path)
        return location

    def stat(self) -> StatResult:
        """Size, mtime, kind, etag, MD5 and content type from one backend call."""
        try:
            return self._mount.backend.stat(self._loc())
        except FileNotFoundError as exc:
            if self._is_root_directory():
                return _ROOT_STAT
            self.raise_for(exc, "stat")
        except Exception as exc:
            self.raise_for(exc, "stat")

    def exists(self) -> bool:
        # A mount root always exists, even before anything created its directory.
        return self._is_root_directory() or self._mount.backend.exists(self._loc())

    def _is_root_directory(self) -> bool:
        return not self._path and self._mount.backend.root_is_directory

    def is_file(self) -> bool:
        return bool(self._path) and self._mount.backend.is_file(self._loc())

    def is_dir(self) -> bool:
        found = self.stat_or_none()
        return found is not None and found.is_dir

    def size(self) -> int:
        found = self.stat()
        if found.is_dir:
            raise errors.NotAFileError(f"cannot size {self.fullpath}: it is a directory")
        return found.size

    def mtime(self) -> float | None:
        return self.stat().mtime

    def stat_or_none(self) -> StatResult | None:
        """The stat, or None when nothing is at this path (a mount root always is).

        What the transfer engine asks of a destination before deciding to copy."""
        try:
            return self._mount.backend.stat(self._loc())
        except (FileNotFoundError, NotADirectoryError):
            return _ROOT_STAT if self._is_root_directory() else None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                return None  # no name that long can exist
            self.raise_for(exc, "stat")

    # -- directories -------------------------------------------------------------
    def scandir(self, on_skip: OnSkip | None = None) -> Iterator[tuple[StorageNode, StatResult]]:
        """The entries directly inside this directory with their stat, sorted by name.

        An entry whose name the path rules refuse is left out, logged and passed to
        ``on_skip(path, reason)`` (see :mod:`~genro_storage_django.core.listing`).
        """
        try:
            entries = list_backend(self._mount.backend, self._loc(), on_skip)
        except FileNotFoundError as exc:
            if self._path:
                self.raise_for(exc, "list")
            entries = []
        except Exception as exc:
            self.raise_for(exc, "list")
        base = f"{self._path}/" if self._path else ""
        for entry in sorted(entries, key=lambda e: e.name):
            if is_safe_name(entry.name):
                yield self._listed(base + entry.name), entry
            else:
                skipped(on_skip, f"{self._mount.name}:{base}{entry.name}", UNSAFE_NAME)

    def _listed(self, path: str) -> StorageNode:
        """A node for a path the backend's listing returned: its location needs no check."""
        node = self._create_node(self._manager, self._mount, path)
        # Our own field, on a node our hook made (a subclass instance, perhaps).
        node._location = self._mount.backend.listed_location(path)  # noqa: SLF001
        return node

    def listed_below(self, relative: str) -> StorageNode:
        """The node of a path relative to this directory that a walk of it returned
        (from :meth:`walk_entries`): its location needs no new check."""
        return self._listed(f"{self._path}/{relative}" if self._path else relative)

    def iterdir(self) -> Iterator[StorageNode]:
        for child, _entry in self.scandir():
            yield child

    def children(self) -> list[StorageNode]:
        return list(self.iterdir())

    def walk(
        self, top_down: bool = True, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[StorageNode, list[StorageNode], list[StorageNode]]]:
        """Like ``Path.walk``: (directory, its sub-directories, its files) per directory.

        A symlink back to a directory the walk is inside is reported as a loop to
        ``on_skip``, not followed; entries with refused names are reported too.
        """
        return walk_tree(self, top_down, on_skip)

    def walk_files(self, on_skip: OnSkip | None = None) -> Iterator[tuple[StorageNode, StatResult]]:
        """Every file below this directory with its stat (one listing on object stores).

        Entries left out (refused names, symlink loops) go to ``on_skip(path, reason)``.
        """
        for relative, entry in self.walk_entries(on_skip):
            yield self.listed_below(relative), entry

    def walk_entries(self, on_skip: OnSkip | None = None) -> list[tuple[str, StatResult]]:
        """:meth:`walk_files` as paths relative to this directory, building no nodes.

        A sync of ten thousand files compares stats and builds nodes only for the
        files it copies or deletes.
        """
        try:
            found = list(
                safe_entries(
                    walk_backend(self._mount.backend, self._loc(), on_skip),
                    self._mount.name,
                    on_skip,
                )
            )
        except Exception as exc:
            self.raise_for(exc, "list")
        if not self._path:
            return found
        prefix = len(self._path) + 1
        return [(path[prefix:], entry) for path, entry in found]

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.require("write")
        # The mount root counts as existing, so its direct children need no `parents`.
        parents = parents or "/" not in self._path
        try:
            self._mount.backend.mkdir(self._loc(), parents=parents, exist_ok=exist_ok)
        except Exception as exc:
            self.raise_for(exc, "mkdir")

    def delete(self, recursive: bool = False) -> bool:
        """Delete the file or directory; True if something was deleted.

        A missing path is not an error. A non-empty directory needs ``recursive=True``.
        """
        self.require("delete")
        backend = self._mount.backend
        found = self.stat_or_none()
        if found is None:
            return False
        try:
            if found.is_dir:
                backend.remove_dir(self._loc(), recursive=recursive)
            else:
                backend.remove_file(self._loc())
        except FileNotFoundError:
            return False
        except Exception as exc:
            self.raise_for(exc, "delete")
        backend.invalidate(self._loc())
        return True

    # -- errors ------------------------------------------------------------------
    def require(self, action: str) -> None:
        """Raise :class:`StoragePermissionError` unless the mount allows ``action``
        (``"write"`` or ``"delete"``), or if the mount was configured again since this
        node was made: its permissions may be narrower now (docs/core.md)."""
        if not self._manager.is_current(self._mount):
            raise errors.StoragePermissionError(
                f"cannot {action} {self.fullpath}: mount {self._mount.name!r} was configured "
                "again (or removed) after this node was made; make a new node"
            )
        permissions = self._mount.permissions
        allowed = permissions.can_delete if action == "delete" else permissions.can_write
        if not allowed:
            raise errors.StoragePermissionError(
                f"cannot {action} {self.fullpath}: mount {self._mount.name!r} "
                f"is {permissions.value}"
            )

    def raise_for(self, exc: BaseException, action: str) -> NoReturn:
        """Re-raise a backend exception as a storage error naming ``mount:path``."""
        # "archive: (mount root): ..." rather than "archive:: ...".
        where = f"{self.fullpath} (mount root)" if not self._path else self.fullpath
        raise_as_storage_error(exc, f"cannot {action} {where}")
