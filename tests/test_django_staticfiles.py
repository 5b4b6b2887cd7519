"""collectstatic into a mount (STORAGES["staticfiles"] is MountStorage(mount="static"))."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from pytest_django.fixtures import Settings

from genro_storage_django import mount
from tests.testapp.mounts import KINDS, mount_config

SOURCE = Path(__file__).parent / "testapp" / "static" / "testapp"


def collectstatic(*args: str) -> str:
    out = io.StringIO()
    call_command("collectstatic", *args, interactive=False, verbosity=1, stdout=out)
    return out.getvalue()


@pytest.fixture(params=KINDS)
def static_kind(request: pytest.FixtureRequest, tmp_path: Path, settings: Settings) -> str:
    kind = str(request.param)
    settings.STORAGE_MOUNTS = {
        **settings.STORAGE_MOUNTS,
        "static": mount_config(kind, tmp_path, request, file_overwrite=True),
    }
    return kind


def test_collectstatic_copies_into_the_mount(static_kind: str) -> None:
    summary = collectstatic()
    # The test app's two files and the package's own (the upload form's script).
    assert "3 static files copied" in summary
    static = mount("static")
    assert static.listdir("testapp") == ([], ["app.js", "site.css"])
    assert static.exists("genro_storage_django/direct_upload.js")
    assert static.open("testapp/site.css").read() == (SOURCE / "site.css").read_bytes()


def test_second_run_skips_unmodified_files(static_kind: str) -> None:
    collectstatic()
    summary = collectstatic()
    assert "0 static files copied" in summary
    assert "3 unmodified" in summary


def test_clear_removes_stale_files(static_kind: str) -> None:
    static = mount("static")
    collectstatic()
    static.save("stale.txt", static.open("testapp/app.js"))
    static.save("testapp/old/stale.js", static.open("testapp/app.js"))
    collectstatic("--clear")
    assert not static.exists("stale.txt")
    assert not static.exists("testapp/old/stale.js")
    assert static.exists("testapp/site.css")


def test_static_url_uses_the_mount() -> None:
    assert staticfiles_storage.url("testapp/site.css") == "/static/testapp/site.css"
