"""``{% load genro_storage %}``: storage_url, storage_node, storage_size, storage_mtime."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client

from genro_storage_django import get_manager
from genro_storage_django.serving.links import node_url
from genro_storage_django.storage import MountStorage
from tests.testapp.models import Document


@pytest.fixture
def mounts(settings: Any, tmp_path: Path) -> Iterator[Path]:
    for name in ("pub", "sig", "uploads"):
        (tmp_path / name).mkdir()
    settings.STORAGE_MOUNTS = {
        "pub": {"type": "local", "path": str(tmp_path / "pub"), "serve": "public"},
        "sig": {"type": "local", "path": str(tmp_path / "sig"), "serve": "signed"},
        "uploads": {"type": "local", "path": str(tmp_path / "uploads"), "base_url": "/media/"},
        "scratch": {"type": "memory"},
    }
    previous = MountStorage.url_builder
    MountStorage.url_builder = node_url
    yield tmp_path
    MountStorage.url_builder = previous


def render(source: str, **context: Any) -> str:
    return Template("{% load genro_storage %}" + source).render(Context(context))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(html.unescape(url)).query))


def test_storage_url_of_a_fullpath(mounts: Path) -> None:
    assert render('{% storage_url "pub:a b/c.txt" %}') == "/files/pub/a%20b/c.txt"
    assert render('{% storage_url "uploads:x.txt" %}') == "/media/x.txt"
    url = render('{% storage_url "sig:x.txt" %}')
    assert url.startswith("/files/sig/x.txt?exp=")
    assert "&amp;sig=" in url  # autoescaped: ready for an href attribute


def test_storage_url_is_the_storage_url(mounts: Path) -> None:
    for mount in ("pub", "sig", "uploads", "scratch"):
        expected = MountStorage(mount=mount).url("doc.pdf")
        assert html.unescape(render(f'{{% storage_url "{mount}:doc.pdf" %}}')) == expected


def test_storage_url_options(mounts: Path) -> None:
    get_manager().node("sig:r.pdf").write_bytes(b"%PDF")
    url = render('{% storage_url "sig:r.pdf" download=True expires=600 %}')
    query = query_of(url)
    assert query["download"] == "1"
    assert set(query) == {"exp", "download", "sig"}
    response = Client().get(html.unescape(url))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="r.pdf"')
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    named = render('{% storage_url "pub:r.pdf" filename="Report.pdf" as link %}[{{ link }}]')
    assert named.startswith("[/files/pub/r.pdf?") and "filename=Report.pdf" in named


def test_expires_bounds_the_signature(mounts: Path) -> None:
    import time

    before = time.time()
    short = int(query_of(render('{% storage_url "sig:a" expires=60 %}'))["exp"])
    long = int(query_of(render('{% storage_url "sig:a" expires=86400 %}'))["exp"])
    after = time.time()
    # A short lifetime is exact to the second; a long one ends on a minute, never later.
    assert before + 60 <= short <= after + 61
    assert before + 86400 - 60 < long <= after + 86400
    assert long % 60 == 0


def test_storage_url_of_a_node_and_of_a_variable(mounts: Path) -> None:
    node = get_manager().node("pub:n.txt")
    assert render("{% storage_url node %}", node=node) == "/files/pub/n.txt"
    assert render("{% storage_url name %}", name="pub:v.txt") == "/files/pub/v.txt"
    assert render("{% storage_url missing %}") == ""  # an unset variable: no link


@pytest.mark.django_db
def test_storage_url_of_a_model_file(mounts: Path) -> None:
    document = Document.objects.create(title="t", file=ContentFile(b"data", name="a b.txt"))
    assert render("{% storage_url doc.file %}", doc=document) == f"/media/{document.file.name}"
    download = render("{% storage_url doc.file download=True %}", doc=document)
    assert download.startswith(f"/files/uploads/{document.file.name}?")
    assert query_of(download)["download"] == "1"
    assert render("{% storage_url doc.image %}", doc=document) == ""  # no file


def test_a_file_of_another_storage_keeps_its_url(tmp_path: Path) -> None:
    field = FileField(storage=FileSystemStorage(location=tmp_path, base_url="/fs/"))
    fieldfile = FieldFile(None, field, "x y.txt")
    assert render("{% storage_url f %}", f=fieldfile) == "/fs/x%20y.txt"


def test_a_target_of_the_wrong_kind(mounts: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match="mount:path"):
        render("{% storage_url 42 %}")


def test_size_and_mtime(mounts: Path, settings: Any) -> None:
    node = get_manager().node("pub:d/f.bin")
    node.write_bytes(b"x" * 2048)
    os.utime(mounts / "pub" / "d" / "f.bin", (1_700_000_000, 1_700_000_000))
    assert render('{{ "pub:d/f.bin"|storage_size }}') == "2048"
    assert render('{{ "pub:d/f.bin"|storage_size|filesizeformat }}') == "2.0\xa0KB"
    assert render("{{ n|storage_size }}", n=node) == "2048"
    assert render('{{ "pub:d/f.bin"|storage_mtime|date:"U" }}') == "1700000000"
    settings.TIME_ZONE = "UTC"
    assert render('{{ "pub:d/f.bin"|storage_mtime|date:"Y-m-d H:i" }}') == "2023-11-14 22:13"
    # Missing files and unsafe names give None rather than failing the page.
    assert render('{{ "pub:nothing"|storage_size }}') == "None"
    assert render('{{ "pub:nothing"|storage_mtime|default:"-" }}') == "-"
    assert render('{{ "pub:../x"|storage_size }}') == "None"


def test_storage_mtime_is_aware_with_use_tz(mounts: Path, settings: Any) -> None:
    from genro_storage_django.templatetags.genro_storage import storage_mtime

    get_manager().node("pub:f").write_bytes(b"")
    os.utime(mounts / "pub" / "f", (1_700_000_000, 1_700_000_000))
    assert storage_mtime("pub:f") == datetime.fromtimestamp(1_700_000_000, tz=timezone.utc)
    settings.USE_TZ = False
    naive = storage_mtime("pub:f")
    assert naive is not None and naive.tzinfo is None


def test_storage_node(mounts: Path) -> None:
    get_manager().node("pub:docs/report.pdf").write_bytes(b"12345")
    out = render(
        '{% storage_node "pub:docs/report.pdf" as n %}'
        "{{ n.basename }}|{{ n.size }}|{{ n.mimetype }}|{{ n.suffix }}|{% storage_url n %}"
    )
    assert out == "report.pdf|5|application/pdf|.pdf|/files/pub/docs/report.pdf"


def test_an_object_with_a_node(mounts: Path) -> None:
    storage = MountStorage(mount="pub")
    name = storage.save("opened.txt", ContentFile(b"abc"))
    with storage.open(name) as opened:  # a MountFile: its .node is the node
        assert render("{% storage_url f %}|{{ f|storage_size }}", f=opened) == (
            "/files/pub/opened.txt|3"
        )


def test_urls_without_any_urlconf_fall_back_to_the_mount(settings: Any) -> None:
    from genro_storage_django.serving.links import node_url, serving_url_available

    del settings.ROOT_URLCONF
    assert serving_url_available() is False
    settings.STORAGE_MOUNTS = {"pub": {"type": "local", "path": "/srv", "base_url": "/m/"}}
    from genro_storage_django import get_manager

    assert node_url(get_manager().node("pub:a.txt"), download=True) == "/m/a.txt"
