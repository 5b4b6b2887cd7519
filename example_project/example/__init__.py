"""The example project's Django project package: settings, URLs, WSGI and ASGI."""
