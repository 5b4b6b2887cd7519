"""Google Cloud Storage mounts through gcsfs.

Credentials: ``token`` in the mount (a service-account JSON path or dict, ``"anon"``,
``"google_default"``, ``"cloud"``...), else gcsfs's default chain
(``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's application-default login, the GCE
metadata server). ``STORAGE_EMULATOR_HOST`` or ``endpoint_url`` point it elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import importlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from ..uploads import PresignedUpload
from .object_options import custom_domain_url
from .object_store import OBJECT_STORE_KEYS, ObjectStoreBackend
from .timeouts import gcs_filesystem_class

__all__ = ["GCSBackend"]

PUBLIC_ENDPOINT = "https://storage.googleapis.com"
#: ``object_parameters`` set as the object's own fields (gcsfs's fixed_key_metadata).
_FIXED_FIELDS = frozenset(
    {"cache_control", "content_disposition", "content_encoding", "content_language"}
)
#: The same fields as the headers of an XML-API PUT (a signed direct upload).
_PUT_HEADERS = {
    "cache_control": "Cache-Control",
    "content_disposition": "Content-Disposition",
    "content_encoding": "Content-Encoding",
    "content_language": "Content-Language",
}
#: The predefined ACLs (the JSON API's names) and their XML-API names.
_XML_ACLS = {
    "authenticatedRead": "authenticated-read",
    "bucketOwnerFullControl": "bucket-owner-full-control",
    "bucketOwnerRead": "bucket-owner-read",
    "private": "private",
    "projectPrivate": "project-private",
    "publicRead": "public-read",
}


class GCSBackend(ObjectStoreBackend):
    type_name = "gcs"
    required_keys = frozenset({"bucket"})
    optional_keys = OBJECT_STORE_KEYS | {"token", "project", "endpoint_url"}
    string_keys = ("project", "endpoint_url")
    object_parameter_names = _FIXED_FIELDS | {"content_type", "metadata"}
    acl_names = frozenset(_XML_ACLS)
    extra = "gcs"
    requires = ("gcsfs",)
    credentials_hint = (
        "set the mount's token (a service-account JSON file or dict, 'google_default', "
        "'anon' for a public bucket) or GOOGLE_APPLICATION_CREDENTIALS"
    )
    default_endpoint = PUBLIC_ENDPOINT
    public_hosts = ("googleapis.com",)

    def filesystem_class(self) -> Any:
        return gcs_filesystem_class(1 + self.limits.retries)

    def filesystem_options(self) -> dict[str, Any]:
        import aiohttp

        options = {
            key: self.options[key]
            for key in ("token", "project", "endpoint_url")
            if self.options.get(key) is not None
        }
        limits = self.limits
        # Per socket operation, not per request: a long download keeps going while it reads.
        options["requests_timeout"] = aiohttp.ClientTimeout(
            sock_connect=limits.connect, sock_read=limits.read
        )
        return options

    def upload_options(self, location: str) -> dict[str, Any]:
        parameters = self.object_parameters
        options: dict[str, Any] = {
            "content_type": parameters.get("content_type") or self.content_type(location)
        }
        if parameters.get("metadata"):
            options["metadata"] = dict(parameters["metadata"])
        fixed = {key: value for key, value in parameters.items() if key in _FIXED_FIELDS}
        if fixed:
            options["fixed_key_metadata"] = fixed
        return options

    def after_upload(self, location: str) -> None:
        """gcsfs sends no ACL with an upload: a patch of the new object applies it."""
        acl = self.options.get("default_acl")
        if acl:
            bucket, key = self.bucket_and_key(location)
            self.base_fs.call("PATCH", "b/{}/o/{}", bucket, key, predefinedAcl=acl, json={})

    def _md5(self, info: Mapping[str, Any]) -> str | None:
        # Composite objects (compose, parallel uploads) carry only a CRC32C.
        encoded = info.get("md5Hash")
        if not encoded:
            return None
        try:
            return base64.b64decode(encoded, validate=True).hex()
        except (binascii.Error, ValueError):
            return None

    def can_sign(self) -> bool:
        return self._signing_credentials() is not None

    def signed_url(self, location: str, seconds: int) -> str:
        """A V4 signed URL when the credentials can sign (a service account), else the
        plain object URL (anonymous mounts, user logins): readable if the object is public."""
        if self._signing_credentials() is None:
            return self.plain_url(location)
        bucket, key = self.bucket_and_key(location)
        return str(self.base_fs.sign(f"{bucket}/{key}", expiration=seconds, version="v4"))

    def plain_url(self, location: str) -> str:
        bucket, key = self.bucket_and_key(location)
        endpoint = self.options.get("endpoint_url") or PUBLIC_ENDPOINT
        return f"{endpoint.rstrip('/')}/{bucket}/{quote(key)}"

    def domain_url(self, domain: str, location: str, seconds: int | None) -> str:
        """On a bucket-bound host (a CNAME or a load balancer in front of the bucket),
        signed for that host when the credentials can sign."""
        bucket, key = self.bucket_and_key(location)
        if seconds is None or self._signing_credentials() is None:
            return custom_domain_url(domain, key)
        # gcsfs's sign() always names the API endpoint, which a bound hostname excludes.
        storage = importlib.import_module("google.cloud.storage")  # ships no types
        client = storage.Client(credentials=self._signing_credentials(), project="-")
        scheme, _, host = domain.rpartition("://")
        blob = client.bucket(bucket).blob(key)
        return str(
            blob.generate_signed_url(
                expiration=timedelta(seconds=seconds),
                version="v4",
                bucket_bound_hostname=host.rstrip("/"),
                scheme=scheme or "https",
            )
        )

    def presigned_upload(
        self, location: str, *, expires_in: int, max_size: int | None, content_type: str | None
    ) -> PresignedUpload | None:
        """A V4 signed PUT; its signed headers carry the type, the object parameters and
        the size limit (``x-goog-content-length-range``), so the browser must send them."""
        if self._signing_credentials() is None:
            return None
        bucket, key = self.bucket_and_key(location)
        parameters = self.object_parameters
        headers = {
            _PUT_HEADERS[name]: str(value)
            for name, value in parameters.items()
            if name in _PUT_HEADERS
        }
        headers.update(
            {f"x-goog-meta-{k}": str(v) for k, v in (parameters.get("metadata") or {}).items()}
        )
        if self.options.get("default_acl"):
            headers["x-goog-acl"] = _XML_ACLS[self.options["default_acl"]]
        if max_size is not None:
            headers["x-goog-content-length-range"] = f"0,{max_size}"
        content_type = content_type or parameters.get("content_type")
        url = self.base_fs.sign(
            f"{bucket}/{key}",
            expiration=expires_in,
            version="v4",
            method="PUT",
            content_type=content_type,
            headers=dict(headers),  # google-cloud-storage adds Host to the dict it is given
        )
        if content_type:
            headers["Content-Type"] = content_type
        return PresignedUpload(url=str(url), method="PUT", headers=headers)

    def _signing_credentials(self) -> Any:
        from google.auth.credentials import Signing

        holder = getattr(self.base_fs, "credentials", None)
        credentials = getattr(holder, "credentials", None)
        return credentials if isinstance(credentials, Signing) else None
