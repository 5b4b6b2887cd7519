"""The serving site's applications, as factories a server calls after importing this module
(``gunicorn 'tests.serving_site.app:wsgi_application()'``, ``uvicorn --factory
tests.serving_site.app:asgi_application``): Django is set up inside them, never at import."""

from __future__ import annotations

import os
from typing import Any


def wsgi_application() -> Any:
    """Django's WSGI application; with ``GSD_WHITENOISE=1`` whitenoise wraps it and serves
    the ``public`` mount's files at ``/wn/`` (a baseline of the benchmark)."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    if os.environ.get("GSD_WHITENOISE") == "1":
        from whitenoise import WhiteNoise

        application = WhiteNoise(
            application, root=os.path.join(settings.ROOT, "public"), prefix="wn/"
        )
    return application


def asgi_application() -> Any:
    from django.core.asgi import get_asgi_application

    return get_asgi_application()
