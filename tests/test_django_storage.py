"""The Django Storage API of MountStorage, on a local, a memory and an S3 (moto) mount."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings as SettingsWrapper

from genro_storage_django import MountStorage, StorageNode, mount
from genro_storage_django.storage import MountFile, set_url_builder
from tests.testapp.mounts import KINDS, mount_config

UNSAFE = [
    "../escape.txt",
    "a/../../b.txt",
    "/etc/passwd",
    "a/\x00b.txt",
    "C:/windows.txt",
    "a/\x85b.txt",  # a C1 control character
    "a/.gsd-tmp-0123456789ab",  # a temporary file's name: listings would hide it
]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uploads(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, settings: SettingsWrapper
) -> MountStorage:
    settings.STORAGE_MOUNTS = {"uploads": mount_config(kind, tmp_path, request)}
    return mount("uploads")


def overwrite_mount(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, settings: SettingsWrapper
) -> MountStorage:
    config = mount_config(kind, tmp_path, request, file_overwrite=True)
    settings.STORAGE_MOUNTS = {"uploads": config}
    return mount("uploads")


class FailingContent(File):  # type: ignore[type-arg]
    """An upload whose second chunk fails, like a client disconnecting mid-upload."""

    def __init__(self) -> None:
        super().__init__(None, name="broken.bin")

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield b"partial data"
        raise ConnectionResetError("client went away")


# -- save / open ------------------------------------------------------------------------------


def test_save_open_read_round_trip(uploads: MountStorage) -> None:
    name = uploads.save("docs/report.txt", ContentFile(b"quarterly numbers"))
    assert name == "docs/report.txt"
    with uploads.open(name) as stream:
        assert isinstance(stream, MountFile)
        assert stream.name == "docs/report.txt"
        assert stream.read() == b"quarterly numbers"
    assert uploads.node(name).read_bytes() == b"quarterly numbers"


def test_save_streams_chunks_of_an_upload(uploads: MountStorage) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    upload = SimpleUploadedFile("big.bin", payload)
    name = uploads.save("big.bin", upload)
    assert uploads.size(name) == len(payload)
    with uploads.open(name) as stream:
        assert stream.read(5) == payload[:5]
        assert stream.read() == payload[5:]


def test_save_accepts_a_plain_file_object(uploads: MountStorage, tmp_path: Path) -> None:
    source = tmp_path / "plain.txt"
    source.write_bytes(b"plain file object")
    with source.open("rb") as handle:
        name = uploads.save("plain.txt", handle)
    assert uploads.open(name).read() == b"plain file object"


def test_save_normalises_the_name(uploads: MountStorage) -> None:
    name = uploads.save("a//b/./c.txt", ContentFile(b"x"))
    assert name == "a/b/c.txt"
    assert uploads.exists("a/b/c.txt")


def test_default_never_overwrites(uploads: MountStorage) -> None:
    first = uploads.save("same.txt", ContentFile(b"first"))
    second = uploads.save("same.txt", ContentFile(b"second"))
    assert first == "same.txt"
    assert second != first
    assert second.startswith("same_") and second.endswith(".txt")
    assert uploads.open(first).read() == b"first"
    assert uploads.open(second).read() == b"second"


def test_file_overwrite_replaces(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, settings: SettingsWrapper
) -> None:
    storage = overwrite_mount(kind, tmp_path, request, settings)
    assert storage.save("same.txt", ContentFile(b"first")) == "same.txt"
    assert storage.save("same.txt", ContentFile(b"second")) == "same.txt"
    assert storage.open("same.txt").read() == b"second"


def test_name_taken_after_get_available_name_gets_another(uploads: MountStorage, kind: str) -> None:
    # _save is what Storage.save calls once get_available_name chose a name: if another
    # writer took the name meanwhile, the exclusive create refuses and a new name is picked.
    # Object stores rely on get_available_name's check alone (documented): there the
    # later upload replaces the earlier one, as with django-storages.
    uploads.save("race.txt", ContentFile(b"the other writer"))
    name = uploads._save("race.txt", ContentFile(b"mine"))
    if kind == "s3":
        assert name == "race.txt"
        assert uploads.open("race.txt").read() == b"mine"
        return
    assert name != "race.txt"
    assert uploads.open("race.txt").read() == b"the other writer"
    assert uploads.open(name).read() == b"mine"


def test_failed_upload_leaves_no_file(uploads: MountStorage) -> None:
    with pytest.raises(ConnectionResetError):
        uploads.save("broken.bin", FailingContent())
    assert not uploads.exists("broken.bin")
    assert uploads.listdir("")[1] == []


def test_failed_overwrite_keeps_the_previous_content(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, settings: SettingsWrapper
) -> None:
    storage = overwrite_mount(kind, tmp_path, request, settings)
    storage.save("broken.bin", ContentFile(b"previous"))
    with pytest.raises(ConnectionResetError):
        storage.save("broken.bin", FailingContent())
    assert storage.open("broken.bin").read() == b"previous"


def test_open_for_writing_is_atomic(uploads: MountStorage) -> None:
    with uploads.open("written.txt", "wb") as stream:
        stream.write(b"hello")
        assert not uploads.exists("written.txt")
    assert uploads.open("written.txt").read() == b"hello"


def test_a_closed_file_reopens_from_the_mount(uploads: MountStorage) -> None:
    uploads.save("reopen.txt", ContentFile(b"again"))
    stream = uploads.open("reopen.txt")
    stream.read()
    stream.close()
    assert stream.closed
    with stream.open() as reopened:
        assert reopened.read() == b"again"


def test_open_missing_raises_file_not_found(uploads: MountStorage) -> None:
    with pytest.raises(FileNotFoundError):
        uploads.open("missing.txt")


# -- metadata -----------------------------------------------------------------------------


def test_exists_size_delete(uploads: MountStorage) -> None:
    name = uploads.save("d/file.bin", ContentFile(b"12345"))
    assert uploads.exists(name)
    assert not uploads.exists("d/missing.bin")
    assert uploads.exists("")
    assert uploads.size(name) == 5
    uploads.delete(name)
    assert not uploads.exists(name)
    uploads.delete(name)  # idempotent
    with pytest.raises(ValueError, match="name must be given"):
        uploads.delete("")


def test_listdir(uploads: MountStorage) -> None:
    for path in ("top.txt", "dir/a.txt", "dir/b.txt", "dir/sub/c.txt", "other/d.txt"):
        uploads.save(path, ContentFile(b"x"))
    assert uploads.listdir("") == (["dir", "other"], ["top.txt"])
    assert uploads.listdir("dir") == (["sub"], ["a.txt", "b.txt"])
    assert uploads.listdir("dir/sub") == ([], ["c.txt"])
    with pytest.raises(FileNotFoundError):
        uploads.listdir("nowhere")


def test_listdir_of_an_empty_mount(uploads: MountStorage) -> None:
    assert uploads.listdir("") == ([], [])


def test_times_are_aware_with_use_tz(uploads: MountStorage, kind: str) -> None:
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    name = uploads.save("t.txt", ContentFile(b"x"))
    modified = uploads.get_modified_time(name)
    assert modified.tzinfo is not None
    assert before <= modified <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    if kind == "s3":
        with pytest.raises(NotImplementedError):
            uploads.get_accessed_time(name)
        return
    assert uploads.get_created_time(name).tzinfo is not None
    if kind == "local":
        assert uploads.get_accessed_time(name).tzinfo is not None


def test_times_are_naive_without_use_tz(uploads: MountStorage, settings: SettingsWrapper) -> None:
    settings.USE_TZ = False
    name = uploads.save("t.txt", ContentFile(b"x"))
    assert uploads.get_modified_time(name).tzinfo is None


def test_path_only_on_local_mounts(uploads: MountStorage, kind: str) -> None:
    name = uploads.save("p/file.txt", ContentFile(b"on disk"))
    if kind != "local":
        with pytest.raises(NotImplementedError):
            uploads.path(name)
        return
    real = uploads.path(name)
    assert os.path.isabs(real)
    with open(real, "rb") as handle:
        assert handle.read() == b"on disk"


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_names_are_refused_everywhere(uploads: MountStorage, name: str) -> None:
    calls = [
        lambda: uploads.save(name, ContentFile(b"x")),
        lambda: uploads.open(name),
        lambda: uploads.exists(name),
        lambda: uploads.delete(name),
        lambda: uploads.size(name),
        lambda: uploads.url(name),
        lambda: uploads.listdir(name),
        lambda: uploads.get_modified_time(name),
        lambda: uploads.node(name),
    ]
    for call in calls:
        with pytest.raises(SuspiciousFileOperation):
            call()
    # generate_filename cleans the file name (get_valid_name) and refuses unsafe directories.
    try:
        generated = uploads.generate_filename(name)
    except SuspiciousFileOperation:
        return
    assert generated == "a/b.txt"


def test_generate_filename_and_valid_names(uploads: MountStorage) -> None:
    assert uploads.get_valid_name("My Report (final).pdf") == "My_Report_final.pdf"
    assert uploads.generate_filename("docs/2024/My Report.pdf") == "docs/2024/My_Report.pdf"
    assert uploads.generate_filename("docs\\win\\name.txt") == "docs/win/name.txt"
    assert uploads.generate_filename("plain.txt") == "plain.txt"


def test_get_available_name_truncates_to_max_length(uploads: MountStorage) -> None:
    uploads.save("dir/averyveryverylongname.txt", ContentFile(b"x"))
    name = uploads.get_available_name("dir/averyveryverylongname.txt", max_length=30)
    assert len(name) <= 30
    assert name.startswith("dir/") and name.endswith(".txt")
    assert not uploads.exists(name)


def test_get_available_name_with_overwrite_keeps_the_name(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, settings: SettingsWrapper
) -> None:
    storage = overwrite_mount(kind, tmp_path, request, settings)
    storage.save("keep.tar.gz", ContentFile(b"x"))
    assert storage.get_available_name("keep.tar.gz") == "keep.tar.gz"
    assert storage.get_available_name("dir/longname.tar.gz", max_length=15) == "dir/long.tar.gz"
    with pytest.raises(SuspiciousFileOperation):
        storage.get_available_name("dir/ab.tar.gz", max_length=8)


# -- urls and nodes ---------------------------------------------------------------------------


def test_url(uploads: MountStorage, kind: str, settings: SettingsWrapper) -> None:
    name = uploads.save("img/photo 1.jpg", ContentFile(b"x"))
    if kind == "local":
        assert uploads.url(name) == "/media/img/photo%201.jpg"
    elif kind == "memory":
        # No URL of its own: the file view's, signed (the default serving policy).
        url = uploads.url(name)
        assert url.startswith("/files/uploads/img/photo%201.jpg?")
        assert "sig=" in url
        settings.ROOT_URLCONF = "django.contrib.staticfiles.urls"  # no file view
        with pytest.raises(ValueError, match="gives no URLs"):
            uploads.url(name)
    else:
        url = uploads.url(name)
        assert url.startswith(uploads.node("").backend.options["endpoint_url"])
        assert "Signature=" in url


def test_url_builder_extension_point(uploads: MountStorage) -> None:
    seen: list[StorageNode] = []

    def builder(node: StorageNode) -> str | None:
        seen.append(node)
        return f"/files/{node.mount_name}/{node.path}" if node.path.endswith(".pdf") else None

    installed = MountStorage.url_builder
    set_url_builder(builder)
    try:
        assert uploads.url("doc.pdf") == "/files/uploads/doc.pdf"
        with contextlib.suppress(ValueError):  # memory mounts have no URL of their own
            assert uploads.url("image.png") != "/files/uploads/image.png"
    finally:
        set_url_builder(installed)
    assert [node.path for node in seen] == ["doc.pdf", "image.png"]


def test_node_gives_the_core_node(uploads: MountStorage) -> None:
    name = uploads.save("n/file.txt", ContentFile(b"node content"))
    node = uploads.node(name)
    assert isinstance(node, StorageNode)
    assert node.fullpath == "uploads:n/file.txt"
    assert node.read_bytes() == b"node content"
    with uploads.open(name) as stream:
        assert stream.node == node


# -- construction ---------------------------------------------------------------------------


def test_options_are_checked() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown option"):
        MountStorage(mount="uploads", location="/srv")  # type: ignore[call-arg]
    with pytest.raises(ImproperlyConfigured, match="'mount' option"):
        MountStorage()
    with pytest.raises(ImproperlyConfigured, match="'mount' option"):
        MountStorage(mount="not a name")


def test_unknown_mount_fails_on_use_not_on_construction() -> None:
    storage = mount("nowhere")
    with pytest.raises(ImproperlyConfigured, match="no mount 'nowhere'"):
        storage.exists("x")


def test_deconstruct_and_equality() -> None:
    storage = mount("uploads")
    assert storage.deconstruct() == (
        "genro_storage_django.storage.MountStorage",
        (),
        {"mount": "uploads"},
    )
    assert storage == MountStorage(mount="uploads")
    assert storage != mount("scratch")
    assert len({storage, MountStorage(mount="uploads")}) == 1


def test_storages_setting_builds_mount_storages() -> None:
    assert storages["default"] == mount("uploads")
    assert storages["staticfiles"] == mount("static")
    name = default_storage.save("via-default.txt", ContentFile(b"default storage"))
    try:
        assert mount("uploads").open(name).read() == b"default storage"
    finally:
        default_storage.delete(name)
