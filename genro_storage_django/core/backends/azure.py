"""Azure Blob Storage mounts through adlfs.

Credentials: ``connection_string``, or ``account_name`` with ``account_key`` or
``sas_token``, in the mount; else adlfs reads ``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_STORAGE_ACCOUNT_NAME``/``AZURE_STORAGE_ACCOUNT_KEY``, ``AZURE_STORAGE_SAS_TOKEN``,
a service principal (``AZURE_STORAGE_CLIENT_ID``/``_SECRET``/``TENANT_ID``) and finally
azure-identity's DefaultAzureCredential.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from ..config import invalid
from ..errors import UnsafePathError
from .base import Backend
from .object_store import OBJECT_STORE_KEYS, ObjectStoreBackend

__all__ = ["AzureBackend"]

#: How long a server-side copy may stay pending before the transfer fails.
COPY_TIMEOUT = 900.0


class AzureBackend(ObjectStoreBackend):
    type_name = "azure"
    required_keys = frozenset({"container"})
    optional_keys = OBJECT_STORE_KEYS | {
        "account_name",
        "account_key",
        "connection_string",
        "sas_token",
    }
    bucket_key = "container"
    string_keys = ("account_name", "account_key", "connection_string", "sas_token")
    extra = "azure"
    requires = ("adlfs",)

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        container = options["container"]
        if not isinstance(container, str) or not 3 <= len(container) <= 63:
            raise invalid(
                options["name"], "container", "container must be a name of 3 to 63 characters"
            )
        super().validate_options(options)

    def filesystem_class(self) -> Any:
        import adlfs

        return adlfs.AzureBlobFileSystem

    def filesystem_options(self) -> dict[str, Any]:
        return {
            key: self.options[key]
            for key in ("account_name", "account_key", "connection_string", "sas_token")
            if self.options.get(key)
        }

    def locate(self, path: str) -> str:
        # adlfs parses paths as URLs: a name ending in '?' or '#', or holding
        # '?versionid=', would silently name another blob. Refuse it instead.
        full = self.full_path(path)
        if "?versionid=" in full.lower() or self.base_fs._strip_protocol(full) != full:
            raise UnsafePathError(
                f"{self.mount_name}:{path}: azure mounts cannot store this name "
                "(adlfs reads '?' and '#' in it as URL syntax)"
            )
        return path

    def endpoint(self) -> str:
        # The account's blob service URL, from whichever credentials gave it; a SAS
        # token rides in its query and is left out.
        account = urlsplit(self.base_fs.service_client.url)
        return f"{account.scheme}://{account.netloc}{account.path.rstrip('/')}"

    def upload_options(self, location: str) -> dict[str, Any]:
        return {"content_settings": {"content_type": self.content_type(location)}}

    def _settings(self, info: Mapping[str, Any]) -> Mapping[str, Any]:
        # azure-storage-blob's ContentSettings is dict-like but no Mapping: duck-type it.
        settings = info.get("content_settings")
        return settings if hasattr(settings, "get") else {}  # type: ignore[return-value]

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        # Set by the service for single-shot uploads; blobs committed from blocks (all
        # adlfs streaming writes) have none unless the uploader sent one.
        digest = self._settings(info).get("content_md5")
        return bytes(digest).hex() if digest else None

    def _content_type(self, info: Mapping[str, Any]) -> str | None:
        value = self._settings(info).get("content_type")
        return str(value) if value else None

    # -- server-side copies ----------------------------------------------------------
    # Azure may run a copy in the background (adlfs starts it and returns): wait for it,
    # so a copy is complete when the call returns and a move never deletes a source that
    # a pending copy is still reading.
    def copy_within(self, source: str, target: str, other: Backend) -> None:
        super().copy_within(source, target, other)
        assert isinstance(other, AzureBackend)
        other.await_copy(other.full_path(target))

    def move_within(self, source: str, target: str, other: Backend) -> None:
        assert isinstance(other, AzureBackend)
        origin, destination = self.full_path(source), other.full_path(target)
        self.base_fs.cp_file(origin, destination)
        other.await_copy(destination)
        self.base_fs.rm_file(origin)
        self.invalidate(source)
        other.invalidate(target)

    def await_copy(self, full_path: str, timeout: float = COPY_TIMEOUT) -> None:
        from fsspec.asyn import sync

        fs = self.base_fs
        container, _, blob = full_path.partition("/")

        async def copy_state() -> tuple[str | None, str | None]:
            async with fs.service_client.get_blob_client(container, blob) as client:
                properties = await client.get_blob_properties()
            return properties.copy.status, properties.copy.status_description

        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            state, why = sync(fs.loop, copy_state)
            if state in (None, "success"):
                return
            if state != "pending":
                raise OSError(errno.EIO, f"server-side copy {state}: {why}", full_path)
            if time.monotonic() > deadline:
                raise TimeoutError(errno.ETIMEDOUT, "server-side copy still pending", full_path)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def delete_objects(self, names: list[str]) -> None:
        # adlfs can skip its glob expansion altogether.
        self.fs.rm(names, expand_path=False)

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        """A read-only SAS URL when the mount knows the account key; the blob URL plus
        the mount's SAS token when it has one; else the plain blob URL."""
        seconds = self.expiry(expires_in)
        fs = self.base_fs
        settings = _connection_settings(fs.connection_string)
        if fs.account_key or settings.get("accountkey"):
            return str(fs.url(self.full_path(location), expires=seconds))
        container, blob = self.bucket_and_key(location)
        plain = f"{self.endpoint()}/{container}/{quote(blob)}"
        token = (fs.sas_token or settings.get("sharedaccesssignature") or "").lstrip("?")
        return f"{plain}?{token}" if token else plain


def _connection_settings(connection_string: str | None) -> dict[str, str]:
    """``Key=value;...`` pairs of a connection string, keys lower-cased."""
    pairs = (part.split("=", 1) for part in (connection_string or "").split(";") if "=" in part)
    return {key.strip().lower(): value.strip() for key, value in pairs}
