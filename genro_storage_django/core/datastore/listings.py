"""The file names of a store's directories, kept while each directory's stamp holds.

Finding a key's file means knowing every file of the key's name in any format — two of
them make the key ambiguous. Asking the backend per format costs a request per format;
a listing costs the size of the directory. Where the backend can stamp a directory
(:meth:`~genro_storage_django.core.node.StorageNode.directory_stamp`: local disk), one
listing serves every read until an entry changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..node import StorageNode

__all__ = ["ListingCache"]


class ListingCache:
    """Names of files per directory, each with the stamp it was listed under; the least
    recently used directories are forgotten beyond ``directories``."""

    def __init__(self, directories: int = 256) -> None:
        self._limit = directories
        self._listed: OrderedDict[str, tuple[Hashable, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def names(self, directory: StorageNode) -> frozenset[str] | None:
        """The names of the files in ``directory``, or None when its backend gives no
        stamp (the caller then asks about the names it wants)."""
        stamp = directory.directory_stamp()
        if stamp is None:
            return None
        where = directory.fullpath
        with self._lock:
            cached = self._listed.get(where)
            if cached is not None and cached[0] == stamp:
                self._listed.move_to_end(where)
                return cached[1]
        names = frozenset(child.name for child, entry in directory.scandir() if entry.is_file)
        if directory.directory_stamp() != stamp:
            return names  # changed while listed: right for now, not to be kept
        with self._lock:
            self._listed[where] = (stamp, names)
            self._listed.move_to_end(where)
            while len(self._listed) > self._limit:
                self._listed.popitem(last=False)
        return names
