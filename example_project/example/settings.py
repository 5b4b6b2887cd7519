"""Settings of the example project: a small document library on three storage mounts.

Runs as is on a fresh clone (``scripts/demo``). Everything it writes goes under
``example_project/var/`` (git-ignored), or under ``DEMO_VAR_DIR`` when set.

Environment variables:

``DJANGO_SECRET_KEY``
    The secret key (it also signs the file URLs). The default is for the demo only.
``DJANGO_DEBUG``
    ``1`` (default) or ``0``. The demo runs with ``DEBUG`` on; never deploy it so.
``DJANGO_ALLOWED_HOSTS``
    Host names to accept besides 127.0.0.1, localhost and [::1], comma-separated
    (``scripts/demo ADDR:PORT`` sets it to ADDR).
``DEMO_VAR_DIR``
    Where the database and the local mounts live (default ``example_project/var``).
``DEMO_ARCHIVE_S3_BUCKET``
    Puts the ``archive`` mount on this S3 bucket instead of the local disk, with
    ``DEMO_ARCHIVE_S3_PREFIX`` (default ``archive``) as the folder inside it. The
    credentials, region and endpoint come from the standard AWS variables
    (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``,
    ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for MinIO and other S3-compatible
    services).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR") or BASE_DIR / "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)  # for the SQLite file; the mounts make their own

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-secret-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    *filter(None, os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")),
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "genro_storage_django",
    "documents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example.urls"
WSGI_APPLICATION = "example.wsgi.application"
ASGI_APPLICATION = "example.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents:list"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploads above 2.5 MB stream through a temporary file, then into the mount in 1 MiB chunks.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440


def archive_mount(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``archive`` mount: an S3 bucket when the environment names one, else local disk."""
    bucket = environ.get("DEMO_ARCHIVE_S3_BUCKET", "")
    if not bucket:
        return {"type": "local", "path": str(VAR_DIR / "archive"), "serve": "none"}
    config: dict[str, Any] = {
        "type": "s3",
        "bucket": bucket,
        "prefix": environ.get("DEMO_ARCHIVE_S3_PREFIX", "archive"),
        "serve": "none",
    }
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        config["endpoint_url"] = endpoint
    return config


# The mounts. Files of `uploads` are served only through signed, expiring URLs;
# `public` (the cover images) to anyone; `archive` is never served, only synced to.
STORAGE_MOUNTS: dict[str, dict[str, Any]] = {
    "uploads": {
        "type": "local",
        "path": str(VAR_DIR / "uploads"),
        "serve": "signed",
    },
    "public": {
        "type": "local",
        "path": str(VAR_DIR / "public"),
        "serve": "public",
        "cache_control": "public, max-age=86400",
    },
    "archive": archive_mount(os.environ),
}

# Files saved without an explicit storage (FileField() with no storage=...) go to `uploads`.
STORAGES = {
    "default": {
        "BACKEND": "genro_storage_django.storage.MountStorage",
        "OPTIONS": {"mount": "uploads"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
