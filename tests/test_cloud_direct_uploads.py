"""Direct browser uploads end to end: the presigned request sent by an HTTP client to each
emulator, then verify_upload(). Where an emulator checks less than the real service (moto
checks no POST policy, the GCS emulator no signature), tests/support/upload_signatures.py checks
what the service would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from genro_storage_django.core import (
    PresignedUpload,
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
    UploadVerificationError,
)
from tests.support.cloud import cloud_config, server_of
from tests.support.upload_signatures import (
    gcs_put_signature_valid,
    s3_post_allows,
    service_account_file,
)

pytestmark = pytest.mark.cloud

_SESSION = requests.Session()
_SESSION.trust_env = False  # no proxy between the tests and the emulators


def send(upload: PresignedUpload, body: bytes, filename: str = "f.bin") -> requests.Response:
    """What a browser does with the upload: the form with the file last, or the PUT."""
    if upload.method == "POST":
        return _SESSION.post(
            upload.url, data=upload.fields, files={"file": (filename, body)}, timeout=10
        )
    return _SESSION.put(upload.url, data=body, headers=upload.headers, timeout=10)


def test_s3_presigned_post(request: pytest.FixtureRequest) -> None:
    config = cloud_config(
        "s3",
        request,
        object_parameters={"CacheControl": "max-age=60", "Metadata": {"origin": "browser"}},
        default_acl="public-read",
    )
    node = StorageManager({"m": config}).node("m:incoming/photo.png")
    upload = node.presigned_upload(expires_in=300, max_size=1000, content_type="image/png")
    assert upload.method == "POST"
    assert upload.as_dict()["fields"]["key"] == f"{config['prefix']}/incoming/photo.png"
    body = b"\x89PNG" + b"x" * 96
    assert send(upload, body).status_code == 204
    found = node.verify_upload(expected_size=100, content_type="image/png", max_size=1000)
    assert found.size == 100
    assert found.extra["CacheControl"] == "max-age=60"
    assert found.extra["Metadata"] == {"origin": "browser"}
    # moto stores whatever is posted; S3 checks the signed policy: as S3 would,
    secret, bucket = config["secret"], config["bucket"]
    fields = upload.fields
    assert s3_post_allows(fields, secret, bucket=bucket, size=100, content_type="image/png")
    # a file over max_size is refused,
    assert not s3_post_allows(fields, secret, bucket=bucket, size=1001, content_type="image/png")
    # so is another type, or a form whose fields were changed after signing.
    assert not s3_post_allows(fields, secret, bucket=bucket, size=10, content_type="text/html")
    # A relative mount over the bucket signs for its own sub-tree.
    relative = StorageManager({"m": config, "r": {"type": "relative", "path": "m:sub"}})
    sub = relative.node("r:x.txt").presigned_upload(content_type="text/plain")
    assert sub.fields["key"] == f"{config['prefix']}/sub/x.txt"
    assert send(sub, b"sub").status_code == 204
    assert relative.node("m:sub/x.txt").read_bytes() == b"sub"
    tampered = {**fields, "key": f"{config['prefix']}/elsewhere.png"}
    assert not s3_post_allows(tampered, secret, bucket=bucket, size=10, content_type="image/png")
    assert not s3_post_allows(fields, "wrong", bucket=bucket, size=10, content_type="image/png")


def test_gcs_signed_put(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    key_file, public_key = service_account_file(tmp_path)
    config = cloud_config(
        "gcs", request, object_parameters={"cache_control": "no-store"}, default_acl="publicRead"
    )
    # The emulator cannot take the service account's token: it signs, "m" reads.
    manager = StorageManager({"m": config, "sa": {**config, "token": str(key_file)}})
    upload = manager.node("sa:in/doc.pdf").presigned_upload(
        max_size=500, content_type="application/pdf"
    )
    assert upload.method == "PUT"
    assert upload.headers == {
        "Cache-Control": "no-store",
        "x-goog-acl": "public-read",
        "x-goog-content-length-range": "0,500",
        "Content-Type": "application/pdf",
    }
    assert send(upload, b"%PDF-1.7 body").status_code == 200
    found = manager.node("m:in/doc.pdf").verify_upload(
        expected_size=13, content_type="application/pdf"
    )
    assert found.size == 13
    assert gcs_put_signature_valid(upload.url, upload.headers, public_key)
    # Every header is signed: one left out, or changed, fails the signature.
    fewer = {k: v for k, v in upload.headers.items() if k != "x-goog-content-length-range"}
    assert not gcs_put_signature_valid(upload.url, fewer, public_key)
    other = {**upload.headers, "Content-Type": "text/html"}
    assert not gcs_put_signature_valid(upload.url, other, public_key)


def test_gcs_without_signing_credentials(request: pytest.FixtureRequest) -> None:
    node = StorageManager({"m": cloud_config("gcs", request)}).node("m:x.bin")
    with pytest.raises(StorageError, match="gcs mounts take uploads through the server only"):
        node.presigned_upload()


def test_azure_sas_put(request: pytest.FixtureRequest) -> None:
    config = cloud_config(
        "azure",
        request,
        object_parameters={"content_disposition": "attachment", "metadata": {"origin": "web"}},
    )
    node = StorageManager({"m": config}).node("m:in/notes.txt")
    upload = node.presigned_upload(expires_in=120, max_size=100, content_type="text/plain")
    assert upload.method == "PUT"
    assert upload.headers["x-ms-blob-type"] == "BlockBlob"
    assert send(upload, b"hello azure").status_code == 201
    found = node.verify_upload(expected_size=11, content_type="text/plain", max_size=100)
    assert found.extra["content_settings"]["content_disposition"] == "attachment"
    assert found.extra["metadata"] == {"origin": "web"}
    # Azurite checks SAS signatures: a changed one, or a write to another blob, is refused.
    forged = PresignedUpload(
        url=upload.url.replace("sig=", "sig=A"), method="PUT", headers=upload.headers
    )
    assert send(forged, b"x").status_code == 403
    elsewhere = PresignedUpload(
        url=upload.url.replace("notes.txt", "other.txt"), method="PUT", headers=upload.headers
    )
    assert send(elsewhere, b"x").status_code == 403
    # Azure cannot refuse a larger file: verify_upload() does.
    assert send(upload, b"y" * 150).status_code == 201
    with pytest.raises(UploadVerificationError, match="150 bytes arrived, the limit is 100"):
        node.verify_upload(max_size=100)


def test_azure_needs_the_account_key(request: pytest.FixtureRequest) -> None:
    server = server_of("azure", request)
    config = cloud_config("azure", request)
    del config["connection_string"]
    config["connection_string"] = f"BlobEndpoint={server.endpoint_url}/devstoreaccount1"
    with pytest.raises(StorageError, match="through the server only"):
        StorageManager({"m": config}).node("m:x").presigned_upload()


@pytest.mark.parametrize(
    ("announced", "message"),
    [
        ({"expected_size": 4}, "5 bytes arrived, 4 were announced"),
        ({"content_type": "image/png"}, "stored as 'text/plain', not 'image/png'"),
    ],
)
def test_verify_upload_refuses_what_was_not_announced(
    request: pytest.FixtureRequest, announced: dict[str, Any], message: str
) -> None:
    node = StorageManager({"m": cloud_config("s3", request)}).node("m:a.txt")
    node.write_bytes(b"12345")
    with pytest.raises(UploadVerificationError, match=message):
        node.verify_upload(**announced)
    with pytest.raises(StorageNotFoundError):
        node.with_name("missing.txt").verify_upload()
    with pytest.raises(UploadVerificationError, match="not a file"):
        node.parent.verify_upload()


def test_mounts_that_cannot_take_direct_uploads(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "mem": {"type": "memory"},
            "ro": {"type": "local", "path": str(tmp_path), "permissions": "readonly"},
        }
    )
    with pytest.raises(StorageError, match="memory mounts take uploads through the server"):
        manager.node("mem:x").presigned_upload()
    with pytest.raises(StoragePermissionError):
        manager.node("ro:x").presigned_upload()
    with pytest.raises(ValueError, match="expires_in"):
        manager.node("mem:x").presigned_upload(expires_in=0)


def test_uploads_without_a_type_or_a_limit(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Nothing announced, nothing constrained: any type, any size."""
    key_file, _public_key = service_account_file(tmp_path)
    s3 = StorageManager({"m": cloud_config("s3", request)}).node("m:any")
    assert set(s3.presigned_upload().fields) >= {"key", "policy", "x-amz-signature"}
    assert "Content-Type" not in s3.presigned_upload().fields
    gcs = StorageManager({"m": {**cloud_config("gcs", request), "token": str(key_file)}})
    assert gcs.node("m:any").presigned_upload().headers == {}
    azure = StorageManager({"m": cloud_config("azure", request)}).node("m:any")
    upload = azure.presigned_upload()
    assert upload.headers == {"x-ms-blob-type": "BlockBlob"}
    assert send(upload, b"anything").status_code == 201
    assert azure.verify_upload().size == 8
