"""Azure Blob Storage mounts through adlfs.

Credentials: ``connection_string``, or ``account_name`` with ``account_key`` or
``sas_token``, in the mount; else adlfs reads ``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_STORAGE_ACCOUNT_NAME``/``AZURE_STORAGE_ACCOUNT_KEY``, ``AZURE_STORAGE_SAS_TOKEN``,
a service principal (``AZURE_STORAGE_CLIENT_ID``/``_SECRET``/``TENANT_ID``) and finally
azure-identity's DefaultAzureCredential.
"""

from __future__ import annotations

import errno
import re
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from ..config import invalid
from ..errors import UnsafePathError
from ..uploads import PresignedUpload
from .base import Backend
from .object_options import custom_domain_url
from .object_store import OBJECT_STORE_KEYS, ObjectStoreBackend
from .timeouts import azure_client_options, azure_filesystem_class

__all__ = ["AzureBackend"]

#: How long a server-side copy may stay pending before the transfer fails.
COPY_TIMEOUT = 900.0
#: ``object_parameters`` (ContentSettings' names, and metadata) and their PUT headers.
_BLOB_HEADERS = {
    "cache_control": "x-ms-blob-cache-control",
    "content_disposition": "x-ms-blob-content-disposition",
    "content_encoding": "x-ms-blob-content-encoding",
    "content_language": "x-ms-blob-content-language",
    "content_type": "x-ms-blob-content-type",
}


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
    # Azure's special containers ($web for static websites, $root, $logs) start with '$'.
    bucket_pattern = re.compile(r"\$?[A-Za-z0-9._-]+")
    string_keys = ("account_name", "account_key", "connection_string", "sas_token")
    object_parameter_names = frozenset({*_BLOB_HEADERS, "metadata"})
    extra = "azure"
    requires = ("adlfs",)
    credentials_hint = (
        "set the mount's connection_string, or account_name with account_key or sas_token "
        "(or AZURE_STORAGE_CONNECTION_STRING)"
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        container = options["container"]
        if not isinstance(container, str) or not 3 <= len(container) <= 63:
            raise invalid(
                options["name"], "container", "container must be a name of 3 to 63 characters"
            )
        super().validate_options(options)

    def filesystem_class(self) -> Any:
        return azure_filesystem_class()

    def create_filesystem(self) -> Any:
        try:
            return super().create_filesystem()
        except ValueError as exc:
            # adlfs's only complaint when building its client: no connection string and
            # no account name (mount or environment), or one it cannot parse.
            raise self.credentials_error(f"ValueError: {exc}") from exc

    def filesystem_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            key: self.options[key]
            for key in ("account_name", "account_key", "connection_string", "sas_token")
            if self.options.get(key)
        }
        limits = self.limits
        options["client_options"] = azure_client_options(limits)
        options["connection_timeout"] = limits.connect
        options["read_timeout"] = limits.read
        return options

    def locate(self, path: str) -> str:
        # adlfs parses paths as URLs: a name ending in '?' or '#', or holding
        # '?versionid=', would silently name another blob. Refuse it instead.
        full = self.full_path(path)
        # _strip_protocol: fsspec's classmethod for this, meant for its users.
        stripped = self.base_fs._strip_protocol(full)  # noqa: SLF001
        if "?versionid=" in full.lower() or stripped != full:
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
        settings = {"content_type": self.content_type(location)}
        settings.update({k: v for k, v in self.object_parameters.items() if k in _BLOB_HEADERS})
        options: dict[str, Any] = {"content_settings": settings}
        metadata = self.object_parameters.get("metadata")
        if metadata:
            # adlfs marks its blobs as files with this metadata entry: keep it.
            options["metadata"] = {"is_directory": "false", **metadata}
        return options

    def write_bytes(self, location: str, data: bytes) -> None:
        if self.object_parameters.get("metadata"):
            # adlfs's pipe_file sets the metadata itself: its writer takes ours.
            with self.open_writer(location) as writer:
                writer.write(data)
            return
        super().write_bytes(location, data)

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

    def can_sign(self) -> bool:
        return self._account_key() is not None

    def signed_url(self, location: str, seconds: int) -> str:
        """A read-only SAS URL when the mount knows the account key; the blob URL plus
        the mount's SAS token when it has one; else the plain blob URL."""
        if self._account_key():
            return str(self.base_fs.url(self.full_path(location), expires=seconds))
        return self._with_token(self.plain_url(location))

    def plain_url(self, location: str) -> str:
        container, blob = self.bucket_and_key(location)
        return f"{self.endpoint()}/{container}/{quote(blob)}"

    def domain_url(self, domain: str, location: str, seconds: int | None) -> str:
        """``<domain>/<container>/<blob>``: a SAS names no host, so it stays valid there."""
        url = custom_domain_url(domain, self.full_path(location))
        if seconds is None:
            return url
        if self._account_key():
            signed = self.base_fs.url(self.full_path(location), expires=seconds)
            return f"{url}?{urlsplit(str(signed)).query}"
        return self._with_token(url)

    def presigned_upload(
        self, location: str, *, expires_in: int, max_size: int | None, content_type: str | None
    ) -> PresignedUpload | None:
        """A PUT of a block blob with a create/write SAS. Azure cannot cap its size:
        verify_upload() checks it afterwards."""
        key = self._account_key()
        if not key:
            return None
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        container, blob = self.bucket_and_key(location)
        token = generate_blob_sas(
            account_name=self.base_fs.service_client.account_name,
            container_name=container,
            blob_name=blob,
            account_key=key,
            permission=BlobSasPermissions(create=True, write=True),
            expiry=datetime.now(timezone.utc) + timedelta(seconds=expires_in),
        )
        headers = {"x-ms-blob-type": "BlockBlob"}
        for name, value in self.object_parameters.items():
            if name in _BLOB_HEADERS:
                headers[_BLOB_HEADERS[name]] = str(value)
        for name, value in (self.object_parameters.get("metadata") or {}).items():
            headers[f"x-ms-meta-{name}"] = str(value)
        if content_type:
            headers["Content-Type"] = headers["x-ms-blob-content-type"] = content_type
        return PresignedUpload(
            url=f"{self.plain_url(location)}?{token}", method="PUT", headers=headers
        )

    def _account_key(self) -> str | None:
        fs = self.base_fs
        key = fs.account_key or _connection_settings(fs.connection_string).get("accountkey")
        return str(key) if key else None

    def _with_token(self, url: str) -> str:
        fs = self.base_fs
        settings = _connection_settings(fs.connection_string)
        token = (fs.sas_token or settings.get("sharedaccesssignature") or "").lstrip("?")
        return f"{url}?{token}" if token else url


def _connection_settings(connection_string: str | None) -> dict[str, str]:
    """``Key=value;...`` pairs of a connection string, keys lower-cased."""
    pairs = (part.split("=", 1) for part in (connection_string or "").split(";") if "=" in part)
    return {key.strip().lower(): value.strip() for key, value in pairs}
