from __future__ import annotations

from django.urls import path

from . import sync_views, views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("documents/<int:pk>/", views.detail, name="detail"),
    path("documents/<int:pk>/delete/", views.delete, name="delete"),
    path("upload/", views.upload, name="upload"),
    path("sync/", sync_views.sync_to_archive, name="sync"),
]
