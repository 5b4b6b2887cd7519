"""The backend registry: mount type name -> backend class.

A manager starts from a copy of :data:`default_registry`, so
``manager.register_backend_type`` never leaks into other managers, while
:func:`register_backend_type` at module level extends every manager created after.
"""

from __future__ import annotations

import importlib.util

from ..errors import BackendUnavailableError, StorageConfigError
from .azure import AzureBackend
from .base import AtomicWriter, Backend, StatResult
from .base64 import Base64Backend
from .fsspec_base import FsspecBackend
from .gcs import GCSBackend
from .generic import GenericFsspecBackend
from .http import HTTPBackend
from .local import LocalBackend
from .memory import MemoryBackend
from .relative import RelativeBackend
from .s3 import S3Backend

__all__ = [
    "AtomicWriter",
    "Backend",
    "BackendRegistry",
    "FsspecBackend",
    "StatResult",
    "default_registry",
    "missing_requirement",
    "register_backend_type",
]


class BackendRegistry:
    def __init__(self, types: dict[str, type[Backend]] | None = None) -> None:
        self._types: dict[str, type[Backend]] = dict(types or {})

    def register(self, type_name: str, backend_class: type[Backend]) -> None:
        if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
            raise StorageConfigError(
                f"backend for type {type_name!r} must be a Backend subclass, not {backend_class!r}"
            )
        self._types[type_name] = backend_class

    def get(self, type_name: str | None) -> type[Backend] | None:
        return self._types.get(type_name) if type_name else None

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


default_registry = BackendRegistry()
for _cls in (
    LocalBackend,
    MemoryBackend,
    S3Backend,
    GCSBackend,
    AzureBackend,
    HTTPBackend,
    Base64Backend,
    RelativeBackend,
    GenericFsspecBackend,
):
    default_registry.register(_cls.type_name, _cls)
# Spellings users bring from fsspec protocols.
for _alias, _cls in (
    ("gs", GCSBackend),
    ("az", AzureBackend),
    ("abfs", AzureBackend),
    ("https", HTTPBackend),
):
    default_registry.register(_alias, _cls)


def register_backend_type(type_name: str, backend_class: type[Backend]) -> None:
    """Make ``type_name`` available to every manager created from now on."""
    default_registry.register(type_name, backend_class)
