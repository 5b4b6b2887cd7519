"""Views of the tenant tests: each says which tenant it saw, before and after a pause in
which another request may run, and reads or writes its tenant's note."""

from __future__ import annotations

import asyncio
import os
import time

from django.http import HttpRequest, HttpResponse, JsonResponse

from genro_storage_django import get_manager
from genro_storage_django.tenancy import current_tenant, tenant_directory
from tests import settings

#: The mount ``path`` of the tests' tenant mount, named by its dotted path in the settings.
tenant_root = tenant_directory(os.path.join(settings.STORAGE_ROOT, "tenants"))
not_callable = "a string"


def tenant_of(request: HttpRequest) -> str | None:
    return request.headers.get("X-Tenant")


def note(request: HttpRequest) -> HttpResponse:
    seen = current_tenant()
    node = get_manager().node("tenant:note.txt")
    if request.method == "POST":
        node.write_bytes(request.body)
    time.sleep(float(request.GET.get("pause", "0")))
    return JsonResponse(
        {"before": seen, "after": current_tenant(), "note": node.read_text()},
    )


async def async_note(request: HttpRequest) -> HttpResponse:
    seen = current_tenant()
    await asyncio.sleep(float(request.GET.get("pause", "0")))
    note = get_manager().node("tenant:note.txt").read_text()
    return JsonResponse({"before": seen, "after": current_tenant(), "note": note})


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"failed for {current_tenant()}")
