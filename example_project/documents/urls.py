from __future__ import annotations

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("sync/", views.sync_to_archive, name="sync"),
]
