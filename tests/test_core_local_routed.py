"""Local mounts whose ``path`` is a callable: per context, or switched by the first segment."""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import (
    StorageConfigError,
    StorageManager,
    StorageNotFoundError,
    UnsafePathError,
)
from genro_storage_django.core.backends import local_routed
from genro_storage_django.core.backends.local import LocalStorage
from genro_storage_django.core.backends.local_routed import (
    RoutedLocalBackend,
    callable_shape_error,
    takes_prefix,
)


@pytest.fixture
def packages(tmp_path: Path) -> dict[str, Path]:
    dirs = {name: tmp_path / f"{name}-package" for name in ("sys", "adm")}
    for name, directory in dirs.items():
        (directory / "folder").mkdir(parents=True)
        (directory / f"{name}.txt").write_text(f"{name} content")
    dirs["base"] = tmp_path
    return dirs


def switched(packages: dict[str, Path]) -> Callable[[str], str]:
    def resolver(prefix: str) -> str:
        return str(packages.get(prefix, packages["base"]))

    return resolver


def test_a_context_callable_is_asked_on_every_operation(tmp_path: Path) -> None:
    context = {"tenant": "a"}
    calls = []

    def tenant_dir() -> str:
        calls.append(context["tenant"])
        return str(tmp_path / context["tenant"])

    manager = StorageManager([{"name": "t", "type": "local", "path": tenant_dir}])
    assert calls == []  # configuring does not call it
    node = manager.node("t:prefs.json")
    node.write_text("dark")
    context["tenant"] = "b"
    assert not node.exists()  # the same node, now in tenant b's directory
    node.write_text("light")
    assert (tmp_path / "a" / "prefs.json").read_text() == "dark"
    assert (tmp_path / "b" / "prefs.json").read_text() == "light"
    backend = manager.get_backend("t")
    assert isinstance(backend, RoutedLocalBackend)
    assert backend.base_path == str(tmp_path / "b")
    assert "per context" in backend.describe()


def test_a_callable_taking_a_prefix_switches_on_the_first_segment(
    packages: dict[str, Path], tmp_path: Path
) -> None:
    manager = StorageManager(
        {"pkg": {"type": "local", "base_path": switched(packages), "base_url": "/r/"}}
    )
    assert manager.node("pkg:sys/sys.txt").read_text() == "sys content"
    assert manager.node("pkg:adm/adm.txt").read_bytes() == b"adm content"
    with manager.node("pkg:sys/sys.txt").open("rb") as stream:
        assert stream.read(3) == b"sys"
    assert [c.path for c in manager.node("pkg:sys").children()] == [
        "sys/folder",
        "sys/sys.txt",
    ]
    assert manager.node("pkg:sys").is_dir() and manager.node("pkg:sys/sys.txt").is_file()
    assert manager.node("pkg:sys/sys.txt").size() == len("sys content")
    manager.node("pkg:adm/new/deep.txt").write_text("new")
    assert (packages["adm"] / "new" / "deep.txt").read_text() == "new"
    assert sorted(p for p, _ in manager.get_backend("pkg").walk_files("adm")) == [
        "adm/adm.txt",
        "adm/new/deep.txt",
    ]
    # Copies land where the switched paths say, on the local disk of each side.
    manager.node("pkg:sys/sys.txt").copy_to("pkg:adm/copied.txt")
    assert (packages["adm"] / "copied.txt").read_text() == "sys content"
    manager.node("pkg:adm/made").mkdir()
    manager.node("pkg:adm/made").delete()
    manager.node("pkg:adm/copied.txt").touch()
    manager.node("pkg:adm/copied.txt").delete()
    assert not (packages["adm"] / "copied.txt").exists()
    assert manager.node("pkg:sys/sys.txt").url() == "/r/sys/sys.txt"  # the mount's URL space
    with manager.node("pkg:sys/sys.txt").local_path() as local:
        assert local == str(packages["sys"] / "sys.txt")
    assert manager.get_backend("pkg").base_path == str(tmp_path)  # the root asks for ""
    backend = manager.get_backend("pkg")
    assert "switched" in backend.describe()
    assert backend.capabilities.keeps_mtime
    assert backend.relative("sys/a") == "sys/a"  # locations are paths


