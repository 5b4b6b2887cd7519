"""Entries a listing leaves out, and how it tells: a warning and ``on_skip(path, reason)``.

A directory may hold names that no mount path can spell: bytes that are not UTF-8,
a newline, a backslash (a separator to the path rules), a literal ``%2f``, an
object key with a ``..`` or empty segment. Such an entry cannot become a node, so
nothing can read, copy or delete it through the storage API: listings and walks
leave it out instead of failing the whole directory. A walk also leaves out a
symlink that leads back to a directory it is already inside (a loop).

Each entry left out is logged as a warning on the ``genro_storage_django.listing``
logger and passed to the caller's ``on_skip(path, reason)``, ``path`` being
``mount:path`` with unprintable characters escaped.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import StorageError
from .paths import normalize

if TYPE_CHECKING:
    from .backends.base import Backend, StatResult
    from .node import StorageNode

__all__ = [
    "DUPLICATE_NAME",
    "REASONS",
    "SPECIAL_MEMBER",
    "SYMLINK_ALIAS",
    "SYMLINK_LOOP",
    "UNSAFE_NAME",
    "OnSkip",
    "identities_above",
    "identity_of",
    "is_safe_name",
    "is_safe_path",
    "list_backend",
    "printable",
    "safe_entries",
    "skipped",
    "through_links",
    "walk_backend",
    "walk_tree",
]

logger = logging.getLogger("genro_storage_django.listing")

#: A name the path rules refuse.
UNSAFE_NAME = "unsafe-name"
#: A symlink back to a directory the walk is inside, or one that resolves to itself.
SYMLINK_LOOP = "symlink-loop"
#: A file a sync does not delete: its listing reached it through a symlinked directory.
SYMLINK_ALIAS = "symlink-alias"
#: An archive member whose name several members share: tools disagree on which one it is.
DUPLICATE_NAME = "duplicate-name"
#: An archive member that is a link, a device or a pipe: never followed nor extracted.
SPECIAL_MEMBER = "special-member"
#: Printable ASCII without a separator or a percent sign: safe unless "." or "..".
_PLAIN = re.compile(r"[ -$&-.0-\[\]-~]+")
REASONS = frozenset({UNSAFE_NAME, SYMLINK_LOOP, SYMLINK_ALIAS, DUPLICATE_NAME, SPECIAL_MEMBER})

OnSkip = Callable[[str, str], Any]


def is_safe_name(name: str) -> bool:
    """Whether ``name`` is one path segment the path rules accept as it is."""
    if _PLAIN.fullmatch(name):
        # The common case, decided without the full rules.
        return name not in (".", "..")
    return "/" not in name and _normalizes_to_itself(name)


def is_safe_path(path: str) -> bool:
    """Whether the relative ``path`` a walk returned is a mount path as it is."""
    if path.isascii() and path.isprintable() and "\\" not in path and "%" not in path:
        framed = f"/{path}/"
        return not ("//" in framed or "/./" in framed or "/../" in framed)
    return _normalizes_to_itself(path)


def _normalizes_to_itself(path: str) -> bool:
    try:
        return normalize(path) == path
    except StorageError:
        return False


def printable(text: str) -> str:
    """``text`` with what a terminal or a log line cannot show escaped (``\\n``, ``\\xff``)."""
    if text.isprintable():
        return text
    with contextlib.suppress(UnicodeError):
        # Bytes that are not UTF-8 arrive as lone surrogates (os.fsdecode): show the bytes.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def skipped(on_skip: OnSkip | None, shown: str, reason: str) -> None:
    """Log one entry left out and tell ``on_skip``; ``shown`` is ``mount:path``."""
    shown = printable(shown)
    logger.warning("skipped %s: %s", shown, reason)
    if on_skip is not None:
        on_skip(shown, reason)


def safe_entries(
    found: Iterator[tuple[str, StatResult]] | list[tuple[str, StatResult]],
    mount: str,
    on_skip: OnSkip | None,
) -> Iterator[tuple[str, StatResult]]:
    """The walk results whose paths are mount paths; the others are reported.

    A directory with an unsafe name is reported once, not once per file below it.
    """
    reported: set[str] = set()
    for path, entry in found:
        if is_safe_path(path):
            yield path, entry
            continue
        head = _unsafe_head(path)
        if head not in reported:
            reported.add(head)
            skipped(on_skip, f"{mount}:{head}", UNSAFE_NAME)


def _unsafe_head(path: str) -> str:
    """The shortest leading part of ``path`` that ends in a refused segment."""
    segments = path.split("/")
    refused = (i for i, segment in enumerate(segments) if not segment or not is_safe_name(segment))
    return "/".join(segments[: next(refused, len(segments) - 1) + 1])


def walk_tree(
    top: StorageNode, top_down: bool, on_skip: OnSkip | None
) -> Iterator[tuple[StorageNode, list[StorageNode], list[StorageNode]]]:
    """:meth:`StorageNode.walk <genro_storage_django.core.StorageNode.walk>`, without
    recursion; a directory already being walked (or above ``top``) is a loop."""
    inside = identities_above(top)
    # A node is a directory to enter; a tuple, one to leave.
    stack: list[Any] = [top]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            directory, dirs, files, identity = item
            inside.discard(identity)
            if not top_down:
                yield directory, dirs, files
            continue
        identity = identity_of(item)
        if identity is not None and identity in inside:
            skipped(on_skip, item.fullpath, SYMLINK_LOOP)
            continue
        dirs, files = [], []
        for child, entry in item.scandir(on_skip):
            (dirs if entry.is_dir else files).append(child)
        if top_down:
            yield item, dirs, files  # the caller may prune ``dirs``, as with os.walk
        inside.add(identity)
        stack.append((item, dirs, files, identity))
        stack.extend(reversed(dirs))


def through_links(root: StorageNode, relatives: Iterable[str]) -> set[str]:
    """Which of ``relatives`` (paths a walk of ``root`` returned) it reached through a
    symlinked directory: deleting a file by such a path deletes the file the link leads
    to, which may be a kept file below ``root`` or a file outside it."""
    if root.backend.disk_root() is None:
        return set()  # off the local disk no walk follows a link
    top = root.backend.physical_location(root.location).path
    base = top.rstrip("/") + "/" if top else ""
    found = set()
    for relative in relatives:
        node = root.listed_below(relative)
        expected = base + relative if relative else top
        if node.backend.physical_location(node.location).path != expected:
            found.add(relative)
    return found


def identity_of(node: StorageNode) -> Hashable | None:
    """The backend's :meth:`~.backends.base.Backend.identity` of ``node``, None when
    paths there never alias or ``node`` is gone (whoever lists it next reports that)."""
    try:
        return node.backend.identity(node.location)
    except OSError:
        return None


def identities_above(node: StorageNode) -> set[Hashable]:
    """The identities of the directories above ``node`` in its mount (see
    :meth:`~.backends.base.Backend.identity`): a walk from ``node`` that reaches one
    of them is going round a loop. Empty where paths never alias."""
    found: set[Hashable] = set()
    current = node
    while current.path:
        current = current.parent
        identity = identity_of(current)
        if identity is None:
            break
        found.add(identity)
    return found


def walk_backend(
    backend: Backend, location: str, on_skip: OnSkip | None
) -> Iterator[tuple[str, StatResult]]:
    """``backend.walk_files``, passing ``on_skip`` only to the overrides that take it.

    Backends written before ``on_skip`` existed override ``walk_files(location)``;
    they keep working, and only lose the loop reports.
    """
    if on_skip is not None and _takes_on_skip(type(backend).walk_files):
        return backend.walk_files(location, on_skip=on_skip)
    return backend.walk_files(location)


def list_backend(backend: Backend, location: str, on_skip: OnSkip | None) -> list[StatResult]:
    """``backend.listdir``, passing ``on_skip`` to the backends that report what their
    listing leaves out themselves (archive members the path rules refuse)."""
    if on_skip is not None and _takes_on_skip(type(backend).listdir):
        return backend.listdir(location, on_skip=on_skip)  # type: ignore[call-arg]
    return backend.listdir(location)


@functools.lru_cache(maxsize=64)
def _takes_on_skip(method: Callable[..., Any]) -> bool:
    parameters = inspect.signature(method).parameters.values()
    return any(p.name == "on_skip" or p.kind is p.VAR_KEYWORD for p in parameters)
