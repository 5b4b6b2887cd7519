"""Local mounts whose root a callable gives at the time of each operation.

``{"type": "local", "path": tenant_dir}``: ``tenant_dir()`` (no argument) names the
directory for the current context (a tenant, a request, a user), and is called again for
every operation; ``resolver(prefix)`` (one argument) makes a *switched* mount, where the
first segment of each path chooses the directory (``pkg:sys/a.txt`` is ``a.txt`` in
``resolver("sys")``). A node of such a mount names a path, not a file: it follows the
context it is used in, so keep nodes inside the request (or task) that made them.

The callable's answer is checked every time as a configured ``path`` is once: an
absolute path, no NUL byte, no ``..`` segment, and inside the mount's ``within``
directory when it has one. Each operation then runs on a plain local mount of that
directory, so paths and symlinks stay confined to it as on any local mount.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any, ClassVar

from ..capabilities import BackendCapabilities
from ..errors import StorageConfigError, StorageError, UnsafePathError
from ..listing import OnSkip
from .base import AtomicWriter, Backend, PhysicalLocation, StatResult

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["RoutedLocalBackend", "callable_shape_error", "takes_prefix"]

#: Local mounts kept, one per directory the callable named, most recently used last.
_KEPT_ROOTS = 256


def takes_prefix(resolver: Callable[..., Any]) -> bool:
    """Whether ``resolver`` takes the first path segment (a switched mount)."""
    try:
        parameters = inspect.signature(resolver).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: called bare
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(
        p.kind is inspect.Parameter.VAR_POSITIONAL
        or (p.kind in positional and p.default is inspect.Parameter.empty)
        for p in parameters
    )


def callable_shape_error(resolver: Callable[..., Any]) -> str | None:
    """Why ``resolver`` cannot be a mount's path callable (None: it can)."""
    try:
        signature = inspect.signature(resolver)
    except (TypeError, ValueError):
        return None  # nothing to read before it is called
    for arguments in ((), ("prefix",)):
        try:
            signature.bind(*arguments)
        except TypeError:
            continue
        return None
    return (
        f"path callable {getattr(resolver, '__qualname__', resolver)!r} must take no argument, "
        "or one (the first segment of each path)"
    )