def test_switched_paths_stay_inside_the_directory_chosen(packages: dict[str, Path]) -> None:
    manager = StorageManager({"pkg": {"type": "local", "path": switched(packages)}})
    with pytest.raises(UnsafePathError):
        manager.node("pkg:sys/../../etc/passwd")
    os.symlink("/etc", packages["sys"] / "out")
    with pytest.raises(UnsafePathError, match="outside the mount root"):
        manager.node("pkg:sys/out/passwd").read_bytes()


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        ("relative/dir", UnsafePathError, "not an absolute path"),
        ("/srv/a\0b", UnsafePathError, "not an absolute path"),
        ("/srv/../etc", UnsafePathError, "holds '..'"),
        ("/etc", UnsafePathError, "outside"),
        (42, StorageConfigError, "returned 42, not a path"),
    ],
)
def test_what_the_callable_returns_is_checked(
    tmp_path: Path, answer: Any, error: type[Exception], message: str
) -> None:
    manager = StorageManager(
        {"t": {"type": "local", "path": lambda: answer, "within": str(tmp_path)}}
    )
    with pytest.raises(error, match=message):
        manager.node("t:f.txt").exists()


def test_a_failing_callable_is_a_configuration_error(tmp_path: Path) -> None:
    def only_known(prefix: str) -> str:
        if prefix == "unsafe":
            raise UnsafePathError("refused as it is")
        if prefix != "known":
            raise KeyError(prefix)
        return str(tmp_path)

    manager = StorageManager({"t": {"type": "local", "path": only_known}})
    assert not manager.node("t:known/f.txt").exists()
    with pytest.raises(ValueError, match="path callable failed: 'unknown'"):
        manager.node("t:unknown/f.txt").exists()
    with pytest.raises(UnsafePathError, match=r"^refused as it is$"):  # a storage error as it is
        manager.node("t:unsafe/f.txt").exists()


def test_within_keeps_answers_inside_and_needs_a_callable(tmp_path: Path) -> None:
    inside = tmp_path / "tenants" / "a"
    manager = StorageManager(
        {"t": {"type": "local", "path": lambda: str(inside), "within": str(tmp_path / "tenants")}}
    )
    manager.node("t:f").write_bytes(b"1")
    assert (inside / "f").read_bytes() == b"1"

    def two(a: str, b: str) -> str:
        return a + b

    def keyword(*, tenant: str) -> str:
        return tenant

    for config, message in (
        ({"path": two, "within": "/"}, "'.*two' must take no argument, or one"),
        ({"path": keyword}, "must take no argument, or one"),
        ({"path": lambda: "/x", "within": "relative"}, "within must be an absolute path"),
        ({"path": str(tmp_path), "within": str(tmp_path)}, "confines a callable path only"),
    ):
        with pytest.raises(StorageConfigError, match=message):
            StorageManager({"t": {"type": "local", **config}})


