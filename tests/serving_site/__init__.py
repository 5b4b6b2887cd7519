"""A minimal Django site serving files, run by real servers (gunicorn, uvicorn) as a child
process: the end-to-end tests and benchmarks/bench_serving.py start it.

``DJANGO_SETTINGS_MODULE=tests.serving_site``; ``GSD_SERVING_ROOT`` is the directory the
mounts serve (``public/`` and ``signed/`` under it). The applications are in
:mod:`tests.serving_site.app`.
"""

from __future__ import annotations

import os

ROOT = os.environ.get("GSD_SERVING_ROOT", "")

SECRET_KEY = "serving-site-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
INSTALLED_APPS = ["genro_storage_django"]
DATABASES: dict[str, object] = {}
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.serving_site.urls"
LOGGING_CONFIG = None

STORAGE_MOUNTS = {
    "public": {"type": "local", "path": os.path.join(ROOT, "public"), "serve": "public"},
    "signed": {"type": "local", "path": os.path.join(ROOT, "signed"), "serve": "signed"},
    # The public files again, sent by nginx: X-Accel-Redirect to its internal /protected/.
    "accel": {
        "type": "local",
        "path": os.path.join(ROOT, "public"),
        "serve": "public",
        "offload": "x-accel-redirect",
        "offload_prefix": "/protected/",
    },
}
