"""Virtual nodes: content computed from other nodes when it is read, stored nowhere.

- :class:`IterNode` (``manager.iternode(a, b, ...)``) reads as its sources one after
  the other; ``append``/``extend`` add sources later.
- :class:`DiffNode` (``manager.diffnode(a, b)``) reads as the unified diff of two text files.

Both are lazy: the sources are read when the virtual node is, so a change made to a source
after the virtual node was built is seen. Neither exists on any mount, so ``exists()`` is
False and every write is refused with :class:`~.errors.VirtualNodeError` (also a
``ValueError``, as genro-storage raises). ``copy_to(dest)`` streams the content into a real
node; ``zip()`` archives the sources (see :mod:`.archive`).
"""

from __future__ import annotations

import difflib
import io
import shutil
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, NoReturn

from .archive import ZipTarget, archive_members, write_zip
from .capabilities import BackendCapabilities
from .errors import VirtualNodeError
from .modes import CHUNK_SIZE

if TYPE_CHECKING:
    from .manager import StorageManager
    from .node import StorageNode

__all__ = ["DiffNode", "IterNode", "VirtualNode"]

# Content made when read, stored nowhere: nothing to write, list or sign. A concatenation
# streams its sources (no seeking); a diff is made whole, in memory.
_STREAMED = BackendCapabilities.read_only(list_dir=False, directories=False, seek_support=False)
_IN_MEMORY = BackendCapabilities.read_only(list_dir=False, directories=False)


class VirtualNode:
    """What both kinds of virtual node share: reading, copying out, refusing writes."""

    def __init__(self, manager: StorageManager) -> None:
        self._manager = manager

    @property
    def manager(self) -> StorageManager:
        return self._manager

    @property
    def fullpath(self) -> str:
        """A description for messages: a virtual node has no ``mount:path``."""
        raise NotImplementedError

    @property
    def path(self) -> str:
        return ""

    @property
    def basename(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"<{self.fullpath}>"

    def exists(self) -> bool:
        return False

    def is_file(self) -> bool:
        return False

    def is_dir(self) -> bool:
        return False

    @property
    def capabilities(self) -> BackendCapabilities:
        """Read-only, as a node's ``capabilities`` say it (there is no backend to ask)."""
        return _IN_MEMORY

    @property
    def ext_attributes(self) -> tuple[float | None, int | None, bool]:
        """As a node with nothing at its path: ``(None, None, False)``."""
        return None, None, False

    # -- reading -------------------------------------------------------------------
    def open(self, mode: str = "r", *, encoding: str | None = None) -> IO[Any]:
        """A read stream of the content: ``r`` (text, as a node's default) or ``rb``; any
        write mode is refused."""
        if mode not in ("r", "rb"):
            self._refuse("open for writing")
        stream = self._open_bytes()
        if mode == "rb":
            return stream
        return io.TextIOWrapper(stream, encoding=encoding or "utf-8")

    def _open_bytes(self) -> IO[bytes]:
        return io.BytesIO(self.read_bytes())

    def read_bytes(self) -> bytes:
        raise NotImplementedError

    def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self.read_bytes().decode(encoding, errors)

    def read(self, mode: str = "r", encoding: str = "utf-8") -> str | bytes:
        """genro-storage spelling: text by default, bytes with ``mode="rb"``."""
        return self.read_bytes() if "b" in mode else self.read_text(encoding)

    def copy_to(self, dest: StorageNode | str) -> StorageNode:
        """Write the content to ``dest`` (streamed, atomically) and return that node."""
        target = self._manager.resolve(dest)
        with self._open_bytes() as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK_SIZE)
        return target

    # -- writes are refused --------------------------------------------------------
    def _refuse(self, action: str) -> NoReturn:
        raise VirtualNodeError(
            f"cannot {action} {self.fullpath}: a virtual node has no path, it is read-only "
            "(copy_to() a real node to keep its content)"
        )

    def write(self, *args: object, **kwargs: object) -> NoReturn:
        self._refuse("write")

    def write_bytes(self, *args: object, **kwargs: object) -> NoReturn:
        self._refuse("write")

    def write_text(self, *args: object, **kwargs: object) -> NoReturn:
        self._refuse("write")

    def delete(self, *args: object, **kwargs: object) -> NoReturn:
        self._refuse("delete")


class IterNode(VirtualNode):
    """The concatenation of its sources, read in order when the node is read."""

    def __init__(self, manager: StorageManager, sources: Iterable[StorageNode | VirtualNode]):
        super().__init__(manager)
        self._sources: list[StorageNode | VirtualNode] = list(sources)

    @property
    def capabilities(self) -> BackendCapabilities:
        return _STREAMED

    @property
    def sources(self) -> list[StorageNode | VirtualNode]:
        """The sources, in order (a copy: use :meth:`append` and :meth:`extend`)."""
        return list(self._sources)

    @property
    def fullpath(self) -> str:
        return "iternode(" + ", ".join(source.fullpath for source in self._sources) + ")"

    def append(self, node: StorageNode | VirtualNode) -> None:
        self._sources.append(node)

    def extend(self, *nodes: StorageNode | VirtualNode) -> None:
        self._sources.extend(nodes)

    def _open_bytes(self) -> IO[bytes]:
        return io.BufferedReader(_ChainedReader(self._sources), CHUNK_SIZE)

    def read_bytes(self) -> bytes:
        with self._open_bytes() as stream:
            return stream.read()

    def zip(self) -> bytes:
        """A ZIP archive holding each source under its name (directories recursively)."""
        buffer = io.BytesIO()
        self.zip_to(buffer)
        return buffer.getvalue()

    def zip_to(self, target: ZipTarget) -> None:
        """Stream the archive of :meth:`zip` into a node or a binary file object."""
        write_zip(self._manager, target, archive_members(self._sources))


class DiffNode(VirtualNode):
    """The unified diff from ``old`` to ``new`` (empty when their texts are equal).

    Both files are read whole when the diff is read: diffing needs every line of both.
    """

    def __init__(self, manager: StorageManager, old: StorageNode, new: StorageNode) -> None:
        super().__init__(manager)
        self._old = old
        self._new = new

    @property
    def fullpath(self) -> str:
        return f"diffnode({self._old.fullpath}, {self._new.fullpath})"

    def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        old = self._text_of(self._old, encoding, errors)
        new = self._text_of(self._new, encoding, errors)
        lines = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=self._old.fullpath,
            tofile=self._new.fullpath,
        )
        return "".join(lines)

    def read_bytes(self) -> bytes:
        return self.read_text().encode("utf-8")

    def _text_of(self, node: StorageNode, encoding: str, errors: str) -> str:
        data = node.read_bytes()
        # A NUL byte never appears in text; a file that has one is binary whatever it decodes as.
        if b"\x00" not in data:
            try:
                return data.decode(encoding, errors)
            except UnicodeDecodeError:
                pass
        raise VirtualNodeError(
            f"cannot diff {self.fullpath}: {node.fullpath} is binary, not {encoding} text"
        )


class _ChainedReader(io.RawIOBase):
    """One read stream over several sources, each opened when the previous one ends."""

    def __init__(self, sources: list[StorageNode | VirtualNode]) -> None:
        super().__init__()
        self._pending = iter(list(sources))
        self._current: IO[bytes] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._current is None:
                following = next(self._pending, None)
                if following is None:
                    return 0
                self._current = following.open("rb")
            count = self._current.readinto(buffer)  # type: ignore[attr-defined]
            if count:
                return int(count)
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()
