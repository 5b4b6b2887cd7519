"""genro-storage-django: named storage mounts for Django on fsspec.

The storage core lives in :mod:`genro_storage_django.core` and works without
Django settings. The Django app (settings, checks, storages, views, commands)
is built on it.
"""

from __future__ import annotations

from .core import StorageManager, StorageNode

__all__ = ["StorageManager", "StorageNode"]
__version__ = "0.1.0"
