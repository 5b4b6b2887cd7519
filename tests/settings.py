"""Django settings for the test suite.

The local mounts live in a temporary directory made when these settings are
imported and removed at exit; the S3 tests switch mounts with
``override_settings(STORAGE_MOUNTS=...)``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "genro_storage_django",
    "tests.testapp",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "tests.testapp.urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]

STORAGE_ROOT = tempfile.mkdtemp(prefix="gsd-tests-")
atexit.register(shutil.rmtree, STORAGE_ROOT, ignore_errors=True)
for _name in ("uploads", "static"):
    os.makedirs(os.path.join(STORAGE_ROOT, _name))

STORAGE_MOUNTS = {
    "uploads": {
        "type": "local",
        "path": os.path.join(STORAGE_ROOT, "uploads"),
        "base_url": "/media/uploads/",
    },
    "static": {
        "type": "local",
        "path": os.path.join(STORAGE_ROOT, "static"),
        "base_url": "/static/",
        "file_overwrite": True,
    },
    "scratch": {"type": "memory"},
}

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {
        "BACKEND": "genro_storage_django.storage.MountStorage",
        "OPTIONS": {"mount": "uploads"},
    },
    "staticfiles": {
        "BACKEND": "genro_storage_django.storage.MountStorage",
        "OPTIONS": {"mount": "static"},
    },
}
