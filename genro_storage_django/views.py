"""The file-serving view: ``files/<mount>/<path>``, guarded by each mount's policy.

Policies (``"serve"`` in a mount's configuration, default ``"signed"``):

=================  ===========================================================
``public``         anyone
``authenticated``  logged-in users; anyone else gets 404
``signed``         a URL signed by this app (``node_url``, ``storage.url()``);
                   a missing, tampered or expired signature gets 403
``none``           never served: 404
=================  ===========================================================

``"serve_permission"`` names a callable ``(request, node) -> bool`` that must
also allow the request (404 otherwise). A file that is missing, a directory, an
unknown mount or an unsafe path all answer 404, so a response never tells
someone who may not see a file whether it exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseForbidden
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods

from .conf import get_manager
from .core import StorageError
from .serving import ServeOptions, serve_node
from .signing import InvalidSignature, verify_query

if TYPE_CHECKING:
    from .core import Mount, StorageNode

__all__ = ["serve"]


@require_http_methods(["GET", "HEAD"])
def serve(request: HttpRequest, mount: str, path: str) -> HttpResponseBase:
    manager = get_manager()
    if not manager.has_mount(mount):
        raise Http404("no such file")
    configured = manager.get_mount(mount)
    policy = configured.config.get("serve", "signed")
    download = request.GET.get("download") == "1"
    filename: str | None = None
    if policy == "signed":
        try:
            granted = verify_query(mount, path, request.GET.dict())
        except InvalidSignature as exc:
            return HttpResponseForbidden(f"invalid file URL: {exc}")
        download, filename = granted.download, granted.filename
    elif policy == "none" or (policy == "authenticated" and not _logged_in(request)):
        raise Http404("no such file")
    try:
        node = manager.node(mount, path)
        if not _permitted(configured, request, node):
            raise Http404("no such file")
        stat = node.stat()
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
    try:
        check: Any = import_string(dotted)
    except ImportError:
        user = getattr(request, "user", None)
        return bool(user is not None and user.has_perm(dotted))
    return bool(check(request, node))


def _options(configured: Mount, download: bool, filename: str | None) -> ServeOptions:
    config = configured.config
    return ServeOptions(
        download=download or bool(filename),
        filename=filename,
        cache_control=config.get("cache_control", _default_cache_control(config)),
        offload=config.get("offload") or None,
        offload_prefix=config.get("offload_prefix", ""),
    )


def _default_cache_control(config: Any) -> str:
    # Only public files may sit in shared caches; the rest stay in the browser's.
    return "public, max-age=3600" if config.get("serve") == "public" else "private, max-age=3600"
