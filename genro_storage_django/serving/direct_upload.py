"""Direct uploads from a page: the browser sends the file to the bucket, Django signs and checks.

``DirectUploadView.as_view(mount="media", directory="incoming", max_size=20 * 2**20)`` is
one URL answering two JSON POSTs (the ``{% storage_upload_form %}`` tag's script makes
both):

1. ``{"filename", "size", "content_type"}``: a new name in ``directory`` and the signed
   request for it (:meth:`StorageNode.presigned_upload`), plus a ``token`` naming what
   was announced; the signature limits the upload to the announced size where the store
   enforces one (S3, GCS). Refused (400) over ``max_size`` or for a type not in
   ``content_types``.
2. ``{"token"}``, once the file is sent: :meth:`StorageNode.verify_upload` against the
   announcement; an object that does not match is deleted (400), one that does is
   passed to :meth:`DirectUploadView.uploaded`, the hook where a project records it.

Only logged-in users may upload unless ``login_required = False`` (override
:meth:`DirectUploadView.allowed` for finer rules).
"""

from __future__ import annotations

import json
import logging
import posixpath
import uuid
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from ..core import StorageError, StorageNode, StorageNotFoundError, UploadVerificationError
from ..storage import MountStorage

__all__ = ["DirectUploadView"]

_SALT = "genro_storage_django.serving.direct_upload"
logger = logging.getLogger(__name__)


@method_decorator(never_cache, name="dispatch")
class DirectUploadView(View):
    http_method_names = ["post"]

    mount: str = ""
    directory: str = ""
    max_size: int | None = None
    content_types: tuple[str, ...] | None = None
    expires_in: int = 600
    login_required: bool = True

    def allowed(self, request: HttpRequest) -> bool:
        return not self.login_required or bool(request.user.is_authenticated)

    def name_for(self, filename: str) -> str:
        """A name of its own for each upload: nothing is overwritten, nothing guessed."""
        storage = MountStorage(mount=self.mount)
        valid = storage.get_valid_name(posixpath.basename(filename.replace("\\", "/")))
        return posixpath.join(self.directory, uuid.uuid4().hex, valid or "upload")

    def uploaded(self, request: HttpRequest, node: StorageNode) -> dict[str, Any]:
        """Called with each verified upload; what it returns is added to the answer."""
        return {}

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.allowed(request):
            return _error("not allowed to upload", 403)
        try:
            data = json.loads(request.body)
        except ValueError:
            return _error("the body must be JSON")
        if not isinstance(data, dict):
            return _error("the body must be a JSON object")
        if "token" in data:
            return self._verify(request, data["token"])
        return self._presign(data)

    def _presign(self, data: dict[str, Any]) -> HttpResponse:
        filename, size = data.get("filename"), data.get("size")
        content_type = data.get("content_type") or "application/octet-stream"
        if not isinstance(filename, str) or not filename:
            return _error("filename must be a non-empty string")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return _error("size must be a number of bytes")
        if self.max_size is not None and size > self.max_size:
            return _error(f"the file is larger than {self.max_size} bytes")
        if not isinstance(content_type, str) or (
            self.content_types is not None and content_type not in self.content_types
        ):
            return _error(f"files of type {content_type!r} are not accepted")
        node = MountStorage(mount=self.mount).node(self.name_for(filename))
        try:
            # The announced size, not max_size: a client that skips the check is still
            # held to it wherever the store enforces a size (S3, GCS).
            upload = node.presigned_upload(
                expires_in=self.expires_in, max_size=size, content_type=content_type
            )
        except StorageError as exc:
            return _error(str(exc), 503)
        token = signing.dumps(
            {"mount": self.mount, "path": node.path, "size": size, "type": content_type},
            salt=_SALT,
        )
        return JsonResponse({**upload.as_dict(), "name": node.path, "token": token})

    def _verify(self, request: HttpRequest, token: Any) -> HttpResponse:
        try:
            announced = signing.loads(str(token), salt=_SALT, max_age=self.expires_in + 3600)
        except signing.BadSignature:
            return _error("invalid or expired token")
        if announced.get("mount") != self.mount:
            return _error("invalid or expired token")
        node = MountStorage(mount=self.mount).node(announced["path"])
        try:
            found = node.verify_upload(
                expected_size=announced["size"],
                max_size=self.max_size,
                content_type=announced["type"],
            )
        except StorageNotFoundError:
            return _error("nothing arrived")
        except UploadVerificationError as exc:
            try:
                node.delete()
            except StorageError:
                # A mount without the delete permission keeps it; it is refused all the same.
                logger.warning("could not delete the refused upload %s", node, exc_info=True)
            return _error(str(exc))
        return JsonResponse({"name": node.path, "size": found.size, **self.uploaded(request, node)})


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
