"""Upload through a form; download by streaming the model's node (no Django ``File``)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from genro_storage_django import node_for

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
