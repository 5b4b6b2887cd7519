"""The conformance suite: what every mount kind must do, as one class of pytest tests.

Backend authors run it on their own mount type: subclass :class:`BackendConformance` in a
pytest module and give it a ``writable_root`` fixture, the root node of a new, empty,
writable mount named ``m`` (docs/core.md, "Writing a backend")::

    import pytest
    from genro_storage_django.core import StorageManager
    from genro_storage_django.testing.conformance import BackendConformance

    class TestMyBackend(BackendConformance):
        @pytest.fixture
        def writable_root(self, tmp_path):
            manager = StorageManager()
            manager.register_backend_type("mine", MyBackend)
            manager.add_mount({"name": "m", "type": "mine", "path": str(tmp_path)})
            return manager.node("m:")

This project runs it on every built-in kind (``tests/test_core_conformance.py``). It needs
pytest, which the package itself does not.
"""

from __future__ import annotations

import pytest

from ..core import (
    DirectoryNotEmptyError,
    OverlappingPathsError,
    StorageError,
    StorageExistsError,
    StorageNode,
    StorageNotADirectoryError,
    StorageNotFoundError,
    StoragePermissionError,
    UnsafePathError,
)
from ..core.transfer import copy, move
from .conformance_capabilities import CapabilityConformance
from .conformance_files import FileConformance

__all__ = ["BackendConformance", "CapabilityConformance", "FileConformance"]


def _populate(root: StorageNode) -> None:
    for path in ("a.txt", "b/c.txt", "b/d.pdf", "b/e/f.txt", "g/h.pdf"):
        root.child(path).write_bytes(path.encode())