class RoutedLocalBackend(Backend):
    """A local mount whose ``path`` is a callable; locations are mount paths.

    Each directory the callable names is served by a mount of :attr:`local_class`
    (``local.py`` sets it: that module imports this one).
    """

    type_name = "local"
    local_class: ClassVar[type[Backend]]

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        self.resolver: Callable[..., Any] = options["path"]
        self.switched = takes_prefix(self.resolver)
        within = options.get("within")
        self.within = os.path.realpath(within) if within is not None else None
        self._mounts: OrderedDict[str, Backend] = OrderedDict()
        self._lock = threading.Lock()

    # -- the directory of now ------------------------------------------------------
    def root_for(self, prefix: str | None = None) -> str:
        """The directory the callable names now (for ``prefix`` on a switched mount)."""
        try:
            answer = self.resolver(prefix) if self.switched else self.resolver()
        except StorageError:
            raise  # already says what is wrong (an unsafe tenant name, say)
        except Exception as exc:
            raise StorageConfigError(
                f"mount {self.mount_name!r}: its path callable failed: {exc}"
            ) from exc
        if not isinstance(answer, (str, os.PathLike)):
            raise StorageConfigError(
                f"mount {self.mount_name!r}: its path callable returned {answer!r}, not a path"
            )
        root = os.fspath(answer)
        if not isinstance(root, str) or not os.path.isabs(root) or "\0" in root:
            raise UnsafePathError(
                f"mount {self.mount_name!r}: its path callable returned {root!r}, "
                "not an absolute path"
            )
        if ".." in root.split(os.sep):
            raise UnsafePathError(
                f"mount {self.mount_name!r}: its path callable returned {root!r}, which holds '..'"
            )
        if self.within is not None:
            real = os.path.realpath(root)
            if real != self.within and not real.startswith(self.within + os.sep):
                raise UnsafePathError(
                    f"mount {self.mount_name!r}: its path callable returned {root!r}, "
                    f"outside {self.within!r}"
                )
        return root

    def _local(self, root: str) -> Backend:
        with self._lock:
            backend = self._mounts.get(root)
            if backend is None:
                options = {k: v for k, v in self.options.items() if k != "within"}
                backend = self.local_class(self.mount_name, {**options, "path": root}, self.context)
                self._mounts[root] = backend
                if len(self._mounts) > _KEPT_ROOTS:
                    self._mounts.popitem(last=False)
            else:
                self._mounts.move_to_end(root)
            return backend

    def route(self, location: str) -> tuple[Backend, str, str]:
        """(the local mount of now, the location there, the prefix of its paths here)."""
        if self.switched:
            prefix, _, rest = location.partition("/")
            backend = self._local(self.root_for(prefix))
            return backend, backend.locate(rest), prefix + "/" if prefix else ""
        backend = self._local(self.root_for())
        return backend, backend.locate(location), ""

    @property
    def base_path(self) -> str:
        """The mount root for the current context (genro-storage's name)."""
        return self.root_for("") if self.switched else self.root_for()

    # -- locations -------------------------------------------------------------------
    def locate(self, path: str) -> str:
        self.route(path)  # refuses now what would escape (the callable runs again later)
        return path

    def relative(self, location: str) -> str:
        return location

    def resolve_location(self, location: str) -> tuple[Backend, str]:
        backend, inner, _prefix = self.route(location)
        return backend, inner

    def physical_location(self, location: str) -> PhysicalLocation:
        backend, inner, _prefix = self.route(location)
        return backend.physical_location(inner)

    # -- everything else: on the local mount of now --------------------------------
    def stat(self, location: str) -> StatResult:
        backend, inner, _prefix = self.route(location)
        return backend.stat(inner)

    def exists(self, location: str) -> bool:
        backend, inner, _prefix = self.route(location)
        return backend.exists(inner)

    def is_file(self, location: str) -> bool:
        backend, inner, _prefix = self.route(location)
        return backend.is_file(inner)

    def listdir(self, location: str) -> list[StatResult]:
        backend, inner, _prefix = self.route(location)
        return backend.listdir(inner)

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        backend, inner, prefix = self.route(location)
        for path, entry in backend.walk_files(inner, on_skip):
            yield prefix + path, entry

    def open_read(self, location: str) -> IO[bytes]:
        backend, inner, _prefix = self.route(location)
        return backend.open_read(inner)

    def read_bytes(self, location: str) -> bytes:
        backend, inner, _prefix = self.route(location)
        return backend.read_bytes(inner)

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        backend, inner, _prefix = self.route(location)
        return backend.open_writer(inner, exclusive=exclusive)

    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        backend, inner, _prefix = self.route(location)
        backend.mkdir(inner, parents=parents, exist_ok=exist_ok)

    def remove_file(self, location: str) -> None:
        backend, inner, _prefix = self.route(location)
        backend.remove_file(inner)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        backend, inner, _prefix = self.route(location)
        backend.remove_dir(inner, recursive=recursive)

    @property
    def capabilities(self) -> BackendCapabilities:
        # Every operation runs on a local mount of the directory of the moment, built with
        # these options: what such a mount can do, whichever directory it is.
        return replace(
            self.local_class.declared_capabilities,
            public_urls=self.options.get("base_url") is not None,
        )

    def set_mtime(self, location: str, mtime: float | None) -> bool:
        backend, inner, _prefix = self.route(location)
        return backend.set_mtime(inner, mtime)

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        backend, inner, _prefix = self.route(location)
        return backend.url(inner, path, expires_in)

    def local_file(self, location: str) -> str | None:
        backend, inner, _prefix = self.route(location)
        return backend.local_file(inner)

    def describe(self) -> str:
        kind = "switched by first segment" if self.switched else "per context"
        return f"local ({kind}: {getattr(self.resolver, '__qualname__', self.resolver)!r})"
