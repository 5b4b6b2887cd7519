"""The conformance suite's tests of one file: reading, writing, checksums and local paths.

Part of :class:`~genro_storage_django.testing.conformance.BackendConformance` (see there).
"""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from ..core import (
    ContentTypeError,
    InvalidModeError,
    NotAFileError,
    StorageIsADirectoryError,
    StorageNode,
    StorageNotFoundError,
)

__all__ = ["FileConformance"]


class FileConformance:
    """What a mount must do with one file."""

    # -- reading and writing ---------------------------------------------------------------

    def test_write_then_read_bytes_and_text(self, writable_root: StorageNode) -> None:
        node = writable_root / "docs" / "hello.txt"
        assert node.write_bytes(b"hello \xc3\xa8") is True
        assert node.read_bytes() == b"hello \xc3\xa8"
        assert node.read_text() == "hello è"
        assert node.write_text("ciao") is True
        assert node.read_text() == "ciao"
        assert node.read() == "ciao"
        assert node.read("rb") == b"ciao"
        assert node.write(b"raw") is True
        assert node.read_bytes() == b"raw"
        assert node.write("Héllo", mode="w", encoding="latin-1") is True
        assert node.read_bytes() == b"H\xe9llo"
        assert node.read(mode="r", encoding="latin-1") == "Héllo"
        node.write_text("è")
        with node.open() as stream:  # text by default, as pathlib and genro-storage
            assert stream.read() == "è"

    def test_skip_if_unchanged(self, writable_root: StorageNode) -> None:
        node = writable_root / "same.txt"
        assert node.write_text("same", skip_if_unchanged=True) is True
        mtime = node.mtime()
        assert node.write_text("same", skip_if_unchanged=True) is False
        assert node.write("same", skip_if_unchanged=True) is False
        assert node.write_bytes(b"same", skip_if_unchanged=True) is False
        assert node.mtime() == mtime
        assert node.write_bytes(b"sane", skip_if_unchanged=True) is True  # same size
        assert node.write_bytes(b"longer", skip_if_unchanged=True) is True
        assert node.read_bytes() == b"longer"

    def test_content_of_the_wrong_type(self, writable_root: StorageNode) -> None:
        node = writable_root / "typed.txt"
        with pytest.raises(ContentTypeError) as caught:
            node.write_text(b"bytes")  # type: ignore[arg-type]
        assert isinstance(caught.value, TypeError)
        with pytest.raises(ContentTypeError, match=r"m:typed\.txt"):
            node.write_bytes("text")  # type: ignore[arg-type]
        with pytest.raises(ContentTypeError):
            node.write(b"bytes", mode="w")
        with pytest.raises(ContentTypeError):
            node.write("text", mode="wb")
        with pytest.raises(InvalidModeError, match="write mode"):
            node.write("text", mode="a")
        with pytest.raises(InvalidModeError, match="read mode"):
            node.read(mode="rt")
        assert not node.exists()

    def test_metadata_of_a_file(self, writable_root: StorageNode) -> None:
        node = writable_root / "a" / "b.bin"
        assert not node.exists()
        assert not node.is_file()
        assert not node.is_dir()
        node.write_bytes(b"x" * 1234)
        assert node.exists()
        assert node.is_file()
        assert not node.is_dir()
        assert node.size() == 1234
        stat = node.stat()
        assert stat.is_file
        assert stat.size == 1234
        assert stat.name == "b.bin"
        mtime = node.mtime()
        assert mtime is None or mtime > 1_600_000_000
        assert node.parent.is_dir()

    def test_missing_file_errors_name_the_mount_path(self, writable_root: StorageNode) -> None:
        node = writable_root / "nope" / "missing.txt"
        with pytest.raises(StorageNotFoundError, match=r"m:nope/missing\.txt") as caught:
            node.read_bytes()
        assert isinstance(caught.value, FileNotFoundError)
        with pytest.raises(FileNotFoundError):
            node.stat()
        with pytest.raises(FileNotFoundError):
            node.open("rb")
        with pytest.raises(FileNotFoundError):
            node.size()

    def test_open_streams_and_seeks(self, writable_root: StorageNode) -> None:
        data = bytes(range(256)) * 4096  # 1 MiB
        node = writable_root / "big.bin"
        with node.open("wb") as stream:
            for start in range(0, len(data), 65536):
                stream.write(data[start : start + 65536])
        with node.open("rb") as stream:
            assert stream.read(10) == data[:10]
            stream.seek(500_000)
            assert stream.read(100) == data[500_000:500_100]
        with node.open("r", encoding="latin-1") as text:
            assert text.read(3) == data[:3].decode("latin-1")

    def test_text_write_mode(self, writable_root: StorageNode) -> None:
        node = writable_root / "notes.txt"
        with node.open("w") as stream:
            stream.write("line one\n")
            stream.write("line two\n")
        assert node.read_text().splitlines() == ["line one", "line two"]

    def test_failed_write_keeps_previous_content(self, writable_root: StorageNode) -> None:
        node = writable_root / "keep.txt"
        node.write_bytes(b"original")
        with pytest.raises(RuntimeError), node.open("wb") as stream:
            stream.write(b"half of the new")
            raise RuntimeError("writer died")
        assert node.read_bytes() == b"original"
        with pytest.raises(RuntimeError), node.open("w") as text:
            text.write("half")
            raise RuntimeError("writer died")
        assert node.read_bytes() == b"original"
        assert [child.basename for child in writable_root.children()] == ["keep.txt"]

    def test_failed_write_of_new_file_leaves_nothing(self, writable_root: StorageNode) -> None:
        node = writable_root / "new.txt"
        with pytest.raises(ValueError, match="boom"), node.open("wb") as stream:
            stream.write(b"partial")
            raise ValueError("boom")
        assert not node.exists()
        assert writable_root.children() == []

    def test_append_and_exclusive_modes(self, writable_root: StorageNode) -> None:
        node = writable_root / "log.txt"
        with node.open("a") as stream:
            stream.write("one\n")
        with node.open("ab") as stream:
            stream.write(b"two\n")
        assert node.read_text() == "one\ntwo\n"
        fresh = writable_root / "fresh.txt"
        with fresh.open("x") as stream:
            stream.write("first")
        with pytest.raises(FileExistsError), fresh.open("xb") as stream:
            stream.write(b"second")
        assert fresh.read_text() == "first"

    def test_unsupported_mode(self, writable_root: StorageNode) -> None:
        with pytest.raises(InvalidModeError, match="unsupported mode") as caught:
            (writable_root / "f").open("r+b")
        assert isinstance(caught.value, ValueError)  # as genro-storage raised

    def test_touch_creates_and_refreshes(self, writable_root: StorageNode) -> None:
        node = writable_root / "touched"
        node.touch()
        assert node.is_file()
        assert node.size() == 0
        node.write_bytes(b"keep")
        node.touch()
        assert node.read_bytes() == b"keep"

    # -- checksums, URLs, local paths ------------------------------------------------------

    def test_md5hash(self, writable_root: StorageNode) -> None:
        data = os.urandom(300_000)
        node = writable_root / "sum.bin"
        node.write_bytes(data)
        assert node.md5hash() == hashlib.md5(data).hexdigest()
        with pytest.raises(StorageIsADirectoryError):
            node.parent.md5hash()
        with pytest.raises(NotAFileError) as caught:
            node.parent.size()
        assert isinstance(caught.value, ValueError)

    def test_local_path_read(self, writable_root: StorageNode) -> None:
        node = writable_root / "tool" / "input.txt"
        node.write_bytes(b"for an external tool")
        with node.local_path() as path:
            assert os.path.isfile(path)
            with open(path, "rb") as handle:
                assert handle.read() == b"for an external tool"

    def test_local_path_write_and_readwrite(self, writable_root: StorageNode) -> None:
        node = writable_root / "tool" / "output.txt"
        with node.local_path("w") as path, open(path, "wb") as handle:
            handle.write(b"made by a tool")
        assert node.read_bytes() == b"made by a tool"
        with node.local_path("rw") as path, open(path, "ab") as handle:
            handle.write(b", then edited")
        assert node.read_bytes() == b"made by a tool, then edited"

    def test_local_path_upload_skipped_on_error(self, writable_root: StorageNode) -> None:
        node = writable_root / "tool" / "never.txt"
        real_file = node.capabilities.local_files
        with pytest.raises(RuntimeError), node.local_path("w") as path:
            with open(path, "wb") as handle:
                handle.write(b"x")
            raise RuntimeError("tool failed")
        # A local mount hands out the file itself, so what the tool wrote is there;
        # elsewhere the temporary copy is not uploaded.
        assert node.exists() is real_file

    def test_local_path_bad_mode(self, writable_root: StorageNode) -> None:
        with (
            pytest.raises(InvalidModeError, match="local_path mode"),
            (writable_root / "f").local_path("a"),
        ):
            pass  # pragma: no cover

    # -- text ----------------------------------------------------------------------------

    def test_text_wrapper_reads_lines(self, writable_root: StorageNode) -> None:
        node = writable_root / "lines.txt"
        node.write_text("a\nb\nc\n")
        with node.open("r") as stream:
            opened: object = stream  # typed IO[Any]; a text wrapper in fact
            assert isinstance(opened, io.TextIOBase)
            assert [line.rstrip("\n") for line in stream] == ["a", "b", "c"]
