"""``genro_storage`` as a name for ``genro_storage_django.core``: a meta-path finder.

``genro_storage`` is the core package; ``genro_storage.<sub>`` is
``genro_storage_django.core.<sub>`` where that module exists (under the names below where the
core named it otherwise), and is missing otherwise, as a migrating user would find it. The alias
gives back the core's own module objects: nothing is wrapped, nothing is added.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

ALIAS = "genro_storage"
TARGET = "genro_storage_django.core"
# genro-storage's module paths that the core spells differently.
RENAMED = {
    "exceptions": "errors",
    "backends.fsspec": "backends.fsspec_base",
}


def target_name(fullname: str) -> str | None:
    """The core module ``fullname`` (a ``genro_storage`` module path) stands for, if any."""
    if fullname == ALIAS:
        return TARGET
    if not fullname.startswith(ALIAS + "."):
        return None
    sub = fullname[len(ALIAS) + 1 :]
    return f"{TARGET}.{RENAMED.get(sub, sub)}"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: ModuleType) -> None:
        self.target = target
        self.target_spec = target.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.target

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias's spec on the shared module: give it back its own.
        module.__spec__ = self.target_spec


class GenroAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        name = target_name(fullname)
        if name is None or importlib.util.find_spec(name) is None:
            return None
        module = importlib.import_module(name)
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(module), is_package=hasattr(module, "__path__")
        )


def pytest_configure() -> None:
    if not any(isinstance(finder, GenroAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, GenroAliasFinder())
