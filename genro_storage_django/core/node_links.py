"""The URLs of a :class:`~genro_storage_django.core.StorageNode`: plain and signed
download links and presigned direct uploads.

A mixin of ``StorageNode`` that uses the node's public interface only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from . import errors
from .backends.base import Backend, StatResult
from .uploads import PresignedUpload, check_upload

if TYPE_CHECKING:
    from .manager import StorageManager
    from .node import StorageNode

__all__ = ["NodeLinks", "UrlSigner"]


class UrlSigner(Protocol):
    """``StorageManager.url_signer``: makes the URLs of :meth:`StorageNode.signed_url`."""

    def __call__(
        self,
        node: StorageNode,
        *,
        expires_in: int | None,
        download: bool,
        filename: str | None,
    ) -> str | None: ...


class NodeLinks:
    """Links to the file at a node's path."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by StorageNode

        @property
        def manager(self) -> StorageManager: ...
        @property
        def backend(self) -> Backend: ...
        @property
        def location(self) -> str: ...
        @property
        def path(self) -> str: ...
        @property
        def fullpath(self) -> str: ...
        @property
        def mount_name(self) -> str: ...
        def stat(self) -> StatResult: ...
        def require(self, action: str) -> None: ...

    def url(self, expires_in: int | None = None) -> str | None:
        """A URL for the file: ``base_url`` + path, presigned on cloud mounts, else None."""
        return self.backend.url(self.location, self.path, expires_in)

    def presigned_upload(
        self,
        *,
        expires_in: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
    ) -> PresignedUpload:
        """A request a browser can send to store this file directly (docs/core.md)."""
        self.require("write")
        upload = self.backend.presigned_upload(
            self.location,
            expires_in=Backend.expiry(expires_in),
            max_size=max_size,
            content_type=content_type,
        )
        if upload is None:
            raise errors.StorageError(
                f"cannot presign an upload to {self.fullpath}: {self.backend.type_name} "
                "mounts take uploads through the server only"
            )
        return upload

    def verify_upload(
        self,
        *,
        expected_size: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
    ) -> StatResult:
        """The stat of a direct upload, once checked: :class:`UploadVerificationError`
        when its size or type is not the announced one."""
        found = self.stat()
        check_upload(
            self.fullpath,
            found,
            expected_size=expected_size,
            max_size=max_size,
            content_type=content_type,
        )
        return found

    def signed_url(
        self,
        expires_in: int | None = None,
        *,
        download: bool = False,
        filename: str | None = None,
    ) -> str:
        """A URL that lets whoever holds it fetch the file until it expires.

        The core signs nothing itself: it asks the manager's ``url_signer``. The
        Django app installs one on the manager of ``STORAGE_MOUNTS`` (a signed URL of
        its file view, see docs/serving.md). Raises :class:`StorageError` when there
        is no signer or the signer cannot make a URL (a mount that is not served).
        """
        signer = self.manager.url_signer
        if signer is None:
            raise errors.StorageError(
                f"cannot sign a URL for {self.fullpath}: this manager has no url_signer "
                "(the Django app installs one on the manager of settings.STORAGE_MOUNTS)"
            )
        node = cast("StorageNode", self)  # NodeLinks is mixed into StorageNode only
        url = signer(node, expires_in=expires_in, download=download, filename=filename)
        if url is None:
            raise errors.StorageError(
                f"cannot sign a URL for {self.fullpath}: mount {self.mount_name!r} is not served"
            )
        return url
