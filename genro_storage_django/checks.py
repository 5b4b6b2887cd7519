"""System checks: every mistake in ``settings.STORAGE_MOUNTS`` is a ``manage.py check`` error.

The core reports configuration problems with a stable ``code``; each code has
its own check ID here (:data:`CHECK_IDS`), and the Django layer adds IDs for its
own mount options and for storages naming a mount that does not exist. The IDs
are documented in docs/django.md; they never change meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.db.models import FileField
from django.utils.module_loading import import_string

from . import conf
from .cloud_settings import apply_settings, read_settings
from .core import ConfigProblem, StorageConfigError, StorageManager
from .core.config import load_mount_configs
from .middleware import RESOLVER_SETTING, tenant_resolver
from .serving.policy import ServePolicy
from .tenancy import PATH_KEYS, resolve_dotted_paths

__all__ = [
    "CALLABLE_PATH_ID",
    "CHECK_IDS",
    "DJANGO_OPTION_ID",
    "NO_AUTH_MIDDLEWARE_ID",
    "SERVING_ID",
    "TENANT_RESOLVER_ID",
    "UNKNOWN_MOUNT_ID",
    "check_database_tables",
    "check_mount_references",
    "check_storage_mounts",
    "check_tenant_middleware",
]

_PREFIX = "genro_storage_django."

#: The core's problem codes and their check IDs.
CHECK_IDS: dict[str, str] = {
    "unknown_type": _PREFIX + "E001",
    "unknown_key": _PREFIX + "E002",
    "missing_key": _PREFIX + "E003",
    "not_absolute": _PREFIX + "E004",
    "duplicate_name": _PREFIX + "E005",
    "unknown_parent": _PREFIX + "E006",
    "missing_extra": _PREFIX + "E007",
    "invalid_value": _PREFIX + "E008",
    "nul_in_path": _PREFIX + "E011",
    "archive_path": _PREFIX + "E014",
    "unknown_database": _PREFIX + "E015",
}
#: An invalid serving option (serve, serve_permission, cache_control, offload, offload_prefix).
SERVING_ID = _PREFIX + "E009"
#: A MountStorage (in STORAGES or on a model field) names a mount that does not exist.
UNKNOWN_MOUNT_ID = _PREFIX + "E010"
#: A policy needs request.user but the authentication middleware is not installed.
NO_AUTH_MIDDLEWARE_ID = _PREFIX + "W001"
#: An invalid value of another Django-layer option (file_overwrite).
DJANGO_OPTION_ID = CHECK_IDS["invalid_value"]
#: A local mount's ``path`` names a callable by a dotted path that does not import, or
#: names something that is not callable.
CALLABLE_PATH_ID = _PREFIX + "E012"
#: StorageTenantMiddleware is in MIDDLEWARE but STORAGE_TENANT_RESOLVER is missing or bad.
TENANT_RESOLVER_ID = _PREFIX + "E013"
#: A database mount's tables are not in its database (a warning: ``migrate`` runs the
#: checks before it creates them).
DATABASE_TABLES_ID = _PREFIX + "W002"

_DOTTED = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
_SETTING = f"settings.{conf.SETTING_NAME}"


def check_storage_mounts(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Every problem of ``settings.STORAGE_MOUNTS``, one error per problem."""
    mounts, sources = apply_settings(conf.mounts_setting(), read_settings())
    mounts, bad_paths = resolve_dotted_paths(mounts)
    checker = StorageManager(
        extra_keys=conf.DJANGO_MOUNT_KEYS, option_defaults=conf.option_defaults()
    )
    messages: list[CheckMessage] = [
        Error(f"mount {name!r}: {message}", obj=_obj(name), id=CALLABLE_PATH_ID)
        for name, _key, message in bad_paths
    ]
    # A dotted path that did not import is reported once, not again as a relative path.
    reported = {name for name, _key, _message in bad_paths}
    messages += [
        _from_problem(p, sources)
        for p in checker.check(mounts)
        if not (p.mount in reported and p.key in PATH_KEYS)
    ]
    try:
        configs = load_mount_configs(mounts)
    except StorageConfigError:
        return messages  # already reported by the core's check
    for config in configs:
        messages.extend(_django_options(config))
    return messages + _auth_middleware(configs)


