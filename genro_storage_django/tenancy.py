"""The current tenant of a request, and mounts whose root depends on it.

:class:`~genro_storage_django.middleware.StorageTenantMiddleware` binds the tenant of
each request (what ``settings.STORAGE_TENANT_RESOLVER`` returns for it) in a context
variable for the time of the request, and resets it after: a context variable is
private to its thread and to its asyncio task, so two requests served at once never
see each other's tenant, and a thread started without it sees none.

A ``local`` mount takes the directory of the current tenant with
``"path": tenant_directory(BASE_DIR / "tenants")``, or any callable named by a dotted
path in ``settings.STORAGE_MOUNTS`` (``"path": "myproject.storage.tenant_root"``),
imported by :func:`resolve_dotted_paths` when the manager is built.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.utils.module_loading import import_string

from .core import StorageConfigError, UnsafePathError
from .core.config import load_mount_configs, mount_type
from .core.listing import is_safe_name

__all__ = [
    "PATH_KEYS",
    "bound_tenant",
    "current_tenant",
    "resolve_dotted_paths",
    "tenant_directory",
]

#: The keys of a local mount that may name its callable root (``base_path`` is genro's).
PATH_KEYS = ("path", "base_path")

_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "genro_storage_django_tenant", default=None
)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def current_tenant() -> str | None:
    """The tenant bound to the current request (or :func:`bound_tenant` block), if any."""
    return _tenant.get()


@contextmanager
def bound_tenant(tenant: str | None) -> Iterator[None]:
    """Bind ``tenant`` for the ``with`` block (a task, a command), then restore the previous."""
    token = _tenant.set(tenant)
    try:
        yield
    finally:
        _tenant.reset(token)


def tenant_directory(root: str | os.PathLike[str]) -> Callable[[], str]:
    """A mount ``path`` callable: the current tenant's directory below ``root``.

    The tenant must be one plain path segment (no ``/``, no ``..``); with none bound
    (outside a request, in a thread the request did not start) the mount refuses to
    guess and raises.
    """
    base = os.path.abspath(root)

    def tenant_root() -> str:
        tenant = _tenant.get()
        if tenant is None:
            raise StorageConfigError(
                "no tenant is bound: use StorageTenantMiddleware, or bound_tenant() outside "
                "a request"
            )
        if not isinstance(tenant, str) or not tenant or not is_safe_name(tenant):
            raise UnsafePathError(f"tenant {tenant!r} is not a single path segment")
        return os.path.join(base, tenant)

    tenant_root.__qualname__ = f"tenant_directory({base!r})"
    return tenant_root


def resolve_dotted_paths(mounts: Any) -> tuple[Any, list[tuple[str, str, str]]]:
    """``mounts`` with each local mount's dotted ``path`` replaced by the callable it names.

    A path such as ``"myproject.storage.tenant_root"`` (not absolute, a Python dotted
    name) is imported. Returns the mounts (as they came when nothing changes or they
    cannot be read) and the problems: ``(mount, key, message)`` for a name that does not
    import or is not callable.
    """
    try:
        configs = load_mount_configs(mounts)
    except StorageConfigError:
        return mounts, []  # the manager reports why
    problems: list[tuple[str, str, str]] = []
    changed = False
    for config in configs:
        if mount_type(config) != "local":
            continue
        for key in PATH_KEYS:
            value = config.get(key)
            if not isinstance(value, str) or not _DOTTED.match(value):
                continue
            name = str(config.get("name"))
            try:
                found = import_string(value)
            except ImportError as exc:
                problems.append((name, key, f"{key} {value!r} cannot be imported: {exc}"))
                continue
            if not callable(found):
                problems.append((name, key, f"{key} {value!r} is not callable"))
                continue
            config[key] = found
            changed = True
    return (configs if changed else mounts), problems
