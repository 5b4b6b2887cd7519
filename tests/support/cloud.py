"""Mount configurations and bare filesystems on the cloud emulators, for the tests.

Every mount gets a fresh prefix inside one bucket (container) per backend, made once per
session by the ``s3_bucket``/``gcs_bucket``/``azure_container`` fixtures of conftest.py:
tests never see each other's objects, and prefix confinement is exercised by every test.
The servers start only when a test asks for one of these (``request.getfixturevalue``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

CLOUD_KINDS = ("s3", "gcs", "azure")
CLOUD_BUCKET = "gsd-tests"
_SERVER_FIXTURE = {"s3": "s3_server", "gcs": "gcs_server", "azure": "azurite_server"}
_BUCKET_FIXTURE = {"s3": "s3_bucket", "gcs": "gcs_bucket", "azure": "azure_container"}


def unique_prefix() -> str:
    return f"runs/{uuid.uuid4().hex[:12]}"


def server_of(kind: str, request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(_SERVER_FIXTURE[kind])


def bucket_of(kind: str, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(_BUCKET_FIXTURE[kind]))


def cloud_config(
    kind: str, request: pytest.FixtureRequest, prefix: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A mount config of ``kind`` on ``prefix`` (a fresh one by default)."""
    server = server_of(kind, request)
    bucket = bucket_of(kind, request)
    config: dict[str, Any] = {
        "type": kind,
        "prefix": unique_prefix() if prefix is None else prefix,
    }
    if kind == "s3":
        config |= {
            "bucket": bucket,
            "endpoint_url": server.endpoint_url,
            "key": server.key,
            "secret": server.secret,
        }
    elif kind == "gcs":
        config |= {
            "bucket": bucket,
            "endpoint_url": server.endpoint_url,
            "token": "anon",
            "project": server.project,
        }
    else:
        config |= {"container": bucket, "connection_string": server.connection_string}
    return config | extra


def bare_fs(kind: str, request: pytest.FixtureRequest) -> Any:
    """The plain fsspec filesystem of ``kind``, listing cache off: a second, independent
    client that sees the bucket as it really is (and may write behind the mounts' backs)."""
    options = {**server_of(kind, request).storage_options, "use_listings_cache": False}
    if kind == "s3":
        import s3fs

        return s3fs.S3FileSystem(**options)
    if kind == "gcs":
        import gcsfs

        return gcsfs.GCSFileSystem(**options)
    import adlfs

    return adlfs.AzureBlobFileSystem(**options)


def cloud_params() -> list[Any]:
    return [pytest.param(kind, id=kind, marks=pytest.mark.cloud) for kind in CLOUD_KINDS]
