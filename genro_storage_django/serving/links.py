"""URLs of the file-serving view for a node, signed when its mount serves signed files."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .policy import ServePolicy
from .signing import make_query

if TYPE_CHECKING:
    from ..core import StorageNode

__all__ = ["file_url", "node_url", "serving_url_available", "signed_file_url"]

URL_NAME = "genro_storage:file"


def file_url(
    node: StorageNode,
    *,
    expires_in: int | None = None,
    download: bool = False,
    filename: str | None = None,
) -> str | None:
    """The view's URL for ``node``, or None if its mount is not served (``"none"``).

    Signed on ``"signed"`` mounts. On ``"public"`` and ``"authenticated"`` mounts the
    URL is plain (``?download=1`` for a download) unless it names a download
    ``filename``: a name is only accepted when signed, so nobody can make a link
    that saves a file under a name of their choosing (``report.pdf`` as ``setup.exe``).
    """
    policy = ServePolicy.of(node.mount.config)
    if policy is None or not policy.served:
        return None
    if policy is ServePolicy.SIGNED or filename:
        return signed_file_url(node, expires_in=expires_in, download=download, filename=filename)
    base = _view_path(node)
    return f"{base}?{urlencode({'download': '1'})}" if download else base


def signed_file_url(
    node: StorageNode,
    *,
    expires_in: int | None = None,
    download: bool = False,
    filename: str | None = None,
) -> str | None:
    """A signed view URL for ``node`` whatever its policy (None on ``"none"`` mounts).

    A valid signature lets its bearer in on ``"signed"`` and ``"authenticated"``
    mounts (and is accepted on ``"public"`` ones) until it expires:
    ``node.signed_url()`` makes these, to share a file with someone who has no login.
    """
    policy = ServePolicy.of(node.mount.config)
    if policy is None or not policy.served:
        return None
    query = make_query(
        node.mount_name, node.path, expires_in=expires_in, download=download, filename=filename
    )
    return f"{_view_path(node)}?{query}"


def _view_path(node: StorageNode) -> str:
    return reverse(URL_NAME, kwargs={"mount": node.mount_name, "path": node.path})


def node_url(
    node: StorageNode,
    *,
    expires_in: int | None = None,
    download: bool = False,
    filename: str | None = None,
) -> str | None:
    """The URL a page should link to for ``node``: ``storage.url()`` and the tags use it.

    A mount with a ``serve`` option is reached through the file view (signed when
    it says so). A mount without one uses its own URL (``base_url``, or a
    presigned cloud URL, made without any network call), and the view (signed, the
    default policy) when it has none or when a download is asked for: a mount's
    own URL cannot carry a ``Content-Disposition``. Without the view in the
    URLconf, and on ``"none"`` mounts, only the mount's own URL (None if it has none).
    """
    if not serving_url_available():
        return node.url(expires_in=expires_in)
    if "serve" not in node.mount.config and not (download or filename):
        native = node.url(expires_in=expires_in)
        if native is not None:
            return native
    served = file_url(node, expires_in=expires_in, download=download, filename=filename)
    return served if served is not None else node.url(expires_in=expires_in)


def serving_url_available() -> bool:
    """Whether the project's URLconf includes the file view (False without a URLconf)."""
    if not getattr(settings, "ROOT_URLCONF", None):
        return False  # scripts and command-only settings have no URLs at all
    try:
        reverse(URL_NAME, kwargs={"mount": "m", "path": "p"})
    except NoReverseMatch:
        return False
    return True
