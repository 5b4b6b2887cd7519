"""Google Cloud Storage mounts through gcsfs.

Credentials: ``token`` in the mount (a service-account JSON path or dict, ``"anon"``,
``"google_default"``, ``"cloud"``...), else gcsfs's default chain
(``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's application-default login, the GCE
metadata server). ``STORAGE_EMULATOR_HOST`` or ``endpoint_url`` point it elsewhere.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .object_store import OBJECT_STORE_KEYS, ObjectStoreBackend

__all__ = ["GCSBackend"]

PUBLIC_ENDPOINT = "https://storage.googleapis.com"


class GCSBackend(ObjectStoreBackend):
    type_name = "gcs"
    required_keys = frozenset({"bucket"})
    optional_keys = OBJECT_STORE_KEYS | {"token", "project", "endpoint_url"}
    string_keys = ("project", "endpoint_url")
    extra = "gcs"
    requires = ("gcsfs",)

    def filesystem_class(self) -> Any:
        import gcsfs

        return gcsfs.GCSFileSystem

    def filesystem_options(self) -> dict[str, Any]:
        return {
            key: self.options[key]
            for key in ("token", "project", "endpoint_url")
            if self.options.get(key) is not None
        }

    def upload_options(self, location: str) -> dict[str, Any]:
        return {"content_type": self.content_type(location)}

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        # Composite objects (compose, parallel uploads) carry only a CRC32C.
        encoded = info.get("md5Hash")
        if not encoded:
            return None
        try:
            return base64.b64decode(encoded, validate=True).hex()
        except (binascii.Error, ValueError):
            return None

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        """A V4 signed URL when the credentials can sign (a service account), else the
        plain object URL (anonymous mounts, user logins): readable if the object is public."""
        seconds = self.expiry(expires_in)
        bucket, key = self.bucket_and_key(location)
        credentials = self._signing_credentials()
        if credentials is None:
            endpoint = self.options.get("endpoint_url") or PUBLIC_ENDPOINT
            return f"{endpoint.rstrip('/')}/{bucket}/{quote(key)}"
        return str(self.base_fs.sign(f"{bucket}/{key}", expiration=seconds, version="v4"))

    def _signing_credentials(self) -> Any:
        from google.auth.credentials import Signing

        holder = getattr(self.base_fs, "credentials", None)
        credentials = getattr(holder, "credentials", None)
        return credentials if isinstance(credentials, Signing) else None
