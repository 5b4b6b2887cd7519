"""Upload through a form; download by streaming the model's node (no Django ``File``)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from genro_storage_django import node_for
from genro_storage_django.core import StorageNode
from genro_storage_django.serving.direct_upload import DirectUploadView

from .forms import DocumentForm
from .models import Document


def upload(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    document = form.save()
    return JsonResponse(
        {
            "id": document.pk,
            "file": document.file.name,
            "image": document.image.name or None,
            "width": document.width,
            "height": document.height,
        },
        status=201,
    )


def download(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(Document, pk=pk)
    node = node_for(document.file)
    return FileResponse(node.open("rb"), as_attachment=True, filename=node.basename)


class DirectUpload(DirectUploadView):
    """Direct uploads to the ``direct`` mount (the tests configure it on an emulator)."""

    mount = "direct"
    directory = "incoming"
    max_size = 1000
    content_types = ("text/plain", "image/png")
    received: ClassVar[list[str]] = []

    def uploaded(self, request: HttpRequest, node: StorageNode) -> dict[str, Any]:
        self.received.append(node.path)
        return {"user": request.user.get_username()}


class OpenDirectUpload(DirectUpload):
    """The same for anyone: the browser test's page needs no login."""

    login_required = False


def direct_page(request: HttpRequest) -> HttpResponse:
    return render(request, "testapp/direct_upload.html")
