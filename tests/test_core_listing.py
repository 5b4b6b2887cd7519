"""Listings and walks over what a disk or a bucket really holds: refused names, symlinks
leading out of a (relative) mount, symlink loops, very deep trees."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import (
    StorageExistsError,
    StorageManager,
    StorageNode,
    StorageNotFoundError,
    UnsafePathError,
    sync,
)
from genro_storage_django.core.backends import StatResult
from genro_storage_django.core.backends.local_tree import remove_tree
from genro_storage_django.core.backends.memory import MemoryBackend
from genro_storage_django.core.listing import SYMLINK_LOOP, UNSAFE_NAME, printable
from genro_storage_django.core.transfer import move
from tests.support.cloud import bare_fs, cloud_config

#: Names a disk can hold and the path rules refuse, as bytes (one is not UTF-8).
UNSAFE = [b"bad\xff.txt", b"new\nline.txt", b"a%2fb.txt", b"back\\slash.txt"]


def disk_mount(kind: str, root: Path) -> dict[str, Any]:
    root.mkdir(exist_ok=True)
    if kind == "local":
        return {"type": "local", "path": str(root)}
    return {"type": "fsspec", "protocol": "file", "path": str(root)}


DISK_KINDS = ["local", "fsspec-file"]


def mount_m(kind: str, tmp_path: Path) -> tuple[StorageManager, Path]:
    """A manager whose mount ``m`` is of ``kind`` (or ``relative-local``: a relative mount
    on ``base:top``), and the directory on disk ``m:`` stands for."""
    if kind == "relative-local":
        manager = StorageManager({"base": disk_mount("local", tmp_path / "root")})
        manager.add_mount({"name": "m", "type": "relative", "path": "base:top"})
        return manager, tmp_path / "root" / "top"
    return StorageManager({"m": disk_mount(kind, tmp_path / "root")}), tmp_path / "root"


def put(directory: Path, name: bytes, data: bytes = b"x") -> None:
    with open(os.path.join(os.fsencode(directory), name), "wb") as stream:
        stream.write(data)


class Skips(list[tuple[str, str]]):
    """An ``on_skip`` callback that keeps what it was told."""

    def __call__(self, path: str, reason: str) -> None:
        self.append((path, reason))


# -- names the path rules refuse -----------------------------------------------------------------


@pytest.mark.parametrize("kind", DISK_KINDS)
@pytest.mark.parametrize("name", UNSAFE, ids=repr)
def test_an_unsafe_name_is_left_out_of_listings_with_a_warning(
    kind: str, name: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = StorageManager({"m": disk_mount(kind, tmp_path / "root")})
    (tmp_path / "root" / "dir").mkdir()
    put(tmp_path / "root" / "dir", name)
    put(tmp_path / "root" / "dir", b"ok.txt")
    shown = f"m:dir/{printable(os.fsdecode(name))}"
    directory = manager.node("m:dir")
    skips = Skips()
    with caplog.at_level(logging.WARNING, logger="genro_storage_django.listing"):
        assert [child.path for child, _stat in directory.scandir(skips)] == ["dir/ok.txt"]
        assert [node.path for node, _stat in directory.walk_files(skips)] == ["dir/ok.txt"]
        assert [files for _d, _s, files in manager.node("m:").walk(on_skip=skips)] == [
            [],
            [manager.node("m:dir/ok.txt")],
        ]
    assert skips == [(shown, UNSAFE_NAME)] * 3
    assert [r.getMessage() for r in caplog.records] == [f"skipped {shown}: {UNSAFE_NAME}"] * 3
    assert directory.children() == [manager.node("m:dir/ok.txt")]


def test_a_directory_with_an_unsafe_name_is_reported_once(tmp_path: Path) -> None:
    manager = StorageManager({"m": disk_mount("local", tmp_path / "root")})
    bad = os.path.join(os.fsencode(tmp_path / "root"), b"bad\ndir")
    os.mkdir(bad)
    for name in (b"one", b"two"):
        put(Path(os.fsdecode(bad)), name)
    skips = Skips()
    assert list(manager.node("m:").walk_files(skips)) == []
    assert skips == [("m:bad\\ndir", UNSAFE_NAME)]


@pytest.mark.parametrize("kind", DISK_KINDS)
def test_a_sync_skips_unsafe_names_and_never_deletes_them(kind: str, tmp_path: Path) -> None:
    manager = StorageManager(
        {"src": disk_mount(kind, tmp_path / "src"), "dst": disk_mount(kind, tmp_path / "dst")}
    )
    put(tmp_path / "src", b"back\\slash.txt")
    put(tmp_path / "src", b"ok.txt")
    put(tmp_path / "dst", b"kept\xff.txt")
    for run in range(2):
        report = sync(manager.node("src:"), manager.node("dst:"), delete=True)
        assert report.ok
        assert report.copied == (["src:ok.txt"] if run == 0 else [])
        assert report.deleted == []
        left_out = [entry for entry in report.skipped if entry[1] == UNSAFE_NAME]
        assert left_out == [
            ("src:back\\slash.txt", UNSAFE_NAME),
            ("dst:kept\\xff.txt", UNSAFE_NAME),
        ]
    assert sorted(os.listdir(os.fsencode(tmp_path / "dst"))) == [b"kept\xff.txt", b"ok.txt"]
    assert sorted(os.listdir(tmp_path / "src")) == ["back\\slash.txt", "ok.txt"]


def test_a_move_keeps_what_it_could_not_list(tmp_path: Path) -> None:
    manager = StorageManager(
        {"src": disk_mount("local", tmp_path / "src"), "dst": disk_mount("local", tmp_path / "dst")}
    )
    (tmp_path / "src" / "tree").mkdir()
    put(tmp_path / "src" / "tree", b"ok.txt", b"moved")
    put(tmp_path / "src" / "tree", b"new\nline.txt", b"stays")
    report = move(manager.node("src:tree"), "dst:tree")
    assert report.copied == ["src:tree/ok.txt"]
    assert report.skipped == [("src:tree/new\\nline.txt", UNSAFE_NAME)]
    assert (tmp_path / "dst" / "tree" / "ok.txt").read_bytes() == b"moved"
    assert os.listdir(tmp_path / "src" / "tree") == ["new\nline.txt"]


@pytest.mark.cloud
def test_an_s3_key_with_a_dot_dot_segment_is_left_out(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config = cloud_config("s3", request)
    bucket = bare_fs("s3", request)
    base = f"{config['bucket']}/{config['prefix']}"
    bucket.pipe_file(f"{base}/d/../evil.txt", b"evil")
    bucket.pipe_file(f"{base}/d/ok.txt", b"ok")
    manager = StorageManager({"s3": config, "copy": disk_mount("local", tmp_path / "copy")})
    skips = Skips()
    assert [node.path for node, _stat in manager.node("s3:d").walk_files(skips)] == ["d/ok.txt"]
    assert skips == [("s3:d/..", UNSAFE_NAME)]
    report = sync(manager.node("s3:d"), manager.node("copy:"), delete=True)
    assert report.copied == ["s3:d/ok.txt"]
    assert ("s3:d/..", UNSAFE_NAME) in report.skipped
    assert bucket.cat_file(f"{base}/d/../evil.txt") == b"evil"


# -- symlinks: fsspec mounts over the disk, relative mounts -------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.txt").write_bytes(b"secret")
    return directory


def test_fsspec_file_mounts_keep_symlinks_inside_their_root(tmp_path: Path, outside: Path) -> None:
    manager = StorageManager({"m": disk_mount("fsspec-file", tmp_path / "root")})
    (tmp_path / "root" / "escape").symlink_to(outside)
    (tmp_path / "root" / "escape-file").symlink_to(outside / "secret.txt")
    (tmp_path / "root" / "inside.txt").write_bytes(b"fine")
    (tmp_path / "root" / "alias.txt").symlink_to(tmp_path / "root" / "inside.txt")
    for path in ("escape/secret.txt", "escape-file", "escape"):
        node = manager.node("m:" + path)
        with pytest.raises(UnsafePathError, match="outside the mount root"):
            node.read_bytes()
        with pytest.raises(UnsafePathError):
            node.delete(recursive=True)
    with pytest.raises(UnsafePathError):
        manager.node("m:escape/new.txt").write_bytes(b"x")
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert manager.node("m:alias.txt").read_bytes() == b"fine"
    assert [c.path for c in manager.node("m:").children()] == ["alias.txt", "inside.txt"]
    assert sorted(n.path for n, _s in manager.node("m:").walk_files()) == [
        "alias.txt",
        "inside.txt",
    ]


@pytest.mark.parametrize("kind", DISK_KINDS)
def test_a_symlink_in_a_relative_mount_stays_below_its_sub_directory(
    kind: str, tmp_path: Path
) -> None:
    manager = StorageManager({"base": disk_mount(kind, tmp_path / "root")})
    manager.add_mount({"name": "rel", "type": "relative", "path": "base:sub"})
    (tmp_path / "root" / "secret.txt").write_bytes(b"secret")
    (tmp_path / "root" / "sub" / "in").mkdir(parents=True)
    (tmp_path / "root" / "sub" / "in" / "ok.txt").write_bytes(b"ok")
    (tmp_path / "root" / "sub" / "up").symlink_to("..")
    (tmp_path / "root" / "sub" / "alias").symlink_to("in")
    with pytest.raises(UnsafePathError, match=r"rel:up/secret\.txt"):
        manager.node("rel:up/secret.txt").read_bytes()
    with pytest.raises(UnsafePathError):
        manager.node("rel:up/new.txt").write_bytes(b"x")
    assert manager.node("rel:alias/ok.txt").read_bytes() == b"ok"
    assert [c.path for c in manager.node("rel:").children()] == ["alias", "in"]
    assert sorted(n.path for n, _s in manager.node("rel:").walk_files()) == [
        "alias/ok.txt",
        "in/ok.txt",
    ]
    # The parent mount's own rules are unchanged: the link stays inside its root.
    assert manager.node("base:sub/up/secret.txt").read_bytes() == b"secret"


# -- loops and deep trees ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*DISK_KINDS, "relative-local"])
def test_symlink_loops_are_reported_not_followed(kind: str, tmp_path: Path) -> None:
    manager, root = mount_m(kind, tmp_path)
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_bytes(b"f")
    (root / "a" / "b" / "back").symlink_to("..")  # to an ancestor
    (root / "self").symlink_to("self")  # resolves to itself
    skips = Skips()
    assert [n.path for n, _s in manager.node("m:").walk_files(skips)] == ["a/b/f.txt"]
    assert sorted(skips) == [("m:a/b/back", SYMLINK_LOOP), ("m:self", SYMLINK_LOOP)]
    walked = Skips()
    assert [top.path for top, _d, _f in manager.node("m:").walk(on_skip=walked)] == [
        "",
        "a",
        "a/b",
    ]
    assert walked == [("m:a/b/back", SYMLINK_LOOP)]
    below = Skips()  # a link to a directory above where the walk started is a loop too
    assert [top.path for top, _d, _f in manager.node("m:a/b").walk(on_skip=below)] == ["a/b"]
    assert below == [("m:a/b/back", SYMLINK_LOOP)]
    manager.add_mount(disk_mount("local", tmp_path / "copy") | {"name": "copy"})
    report = sync(manager.node("m:"), manager.node("copy:"))
    assert report.copied == ["m:a/b/f.txt"]
    assert ("m:a/b/back", SYMLINK_LOOP) in report.skipped


@pytest.fixture
def deep_tmp_path(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path``, emptied without recursion at the end: pytest's own clean-up of old
    temporary directories uses ``shutil.rmtree``, which a tree this deep would break."""
    yield tmp_path
    for child in tmp_path.iterdir():
        remove_tree(str(child))


