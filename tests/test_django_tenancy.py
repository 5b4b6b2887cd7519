"""StorageTenantMiddleware and tenant mounts: real requests through Django's test clients,
in threads and in asyncio tasks, and the system checks of their settings."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient, Client
from pytest_django.fixtures import Settings

from genro_storage_django import get_manager
from genro_storage_django.checks import (
    CALLABLE_PATH_ID,
    TENANT_RESOLVER_ID,
    check_storage_mounts,
    check_tenant_middleware,
)
from genro_storage_django.core import StorageConfigError, UnsafePathError
from genro_storage_django.middleware import StorageTenantMiddleware
from genro_storage_django.tenancy import bound_tenant, current_tenant
from tests import settings as test_settings

MIDDLEWARE = "genro_storage_django.middleware.StorageTenantMiddleware"
TENANTS = Path(test_settings.STORAGE_ROOT) / "tenants"


@pytest.fixture
def tenancy(settings: Settings) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.STORAGE_TENANT_RESOLVER = "tests.testapp.tenants.tenant_of"
    settings.STORAGE_MOUNTS = {
        **settings.STORAGE_MOUNTS,
        "tenant": {
            "type": "local",
            "path": "tests.testapp.tenants.tenant_root",
            "within": str(TENANTS),
            "serve": "public",
        },
    }
    for tenant in ("acme", "globex"):
        (TENANTS / tenant).mkdir(parents=True, exist_ok=True)
        (TENANTS / tenant / "note.txt").write_text(f"{tenant}'s note")


def answer(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    result: dict[str, Any] = json.loads(response.content)
    return result


@pytest.mark.usefixtures("tenancy")
def test_each_request_reads_and_writes_its_tenant_s_directory() -> None:
    client = Client()
    assert answer(client.get("/tenant/note", HTTP_X_TENANT="acme"))["note"] == "acme's note"
    client.post("/tenant/note", b"new", content_type="text/plain", HTTP_X_TENANT="globex")
    assert (TENANTS / "globex" / "note.txt").read_text() == "new"
    assert (TENANTS / "acme" / "note.txt").read_text() == "acme's note"
    assert current_tenant() is None  # reset once the request is over


@pytest.mark.usefixtures("tenancy")
def test_a_request_without_a_usable_tenant_reaches_no_directory() -> None:
    client = Client(raise_request_exception=True)
    with pytest.raises(StorageConfigError, match="no tenant is bound"):
        client.get("/tenant/note")
    # An unsafe tenant name is a SuspiciousFileOperation: Django answers 400.
    for tenant in ("..", "acme/../globex", ""):
        assert client.get("/tenant/note", HTTP_X_TENANT=tenant).status_code == 400
    with bound_tenant("../acme"), pytest.raises(UnsafePathError, match="single path segment"):
        get_manager().node("tenant:note.txt").read_text()


@pytest.mark.usefixtures("tenancy")
def test_a_served_file_streams_from_the_request_s_tenant() -> None:
    # A range is read while the server sends the body, after the view has returned.
    response = Client().get(
        "/files/tenant/note.txt", HTTP_X_TENANT="globex", HTTP_RANGE="bytes=0-5"
    )
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == b"globex"
    assert current_tenant() is None
    # A whole local file is opened by the view itself (a FileResponse): left as it is.
    whole = Client().get("/files/tenant/note.txt", HTTP_X_TENANT="acme")
    assert b"".join(whole.streaming_content) == b"acme's note"

    async def ranged() -> list[bytes]:
        client = AsyncClient()
        responses = await asyncio.gather(
            *(
                client.get(
                    "/files/tenant/note.txt", headers={"X-Tenant": tenant, "Range": "bytes=0-3"}
                )
                for tenant in ("acme", "globex")
            )
        )
        bodies = []
        for response in responses:
            bodies.append(b"".join([chunk async for chunk in response.streaming_content]))
        return bodies

    assert asyncio.run(ranged()) == [b"acme", b"glob"]


@pytest.mark.usefixtures("tenancy")
def test_the_tenant_is_reset_when_the_view_raises() -> None:
    with bound_tenant("outer"):
        with pytest.raises(RuntimeError, match="failed for acme"):
            Client().get("/tenant/fails", HTTP_X_TENANT="acme")
        assert current_tenant() == "outer"
    assert current_tenant() is None


@pytest.mark.usefixtures("tenancy")
def test_requests_served_at_once_in_threads_keep_their_own_tenant() -> None:
    get_manager()  # built once, before the threads

    def request(tenant: str) -> dict[str, Any]:
        return answer(Client().get("/tenant/note?pause=0.2", HTTP_X_TENANT=tenant))

    tenants = ["acme", "globex"] * 4
    with ThreadPoolExecutor(max_workers=len(tenants)) as pool:
        results = list(pool.map(request, tenants))
    for tenant, result in zip(tenants, results, strict=True):
        assert result == {"before": tenant, "after": tenant, "note": f"{tenant}'s note"}


@pytest.mark.usefixtures("tenancy")
def test_async_requests_served_at_once_keep_their_own_tenant() -> None:
    async def both() -> list[Any]:
        client = AsyncClient()
        return await asyncio.gather(
            *(
                client.get("/tenant/async-note?pause=0.2", headers={"X-Tenant": tenant})
                for tenant in ("acme", "globex", "acme")
            )
        )

    results = [answer(response) for response in asyncio.run(both())]
    assert [r["before"] for r in results] == ["acme", "globex", "acme"]
    assert [r["after"] for r in results] == ["acme", "globex", "acme"]
    assert [r["note"] for r in results] == ["acme's note", "globex's note", "acme's note"]
    assert current_tenant() is None


def test_a_thread_started_during_a_request_has_no_tenant() -> None:
    seen: list[str | None] = []
    with bound_tenant("acme"):
        thread = threading.Thread(target=lambda: seen.append(current_tenant()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_bad_dotted_mount_paths_are_check_errors(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {
        "gone": {"type": "local", "path": "tests.testapp.tenants.nowhere"},
        "text": {"type": "local", "base_path": "tests.testapp.tenants.not_callable"},
        "fine": {"type": "local", "path": "tests.testapp.tenants.tenant_root"},
        "plain": {"type": "local", "path": os.sep + "srv"},
    }
    errors = check_storage_mounts()
    assert [(e.id, e.obj) for e in errors] == [
        (CALLABLE_PATH_ID, "settings.STORAGE_MOUNTS['gone']"),
        (CALLABLE_PATH_ID, "settings.STORAGE_MOUNTS['text']"),
    ]
    assert "cannot be imported" in errors[0].msg and "is not callable" in errors[1].msg
    with pytest.raises(ImproperlyConfigured, match="mount 'gone': path"):
        get_manager()


@pytest.mark.parametrize(
    ("resolver", "message"),
    [
        (None, "needs settings.STORAGE_TENANT_RESOLVER"),
        ("tests.testapp.tenants.nowhere", "STORAGE_TENANT_RESOLVER"),
        ("tests.testapp.tenants.not_callable", "is not callable"),
        (42, "is not callable"),
    ],
)
def test_the_middleware_needs_a_resolver(settings: Settings, resolver: Any, message: str) -> None:
    assert check_tenant_middleware() == []  # not in MIDDLEWARE: nothing to check
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    if resolver is not None:
        settings.STORAGE_TENANT_RESOLVER = resolver
    errors = check_tenant_middleware()
    assert [e.id for e in errors] == [TENANT_RESOLVER_ID]
    assert message in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match=message):
        StorageTenantMiddleware(lambda request: None)
    settings.STORAGE_TENANT_RESOLVER = "tests.testapp.tenants.tenant_of"
    assert check_tenant_middleware() == []
