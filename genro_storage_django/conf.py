"""The Django settings this app reads, read when used (never at import).

``settings.STORAGE_MOUNTS`` is read on each :func:`get_manager` call, so
``override_settings`` and settings changed by tests take effect at once. The
manager built from it is cached: the cache is reused while the setting is the
same object (or an equal one) and dropped when Django's ``setting_changed``
signal reports a new value.

:data:`DJANGO_MOUNT_KEYS` lists the keys the Django layer adds to every mount's
configuration; it is the one place they are declared. The core accepts them
(``StorageManager(extra_keys=...)``) and keeps them in ``mount.config``.

Django's ``FILE_UPLOAD_PERMISSIONS`` and ``FILE_UPLOAD_DIRECTORY_PERMISSIONS`` reach
the core as option defaults (:func:`option_defaults`): local mounts that set no
``file_permissions`` / ``directory_permissions`` of their own use them. django-storages'
``AWS_*``, ``GS_*`` and ``AZURE_*`` settings fill the keys cloud mounts leave out
(:mod:`genro_storage_django.cloud_settings`). A local mount's ``path`` may name a callable
by its dotted path (:func:`genro_storage_django.tenancy.resolve_dotted_paths`).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .cloud_settings import Found, apply_settings, read_settings
from .core import Mount, StorageConfigError, StorageManager, StorageNode
from .tenancy import resolve_dotted_paths

__all__ = [
    "DJANGO_MOUNT_KEYS",
    "OFFLOAD_MODES",
    "SERVING_KEYS",
    "SETTING_NAME",
    "file_overwrite",
    "get_manager",
    "mounts_setting",
    "option_defaults",
    "reset_manager",
]

SETTING_NAME = "STORAGE_MOUNTS"

#: Serving options, read by the file-serving views (validated now, used by them).
SERVING_KEYS: tuple[str, ...] = (
    "serve",
    "serve_permission",
    "cache_control",
    "offload",
    "offload_prefix",
)
#: Every key the Django layer adds to a mount's configuration.
DJANGO_MOUNT_KEYS: tuple[str, ...] = ("file_overwrite", *SERVING_KEYS)

#: Accepted values of the ``offload`` key (``False`` or absent: no offload).
OFFLOAD_MODES: tuple[str, ...] = ("redirect", "x-accel-redirect", "x-sendfile")


def mounts_setting() -> Any:
    """The current value of ``settings.STORAGE_MOUNTS`` (``{}`` when it is not set)."""
    return getattr(settings, SETTING_NAME, {})


def option_defaults() -> dict[str, Any]:
    """The mount options Django's settings give to the mounts that do not set them."""
    defaults = {
        "file_permissions": settings.FILE_UPLOAD_PERMISSIONS,
        "directory_permissions": settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS,
    }
    return {key: value for key, value in defaults.items() if value is not None}


class _ManagerCache:
    """The manager of the current setting, with the setting it was built from."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.source: Any = None  # the setting object the manager was built from
        self.snapshot: Any = None  # a deep copy of it, to recognise an equal new object
        # The option defaults and django-storages settings it was built with.
        self.defaults: tuple[dict[str, Any], Found] | None = None
        self.manager: StorageManager | None = None

    def clear(self) -> None:
        with self.lock:
            self.source = self.snapshot = self.manager = None
            self.defaults = None


_cache = _ManagerCache()


def get_manager() -> StorageManager:
    """The :class:`StorageManager` built from ``settings.STORAGE_MOUNTS``.

    Raises ``ImproperlyConfigured`` when the setting is invalid; ``manage.py
    check`` lists every problem of it with its check ID.
    """
    mounts = mounts_setting()
    defaults = (option_defaults(), read_settings())
    manager = _cache.manager
    if manager is not None and _cache.source is mounts and _cache.defaults == defaults:
        return manager
    with _cache.lock:
        if (
            _cache.manager is not None
            and _cache.defaults == defaults
            and _same_setting(_cache.snapshot, mounts)
        ):
            _cache.source = mounts
            return _cache.manager
        configs, bad_paths = resolve_dotted_paths(apply_settings(mounts, defaults[1])[0])
        if bad_paths:
            name, _key, message = bad_paths[0]
            raise ImproperlyConfigured(
                f"settings.{SETTING_NAME} is invalid: mount {name!r}: {message}"
            )
        try:
            manager = StorageManager(
                configs, extra_keys=DJANGO_MOUNT_KEYS, option_defaults=defaults[0]
            )
        except StorageConfigError as exc:
            raise ImproperlyConfigured(
                f"settings.{SETTING_NAME} is invalid: {exc} (run 'manage.py check' for details)"
            ) from exc
        manager.url_signer = _sign_url
        _cache.source, _cache.snapshot, _cache.manager = mounts, _snapshot(mounts), manager
        _cache.defaults = defaults
        return manager


def _sign_url(
    node: StorageNode,
    *,
    expires_in: int | None,
    download: bool,
    filename: str | None,
) -> str | None:
    """``node.signed_url()`` on the manager of the setting: a signed URL of the file view."""
    from .serving.links import signed_file_url

    return signed_file_url(node, expires_in=expires_in, download=download, filename=filename)


def reset_manager() -> None:
    """Forget the cached manager: the next :func:`get_manager` builds a new one."""
    _cache.clear()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        reset_manager()


def file_overwrite(mount: Mount) -> bool:
    """Whether saving to an existing name replaces the file (default: never)."""
    return mount.config.get("file_overwrite") is True


def _snapshot(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # an exotic object in the setting: fall back to identity only
        return _Unequal()


def _same_setting(snapshot: Any, value: Any) -> bool:
    try:
        return bool(snapshot == value)
    except Exception:
        return False


class _Unequal:
    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]
