"""URLs: the documents app at /, login/logout, the admin, and the file view at /files/."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("documents.urls")),
    path(
        "accounts/login/",
        # The login page shows the demo credentials while DEBUG is on (the demo).
        auth_views.LoginView.as_view(extra_context={"demo_login": settings.DEBUG}),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # files/<mount>/<path>: every stored file, guarded by its mount's `serve` option.
    path("files/", include("genro_storage_django.urls")),
]
