"""The layering contract, read from the source (the AST) and checked by importing.

* The core (``genro_storage_django.core``) imports no Django module, except the one
  optional seam in ``core/errors.py`` (``UnsafePathError`` is also Django's
  ``SuspiciousFileOperation`` when Django is installed), and nothing of the Django layer.
* No import cycle inside the core, deferred (function-level) imports included; imports
  under ``if TYPE_CHECKING:`` are for annotations and never run, so they do not count.
* The Django layer imports only the core's public names: no leading underscore, and
  listed in the module's ``__all__`` where it has one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousFileOperation

import genro_storage_django
from genro_storage_django.core import StorageError, UnsafePathError, normalize

PACKAGE = Path(genro_storage_django.__file__).parent
CORE = PACKAGE / "core"
DJANGO_SEAM = "genro_storage_django.core.errors"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports(path: Path, *, runtime_only: bool) -> Iterator[tuple[str, list[str]]]:
    """(module imported, names taken from it) for each import statement of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    here = module_name(path).split(".")
    if not is_package(path):
        here = here[:-1]  # the package a relative import starts from
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            yield target, [alias.name for alias in node.names]


def python_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def core_modules() -> dict[str, Path]:
    return {module_name(path): path for path in python_files(CORE)}


def test_the_core_imports_django_only_in_its_seam() -> None:
    offenders = []
    for name, path in core_modules().items():
        for target, _names in imports(path, runtime_only=False):
            django = target == "django" or target.startswith("django.")
            django_layer = target.startswith("genro_storage_django") and not (
                target == "genro_storage_django.core"
                or target.startswith("genro_storage_django.core.")
            )
            if (django and name != DJANGO_SEAM) or django_layer:
                offenders.append(f"{name} imports {target}")
    assert offenders == []


def test_no_import_cycle_inside_the_core() -> None:
    modules = core_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names in imports(path, runtime_only=True):
            # ``from . import errors`` imports the submodule, not the package.
            submodules = {f"{target}.{n}" for n in names} & modules.keys()
            graph[name] |= submodules or ({target} & modules.keys())
            graph[name].discard(name)
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for following in sorted(graph[name]):
            if state.get(following) == 1:
                cycles.append([*trail[trail.index(following) :], following])
            elif following not in state:
                visit(following, [*trail, following])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_django_layer_imports_only_public_core_names() -> None:
    exported: dict[str, set[str] | None] = {}
    for name, path in core_modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported[name] = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                exported[name] = set(ast.literal_eval(node.value))
    offenders = []
    for path in python_files(PACKAGE):
        if path.is_relative_to(CORE):
            continue
        for target, names in imports(path, runtime_only=False):
            if target not in exported:
                continue
            public = exported[target]
            for imported in names:
                if imported.startswith("_") or (public is not None and imported not in public):
                    offenders.append(f"{module_name(path)}: {imported} from {target}")
    assert offenders == []


def test_the_import_reader_resolves_relative_and_skips_type_checking_imports() -> None:
    # The checks above are only as good as this reader.
    found = dict(imports(CORE / "backends" / "relative.py", runtime_only=False))
    assert "genro_storage_django.core.backends.base" in found
    assert "genro_storage_django.core.errors" in found
    runtime = dict(imports(CORE / "copying.py", runtime_only=True))
    everything = dict(imports(CORE / "copying.py", runtime_only=False))
    assert "genro_storage_django.core.node" in everything.keys() - runtime.keys()


WITHOUT_DJANGO = """
import importlib, pkgutil, sys
sys.modules["django"] = None  # any "import django..." now raises ImportError
import genro_storage_django.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, core.__name__ + ".")]
for name in names:
    importlib.import_module(name)
assert not any(m == "django" or m.startswith("django.") for m in sys.modules if sys.modules[m])
from genro_storage_django.core import StorageError, UnsafePathError, normalize
try:
    normalize("../escape")
except StorageError as exc:
    assert type(exc) is UnsafePathError, type(exc)
    homes = sorted({cls.__module__ for cls in type(exc).__mro__})
    print(len(names), ",".join(homes), exc)
"""


def test_the_core_imports_and_refuses_paths_without_django() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_DJANGO],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    count, base, message = done.stdout.split(" ", 2)
    assert int(count) == len(core_modules()) - 1  # every module but the package itself
    assert base == "builtins,genro_storage_django.core.errors"
    assert message.strip() == "'..' in path '../escape'"


def test_with_django_an_unsafe_path_is_a_suspicious_file_operation() -> None:
    with pytest.raises(SuspiciousFileOperation) as raised:
        normalize("../escape")
    assert isinstance(raised.value, UnsafePathError)
    assert isinstance(raised.value, StorageError)
