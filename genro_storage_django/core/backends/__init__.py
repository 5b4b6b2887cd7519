"""The backend registry: mount type name -> backend class.

A manager starts from a copy of :data:`default_registry`, so
``manager.register_backend_type`` never leaks into other managers, while
:func:`register_backend_type` at module level extends every manager created after.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from ..errors import BackendUnavailableError, StorageConfigError
from .base import AtomicWriter, Backend, StatResult
from .composite import CompositeBackend

if TYPE_CHECKING:
    from .fsspec_base import FsspecBackend

__all__ = [
    "AtomicWriter",
    "Backend",
    "BackendRegistry",
    "CompositeBackend",
    "FsspecBackend",
    "StatResult",
    "default_registry",
    "missing_requirement",
    "register_backend_type",
]

#: Built-in types as "module:Class", imported when a mount first uses them: a project
#: with local mounts only never imports fsspec's async machinery.
BUILTIN_TYPES = {
    "local": "local:LocalBackend",
    "memory": "memory:MemoryBackend",
    "s3": "s3:S3Backend",
    "gcs": "gcs:GCSBackend",
    "gs": "gcs:GCSBackend",
    "azure": "azure:AzureBackend",
    "az": "azure:AzureBackend",
    "abfs": "azure:AzureBackend",
    "http": "http:HTTPBackend",
    "https": "http:HTTPBackend",
    "base64": "base64:Base64Backend",
    "relative": "relative:RelativeBackend",
    "sqlite": "sqlite:SQLiteBackend",
    "zip": "zip:ZipBackend",
    "tar": "tar:TarBackend",
    "hashdir": "hashdir:HashdirBackend",
    "mirror": "mirror:MirrorBackend",
    "cache": "cache:CacheBackend",
    "fsspec": "generic:GenericFsspecBackend",
}


def __getattr__(name: str) -> object:
    if name == "FsspecBackend":
        from .fsspec_base import FsspecBackend

        return FsspecBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class BackendRegistry:
    def __init__(self, types: dict[str, type[Backend] | str] | None = None) -> None:
        self._types: dict[str, type[Backend] | str] = dict(types or {})

    def register(self, type_name: str, backend_class: type[Backend]) -> None:
        if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
            raise StorageConfigError(
                f"backend for type {type_name!r} must be a Backend subclass, not {backend_class!r}"
            )
        self._types[type_name] = backend_class

    def get(self, type_name: str | None) -> type[Backend] | None:
        entry = self._types.get(type_name) if type_name else None
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
            assert isinstance(entry, type)
            assert issubclass(entry, Backend)
            self._types[type_name] = entry  # type: ignore[index]
        return entry

    def names(self) -> list[str]:
        return sorted(self._types)

    def copy(self) -> BackendRegistry:
        return BackendRegistry(self._types)


def missing_requirement(backend_class: type[Backend]) -> BackendUnavailableError | None:
    """The error to report when a module the backend imports is not installed."""
    for module in backend_class.requires:
        if importlib.util.find_spec(module) is None:
            return BackendUnavailableError(
                backend_class.type_name, backend_class.extra or backend_class.type_name, module
            )
    return None


default_registry = BackendRegistry(dict(BUILTIN_TYPES))


def register_backend_type(type_name: str, backend_class: type[Backend]) -> None:
    """Make ``type_name`` available to every manager created from now on."""
    default_registry.register(type_name, backend_class)
