"""DirectUploadView and {% storage_upload_form %}: sign, send to the emulator, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings

from genro_storage_django.conf import get_manager
from genro_storage_django.core import PresignedUpload, StorageManager
from genro_storage_django.serving.direct_upload import DirectUploadView
from tests.support.cloud import cloud_config
from tests.support.upload_signatures import s3_post_allows
from tests.test_cloud_direct_uploads import send
from tests.testapp.views import DirectUpload

pytestmark = [pytest.mark.cloud, pytest.mark.django_db]


@pytest.fixture
def client() -> Client:
    user = User.objects.create_user("uploader", password="x")
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def ask(client: Client, body: Any) -> Any:
    return client.post("/direct/", json.dumps(body), content_type="application/json")


def _upload(answer: dict[str, Any]) -> PresignedUpload:
    return PresignedUpload(
        url=answer["url"],
        method=answer["method"],
        fields=answer["fields"],
        headers=answer["headers"],
    )


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_an_upload_end_to_end(request: pytest.FixtureRequest, client: Client, kind: str) -> None:
    with override_settings(STORAGE_MOUNTS={"direct": cloud_config(kind, request)}):
        response = ask(
            client, {"filename": "../My Notes.txt", "size": 5, "content_type": "text/plain"}
        )
        assert response.status_code == 200
        answer = response.json()
        assert answer["name"].startswith("incoming/")
        assert answer["name"].endswith("/My_Notes.txt")  # a name of its own, made valid
        assert send(_upload(answer), b"notes").status_code in (201, 204)
        verified = ask(client, {"token": answer["token"]})
        assert verified.status_code == 200
        assert verified.json() == {"name": answer["name"], "size": 5, "user": "uploader"}
        assert DirectUpload.received[-1] == answer["name"]
        assert get_manager().node(f"direct:{answer['name']}").read_bytes() == b"notes"


def test_a_file_other_than_announced_is_deleted(
    request: pytest.FixtureRequest, client: Client
) -> None:
    with override_settings(STORAGE_MOUNTS={"direct": cloud_config("azure", request)}):
        answer = ask(client, {"filename": "a.txt", "size": 5, "content_type": "text/plain"}).json()
        assert send(_upload(answer), b"far more than five bytes").status_code == 201
        refused = ask(client, {"token": answer["token"]})
        assert refused.status_code == 400
        assert "24 bytes arrived, 5 were announced" in refused.json()["error"]
        assert not get_manager().node(f"direct:{answer['name']}").exists()
        nothing = ask(client, {"filename": "b.txt", "size": 1, "content_type": "text/plain"})
        assert ask(client, {"token": nothing.json()["token"]}).json() == {
            "error": "nothing arrived"
        }


def test_the_store_refuses_more_than_was_announced(
    request: pytest.FixtureRequest, client: Client
) -> None:
    # A client that never asks for the check keeps what it sent: the signature itself
    # must hold it to the size it announced, not only to the view's max_size.
    config = cloud_config("s3", request)
    with override_settings(STORAGE_MOUNTS={"direct": config}):
        answer = ask(client, {"filename": "a.txt", "size": 5, "content_type": "text/plain"}).json()
    # moto stores whatever is posted: the signed policy says what S3 would store.
    fields, secret, bucket = answer["fields"], config["secret"], config["bucket"]
    assert s3_post_allows(fields, secret, bucket=bucket, size=5, content_type="text/plain")
    assert not s3_post_allows(fields, secret, bucket=bucket, size=6, content_type="text/plain")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"filename": "a.txt", "size": 1001, "content_type": "text/plain"}, "larger than 1000"),
        ({"filename": "a.html", "size": 1, "content_type": "text/html"}, "'text/html' are not"),
        ({"filename": "", "size": 1}, "filename must be"),
        ({"filename": "a.txt", "size": -1}, "size must be"),
        ({"filename": "a.txt", "size": True}, "size must be"),
        ({"token": "forged"}, "invalid or expired token"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_refused_requests(client: Client, body: Any, error: str) -> None:
    with override_settings(STORAGE_MOUNTS={"direct": {"type": "memory"}}):
        response = ask(client, body)
    assert response.status_code == 400
    assert error in response.json()["error"]


def test_a_refused_file_the_mount_may_not_delete(
    request: pytest.FixtureRequest, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    config = {**cloud_config("azure", request), "permissions": "readwrite"}
    with override_settings(STORAGE_MOUNTS={"direct": config}):
        answer = ask(client, {"filename": "a.txt", "size": 1, "content_type": "text/plain"}).json()
        assert send(_upload(answer), b"two").status_code == 201
        refused = ask(client, {"token": answer["token"]})
        assert refused.status_code == 400  # refused all the same,
        assert get_manager().node(f"direct:{answer['name']}").exists()  # though kept
    assert "could not delete the refused upload" in caplog.text


def test_the_default_hook_adds_nothing() -> None:
    node = StorageManager({"m": {"type": "memory"}}).node("m:x")
    assert DirectUploadView().uploaded(RequestFactory().post("/"), node) == {}


def test_refusals_before_anything_is_signed(client: Client) -> None:
    assert Client().post("/direct/", "{}", content_type="application/json").status_code == 403
    assert client.post("/direct/", "{", content_type="application/json").json() == {
        "error": "the body must be JSON"
    }
    assert client.get("/direct/").status_code == 405
    with override_settings(STORAGE_MOUNTS={"direct": {"type": "memory"}}):
        response = ask(client, {"filename": "a.txt", "size": 1, "content_type": "text/plain"})
    assert response.status_code == 503  # memory mounts take no direct uploads
    assert "through the server only" in response.json()["error"]


def test_a_token_of_another_mount_is_refused(client: Client) -> None:
    from django.core import signing

    token = signing.dumps(
        {"mount": "other", "path": "x", "size": 1, "type": "text/plain"},
        salt="genro_storage_django.serving.direct_upload",
    )
    assert ask(client, {"token": token}).json() == {"error": "invalid or expired token"}


def test_the_form_tag() -> None:
    request = RequestFactory().get("/")
    html = Template(
        '{% load genro_storage %}{% storage_upload_form "direct-upload" accept="image/*" %}'
    ).render(Context({"request": request}))
    assert 'data-endpoint="/direct/"' in html
    assert 'accept="image/*"' in html
    assert 'data-csrf=""' not in html
    assert "genro_storage_django/direct_upload.js" in html
    by_path = Template('{% load genro_storage %}{% storage_upload_form "/up/" %}').render(
        Context({})
    )
    assert 'data-endpoint="/up/"' in by_path
    assert 'data-csrf=""' in by_path
    from_processor = Template('{% load genro_storage %}{% storage_upload_form "/up/" %}').render(
        Context({"csrf_token": "t0ken"})
    )
    assert 'data-csrf="t0ken"' in from_processor
    assert "accept=" not in by_path
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        Template('{% load genro_storage %}{% storage_upload_form "nowhere" %}').render(Context())
    script = Path(__file__).parent.parent / "genro_storage_django/static/genro_storage_django"
    assert (script / "direct_upload.js").is_file()
