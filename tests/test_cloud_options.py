"""The django-storages keys of cloud mounts, on the emulators: what each one changes in the
stored object or in the URL, and the configuration errors of their bad values."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from genro_storage_django.core import StorageConfigError, StorageManager
from tests.support.cloud import bare_fs, cloud_config, server_of
from tests.support.signatures import gcs_signature_valid, s3_signature_valid
from tests.support.upload_signatures import (
    cloudfront_signature_valid,
    rsa_key_pem,
    service_account_file,
)

pytestmark = pytest.mark.cloud

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> bytes:
    with _OPENER.open(url, timeout=10) as response:
        return bytes(response.read())


def _head(request: pytest.FixtureRequest, config: dict[str, Any], path: str) -> Any:
    import boto3

    server = server_of("s3", request)
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.key,
        aws_secret_access_key=server.secret,
        region_name="us-east-1",
    )
    key = f"{config['prefix']}/{path}"
    return client, client.head_object(Bucket=config["bucket"], Key=key), key


# -- object_parameters and default_acl ------------------------------------------------


@pytest.mark.parametrize("size", [10, 6 * 2**20], ids=["one-put", "multipart"])
def test_s3_object_parameters_and_acl_reach_the_object(
    request: pytest.FixtureRequest, size: int
) -> None:
    config = cloud_config(
        "s3",
        request,
        object_parameters={
            "CacheControl": "max-age=86400",
            "ContentDisposition": "attachment",
            "Metadata": {"origin": "tests"},
        },
        default_acl="public-read",
    )
    node = StorageManager({"m": config}).node("m:report.pdf")
    with node.open("wb") as stream:
        stream.write(b"x" * size)
    client, head, key = _head(request, config, "report.pdf")
    assert head["CacheControl"] == "max-age=86400"
    assert head["ContentDisposition"] == "attachment"
    assert head["Metadata"] == {"origin": "tests"}
    assert head["ContentType"] == "application/pdf"
    grants = client.get_object_acl(Bucket=config["bucket"], Key=key)["Grants"]
    assert any(
        grant["Grantee"].get("URI", "").endswith("/global/AllUsers")
        and grant["Permission"] == "READ"
        for grant in grants
    )


def test_s3_object_parameters_on_write_bytes(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, object_parameters={"ContentType": "text/csv"})
    StorageManager({"m": config}).node("m:data.txt").write_bytes(b"a,b")
    _client, head, _key = _head(request, config, "data.txt")
    assert head["ContentType"] == "text/csv"  # the parameter wins over the guess


def test_gcs_object_parameters_and_acl(request: pytest.FixtureRequest) -> None:
    config = cloud_config(
        "gcs",
        request,
        object_parameters={
            "cache_control": "no-cache",
            "content_disposition": "inline",
            "metadata": {"origin": "tests"},
        },
        default_acl="publicRead",
    )
    node = StorageManager({"m": config}).node("m:page.html")
    node.write_bytes(b"<p>hi</p>")
    info = bare_fs("gcs", request).info(f"{config['bucket']}/{config['prefix']}/page.html")
    assert info["cacheControl"] == "no-cache"
    assert info["contentDisposition"] == "inline"
    assert info["metadata"] == {"origin": "tests"}
    assert info["contentType"] == "text/html"
    # gcsfs uploads without an ACL: the object is patched with it right after.
    patches = [
        r
        for r in server_of("gcs", request).requests()
        if r.method == "PATCH" and "page.html" in r.path
    ]
    assert patches
    assert "predefinedAcl=publicRead" in patches[-1].path


def test_azure_object_parameters(request: pytest.FixtureRequest) -> None:
    config = cloud_config(
        "azure",
        request,
        object_parameters={"cache_control": "max-age=60", "metadata": {"origin": "tests"}},
    )
    manager = StorageManager({"m": config})
    manager.node("m:small.txt").write_bytes(b"small")
    with manager.node("m:streamed.txt").open("wb") as stream:
        stream.write(b"streamed")
    fs = bare_fs("azure", request)
    for name in ("small.txt", "streamed.txt"):
        info = fs.info(f"{config['container']}/{config['prefix']}/{name}")
        assert info["content_settings"]["cache_control"] == "max-age=60"
        assert info["content_settings"]["content_type"] == "text/plain"
        assert info["metadata"]["origin"] == "tests"
    assert manager.node("m:").children()  # still listed as files


# -- URLs ------------------------------------------------------------------------------------


def test_s3_querystring_auth_off_gives_the_plain_url(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, querystring_auth=False)
    private = StorageManager({"m": config}).node("m:private.txt")
    private.write_bytes(b"private")
    with pytest.raises(urllib.error.HTTPError, match="403"):
        fetch(str(private.url()))
    public = StorageManager({"m": {**config, "default_acl": "public-read"}}).node("m:a b.txt")
    public.write_bytes(b"plain")
    url = public.url()
    assert url == f"{config['endpoint_url']}/{config['bucket']}/{config['prefix']}/a%20b.txt"
    assert fetch(url) == b"plain"


def test_querystring_expire_is_the_default_lifetime(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, querystring_expire=120)
    node = StorageManager({"m": config}).node("m:f.txt")
    url = node.url()
    assert url is not None
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["120"]
    other = node.url(expires_in=60)
    assert other is not None
    assert parse_qs(urlsplit(other).query)["X-Amz-Expires"] == ["60"]


def test_s3_custom_domain_unsigned_and_cloudfront_signed(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, location="media", custom_domain="cdn.example.com")
    del config["prefix"]
    manager = StorageManager({"m": config})
    assert manager.node("m:a b.jpg").url() == "https://cdn.example.com/media/a%20b.jpg"
    pem, public_key = rsa_key_pem()
    signed = StorageManager(
        {"m": {**config, "cloudfront_key": pem, "cloudfront_key_id": "K2JCJMDEHXQW5F"}}
    )
    url = signed.node("m:a b.jpg").url(expires_in=300)
    assert url is not None
    assert url.startswith("https://cdn.example.com/media/a%20b.jpg?Expires=")
    assert "Key-Pair-Id=K2JCJMDEHXQW5F" in url
    assert cloudfront_signature_valid(url, public_key)
    assert not cloudfront_signature_valid(url.replace("a%20b", "c%20d"), public_key)


def test_azure_custom_domain_keeps_its_sas(request: pytest.FixtureRequest) -> None:
    server = server_of("azure", request)
    # The emulator's own address stands in for a CDN: the SAS names no host.
    domain = urlsplit(server.endpoint_url)._replace(path="/devstoreaccount1").geturl()
    config = cloud_config("azure", request, custom_domain=domain)
    node = StorageManager({"m": config}).node("m:cdn.txt")
    node.write_bytes(b"through the domain")
    url = node.url()
    assert url is not None
    assert url.startswith(f"{domain}/{config['container']}/{config['prefix']}/cdn.txt?")
    assert "sig=" in url
    assert fetch(url) == b"through the domain"
    unsigned = StorageManager({"m": {**config, "querystring_auth": False}}).node("m:cdn.txt")
    assert unsigned.url() == f"{domain}/{config['container']}/{config['prefix']}/cdn.txt"
    with pytest.raises(urllib.error.HTTPError):
        fetch(str(unsigned.url()))  # the container is private


def test_azure_custom_domain_with_a_sas_token_only(request: pytest.FixtureRequest) -> None:
    server = server_of("azure", request)
    token = "sv=2021-08-06&ss=b&srt=co&sp=r&se=2099-01-01T00%3A00%3A00Z&sig=abc"
    config = {
        "type": "azure",
        "container": "files",
        "connection_string": f"BlobEndpoint={server.endpoint_url}/devstoreaccount1;"
        f"SharedAccessSignature={token}",
        "custom_domain": "cdn.example.com",
    }
    url = StorageManager({"m": config}).node("m:a.txt").url()
    assert url == f"https://cdn.example.com/files/a.txt?{token}"


def test_cloudfront_needs_an_rsa_key(request: pytest.FixtureRequest) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    config = cloud_config(
        "s3", request, custom_domain="cdn.example.com", cloudfront_key=pem, cloudfront_key_id="K"
    )
    with pytest.raises(ValueError, match="RSA private key"):
        StorageManager({"m": config}).node("m:a.txt").url()


def test_gcs_custom_domain(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    config = cloud_config("gcs", request, custom_domain="http://files.example.com")
    url = StorageManager({"m": config}).node("m:x.txt").url()
    assert url == f"http://files.example.com/{config['prefix']}/x.txt"  # anon: no signature
    key_file, public_key = service_account_file(tmp_path)
    signer = StorageManager({"m": {**config, "token": str(key_file)}})
    signed = signer.node("m:x.txt").url(expires_in=60)
    assert signed is not None
    assert signed.startswith(f"http://files.example.com/{config['prefix']}/x.txt?")
    assert gcs_signature_valid(signed, public_key)


def test_s3_client_keys(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request)
    del config["endpoint_url"]
    sigv2 = StorageManager({"m": {**config, "signature_version": "s3"}}).node("m:k.txt").url()
    assert sigv2 is not None
    assert "Signature=" in sigv2 and "AWSAccessKeyId=" in sigv2
    virtual = StorageManager(
        {"m": {**config, "addressing_style": "virtual", "region_name": "eu-west-1"}}
    ).node("m:k.txt")
    url = virtual.url()
    assert url is not None
    assert url.startswith(f"https://{config['bucket']}.s3.eu-west-1.amazonaws.com/")
    assert "/eu-west-1/s3/aws4_request" in parse_qs(urlsplit(url).query)["X-Amz-Credential"][0]
    assert s3_signature_valid(url, config["secret"])
    path_style = StorageManager(
        {"m": {**config, "addressing_style": "path", "use_ssl": False, "region": "eu-west-1"}}
    ).node("m:k.txt")
    assert str(path_style.url()).startswith(
        f"http://s3.eu-west-1.amazonaws.com/{config['bucket']}/"
    )
    unverified = StorageManager({"m": {**config, "verify": False}}).get_backend("m")
    assert unverified.base_fs.client_kwargs["verify"] is False


def test_location_is_the_prefix(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request)
    config["location"] = config.pop("prefix")
    node = StorageManager({"m": config}).node("m:in-location.txt")
    node.write_bytes(b"here")
    key = f"{config['bucket']}/{config['location']}/in-location.txt"
    assert bare_fs("s3", request).cat_file(key) == b"here"


# -- bad values -----------------------------------------------------------------------------


def _base(kind: str) -> dict[str, Any]:
    if kind == "azure":
        return {"type": "azure", "container": "box"}
    return {"type": kind, "bucket": "b"}


@pytest.mark.parametrize(
    ("kind", "key", "value", "words"),
    [
        ("s3", "custom_domain", "cdn.example.com/x?y=1", "custom_domain"),
        ("s3", "querystring_auth", "yes", "true or false"),
        ("gcs", "querystring_expire", 8 * 24 * 3600, "1 to 604800"),
        ("s3", "querystring_expire", True, "number of seconds"),
        ("s3", "object_parameters", {"CacheControl": 1}, "must be a str"),
        ("s3", "object_parameters", {"Cachecontrol": "x"}, "unknown name(s) Cachecontrol"),
        ("gcs", "object_parameters", {"metadata": {"a": 1}}, "map str to str"),
        ("azure", "object_parameters", ["cache_control"], "must be a dict"),
        ("s3", "default_acl", "publicRead", "one of"),
        ("gcs", "default_acl", "public-read", "one of"),
        ("azure", "default_acl", "private", "no per-object ACL"),
        ("s3", "location", 3, "must be a string"),
        ("gcs", "location", "../up", "location must be a relative path"),
        ("gcs", "prefix", "../up", "prefix must be a relative path"),
        ("s3", "signature_version", "v2", "'s3v4' or 's3'"),
        ("s3", "addressing_style", "host", "'auto', 'path' or 'virtual'"),
        ("s3", "use_ssl", "no", "true or false"),
        ("s3", "verify", 0, "CA bundle"),
        ("s3", "cloudfront_key_id", "K1", "go together"),
        ("s3", "cloudfront_key", "PEM", "go together"),
    ],
)
def test_bad_values_are_configuration_errors(
    kind: str, key: str, value: object, words: str
) -> None:
    problems = StorageManager().check({"m": {**_base(kind), key: value}})
    missing = {"cloudfront_key_id": "cloudfront_key", "cloudfront_key": "cloudfront_key_id"}
    assert [(p.code, p.key) for p in problems] == [("invalid_value", missing.get(key, key))]
    assert words in problems[0].message


def test_conflicting_alias_values() -> None:
    problems = StorageManager().check(
        {"m": {**_base("s3"), "prefix": "a", "location": "b", "region": "x", "region_name": "y"}}
    )
    assert [p.key for p in problems] == ["location"]
    problems = StorageManager().check({"m": {**_base("s3"), "region": "x", "region_name": "y"}})
    assert [p.key for p in problems] == ["region_name"]
    with pytest.raises(StorageConfigError, match="cloudfront_key"):
        StorageManager({"m": {**_base("s3"), "cloudfront_key": 5, "cloudfront_key_id": "K"}})
