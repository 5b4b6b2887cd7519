"""The ``genro_storage`` alias of scripts/genro-suite maps module names and nothing else."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

from genro_storage_django.core import StorageManager, errors
from tests.genro_suite.genro_alias import GenroAliasFinder, target_name


@pytest.fixture
def alias() -> Iterator[None]:
    finder = GenroAliasFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if name.split(".")[0] == "genro_storage"]:
            del sys.modules[name]


def test_names_map_onto_the_core() -> None:
    assert target_name("genro_storage") == "genro_storage_django.core"
    assert target_name("genro_storage.exceptions") == "genro_storage_django.core.errors"
    assert target_name("genro_storage.node") == "genro_storage_django.core.node"
    assert target_name("genro_storage_other") is None


@pytest.mark.usefixtures("alias")
def test_the_alias_gives_the_core_modules_themselves() -> None:
    package = importlib.import_module("genro_storage")
    exceptions = importlib.import_module("genro_storage.exceptions")
    assert package.StorageManager is StorageManager
    assert exceptions is errors
    # The shared module keeps its own identity.
    assert errors.__spec__ is not None
    assert errors.__spec__.name == "genro_storage_django.core.errors"


@pytest.mark.usefixtures("alias")
def test_a_module_the_core_lacks_is_missing() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("genro_storage.no_such_module")
