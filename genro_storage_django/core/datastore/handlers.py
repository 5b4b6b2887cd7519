"""What turns a value into a file and back: :class:`DataHandler`, and the registry of them.

A handler claims values (:meth:`DataHandler.can_write`) and file extensions. Which one
writes a value: the key's extension narrows the choice to the handlers of that format;
among the candidates the highest ``priority`` wins, and on a tie the one registered
last. Which one reads a file: the highest-ranked handler that reads its extension.
"""

from __future__ import annotations

import importlib
import itertools
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import IO, Any, ClassVar, NamedTuple

from ..errors import StorageError

__all__ = [
    "DataHandler",
    "HandlerRegistry",
    "MissingLibraryError",
    "default_registry",
    "optional_import",
    "register_handler",
]

_order = itertools.count()  # registration order across every registry: the tie-breaker


class MissingLibraryError(StorageError, ImportError):
    """A format needs an optional library that is not installed."""


def optional_import(module: str, extra: str = "data") -> ModuleType:
    """Import ``module`` or raise :class:`MissingLibraryError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingLibraryError(
            f"this format needs {module!r}: pip install 'genro-storage-django[{extra}]'"
        ) from exc


class DataHandler(ABC):
    """Writes values of some types in some formats, and reads them back as equal values
    of the same type.

    Subclasses set :attr:`extensions` (with their dot; the first one is written for a
    key that names none) and implement the three methods. ``write`` raises ``TypeError``
    for a value it cannot store exactly; it writes into an atomic stream, so a refusal
    half-way through leaves the previous value in place.
    """

    #: The formats, as file extensions with their dot (".json"); the first is the default.
    extensions: ClassVar[tuple[str, ...]] = ()
    #: Whether a key that names no extension may pick this handler (False: only a key
    #: ending in one of its extensions does, as for YAML next to JSON).
    by_default: ClassVar[bool] = True
    #: Whether reading runs code a crafted file chooses (pickle): only stores opened
    #: with ``allow_pickle=True`` use such a handler.
    runs_code: ClassVar[bool] = False

    @abstractmethod
    def can_write(self, value: object) -> bool:
        """Whether this handler stores ``value`` (cheap: a type check, mostly)."""

    @abstractmethod
    def write(self, value: Any, stream: IO[bytes], extension: str) -> None:
        """Write ``value`` in the format of ``extension`` to ``stream``."""

    @abstractmethod
    def read(self, stream: IO[bytes], extension: str) -> Any:
        """Read a value from ``stream`` holding a file of ``extension``."""

    def reads(self, extension: str) -> bool:
        """Whether a file of ``extension`` reads back through this handler."""
        return extension in self.extensions

    def refusal(self, value: object) -> str | None:
        """Why a value this handler would otherwise take cannot be stored exactly (for
        the ``TypeError`` when no handler takes it), or None."""
        return None


class _Entry(NamedTuple):
    priority: int
    order: int
    handler: DataHandler


class HandlerRegistry:
    """Handlers with their priorities; thread-safe, cheap to read."""

    def __init__(self, parent: HandlerRegistry | None = None) -> None:
        self._parent = parent
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()
        self._version = 0

    def register(self, handler: DataHandler, priority: int = 0) -> None:
        if not isinstance(handler, DataHandler):
            raise TypeError(f"{handler!r} is not a DataHandler")
        if not handler.extensions or not all(e.startswith(".") for e in handler.extensions):
            raise ValueError(f"{type(handler).__name__}.extensions must be like ('.json',)")
        with self._lock:
            self._entries.append(_Entry(priority, next(_order), handler))
            self._version += 1

    def unregister(self, handler: DataHandler) -> None:
        """Stop using ``handler`` (registered here); ValueError if it is not."""
        with self._lock:
            kept = [entry for entry in self._entries if entry.handler is not handler]
            if len(kept) == len(self._entries):
                raise ValueError(f"{handler!r} is not registered here")
            self._entries = kept
            self._version += 1

    @property
    def version(self) -> tuple[int, ...]:
        own = (self._version,)
        return own if self._parent is None else self._parent.version + own

    def ranked(self) -> list[DataHandler]:
        """Every handler, this registry's and its parent's, best first."""
        entries = sorted(self.entries(), key=lambda e: (e.priority, e.order), reverse=True)
        return [entry.handler for entry in entries]

    def entries(self) -> list[_Entry]:
        """This registry's registrations and its parent's, in no particular order."""
        inherited = self._parent.entries() if self._parent is not None else []
        return self._entries + inherited


class RankedHandlers:
    """A registry's handlers, ranked once and re-ranked when a registration changes them."""

    def __init__(self, registry: HandlerRegistry, *, allow_pickle: bool) -> None:
        self._registry = registry
        self._allow_pickle = allow_pickle
        self._version: tuple[int, ...] | None = None
        self._ranked: list[DataHandler] = []
        self._extensions: tuple[str, ...] = ()
        self._readable: tuple[str, ...] = ()

    def _refresh(self) -> list[DataHandler]:
        version = self._registry.version
        if version != self._version:
            self._ranked = self._registry.ranked()
            known = {e for handler in self._ranked for e in handler.extensions}
            # Longest first: ".tar.gz" is tried before ".gz".
            self._extensions = tuple(sorted(known, key=len, reverse=True))
            self._readable = tuple(
                sorted(e for e in known if any(h.reads(e) for h in self._ranked))
            )
            self._version = version
        return self._ranked

    def __iter__(self) -> Iterator[DataHandler]:
        return iter(self._refresh())

    @property
    def extensions(self) -> tuple[str, ...]:
        """Every extension some handler knows, longest first."""
        self._refresh()
        return self._extensions

    @property
    def readable_extensions(self) -> tuple[str, ...]:
        """The extensions some handler reads, sorted: the files a key may be."""
        self._refresh()
        return self._readable

    def split(self, name: str) -> tuple[str, str]:
        """``("metrics", ".json")`` for ``"metrics.json"``; ``(name, "")`` when no handler
        knows the name's extension. Extensions are matched as registered (lower case):
        ``report.JSON`` is a key of its own, not a JSON file."""
        for extension in self.extensions:
            if name.endswith(extension) and len(name) > len(extension):
                return name[: -len(extension)], extension
        return name, ""

    def for_writing(self, value: object, extension: str) -> DataHandler:
        reasons: list[str] = []
        for handler in self:
            if extension:
                if extension not in handler.extensions:
                    continue
            elif not handler.by_default:
                continue
            if handler.runs_code and not self._allow_pickle:
                continue
            if handler.can_write(value):
                return handler
            reason = handler.refusal(value)
            if reason:
                reasons.append(reason)
        where = f" as {extension}" if extension else ""
        detail = f": {'; '.join(reasons)}" if reasons else ""
        raise TypeError(f"no data handler stores a {type(value).__name__} exactly{where}{detail}")

    def for_reading(self, extension: str) -> DataHandler:
        for handler in self:
            if handler.reads(extension):
                if handler.runs_code and not self._allow_pickle:
                    raise UnsafeFormatError(
                        f"reading a {extension} file can run code the file chooses: open "
                        "the store with allow_pickle=True if you trust who wrote it"
                    )
                return handler
        raise TypeError(f"no data handler reads {extension} files")


class UnsafeFormatError(StorageError, PermissionError):
    """A format whose reading runs code (pickle), on a store that does not allow it."""


#: The handlers every store uses, the built-in ones included (see :func:`register_handler`).
default_registry = HandlerRegistry()


def register_handler(handler: DataHandler, priority: int = 0) -> None:
    """Register ``handler`` for every data store, those already open included."""
    default_registry.register(handler, priority)


def register_all(handlers: Iterable[DataHandler]) -> None:
    for handler in handlers:
        default_registry.register(handler)
