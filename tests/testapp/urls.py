from __future__ import annotations

from django.urls import include, path

from . import tenants, views

urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("documents/<int:pk>/file", views.download, name="download"),
    path("files/", include("genro_storage_django.urls")),
    path("direct/", views.DirectUpload.as_view(), name="direct-upload"),
    path("direct-open/", views.OpenDirectUpload.as_view(), name="direct-upload-open"),
    path("direct-page/", views.direct_page),
    path("tenant/note", tenants.note),
    path("tenant/async-note", tenants.async_note),
    path("tenant/fails", tenants.fails),
]
