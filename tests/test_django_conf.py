"""STORAGE_MOUNTS is read when used: get_manager() follows override_settings and friends."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.test import override_settings
from pytest_django.fixtures import Settings

import genro_storage_django
from genro_storage_django import conf, get_manager, mount

REPO = Path(__file__).resolve().parent.parent


def test_the_manager_is_built_once_and_cached() -> None:
    manager = get_manager()
    assert get_manager() is manager
    assert sorted(manager.get_mount_names()) == ["scratch", "static", "uploads"]


def test_override_settings_switches_mounts() -> None:
    before = get_manager()
    storage = mount("uploads")
    with override_settings(STORAGE_MOUNTS={"uploads": {"type": "memory"}}):
        inside = get_manager()
        assert inside is not before
        assert inside.get_mount("uploads").type_name == "memory"
        storage.save("only-in-memory.txt", ContentFile(b"x"))
        assert storage.exists("only-in-memory.txt")
    assert get_manager().get_mount("uploads").type_name == "local"
    assert not storage.exists("only-in-memory.txt")


def test_the_list_form(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = [
        {"name": "uploads", "type": "memory"},
        {"name": "nested", "type": "relative", "path": "uploads:inner"},
    ]
    mount("nested").save("file.txt", ContentFile(b"nested"))
    assert mount("uploads").open("inner/file.txt").read() == b"nested"


def test_an_equal_new_value_keeps_the_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    # No setting_changed signal here: the cache recognises an equal value by itself...
    manager = get_manager()
    monkeypatch.setattr(django_settings, "STORAGE_MOUNTS", copy.deepcopy(conf.mounts_setting()))
    assert get_manager() is manager
    # ...and a different one.
    monkeypatch.setattr(django_settings, "STORAGE_MOUNTS", {"only": {"type": "memory"}})
    assert get_manager().get_mount_names() == ["only"]


def test_a_missing_setting_means_no_mounts(settings: Settings) -> None:
    del settings.STORAGE_MOUNTS
    assert get_manager().get_mount_names() == []


def test_an_invalid_setting_raises_improperly_configured(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {"m": {"type": "local", "path": "relative"}}
    with pytest.raises(ImproperlyConfigured, match=r"manage\.py check"):
        get_manager()
    with pytest.raises(ImproperlyConfigured):
        mount("m").exists("x")


def test_django_keys_reach_the_mount_config(settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {
        "m": {"type": "memory", "file_overwrite": True, "serve": "signed", "cache_control": "no"}
    }
    config = get_manager().get_mount("m").config
    assert config["file_overwrite"] is True
    assert config["serve"] == "signed"
    assert set(conf.DJANGO_MOUNT_KEYS) >= {"file_overwrite", "serve", "serve_permission"}


def test_reset_manager() -> None:
    manager = get_manager()
    conf.reset_manager()
    assert get_manager() is not manager


def test_package_imports_without_settings() -> None:
    code = (
        "import genro_storage_django as g\n"
        "from genro_storage_django import checks, conf, fields, storage\n"
        "from genro_storage_django.core import StorageManager\n"
        "s = g.mount('uploads')\n"
        "assert s.deconstruct()[2] == {'mount': 'uploads'}\n"
        "StorageManager({'m': {'type': 'memory'}}).node('m:a').write_bytes(b'x')\n"
        "try:\n"
        "    g.get_manager()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ImproperlyConfigured"


def test_lazy_names() -> None:
    assert genro_storage_django.mount is mount
    assert genro_storage_django.get_manager is get_manager
    with pytest.raises(AttributeError):
        genro_storage_django.no_such_name  # noqa: B018
