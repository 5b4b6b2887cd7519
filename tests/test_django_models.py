"""A model's FileField and ImageField on a mount: uploads through the test client and a form,
on a local, a memory and an S3 mount (the same model, the mount switched by settings)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from genro_storage_django import MountStorage, StorageNode, mount, node_for
from tests.testapp.forms import DocumentForm
from tests.testapp.models import Document
from tests.testapp.mounts import KINDS, mount_config

pytestmark = pytest.mark.django_db


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(params=KINDS)
def uploads(request: pytest.FixtureRequest, tmp_path: Path, settings: Settings) -> MountStorage:
    settings.STORAGE_MOUNTS = {"uploads": mount_config(request.param, tmp_path, request)}
    return mount("uploads")


def test_upload_through_the_test_client(uploads: MountStorage, client: Client) -> None:
    response = client.post(
        "/upload/",
        {
            "title": "Quarterly report",
            "file": SimpleUploadedFile("Q3 report.pdf", b"%PDF-1.7 numbers"),
            "image": SimpleUploadedFile("cover.png", png(7, 5), content_type="image/png"),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file"] == "documents/Q3_report.pdf"
    assert body["image"] == "images/cover.png"
    assert (body["width"], body["height"]) == (7, 5)

    document = Document.objects.get(pk=body["id"])
    assert document.file.read() == b"%PDF-1.7 numbers"
    assert uploads.exists("documents/Q3_report.pdf")
    with document.image.open() as image_file, Image.open(image_file) as image:
        assert image.size == (7, 5)


def test_same_name_twice_gets_a_new_name(uploads: MountStorage, client: Client) -> None:
    names = []
    for content in (b"one", b"two"):
        response = client.post(
            "/upload/", {"title": "t", "file": SimpleUploadedFile("same.txt", content)}
        )
        assert response.status_code == 201
        names.append(response.json()["file"])
    assert names[0] == "documents/same.txt"
    assert names[1] != names[0]
    assert [uploads.open(name).read() for name in names] == [b"one", b"two"]


def test_download_view_streams_the_node(uploads: MountStorage, client: Client) -> None:
    document = Document(title="d")
    document.file.save("data.bin", ContentFile(b"0123456789" * 1000))
    response = client.get(f"/documents/{document.pk}/file")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="data.bin"'
    assert b"".join(response.streaming_content) == b"0123456789" * 1000


def test_form_with_image_and_attachment(uploads: MountStorage) -> None:
    form = DocumentForm(
        data={"title": "form upload"},
        files={
            "file": SimpleUploadedFile("notes.txt", b"notes"),
            "image": SimpleUploadedFile("pic.png", png(3, 4), content_type="image/png"),
            "attachment": SimpleUploadedFile("extra.csv", b"a,b\n1,2\n"),
        },
    )
    assert form.is_valid(), form.errors
    document = form.save()
    document.refresh_from_db()
    assert (document.width, document.height) == (3, 4)
    # The MountFileField's value exposes the node; node_for() does it for any field.
    node = document.attachment.node
    assert isinstance(node, StorageNode)
    assert node.fullpath == "uploads:attachments/extra.csv"
    assert node.read_bytes() == b"a,b\n1,2\n"
    assert node_for(document.image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert node_for(document.file).size() == 5


def test_form_rejects_a_non_image(uploads: MountStorage) -> None:
    form = DocumentForm(
        data={"title": "bad"},
        files={
            "file": SimpleUploadedFile("ok.txt", b"ok"),
            "image": SimpleUploadedFile("fake.png", b"not an image"),
        },
    )
    assert not form.is_valid()
    assert "image" in form.errors
    assert uploads.listdir("") == ([], [])


def test_deleting_the_file(uploads: MountStorage) -> None:
    document = Document(title="gone")
    document.file.save("bye.txt", ContentFile(b"bye"))
    name = document.file.name
    assert uploads.exists(name)
    document.file.delete()
    assert not uploads.exists(name)
    assert not document.file


def test_node_for_refuses_empty_and_foreign_fields(uploads: MountStorage, tmp_path: Path) -> None:
    document = Document(title="empty")
    with pytest.raises(ValueError, match="no file associated"):
        node_for(document.file)
    with pytest.raises(ValueError, match="no file associated"):
        document.attachment.node  # noqa: B018
    field = models.FileField(storage=FileSystemStorage(location=str(tmp_path)))
    field.set_attributes_from_name("plain")
    with pytest.raises(TypeError, match="not in a MountStorage"):
        node_for(FieldFile(document, field, "some.txt"))


def test_file_url(uploads: MountStorage) -> None:
    document = Document(title="u")
    document.file.save("link.txt", ContentFile(b"x"))
    config = uploads.get_mount().config
    if config["type"] == "local":
        assert document.file.url == "/media/documents/link.txt"
    elif config["type"] == "s3":
        assert "documents/link.txt?" in document.file.url
