"""genro-storage's configuration grammar (the ``grammar`` extra): recipes to mounts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The extra needs Python 3.11+; every environment scripts/test makes has it.
pytest.importorskip("genro_builders")

from genro_bag.resolver import BagCbResolver
from genro_bag.resolvers import EnvResolver

from genro_storage_django.core import StorageConfigError, StorageManager
from genro_storage_django.core.storage_grammar import (
    StorageConfig,
    StorageGrammar,
    is_storage_config,
    mount_configs,
)


def recipe(main: Callable[[Any], None]) -> type[StorageConfig]:
    return type("Recipe", (StorageConfig,), {"main": lambda self, root: main(root)})


def test_a_recipe_configures_its_mounts_in_order(tmp_path: Path) -> None:
    def main(root: Any) -> None:
        m = root.mounts()
        m.relative(name="public", path="data:public", permissions="readonly")
        m.memory(name="data", base_path="/data")
        m.local(name="home", base_path=str(tmp_path))

    config = recipe(main)
    manager = StorageManager(config)
    assert manager.get_mount_names() == ["data", "public", "home"]  # parents first
    manager.node("data:public/f.txt").write_text("x")
    assert manager.node("public:f.txt").read_text() == "x"
    built = config()
    built.create()
    again = StorageManager()
    again.configure(built)
    assert again.get_mount_names() == ["data", "public", "home"]
    assert is_storage_config(config) and is_storage_config(built)
    assert not is_storage_config(StorageManager) and not is_storage_config({})


def test_resolvers_are_read_once_when_configuring(tmp_path: Path, monkeypatch: Any) -> None:
    calls = []

    def root() -> str:
        calls.append(1)
        return str(tmp_path / "a")

    monkeypatch.setenv("GSD_GRAMMAR_ROOT", str(tmp_path / "b"))

    def main(r: Any) -> None:
        m = r.mounts()
        m.local(name="a", base_path=BagCbResolver(root))
        m.local(name="b", base_path=EnvResolver("GSD_GRAMMAR_ROOT"))

    manager = StorageManager(recipe(main))
    manager.node("a:f").write_bytes(b"1")
    manager.node("b:f").write_bytes(b"2")
    assert (tmp_path / "a" / "f").read_bytes() == b"1"
    assert (tmp_path / "b" / "f").read_bytes() == b"2"
    assert calls == [1]


def test_genro_field_names_become_this_project_s() -> None:
    def main(r: Any) -> None:
        m = r.mounts()
        m.s3(name="s", bucket="b", base_path="in", access_key="k", secret_key="s")
        m.http(name="h", base_path="https://example.com/files")
        m.smb(name="share", host="nas", share="data", base_path="/team/", port=445)
        m.sftp(name="ssh", host="h", username="u", permissions="readonly")
        m.fsspec(name="f", protocol="memory", options={"skip_instance_cache": True})

    configs = mount_configs(recipe(main))
    assert configs == [
        {"type": "s3", "name": "s", "bucket": "b", "base_path": "in", "key": "k", "secret": "s"},
        {"type": "http", "name": "h", "base_url": "https://example.com/files"},
        {
            "type": "fsspec",
            "protocol": "smb",
            "name": "share",
            "path": "data/team",
            "options": {"host": "nas", "port": 445},
        },
        {
            "type": "fsspec",
            "protocol": "sftp",
            "name": "ssh",
            "permissions": "readonly",
            "path": "",
            "options": {"host": "h", "username": "u"},
        },
        {
            "type": "fsspec",
            "name": "f",
            "protocol": "memory",
            "options": {"skip_instance_cache": True},
        },
    ]
    # What the core's validation says of them: only that smb/sftp need their packages.
    problems = StorageManager().check(configs)
    assert {p.mount for p in problems} <= {"share", "ssh"}


def test_the_signature_is_the_validation() -> None:
    with pytest.raises(ValueError, match="required attribute"):
        StorageManager(recipe(lambda r: r.mounts().s3(name="s")))
    with pytest.raises(ValueError, match="Validation failed"):
        StorageManager(recipe(lambda r: r.mounts().memory(name="m", permissions="all")))

    def twice(r: Any) -> None:
        m = r.mounts()
        m.memory(name="m")
        m.memory(name="m")

    with pytest.raises(ValueError, match="duplicate collection key"):
        StorageManager(recipe(twice))


def test_empty_and_unbuilt_configurations() -> None:
    assert StorageManager(recipe(lambda r: r.mounts())).get_mount_names() == []
    # A mount outside ``mounts`` builds, but is not one of the configuration's mounts.
    assert mount_configs(recipe(lambda r: r.memory(name="loose"))) == []
    with pytest.raises(StorageConfigError, match="has not been built"):
        StorageManager(StorageConfig())


def test_the_core_gives_the_grammar_on_demand() -> None:
    from genro_storage_django import core

    assert core.StorageConfig is StorageConfig
    assert "StorageConfig" not in core.__all__  # `import *` must not need the extra


def test_the_manager_exposes_the_vocabulary() -> None:
    assert StorageManager.grammar is StorageGrammar
    assert StorageManager().grammar is StorageGrammar