def _auth_middleware(configs: Iterable[Mapping[str, Any]]) -> list[CheckMessage]:
    """``authenticated`` and permission checks read request.user, which needs the middleware."""
    needing = [
        str(config.get("name"))
        for config in configs
        if ServePolicy.of(config) is ServePolicy.AUTHENTICATED or config.get("serve_permission")
    ]
    middleware = getattr(settings, "MIDDLEWARE", None) or []
    if not needing or "django.contrib.auth.middleware.AuthenticationMiddleware" in middleware:
        return []
    return [
        Warning(
            f"mount(s) {', '.join(needing)} serve files by user, but "
            "AuthenticationMiddleware is not in MIDDLEWARE: every user counts as anonymous",
            hint="add 'django.contrib.auth.middleware.AuthenticationMiddleware' to MIDDLEWARE",
            obj=_SETTING,
            id=NO_AUTH_MIDDLEWARE_ID,
        )
    ]


def check_tenant_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """StorageTenantMiddleware needs a usable ``STORAGE_TENANT_RESOLVER``."""
    middleware = getattr(settings, "MIDDLEWARE", None) or []
    if "genro_storage_django.middleware.StorageTenantMiddleware" not in middleware:
        return []
    try:
        tenant_resolver()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint=f"set settings.{RESOLVER_SETTING} to a function of the request (or its "
                "dotted path) returning the tenant's name",
                obj=f"settings.{RESOLVER_SETTING}",
                id=TENANT_RESOLVER_ID,
            )
        ]
    return []


def check_database_tables(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Database mounts need this app's migration in their database (checked only when
    the checks are given databases: ``manage.py check --database default``)."""
    from .database import MIGRATE_HINT, tables_missing

    try:
        configs = load_mount_configs(conf.mounts_setting())
    except StorageConfigError:
        return []  # the mounts check reports it
    messages: list[CheckMessage] = []
    for config in configs:
        using = config.get("using", "default")
        if config.get("type") != "database" or using not in (databases or ()):
            continue
        if tables_missing(using):
            messages.append(
                Warning(
                    f"mount {config['name']!r}: the tables of database mounts are not in "
                    f"database {using!r}",
                    hint=MIGRATE_HINT.format(using=using),
                    obj=_SETTING,
                    id=DATABASE_TABLES_ID,
                )
            )
    return messages


def check_mount_references(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Storages in ``settings.STORAGES`` and model fields must name configured mounts."""
    from .storage import MountStorage

    try:
        configs = load_mount_configs(conf.mounts_setting())
    except StorageConfigError:
        return []  # the mounts check reports it
    # A name that is not a str (a list, a dict) is the mounts check's error, and unhashable.
    names = {name for config in configs if isinstance(name := config.get("name"), str)}
    messages: list[CheckMessage] = []
    storages = getattr(settings, "STORAGES", {}) or {}
    for alias, spec in storages.items():
        if not isinstance(spec, Mapping) or not _is_mount_storage(spec.get("BACKEND")):
            continue
        options = spec.get("OPTIONS") or {}
        wanted = options.get("mount") if isinstance(options, Mapping) else None
        if wanted not in names:
            messages.append(
                Error(
                    f"STORAGES[{alias!r}] uses mount {wanted!r}, which is not in {_SETTING}",
                    hint=_known(names),
                    obj=f"settings.STORAGES[{alias!r}]",
                    id=UNKNOWN_MOUNT_ID,
                )
            )
    for model in _models(app_configs):
        for field in model._meta.get_fields():  # noqa: SLF001 (Django's public Options API)
            storage = getattr(field, "storage", None)
            if (
                isinstance(field, FileField)
                and isinstance(storage, MountStorage)
                and storage.mount_name not in names
            ):
                messages.append(
                    Error(
                        f"field stores its files in mount {storage.mount_name!r}, which is "
                        f"not in {_SETTING}",
                        hint=_known(names),
                        obj=field,
                        id=UNKNOWN_MOUNT_ID,
                    )
                )
    return messages


