"""Every system check ID, triggered by a bad STORAGE_MOUNTS (or a storage naming no mount)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from pytest_django.fixtures import Settings

from genro_storage_django.checks import CHECK_IDS, check_mount_references, check_storage_mounts
from genro_storage_django.core.backends.s3 import S3Backend

REPO = Path(__file__).resolve().parent.parent


def ids(messages: list[Any]) -> list[str]:
    return sorted(message.id for message in messages)


def mounts_check(settings: Settings, mounts: Any) -> list[Any]:
    settings.STORAGE_MOUNTS = mounts
    return check_storage_mounts()


def test_the_test_settings_are_clean() -> None:
    assert check_storage_mounts() == []
    assert check_mount_references() == []


@pytest.mark.parametrize(
    ("mounts", "check_id"),
    [
        ({"m": {"type": "dropbox"}}, "genro_storage_django.E001"),
        ({"m": {"type": "memory", "colour": "blue"}}, "genro_storage_django.E002"),
        ({"m": {"type": "local"}}, "genro_storage_django.E003"),
        ({"m": {"type": "local", "path": "relative/path"}}, "genro_storage_django.E004"),
        (
            [{"name": "m", "type": "memory"}, {"name": "m", "type": "memory"}],
            "genro_storage_django.E005",
        ),
        ({"m": {"type": "relative", "path": "nowhere:sub"}}, "genro_storage_django.E006"),
        (
            {"a": {"type": "memory"}, "m": {"type": "mirror", "mounts": ["a", "gone"]}},
            "genro_storage_django.E006",
        ),
        (
            {"a": {"type": "memory"}, "m": {"type": "mirror", "mounts": ["a"]}},
            "genro_storage_django.E008",
        ),
        (
            {"s": {"type": "memory"}, "c": {"type": "cache", "origin": "gone", "store": "s"}},
            "genro_storage_django.E006",
        ),
        (
            {
                "o": {"type": "memory"},
                "c": {"type": "cache", "origin": "o", "path": "/t", "ttl": -1},
            },
            "genro_storage_django.E008",
        ),
        (
            {"a": {"type": "memory"}, "m": {"type": "mirror", "mounts": ["a", "m"]}},
            "genro_storage_django.E008",
        ),
        ({"m": {"type": "memory", "permissions": "all"}}, "genro_storage_django.E008"),
        ({"bad name!": {"type": "memory"}}, "genro_storage_django.E008"),
        ({"m": {"type": "memory", "file_overwrite": "yes"}}, "genro_storage_django.E008"),
        ({"m": {"type": "local", "path": "/tmp", "fsync": 0}}, "genro_storage_django.E008"),
        ({"m": {"type": "memory", "permissions": ["readonly"]}}, "genro_storage_django.E008"),
        ({"m": {"type": "memory", "permissions": {"read": True}}}, "genro_storage_django.E008"),
        ([{"name": ["m"], "type": "memory"}], "genro_storage_django.E008"),
        ([{"name": {"m": 1}, "type": "memory"}], "genro_storage_django.E008"),
        ({"m": {"type": "local", "path": "/tmp/a\0b"}}, "genro_storage_django.E011"),
        ({"m": {"type": "s3", "bucket": "a\0b"}}, "genro_storage_django.E008"),
        ({"m": {"type": "s3", "bucket": "b", "endpoint_url": "x"}}, "genro_storage_django.E008"),
        (
            {"m": {"type": "fsspec", "protocol": "file", "path": "/tmp/a\0b"}},
            "genro_storage_django.E011",
        ),
        ({"m": {"type": "zip", "path": "m:inside-itself.zip"}}, "genro_storage_django.E014"),
        ({"m": {"type": "zip", "path": "/srv/"}}, "genro_storage_django.E014"),
        ({"m": {"type": "tar", "path": "/srv/site.rar"}}, "genro_storage_django.E014"),
        ({"m": {"type": "hashdir", "path": "objects"}}, "genro_storage_django.E004"),
        (
            {"m": {"type": "hashdir", "path": "/srv/objects", "levels": 9}},
            "genro_storage_django.E008",
        ),
        ("not a mapping or list", "genro_storage_django.E008"),
        ({"m": {"type": "memory", "serve": "everyone"}}, "genro_storage_django.E009"),
        ({"m": {"type": "memory", "serve_permission": "nodot"}}, "genro_storage_django.E009"),
        ({"m": {"type": "memory", "cache_control": "a\nb"}}, "genro_storage_django.E009"),
        ({"m": {"type": "memory", "offload": "nginx"}}, "genro_storage_django.E009"),
        ({"m": {"type": "memory", "offload_prefix": "no-slash"}}, "genro_storage_django.E009"),
        ({"m": {"type": "memory", "offload": "x-accel-redirect"}}, "genro_storage_django.E009"),
    ],
)
def test_each_problem_has_its_id(settings: Settings, mounts: Any, check_id: str) -> None:
    found = mounts_check(settings, mounts)
    assert ids(found) == [check_id], found


def test_mirrors_in_a_cycle_are_each_an_error(settings: Settings) -> None:
    mounts = {
        "a": {"type": "memory"},
        "m": {"type": "mirror", "mounts": ["a", "n"]},
        "n": {"type": "mirror", "mounts": ["a", "m"]},
    }
    found = mounts_check(settings, mounts)
    assert ids(found) == ["genro_storage_django.E006"] * 2
    assert "cycle: m -> n -> m" in found[0].msg
    assert all(message.is_serious() for message in found)


def test_a_missing_extra_names_the_pip_extra(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if s3fs were not installed: the backend's required module cannot be found.
    monkeypatch.setattr(S3Backend, "requires", ("gsd_no_such_module",))
    found = mounts_check(settings, {"m": {"type": "s3", "bucket": "b"}})
    assert ids(found) == ["genro_storage_django.E007"]
    assert "pip install 'genro-storage-django[s3]'" in (found[0].hint or "")
    assert "gsd_no_such_module" in found[0].msg


def test_valid_serving_options_pass(settings: Settings) -> None:
    good = {
        "type": "memory",
        "serve": "authenticated",
        "serve_permission": "testapp.view_document",
        "cache_control": "private, max-age=600",
        "offload": "x-accel-redirect",
        "offload_prefix": "/_protected/",
        "file_overwrite": True,
    }
    assert mounts_check(settings, {"m": good}) == []
    for mode in ("public", "signed", "none"):
        assert mounts_check(settings, {"m": {"type": "memory", "serve": mode}}) == []


def test_every_problem_is_reported_at_once(settings: Settings) -> None:
    found = mounts_check(
        settings,
        {
            "a": {"type": "local", "path": "rel", "serve": "x"},
            "b": {"type": "memory", "extra": 1},
            "c": {"type": "relative", "path": "gone:x"},
        },
    )
    assert ids(found) == [
        "genro_storage_django.E002",
        "genro_storage_django.E004",
        "genro_storage_django.E006",
        "genro_storage_django.E009",
    ]
    assert {message.obj for message in found} == {
        "settings.STORAGE_MOUNTS['a']",
        "settings.STORAGE_MOUNTS['b']",
        "settings.STORAGE_MOUNTS['c']",
    }


def test_every_core_code_has_an_id() -> None:
    codes = {
        "unknown_type",
        "unknown_key",
        "missing_key",
        "invalid_value",
        "duplicate_name",
        "unknown_parent",
        "missing_extra",
        "not_absolute",
        "nul_in_path",
        "archive_path",
        "unknown_database",
    }
    assert set(CHECK_IDS) == codes
    assert len(set(CHECK_IDS.values())) == len(codes)


def test_storages_naming_an_unknown_mount(settings: Settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            "BACKEND": "genro_storage_django.storage.MountStorage",
            "OPTIONS": {"mount": "archive"},
        },
    }
    found = check_mount_references()
    assert ids(found) == ["genro_storage_django.E010"]
    assert found[0].obj == "settings.STORAGES['archive']"


@pytest.mark.django_db
def test_model_fields_naming_an_unknown_mount(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {
        "static": {"type": "memory"},
        "scratch": {"type": "memory"},
    }  # no "uploads": the Document fields and STORAGES["default"] name it
    found = run_checks()
    e010 = [message for message in found if message.id == "genro_storage_django.E010"]
    assert len(e010) == 4
    assert {str(message.obj) for message in e010} >= {
        "testapp.Document.file",
        "testapp.Document.image",
        "testapp.Document.attachment",
        "settings.STORAGES['default']",
    }


@pytest.mark.parametrize(
    "mounts",
    [
        {"m": {"type": "memory", "permissions": ["readonly"]}},
        [{"name": ["m"], "type": "memory"}],
        [{"name": {"m": 1}, "type": "memory"}],
    ],
)
def test_unhashable_values_are_check_errors(settings: Settings, mounts: Any) -> None:
    settings.STORAGE_MOUNTS = mounts
    with pytest.raises(SystemCheckError, match=r"genro_storage_django\.E008"):
        call_command("check")


def test_manage_py_check_fails_with_the_ids(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {"m": {"type": "local"}, **settings.STORAGE_MOUNTS}
    with pytest.raises(SystemCheckError, match=r"genro_storage_django\.E003"):
        call_command("check")


def test_a_bad_config_is_a_check_error_not_an_import_traceback() -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.testapp.bad_settings"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for check_id in ("E001", "E004", "E009"):
        assert f"genro_storage_django.{check_id}" in result.stderr


def test_user_policies_without_auth_middleware_warn(settings: Settings) -> None:
    from genro_storage_django.checks import check_storage_mounts

    settings.MIDDLEWARE = []
    settings.STORAGE_MOUNTS = {
        "open": {"type": "memory", "serve": "public"},
        "staff": {"type": "memory", "serve": "authenticated"},
        "perm": {"type": "memory", "serve": "signed", "serve_permission": "app.view_doc"},
    }
    [warning] = check_storage_mounts()
    assert warning.id == "genro_storage_django.W001"
    assert "staff, perm" in warning.msg
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    assert check_storage_mounts() == []


def test_an_fsspec_wrapper_over_the_local_disk_is_a_check_error(settings: Settings) -> None:
    wrapper = {"type": "fsspec", "protocol": "dir"}
    found = mounts_check(
        settings, {"m": {**wrapper, "options": {"path": "/srv", "target_protocol": "local"}}}
    )
    assert ids(found) == ["genro_storage_django.E008"]
    assert "wraps the local disk" in found[0].msg
    # A target that is no protocol is left to the wrapper's own construction.
    found = mounts_check(settings, {"m": {**wrapper, "options": {"target_protocol": "nope"}}})
    assert "wraps the local disk" not in " ".join(message.msg for message in found)
