"""Serving files over HTTP: the file view and what it is made of.

- :mod:`.policy`: who may fetch a mount's files (``serve``: public, authenticated,
  signed, none);
- :mod:`.views`: the file view (``files/<mount>/<path>``) and :mod:`.direct_upload`,
  the view that signs and verifies browser uploads;
- :mod:`.responses`: ``serve_node``, the response for a node (conditional requests,
  ranges, ``Content-Disposition``, offload to the web server), over the core's
  framework-free :mod:`genro_storage_django.core.http` (also behind ``node.serve()``);
- :mod:`.signing` and :mod:`.links`: signed queries and the URLs pages link to.
"""

from __future__ import annotations

from .policy import DEFAULT_POLICY, ServePolicy
from .responses import ServeOptions, serve_node

__all__ = ["DEFAULT_POLICY", "ServeOptions", "ServePolicy", "serve_node"]