# -- helpers -------------------------------------------------------------------------------


def _from_problem(problem: ConfigProblem, sources: Mapping[tuple[str, str], str]) -> Error:
    """The check error of ``problem``; ``sources`` (:func:`.cloud_settings.apply_settings`)
    tells which django-storages setting gave a value the mount did not set itself."""
    setting = sources.get((problem.mount, problem.key or ""))
    return Error(
        problem.message,
        hint=f"the value comes from settings.{setting}" if setting else problem.hint,
        obj=_obj(problem.mount),
        id=CHECK_IDS.get(problem.code, CHECK_IDS["invalid_value"]),
    )


def _obj(mount: object) -> str:
    return f"{_SETTING}[{mount!r}]" if isinstance(mount, str) and mount != "?" else _SETTING


def _django_options(config: Mapping[str, Any]) -> list[CheckMessage]:
    """The values of the Django-layer keys of one mount (their presence is the core's)."""
    name = config.get("name")
    found: list[tuple[str, str, str]] = []  # (check id, key, what is wrong)

    def bad(key: str, why: str, check_id: str = SERVING_ID) -> None:
        found.append((check_id, key, why))

    if "file_overwrite" in config and not isinstance(config["file_overwrite"], bool):
        bad("file_overwrite", "must be True or False", DJANGO_OPTION_ID)
    if "serve" in config and ServePolicy.of(config) is None:
        bad("serve", "must be one of " + ", ".join(repr(p.value) for p in ServePolicy))
    permission = config.get("serve_permission")
    if permission is not None and not (isinstance(permission, str) and _DOTTED.match(permission)):
        bad(
            "serve_permission",
            "must be a dotted string: a permission ('app_label.codename') "
            "or the import path of a callable",
        )
    cache_control = config.get("cache_control")
    if cache_control is not None and not (
        isinstance(cache_control, str)
        and cache_control
        and not _HEADER_UNSAFE.search(cache_control)
    ):
        bad("cache_control", "must be a Cache-Control header value (a non-empty single line)")
    offload = config.get("offload")
    if offload not in (None, False, *conf.OFFLOAD_MODES):
        bad("offload", "must be False or one of " + ", ".join(repr(m) for m in conf.OFFLOAD_MODES))
    prefix = config.get("offload_prefix")
    if prefix is not None and not (
        isinstance(prefix, str) and prefix.startswith("/") and not _HEADER_UNSAFE.search(prefix)
    ):
        bad("offload_prefix", "must be a URL path starting with '/'")
    if offload == "x-accel-redirect" and not prefix:
        bad("offload", "'x-accel-redirect' needs offload_prefix (nginx's internal location)")
    return [
        Error(
            f"mount {name!r}: {key} {why} (got {config[key]!r})",
            obj=_obj(name),
            id=check_id,
        )
        for check_id, key, why in found
    ]


def _is_mount_storage(backend: object) -> bool:
    from .storage import MountStorage

    if isinstance(backend, str):
        try:
            backend = import_string(backend)
        except ImportError:
            return False  # Django's own check of STORAGES reports it
    return isinstance(backend, type) and issubclass(backend, MountStorage)


def _known(names: Iterable[object]) -> str:
    listed = sorted(str(name) for name in names if isinstance(name, str))
    return "configured mounts: " + (", ".join(listed) if listed else "none")


def _models(app_configs: Sequence[AppConfig] | None) -> Iterable[Any]:
    if app_configs is None:
        return apps.get_models()
    return [model for config in app_configs for model in config.get_models()]
