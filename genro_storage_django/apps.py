"""The Django app: ``INSTALLED_APPS += ["genro_storage_django"]``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class GenroStorageConfig(AppConfig):
    name = "genro_storage_django"
    label = "genro_storage_django"
    verbose_name = "Genro storage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Nothing is built here: the manager is built on first use (conf.get_manager).
        from . import conf  # noqa: F401  (connects the setting_changed receiver)
        from .checks import (
            check_database_tables,
            check_mount_references,
            check_storage_mounts,
            check_tenant_middleware,
        )
        from .core.backends import register_backend_type
        from .database import DatabaseBackend
        from .serving.links import node_url
        from .storage import set_url_builder

        # storage.url() and the template tags share one URL policy (links.node_url).
        set_url_builder(node_url)
        checks.register(check_storage_mounts, checks.Tags.files)
        checks.register(check_mount_references, checks.Tags.files, checks.Tags.models)
        checks.register(check_tenant_middleware, checks.Tags.files)
        checks.register(check_database_tables, checks.Tags.database)
        # Core managers built from now on know the mount type that needs the ORM.
        register_backend_type(DatabaseBackend.type_name, DatabaseBackend)
