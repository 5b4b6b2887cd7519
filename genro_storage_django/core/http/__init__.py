"""Sending a node over HTTP, with no web framework: what both the Django file view and the
WSGI ``node.serve()`` are built on.

- :mod:`.reply`: :func:`~.reply.plan_reply`, the status, headers and body layout of the
  answer to a GET or HEAD of a file;
- :mod:`.conditional`, :mod:`.ranges`, :mod:`.headers`: the RFC 9110 rules it applies;
- :mod:`.streams`: the WSGI and ASGI bodies that stream a layout;
- :mod:`.wsgi`: ``node.serve(environ, start_response)``.
"""

from __future__ import annotations

from .reply import Reply, plan_reply
from .wsgi import serve_wsgi

__all__ = ["Reply", "plan_reply", "serve_wsgi"]
