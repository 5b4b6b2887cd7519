"""Bounded waits for the cloud mounts: per-mount connect/read timeouts and retries.

Left to themselves the SDKs wait long for a store that does not answer: against a
stopped server, s3fs took 5 to 12 s per call (botocore's legacy retries), gcsfs 34 s
(six attempts with 1, 2, 4, 8 and 16 s pauses) and adlfs 85 s (azure-storage's retry
policy starts at a 15 s pause). A hung server multiplies that by the read timeout.
Every mount gets the same three knobs instead, each passed to the SDK that waits:

``connect_timeout``  seconds to open a connection (default :data:`CONNECT_TIMEOUT`)
``read_timeout``     seconds to wait for each read of an answer (:data:`READ_TIMEOUT`)
``retries``          attempts after the first one failed (:data:`RETRIES`)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..config import invalid

__all__ = [
    "CONNECT_TIMEOUT",
    "READ_TIMEOUT",
    "RETRIES",
    "TIMEOUT_KEYS",
    "Limits",
    "azure_client_options",
    "azure_filesystem_class",
    "gcs_filesystem_class",
    "validate_limits",
]

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
RETRIES = 2
TIMEOUT_KEYS = frozenset({"connect_timeout", "read_timeout", "retries"})


class Limits:
    """A mount's timeouts and retries, defaults filled in."""

    __slots__ = ("connect", "read", "retries")

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.connect = float(options.get("connect_timeout", CONNECT_TIMEOUT))
        self.read = float(options.get("read_timeout", READ_TIMEOUT))
        self.retries = int(options.get("retries", RETRIES))

    def __str__(self) -> str:
        return (
            f"connect_timeout={self.connect:g}s, read_timeout={self.read:g}s, "
            f"retries={self.retries}"
        )


def validate_limits(options: Mapping[str, Any]) -> None:
    name = options["name"]
    for key in ("connect_timeout", "read_timeout"):
        value = options.get(key, 1.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise invalid(name, key, f"{key} must be a number of seconds above 0")
    retries = options.get("retries", RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 20:
        raise invalid(name, "retries", "retries must be a whole number from 0 to 20")


@functools.cache
def gcs_filesystem_class(attempts: int) -> Any:
    """gcsfs's filesystem making at most ``attempts`` tries per request.

    gcsfs fixes its six attempts when the class is defined (a decorator argument), so
    a subclass per count re-applies its own retry decorator to the undecorated request.
    """
    import gcsfs
    from gcsfs.retry import retry_request

    base = gcsfs.GCSFileSystem
    # gcsfs has no public way to set the count: the undecorated method is the only handle.
    request = retry_request(retries=attempts)(base._request.__wrapped__)  # noqa: SLF001
    return type("GCSFileSystem", (base,), {"_request": request, "retries": attempts})


@functools.cache
def azure_filesystem_class() -> Any:
    """adlfs's filesystem with the mount's retries and timeouts in its blob client.

    adlfs builds its ``BlobServiceClient`` with azure-storage's defaults (three retries
    pausing 15 s and more, 20 s to connect); ``client_options`` rebuilds it with ours.
    """
    import adlfs

    class AzureBlobFileSystem(adlfs.AzureBlobFileSystem):  # type: ignore[misc]
        def __init__(self, *args: Any, client_options: Mapping[str, Any], **kwargs: Any):
            self.client_options = dict(client_options)
            super().__init__(*args, **kwargs)

        def do_connect(self) -> None:
            super().do_connect()
            client = self.service_client  # type: ignore[has-type]
            self.service_client = type(client)(
                client.url, credential=client.credential, **self.client_options
            )

    return AzureBlobFileSystem


def azure_client_options(limits: Limits) -> dict[str, Any]:
    """azure-storage-blob client arguments: its exponential retry, shortened, and timeouts."""
    return {
        "retry_total": limits.retries,
        # Pauses of about 2 and 2.75 s (azure-storage's defaults: 18 s, then 24 s).
        "initial_backoff": 0.5,
        "increment_base": 1.5,
        "random_jitter_range": 0.5,
        "connection_timeout": limits.connect,
        "read_timeout": limits.read,
    }
