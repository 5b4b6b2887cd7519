""":class:`DataStore`: a mapping of keys to values kept as files below a node.

A key is a path below the store's directory without its format's extension
(``"runs/2026/metrics"`` is the file ``runs/2026/metrics.json``). Writing picks the format
from the value's type, or from the key when it names an extension
(``store["table.csv"] = frame``). Two files with one key and different extensions make
the key ambiguous: reading it raises :class:`AmbiguousKeyError`, never picks one.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import StorageError, StorageNotFoundError
from ..paths import join
from .handlers import DataHandler, HandlerRegistry, RankedHandlers, default_registry
from .listings import ListingCache

if TYPE_CHECKING:
    from ..node import StorageNode

__all__ = ["AmbiguousKeyError", "DataInfo", "DataStore"]

#: Directory nodes a store keeps built; beyond it, it forgets them all and starts again.
_DIRECTORY_NODES = 1024


class AmbiguousKeyError(StorageError, LookupError):
    """Two or more files hold one key in different formats."""


@dataclass(frozen=True)
class DataInfo:
    """What :meth:`DataStore.metadata` tells about a key's file."""

    key: str
    format: str  # the extension, with its dot
    size: int
    mtime: float | None
    etag: str | None
    node: StorageNode


class DataStore(MutableMapping[str, Any]):
    """Values of Python and data-library types kept as files below ``root``.

    Build one with ``manager.datastore("mount:prefix")``. ``allow_pickle=True`` lets it
    write values no other format holds as ``.pkl`` and read ``.pkl`` files: only for
    files from writers you trust, since unpickling runs code.
    """

    def __init__(self, root: StorageNode, *, allow_pickle: bool = False) -> None:
        self._root = root
        self._registry = HandlerRegistry(parent=default_registry)
        self._handlers = RankedHandlers(self._registry, allow_pickle=allow_pickle)
        self._index = ListingCache()
        self._directories: dict[str, StorageNode] = {}
        self._closed = False

    @property
    def root(self) -> StorageNode:
        return self._root

    def register_handler(self, handler: DataHandler, priority: int = 0) -> None:
        """Use ``handler`` in this store (ranked with the global ones by priority, then
        by registration: the latest wins a tie)."""
        self._registry.register(handler, priority)

    # -- mapping -------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        node, extension = self._file_of(key)
        handler = self._handlers.for_reading(extension)
        try:
            with node.open("rb") as stream:
                return handler.read(stream, extension)
        except StorageNotFoundError:
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: Any) -> None:
        stem, extension = self._split(key)
        handler = self._handlers.for_writing(value, extension)
        extension = extension or handler.extensions[0]
        target = self._root.child(stem + extension)
        # A value replaced in its own format has no other file: the store made it so when
        # the key took that format. Looking for them costs a lookup per format.
        changes_format = not target.is_file()
        with target.open("wb") as stream:
            handler.write(value, stream, extension)
        if changes_format:
            # Only once the new file is in place: the value it replaces, in another format.
            for other, _ in self._files(stem):
                if other.path != target.path:
                    other.delete()

    def __delitem__(self, key: str) -> None:
        node, _extension = self._file_of(key)
        node.delete()

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        stem, extension = self._split(key)
        if extension:
            return self._root.child(stem + extension).is_file()
        return bool(self._files(stem))

    def __iter__(self) -> Iterator[str]:
        self._check_open()
        keys: set[str] = set()
        for relative, entry in self._root.walk_entries():
            stem, extension = self._handlers.split(relative)
            if extension in self._handlers.readable_extensions and entry.is_file:
                keys.add(stem)
        return iter(sorted(keys))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    # -- beyond the mapping --------------------------------------------------
    def node(self, key: str) -> StorageNode:
        """The node of the file holding ``key`` (KeyError if none, AmbiguousKeyError)."""
        return self._file_of(key)[0]

    def metadata(self, key: str) -> DataInfo:
        node, extension = self._file_of(key)
        info = node.stat()
        return DataInfo(self._split(key)[0], extension, info.size, info.mtime, info.etag, node)

    def copy(self, source: str, destination: str) -> None:
        """Copy a key's file to another key, in its format (no conversion)."""
        node, extension = self._file_of(source)
        node.copy_to(self._destination(destination, extension))

    def move(self, source: str, destination: str) -> None:
        """Move a key's file to another key, in its format: copied, verified, then deleted."""
        node, extension = self._file_of(source)
        node.move_to(self._destination(destination, extension))

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> DataStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DataStore {self._root.fullpath}>"

    # -- keys and files ------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("this data store is closed")

    def _split(self, key: str) -> tuple[str, str]:
        """The key's path (checked by the path rules) and the extension it names, if any."""
        self._check_open()
        if not isinstance(key, str):
            raise TypeError(f"data store keys are str, not {type(key).__name__}")
        path = join("", key)  # UnsafePathError for '..', absolute paths, ...
        if not path:
            raise KeyError(key)
        return self._handlers.split(path)

    def _files(self, stem: str) -> list[tuple[StorageNode, str]]:
        """The files holding the key ``stem``, with their extensions."""
        directory, name = posixpath.split(stem)
        parent = self._directory(directory)
        extensions = self._handlers.readable_extensions
        try:
            listed = self._index.names(parent)
            if listed is None:
                present = parent.files_among(name + e for e in extensions)
                return [(parent.child(name + e), e) for e in extensions if name + e in present]
        except (StorageNotFoundError, NotADirectoryError):
            return []
        # Names a listing returned need no second path check.
        return [(parent.listed_below(name + e), e) for e in extensions if name + e in listed]

    def _directory(self, directory: str) -> StorageNode:
        """The node of a directory of keys, built (and path-checked) once."""
        node = self._directories.get(directory)
        if node is None:
            if len(self._directories) >= _DIRECTORY_NODES:
                self._directories.clear()
            node = self._directories[directory] = (
                self._root.child(directory) if directory else self._root
            )
        return node

    def _file_of(self, key: str) -> tuple[StorageNode, str]:
        stem, extension = self._split(key)
        if extension:
            node = self._root.child(stem + extension)
            if not node.is_file():
                raise KeyError(key)
            return node, extension
        found = self._files(stem)
        if not found:
            raise KeyError(key)
        if len(found) > 1:
            names = ", ".join(node.fullpath for node, _ in found)
            raise AmbiguousKeyError(f"key {key!r} is held by more than one file: {names}")
        return found[0]

    def _destination(self, key: str, extension: str) -> StorageNode:
        stem, named = self._split(key)
        if named and named != extension:
            raise ValueError(f"{key!r} names another format than {extension}: no conversion")
        if stem in self:
            # The copy must not leave the destination key with two formats.
            for other, other_extension in self._files(stem):
                if other_extension != extension:
                    other.delete()
        return self._root.child(stem + extension)
