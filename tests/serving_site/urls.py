"""URLs of the serving site: the package's view, and the plain ``FileResponse`` view the
benchmark compares it with."""

from __future__ import annotations

import os

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import include, path


def plain_file(request: HttpRequest, name: str) -> FileResponse:
    """What a project writes by hand: open the file, hand it to FileResponse."""
    full = os.path.join(settings.ROOT, "public", name)
    if ".." in name.split("/") or not os.path.isfile(full):
        raise Http404(name)
    return FileResponse(open(full, "rb"))


urlpatterns = [
    path("files/", include("genro_storage_django.urls")),
    path("plain/<path:name>", plain_file),
]
