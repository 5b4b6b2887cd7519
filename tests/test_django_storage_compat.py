"""What Django's own storage tests expect of a storage, on MountStorage (issue 11).

Text content, ``chunks()`` without a size, a dangling symlink holding a name, the
upload permission settings, the temporary file of a large upload, URL quoting.
Django's whole storage suite runs against mounts in tests/django_suite.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import TemporaryUploadedFile
from pytest_django.fixtures import Settings as SettingsWrapper

from genro_storage_django import MountStorage, mount
from tests.testapp.mounts import KINDS, mount_config


@pytest.fixture(params=KINDS)
def uploads(
    request: pytest.FixtureRequest, tmp_path: Path, settings: SettingsWrapper
) -> MountStorage:
    settings.STORAGE_MOUNTS = {"uploads": mount_config(request.param, tmp_path, request)}
    return mount("uploads")


@pytest.fixture
def disk(tmp_path: Path, settings: SettingsWrapper) -> Path:
    """The root of a local mount named ``disk``."""
    root = tmp_path / "disk"
    root.mkdir()
    settings.STORAGE_MOUNTS = {"disk": {"type": "local", "path": str(root), "base_url": "/m/"}}
    return root


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- content --------------------------------------------------------------------------------


def test_text_content_is_saved_as_utf8(uploads: MountStorage, tmp_path: Path) -> None:
    assert uploads.open(uploads.save("a.txt", ContentFile("héllo"))).read() == "héllo".encode()
    name = uploads.save("b.txt", io.StringIO("ünïcode"))
    assert uploads.open(name).read() == "ünïcode".encode()
    source = tmp_path / "text.txt"
    source.write_text("opened in text mode ✓", encoding="utf-8")
    with source.open(encoding="utf-8") as handle:
        name = uploads.save("c.txt", handle)
    assert uploads.open(name).read() == "opened in text mode ✓".encode()


class OwnChunks(File):  # type: ignore[type-arg]
    """A File whose chunks() takes no size, as Django's tests and some projects write it."""

    def chunks(self) -> Iterator[bytes]:  # type: ignore[override]
        yield b"own "
        yield b"chunks"


def test_chunks_is_called_without_a_size(uploads: MountStorage) -> None:
    name = uploads.save("own.bin", OwnChunks(None, name="own.bin"))
    assert uploads.open(name).read() == b"own chunks"


def test_a_large_uploads_temporary_file_is_removed_once_saved(uploads: MountStorage) -> None:
    with TemporaryUploadedFile("big.bin", "application/octet-stream", 4, "utf-8") as upload:
        upload.write(b"data")
        upload.seek(0)
        temporary = upload.temporary_file_path()
        name = uploads.save("big.bin", upload)
        assert not os.path.exists(temporary)
        assert not upload.closed
    assert uploads.open(name).read() == b"data"


def test_opening_a_directory_says_it_is_one(uploads: MountStorage) -> None:
    uploads.save("a/b/file.txt", ContentFile(b"x"))
    with pytest.raises(IsADirectoryError):
        uploads.open("a/b")
    with pytest.raises(FileNotFoundError):
        uploads.open("a/missing")


# -- names ----------------------------------------------------------------------------------


def test_a_dangling_symlink_holds_its_name(disk: Path) -> None:
    storage = mount("disk")
    (disk / "link.txt").symlink_to(disk / "missing.txt")
    assert storage.exists("link.txt")
    name = storage.save("link.txt", ContentFile(b"new"))
    assert name != "link.txt" and name.startswith("link_")
    assert (disk / name).read_bytes() == b"new"
    assert (disk / "link.txt").is_symlink()


def test_local_urls_quote_as_django_does(disk: Path) -> None:
    # django.utils.encoding.filepath_to_uri keeps ~!*()' as they are.
    assert mount("disk").url("~!*()'@#$%^&*abc`+ =.file") == (
        "/m/~!*()'%40%23%24%25%5E%26*abc%60%2B%20%3D.file"
    )


# -- permissions ----------------------------------------------------------------------------


@pytest.mark.usefixtures("umask_022")
def test_upload_permission_settings_apply_to_local_mounts(
    disk: Path, settings: SettingsWrapper
) -> None:
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
    storage = mount("disk")
    name = storage.save("a/b/file.txt", ContentFile(b"x"))
    assert mode_of(disk / name) == 0o640
    assert mode_of(disk / "a") == mode_of(disk / "a" / "b") == 0o750
    # Read on use: a changed setting gives a new manager with the new modes.
    settings.FILE_UPLOAD_PERMISSIONS = 0o604
    assert mode_of(disk / storage.save("a/b/other.txt", ContentFile(b"y"))) == 0o604


@pytest.mark.usefixtures("umask_022")
def test_without_the_settings_the_umask_decides(disk: Path, settings: SettingsWrapper) -> None:
    settings.FILE_UPLOAD_PERMISSIONS = None
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = None
    name = mount("disk").save("d/file.txt", ContentFile(b"x"))
    assert mode_of(disk / name) == 0o644
    assert mode_of(disk / "d") == 0o755


@pytest.mark.usefixtures("umask_022")
def test_a_mounts_own_modes_win_over_the_settings(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    settings.FILE_UPLOAD_PERMISSIONS = 0o644
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755
    settings.STORAGE_MOUNTS = {
        "private": {
            "type": "local",
            "path": str(tmp_path),
            "file_permissions": 0o600,
            "directory_permissions": 0o700,
        },
        "scratch": {"type": "memory"},  # takes no modes: the settings do not reach it
    }
    name = mount("private").save("x/file.txt", ContentFile(b"x"))
    assert mode_of(tmp_path / name) == 0o600
    assert mode_of(tmp_path / "x") == 0o700
    assert mount("scratch").save("file.txt", ContentFile(b"x")) == "file.txt"