@pytest.mark.parametrize("kind", [*DISK_KINDS, "relative-local"])
def test_a_thousand_nested_directories(kind: str, deep_tmp_path: Path) -> None:
    manager, _root = mount_m(kind, deep_tmp_path)
    manager.add_mount(disk_mount("local", deep_tmp_path / "copy") | {"name": "copy"})
    deep = "/".join(["d"] * 1000)
    node = manager.node(f"m:{deep}/f.txt")
    node.write_bytes(b"deep")
    manager.node(f"m:{deep}/g").mkdir(parents=True)
    assert [n.path for n, _s in manager.node("m:").walk_files()] == [f"{deep}/f.txt"]
    assert len(list(manager.node("m:").walk())) == 1002  # the root, 1,000 d and g
    report = sync(manager.node("m:"), manager.node("copy:"))
    assert report.copied == [f"m:{deep}/f.txt"]
    assert manager.node(f"copy:{deep}/f.txt").read_bytes() == b"deep"
    assert manager.node("m:d").delete(recursive=True)
    assert manager.node("m:").children() == []
    assert manager.node("copy:").delete(recursive=True)
    assert manager.node("copy:").children() == []


def test_a_node_walk_can_be_pruned_top_down(tmp_path: Path) -> None:
    manager = StorageManager({"m": disk_mount("local", tmp_path / "root")})
    for path in ("a/x.txt", "b/y.txt"):
        manager.node(f"m:{path}").write_bytes(b"x")
    seen = []
    for top, dirs, _files in manager.node("m:").walk():
        seen.append(top.path)
        dirs[:] = [d for d in dirs if d.basename != "a"]
    assert seen == ["", "b"]


