"""Stand-ins for Django's ``FileSystemStorage`` and ``InMemoryStorage`` made of mounts.

Each stand-in is a ``MountStorage`` whose mount is derived from the constructor
arguments Django's tests pass (``location``, ``base_url``, the permission modes,
``allow_overwrite``), with the settings defaults (``MEDIA_ROOT``, ``MEDIA_URL``,
``FILE_UPLOAD_*PERMISSIONS``) read when the storage is used, as Django's classes do.
The mount is added to the running manager on first use; :func:`install` swaps the
classes in everywhere the tests import them from.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import warnings
from typing import Any

from django.conf import settings
from django.core.files import storage as storage_package
from django.core.files.storage import filesystem, memory
from django.utils import deprecation
from django.utils.deconstruct import deconstructible

from genro_storage_django import conf
from genro_storage_django.storage import MountStorage

__all__ = ["FileSystemMountStorage", "InMemoryMountStorage", "install"]

#: The object behind ``settings.STORAGE_MOUNTS`` while the suite runs.
MOUNTS: dict[str, dict[str, Any]] = {}

_OPEN_FLAGS: int | None = getattr(filesystem.FileSystemStorage, "OS_OPEN_FLAGS", None)

_memory_ids = itertools.count()
_lock = threading.Lock()


def _register(name: str, config: dict[str, Any]) -> str:
    """Add the mount to the setting and to the live manager (memory stores survive).

    A name stands for one config (a digest of it, or one per memory storage), so a
    registered name needs nothing more.
    """
    with _lock:  # a storage used from two threads at once registers its mount once
        if name not in MOUNTS:
            manager = conf.get_manager()
            MOUNTS[name] = config
            manager.add_mount({"name": name, **config})
    return name


class _SettingsDefaults:
    """The constructor arguments, each falling back to its Django setting when None."""

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        base_url: str | None = None,
        file_permissions_mode: int | None = None,
        directory_permissions_mode: int | None = None,
        allow_overwrite: bool = False,
    ) -> None:
        self._location = location
        self._base_url = base_url
        self._file_permissions_mode = file_permissions_mode
        self._directory_permissions_mode = directory_permissions_mode
        self._allow_overwrite = allow_overwrite
        self._url_set = False

    @property
    def base_location(self) -> Any:
        return settings.MEDIA_ROOT if self._location is None else self._location

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str | None:
        url = settings.MEDIA_URL if self._base_url is None and not self._url_set else self._base_url
        if url is not None and not str(url).endswith("/"):
            url = f"{url}/"
        return url

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        self._base_url, self._url_set = value, True

    @property
    def file_permissions_mode(self) -> int | None:
        mode = self._file_permissions_mode
        return settings.FILE_UPLOAD_PERMISSIONS if mode is None else mode

    @property
    def directory_permissions_mode(self) -> int | None:
        mode = self._directory_permissions_mode
        return settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS if mode is None else mode

    def _local_options(self) -> dict[str, Any]:
        # Only the modes given here: the settings' defaults reach the mount through
        # the Django layer (genro_storage_django.conf.option_defaults), as in a project.
        options: dict[str, Any] = {"file_overwrite": self._allow_overwrite}
        if self._file_permissions_mode is not None:
            options["file_permissions"] = self._file_permissions_mode
        if self._directory_permissions_mode is not None:
            options["directory_permissions"] = self._directory_permissions_mode
        return options


@deconstructible(path="django.core.files.storage.FileSystemStorage")
class FileSystemMountStorage(_SettingsDefaults, MountStorage):
    """``FileSystemStorage(location=..., ...)`` as a local mount rooted at ``location``."""

    # Django 5.x still honours subclasses clearing O_EXCL here (deprecated, gone in 6.0).
    OS_OPEN_FLAGS = _OPEN_FLAGS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _SettingsDefaults.__init__(self, *args, **kwargs)
        MountStorage.__init__(self, mount="pending")
        if self.OS_OPEN_FLAGS is not None and not self.OS_OPEN_FLAGS & os.O_EXCL:
            warnings.warn(
                "Overriding OS_OPEN_FLAGS is deprecated. Use the allow_overwrite "
                "parameter instead.",
                getattr(deprecation, "RemovedInDjango60Warning", DeprecationWarning),
                stacklevel=2,
            )
            self._allow_overwrite = True

    @property
    def mount_name(self) -> str:
        config: dict[str, Any] = {"type": "local", "path": self.location, **self._local_options()}
        if self.base_url is not None:
            config["base_url"] = str(self.base_url)
        digest = hashlib.sha1(repr(sorted(config.items())).encode()).hexdigest()[:16]
        return _register(f"fs_{digest}", config)

    @mount_name.setter
    def mount_name(self, value: str) -> None:
        """``MountStorage.__init__`` names a fixed mount; here the name follows the settings."""


@deconstructible(path="django.core.files.storage.InMemoryStorage")
class InMemoryMountStorage(_SettingsDefaults, MountStorage):
    """``InMemoryStorage()`` as a memory mount of its own (one store per instance)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _SettingsDefaults.__init__(self, *args, **kwargs)
        MountStorage.__init__(self, mount="pending")
        self._name = f"memory_{next(_memory_ids)}"

    @property
    def mount_name(self) -> str:
        # Memory has no permission bits: only the overwrite rule carries over.
        return _register(self._name, {"type": "memory", "file_overwrite": self._allow_overwrite})

    @mount_name.setter
    def mount_name(self, value: str) -> None:
        """As :attr:`FileSystemMountStorage.mount_name`."""


def install() -> None:
    """Make every name Django's tests import the storage classes from give the stand-ins."""
    for module in (storage_package, filesystem):
        module.FileSystemStorage = FileSystemMountStorage  # type: ignore[misc]
    for module in (storage_package, memory):
        module.InMemoryStorage = InMemoryMountStorage  # type: ignore[misc]
