"""Amazon S3 (and S3-compatible) mounts through s3fs.

Credentials: ``key``/``secret`` in the mount, else botocore's usual chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, ``AWS_PROFILE``
and the shared files, then instance or container roles); ``anon: true`` for public
buckets.
"""

from __future__ import annotations

import errno
import functools
import importlib
import posixpath
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..config import invalid
from ..paths import is_temp_name
from ..uploads import PresignedUpload
from .base import Backend, StatResult, to_timestamp
from .object_store import OBJECT_STORE_KEYS, ObjectStoreBackend
from .presigned import PresignedCache
from .s3_options import (
    ACLS,
    OBJECT_PARAMETERS,
    S3_KEYS,
    check_s3_options,
    client_options,
    cloudfront_url,
    presigned_post,
)

__all__ = ["S3Backend"]

_HEX_MD5 = re.compile(r"^[0-9a-f]{32}$")
#: botocore's checksum settings: since boto3 1.36 it sends a CRC of every upload and
#: checks those it receives ("when_supported"), which some S3-compatible servers refuse;
#: "when_required" sends one only where the API requires it, as before.
CHECKSUM_KEYS = frozenset({"request_checksum_calculation", "response_checksum_validation"})
CHECKSUM_WHEN = ("when_supported", "when_required")
_SIGNER_LOCK = threading.Lock()