def test_the_local_mounts_kept_are_bounded(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(local_routed, "_KEPT_ROOTS", 1)
    manager = StorageManager({"pkg": {"type": "local", "path": lambda p: str(tmp_path / p)}})
    for prefix in ("a", "b", "a", "a"):
        manager.node(f"pkg:{prefix}/f").write_bytes(prefix.encode())
    assert manager.node("pkg:b/f").read_bytes() == b"b"


def test_takes_prefix() -> None:
    def bare() -> str:
        return "/"

    def optional(prefix: str = "") -> str:
        return "/"

    def star(*parts: str) -> str:
        return "/"

    assert not takes_prefix(bare) and not takes_prefix(optional)
    assert takes_prefix(star) and takes_prefix(lambda prefix: prefix)

    class Unreadable:
        __signature__ = "not a signature"  # inspect.signature() raises on it

        def __call__(self) -> str:
            return "/"

    # No signature to read: called bare, and accepted as a mount's path.
    assert not takes_prefix(Unreadable()) and callable_shape_error(Unreadable()) is None


def test_local_storage_is_a_one_mount_manager(packages: dict[str, Path]) -> None:
    storage = LocalStorage(str(packages["sys"]), base_url="/static/")
    assert storage.base_path == str(packages["sys"])
    assert storage.read_text("sys.txt") == "sys content"
    storage.write_bytes("b.bin", b"\x00")
    storage.write_text("t.txt", "t")
    assert storage.read_bytes("b.bin") == b"\x00"
    assert storage.exists("t.txt") and storage.is_file("t.txt") and storage.is_dir("folder")
    assert storage.list_dir() == ["b.bin", "folder", "sys.txt", "t.txt"]
    storage.delete("t.txt")
    assert storage.node("folder").url() == "/static/folder"
    with pytest.raises(StorageNotFoundError):
        storage.read_text("t.txt")
    routed = LocalStorage(switched(packages))
    assert routed.list_dir("adm") == ["adm.txt", "folder"]
    assert routed.base_path == str(packages["base"])


def test_parallel_copies_see_the_caller_s_context(tmp_path: Path) -> None:
    tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant")
    manager = StorageManager(
        {
            "home": {"type": "local", "path": lambda: str(tmp_path / tenant.get())},
            "scratch": {"type": "memory"},
        }
    )

    def copy_in(name: str) -> None:
        tenant.set(name)
        for i in range(12):
            manager.node(f"home:src/f{i}.txt").write_text(f"{name} {i}")
        # Worker threads copy: on one disk (a batch per thread) and across stores.
        manager.node("home:src").copy_to("home:dst", workers=4)
        manager.node("home:src").copy_to("scratch:dst", workers=4)
        manager.node("scratch:dst").copy_to("home:back", workers=4)

    contextvars.copy_context().run(copy_in, "acme")
    for directory in ("dst", "back"):
        assert sorted(p.name for p in (tmp_path / "acme" / directory).iterdir()) == sorted(
            f"f{i}.txt" for i in range(12)
        )
    assert (tmp_path / "acme" / "back" / "f3.txt").read_text() == "acme 3"


def test_a_background_call_sees_the_caller_s_context(tmp_path: Path) -> None:
    tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant")
    manager = StorageManager(
        {"home": {"type": "local", "path": lambda: str(tmp_path / tenant.get())}}
    )
    done = threading.Event()

    def run() -> None:
        tenant.set("acme")
        node = manager.node("home:log.txt")
        node.write_text("start")
        append = "import sys; open(sys.argv[1], 'a').write(' end')"
        node.call(sys.executable, "-c", append, node, async_mode=True, callback=done.set)

    contextvars.copy_context().run(run)
    assert done.wait(30)
    assert (tmp_path / "acme" / "log.txt").read_text() == "start end"


def test_a_mirror_s_threads_see_the_caller_s_context(tmp_path: Path) -> None:
    tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant")
    manager = StorageManager(
        {
            "disk": {"type": "local", "path": lambda: str(tmp_path / tenant.get())},
            "spare": {"type": "memory"},
            "both": {"type": "mirror", "mounts": ["disk", "spare"], "write": "all"},
        }
    )

    def write_and_read() -> bytes:
        tenant.set("acme")
        manager.node("both:f.txt").write_bytes(b"mirrored")
        return manager.node("both:f.txt").read_bytes()

    assert contextvars.copy_context().run(write_and_read) == b"mirrored"
    assert (tmp_path / "acme" / "f.txt").read_bytes() == b"mirrored"
