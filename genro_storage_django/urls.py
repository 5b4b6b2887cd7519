"""``path("files/", include("genro_storage_django.urls"))`` serves ``files/<mount>/<path>``.

The URL name is ``genro_storage:file`` (kwargs ``mount`` and ``path``); build
links with :func:`genro_storage_django.serving.links.file_url`, ``storage.url()`` or the
``{% storage_url %}`` tag rather than reversing it by hand, so signed mounts get
their signature.
"""

from __future__ import annotations

from django.urls import path

from .serving import views

app_name = "genro_storage"

urlpatterns = [
    path("<str:mount>/<path:path>", views.serve, name="file"),
]
