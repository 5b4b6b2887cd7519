"""genro-storage-django: named storage mounts for Django on fsspec.

The storage core lives in :mod:`genro_storage_django.core` and works without
Django settings. The Django app (settings, checks, storages) is built on it;
its names below are imported on first use, so importing this package needs no
configured settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import StorageManager, StorageNode

if TYPE_CHECKING:
    from .conf import get_manager
    from .storage import MountStorage, datastore, mount, node_for

__all__ = [
    "MountStorage",
    "StorageManager",
    "StorageNode",
    "datastore",
    "get_manager",
    "mount",
    "node_for",
]
__version__ = "0.1.0"

_LAZY = {
    "get_manager": "conf",
    "MountStorage": "storage",
    "datastore": "storage",
    "mount": "storage",
    "node_for": "storage",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
