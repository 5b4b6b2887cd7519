"""The file-serving view: ``files/<mount>/<path>``, guarded by each mount's policy.

Policies (``"serve"`` in a mount's configuration, default ``"signed"``):

=================  ===========================================================
``public``         anyone
``authenticated``  logged-in users, or a valid signed URL; anyone else gets 404
``signed``         a URL signed by this app (``storage.url()``, the tags,
                   ``node.signed_url()``); a missing, tampered or expired
                   signature gets 403
``none``           never served, signed or not: 404
=================  ===========================================================

A signature is checked whenever the query carries one: a tampered or expired one
gets 403 on every policy (never 404, so it does not depend on the file). A
download name (``filename``) is only taken from a signed query.

``"serve_permission"`` names a callable ``(request, node) -> bool`` or a Django
permission (``"app_label.codename"``) that must also allow the request (404
otherwise). A file that is missing, a directory, an unknown mount or an unsafe
path all answer 404, so a response never tells someone who may not see a file
whether it exists. A store that does not answer (:class:`StorageUnavailableError`,
after the mount's bounded timeouts and retries) answers 503 with ``Retry-After``:
the file may well exist, and a client or cache should come back later.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods

from ..conf import get_manager
from ..core import StorageError, StorageNode, StorageUnavailableError, normalize
from .policy import ServePolicy
from .responses import ServeOptions, serve_node
from .signing import InvalidSignature, verify_query

if TYPE_CHECKING:
    from ..core import Mount

__all__ = ["RETRY_AFTER", "serve"]

#: Seconds a 503 asks the client to wait before trying again.
RETRY_AFTER = 30


@require_http_methods(["GET", "HEAD"])
def serve(request: HttpRequest, mount: str, path: str) -> HttpResponseBase:
    manager = get_manager()
    if not manager.has_mount(mount):
        raise Http404("no such file")
    configured = manager.get_mount(mount)
    policy = ServePolicy.of(configured.config)
    if policy is None or not policy.served:
        raise Http404("no such file")  # "none", or a value the system check reports
    # No query string (the common public case): no QueryDict to build.
    query = request.GET if request.META.get("QUERY_STRING") else None
    download = query is not None and query.get("download") == "1"
    filename: str | None = None
    if policy is ServePolicy.SIGNED or (query is not None and "sig" in query):
        try:
            granted = verify_query(mount, path, query.dict() if query is not None else {})
        except InvalidSignature as exc:
            # Raised, not returned: the project's handler403 (its 403.html) answers.
            raise PermissionDenied(f"invalid file URL: {exc}") from None
        download, filename = granted.download, granted.filename
    elif policy is ServePolicy.AUTHENTICATED and not _logged_in(request):
        raise Http404("no such file")
    try:
        node = manager.node_class(manager, configured, normalize(path))
        if not _permitted(configured, request, node):
            raise Http404("no such file")
        stat = node.stat()
    except StorageUnavailableError:
        unavailable = HttpResponse(
            "the storage behind this file does not answer; try again later",
            status=503,
            content_type="text/plain",
        )
        unavailable["Retry-After"] = str(RETRY_AFTER)
        return unavailable
    except (StorageError, SuspiciousOperation):
        raise Http404("no such file") from None
    if not stat.is_file:
        raise Http404("no such file")
    return serve_node(request, node, _options(configured, download, filename), stat)


def _logged_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _permitted(configured: Mount, request: HttpRequest, node: StorageNode) -> bool:
    """``serve_permission``: a callable's import path, else a permission ("app.codename")."""
    dotted = configured.config.get("serve_permission")
    if not dotted:
        return True
    check = _permission_callable(dotted)
    if check is None:
        user = getattr(request, "user", None)
        return bool(user is not None and user.has_perm(dotted))
    return bool(check(request, node))


@functools.lru_cache(maxsize=64)
def _permission_callable(dotted: str) -> Callable[[HttpRequest, StorageNode], Any] | None:
    """The callable at ``dotted``; None for a permission name ("app_label.codename").

    A two-part name that does not import is a permission. A longer one must import:
    a typo in a callable's path raises (a server error that shows it) instead of
    quietly refusing every request.
    """
    try:
        found = import_string(dotted)
    except ImportError:
        if dotted.count(".") == 1:
            return None
        raise
    if not callable(found):
        raise ImproperlyConfigured(f"serve_permission {dotted!r} is not callable")
    return cast("Callable[[HttpRequest, StorageNode], Any]", found)


#: The options of requests without a download name, per (mount, download), kept with the
#: Mount they were read from: a mount replaced at run time gets new ones.
_plain_options: dict[tuple[str, bool], tuple[Mount, ServeOptions]] = {}


def _options(configured: Mount, download: bool, filename: str | None) -> ServeOptions:
    key = (configured.name, download)
    if filename is None:
        cached = _plain_options.get(key)
        if cached is not None and cached[0] is configured:
            return cached[1]
    config = configured.config
    options = ServeOptions(
        download=download or bool(filename),
        filename=filename,
        cache_control=config.get("cache_control") or _default_cache_control(config),
        offload=config.get("offload") or None,
        offload_prefix=config.get("offload_prefix") or "",
    )
    if filename is None:
        _plain_options[key] = (configured, options)
    return options


def _default_cache_control(config: Any) -> str:
    # Only public files may sit in shared caches; the rest stay in the browser's.
    public = ServePolicy.of(config) is ServePolicy.PUBLIC
    return "public, max-age=3600" if public else "private, max-age=3600"
