"""URLs of the file-serving view for a node, signed when its mount serves signed files."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from .signing import make_query

if TYPE_CHECKING:
    from .core import StorageNode

__all__ = ["file_url", "node_url", "serving_url_available"]

URL_NAME = "genro_storage:file"


def file_url(
    node: StorageNode,
    *,
    expires_in: int | None = None,
    download: bool = False,
    filename: str | None = None,
) -> str | None:
    """The view's URL for ``node``, or None if its mount is not served (``"none"``)."""
    policy = node.mount.config.get("serve", "signed")
    if policy == "none":
        return None
    base = reverse(URL_NAME, kwargs={"mount": node.mount_name, "path": node.path})
    if policy == "signed":
        query = make_query(
            node.mount_name, node.path, expires_in=expires_in, download=download, filename=filename
        )
        return f"{base}?{query}"
    return f"{base}?{urlencode({'download': '1'})}" if download else base


def node_url(
    node: StorageNode,
    *,
    expires_in: int | None = None,
    download: bool = False,
    filename: str | None = None,
) -> str | None:
    """The URL a page should link to for ``node``: ``storage.url()`` and the tags use it.

    A mount with a ``serve`` option is reached through the file view (signed when
    it says so); a mount without one uses its own URL (``base_url``, or a
    presigned cloud URL, made without any network call), and falls back to the
    view when it has none. Without the view in the URLconf, only the mount's own URL.
    """
    if "serve" not in node.mount.config:
        native = node.url(expires_in=expires_in)
        if native is not None or not serving_url_available():
            return native
    elif not serving_url_available():
        return node.url(expires_in=expires_in)
    return file_url(node, expires_in=expires_in, download=download, filename=filename)


def serving_url_available() -> bool:
    """Whether the project's URLconf includes the file view."""
    try:
        reverse(URL_NAME, kwargs={"mount": "m", "path": "p"})
    except NoReverseMatch:
        return False
    return True