class S3Backend(ObjectStoreBackend):
    type_name = "s3"
    required_keys = frozenset({"bucket"})
    optional_keys = OBJECT_STORE_KEYS | S3_KEYS | CHECKSUM_KEYS
    string_keys = ("region", "region_name", "key", "secret", "endpoint_url")
    # botocore also takes an access point's ARN where a bucket name goes.
    bucket_pattern = re.compile(r"[A-Za-z0-9._-]+|arn:[A-Za-z0-9._:-]+")
    object_parameter_names = OBJECT_PARAMETERS
    acl_names = ACLS
    credentials_hint = (
        "set the mount's key and secret, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
        "AWS_PROFILE or an instance role; anon: true for a public bucket"
    )
    default_endpoint = "https://s3.amazonaws.com"
    # Every region, FIPS and dual-stack endpoint of one partition (not amazonaws.com.cn).
    public_hosts = ("amazonaws.com",)
    extra = "s3"
    requires = ("s3fs",)
    _signing_client: Any = None

    @functools.cached_property
    def _presigned(self) -> PresignedCache:
        return PresignedCache()

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        super().validate_options(options)
        if bool(options.get("key")) != bool(options.get("secret")):
            raise invalid(options["name"], "secret", "key and secret go together")
        if not isinstance(options.get("anon", False), bool):
            raise invalid(options["name"], "anon", "anon must be true or false")
        check_s3_options(options)
        for key in CHECKSUM_KEYS:
            if options.get(key, CHECKSUM_WHEN[0]) not in CHECKSUM_WHEN:
                raise invalid(options["name"], key, f"{key} must be one of {CHECKSUM_WHEN}")

    def filesystem_class(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem

    def filesystem_options(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.options.get("anon"):
            kwargs["anon"] = True
        if self.options.get("key"):
            kwargs["key"] = self.options["key"]
            kwargs["secret"] = self.options["secret"]
        client_kwargs, config_kwargs = client_options(self.options)
        if client_kwargs:
            kwargs["client_kwargs"] = client_kwargs
        kwargs["config_kwargs"] = {**config_kwargs, **self.botocore_config()}
        return kwargs

    def botocore_config(self) -> dict[str, Any]:
        """``botocore.config.Config`` arguments of both clients: limits, checksums."""
        limits = self.limits
        config: dict[str, Any] = {
            "connect_timeout": limits.connect,
            "read_timeout": limits.read,
            # "standard": retries connection errors and throttling too, with jitter.
            "retries": {"max_attempts": limits.retries, "mode": "standard"},
        }
        for key in CHECKSUM_KEYS:
            if self.options.get(key):
                config[key] = self.options[key]
        return config

    def create_filesystem(self) -> Any:
        fs = super().create_filesystem()
        # botocore retries each request (see botocore_config); s3fs's own loop around
        # it would multiply the attempts, and the wait, by five.
        fs.retries = 1
        return fs

    def upload_options(self, location: str) -> dict[str, Any]:
        options = {"ContentType": self.content_type(location), **self.object_parameters}
        if self.options.get("default_acl"):
            options["ACL"] = self.options["default_acl"]
        return options

    # -- metadata ----------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        """One HEAD for a file (s3fs's info() drops the encryption headers the MD5 rule
        needs); a prefix with objects below it, one LIST more, is a directory."""
        if not location:
            return super().stat(location)
        bucket, key = self.bucket_and_key(location)
        fs = self.base_fs
        try:
            head = fs.call_s3("head_object", fs.kwargs, Bucket=bucket, Key=key)
        except FileNotFoundError:
            listed = fs.call_s3(
                "list_objects_v2",
                fs.kwargs,
                Bucket=bucket,
                Prefix=f"{key}/",
                Delimiter="/",
                MaxKeys=1,
            )
            if listed.get("KeyCount", 0) or listed.get("Contents") or listed.get("CommonPrefixes"):
                return StatResult(name=posixpath.basename(location), kind="directory")
            raise
        etag = self._etag(head)
        return StatResult(
            name=posixpath.basename(location),
            kind="file",
            size=int(head.get("ContentLength") or 0),
            mtime=to_timestamp(head.get("LastModified")),
            etag=etag,
            md5=etag if _is_content_md5(etag, head) else None,
            content_type=head.get("ContentType"),
            extra=head,
        )

    # The HEAD of stat(), never s3fs's exists(), which may add a LIST.
    exists = Backend.exists

    def is_file(self, location: str) -> bool:
        """One HEAD (stat() follows a missing key with a LIST looking for a directory).

        Sent from the calling thread by the synchronous client when the mount has no
        filesystem ``options`` the client would not know about: s3fs adds a hop to its
        event-loop thread, about 15% of a HEAD to a nearby server.
        """
        if not location:
            return False
        bucket, key = self.bucket_and_key(location)
        if self.options.get("anon") or self.options.get("options"):
            fs = self.base_fs
            try:
                fs.call_s3("head_object", fs.kwargs, Bucket=bucket, Key=key)
            except FileNotFoundError:
                self.confirm_bucket()  # a HEAD's 404 says nothing about the bucket
                return False
            return True
        try:
            self._signer().head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            response = getattr(exc, "response", None)
            if not isinstance(response, Mapping):
                raise
            if response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                self.confirm_bucket()
                return False
            from s3fs.errors import translate_boto_error

            raise translate_boto_error(exc) from exc
        return True

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        # Listings do not say how an object is encrypted, so their ETags prove nothing.
        return None

    def listdir(self, location: str) -> list[StatResult]:
        """ListObjectsV2 pages sent from the calling thread (see :meth:`is_file`)."""
        if self.options.get("anon") or self.options.get("options"):
            return super().listdir(location)
        bucket, key = self.bucket_and_key(location)
        prefix = f"{key}/" if key else ""
        entries: list[StatResult] = []
        try:
            pages = (
                self._signer()
                .get_paginator("list_objects_v2")
                .paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
            )
            for page in pages:
                for common in page.get("CommonPrefixes", ()):
                    name = common["Prefix"][len(prefix) :].rstrip("/")
                    if name:
                        entries.append(StatResult(name=name, kind="directory"))
                for item in page.get("Contents", ()):
                    name = item["Key"][len(prefix) :]
                    if name and "/" not in name and not is_temp_name(name):
                        entries.append(_listed_file(name, item))
        except Exception as exc:
            if not isinstance(getattr(exc, "response", None), Mapping):
                raise
            from s3fs.errors import translate_boto_error

            raise translate_boto_error(exc) from exc
        if not entries and location:
            if self.is_file(location):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", location)
            raise FileNotFoundError(errno.ENOENT, "no such directory", location)
        return entries

    # -- URLs --------------------------------------------------------------------
    def can_sign(self) -> bool:
        return not self.options.get("anon")

    def signed_url(self, location: str, seconds: int) -> str:
        bucket, key = self.bucket_and_key(location)
        if self.options.get("anon"):
            return self.plain_url(location)
        return self._presigned.get(
            (bucket, key, seconds),
            seconds,
            lambda: str(
                self._signer().generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
                )
            ),
        )

    def domain_url(self, domain: str, location: str, seconds: int | None) -> str:
        """A CDN URL: CloudFront-signed when the mount has a CloudFront key pair (an S3
        signature names the bucket's host, so no CDN could pass it on), else plain."""
        url = super().domain_url(domain, location, seconds)
        key_id = self.options.get("cloudfront_key_id")
        if seconds is None or not key_id:
            return url
        return cloudfront_url(url, key_id, self.options["cloudfront_key"], seconds)

    def presigned_upload(
        self, location: str, *, expires_in: int, max_size: int | None, content_type: str | None
    ) -> PresignedUpload:
        """A presigned POST: a form the browser posts with the file as its last field;
        S3 refuses a file over ``max_size`` (the policy's content-length-range)."""
        bucket, key = self.bucket_and_key(location)
        url, fields = presigned_post(
            self._signer(),
            bucket,
            key,
            seconds=expires_in,
            max_size=max_size,
            content_type=content_type,
            parameters=self.object_parameters,
            acl=self.options.get("default_acl"),
        )
        return PresignedUpload(url=url, method="POST", fields=fields)

    def _signer(self) -> Any:
        """A synchronous botocore client for presigning URLs (signing sends nothing) and
        is_file()'s HEAD: s3fs would run them on its event-loop thread, a thread hop that
        doubles the cost of signing."""
        client = self._signing_client
        if client is not None:
            return client
        with _SIGNER_LOCK:  # botocore's create_client is not thread-safe
            if self._signing_client is None:
                client_kwargs, config_kwargs = client_options(self.options)
                config = importlib.import_module("botocore.config").Config(
                    **config_kwargs, **self.botocore_config()
                )
                kwargs: dict[str, Any] = {**client_kwargs, "config": config}
                if self.options.get("key"):
                    kwargs["aws_access_key_id"] = self.options["key"]
                    kwargs["aws_secret_access_key"] = self.options["secret"]
                self._signing_client = _botocore_session().create_client("s3", **kwargs)
            return self._signing_client

    def plain_url(self, location: str) -> str:
        bucket, key = self.bucket_and_key(location)
        endpoint = self.options.get("endpoint_url")
        if endpoint:
            return f"{endpoint.rstrip('/')}/{bucket}/{quote(key)}"
        region = self.options.get("region") or self.options.get("region_name")
        host = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
        return f"https://{bucket}.{host}/{quote(key)}"


@functools.cache
def _botocore_session() -> Any:
    # botocore comes with s3fs (through aiobotocore); it ships no type information.
    return importlib.import_module("botocore.session").Session()


def _is_content_md5(etag: str | None, head: Mapping[str, Any]) -> bool:
    """An S3 ETag is the MD5 of the content only for a single-part upload stored in
    plain text or SSE-S3: multipart ETags end in ``-<parts>``, SSE-KMS and SSE-C ones
    are opaque."""
    if not etag or not _HEX_MD5.match(etag):
        return False
    if head.get("SSECustomerAlgorithm"):
        return False
    return head.get("ServerSideEncryption") in (None, "AES256")


def _listed_file(name: str, item: Mapping[str, Any]) -> StatResult:
    modified = item.get("LastModified")
    return StatResult(
        name=name,
        kind="file",
        size=int(item.get("Size", 0)),
        mtime=modified.timestamp() if modified is not None else None,
        etag=str(item.get("ETag", "")).strip('"') or None,
    )
