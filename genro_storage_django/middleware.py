"""``StorageTenantMiddleware``: binds each request's tenant for the mounts that use it.

``settings.STORAGE_TENANT_RESOLVER`` is a callable (or its dotted path) taking the
request and returning the tenant's name, or None for none. The tenant is bound in a
context variable (:mod:`genro_storage_django.tenancy`) while the rest of the request
runs, and the previous value is restored after, also when the view raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

from .tenancy import bound_tenant

__all__ = ["RESOLVER_SETTING", "StorageTenantMiddleware", "tenant_resolver"]

RESOLVER_SETTING = "STORAGE_TENANT_RESOLVER"


def tenant_resolver() -> Callable[[HttpRequest], str | None]:
    """The callable of ``settings.STORAGE_TENANT_RESOLVER`` (``ImproperlyConfigured``
    when it is missing, does not import or is not callable; ``manage.py check`` says so too)."""
    value = getattr(settings, RESOLVER_SETTING, None)
    if value is None:
        raise ImproperlyConfigured(
            f"StorageTenantMiddleware needs settings.{RESOLVER_SETTING}: a callable taking "
            "the request and returning its tenant"
        )
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise ImproperlyConfigured(f"settings.{RESOLVER_SETTING}: {exc}") from exc
    if not callable(value):
        raise ImproperlyConfigured(f"settings.{RESOLVER_SETTING} is not callable: {value!r}")
    resolver: Callable[[HttpRequest], str | None] = value
    return resolver


class StorageTenantMiddleware:
    """Binds ``STORAGE_TENANT_RESOLVER(request)`` as the current tenant during the request."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.resolver = tenant_resolver()
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        with bound_tenant(self.resolver(request)):
            return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # The context variable is set in this task, so only this request's code sees it.
        with bound_tenant(self.resolver(request)):
            response: Awaitable[HttpResponseBase] = self.get_response(request)
            return await response
