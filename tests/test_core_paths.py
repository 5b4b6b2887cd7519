"""The path normaliser: examples, and properties proved over arbitrary input."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.exceptions import SuspiciousFileOperation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genro_storage_django.core import (
    StorageError,
    StorageManager,
    StorageNameTooLongError,
    UnsafePathError,
    normalize,
)
from genro_storage_django.core.paths import is_temp_name, join, split_fullpath, temp_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        (".", ""),
        ("a", "a"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("a//b///c", "a/b/c"),
        ("./a/./b/", "a/b"),
        ("a\\b\\c", "a/b/c"),
        ("100%20off.pdf", "100%20off.pdf"),
        ("caffè/naïve.txt", "caffè/naïve.txt"),
        ("...", "..."),
        ("a..b/..c", "a..b/..c"),
        (Path("x/y"), "x/y"),
        ("\xa0nbsp\xff", "\xa0nbsp\xff"),  # past the C1 range: printable
        (".gsd-tmp-notes", ".gsd-tmp-notes"),  # not 12 hex digits: an ordinary name
        ("gsd-tmp-0123456789ab", "gsd-tmp-0123456789ab"),  # no leading dot
        (".gsd-tmp-0123456789AB", ".gsd-tmp-0123456789AB"),  # temporary names are lowercase
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "..",
        "../x",
        "a/../../x",
        "a/..",
        "/abs",
        "//server/share",
        "\\\\server\\share",
        "C:\\Windows",
        "c:relative",
        "./C:",  # a drive once the "./" is dropped: refused, so normalising stays idempotent
        ".//d:x",
        "..\\x",
        "a\x00b",
        "line\nbreak",
        "tab\there",
        "del\x7f",
        "c1\x80",
        "c1\x9b[2J",  # CSI: a terminal escape
        "a/b\x85",
        "%C2%9B",
        ".gsd-tmp-0123456789ab",
        "dir/.gsd-tmp-abcdef012345",
        ".report.pdf.gsd-tmp-0123456789ab",  # the form earlier versions used
        "%2e%2e/x",
        "%2E%2E%2Fx",
        "a%2fb",
        "a%5cb",
        "%00",
        "%252e%252e/x",
        "%25252e%25252e/x",
        "\uff0e\uff0e/x",
        "a\uff0fb",
        "a\ufe68b",
        "\ud800",
    ],
)
def test_normalize_refuses(raw: str) -> None:
    with pytest.raises(UnsafePathError) as caught:
        normalize(raw)
    assert isinstance(caught.value, SuspiciousFileOperation)
    assert isinstance(caught.value, StorageError)


def test_temporary_names() -> None:
    name = temp_name()
    assert is_temp_name(name)
    assert len(name.encode()) == 21  # whatever the target's length
    assert temp_name() != name
    assert not is_temp_name("report.gsd-tmp-0123456789ab")


def test_normalize_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        normalize(b"bytes")  # type: ignore[arg-type]


def test_join_and_split() -> None:
    assert join("a", "b/c", "d") == "a/b/c/d"
    assert join("", "x") == "x"
    with pytest.raises(UnsafePathError):
        join("a", "../b")
    assert split_fullpath("uploads:x/y") == ("uploads", "x/y")
    assert split_fullpath("uploads:") == ("uploads", "")
    for bad in ("no-mount-here", "bad name:x", ":x", "9lives:x"):
        with pytest.raises(UnsafePathError):
            split_fullpath(bad)


# Paths built from the pieces that make traversals, mixed with any Unicode.
piece = st.one_of(
    st.sampled_from(["/", "\\", ".", "..", "%", "%2e", "%2E", "%2f", "%5c", "%25", "~", ":"]),
    st.sampled_from(["\x00", "\uff0e", "\uff0f", "C:", "a", "b"]),
    st.characters(),
)
text = st.lists(piece, max_size=16).map("".join)


@given(text)
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_normalized_paths_stay_inside_any_root(raw: str) -> None:
    try:
        clean = normalize(raw)
    except UnsafePathError:
        return
    segments = clean.split("/") if clean else []
    assert not clean.startswith("/")
    assert "\\" not in clean
    assert "" not in segments
    assert "." not in segments and ".." not in segments
    assert not any(ord(char) < 32 or ord(char) == 127 for char in clean)
    root = "/srv/mount/root"
    joined = posixpath.normpath(posixpath.join(root, clean))
    assert joined == root or joined.startswith(root + "/")
    # Whatever decodes it later (an HTTP server, a proxy) sees no traversal either.
    decoded = clean
    for _ in range(4):
        decoded = unquote(decoded)
        assert ".." not in decoded.split("/")
        assert "\\" not in decoded
    assert normalize(clean) == clean  # idempotent


@given(st.lists(text, min_size=1, max_size=4))
@settings(max_examples=200)
def test_local_nodes_never_locate_outside(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    root = tmp_path_factory.mktemp("prop")
    manager = StorageManager({"m": {"type": "local", "path": str(root)}})
    try:
        node = manager.node("m:", *parts)
    except UnsafePathError:
        return
    location = node.backend.locate(node.path)
    real_root = os.path.realpath(root)
    assert os.path.realpath(location) == real_root or os.path.realpath(location).startswith(
        real_root + os.sep
    )


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "inside.txt").write_text("fine")
    (root / "escape").symlink_to(outside)
    (root / "escape-file").symlink_to(outside / "secret.txt")
    (root / "alias.txt").symlink_to(root / "inside.txt")
    manager = StorageManager({"m": {"type": "local", "path": str(root)}})
    for path in ("escape/secret.txt", "escape-file", "escape"):
        node = manager.node("m:" + path)
        with pytest.raises(UnsafePathError, match="outside the mount root"):
            node.read_bytes()
        with pytest.raises(SuspiciousFileOperation):
            node.exists()
    assert manager.node("m:alias.txt").read_text() == "fine"
    assert [c.basename for c in manager.node("m:").children()] == ["alias.txt", "inside.txt"]
    assert sorted(n.path for n, _s in manager.node("m:").walk_files()) == [
        "alias.txt",
        "inside.txt",
    ]
    with pytest.raises(UnsafePathError):
        manager.node("m:escape/new.txt").write_bytes(b"x")
    assert not (outside / "new.txt").exists()


def test_symlinked_mount_root_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    manager = StorageManager({"m": {"type": "local", "path": str(link)}})
    manager.node("m:a/b.txt").write_text("ok")
    assert (real / "a" / "b.txt").read_text() == "ok"


def test_nodes_from_unsafe_parts_are_refused(local_manager: StorageManager) -> None:
    root = local_manager.node("disk:")
    for bad in ("../x", "/x", "a/../../b"):
        with pytest.raises(SuspiciousFileOperation):
            root / bad
        with pytest.raises(SuspiciousFileOperation):
            local_manager.node("disk", bad)


def disk_mounts(root: Path) -> StorageManager:
    return StorageManager(
        {
            "local": {"type": "local", "path": str(root)},
            "fsfile": {"type": "fsspec", "protocol": "file", "path": str(root)},
        }
    )


@pytest.mark.parametrize("mount", ["local", "fsfile"])
@pytest.mark.parametrize("name", ["a" * 234, "b" * 255, "é" * 127 + "c", "d/" + "e" * 255])
def test_names_up_to_255_bytes_are_written(tmp_path: Path, mount: str, name: str) -> None:
    node = disk_mounts(tmp_path).node(f"{mount}:{name}")
    node.write_bytes(b"long")
    with node.open("wb") as stream:
        stream.write(b"longer")
    assert node.read_bytes() == b"longer"
    assert node.basename in [child.basename for child in node.parent.children()]


@pytest.mark.parametrize("mount", ["local", "fsfile"])
@pytest.mark.parametrize("name", ["a" * 256, "new/" + "b" * 256, "/".join(["c" * 200] * 25)])
def test_over_long_names_are_storage_errors_without_the_disk_path(
    tmp_path: Path, mount: str, name: str
) -> None:
    node = disk_mounts(tmp_path).node(f"{mount}:{name}")
    failures = []
    for attempt in (
        lambda: node.write_bytes(b"x"),
        lambda: node.stat(),
        lambda: node.open("wb").close(),
    ):
        with pytest.raises(StorageNameTooLongError) as caught:
            attempt()
        failures.append(caught.value)
    assert not node.exists()
    assert not node.is_dir()
    assert node.delete() is False
    for failure in failures:
        assert isinstance(failure, OSError)
        assert "name too long" in str(failure)
        assert str(tmp_path) not in str(failure)
