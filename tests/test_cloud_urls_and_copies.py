"""Presigned URLs, server-side copies and credentials from the environment, on the emulators.

Which requests a copy made is read from each server's own request log
(``server.requests()``): a same-store copy must not download the source object.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from genro_storage_django.core import OverlappingPathsError, StorageManager, sync
from tests.support.cloud import bare_fs, bucket_of, cloud_config, cloud_params, server_of
from tests.support.servers import Request
from tests.support.signatures import gcs_signature_valid, s3_signature_valid
from tests.support.upload_signatures import service_account_file

pytestmark = pytest.mark.cloud

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> bytes:
    with _OPENER.open(url, timeout=10) as response:
        return bytes(response.read())


def status_of(url: str) -> int:
    try:
        with _OPENER.open(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


@pytest.fixture(params=cloud_params())
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- URLs ----------------------------------------------------------------------------------


def test_s3_presigned_url(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request)
    node = StorageManager({"m": config}).node("m:dir/a file.txt")
    node.write_bytes(b"presigned bytes")
    url = node.url(expires_in=120)
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Credential"][0].startswith(f"{config['key']}/")
    assert fetch(url) == b"presigned bytes"
    # moto serves presigned URLs without checking signatures: check it as S3 would.
    assert s3_signature_valid(url, config["secret"])
    assert not s3_signature_valid(url.replace("a%20file", "b%20file"), config["secret"])
    with pytest.raises(ValueError, match="expires_in"):
        node.url(expires_in=8 * 24 * 3600)  # SigV4 caps presigned URLs at 7 days


def test_anonymous_mounts_give_the_plain_object_url(
    kind: str, request: pytest.FixtureRequest
) -> None:
    config = cloud_config(kind, request)
    manager = StorageManager({"m": config})
    manager.node("m:pub/x y.txt").write_bytes(b"public")
    if kind == "gcs":  # the emulator's mounts are anonymous (token "anon")
        url = manager.node("m:pub/x y.txt").url(expires_in=60)
        server = server_of(kind, request)
        key = f"{config['prefix']}/pub/x y.txt"
        assert url == f"{server.endpoint_url}/{config['bucket']}/{quote(key)}"
        assert fetch(url) == b"public"  # the emulator has no access control
        return
    if kind == "s3":
        anonymous = {**config, "anon": True}
        del anonymous["key"], anonymous["secret"]
        url = StorageManager({"a": anonymous}).node("a:pub/x y.txt").url()
        key = f"{config['prefix']}/pub/x%20y.txt"
        assert url == f"{config['endpoint_url']}/{config['bucket']}/{key}"
        assert status_of(url) == 403  # moto checks ACLs: a private object stays private
        bare_fs(kind, request).call_s3(
            "put_object_acl",
            Bucket=config["bucket"],
            Key=f"{config['prefix']}/pub/x y.txt",
            ACL="public-read",
        )
        assert fetch(url) == b"public"
        return
    # Azure without the account key: a plain blob URL, which a private container refuses.
    server = server_of(kind, request)
    keyless = {
        "type": "azure",
        "container": config["container"],
        "prefix": config["prefix"],
        "connection_string": f"BlobEndpoint={server.endpoint_url};",
        "options": {"anon": True},
    }
    url = StorageManager({"a": keyless}).node("a:pub/x y.txt").url()
    assert url == f"{server.endpoint_url}/{config['container']}/{config['prefix']}/pub/x%20y.txt"
    assert status_of(url) in (403, 404)


def test_azure_sas_url_is_checked_by_azurite(request: pytest.FixtureRequest) -> None:
    node = StorageManager({"m": cloud_config("azure", request)}).node("m:dir/a file.txt")
    node.write_bytes(b"sas bytes")
    url = node.url(expires_in=120)
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query["sp"] == ["r"]  # read-only
    assert "sig" in query
    assert fetch(url) == b"sas bytes"
    tampered = url.replace("sp=r", "sp=rw")
    assert status_of(tampered) == 403  # Azurite verifies SAS signatures


def test_azure_sas_token_mount_hands_out_its_token(request: pytest.FixtureRequest) -> None:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    server = server_of("azure", request)
    config = cloud_config("azure", request)
    StorageManager({"m": config}).node("m:t.txt").write_bytes(b"token bytes")
    token = generate_container_sas(
        server.account_name,
        config["container"],
        account_key=server.account_key,
        permission=ContainerSasPermissions(read=True, write=True, list=True),
        expiry=_in(3600),
    )
    sas_mount = {
        "type": "azure",
        "container": config["container"],
        "prefix": config["prefix"],
        "connection_string": f"BlobEndpoint={server.endpoint_url};SharedAccessSignature={token}",
    }
    node = StorageManager({"s": sas_mount}).node("s:t.txt")
    assert node.read_bytes() == b"token bytes"  # the SAS works for the mount itself
    url = node.url()
    assert url is not None
    assert url.endswith(token)
    assert fetch(url) == b"token bytes"


def test_gcs_v4_signed_url_with_service_account(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    key_file, public_key = service_account_file(tmp_path)
    config = cloud_config("gcs", request)
    manager = StorageManager({"m": config, "sa": {**config, "token": str(key_file)}})
    manager.node("m:dir/a file.txt").write_bytes(b"signed bytes")
    url = manager.node("sa:dir/a file.txt").url(expires_in=120)
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["120"]
    assert url.startswith(server_of("gcs", request).endpoint_url)
    assert fetch(url) == b"signed bytes"
    # The emulator does not check signatures: check it with the account's public key.
    assert gcs_signature_valid(url, public_key)
    assert not gcs_signature_valid(url.replace("a%20file", "b%20file"), public_key)


# -- credentials from the environment -------------------------------------------------


def test_s3_keys_from_the_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    from genro_storage_django.core.backends import s3 as s3_module

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    # Clients made earlier in the session hold the keys they found then.
    s3fs.S3FileSystem.clear_instance_cache()
    if hasattr(s3_module, "_botocore_session"):
        s3_module._botocore_session.cache_clear()
    config = cloud_config("s3", request)
    del config["key"], config["secret"]
    node = StorageManager({"m": config}).node("m:env.txt")
    node.write_bytes(b"via env keys")
    assert node.read_bytes() == b"via env keys"
    url = node.url()
    assert url is not None
    assert parse_qs(urlsplit(url).query)["X-Amz-Credential"][0].startswith("from-the-env/")
    assert s3_signature_valid(url, "env-secret")
    s3fs.S3FileSystem.clear_instance_cache()
    if hasattr(s3_module, "_botocore_session"):
        s3_module._botocore_session.cache_clear()


def test_azure_connection_string_from_the_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import adlfs

    server = server_of("azure", request)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", server.connection_string)
    adlfs.AzureBlobFileSystem.clear_instance_cache()
    config = {"type": "azure", "container": bucket_of("azure", request), "prefix": "env-run"}
    node = StorageManager({"m": config}).node("m:env.txt")
    node.write_bytes(b"via env")
    assert node.read_bytes() == b"via env"
    url = node.url()
    assert url is not None
    assert fetch(url) == b"via env"  # a SAS signed with the key from the variable
    node.delete()
    adlfs.AzureBlobFileSystem.clear_instance_cache()


def test_gcs_service_account_from_the_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """gcsfs's default chain reads GOOGLE_APPLICATION_CREDENTIALS. The emulator cannot use
    a real token, so this checks the signature of a URL, made offline, instead of a read."""
    key_file, public_key = service_account_file(tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    config = cloud_config("gcs", request)
    del config["token"]
    url = StorageManager({"m": config}).node("m:x.txt").url()
    assert url is not None
    assert "signer%40test.iam.gserviceaccount.com" in url
    assert gcs_signature_valid(url, public_key)


# -- server-side copies -------------------------------------------------------------------


def _downloads(kind: str, requests: list[Request], key: str) -> list[Request]:
    """The requests that fetched the content of ``key`` (not its metadata)."""
    if kind == "gcs":
        return [r for r in requests if "alt=media" in r.path and quote(key, safe="") in r.path]
    return [r for r in requests if r.method == "GET" and r.path.split("?")[0].endswith(key)]


def test_same_store_copies_and_moves_stay_server_side(
    kind: str, request: pytest.FixtureRequest
) -> None:
    source, target = cloud_config(kind, request), cloud_config(kind, request)
    manager = StorageManager({"a": source, "b": target, "mem": {"type": "memory"}})
    # fsspec gives both mounts one client: same endpoint, same credentials.
    assert manager.get_backend("a").base_fs is manager.get_backend("b").base_fs  # type: ignore[attr-defined]
    data = os.urandom(6 * 2**20)
    manager.node("a:src.bin").write_bytes(data)
    server = server_of(kind, request)
    source_key = f"{source['prefix']}/src.bin"

    before = len(server.requests())
    manager.node("a:src.bin").copy_to("b:copy.bin")
    manager.node("a:src.bin").copy_to("a:again.bin")
    manager.node("a:again.bin").move_to("b:moved.bin")
    assert _downloads(kind, server.requests()[before:], source_key) == []
    assert _downloads(kind, server.requests()[before:], f"{source['prefix']}/again.bin") == []
    assert manager.node("b:copy.bin").read_bytes() == data
    assert manager.node("b:moved.bin").read_bytes() == data
    assert not manager.node("a:again.bin").exists()

    # The same signal sees a streamed copy: to another store, the bytes come down.
    before = len(server.requests())
    manager.node("a:src.bin").copy_to("mem:src.bin")
    assert _downloads(kind, server.requests()[before:], source_key) != []


def test_different_credentials_never_copy_server_side(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request)
    other = {**config, "options": {"config_kwargs": {"retries": {"max_attempts": 2}}}}
    manager = StorageManager({"a": config, "b": other})
    assert not manager.get_backend("a").can_copy_within(manager.get_backend("b"))
    manager.node("a:x.bin").write_bytes(b"streamed")
    manager.node("a:x.bin").copy_to("b:y.bin")
    assert manager.node("b:y.bin").read_bytes() == b"streamed"


def test_nested_prefixes_of_one_bucket_overlap_whatever_the_options(
    kind: str, request: pytest.FixtureRequest
) -> None:
    outer = cloud_config(kind, request)
    prefix = outer["prefix"]
    # Other client options, same endpoint: still the same bucket.
    tuned = {"s3": {"config_kwargs": {"retries": {"max_attempts": 2}}}}.get(kind, {})
    manager = StorageManager(
        {
            "outer": outer,
            "inner": cloud_config(kind, request, prefix=f"{prefix}/inner", options=tuned),
            "sibling": cloud_config(kind, request, prefix=f"{prefix}-old"),
        }
    )
    manager.node("outer:keep.txt").write_bytes(b"kept")
    manager.node("outer:inner/x.txt").write_bytes(b"x")
    with pytest.raises(OverlappingPathsError, match="overlap"):
        sync(manager.node("inner:"), manager.node("outer:"), delete=True)
    with pytest.raises(OverlappingPathsError, match="overlap"):
        manager.node("outer:").move_to("inner:nested")
    with pytest.raises(OverlappingPathsError, match="same file"):
        manager.node("inner:x.txt").copy_to("outer:inner/x.txt")
    assert manager.node("outer:keep.txt").read_bytes() == b"kept"
    assert manager.node("inner:x.txt").read_bytes() == b"x"
    assert sync(manager.node("outer:"), manager.node("sibling:")).ok
    assert manager.node("sibling:inner/x.txt").read_bytes() == b"x"


def _in(seconds: int) -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def test_presigned_urls_are_reused_for_a_short_while(monkeypatch: pytest.MonkeyPatch) -> None:
    from genro_storage_django.core.backends import presigned

    clock = [1000.0]
    monkeypatch.setattr(presigned.time, "monotonic", lambda: clock[0])
    cache = presigned.PresignedCache()
    signed: list[int] = []

    def sign() -> str:
        signed.append(1)
        return f"url-{len(signed)}"

    assert cache.get("k", 3600, sign) == "url-1"
    clock[0] += 299
    assert cache.get("k", 3600, sign) == "url-1"  # still > 90% of its life ahead
    clock[0] += 2
    assert cache.get("k", 3600, sign) == "url-2"  # past the 5-minute reuse cap
    assert cache.get(("k", 60), 60, sign) == "url-3"  # the backend keys by lifetime too
    assert cache.get(("other",), 60, sign) == "url-4"
    clock[0] += 7
    assert cache.get(("other",), 60, sign) == "url-5"  # 10% of 60 s is 6 s