def test_a_memory_walk_reports_no_loops(tmp_path: Path) -> None:
    manager = StorageManager({"m": {"type": "memory"}})
    manager.node("m:a/b/c.txt").write_bytes(b"c")
    root: StorageNode = manager.node("m:")
    assert [top.path for top, _d, _f in root.walk()] == ["", "a", "a/b"]
    assert [top.path for top, _d, _f in root.walk(top_down=False)] == ["a/b", "a", ""]


def test_a_memory_walk_below_the_root(tmp_path: Path) -> None:
    manager = StorageManager({"m": {"type": "memory"}})
    manager.node("m:a/b/c.txt").write_bytes(b"c")
    assert [top.path for top, _d, _f in manager.node("m:a").walk()] == ["a", "a/b"]


def test_a_dangling_symlink_is_not_listed(tmp_path: Path) -> None:
    manager = StorageManager({"m": disk_mount("local", tmp_path / "root")})
    (tmp_path / "root" / "dangling").symlink_to("nowhere")
    (tmp_path / "root" / "ok.txt").write_bytes(b"ok")
    assert manager.node("m:").children() == [manager.node("m:ok.txt")]


class OldStyleWalk(MemoryBackend):
    """A third-party backend whose ``walk_files`` predates ``on_skip``."""

    type_name = "test-old-walk"

    def walk_files(self, location: str) -> Iterator[tuple[str, StatResult]]:  # type: ignore[override]
        return super().walk_files(location)


