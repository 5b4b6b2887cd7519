"""Direct uploads: a browser sends a file straight to the bucket, never through Django.

:meth:`StorageNode.presigned_upload` signs the request (an S3 presigned POST, a GCS V4
signed PUT, an Azure SAS PUT) and :meth:`StorageNode.verify_upload` checks afterwards
that the object arrived as announced: the browser is not trusted, and GCS and Azure
cannot refuse a larger file at upload time (S3's policy can, GCS's signed
``x-goog-content-length-range`` header does on the real service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import StorageError

if TYPE_CHECKING:
    from .backends.base import StatResult

__all__ = ["PresignedUpload", "UploadVerificationError", "check_upload"]


@dataclass(frozen=True)
class PresignedUpload:
    """How to send one file: ``method`` to ``url``.

    ``POST`` (S3): a ``multipart/form-data`` form with ``fields`` first and the file
    last, as a field named ``file``. ``PUT`` (GCS, Azure): the bytes as the body, with
    ``headers`` (their values are part of the signature).
    """

    url: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: what a page's script needs."""
        return {
            "url": self.url,
            "method": self.method,
            "fields": dict(self.fields),
            "headers": dict(self.headers),
        }


class UploadVerificationError(StorageError, ValueError):
    """The uploaded object is not what was announced (its size or its type)."""


def check_upload(
    fullpath: str,
    found: StatResult,
    *,
    expected_size: int | None,
    max_size: int | None,
    content_type: str | None,
) -> None:
    """Raise :class:`UploadVerificationError` unless ``found`` matches the announcement."""
    if not found.is_file:
        raise UploadVerificationError(f"{fullpath}: the upload is not a file")
    if expected_size is not None and found.size != expected_size:
        raise UploadVerificationError(
            f"{fullpath}: {found.size} bytes arrived, {expected_size} were announced"
        )
    if max_size is not None and found.size is not None and found.size > max_size:
        raise UploadVerificationError(
            f"{fullpath}: {found.size} bytes arrived, the limit is {max_size}"
        )
    if content_type is not None and (found.content_type or "") != content_type:
        raise UploadVerificationError(
            f"{fullpath}: stored as {found.content_type!r}, not {content_type!r}"
        )
