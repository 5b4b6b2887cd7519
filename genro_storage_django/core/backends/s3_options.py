"""The S3 keys django-storages users know, and the signing they need.

* Client keys: ``region_name`` (another name of ``region``), ``signature_version``
  (``s3v4``, the default, or the legacy ``s3``), ``addressing_style`` (``auto``,
  ``path``, ``virtual``), ``use_ssl`` and ``verify`` (false, or a CA bundle path).
* ``cloudfront_key_id`` with ``cloudfront_key`` (a PEM private key): ``custom_domain``
  URLs are signed as CloudFront expects (a canned policy).
* :func:`presigned_post`: the form of a direct browser upload, whose policy holds the
  size limit, the content type and the object parameters.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..config import invalid

__all__ = [
    "ACLS",
    "OBJECT_PARAMETERS",
    "S3_KEYS",
    "check_s3_options",
    "client_options",
    "cloudfront_url",
    "presigned_post",
]

S3_KEYS = frozenset(
    {
        "region",
        "region_name",
        "anon",
        "key",
        "secret",
        "endpoint_url",
        "signature_version",
        "addressing_style",
        "use_ssl",
        "verify",
        "cloudfront_key",
        "cloudfront_key_id",
    }
)
ACLS = frozenset(
    {
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
    }
)
#: ``object_parameters`` names (PutObject's) and their field in a presigned POST form.
_POST_FIELDS = {
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ContentEncoding": "Content-Encoding",
    "ContentLanguage": "Content-Language",
    "ContentType": "Content-Type",
    "Expires": "Expires",
    "StorageClass": "x-amz-storage-class",
    "ServerSideEncryption": "x-amz-server-side-encryption",
    "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id",
}
OBJECT_PARAMETERS = frozenset({*_POST_FIELDS, "Metadata"})
_SIGNATURE_VERSIONS = ("s3v4", "s3")
_ADDRESSING_STYLES = ("auto", "path", "virtual")


def check_s3_options(options: Mapping[str, Any]) -> None:
    name = options["name"]
    region, region_name = options.get("region"), options.get("region_name")
    if region is not None and region_name is not None and region != region_name:
        raise invalid(name, "region_name", "region_name is another name of region: give one")
    if options.get("signature_version", "s3v4") not in _SIGNATURE_VERSIONS:
        raise invalid(name, "signature_version", "signature_version must be 's3v4' or 's3'")
    if options.get("addressing_style", "auto") not in _ADDRESSING_STYLES:
        raise invalid(
            name, "addressing_style", "addressing_style must be 'auto', 'path' or 'virtual'"
        )
    if not isinstance(options.get("use_ssl", True), bool):
        raise invalid(name, "use_ssl", "use_ssl must be true or false")
    if not isinstance(options.get("verify", True), (bool, str)):
        raise invalid(name, "verify", "verify must be true, false or a CA bundle path")
    if bool(options.get("cloudfront_key")) != bool(options.get("cloudfront_key_id")):
        missing = "cloudfront_key_id" if options.get("cloudfront_key") else "cloudfront_key"
        raise invalid(name, missing, "cloudfront_key and cloudfront_key_id go together")
    for key in ("cloudfront_key", "cloudfront_key_id"):
        if options.get(key) is not None and not isinstance(options[key], str):
            raise invalid(name, key, f"{key} must be a string")


def client_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The botocore client arguments and ``Config`` arguments of a mount."""
    client: dict[str, Any] = {}
    if options.get("endpoint_url"):
        client["endpoint_url"] = options["endpoint_url"]
    region = options.get("region") or options.get("region_name")
    if region:
        client["region_name"] = region
    for key in ("use_ssl", "verify"):
        if key in options:
            client[key] = options[key]
    # SigV4 unless asked: botocore may otherwise presign with SigV2, which AWS refuses
    # in every region opened since 2014 and for every bucket made since mid-2020.
    config: dict[str, Any] = {"signature_version": options.get("signature_version") or "s3v4"}
    if options.get("addressing_style"):
        config["s3"] = {"addressing_style": options["addressing_style"]}
    return client, config


def presigned_post(
    client: Any,
    bucket: str,
    key: str,
    *,
    seconds: int,
    max_size: int | None,
    content_type: str | None,
    parameters: Mapping[str, Any],
    acl: str | None,
) -> tuple[str, dict[str, str]]:
    """The URL and the fields of a presigned POST form for ``key``."""
    fields: dict[str, str] = {}
    for parameter, value in parameters.items():
        if parameter == "Metadata":
            fields.update({f"x-amz-meta-{name}": str(item) for name, item in value.items()})
        else:
            fields[_POST_FIELDS[parameter]] = str(value)
    if content_type:
        fields["Content-Type"] = content_type
    if acl:
        fields["acl"] = acl
    conditions: list[Any] = [{name: value} for name, value in fields.items()]
    if max_size is not None:
        conditions.append(["content-length-range", 0, max_size])
    post = client.generate_presigned_post(
        bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=seconds
    )
    return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}


def cloudfront_url(url: str, key_id: str, private_key: str, seconds: int) -> str:
    """``url`` signed with a CloudFront key pair, valid ``seconds`` from now."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_private_key(private_key.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("cloudfront_key must be an RSA private key")

    def sign(message: bytes) -> bytes:
        # CloudFront verifies canned policies with RSA-SHA1, PKCS #1 v1.5.
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    signer = importlib.import_module("botocore.signers").CloudFrontSigner(key_id, sign)
    expires = datetime.fromtimestamp(int(time.time()) + seconds, tz=timezone.utc)
    return str(signer.generate_presigned_url(url, date_less_than=expires))
