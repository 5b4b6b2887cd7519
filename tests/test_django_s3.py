"""What MountStorage promises on S3, checked against the moto server's own request log."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from pytest_django.fixtures import Settings

from genro_storage_django import MountStorage, mount
from tests.support.servers import S3Server
from tests.testapp.mounts import s3_config, server_requests

pytestmark = pytest.mark.cloud


@pytest.fixture
def s3_mounts(s3_server: S3Server, settings: Settings) -> tuple[MountStorage, MountStorage]:
    """A private mount and a public (anonymous) one on the same prefix."""
    private = s3_config(s3_server)
    public = {
        "type": "s3",
        "bucket": private["bucket"],
        "prefix": private["prefix"],
        "endpoint_url": private["endpoint_url"],
        "anon": True,
    }
    settings.STORAGE_MOUNTS = {"private": private, "public": public}
    return mount("private"), mount("public")


def test_public_url_sends_no_request(
    s3_server: S3Server, s3_mounts: tuple[MountStorage, MountStorage]
) -> None:
    private, public = s3_mounts
    name = private.save("pics/cat.png", ContentFile(b"png"))
    public.url(name)  # build the backend outside the counted block
    with server_requests(s3_server) as requests:
        urls = [public.url(name) for _ in range(20)]
        private.exists(name)  # a sentinel: one request the log must show
    assert [method for method, _path, _status in requests] == ["HEAD"]
    prefix = private.get_mount().config["prefix"]
    assert urls[0] == f"{private.get_mount().config['endpoint_url']}/django-tests/{prefix}/{name}"
    assert "Signature" not in urls[0]


def test_private_url_is_presigned_without_a_request(
    s3_server: S3Server, s3_mounts: tuple[MountStorage, MountStorage]
) -> None:
    import urllib.request

    private, _public = s3_mounts
    name = private.save("private/doc.txt", ContentFile(b"secret report"))
    private.url(name)
    with server_requests(s3_server) as requests:
        url = private.url(name)
        private.exists(name)  # the sentinel
    assert [method for method, _path, _status in requests] == ["HEAD"]
    assert re.search(r"(Signature|X-Amz-Signature)=", url)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:  # the presigned URL really works
        assert response.read() == b"secret report"


def test_open_streams_instead_of_downloading_first(
    s3_mounts: tuple[MountStorage, MountStorage],
) -> None:
    private, _public = s3_mounts
    size = 12 * 1024 * 1024
    payload = os.urandom(size)
    name = private.save("big/video.bin", ContentFile(payload))
    ranges: list[str] = []

    def record(request: Any, **kwargs: Any) -> None:
        if request.method == "GET":
            ranges.append(request.headers.get("Range", b"").decode())

    events = private.node(name).backend.base_fs.s3.meta.events  # the s3fs client's hooks
    events.register("before-send.s3.GetObject", record)
    try:
        with private.open(name) as stream:
            first = stream.read(1024)
    finally:
        events.unregister("before-send.s3.GetObject", record)
    assert first == payload[:1024]
    # One ranged GET for the first block, far from the whole object.
    assert len(ranges) == 1, ranges
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", ranges[0])
    assert match is not None, ranges
    assert int(match[1]) == 0
    assert int(match[2]) + 1 <= size // 2


def test_exists_is_one_request(
    s3_server: S3Server, s3_mounts: tuple[MountStorage, MountStorage]
) -> None:
    private, _public = s3_mounts
    name = private.save("e/here.txt", ContentFile(b"x"))
    with server_requests(s3_server) as requests:
        assert private.exists(name)
        assert not private.exists("e/missing.txt")
    assert [(method, status) for method, _path, status in requests] == [
        ("HEAD", 200),
        ("HEAD", 404),
    ]


def test_a_prefix_is_not_a_file_on_object_stores(
    s3_mounts: tuple[MountStorage, MountStorage],
) -> None:
    # Django's contract: exists() tells whether a file can be saved at that name; on S3
    # a "directory" is a key prefix and a file can be saved at the same name.
    private, _public = s3_mounts
    private.save("folder/inside.txt", ContentFile(b"x"))
    assert not private.exists("folder")
    assert private.save("folder", ContentFile(b"a file")) == "folder"


def test_a_listed_directory_exists(s3_mounts: tuple[MountStorage, MountStorage]) -> None:
    # What collectstatic --clear relies on: listdir(), then exists() on each directory.
    private, _public = s3_mounts
    private.save("tree/sub/leaf.txt", ContentFile(b"x"))
    assert not private.exists("tree/sub")
    assert private.listdir("tree") == (["sub"], [])
    assert private.exists("tree/sub")
