"""django-storages' global settings (``AWS_*``, ``GS_*``, ``AZURE_*``) as mount defaults.

A project moving over keeps its settings: an ``s3`` mount that leaves out ``bucket``
takes ``AWS_STORAGE_BUCKET_NAME``, a ``gcs`` mount without ``default_acl`` takes
``GS_DEFAULT_ACL``, and so on (:data:`SETTINGS`). A mount's own key always wins, and
credentials come as a group: a mount that names any of its type's credentials takes
none from the settings, so a mount's ``connection_string`` is never mixed with a
global ``AZURE_ACCOUNT_KEY``. The settings are read when first used and again whenever
Django's ``setting_changed`` signal reports one of them (``override_settings`` does):
looking up some forty absent settings costs about 130 µs, too much for every storage call.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .core import StorageConfigError
from .core.backends import default_registry
from .core.config import load_mount_configs, mount_type

__all__ = ["SETTINGS", "apply_settings", "read_settings"]

#: Per mount type: mount key -> the django-storages settings giving it, first found wins.
SETTINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "s3": {
        "key": ("AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
        "secret": ("AWS_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
        "bucket": ("AWS_STORAGE_BUCKET_NAME",),
        "region": ("AWS_S3_REGION_NAME",),
        "endpoint_url": ("AWS_S3_ENDPOINT_URL",),
        "custom_domain": ("AWS_S3_CUSTOM_DOMAIN",),
        "default_acl": ("AWS_DEFAULT_ACL",),
        "querystring_auth": ("AWS_QUERYSTRING_AUTH",),
        "querystring_expire": ("AWS_QUERYSTRING_EXPIRE",),
        "object_parameters": ("AWS_S3_OBJECT_PARAMETERS",),
        "prefix": ("AWS_LOCATION",),
        "file_overwrite": ("AWS_S3_FILE_OVERWRITE",),
        "signature_version": ("AWS_S3_SIGNATURE_VERSION",),
        "addressing_style": ("AWS_S3_ADDRESSING_STYLE",),
        "use_ssl": ("AWS_S3_USE_SSL",),
        "verify": ("AWS_S3_VERIFY",),
        "cloudfront_key": ("AWS_CLOUDFRONT_KEY",),
        "cloudfront_key_id": ("AWS_CLOUDFRONT_KEY_ID",),
    },
    "gcs": {
        "bucket": ("GS_BUCKET_NAME",),
        "project": ("GS_PROJECT_ID",),
        "token": ("GS_CREDENTIALS",),
        "custom_domain": ("GS_CUSTOM_ENDPOINT",),
        "default_acl": ("GS_DEFAULT_ACL",),
        "querystring_auth": ("GS_QUERYSTRING_AUTH",),
        "querystring_expire": ("GS_EXPIRATION",),
        "object_parameters": ("GS_OBJECT_PARAMETERS",),
        "prefix": ("GS_LOCATION",),
        "file_overwrite": ("GS_FILE_OVERWRITE",),
    },
    "azure": {
        "container": ("AZURE_CONTAINER",),
        "connection_string": ("AZURE_CONNECTION_STRING",),
        "account_name": ("AZURE_ACCOUNT_NAME",),
        "account_key": ("AZURE_ACCOUNT_KEY",),
        "sas_token": ("AZURE_SAS_TOKEN",),
        "custom_domain": ("AZURE_CUSTOM_DOMAIN",),
        "querystring_expire": ("AZURE_URL_EXPIRATION_SECS",),
        "object_parameters": ("AZURE_OBJECT_PARAMETERS",),
        "prefix": ("AZURE_LOCATION",),
        "file_overwrite": ("AZURE_OVERWRITE_FILES",),
    },
}
#: Keys that make a group: a mount setting any of them takes none of the group.
_GROUPS: dict[str, tuple[frozenset[str], ...]] = {
    "s3": (frozenset({"key", "secret", "anon"}), frozenset({"prefix", "location"})),
    "gcs": (frozenset({"token"}), frozenset({"prefix", "location"})),
    "azure": (
        frozenset({"connection_string", "account_name", "account_key", "sas_token"}),
        frozenset({"prefix", "location"}),
    ),
}
_ALIASES = {"region": "region_name"}
_UNSET = object()
_NAMES = frozenset(name for keys in SETTINGS.values() for names in keys.values() for name in names)

#: What :func:`read_settings` returns: per type, mount key -> (value, setting name).
Found = dict[str, dict[str, tuple[Any, str]]]


@functools.cache
def read_settings() -> Found:
    """The django-storages settings this project defines (None counts as not set)."""
    found: Found = {}
    for type_name, keys in SETTINGS.items():
        for key, names in keys.items():
            for name in names:
                value = getattr(settings, name, _UNSET)
                if value is not _UNSET and value is not None:
                    if isinstance(value, timedelta):  # GS_EXPIRATION
                        value = int(value.total_seconds())
                    found.setdefault(type_name, {})[key] = (value, name)
                    break
    return found


def apply_settings(mounts: Any, found: Found) -> tuple[Any, dict[tuple[str, str], str]]:
    """``mounts`` with the settings' values where each mount leaves a key out, and where
    each filled value came from: ``{(mount name, key): setting name}``.

    ``mounts`` comes back untouched when nothing applies or it cannot be read (the
    manager then reports why).
    """
    if not found:
        return mounts, {}
    try:
        configs = load_mount_configs(mounts)
    except StorageConfigError:
        return mounts, {}
    sources: dict[tuple[str, str], str] = {}
    result = []
    for config in configs:
        type_name = _canonical_type(config)
        defaults = found.get(type_name or "", {})
        filled = dict(config)
        aliases = getattr(default_registry.get(mount_type(config)), "key_aliases", {})
        # A key given under another of its names (genro-storage's ``base_path``) is set too.
        given = set(config) | {own for alias, own in aliases.items() if alias in config}
        for key, (value, name) in defaults.items():
            if key in given or _ALIASES.get(key, key) in given:
                continue
            if any(key in group and group & given for group in _GROUPS[str(type_name)]):
                continue
            filled[key] = value
            sources[(str(config.get("name")), key)] = name
        result.append(filled)
    return result, sources


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _NAMES:
        read_settings.cache_clear()


def _canonical_type(config: Mapping[str, Any]) -> str | None:
    """``s3``, ``gcs`` or ``azure`` for mounts of those types under any of their names."""
    name = getattr(default_registry.get(mount_type(config)), "type_name", None)
    return name if name in SETTINGS else None