class BackendConformance(FileConformance, CapabilityConformance):
    """One behaviour per test, the same on every mount kind (see the module's docstring):
    :class:`FileConformance`'s tests of one file, :class:`CapabilityConformance`'s of the
    declared capabilities, and here directories, copies and moves, path safety and
    permissions."""

    # -- directories -----------------------------------------------------------------------

    def test_children_iterdir_scandir(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        assert [c.basename for c in writable_root.children()] == ["a.txt", "b", "g"]
        assert [c.fullpath for c in (writable_root / "b").iterdir()] == [
            "m:b/c.txt",
            "m:b/d.pdf",
            "m:b/e",
        ]
        kinds = {node.basename: stat.kind for node, stat in (writable_root / "b").scandir()}
        assert kinds == {"c.txt": "file", "d.pdf": "file", "e": "directory"}
        sizes = {node.basename: stat.size for node, stat in (writable_root / "b").scandir()}
        assert sizes["c.txt"] == len(b"b/c.txt")

    def test_files_among_and_directory_stamp(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        directory = writable_root / "b"
        found = directory.files_among(["d.pdf", "e", "missing.txt", "c.txt"])
        assert sorted(found) == ["c.txt", "d.pdf"]  # a directory is not a file
        assert (writable_root / "missing").files_among(["x"]) == []
        with pytest.raises(UnsafePathError):
            directory.files_among(["e/f.txt"])
        stamp = directory.directory_stamp()
        (directory / "new.txt").write_bytes(b"new")
        # None means "list again": a stamp may only hold while nothing changed.
        assert stamp is None or directory.directory_stamp() != stamp

    def test_children_of_a_file_or_missing_dir(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        with pytest.raises(StorageNotADirectoryError):
            (writable_root / "a.txt").children()
        with pytest.raises(StorageNotFoundError):
            (writable_root / "missing").children()

    def test_walk_and_walk_files(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        walked = [
            (top.path, [d.basename for d in dirs], [f.basename for f in files])
            for top, dirs, files in writable_root.walk()
        ]
        assert walked == [
            ("", ["b", "g"], ["a.txt"]),
            ("b", ["e"], ["c.txt", "d.pdf"]),
            ("b/e", [], ["f.txt"]),
            ("g", [], ["h.pdf"]),
        ]
        bottom_up = [top.path for top, _d, _f in writable_root.walk(top_down=False)]
        assert bottom_up == ["b/e", "b", "g", ""]
        files = sorted((node.path, stat.size) for node, stat in writable_root.walk_files())
        assert files == [
            ("a.txt", 5),
            ("b/c.txt", 7),
            ("b/d.pdf", 7),
            ("b/e/f.txt", 9),
            ("g/h.pdf", 7),
        ]
        assert sorted(n.path for n, _s in (writable_root / "b").walk_files()) == [
            "b/c.txt",
            "b/d.pdf",
            "b/e/f.txt",
        ]
        assert list((writable_root / "missing").walk_files()) == []

    def test_glob(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        assert [n.path for n in writable_root.glob("*.txt")] == ["a.txt"]
        assert [n.path for n in writable_root.glob("**/*.pdf")] == ["b/d.pdf", "g/h.pdf"]
        assert [n.path for n in writable_root.glob("b/*")] == ["b/c.txt", "b/d.pdf", "b/e"]
        assert [n.path for n in (writable_root / "b").glob("**/*.txt")] == ["b/c.txt", "b/e/f.txt"]
        assert [n.path for n in writable_root.glob("?/[ce]*")] == ["b/c.txt", "b/e"]
        with pytest.raises(UnsafePathError):
            writable_root.glob("../*")

    def test_mkdir(self, writable_root: StorageNode) -> None:
        top = writable_root / "x"
        top.mkdir()
        if writable_root.capabilities.directories:
            assert top.is_dir()
            with pytest.raises(StorageExistsError):
                top.mkdir()
            top.mkdir(exist_ok=True)
            with pytest.raises(StorageNotFoundError):
                (writable_root / "no" / "parent").mkdir()
        (writable_root / "p" / "q" / "r").mkdir(parents=True)
        (writable_root / "p" / "q" / "r" / "f.txt").write_bytes(b"1")
        assert (writable_root / "p" / "q").is_dir()
        (writable_root / "file").write_bytes(b"1")
        with pytest.raises(StorageExistsError):
            (writable_root / "file").mkdir(exist_ok=True)

    def test_delete_file_dir_and_missing(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        assert (writable_root / "a.txt").delete() is True
        assert not (writable_root / "a.txt").exists()
        assert (writable_root / "a.txt").delete() is False  # missing is not an error
        with pytest.raises(DirectoryNotEmptyError):
            (writable_root / "b").delete()
        assert (writable_root / "b" / "c.txt").exists()
        assert (writable_root / "b").delete(recursive=True) is True
        assert not (writable_root / "b").exists()
        assert not (writable_root / "b" / "e" / "f.txt").exists()
        assert [c.basename for c in writable_root.children()] == ["g"]

    def test_delete_empty_directory(self, writable_root: StorageNode) -> None:
        empty = writable_root / "empty"
        empty.mkdir()
        # Object stores keep no empty directories: there is nothing to delete there.
        assert empty.delete() is writable_root.capabilities.directories
        assert not empty.exists()

    def test_listing_is_fresh_after_writes_and_deletes(self, writable_root: StorageNode) -> None:
        folder = writable_root / "fresh"
        (folder / "one").write_bytes(b"1")
        assert [c.basename for c in folder.children()] == ["one"]
        (folder / "two").write_bytes(b"22")
        assert [c.basename for c in folder.children()] == ["one", "two"]
        assert (folder / "two").size() == 2
        (folder / "one").delete()
        assert [c.basename for c in folder.children()] == ["two"]
        assert not (folder / "one").exists()

    # -- copy and move ---------------------------------------------------------------------

    def test_copy_file_within_mount(self, writable_root: StorageNode) -> None:
        source = writable_root / "src.txt"
        source.write_bytes(b"payload")
        destination = writable_root / "copies" / "dst.txt"
        assert source.copy_to(destination) is destination
        assert destination.read_bytes() == b"payload"
        assert source.read_bytes() == b"payload"
        assert source.copy_to("m:by-string.txt").read_bytes() == b"payload"
        report = copy(source, "m:reported.txt")
        assert report.copied == ["m:src.txt"]
        assert report.bytes == 7

    def test_copy_tree_within_mount(self, writable_root: StorageNode) -> None:
        _populate(writable_root / "tree")
        directories = writable_root.capabilities.directories
        if directories:
            (writable_root / "tree" / "empty").mkdir()
        report = copy(writable_root / "tree", writable_root / "copy")
        assert sorted(report.copied) == sorted(
            f"m:tree/{p}" for p in ("a.txt", "b/c.txt", "b/d.pdf", "b/e/f.txt", "g/h.pdf")
        )
        assert (writable_root / "copy" / "b" / "e" / "f.txt").read_bytes() == b"b/e/f.txt"
        # Empty directories come along where the mount has directories.
        assert (writable_root / "copy" / "empty").is_dir() is directories

    def test_move_file_within_mount(self, writable_root: StorageNode) -> None:
        source = writable_root / "moving.txt"
        source.write_bytes(b"abc")
        # The node is retargeted to the destination and returned.
        assert source.move_to(writable_root / "moved" / "here.txt") is source
        assert source.fullpath == "m:moved/here.txt"
        assert not (writable_root / "moving.txt").exists()
        assert (writable_root / "moved" / "here.txt").read_bytes() == b"abc"
        report = move(source, "m:again.txt")
        assert report.deleted == ["m:moved/here.txt"]

    def test_move_tree_within_mount(self, writable_root: StorageNode) -> None:
        _populate(writable_root / "tree")
        (writable_root / "tree").move_to(writable_root / "elsewhere")
        assert not (writable_root / "tree").exists()
        assert (writable_root / "elsewhere" / "g" / "h.pdf").read_bytes() == b"g/h.pdf"

    def test_copy_into_itself_is_refused(self, writable_root: StorageNode) -> None:
        _populate(writable_root / "tree")
        with pytest.raises(OverlappingPathsError, match="one inside the other"):
            (writable_root / "tree").copy_to(writable_root / "tree" / "inner")
        with pytest.raises(OverlappingPathsError, match="the same file"):
            (writable_root / "tree" / "a.txt").copy_to(writable_root / "tree" / "a.txt")

    def test_copy_file_onto_directory_is_refused(self, writable_root: StorageNode) -> None:
        _populate(writable_root)
        with pytest.raises(StorageError, match="is a directory"):
            (writable_root / "a.txt").copy_to(writable_root / "b")

    # -- safety and permissions ------------------------------------------------------------

    @pytest.mark.parametrize(
        "bad",
        [
            "../escape",
            "a/../../b",
            "/etc/passwd",
            "..\\..\\x",
            "a\x00b",
            "%2e%2e/x",
            "ok/%252e%252e/x",
        ],
    )
    def test_unsafe_paths_never_reach_the_backend(
        self, writable_root: StorageNode, bad: str
    ) -> None:
        with pytest.raises(UnsafePathError):
            writable_root.child(bad)
        with pytest.raises(UnsafePathError):
            writable_root.manager.node(f"m:{bad}")

    def test_readonly_mount_refuses_writes_and_deletes(self, writable_root: StorageNode) -> None:
        node = writable_root / "ro.txt"
        node.write_bytes(b"data")
        manager = writable_root.manager
        manager.add_mount(
            {"name": "ro", "type": "relative", "path": "m:", "permissions": "readonly"}
        )
        frozen = manager.node("ro:ro.txt")
        assert frozen.read_bytes() == b"data"
        with frozen.open("rb") as stream, frozen.open("r") as text:
            assert (stream.read(), text.read()) == (b"data", "data")
        with frozen.local_path() as path, open(path, "rb") as handle:
            assert handle.read() == b"data"
        for attempt in (
            lambda: frozen.write_bytes(b"x"),
            lambda: frozen.open("wb"),
            lambda: frozen.local_path("w").__enter__(),
            lambda: frozen.local_path("rw").__enter__(),
            lambda: frozen.delete(),
            lambda: frozen.touch(),
            lambda: frozen.parent.child("new").mkdir(),
            lambda: frozen.move_to("m:else.txt"),
            lambda: node.copy_to("ro:copy.txt"),
        ):
            with pytest.raises(StoragePermissionError, match="readonly"):
                attempt()
        assert frozen.read_bytes() == b"data"

    def test_readwrite_mount_refuses_deletes_only(self, writable_root: StorageNode) -> None:
        manager = writable_root.manager
        manager.add_mount(
            {"name": "rw", "type": "relative", "path": "m:", "permissions": "readwrite"}
        )
        node = manager.node("rw:rw.txt")
        node.write_bytes(b"1")
        node.write_bytes(b"2")
        with pytest.raises(PermissionError):
            node.delete()
        with pytest.raises(StoragePermissionError):
            node.move_to("m:other.txt")
        assert node.read_bytes() == b"2"
        assert not manager.node("m:other.txt").exists()