def test_a_backend_without_on_skip_still_walks_and_skips() -> None:
    manager = StorageManager({})
    manager.register_backend_type(OldStyleWalk.type_name, OldStyleWalk)
    manager.add_mount({"name": "m", "type": OldStyleWalk.type_name})
    manager.node("m:ok.txt").write_bytes(b"ok")
    manager.get_backend("m").fs.pipe_file("back\\slash.txt", b"x")
    skips = Skips()
    assert [n.path for n, _s in manager.node("m:").walk_files(skips)] == ["ok.txt"]
    assert skips == [("m:back\\slash.txt", UNSAFE_NAME)]


def test_an_fsspec_mount_off_the_disk_is_unchanged(unique: Any) -> None:
    manager = StorageManager({"m": {"type": "fsspec", "protocol": "memory", "path": unique("/g")}})
    root = manager.node("m:")
    root.child("a/b").mkdir(parents=True)
    root.child("a/b/c.txt").write_bytes(b"c")
    assert root.child("a/b/c.txt").is_file()
    assert [n.path for n, _s in root.walk_files()] == ["a/b/c.txt"]
    assert [c.path for c in root.child("a").children()] == ["a/b"]
    root.child("a/b/c.txt").copy_to("m:d/c.txt")
    assert root.child("d/c.txt").read_bytes() == b"c"
    assert root.child("a").delete(recursive=True)
    assert [c.path for c in root.children()] == ["d"]


