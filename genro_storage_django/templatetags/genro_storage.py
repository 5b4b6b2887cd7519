"""``{% load genro_storage %}``: links to stored files, and their size and time.

* ``{% storage_url target %}`` — the file's URL, built like ``storage.url()``;
  options ``download=True``, ``expires=600`` (seconds) and ``filename="x.pdf"``;
  ``{% storage_url target as url %}`` stores it instead.
* ``{% storage_node target as node %}`` — the node, for ``{{ node.basename }}``,
  ``{{ node.size }}``, ``{{ node.mimetype }}``...
* ``{{ target|storage_size }}`` (bytes; pair it with ``|filesizeformat``) and
  ``{{ target|storage_mtime }}`` (a datetime, aware when ``USE_TZ``); both give
  None for a missing file rather than failing the page.

``target`` is a ``"mount:path"`` string, a node, or a model's file field value.

* ``{% storage_upload_form "app:direct-upload" accept="image/*" %}`` — a file input
  whose files go straight to the bucket through a
  :class:`~genro_storage_django.serving.direct_upload.DirectUploadView` (its URL name or path).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django import template
from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse

from ..conf import get_manager
from ..core import StorageError, StorageNode
from ..serving.links import node_url
from ..storage import MountStorage, node_for

register = template.Library()


def as_node(target: Any) -> StorageNode:
    if isinstance(target, StorageNode):
        return target
    if isinstance(target, FieldFile):
        return node_for(target)
    node = getattr(target, "node", None)
    if isinstance(node, StorageNode):
        return node
    if isinstance(target, str):
        return get_manager().node(target)
    raise template.TemplateSyntaxError(
        f"storage tags take a 'mount:path' string, a node or a file field, not {target!r}"
    )


@register.simple_tag
def storage_url(
    target: Any,
    download: bool = False,
    expires: int | None = None,
    filename: str | None = None,
) -> str:
    if not target:
        return ""
    if isinstance(target, FieldFile) and not isinstance(target.storage, MountStorage):
        return str(target.url)  # a file of another storage: its own URL
    url = node_url(as_node(target), expires_in=expires, download=download, filename=filename)
    return url or ""


@register.simple_tag
def storage_node(target: Any) -> StorageNode:
    return as_node(target)


@register.inclusion_tag("genro_storage_django/upload_form.html", takes_context=True)
def storage_upload_form(
    context: template.Context, endpoint: str, accept: str = ""
) -> dict[str, Any]:
    try:
        url = reverse(endpoint)
    except NoReverseMatch:
        if "/" not in endpoint:
            raise
        url = endpoint
    request = context.get("request")
    # The request context processor gives the request; Django's own csrf one, its token.
    csrf = get_token(request) if request is not None else str(context.get("csrf_token") or "")
    return {"endpoint": url, "accept": accept, "csrf": csrf}


@register.filter
def storage_size(target: Any) -> int | None:
    try:
        return as_node(target).size() if target else None
    except StorageError:
        return None


@register.filter
def storage_mtime(target: Any) -> datetime | None:
    try:
        mtime = as_node(target).mtime() if target else None
    except StorageError:
        return None
    if mtime is None:
        return None
    if settings.USE_TZ:
        return datetime.fromtimestamp(mtime, tz=timezone.utc)
    return datetime.fromtimestamp(mtime)
