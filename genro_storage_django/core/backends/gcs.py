"""Google Cloud Storage mounts through gcsfs."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..config import invalid
from .fsspec_base import FsspecBackend
from .writers import StreamingUploadWriter

__all__ = ["GCSBackend"]


class GCSBackend(FsspecBackend):
    type_name = "gcs"
    required_keys = frozenset({"bucket"})
    optional_keys = frozenset({"prefix", "token", "project", "endpoint_url"})
    extra = "gcs"
    requires = ("gcsfs",)
    writer_class = StreamingUploadWriter
    has_directories = False

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        for key in ("bucket", "prefix", "project", "endpoint_url"):
            value = options.get(key)
            if value is not None and not isinstance(value, str):
                raise invalid(options["name"], key, f"{key} must be a string")

    def create_filesystem(self) -> Any:
        import gcsfs

        kwargs: dict[str, Any] = {}
        for key in ("token", "project", "endpoint_url"):
            if self.options.get(key) is not None:
                kwargs[key] = self.options[key]
        return gcsfs.GCSFileSystem(**kwargs)

    def root_path(self) -> str:
        prefix = str(self.options.get("prefix") or "").strip("/")
        return f"{self.options['bucket']}/{prefix}" if prefix else str(self.options["bucket"])

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        encoded = info.get("md5Hash")
        if not encoded:
            return None
        try:
            return base64.b64decode(encoded).hex()
        except (binascii.Error, ValueError):
            return None

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        if self.options.get("token") == "anon":
            endpoint = self.options.get("endpoint_url") or "https://storage.googleapis.com"
            bucket, _, key = self.full_path(location).partition("/")
            return f"{endpoint.rstrip('/')}/{bucket}/{quote(key)}"
        return str(self.base_fs.sign(self.full_path(location), expiration=expires_in or 3600))
