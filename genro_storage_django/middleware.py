"""``StorageTenantMiddleware``: binds each request's tenant for the mounts that use it.

``settings.STORAGE_TENANT_RESOLVER`` is a callable (or its dotted path) taking the
request and returning the tenant's name, or None for none. The tenant is bound in a
context variable (:mod:`genro_storage_django.tenancy`) while the rest of the request
runs, and the previous value is restored after, also when the view raises. A streamed
body is produced after the view returns, while the server sends it: each of its chunks is
made with the request's tenant bound again (a file response over a file the view already
opened needs nothing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse
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
        tenant = self.resolver(request)
        with bound_tenant(tenant):
            return _streamed_with(tenant, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # The context variable is set in this task, so only this request's code sees it.
        tenant = self.resolver(request)
        with bound_tenant(tenant):
            response: Awaitable[HttpResponseBase] = self.get_response(request)
            return _streamed_with(tenant, await response)


def _streamed_with(tenant: str | None, response: HttpResponseBase) -> HttpResponseBase:
    """``response`` whose streamed body is made with ``tenant`` bound."""
    if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse):
        body = response.streaming_content
        if isinstance(body, AsyncIterator):
            response.streaming_content = _async_chunks(tenant, body)
        else:
            response.streaming_content = _chunks(tenant, body)
    return response


def _chunks(tenant: str | None, body: Iterable[bytes]) -> Iterator[bytes]:
    chunks = iter(body)
    while True:
        # Bound around each step only: between two chunks the server's own code runs.
        with bound_tenant(tenant):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


async def _async_chunks(tenant: str | None, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    chunks = aiter(body)
    while True:
        with bound_tenant(tenant):
            chunk = await anext(chunks, None)
        if chunk is None:
            return
        yield chunk
