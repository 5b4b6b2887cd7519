"""Azure Blob Storage mounts through adlfs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import invalid
from .fsspec_base import FsspecBackend
from .writers import StreamingUploadWriter

__all__ = ["AzureBackend"]


class AzureBackend(FsspecBackend):
    type_name = "azure"
    required_keys = frozenset({"container"})
    optional_keys = frozenset(
        {"prefix", "account_name", "account_key", "connection_string", "sas_token"}
    )
    extra = "azure"
    requires = ("adlfs",)
    writer_class = StreamingUploadWriter
    has_directories = False

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        container = options["container"]
        if not isinstance(container, str) or not 3 <= len(container) <= 63:
            raise invalid(
                options["name"], "container", "container must be a name of 3 to 63 characters"
            )

    def create_filesystem(self) -> Any:
        import adlfs

        kwargs = {
            key: self.options[key]
            for key in ("account_name", "account_key", "connection_string", "sas_token")
            if self.options.get(key)
        }
        return adlfs.AzureBlobFileSystem(**kwargs)

    def root_path(self) -> str:
        prefix = str(self.options.get("prefix") or "").strip("/")
        container = str(self.options["container"])
        return f"{container}/{prefix}" if prefix else container

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        settings = info.get("content_settings") or {}
        digest = settings.get("content_md5") if isinstance(settings, Mapping) else None
        return bytes(digest).hex() if digest else None