@pytest.mark.parametrize("kind", [*DISK_KINDS, "relative-local"])
def test_a_link_to_itself_is_left_out_of_a_listing_and_logged(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager, root = mount_m(kind, tmp_path)
    (root / "a").mkdir(parents=True)
    (root / "a" / "ok.txt").write_bytes(b"ok")
    (root / "a" / "selfie").symlink_to("selfie")
    with caplog.at_level(logging.WARNING, logger="genro_storage_django.listing"):
        assert manager.node("m:a").children() == [manager.node("m:a/ok.txt")]
    assert [r.getMessage() for r in caplog.records] == [f"skipped m:a/selfie: {SYMLINK_LOOP}"]


def test_a_directory_removed_during_a_walk_is_a_storage_error(tmp_path: Path) -> None:
    manager = StorageManager({"m": disk_mount("local", tmp_path / "root")})
    manager.node("m:a/b/c.txt").write_bytes(b"c")
    walk = manager.node("m:").walk()
    next(walk)
    remove_tree(str(tmp_path / "root" / "a"))
    with pytest.raises(StorageNotFoundError):
        next(walk)


def test_mkdir_gives_new_directories_the_mount_mode(tmp_path: Path) -> None:
    config = disk_mount("local", tmp_path / "root") | {"directory_permissions": 0o750}
    manager = StorageManager({"m": config})
    manager.node("m:a").mkdir()
    manager.node("m:a/b").mkdir()
    assert (tmp_path / "root" / "a" / "b").stat().st_mode & 0o777 == 0o750
    with pytest.raises(StorageExistsError):
        manager.node("m:a/b").mkdir()


@pytest.mark.parametrize("kind", [*DISK_KINDS, "memory"])
def test_a_move_removes_only_the_directories_it_emptied(
    kind: str, tmp_path: Path, outside: Path
) -> None:
    source = {"type": "memory"} if kind == "memory" else disk_mount(kind, tmp_path / "src")
    manager = StorageManager({"src": source, "dst": disk_mount("local", tmp_path / "dst")})
    for path in ("tree/a.pdf", "tree/sub/b.pdf", "tree/notes.txt", "tree/only/c.pdf"):
        manager.node(f"src:{path}").write_bytes(path.encode())
    if kind != "memory":
        (tmp_path / "src" / "tree" / "sub" / "escape").symlink_to(outside)
    report = move(manager.node("src:tree"), "dst:tree", include="*.pdf")
    assert sorted(report.copied) == ["src:tree/a.pdf", "src:tree/only/c.pdf", "src:tree/sub/b.pdf"]
    # Left out by the filter: never deleted, nor is its directory.
    assert manager.node("src:tree/notes.txt").read_bytes() == b"tree/notes.txt"
    assert not manager.node("src:tree/only").exists()
    if kind != "memory":
        # A link the listings do not show keeps its directory.
        assert os.listdir(tmp_path / "src" / "tree" / "sub") == ["escape"]
        assert os.listdir(outside) == ["secret.txt"]
    report = move(manager.node("src:tree"), "dst:tree")
    assert report.copied == ["src:tree/notes.txt"]
    assert manager.node("src:tree").exists() is (kind != "memory")
