"""Amazon S3 (and S3-compatible) mounts through s3fs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..config import invalid
from .fsspec_base import FsspecBackend
from .writers import StreamingUploadWriter

__all__ = ["S3Backend"]

_HEX_MD5 = re.compile(r"^[0-9a-f]{32}$")


class S3Backend(FsspecBackend):
    type_name = "s3"
    required_keys = frozenset({"bucket"})
    optional_keys = frozenset({"prefix", "region", "anon", "key", "secret", "endpoint_url"})
    extra = "s3"
    requires = ("s3fs",)
    writer_class = StreamingUploadWriter
    has_directories = False

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        for key in ("bucket", "prefix", "region", "key", "secret", "endpoint_url"):
            value = options.get(key)
            if value is not None and not isinstance(value, str):
                raise invalid(options["name"], key, f"{key} must be a string")
        if not options["bucket"]:
            raise invalid(options["name"], "bucket", "bucket must not be empty")

    def create_filesystem(self) -> Any:
        import s3fs

        kwargs: dict[str, Any] = {}
        if self.options.get("anon"):
            kwargs["anon"] = True
        if self.options.get("key"):
            kwargs["key"] = self.options["key"]
            kwargs["secret"] = self.options.get("secret")
        client_kwargs: dict[str, Any] = {}
        if self.options.get("endpoint_url"):
            client_kwargs["endpoint_url"] = self.options["endpoint_url"]
        if self.options.get("region"):
            client_kwargs["region_name"] = self.options["region"]
        if client_kwargs:
            kwargs["client_kwargs"] = client_kwargs
        return s3fs.S3FileSystem(**kwargs)

    def root_path(self) -> str:
        prefix = str(self.options.get("prefix") or "").strip("/")
        return f"{self.options['bucket']}/{prefix}" if prefix else str(self.options["bucket"])

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        # A multipart ETag ("...-N") or an SSE-KMS/SSE-C one is not the MD5 of the content.
        etag = self._etag(info)
        encryption = info.get("ServerSideEncryption")
        if etag and _HEX_MD5.match(etag) and encryption in (None, "AES256"):
            return etag
        return None

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        if self.options.get("anon"):
            endpoint = self.options.get("endpoint_url") or "https://s3.amazonaws.com"
            return f"{endpoint.rstrip('/')}/{self.full_path(location)}"
        return str(self.base_fs.url(self.full_path(location), expires=expires_in or 3600))
